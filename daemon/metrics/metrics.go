// Package metrics is a node's Prometheus metrics: one registry per node
// (no global registry, nothing registered in init), served in the
// Prometheus text format at GET /metrics on the control socket and, with
// [metrics] listen, over TCP.
//
// It measures at the peer seam, so that every link protocol is covered
// the same way: it is a peer.Observer (handshakes by protocol and result,
// links going down by reason) and wraps the core's peer.Local (calls
// peers make here, "in"); the core reports the calls it makes (Call:
// "out" over a link, "local", with the chat messages and responder
// replies among them). The rest it reads from the node's parts at scrape
// time (Sources). The README lists every metric.
package metrics

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"chatd/daemon/peer"
	"chatd/daemon/proc"
	"chatd/internal/fdgate"
	"chatd/wire"
)

// Sources are the node's parts that metrics read at scrape time. Each
// must be quick and safe to call from any goroutine.
type Sources struct {
	// Version is the daemon's build version (chatd_build_info).
	Version string
	// Protocols names every link protocol the node speaks, so that
	// chatd_links_up shows each, at 0 when it has no links.
	Protocols []string
	// Observed names the protocols that report to the metrics as a
	// peer.Observer, so that chatd_handshakes_total shows each result of
	// theirs from 0.
	Observed []string
	// Links lists the links up now (the router's).
	Links func() []wire.LinkInfo
	// TasksRunning is the number of supervised tasks running.
	TasksRunning func() int
	// Processes reads the process table.
	Processes func() proc.Stats
	// MessagesReceived is the number of chat messages the sink delivered.
	MessagesReceived func() uint64
	// MapperRegistrations is the number of times the node registered with
	// the port mapper; MapperEmbedded whether it runs the mapper now.
	MapperRegistrations func() uint64
	MapperEmbedded      func() bool
	// Gate is the node's descriptor gate (internal/fdgate): the process
	// collector, which opens /proc files at a scrape, and the [metrics]
	// listener create their descriptors through it; nil: none.
	Gate *fdgate.Gate
}

// Metrics is one node's metrics.
type Metrics struct {
	reg          *prometheus.Registry
	gate         *fdgate.Gate
	handshakes   *prometheus.CounterVec
	downs        *prometheus.CounterVec
	calls        *prometheus.CounterVec
	callSeconds  *prometheus.HistogramVec
	messagesSent *prometheus.CounterVec
	replies      *prometheus.CounterVec
	functions    labelLimit
}

var _ peer.Observer = (*Metrics)(nil)

// callBuckets spread from 100 µs (a call on a loopback link) to 6.5 s
// (past the default 5 s await timeout).
var callBuckets = prometheus.ExponentialBuckets(0.0001, 4, 9)

// New returns a node's metrics reading src, with the Go runtime and
// process collectors, on a registry of its own.
func New(src Sources) *Metrics {
	m := &Metrics{
		reg:  prometheus.NewRegistry(),
		gate: src.Gate,
		handshakes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_handshakes_total",
			Help: "Link handshakes that ended, by protocol, direction (in: the peer dialled) and result.",
		}, []string{"protocol", "direction", "result"}),
		downs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_link_downs_total",
			Help: "Links that went down, by protocol and reason (closed, tick_timeout, connection_lost).",
		}, []string{"protocol", "reason"}),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_calls_total",
			Help: "Calls (supervised tasks) that ended, by direction (in: a peer's call run here; out: this node's call to another node; local: its call run here), function and result (ok or the failure kind).",
		}, []string{"direction", "function", "result"}),
		callSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "chatd_call_duration_seconds",
			Help:    "How long calls took, from start to result, by direction and function.",
			Buckets: callBuckets,
		}, []string{"direction", "function"}),
		messagesSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_messages_sent_total",
			Help: "Chat messages this node sent, by result (ok or the failure kind, e.g. no_connection).",
		}, []string{"result"}),
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chatd_responder_replies_total",
			Help: "Replies this node's responder sent to the senders of messages, by result.",
		}, []string{"result"}),
		functions: labelLimit{max: maxFunctions},
	}
	for _, p := range src.Observed {
		for _, dir := range []string{"in", "out"} {
			for _, r := range peer.HandshakeResults {
				m.handshakes.WithLabelValues(p, dir, string(r))
			}
		}
	}
	m.messagesSent.WithLabelValues(resultOK)
	m.reg.MustRegister(m.handshakes, m.downs, m.calls, m.callSeconds, m.messagesSent, m.replies,
		newNodeCollector(src),
		collectors.NewGoCollector(),
		gatedCollector{collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), src.Gate},
	)
	return m
}

// Registry is the node's registry (for tests and for more collectors).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format (or
// OpenMetrics, when the scraper asks for it).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		Registry:          m.reg, // promhttp_metric_handler_errors_total
		EnableOpenMetrics: true,
		Timeout:           scrapeTimeout,
	})
}

// gatedCollector collects through the descriptor gate: the process
// collector opens files in /proc. Only it holds the gate, not the whole
// scrape, whose other collectors call into the node's parts.
type gatedCollector struct {
	prometheus.Collector
	gate *fdgate.Gate
}

// Collect implements prometheus.Collector. The registry reads ch as it
// is written, without the gate.
func (c gatedCollector) Collect(ch chan<- prometheus.Metric) {
	c.gate.Shared(func() { c.Collector.Collect(ch) })
}

// Handshake implements peer.Observer.
func (m *Metrics) Handshake(h peer.Handshake) {
	m.handshakes.WithLabelValues(h.Protocol, h.Direction, string(h.Result)).Inc()
}

// Up implements peer.Observer; links up are read from the router at
// scrape time.
func (m *Metrics) Up(wire.LinkInfo) {}

// Down implements peer.Observer.
func (m *Metrics) Down(d peer.Down) {
	m.downs.WithLabelValues(d.Info.Protocol, string(d.Reason)).Inc()
}

// resultOK is the result label of a call that returned a value.
const resultOK = "ok"

// result is the result label for err: ok, or its failure kind.
func result(err error) string {
	if err == nil {
		return resultOK
	}
	return string(wire.CodeOf(err))
}

// maxFunctions bounds the function label's values: a peer may call any
// name, and each would be a series of its own.
const maxFunctions = 64

// otherFunction stands for every function past the first maxFunctions.
const otherFunction = "other"

// labelLimit hands out at most max distinct label values, then
// otherFunction.
type labelLimit struct {
	max  int
	mu   sync.Mutex
	seen map[string]bool // guarded by mu
}

// value returns v if it is among the first max values seen.
func (l *labelLimit) value(v string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = make(map[string]bool)
	}
	if l.seen[v] {
		return v
	}
	if len(l.seen) >= l.max {
		return otherFunction
	}
	l.seen[v] = true
	return v
}
