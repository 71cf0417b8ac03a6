package daemon

import (
	"context"
	"time"

	"chatd/daemon/peer"
	"chatd/wire"
)

// nodes answers the control API's link endpoints from the router.
type nodes struct {
	self    wire.NodeName
	router  *peer.Router
	timeout time.Duration // bounds a ping: handshake timeout plus a tick
}

// Links implements control.NodesBackend.
func (n nodes) Links() []wire.LinkInfo { return n.router.Links() }

// Ping implements control.NodesBackend: pong when a link exists or can be
// made and answers a round trip, pang with the reason otherwise.
func (n nodes) Ping(ctx context.Context, node wire.NodeName) wire.PingResponse {
	resp := wire.PingResponse{Node: node.String(), Result: wire.Pang}
	if node == n.self {
		resp.Result = wire.Pong
		return resp
	}
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	c, err := n.router.Conn(ctx, node)
	if err != nil {
		resp.Reason = err.Error()
		return resp
	}
	rtt, err := c.Ping(ctx)
	if err != nil {
		resp.Reason = err.Error()
		return resp
	}
	resp.Result = wire.Pong
	resp.RTTMs = float64(rtt.Microseconds()) / 1000
	return resp
}

// Connect implements control.NodesBackend.
func (n nodes) Connect(ctx context.Context, node wire.NodeName) (bool, error) {
	if n.router.Linked(node) {
		return true, nil
	}
	_, err := n.router.Conn(ctx, node)
	return false, err
}

// Disconnect implements control.NodesBackend.
func (n nodes) Disconnect(node wire.NodeName) bool {
	return n.router.Disconnect(node, "disconnected by operator")
}
