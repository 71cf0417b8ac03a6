package peer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/internal/testkit"
	"chatd/wire"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// fakeProtocol records what the router asks of it.
type fakeProtocol struct {
	name string

	mu       sync.Mutex
	conns    map[wire.NodeName]Conn // guarded by mu
	dialled  []string               // guarded by mu: "node addr"
	accepted [][]byte               // guarded by mu: the first bytes of each accepted conn
}

func newFake(name string) *fakeProtocol {
	return &fakeProtocol{name: name, conns: map[wire.NodeName]Conn{}}
}

func (p *fakeProtocol) Name() string { return p.name }

func (p *fakeProtocol) Conn(node wire.NodeName) (Conn, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.conns[node]
	return c, ok
}

func (p *fakeProtocol) Dial(_ context.Context, node wire.NodeName, addr string) (Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dialled = append(p.dialled, node.String()+" "+addr)
	return nil, &ConnectError{Node: node, Err: ErrRefused}
}

func (p *fakeProtocol) Accept(_ context.Context, conn net.Conn) {
	defer conn.Close()
	b := make([]byte, 5)
	n, _ := io.ReadFull(conn, b)
	p.mu.Lock()
	p.accepted = append(p.accepted, b[:n])
	p.mu.Unlock()
}

func (p *fakeProtocol) Links() []wire.LinkInfo                { return nil }
func (p *fakeProtocol) Disconnect(wire.NodeName, string) bool { return false }
func (p *fakeProtocol) Check(context.Context) error           { return nil }
func (p *fakeProtocol) Close() error                          { return nil }
func (p *fakeProtocol) record() ([]string, [][]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.dialled...), append([][]byte(nil), p.accepted...)
}

// mapResolver answers lookups from a map.
type mapResolver map[string]Endpoint

func (r mapResolver) Resolve(_ context.Context, n wire.NodeName) (Endpoint, error) {
	if ep, ok := r[n.Name]; ok {
		return ep, nil
	}
	return Endpoint{}, ErrNotRegistered
}

// TestProtocolForPeer checks the one rule that picks a peer's protocol:
// Extra "chatd/1" is chatd's, anything else Erlang distribution's.
func TestProtocolForPeer(t *testing.T) {
	chatd, erlang := newFake("chatd"), newFake("erlang")
	res := mapResolver{
		"kate":  {Addr: "127.0.0.1:1001", Extra: []byte(wire.ChatdExtra)},
		"iex":   {Addr: "127.0.0.1:1002"},
		"other": {Addr: "127.0.0.1:1003", Extra: []byte("something/2")},
	}
	r := NewRouter(RouterConfig{Self: wire.NodeName{Name: "alex", Host: "localhost"}, Chatd: chatd, Erlang: erlang, Resolver: res, LookupTimeout: time.Second})
	ctx := context.Background()
	for _, name := range []string{"kate", "iex", "other"} {
		if _, err := r.Conn(ctx, wire.NodeName{Name: name, Host: "localhost"}); !errors.Is(err, ErrRefused) {
			t.Fatalf("Conn(%s) = %v, want the fake's refusal", name, err)
		}
	}
	if d, _ := chatd.record(); len(d) != 1 || d[0] != "kate@localhost 127.0.0.1:1001" {
		t.Errorf("chatd dialled %q", d)
	}
	if d, _ := erlang.record(); len(d) != 2 || d[0] != "iex@localhost 127.0.0.1:1002" || d[1] != "other@localhost 127.0.0.1:1003" {
		t.Errorf("erlang dialled %q", d)
	}
	if _, err := r.Conn(ctx, wire.NodeName{Name: "alex", Host: "localhost"}); !errors.Is(err, ErrSelf) {
		t.Errorf("Conn(self) = %v, want ErrSelf", err)
	}
	_, err := r.Conn(ctx, wire.NodeName{Name: "nobody", Host: "localhost"})
	if ce, ok := errors.AsType[*ConnectError](err); !ok || !errors.Is(err, ErrNotRegistered) || wire.CodeOf(ce) != wire.CodeNoConnection {
		t.Errorf("Conn(nobody) = %v, want a no_connection ConnectError wrapping ErrNotRegistered", err)
	}

	onlyChatd := NewRouter(RouterConfig{Self: wire.NodeName{Name: "alex", Host: "localhost"}, Chatd: newFake("chatd"), Resolver: res, LookupTimeout: time.Second})
	_, err = onlyChatd.Conn(ctx, wire.NodeName{Name: "iex", Host: "localhost"})
	if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), "not a chatd node") {
		t.Errorf("Conn(iex) without Erlang distribution = %v", err)
	}
}

