package peer_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"chatd/daemon/peer"
	"chatd/internal/peertest"
	"chatd/internal/testkit"
	"chatd/internal/testlog"
	"chatd/wire"
)

var kate = wire.NodeName{Name: "kate", Host: "localhost"}

// member is a connection that is up until it is hung up.
type member struct {
	node      wire.NodeName
	direction string
	down      chan struct{}
	once      sync.Once
	why       atomic.Pointer[string] // why it was hung up
	farewells atomic.Int32
}

func newMember(direction string) *member {
	return &member{node: kate, direction: direction, down: make(chan struct{})}
}

func (m *member) Peer() wire.NodeName   { return m.node }
func (m *member) Done() <-chan struct{} { return m.down }
func (m *member) Info() wire.LinkInfo {
	return wire.LinkInfo{Node: m.node.String(), Protocol: "fake", Direction: m.direction}
}
func (m *member) Ping(context.Context) (time.Duration, error)     { return 0, errors.New("no pings") }
func (m *member) Call(context.Context, wire.Call) (string, error) { return "", errors.New("no calls") }
func (m *member) Send(context.Context, wire.Pid, wire.Pid, string) error {
	return errors.New("no sends")
}
func (m *member) Spawn(context.Context, wire.Spawn, peer.Output) (wire.Pid, error) {
	return wire.Pid{}, errors.New("no spawns")
}

func (m *member) hangup(why string) {
	m.once.Do(func() {
		m.why.Store(&why)
		close(m.down)
	})
}

func (m *member) hungUp() string {
	if w := m.why.Load(); w != nil {
		return *w
	}
	return ""
}

// errLost is a dial that lost a simultaneous connect.
var errLost = errors.New("lost the simultaneous connect")

// newPeers returns a Peers of members, closed when the test ends.
func newPeers(t *testing.T, r *peertest.Recorder) *peer.Peers[*member] {
	p := peer.NewPeers(peer.PeersConfig[*member]{
		Protocol:         "fake",
		HandshakeTimeout: testkit.Wait,
		Serve:            func(_ context.Context, m *member) { <-m.down },
		Hangup:           (*member).hangup,
		Farewell:         func(m *member) { m.farewells.Add(1) },
		DownCause:        func(m *member) (wire.NodeReason, string) { return wire.ReasonClosed, m.hungUp() },
		Lost:             func(err error) bool { return errors.Is(err, errLost) },
		Report:           peer.Reporter{Protocol: "fake", Observer: r},
		Log:              testlog.New(t),
	})
	t.Cleanup(p.Close)
	return p
}

// dialer dials once with result; it counts its calls.
func dialer(calls *atomic.Int32, result func() (*member, error)) func(context.Context) (*member, error) {
	return func(context.Context) (*member, error) {
		calls.Add(1)
		return result()
	}
}

