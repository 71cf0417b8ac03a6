// Package nodewatch turns what a node's link protocols report through the
// peer seam (peer.Observer) into node events, nodes coming up and going
// down with the reason, and streams them to watchers: GET
// /v1/nodes?watch=1 and `chatctl nodes --watch`, Erlang's
// :net_kernel.monitor_nodes/1 for operators and scripts.
//
// Every protocol reports to the same Hub, so a watcher sees chatd links
// and Erlang distribution connections alike. A watcher that falls Buffer
// events behind is ended with a last event saying so (reason lagged)
// rather than slowing the protocols down or silently missing events; when
// the node stops, every watch ends with reason shutdown.
package nodewatch

import (
	"context"
	"time"

	"chatd/daemon/fanout"
	"chatd/daemon/peer"
	"chatd/wire"
)

// Buffer is how many events a watcher may have unread before its watch is
// ended (reason lagged).
const Buffer = 256

// Hub is a node's source of node events: a peer.Observer for the link
// protocols and a fan-out to watchers. It starts no goroutines (a
// watcher's ctx ending is handled by context.AfterFunc); Close ends the
// watches.
type Hub struct {
	now     func() time.Time
	watches *fanout.Fanout[wire.NodeEvent]
}

var _ peer.Observer = (*Hub)(nil)

// New returns a Hub; now, if nil, is time.Now.
func New(now func() time.Time) *Hub {
	if now == nil {
		now = time.Now
	}
	return &Hub{now: now, watches: fanout.New(fanout.Config[wire.NodeEvent]{
		Buffer: Buffer,
		Lagged: func(ev wire.NodeEvent) wire.NodeEvent {
			return wire.NodeEvent{
				Event: wire.NodeWatchEnd, Reason: wire.ReasonLagged, Time: ev.Time,
				Detail: "the watcher fell behind; list the links (GET /v1/nodes) and watch again",
			}
		},
		Stamp: func(ev *wire.NodeEvent) { ev.Time = now() },
	})}
}

// WatchNodes returns a channel that receives every node event from now on, in
// order. It is closed when ctx ends, or after a last NodeWatchEnd event
// when the watcher fell behind (reason lagged) or the hub closed (reason
// shutdown). Buffered events can still be read after the close.
func (h *Hub) WatchNodes(ctx context.Context) <-chan wire.NodeEvent { return h.watches.Watch(ctx) }

// Close ends every watch, and every later one at once, with an end event
// of reason shutdown and detail why. Safe to call again.
func (h *Hub) Close(why string) {
	h.watches.Close(&wire.NodeEvent{Event: wire.NodeWatchEnd, Reason: wire.ReasonShutdown, Detail: why, Time: h.now()})
}

// Handshake implements peer.Observer: a failed handshake with a node that
// said its name is a down event (no up came before it), as Erlang reports
// a failed connection attempt.
func (h *Hub) Handshake(hs peer.Handshake) {
	if hs.Result == peer.HandshakeOK || hs.Node.IsZero() {
		return
	}
	ev := wire.NodeEvent{
		Event: wire.NodeDown, Node: hs.Node.String(), Protocol: hs.Protocol, Direction: hs.Direction,
		Address: hs.Address, Reason: hs.Result.Reason(),
	}
	if hs.Err != nil {
		ev.Detail = hs.Err.Error()
	}
	h.publish(ev)
}

// Up implements peer.Observer.
func (h *Hub) Up(info wire.LinkInfo) {
	h.publish(wire.NodeEvent{
		Event: wire.NodeUp, Node: info.Node, Protocol: info.Protocol, Direction: info.Direction, Address: info.Address,
	})
}

// Down implements peer.Observer.
func (h *Hub) Down(d peer.Down) {
	h.publish(wire.NodeEvent{
		Event: wire.NodeDown, Node: d.Info.Node, Protocol: d.Info.Protocol, Direction: d.Info.Direction,
		Address: d.Info.Address, Reason: d.Reason, Detail: d.Detail,
	})
}

// publish stamps ev and offers it to every watcher, ending those that have
// Buffer events unread.
func (h *Hub) publish(ev wire.NodeEvent) { h.watches.Publish(ev) }