// TestListenerSniffs hands each incoming connection to the protocol its
// first bytes belong to, with those bytes still to read.
func TestListenerSniffs(t *testing.T) {
	chatd, erlang := newFake("chatd"), newFake("erlang")
	r := NewRouter(RouterConfig{Self: wire.NodeName{Name: "alex", Host: "localhost"}, Chatd: chatd, Erlang: erlang, Resolver: mapResolver{}, LookupTimeout: time.Second})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := NewListener(r, time.Second, discard())
	served := make(chan error, 1)
	go func() { served <- l.Serve(ln) }()
	for _, first := range [][]byte{
		{0x00, 0x4b, 0x01, 0xaa, 0xbb}, // chatd Hello
		{0x16, 0x03, 0x01, 0x00, 0x10}, // TLS ClientHello
		{0x00, 0x1d, 'N', 0x00, 0x00},  // Erlang send_name
	} {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(first); err != nil {
			t.Fatal(err)
		}
		// The protocol closes the connection once it has read it.
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = c.Read(make([]byte, 1))
		c.Close()
	}
	// A connection that sends too little in time is closed unclaimed.
	short, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = short.Write([]byte{0x00})
	_ = short.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := short.Read(make([]byte, 1)); err == nil {
		t.Error("a two-byte-short connection got an answer")
	}
	short.Close()
	_ = ln.Close()
	if err := <-served; err != nil {
		t.Fatalf("Serve = %v after the listener closed", err)
	}
	l.Close()
	if _, got := chatd.record(); len(got) != 2 || got[0][2] != 0x01 || got[1][0] != 0x16 || len(got[0]) != 5 {
		t.Errorf("chatd got %x", got)
	}
	if _, got := erlang.record(); len(got) != 1 || got[0][2] != 'N' || len(got[0]) != 5 {
		t.Errorf("erlang got %x", got)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// deadlineProtocol records the deadline of the context its Accept gets.
type deadlineProtocol struct {
	fakeProtocol
	deadline chan time.Time // zero: none
}

func (p *deadlineProtocol) Accept(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	d, _ := ctx.Deadline()
	p.deadline <- d
}

// signalListener reports, on accepted, when each Accept returned, and on
// reading, when the node first reads from a connection it accepted.
type signalListener struct {
	net.Listener
	accepted chan time.Time
	reading  chan struct{}
}

func (l signalListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.accepted <- time.Now()
	return &firstReadConn{Conn: c, reading: l.reading}, nil
}

// firstReadConn closes reading when its first Read starts.
type firstReadConn struct {
	net.Conn
	once    sync.Once
	reading chan struct{}
}

func (c *firstReadConn) Read(p []byte) (int, error) {
	c.once.Do(func() { close(c.reading) })
	return c.Conn.Read(p)
}

// TestListenerHandshakeDeadlineFromAccept: the handshake timeout runs from
// the accept, reading the first bytes included: a peer that sends them
// late gets no fresh timeout for the rest of its handshake.
func TestListenerHandshakeDeadlineFromAccept(t *testing.T) {
	const timeout = time.Minute
	chatd := &deadlineProtocol{fakeProtocol: *newFake("chatd"), deadline: make(chan time.Time, 1)}
	r := NewRouter(RouterConfig{Self: wire.NodeName{Name: "alex", Host: "localhost"}, Chatd: chatd, Resolver: mapResolver{}, LookupTimeout: time.Second})
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := signalListener{Listener: inner, accepted: make(chan time.Time, 1), reading: make(chan struct{})}
	l := NewListener(r, timeout, discard())
	served := make(chan error, 1)
	go func() { served <- l.Serve(ln) }()
	defer func() {
		_ = ln.Close()
		<-served
		l.Close()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	accepted := <-ln.accepted
	<-ln.reading       // the node waits for the first bytes
	sent := time.Now() // so they come later than the accept
	if _, err := c.Write([]byte{0x00, 0x4b, 0x01}); err != nil {
		t.Fatal(err)
	}
	d := <-chatd.deadline
	if d.IsZero() {
		t.Fatal("the protocol's Accept got no handshake deadline")
	}
	if start := d.Add(-timeout); start.Before(accepted) || !start.Before(sent) {
		t.Errorf("the handshake's %s ran from %s, want from the accept at %s (the first bytes came at %s)",
			timeout, start.Format(time.StampMicro), accepted.Format(time.StampMicro), sent.Format(time.StampMicro))
	}
}
