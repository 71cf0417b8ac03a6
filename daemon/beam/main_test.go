package beam

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/daemon/peer"
	"chatd/internal/testkit"
	"chatd/internal/testlog"
	"chatd/wire"
	"chatd/wire/dist"
	"chatd/wire/etf"
)

func TestMain(m *testing.M) { testkit.Main(m) }

const testCookie = "secret"

var (
	alex = wire.NodeName{Name: "alex", Host: "localhost"}
	kate = wire.NodeName{Name: "kate", Host: "localhost"}
)

// fakeLocal is alex's core: it runs receive_message and echo, and records
// the messages for its processes. (The BEAM protocol runs calls with
// RunCall only: StartCall is left to the nil peer.Local.)
type fakeLocal struct {
	peer.Local
	mu        sync.Mutex
	calls     []wire.Call    // guarded by mu
	callers   []string       // guarded by mu
	delivered []wire.PidSend // guarded by mu
	block     chan struct{}  // when set, calls wait for it (or their ctx)
}

func (l *fakeLocal) Self() wire.NodeName { return alex }

func (l *fakeLocal) RunCall(ctx context.Context, caller wire.NodeName, c wire.Call) (string, error) {
	if c.Function != "receive_message" && c.Function != "echo" {
		return "", wire.Errorf(wire.CodeNotFound, "unknown function %q", c.Function)
	}
	l.mu.Lock()
	l.calls = append(l.calls, c)
	l.callers = append(l.callers, caller.String())
	block := l.block
	l.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return "", wire.Errorf(wire.CodeTimeout, "cancelled")
		}
	}
	return strings.Join(c.Args, " "), nil
}

func (l *fakeLocal) StartProcess(wire.NodeName, wire.Spawn, func(string)) (peer.Process, error) {
	return nil, wire.Errorf(wire.CodeNotFound, "no processes here")
}

func (l *fakeLocal) Deliver(from, to wire.Pid, text string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.delivered = append(l.delivered, wire.PidSend{From: from, To: to, Text: text})
	return nil
}

func (l *fakeLocal) recorded() ([]wire.Call, []string, []wire.PidSend) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]wire.Call(nil), l.calls...), append([]string(nil), l.callers...), append([]wire.PidSend(nil), l.delivered...)
}

// node is alex: a Manager serving connections on a loopback listener.
type node struct {
	m     *Manager
	local *fakeLocal
	addr  string
}

// startNode starts alex; every opt may change the config first.
func startNode(t *testing.T, opts ...func(*Config)) *node {
	t.Helper()
	local := &fakeLocal{}
	cfg := Config{Self: alex, Cookie: testCookie, Creation: 0x6b103003, TickTime: 4 * time.Second,
		HandshakeTimeout: 2 * time.Second, Local: local, Logger: testlog.New(t)}
	for _, o := range opts {
		o(&cfg)
	}
	m := NewManager(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); m.Accept(context.Background(), c) }()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		_ = m.Close()
		wg.Wait()
	})
	return &node{m: m, local: local, addr: ln.Addr().String()}
}

// fake is a scripted BEAM node, kate, connected to alex.
type fake struct {
	t    *testing.T
	nc   net.Conn
	self etf.Atom
	cre  uint32
	buf  []byte
}

// dialRaw opens a plain connection to alex, closed when the test ends.
func dialRaw(t *testing.T, n *node) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", n.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(testkit.Wait))
	return nc
}

// connect runs kate's side of the handshake (as the initiator) with cookie.
func connect(t *testing.T, n *node, cookie string) (*fake, error) {
	t.Helper()
	nc := dialRaw(t, n)
	f := &fake{t: t, nc: nc, self: "kate@localhost", cre: 0x6b103004}
	if err := dist.WriteHandshake(nc, dist.SendName{Flags: dist.OTP25Published &^ (dist.FlagDistHdrAtomCache | dist.FlagFragments), Creation: f.cre, Name: string(f.self)}); err != nil {
		return nil, err
	}
	st, err := dist.ReadStatus(nc)
	if err != nil || st != dist.StatusOK {
		return nil, errors.Join(err, errors.New("status "+string(st)))
	}
	ch, err := dist.ReadChallenge(nc)
	if err != nil {
		return nil, err
	}
	if ch.Name != "alex@localhost" || ch.Creation != 0x6b103003 {
		t.Errorf("challenge from %q creation %#x", ch.Name, ch.Creation)
	}
	mine := dist.NewChallenge()
	if err := dist.WriteHandshake(nc, dist.ChallengeReply{Challenge: mine, Digest: dist.Digest(cookie, ch.Challenge)}); err != nil {
		return nil, err
	}
	ack, err := dist.ReadChallengeAck(nc)
	if err != nil {
		return nil, err
	}
	if !dist.VerifyDigest(cookie, mine, ack.Digest) {
		t.Error("alex's digest does not verify")
	}
	return f, nil
}

// mustConnect is connect that fails the test.
func mustConnect(t *testing.T, n *node) *fake {
	t.Helper()
	f, err := connect(t, n, testCookie)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	// alex installs the connection after it sent the ack kate just read.
	testkit.WaitFor(t, testkit.Wait, "alex to install kate's connection", func() bool { return n.m.live(kate) != nil })
	return f
}

// pid is one of kate's pids.
func (f *fake) pid(id uint32) etf.Pid { return etf.Pid{Node: f.self, ID: id, Creation: f.cre} }

// ref is one of kate's references.
func (f *fake) ref(id uint32) etf.Ref {
	r, _ := etf.NewRef(f.self, f.cre, id, 1, 2)
	return r
}

// send writes one frame.
func (f *fake) send(c dist.Control, msg etf.Term) {
	f.t.Helper()
	b, err := dist.AppendFrame(nil, c, msg)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.nc.Write(b); err != nil {
		f.t.Fatal(err)
	}
}

// recv reads the next frame that is not a tick, and its message.
func (f *fake) recv() (dist.Control, etf.Term) {
	f.t.Helper()
	for {
		body, err := dist.ReadFrame(f.nc, 0, f.buf)
		if err != nil {
			f.t.Fatalf("kate reads: %v", err)
		}
		if len(body) == 0 {
			continue
		}
		fr, err := dist.ParseFrame(body, etf.Decoder{})
		if err != nil {
			f.t.Fatalf("kate parses: %v", err)
		}
		var msg etf.Term
		if fr.Payload != nil {
			if msg, err = fr.Message(etf.Decoder{}); err != nil {
				f.t.Fatal(err)
			}
		}
		return fr.Control, msg
	}
}

// expect reads the next frame and checks its operation.
func (f *fake) expect(op dist.Op) (dist.Control, etf.Term) {
	f.t.Helper()
	c, msg := f.recv()
	if c.Op() != op {
		f.t.Fatalf("kate got %s %s, want %s", c.Op(), etf.Inspect(c.Tuple()), op)
	}
	return c, msg
}
