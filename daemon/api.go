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
	"chatd/daemon/peer"
	"chatd/wire"
)

// Status implements control.StatusBackend.
func (n *Node) Status() wire.StatusResponse {
	st := wire.StatusResponse{
		Node: n.self.String(), Version: n.opts.Version, Protocol: wire.ProtocolVersion,
		PID: os.Getpid(), Environment: n.cfg.Environment, Started: n.started,
		Listen: n.listen.Addr().String(), MapperPort: n.cfg.Mapper.Port,
		MapperLocal: n.reg.Embedded(), Creation: n.reg.Creation(), Links: len(n.router.Links()),
		Tasks: n.sup.Running(), Goroutines: runtime.NumGoroutine(),
	}
	n.fds.Shared(func() { st.RSSBytes = rssBytes() }) // opens /proc/self/statm
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

// mapperResolver finds peers through the port mapper on their host.
type mapperResolver struct {
	port   int
	client epmd.Client // dials through the node's descriptor gate
}

// Resolve implements peer.Resolver.
func (r mapperResolver) Resolve(ctx context.Context, node wire.NodeName) (peer.Endpoint, error) {
	host := dialHost(node.Host)
	mapper := net.JoinHostPort(host, strconv.Itoa(r.port))
	e, err := r.client.Lookup(ctx, mapper, node.Name)
	switch {
	case errors.Is(err, epmd.ErrNotRegistered):
		return peer.Endpoint{}, fmt.Errorf("%w at %s", peer.ErrNotRegistered, mapper)
	case errors.Is(err, epmd.ErrNoMapper):
		return peer.Endpoint{}, fmt.Errorf("%w at %s (no node runs on %s)", peer.ErrNoMapper, mapper, node.Host)
	case err != nil:
		return peer.Endpoint{}, fmt.Errorf("look up %s at %s: %w", node, mapper, err)
	}
	return peer.Endpoint{Addr: net.JoinHostPort(host, strconv.Itoa(int(e.Port))), Extra: e.Extra}, nil
}

// lookupTimeout bounds a mapper lookup before a dial.
const lookupTimeout = 2 * time.Second

// dialHost is the address to dial for a node's host: localhost is always
// the loopback address (RFC 6761), even where /etc/hosts does not say so.
func dialHost(host string) string {
	if host == "localhost" {
		return "127.0.0.1"
	}
	return host
}
