package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// scrapeTimeout bounds one scrape.
const scrapeTimeout = 10 * time.Second

// nodeCollector reads the node's parts at scrape time.
type nodeCollector struct {
	src Sources

	buildInfo, linksUp, tasks, processes, queued, deepest, received, registrations, embedded *prometheus.Desc
}

func newNodeCollector(src Sources) *nodeCollector {
	return &nodeCollector{
		src: src,
		buildInfo: prometheus.NewDesc("chatd_build_info",
			"Always 1; the daemon's build version is the label.", []string{"version"}, nil),
		linksUp: prometheus.NewDesc("chatd_links_up",
			"Links up now, by protocol.", []string{"protocol"}, nil),
		tasks: prometheus.NewDesc("chatd_tasks_running",
			"Supervised tasks running now.", nil, nil),
		processes: prometheus.NewDesc("chatd_processes",
			"Processes alive now, the shell included.", nil, nil),
		queued: prometheus.NewDesc("chatd_mailbox_messages",
			"Messages waiting in all mailboxes now.", nil, nil),
		deepest: prometheus.NewDesc("chatd_mailbox_messages_max",
			"Messages waiting in the fullest mailbox now.", nil, nil),
		received: prometheus.NewDesc("chatd_messages_received_total",
			"Chat messages this node's sink delivered (journal or stdout).", nil, nil),
		registrations: prometheus.NewDesc("chatd_mapper_registrations_total",
			"Registrations with the port mapper: one at the start, one more each time the mapper was lost.", nil, nil),
		embedded: prometheus.NewDesc("chatd_mapper_embedded",
			"1 while this node runs the embedded port mapper, else 0.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.buildInfo, c.linksUp, c.tasks, c.processes, c.queued, c.deepest,
		c.received, c.registrations, c.embedded} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *nodeCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.buildInfo, prometheus.GaugeValue, 1, c.src.Version)
	up := make(map[string]int)
	for _, p := range c.src.Protocols {
		up[p] = 0
	}
	if c.src.Links != nil {
		for _, l := range c.src.Links() {
			up[l.Protocol]++
		}
	}
	for p, n := range up {
		ch <- prometheus.MustNewConstMetric(c.linksUp, prometheus.GaugeValue, float64(n), p)
	}
	if c.src.TasksRunning != nil {
		ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(c.src.TasksRunning()))
	}
	if c.src.Processes != nil {
		st := c.src.Processes()
		ch <- prometheus.MustNewConstMetric(c.processes, prometheus.GaugeValue, float64(st.Processes))
		ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, float64(st.Queued))
		ch <- prometheus.MustNewConstMetric(c.deepest, prometheus.GaugeValue, float64(st.Deepest))
	}
	if c.src.MessagesReceived != nil {
		ch <- prometheus.MustNewConstMetric(c.received, prometheus.CounterValue, float64(c.src.MessagesReceived()))
	}
	if c.src.MapperRegistrations != nil {
		ch <- prometheus.MustNewConstMetric(c.registrations, prometheus.CounterValue, float64(c.src.MapperRegistrations()))
	}
	if c.src.MapperEmbedded != nil {
		v := 0.0
		if c.src.MapperEmbedded() {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.embedded, prometheus.GaugeValue, v)
	}
}
