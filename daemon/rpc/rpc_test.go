package rpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/daemon/link"
	"chatd/wire"
)

func TestCallResults(t *testing.T) {
	p := newPair(t, 0)
	for _, tc := range []struct {
		name       string
		fn         string
		args       []string
		want       string            // on success
		wantStatus wire.ResultStatus // else
		wantErr    string            // the CallError's text
	}{
		{"echo", "echo", []string{"a", "", "b c"}, "a  b c", wire.ResultOK, ""},
		{"echo nothing", "echo", nil, "", wire.ResultOK, ""},
		{"the caller is the linked node", "caller", nil, "alex@localhost", wire.ResultOK, ""},
		{"function error", "fail", nil, "", wire.ResultFailed, "kate@localhost: fail: bad thing"},
		{"panic", "panic", nil, "", wire.ResultPanic, "kate@localhost: panic: panic: boom"},
		{"unknown function", "nope", nil, "", wire.ResultUnknownFunction, `kate@localhost: unknown function "nope"`},
		{"refused by the preparer", "picky", []string{"x"}, "", wire.ResultBadRequest, "kate@localhost: picky: picky takes no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.call(t, tc.fn, tc.args...)
			if tc.wantStatus == wire.ResultOK {
				if err != nil || got != tc.want {
					t.Fatalf("call %s = %q, %v; want %q", tc.fn, got, err, tc.want)
				}
				return
			}
			var ce *CallError
			if !errors.As(err, &ce) {
				t.Fatalf("call %s = %q, %v; want a *CallError", tc.fn, got, err)
			}
			if ce.Status != tc.wantStatus || ce.Node != p.kate.name || ce.Function != tc.fn {
				t.Errorf("CallError = %+v, want status %v from %s running %s", ce, tc.wantStatus, p.kate.name, tc.fn)
			}
			if err.Error() != tc.wantErr {
				t.Errorf("error = %q, want %q", err, tc.wantErr)
			}
			var lce *link.ConnectError
			if errors.As(err, &lce) {
				t.Errorf("a task failure is also a ConnectError: %v", err)
			}
		})
	}
	if n := p.pool.size(); n != 1 {
		t.Fatalf("the pool holds %d clients after calls over one link, want 1", n)
	}
}

