package link

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/daemon/peer"
	"chatd/internal/testkit"
	"chatd/internal/testlog"

	"chatd/wire"
)

// staticResolver maps node names to the addresses of chatd nodes; guarded
// by mu.
type staticResolver struct {
	mu    sync.Mutex
	addrs map[wire.NodeName]string
}

func (r *staticResolver) set(n wire.NodeName, addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs[n] = addr
}

func (r *staticResolver) addr(n wire.NodeName) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.addrs[n]
}

// Resolve implements peer.Resolver.
func (r *staticResolver) Resolve(_ context.Context, n wire.NodeName) (peer.Endpoint, error) {
	if a := r.addr(n); a != "" {
		return peer.Endpoint{Addr: a, Extra: []byte(wire.ChatdExtra)}, nil
	}
	return peer.Endpoint{}, peer.ErrNotRegistered
}

type testNode struct {
	name     wire.NodeName
	mgr      *Manager
	router   *peer.Router
	listener *peer.Listener
	ln       net.Listener
	done     chan struct{}
}

func testLogger(t testing.TB) *slog.Logger { return testlog.New(t) }

// startNode starts a manager listening on loopback behind a router and
// registers it with r; the node is stopped when the test ends.
// Each opt may change the manager's Config first.
func startNode(t *testing.T, r *staticResolver, name, cookie string, tick time.Duration, opts ...func(*Config)) *testNode {
	t.Helper()
	cfg := Config{
		Cookie: []byte(cookie), Tick: tick, HandshakeTimeout: 2 * time.Second,
		MaxFrame: wire.DefaultMaxFrame, MaxStreams: 64, Logger: testLogger(t),
	}
	for _, o := range opts {
		o(&cfg)
	}
	return serveNode(t, r, name, cfg)
}

// serveNode starts a node with cfg (its Self and Local filled in).
func serveNode(tb testing.TB, r *staticResolver, name string, cfg Config) *testNode {
	tb.Helper()
	n := testkit.Name(tb, name)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	cfg.Self = n
	if cfg.Local == nil {
		cfg.Local = linktestLocal{n}
	}
	mgr := NewManager(cfg)
	router := peer.NewRouter(peer.RouterConfig{Self: n, Chatd: mgr, Resolver: r, LookupTimeout: time.Second})
	tn := &testNode{name: n, mgr: mgr, router: router, listener: peer.NewListener(router, cfg.HandshakeTimeout, cfg.Logger),
		ln: ln, done: make(chan struct{})}
	go func() {
		defer close(tn.done)
		_ = tn.listener.Serve(ln)
	}()
	r.set(n, ln.Addr().String())
	tb.Cleanup(tn.stop)
	return tn
}

// link returns the node's link to peer, through its router as the node
// itself would.
func (tn *testNode) link(ctx context.Context, to wire.NodeName) (*Link, error) {
	c, err := tn.router.Conn(ctx, to)
	if err != nil {
		return nil, err
	}
	return c.(*Link), nil
}

func (tn *testNode) stop() {
	_ = tn.ln.Close()
	<-tn.done
	tn.listener.Close()
	_ = tn.mgr.Close()
}

func newResolver() *staticResolver { return &staticResolver{addrs: map[wire.NodeName]string{}} }

// startPair starts alex and kate on a fresh resolver, sharing
// testkit.Cookie and tick.
func startPair(t *testing.T, tick time.Duration) (r *staticResolver, alex, kate *testNode) {
	t.Helper()
	r = newResolver()
	alex = startNode(t, r, "alex@localhost", testkit.Cookie, tick)
	kate = startNode(t, r, "kate@localhost", testkit.Cookie, tick)
	return r, alex, kate
}

// mustLink links from to to, failing the test when it cannot.
func mustLink(t *testing.T, from, to *testNode) *Link {
	t.Helper()
	l, err := from.link(testkit.Ctx(t, 2*time.Second), to.name)
	if err != nil {
		t.Fatalf("link %s to %s: %v", from.name, to.name, err)
	}
	return l
}

