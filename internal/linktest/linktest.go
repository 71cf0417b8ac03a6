// Package linktest is the harness of link tests: nodes made of a real
// link manager serving a small test core (Local), listening on loopback,
// that know each other's addresses without a port mapper.
package linktest

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"chatd/daemon/link"
	"chatd/daemon/peer"
	"chatd/internal/testkit"
	"chatd/internal/testlog"
	"chatd/wire"
)

// Cluster is a set of test nodes that can find each other.
type Cluster struct {
	t     testing.TB
	mu    sync.Mutex
	addrs map[wire.NodeName]string // guarded by mu
}

// New returns an empty cluster.
func New(t testing.TB) *Cluster { return &Cluster{t: t, addrs: make(map[wire.NodeName]string)} }

// Resolve implements peer.Resolver from the cluster's addresses.
func (c *Cluster) Resolve(_ context.Context, n wire.NodeName) (peer.Endpoint, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.addrs[n]; ok {
		return peer.Endpoint{Addr: a, Extra: []byte(wire.ChatdExtra)}, nil
	}
	return peer.Endpoint{}, peer.ErrNotRegistered
}

// Node is one test node.
type Node struct {
	Name   wire.NodeName
	Mgr    *link.Manager
	Local  *Local
	Router *peer.Router
	Addr   string

	ln       net.Listener
	listener *peer.Listener
	served   chan struct{} // closed when Serve returns
	stopOnce sync.Once
}

// Options change a node's link configuration before it starts.
type Option func(*link.Config)

// Start starts a node called name (a full name) with a Local whose
// supervisor runs at most maxRunning tasks (0: no limit), listening on
// loopback; it is stopped when the test ends.
func (c *Cluster) Start(name string, maxRunning int, opts ...Option) *Node {
	t := c.t
	t.Helper()
	n := testkit.Name(t, name)
	local := NewLocal(t, n, maxRunning)
	cfg := link.Config{
		Self: n, Cookie: []byte(testkit.Cookie), Tick: time.Second, HandshakeTimeout: 2 * time.Second,
		MaxFrame: wire.DefaultMaxFrame, MaxStreams: 64, Local: local, Logger: testlog.New(t).With("node", name),
	}
	for _, o := range opts {
		o(&cfg)
	}
	return c.start(n, local, cfg)
}

func (c *Cluster) start(name wire.NodeName, local *Local, cfg link.Config) *Node {
	t := c.t
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mgr := link.NewManager(cfg)
	r := peer.NewRouter(peer.RouterConfig{Self: name, Chatd: mgr, Resolver: c, LookupTimeout: time.Second})
	tn := &Node{Name: name, Mgr: mgr, Local: local, Router: r, Addr: ln.Addr().String(), ln: ln,
		listener: peer.NewListener(r, cfg.HandshakeTimeout, cfg.Logger), served: make(chan struct{})}
	go func() {
		defer close(tn.served)
		_ = tn.listener.Serve(ln)
	}()
	c.mu.Lock()
	c.addrs[name] = tn.Addr
	c.mu.Unlock()
	t.Cleanup(tn.Stop)
	return tn
}

// Link returns n's link to to, making it.
func (n *Node) Link(t testing.TB, to *Node) *link.Link {
	t.Helper()
	l, err := n.Mgr.Link(testkit.Ctx(t, testkit.Wait), to.Name, to.Addr)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Stop stops the node: its listener, handshakes and links. It is
// idempotent.
func (n *Node) Stop() {
	n.stopOnce.Do(func() {
		_ = n.ln.Close()
		<-n.served
		n.listener.Close()
		_ = n.Mgr.Close()
	})
}