func TestCallErrorText(t *testing.T) {
	kate := mustName(t, "kate@localhost")
	for _, tc := range []struct {
		name string
		err  *CallError
		want string
	}{
		{"failed names the function", &CallError{kate, "fail", wire.ResultFailed, "bad thing"}, "kate@localhost: fail: bad thing"},
		{"panic names the function", &CallError{kate, "crash", wire.ResultPanic, "panic: boom"}, "kate@localhost: crash: panic: boom"},
		{"timeout says it itself", timeoutError(kate, "sleep", 1500*time.Microsecond), "kate@localhost: sleep timed out after 2ms (the task was cancelled)"},
		{"overloaded", &CallError{kate, "echo", wire.ResultOverloaded, "overloaded: 10 tasks running"}, "kate@localhost: overloaded: 10 tasks running"},
		{"unknown", &CallError{kate, "nope", wire.ResultUnknownFunction, `unknown function "nope"`}, `kate@localhost: unknown function "nope"`},
		{"empty value says the status", resultError(kate, "x", wire.Result{Status: wire.ResultCancelled}), "kate@localhost: x: cancelled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Fatalf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestConcurrentCalls multiplexes many calls on the one stream: every
// caller must get its own result back.
func TestConcurrentCalls(t *testing.T) {
	const goroutines, calls = 16, 200
	p := newPair(t, 0)
	c := p.client(t)
	errs := make(chan error, calls)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < calls; i += goroutines {
				want := fmt.Sprintf("call %d from %d", i, g)
				got, err := c.Call(context.Background(), wire.Call{Function: "echo", Args: strings.Fields(want), Timeout: testWait})
				if err == nil && got != want {
					err = fmt.Errorf("call %d got %q, want %q", i, got, want)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := countTasks(p.kate.sup, "echo", wire.TaskOK); n != calls {
		t.Fatalf("kate ran %d echo tasks, want %d", n, calls)
	}
	if p.pool.size() != 1 {
		t.Fatalf("the pool holds %d clients, want 1", p.pool.size())
	}
}

func TestCallTimeoutCancelsRemoteTask(t *testing.T) {
	p := newPair(t, 0)
	c := p.client(t)
	const timeout = 200 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	got, err := c.Call(ctx, wire.Call{Function: "block", Timeout: timeout})
	took := time.Since(start)
	var ce *CallError
	if !errors.As(err, &ce) || ce.Status != wire.ResultTimeout {
		t.Fatalf("call = %q, %v; want a timeout CallError", got, err)
	}
	if !strings.Contains(err.Error(), "block timed out after") || !strings.Contains(err.Error(), "(the task was cancelled)") {
		t.Errorf("error %q does not say the task timed out and was cancelled", err)
	}
	if took < timeout || took > testWait/2 {
		t.Errorf("the call returned after %s, want right after its %s timeout", took, timeout)
	}
	waitFor(t, testWait, "kate's block task to end cancelled", func() bool {
		return countTasks(p.kate.sup, "block", wire.TaskCancelled) == 1
	})
	if n := p.kate.sup.Running(); n != 0 {
		t.Fatalf("%d tasks still running on kate", n)
	}
	// The stream is still good, and the cancelled task's late result (if
	// any) is not taken for the next call's.
	if got, err := p.call(t, "echo", "after"); err != nil || got != "after" {
		t.Fatalf("echo after the timeout = %q, %v", got, err)
	}
}

func TestCallCancelledByCaller(t *testing.T) {
	p := newPair(t, 0)
	c := p.client(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Call(ctx, wire.Call{Function: "block", Timeout: testWait})
		done <- err
	}()
	waitFor(t, testWait, "the block task to start on kate", func() bool { return p.kate.sup.Running() == 1 })
	cancel()
	select {
	case err := <-done:
		var ce *CallError
		if !errors.Is(err, context.Canceled) || errors.As(err, &ce) {
			t.Fatalf("cancelled call = %v, want context.Canceled and no CallError", err)
		}
	case <-time.After(testWait):
		t.Fatal("the cancelled call did not return")
	}
	waitFor(t, testWait, "kate's block task to end cancelled", func() bool {
		return countTasks(p.kate.sup, "block", wire.TaskCancelled) == 1
	})
}

func TestOverloaded(t *testing.T) {
	p := newPair(t, 1)
	c := p.client(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	blocked := make(chan error, 1)
	go func() {
		_, err := c.Call(ctx, wire.Call{Function: "block", Timeout: testWait})
		blocked <- err
	}()
	waitFor(t, testWait, "the block task to fill kate's supervisor", func() bool { return p.kate.sup.Running() == 1 })

	got, err := p.call(t, "echo", "hi")
	var ce *CallError
	if !errors.As(err, &ce) || ce.Status != wire.ResultOverloaded {
		t.Fatalf("call at max_running = %q, %v; want an overloaded CallError", got, err)
	}
	if !strings.Contains(err.Error(), "overloaded") || !strings.Contains(err.Error(), "1 tasks running") {
		t.Errorf("error %q does not say why", err)
	}

	cancel()
	select {
	case <-blocked:
	case <-time.After(testWait):
		t.Fatal("the blocking call did not return once cancelled")
	}
	waitFor(t, testWait, "kate's supervisor to drain", func() bool { return p.kate.sup.Running() == 0 })
	if got, err := p.call(t, "echo", "hi"); err != nil || got != "hi" {
		t.Fatalf("echo once a slot is free = %q, %v", got, err)
	}
}

// TestPeerDownFailsPendingCalls stops kate while calls to her are pending:
// each fails at once with "no connection", long before its timeout, and
// the pool drops the dead client so a call after kate is back works.
func TestPeerDownFailsPendingCalls(t *testing.T) {
	const pending = 8
	p := newPair(t, 0)
	c := p.client(t)
	errs := make(chan error, pending)
	ctx := ctxT(t, time.Minute) // the calls' own timeout, far beyond the wait below
	for range pending {
		go func() {
			_, err := c.Call(ctx, wire.Call{Function: "block", Timeout: time.Minute})
			errs <- err
		}()
	}
	waitFor(t, testWait, "the calls to run on kate", func() bool { return p.kate.sup.Running() == pending })

	start := time.Now()
	p.kate.stop(t)
	for i := range pending {
		select {
		case err := <-errs:
			var ce *link.ConnectError
			if !errors.As(err, &ce) || !errors.Is(err, link.ErrLinkDown) || ce.Node != p.kate.name {
				t.Errorf("pending call %d = %v, want a ConnectError for kate wrapping ErrLinkDown", i, err)
			}
		case <-time.After(testWait):
			t.Fatalf("only %d of %d pending calls returned after kate went down", i, pending)
		}
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("pending calls took %s to fail, want at once", took)
	}
	select {
	case <-c.Done():
	default:
		t.Error("the client's Done is open after its stream died")
	}
	if _, err := c.Call(context.Background(), wire.Call{Function: "echo", Timeout: testWait}); !errors.Is(err, link.ErrLinkDown) {
		t.Errorf("a call on the dead client = %v, want ErrLinkDown", err)
	}
	waitFor(t, testWait, "the pool to drop the dead client", func() bool { return p.pool.size() == 0 })

	p.kate = startNode(t, p.r, "kate@localhost", 0)
	got, err := p.call(t, "echo", "back")
	if err != nil || got != "back" {
		t.Fatalf("echo after kate came back = %q, %v", got, err)
	}
	if p.client(t) == c {
		t.Fatal("the pool still hands out the dead client")
	}
}

// TestPoolClose closes the pool with a call pending: the call fails as a
// dead link, the pool refuses new clients, and goleak (TestMain) proves
// that Close waited for the readers.
func TestPoolClose(t *testing.T) {
	p := newPair(t, 0)
	c := p.client(t)
	errc := make(chan error, 1)
	ctx := ctxT(t, time.Minute)
	go func() {
		_, err := c.Call(ctx, wire.Call{Function: "block", Timeout: time.Minute})
		errc <- err
	}()
	waitFor(t, testWait, "the call to run on kate", func() bool { return p.kate.sup.Running() == 1 })

	p.pool.Close()
	select {
	case <-c.Done():
	default:
		t.Fatal("Close returned before the client's reader ended")
	}
	if n := p.pool.size(); n != 0 {
		t.Errorf("the pool holds %d clients after Close", n)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, link.ErrLinkDown) {
			t.Errorf("pending call = %v, want ErrLinkDown", err)
		}
	case <-time.After(testWait):
		t.Fatal("the pending call did not return after Close")
	}
	// Kate sees the stream end and cancels its task.
	waitFor(t, testWait, "kate to cancel the orphaned task", func() bool {
		return countTasks(p.kate.sup, "block", wire.TaskCancelled) == 1
	})

	l, err := p.alex.mgr.Link(ctxT(t, testWait), p.kate.name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.pool.Get(ctxT(t, testWait), l); !errors.Is(err, link.ErrShutdown) {
		t.Fatalf("Get after Close = %v, want ErrShutdown", err)
	}
	p.pool.Close() // idempotent
}

func TestPoolOneClientPerLink(t *testing.T) {
	p := newPair(t, 0)
	c1 := p.client(t)
	if c2 := p.client(t); c2 != c1 {
		t.Fatal("a second Get on the same link opened another client")
	}
	if !p.alex.mgr.Disconnect(p.kate.name) {
		t.Fatal("no link to disconnect")
	}
	select {
	case <-c1.Done():
	case <-time.After(testWait):
		t.Fatal("the client outlived its link")
	}
	waitFor(t, testWait, "the pool to drop the client", func() bool { return p.pool.size() == 0 })
	c3 := p.client(t)
	if c3 == c1 {
		t.Fatal("the pool handed out the client of the old link")
	}
	if got, err := p.call(t, "echo", "relinked"); err != nil || got != "relinked" {
		t.Fatalf("echo on the new link = %q, %v", got, err)
	}
}

// TestServerDropsBadStreams writes frames the protocol does not allow on
// a raw calls stream: the server must end the stream, not guess.
func TestServerDropsBadStreams(t *testing.T) {
	p := newPair(t, 0)
	l, err := p.alex.mgr.Link(ctxT(t, testWait), p.kate.name)
	if err != nil {
		t.Fatal(err)
	}
	echo := wire.AppendCall(nil, wire.Call{ID: 42, Function: "echo", Args: []string{"ok"}})
	for _, tc := range []struct {
		name    string
		frames  []wire.Frame
		results int // results to read before the stream ends
	}{
		{"malformed call", []wire.Frame{{Type: wire.FrameCall, Payload: []byte("\x00\x01")}}, 0},
		{"malformed cancel", []wire.Frame{{Type: wire.FrameCancel, Payload: []byte("\x00")}}, 0},
		{"result from the caller", []wire.Frame{{Type: wire.FrameResult, Payload: wire.AppendResult(nil, wire.Result{ID: 1})}}, 0},
		{"ping on a calls stream", []wire.Frame{{Type: wire.FramePing, Payload: []byte("x")}}, 0},
		{"a good call, a cancel for no call, then garbage", []wire.Frame{
			{Type: wire.FrameCall, Payload: echo},
			{Type: wire.FrameCancel, Payload: wire.AppendCancel(nil, 7)},
			{Type: 0xee},
		}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := l.OpenStream(ctxT(t, testWait), wire.KindCalls)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_ = s.SetDeadline(time.Now().Add(testWait))
			for _, f := range tc.frames {
				if err := wire.WriteFrame(s, f.Type, f.Payload); err != nil {
					t.Fatal(err)
				}
			}
			fr := wire.NewFrameReader(s, wire.DefaultMaxFrame)
			for range tc.results {
				f, err := fr.ReadFrame()
				if err != nil {
					t.Fatalf("reading a result: %v", err)
				}
				r, err := wire.ParseResult(f.Payload)
				if f.Type != wire.FrameResult || err != nil || r != (wire.Result{ID: 42, Status: wire.ResultOK, Value: "ok"}) {
					t.Fatalf("got %s frame %+v, %v; want the echo's result", f.Type, r, err)
				}
			}
			if f, err := fr.ReadFrame(); !errors.Is(err, io.EOF) {
				t.Fatalf("after a bad frame: read %s frame, err %v; want the server to end the stream", f.Type, err)
			}
		})
	}
	if got, err := p.call(t, "echo", "still fine"); err != nil || got != "still fine" {
		t.Fatalf("echo on a normal client = %q, %v", got, err)
	}
}
