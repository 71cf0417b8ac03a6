package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"chatd/daemon/epmd"
	"chatd/daemon/link"
	"chatd/wire"
)

// Status implements control.Backend.
func (n *Node) Status() wire.StatusResponse {
	st := wire.StatusResponse{
		Node: n.self.String(), Version: n.opts.Version, Protocol: wire.ProtocolVersion,
		PID: os.Getpid(), Environment: n.cfg.Environment, Started: n.started,
		Listen: n.listen.Addr().String(), MapperPort: n.cfg.Mapper.Port,
		MapperLocal: n.reg.Embedded(), Creation: n.reg.Creation(), Links: len(n.links.Links()),
		Tasks: n.sup.Running(), Goroutines: runtime.NumGoroutine(), RSSBytes: rssBytes(),
	}
	st.HeapBytes, st.StackBytes = memBytes()
	return st
}

// memBytes returns the heap in use and the goroutine stacks in use.
func memBytes() (heap, stacks uint64) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, ms.StackInuse
}

// rssBytes reads the resident set size from /proc/self/statm; 0 if it
// cannot.
func rssBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * uint64(os.Getpagesize())
}

// Links implements control.Backend.
func (n *Node) Links() []wire.LinkInfo { return n.links.Links() }

// ParseNode implements control.Backend.
func (n *Node) ParseNode(s string) (wire.NodeName, error) { return wire.ParseNodeName(s, n.cfg.Host) }

// Ping implements control.Backend: pong when a link exists or can be made
// and answers a round trip, pang with the reason otherwise.
func (n *Node) Ping(ctx context.Context, node wire.NodeName) wire.PingResponse {
	resp := wire.PingResponse{Node: node.String(), Result: wire.Pang}
	if node == n.self {
		resp.Result = wire.Pong
		return resp
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Link.HandshakeTimeout.D()+n.cfg.Link.Tick.D())
	defer cancel()
	l, err := n.links.Link(ctx, node)
	if err != nil {
		resp.Reason = err.Error()
		return resp
	}
	rtt, err := l.Ping(ctx)
	if err != nil {
		resp.Reason = err.Error()
		return resp
	}
	resp.Result = wire.Pong
	resp.RTTMs = float64(rtt.Microseconds()) / 1000
	return resp
}

// Connect implements control.Backend.
func (n *Node) Connect(ctx context.Context, node wire.NodeName) (bool, error) {
	for _, l := range n.links.Links() {
		if l.Node == node.String() {
			return true, nil
		}
	}
	_, err := n.links.Link(ctx, node)
	return false, err
}

// Disconnect implements control.Backend.
func (n *Node) Disconnect(node wire.NodeName) bool { return n.links.Disconnect(node) }

// mapperResolver finds peers through the port mapper on their host.
type mapperResolver struct {
	port int
}

// Resolve implements link.Resolver.
func (r mapperResolver) Resolve(ctx context.Context, node wire.NodeName) (string, error) {
	host := dialHost(node.Host)
	mapper := net.JoinHostPort(host, strconv.Itoa(r.port))
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	e, err := epmd.Lookup(ctx, mapper, node.Name)
	switch {
	case errors.Is(err, epmd.ErrNotRegistered):
		return "", fmt.Errorf("%w at %s", link.ErrNotRegistered, mapper)
	case errors.Is(err, epmd.ErrNoMapper):
		return "", fmt.Errorf("%w at %s (no node runs on %s)", link.ErrNoMapper, mapper, node.Host)
	case err != nil:
		return "", fmt.Errorf("look up %s at %s: %w", node, mapper, err)
	case !e.IsChatd():
		return "", fmt.Errorf("%w: %s is registered at %s but is not a chatd node (an Erlang node?)", link.ErrProtocol, node, mapper)
	}
	return net.JoinHostPort(host, strconv.Itoa(int(e.Port))), nil
}

// dialHost is the address to dial for a node's host: localhost is always
// the loopback address (RFC 6761), even where /etc/hosts does not say so.
func dialHost(host string) string {
	if host == "localhost" {
		return "127.0.0.1"
	}
	return host
}