func TestDialInstallsAndReuses(t *testing.T) {
	var r peertest.Recorder
	p := newPeers(t, &r)
	var calls atomic.Int32
	c := newMember("out")
	for range 3 {
		got, err := p.Dial(testkit.Ctx(t, testkit.Wait), kate, "127.0.0.1:1", dialer(&calls, func() (*member, error) { return c, nil }))
		if err != nil || got != c {
			t.Fatalf("Dial = %p, %v; want %p", got, err, c)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("dialled %d times, want once", n)
	}
	if live, ok := p.Live(kate); !ok || live != c {
		t.Errorf("Live = %p, %v", live, ok)
	}
	if got := p.Links(); len(got) != 1 || got[0].Node != "kate@localhost" {
		t.Errorf("Links = %+v", got)
	}
	if !p.Disconnect(kate, "disconnected by the test") || c.hungUp() != "disconnected by the test" {
		t.Fatalf("Disconnect did not hang up (%q)", c.hungUp())
	}
	if p.Disconnect(kate, "again") || len(p.Links()) != 0 {
		t.Fatalf("after Disconnect: another disconnect, links %+v", p.Links())
	}
	want := []string{"handshake fake out kate@localhost ok", "up fake out kate@localhost", "down fake out kate@localhost closed"}
	if got := r.All(); !slices.Equal(got, want) {
		t.Errorf("reported %q, want %q", got, want)
	}
}

func TestDialFails(t *testing.T) {
	var r peertest.Recorder
	p := newPeers(t, &r)
	var calls atomic.Int32
	refused := func() (*member, error) { return nil, peer.ErrRefused }
	_, err := p.Dial(testkit.Ctx(t, testkit.Wait), kate, "127.0.0.1:1", dialer(&calls, refused))
	var ce *peer.ConnectError
	if !errors.As(err, &ce) || !errors.Is(err, peer.ErrRefused) || ce.Node != kate {
		t.Fatalf("Dial = %v, want a ConnectError for kate wrapping ErrRefused", err)
	}
	if _, ok := p.Live(kate); ok || len(p.Links()) != 0 {
		t.Fatal("a failed dial left a connection")
	}
	if got := r.All(); !slices.Equal(got, []string{"handshake fake out kate@localhost refused"}) {
		t.Errorf("reported %q", got)
	}
}

// TestLostDialWaitsForTheAccepted: a dial that lost a simultaneous
// connect returns the connection the peer made to this node.
func TestLostDialWaitsForTheAccepted(t *testing.T) {
	p := newPeers(t, &peertest.Recorder{})
	in := newMember("in")
	var calls atomic.Int32
	lost := func() (*member, error) {
		s, err := p.Admit(kate, func(*peer.Slot[*member]) error { return nil })
		if err != nil {
			t.Errorf("Admit: %v", err)
			return nil, err
		}
		go func() {
			if err := p.Accepted(s, in); err != nil {
				t.Errorf("Accepted: %v", err)
			}
		}()
		return nil, errLost
	}
	got, err := p.Dial(testkit.Ctx(t, testkit.Wait), kate, "127.0.0.1:1", dialer(&calls, lost))
	if err != nil || got != in {
		t.Fatalf("Dial = %p, %v; want the accepted %p", got, err, in)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("dialled %d times, want once", n)
	}
}

// TestAdmit: what decide sees, a refusal leaving nothing behind, and an
// accepted connection replacing the old one.
func TestAdmit(t *testing.T) {
	p := newPeers(t, &peertest.Recorder{})
	errNo := errors.New("no")
	if _, err := p.Admit(kate, func(*peer.Slot[*member]) error { return errNo }); !errors.Is(err, errNo) {
		t.Fatalf("refusing Admit = %v", err)
	}
	s, err := p.Admit(kate, func(s *peer.Slot[*member]) error {
		if _, ok := s.Conn(); ok || s.Dialing() || s.Accepting() {
			t.Errorf("a fresh slot: conn %v, dialing %v, accepting %v", ok, s.Dialing(), s.Accepting())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Admit(kate, func(s *peer.Slot[*member]) error {
		if !s.Accepting() {
			t.Error("a second handshake does not see the first")
		}
		return errNo
	}); !errors.Is(err, errNo) {
		t.Fatal(err)
	}
	old := newMember("in")
	if err := p.Accepted(s, old); err != nil {
		t.Fatal(err)
	}
	s, err = p.Admit(kate, func(s *peer.Slot[*member]) error {
		if c, ok := s.Live(); !ok || c != old {
			t.Errorf("Live = %p, %v; want the old connection", c, ok)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c := newMember("in")
	if err := p.Accepted(s, c); err != nil {
		t.Fatal(err)
	}
	if old.hungUp() != "replaced by a new connection" {
		t.Errorf("the old connection was hung up for %q", old.hungUp())
	}
	testkit.WaitFor(t, testkit.Wait, "the old connection forgotten", func() bool { return len(p.Links()) == 1 })
	if live, _ := p.Live(kate); live != c {
		t.Errorf("Live = %p, want the new %p", live, c)
	}
}

func TestClose(t *testing.T) {
	var r peertest.Recorder
	p := newPeers(t, &r)
	c := newMember("out")
	var calls atomic.Int32
	if _, err := p.Dial(testkit.Ctx(t, testkit.Wait), kate, "127.0.0.1:1", dialer(&calls, func() (*member, error) { return c, nil })); err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{})
	if !p.Go(func(ctx context.Context) { <-ctx.Done(); close(ran) }) {
		t.Fatal("Go refused before Close")
	}
	if err := p.Check(testkit.Ctx(t, testkit.Wait)); err != nil {
		t.Fatal(err)
	}
	p.Close()
	<-ran
	if c.hungUp() != "node shutting down" || c.farewells.Load() != 1 {
		t.Errorf("hung up for %q after %d farewells", c.hungUp(), c.farewells.Load())
	}
	r.WaitFor(t, "down fake out kate@localhost closed")
	if _, err := p.Dial(testkit.Ctx(t, testkit.Wait), kate, "127.0.0.1:1", dialer(&calls, nil)); !errors.Is(err, peer.ErrShutdown) {
		t.Errorf("Dial after Close = %v", err)
	}
	if _, err := p.Admit(kate, func(*peer.Slot[*member]) error { return nil }); !errors.Is(err, peer.ErrShutdown) {
		t.Errorf("Admit after Close = %v", err)
	}
	if p.Go(func(context.Context) {}) {
		t.Error("Go ran after Close")
	}
	p.Close() // again
}

// TestDialHandshake: the dial's and the handshake's failures, and a
// handshake the deadline cuts short.
func TestDialHandshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held sync.WaitGroup // the accept loop and the connections, which say nothing
	defer held.Wait()
	defer ln.Close()
	held.Add(1)
	go func() {
		defer held.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held.Add(1)
			go func() { defer held.Done(); _, _ = c.Read(make([]byte, 1)); c.Close() }()
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	var d net.Dialer
	read := func(_ context.Context, nc net.Conn) (net.Conn, error) {
		_, err := nc.Read(make([]byte, 1))
		return nil, err
	}
	errBad := errors.New("bad bytes")
	tests := []struct {
		name      string
		addr      string
		handshake func(context.Context, net.Conn) (net.Conn, error)
		want      error
		text      string
	}{
		{"refused", closedAddr, read, peer.ErrRefused, "dial " + closedAddr},
		{"handshake fails", ln.Addr().String(), func(context.Context, net.Conn) (net.Conn, error) { return nil, errBad }, errBad, "handshake with kate"},
		{"handshake times out", ln.Addr().String(), read, peer.ErrTimeout, "handshake with kate: timed out after 200ms"},
		{"handshake succeeds", ln.Addr().String(), func(_ context.Context, nc net.Conn) (net.Conn, error) { return nc, nil }, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nc, err := peer.DialHandshake(testkit.Ctx(t, testkit.Wait), d.DialContext, tc.addr, "kate", 200*time.Millisecond, tc.handshake)
			if tc.want == nil {
				if err != nil || nc == nil {
					t.Fatalf("DialHandshake = %v, %v", nc, err)
				}
				if dl := nc.SetReadDeadline(time.Time{}); dl != nil {
					t.Errorf("the connection is unusable: %v", dl)
				}
				nc.Close()
				return
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("DialHandshake error %v, want %v saying %q", err, tc.want, tc.text)
			}
		})
	}
}
