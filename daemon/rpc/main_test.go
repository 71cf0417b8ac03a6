package rpc

import (
	"chatd/internal/testlog"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"chatd/daemon/link"
	"chatd/daemon/task"
	"chatd/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testWait bounds every wait in these tests; it is a guard, never a clock.
const testWait = 10 * time.Second

const testCookie = "secret-cookie-0123456789"

// staticResolver maps node names to addresses (copied from the link
// package's tests).
type staticResolver struct {
	mu    sync.Mutex
	addrs map[wire.NodeName]string // guarded by mu
}

func newResolver() *staticResolver { return &staticResolver{addrs: map[wire.NodeName]string{}} }

func (r *staticResolver) set(n wire.NodeName, addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addrs[n] = addr
}

func (r *staticResolver) Resolve(_ context.Context, n wire.NodeName) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a, ok := r.addrs[n]; ok {
		return a, nil
	}
	return "", link.ErrNotRegistered
}

func mustName(t testing.TB, s string) wire.NodeName {
	t.Helper()
	n, err := wire.ParseNodeName(s, "")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func testLogger(t testing.TB) *slog.Logger { return testlog.New(t) }

// testNode is a link manager serving calls on its own supervisor.
type testNode struct {
	name     wire.NodeName
	mgr      *link.Manager
	sup      *task.Supervisor
	ln       net.Listener
	served   chan struct{} // closed when Serve returns
	stopOnce sync.Once
}

// startNode starts a node listening on loopback whose supervisor runs at
// most maxRunning tasks (0: no limit), registers it with r and stops it
// when the test ends.
func startNode(t *testing.T, r *staticResolver, name string, maxRunning int) *testNode {
	t.Helper()
	n := mustName(t, name)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := testLogger(t).With("node", name)
	sup := task.New(task.Config{MaxRunning: maxRunning, Logger: log})
	srv := &Server{Sup: sup, Prepare: testPrepare, Log: log}
	mgr := link.NewManager(link.Config{
		Self: n, Cookie: []byte(testCookie), Tick: time.Second, HandshakeTimeout: 2 * time.Second,
		MaxFrame: wire.DefaultMaxFrame, MaxStreams: 64, Resolver: r, Logger: log,
		Handlers: map[wire.StreamKind]link.StreamHandler{wire.KindCalls: srv.Handle},
	})
	tn := &testNode{name: n, mgr: mgr, sup: sup, ln: ln, served: make(chan struct{})}
	go func() {
		defer close(tn.served)
		_ = mgr.Serve(ln)
	}()
	r.set(n, ln.Addr().String())
	t.Cleanup(func() { tn.stop(t) })
	return tn
}

// stop closes the node's listener, links and supervisor; it is idempotent.
func (tn *testNode) stop(t *testing.T) {
	tn.stopOnce.Do(func() {
		_ = tn.ln.Close()
		<-tn.served
		_ = tn.mgr.Close()
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		if err := tn.sup.Close(ctx); err != nil {
			t.Errorf("close %s's supervisor: %v", tn.name, err)
		}
	})
}

var errBadThing = errors.New("bad thing")

// testPrepare is the Preparer of every test node: a few small functions
// instead of the builtins.
func testPrepare(caller wire.NodeName, c wire.Call) (task.Spec, wire.ResultStatus, error) {
	var run task.Func
	switch c.Function {
	case "echo":
		run = func(context.Context) (string, error) { return strings.Join(c.Args, " "), nil }
	case "caller":
		run = func(context.Context) (string, error) { return caller.String(), nil }
	case "block": // until cancelled
		run = func(ctx context.Context) (string, error) {
			<-ctx.Done()
			return "", ctx.Err()
		}
	case "panic":
		run = func(context.Context) (string, error) { panic("boom") }
	case "fail":
		run = func(context.Context) (string, error) { return "", errBadThing }
	case "picky":
		return task.Spec{}, wire.ResultBadRequest, errors.New("picky takes no arguments")
	default:
		return task.Spec{}, wire.ResultUnknownFunction, fmt.Errorf("unknown function %q", c.Function)
	}
	return task.Spec{Function: c.Function, Args: c.Args, Caller: caller.String(), Run: run}, wire.ResultOK, nil
}

// pair is alex calling kate through a Pool.
type pair struct {
	r          *staticResolver
	alex, kate *testNode
	pool       *Pool
}

// newPair starts alex and kate (whose supervisor runs at most maxRunning
// tasks) and a pool for alex's calls, closed before the nodes stop.
func newPair(t *testing.T, maxRunning int) *pair {
	t.Helper()
	r := newResolver()
	p := &pair{
		r:    r,
		alex: startNode(t, r, "alex@localhost", 0),
		kate: startNode(t, r, "kate@localhost", maxRunning),
		pool: NewPool(wire.DefaultMaxFrame),
	}
	t.Cleanup(p.pool.Close)
	return p
}

// client returns the pool's client for alex's link to kate.
func (p *pair) client(t *testing.T) *Client {
	t.Helper()
	ctx := ctxT(t, testWait)
	l, err := p.alex.mgr.Link(ctx, p.kate.name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.pool.Get(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// call makes one call from alex to kate with a testWait timeout.
func (p *pair) call(t *testing.T, fn string, args ...string) (string, error) {
	t.Helper()
	return p.client(t).Call(ctxT(t, testWait), wire.Call{Function: fn, Args: args, Timeout: testWait})
}

// size is the number of clients the pool holds.
func (p *Pool) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.clients)
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// countTasks counts the tasks running or kept in sup's history that ran fn
// and are in state.
func countTasks(sup *task.Supervisor, fn, state string) int {
	n := 0
	for _, ti := range sup.List(true) {
		if ti.Function == fn && ti.State == state {
			n++
		}
	}
	return n
}
