package daemon

import (
	"chatd/daemon/beam"
	"chatd/daemon/link"
	"chatd/daemon/metrics"
	"chatd/wire"
)

// metricSources is what the node's metrics read at scrape time.
func (n *Node) metricSources() metrics.Sources {
	return metrics.Sources{
		Version:             n.opts.Version,
		Protocols:           []string{link.Protocol, beam.Protocol},
		Observed:            []string{link.Protocol, beam.Protocol},
		Links:               func() []wire.LinkInfo { return n.router.Links() },
		TasksRunning:        n.sup.Running,
		Processes:           n.procs.Stats,
		MessagesReceived:    n.sink.Delivered,
		MapperRegistrations: n.reg.Registrations,
		MapperEmbedded:      n.reg.Embedded,
		Gate:                n.fds,
	}
}