func TestLinkAndPing(t *testing.T) {
	_, alex, kate := startPair(t, time.Second)
	l := mustLink(t, alex, kate)
	if rtt, err := l.Ping(testkit.Ctx(t, time.Second)); err != nil || rtt <= 0 {
		t.Fatalf("ping: rtt %v, err %v", rtt, err)
	}
	testkit.WaitFor(t, time.Second, "kate to list alex", func() bool { return len(kate.mgr.Links()) == 1 })
	if got := alex.mgr.Links(); len(got) != 1 || got[0].Node != "kate@localhost" || got[0].Direction != "out" {
		t.Fatalf("alex links = %+v", got)
	}
	if got := kate.mgr.Links(); got[0].Node != "alex@localhost" || got[0].Direction != "in" {
		t.Fatalf("kate links = %+v", got)
	}
	// The same link is reused.
	l2, err := alex.link(testkit.Ctx(t, time.Second), kate.name)
	if err != nil || l2 != l {
		t.Fatalf("second Link: %p vs %p, err %v", l2, l, err)
	}
}

func TestLinkErrors(t *testing.T) {
	r := newResolver()
	alex := startNode(t, r, "alex@localhost", "secret-cookie-0123456789", time.Second)
	kate := startNode(t, r, "kate@localhost", "another-cookie-987654321", time.Second)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.set(testkit.Name(t, "gone@localhost"), closed.Addr().String())
	closed.Close()

	tests := []struct {
		name string
		node wire.NodeName
		want error
	}{
		{"cookie mismatch", kate.name, peer.ErrCookieMismatch},
		{"not registered", testkit.Name(t, "nobody@localhost"), peer.ErrNotRegistered},
		{"refused", testkit.Name(t, "gone@localhost"), peer.ErrRefused},
		{"self", alex.name, peer.ErrSelf},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := alex.link(testkit.Ctx(t, 2*time.Second), tc.node)
			var ce *peer.ConnectError
			if !errors.As(err, &ce) || !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want a ConnectError wrapping %v", err, tc.want)
			}
			if time.Since(start) > time.Second {
				t.Errorf("took %s", time.Since(start))
			}
		})
	}
	if n := len(alex.mgr.Links()) + len(kate.mgr.Links()); n != 0 {
		t.Fatalf("%d links left after a cookie mismatch", n)
	}
}

func TestSimultaneousConnect(t *testing.T) {
	_, alex, kate := startPair(t, time.Second)
	for i := 0; i < 50; i++ {
		var wg sync.WaitGroup
		links := make([]*Link, 2)
		errs := make([]error, 2)
		start := make(chan struct{})
		for j, pair := range [][2]*testNode{{alex, kate}, {kate, alex}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				links[j], errs[j] = pair[0].link(testkit.Ctx(t, 3*time.Second), pair[1].name)
			}()
		}
		close(start)
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("try %d: errors %v, %v", i, errs[0], errs[1])
		}
		la, lk := alex.mgr.Links(), kate.mgr.Links()
		if len(la) != 1 || len(lk) != 1 {
			t.Fatalf("try %d: alex has %d links, kate %d", i, len(la), len(lk))
		}
		// Both ends see one TCP connection: the addresses mirror each other.
		if links[0].conn.LocalAddr().String() != links[1].conn.RemoteAddr().String() {
			t.Fatalf("try %d: two different connections: %s vs %s", i, links[0].conn.LocalAddr(), links[1].conn.RemoteAddr())
		}
		alex.mgr.Disconnect(kate.name, "disconnected by the test")
		testkit.WaitFor(t, 2*time.Second, "both sides down", func() bool {
			return len(alex.mgr.Links()) == 0 && len(kate.mgr.Links()) == 0
		})
	}
}

func TestDisconnectAndReconnect(t *testing.T) {
	_, alex, kate := startPair(t, time.Second)
	l1 := mustLink(t, alex, kate)
	testkit.WaitFor(t, time.Second, "kate to have the link", func() bool { return len(kate.mgr.Links()) == 1 })
	if !alex.mgr.Disconnect(kate.name, "disconnected by the test") {
		t.Fatal("Disconnect reported no link")
	}
	testkit.WaitFor(t, time.Second, "kate to see alex down", func() bool { return len(kate.mgr.Links()) == 0 })
	if alex.mgr.Disconnect(kate.name, "disconnected by the test") {
		t.Fatal("second Disconnect reported a link")
	}
	l2, err := alex.link(testkit.Ctx(t, time.Second), kate.name)
	if err != nil || l2 == l1 {
		t.Fatalf("relink: %v (same link: %v)", err, l2 == l1)
	}
}

func TestPeerCloseSeenAtOnce(t *testing.T) {
	_, alex, kate := startPair(t, time.Minute)
	l := mustLink(t, alex, kate)
	start := time.Now()
	kate.stop()
	select {
	case <-l.Done():
	case <-time.After(time.Second):
		t.Fatal("alex did not see kate's shutdown within 1s (tick is 1m)")
	}
	t.Logf("down after %s", time.Since(start))
}

// TestSilentPeerDownWithinTick puts a proxy between the nodes that stops
// forwarding, so the TCP connection stays open but nothing arrives.
func TestSilentPeerDownWithinTick(t *testing.T) {
	const tick = 400 * time.Millisecond
	r, alex, kate := startPair(t, tick)
	p := startProxy(t, kate.ln.Addr().String())
	r.set(kate.name, p.addr())
	l := mustLink(t, alex, kate)
	testkit.WaitFor(t, time.Second, "kate to have the link", func() bool { return len(kate.mgr.Links()) == 1 })
	kc, ok := kate.mgr.Conn(alex.name)
	if !ok {
		t.Fatal("kate has no link to alex")
	}
	kl := kc.(*Link)
	start := time.Now()
	p.freeze()
	// alex dialled: its pings go unanswered. kate only answers pings: she
	// sees nothing arrive.
	for _, side := range []struct {
		name   string
		node   *testNode
		l      *Link
		reason string
	}{
		{"alex (the connector, which pings)", alex, l, "no keepalive reply within the tick"},
		{"kate (the acceptor, which pings only when it hears nothing)", kate, kl, "no keepalive reply within the tick"},
	} {
		select {
		case <-side.l.Done():
		case <-time.After(2 * tick):
			t.Fatalf("%s: silent peer not declared down within 2 ticks", side.name)
		}
		took := time.Since(start)
		// The reason is known once the manager has forgotten the link.
		testkit.WaitFor(t, time.Second, side.name+" to forget the link", func() bool { return side.node.mgr.peers.Nodes() == 0 })
		t.Logf("%s: down after %s (tick %s), reason %q", side.name, took, tick, side.l.downReason())
		if r := side.l.downReason(); !strings.HasPrefix(r, side.reason) {
			t.Errorf("%s: down reason %q, want %q...", side.name, r, side.reason)
		}
		if took > tick+tick/4 {
			t.Errorf("%s: down after %s, want within the tick %s", side.name, took, tick)
		}
	}
}

// TestIdleLinkStaysUp: only the connector pings on its own schedule, and
// an idle link stays up on both sides for many ticks: the acceptor does
// not take it for silent.
func TestIdleLinkStaysUp(t *testing.T) {
	const tick = 200 * time.Millisecond
	_, alex, kate := startPair(t, tick)
	l := mustLink(t, alex, kate)
	testkit.WaitFor(t, time.Second, "kate to have the link", func() bool { return len(kate.mgr.Links()) == 1 })
	kc, _ := kate.mgr.Conn(alex.name)
	kl := kc.(*Link)
	if !keepaliveSender(l.outbound) || keepaliveSender(kl.outbound) {
		t.Fatalf("keepalive senders: alex %v, kate %v; want alex only", keepaliveSender(l.outbound), keepaliveSender(kl.outbound))
	}
	for range 10 { // ten ticks of nothing but keepalives
		select {
		case <-l.Done():
			t.Fatalf("alex's link went down: %s", l.downReason())
		case <-kl.Done():
			t.Fatalf("kate's link went down: %s", kl.downReason())
		case <-time.After(tick):
		}
	}
}

// proxy forwards one TCP connection at a time and can stop forwarding.
type proxy struct {
	ln     net.Listener
	mu     sync.Mutex
	frozen bool
	conns  []net.Conn
	wg     sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			p.wg.Add(2)
			go p.pipe(c, u)
			go p.pipe(u, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) freeze() {
	p.mu.Lock()
	p.frozen = true
	p.mu.Unlock()
}

func (p *proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		p.mu.Lock()
		frozen := p.frozen
		p.mu.Unlock()
		if frozen {
			continue // swallow: the peer has gone silent
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}
