package calls_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/daemon/peer"
	"chatd/internal/testkit"
	"chatd/wire"
)

func TestCallResults(t *testing.T) {
	p := newPair(t, 0)
	for _, tc := range []struct {
		name     string
		fn       string
		args     []string
		want     string         // on success
		wantKind wire.ErrorCode // else
		wantErr  string         // the CallError's text
	}{
		{"echo", "echo", []string{"a", "", "b c"}, "a  b c", "", ""},
		{"echo nothing", "echo", nil, "", "", ""},
		{"the caller is the linked node", "caller", nil, "alex@localhost", "", ""},
		{"function error", "fail", nil, "", wire.CodeTaskFailed, "kate@localhost: fail: bad thing"},
		{"panic", "panic", nil, "", wire.CodeTaskFailed, "kate@localhost: panic: panic: boom"},
		{"unknown function", "nope", nil, "", wire.CodeNotFound, `kate@localhost: unknown function "nope"`},
		{"refused by the executor", "picky", []string{"x"}, "", wire.CodeBadRequest, "kate@localhost: picky: picky takes no arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.call(t, tc.fn, tc.args...)
			if tc.wantKind == "" {
				if err != nil || got != tc.want {
					t.Fatalf("call %s = %q, %v; want %q", tc.fn, got, err, tc.want)
				}
				return
			}
			ce, ok := errors.AsType[*peer.CallError](err)
			if !ok {
				t.Fatalf("call %s = %q, %v; want a *peer.CallError", tc.fn, got, err)
			}
			if ce.Kind != tc.wantKind || wire.CodeOf(err) != tc.wantKind || ce.Node != p.kate.Name || ce.Function != tc.fn {
				t.Errorf("CallError = %+v, want kind %v from %s running %s", ce, tc.wantKind, p.kate.Name, tc.fn)
			}
			if err.Error() != tc.wantErr {
				t.Errorf("error = %q, want %q", err, tc.wantErr)
			}
			if _, ok := errors.AsType[*peer.ConnectError](err); ok {
				t.Errorf("a task failure is also a ConnectError: %v", err)
			}
		})
	}
}

// TestConcurrentCalls multiplexes many calls on the one stream: every
// caller must get its own result back.
func TestConcurrentCalls(t *testing.T) {
	const goroutines, calls = 16, 200
	p := newPair(t, 0)
	l := p.link(t)
	errs := make(chan error, calls)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < calls; i += goroutines {
				want := fmt.Sprintf("call %d from %d", i, g)
				got, err := l.Call(context.Background(), wire.Call{Function: "echo", Args: strings.Fields(want), Timeout: testkit.Wait})
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
	if n := p.kate.Local.CountTasks("echo", wire.TaskOK); n != calls {
		t.Fatalf("kate ran %d echo tasks, want %d", n, calls)
	}
}

func TestCallTimeoutCancelsRemoteTask(t *testing.T) {
	p := newPair(t, 0)
	l := p.link(t)
	const timeout = 200 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	got, err := l.Call(ctx, wire.Call{Function: "block", Timeout: timeout})
	took := time.Since(start)
	if ce, ok := errors.AsType[*peer.CallError](err); !ok || ce.Kind != wire.CodeTimeout {
		t.Fatalf("call = %q, %v; want a timeout CallError", got, err)
	}
	if !strings.Contains(err.Error(), "block timed out after") || !strings.Contains(err.Error(), "(the task was cancelled)") {
		t.Errorf("error %q does not say the task timed out and was cancelled", err)
	}
	if took < timeout || took > testkit.Wait/2 {
		t.Errorf("the call returned after %s, want right after its %s timeout", took, timeout)
	}
	testkit.WaitFor(t, testkit.Wait, "kate's block task to end cancelled", func() bool {
		return p.kate.Local.CountTasks("block", wire.TaskCancelled) == 1
	})
	if n := p.kate.Local.Sup.Running(); n != 0 {
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
	l := p.link(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := l.Call(ctx, wire.Call{Function: "block", Timeout: testkit.Wait})
		done <- err
	}()
	testkit.WaitFor(t, testkit.Wait, "the block task to start on kate", func() bool { return p.kate.Local.Sup.Running() == 1 })
	cancel()
	select {
	case err := <-done:
		if _, isCallErr := errors.AsType[*peer.CallError](err); !errors.Is(err, context.Canceled) || isCallErr {
			t.Fatalf("cancelled call = %v, want context.Canceled and no CallError", err)
		}
	case <-time.After(testkit.Wait):
		t.Fatal("the cancelled call did not return")
	}
	testkit.WaitFor(t, testkit.Wait, "kate's block task to end cancelled", func() bool {
		return p.kate.Local.CountTasks("block", wire.TaskCancelled) == 1
	})
}

func TestOverloaded(t *testing.T) {
	p := newPair(t, 1)
	l := p.link(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	blocked := make(chan error, 1)
	go func() {
		_, err := l.Call(ctx, wire.Call{Function: "block", Timeout: testkit.Wait})
		blocked <- err
	}()
	testkit.WaitFor(t, testkit.Wait, "the block task to fill kate's supervisor", func() bool { return p.kate.Local.Sup.Running() == 1 })

	got, err := p.call(t, "echo", "hi")
	if ce, ok := errors.AsType[*peer.CallError](err); !ok || ce.Kind != wire.CodeOverloaded {
		t.Fatalf("call at max_running = %q, %v; want an overloaded CallError", got, err)
	}
	if !strings.Contains(err.Error(), "overloaded") || !strings.Contains(err.Error(), "1 tasks running") {
		t.Errorf("error %q does not say why", err)
	}

	cancel()
	select {
	case <-blocked:
	case <-time.After(testkit.Wait):
		t.Fatal("the blocking call did not return once cancelled")
	}
	testkit.WaitFor(t, testkit.Wait, "kate's supervisor to drain", func() bool { return p.kate.Local.Sup.Running() == 0 })
	if got, err := p.call(t, "echo", "hi"); err != nil || got != "hi" {
		t.Fatalf("echo once a slot is free = %q, %v", got, err)
	}
}

// TestPeerDownFailsPendingCalls stops kate while calls to her are pending:
// each fails at once with "no connection", long before its timeout, and a
// call after kate is back works on a new link.
func TestPeerDownFailsPendingCalls(t *testing.T) {
	const pending = 8
	p := newPair(t, 0)
	l := p.link(t)
	errs := make(chan error, pending)
	ctx := testkit.Ctx(t, time.Minute) // the calls' own timeout, far beyond the wait below
	for range pending {
		go func() {
			_, err := l.Call(ctx, wire.Call{Function: "block", Timeout: time.Minute})
			errs <- err
		}()
	}
	testkit.WaitFor(t, testkit.Wait, "the calls to run on kate", func() bool { return p.kate.Local.Sup.Running() == pending })

	start := time.Now()
	p.kate.Stop()
	for i := range pending {
		select {
		case err := <-errs:
			ce, ok := errors.AsType[*peer.ConnectError](err)
			if !ok || !errors.Is(err, peer.ErrLinkDown) || ce.Node != p.kate.Name || wire.CodeOf(err) != wire.CodeNoConnection {
				t.Errorf("pending call %d = %v, want a no_connection ConnectError for kate wrapping ErrLinkDown", i, err)
			}
		case <-time.After(testkit.Wait):
			t.Fatalf("only %d of %d pending calls returned after kate went down", i, pending)
		}
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("pending calls took %s to fail, want at once", took)
	}
	select {
	case <-l.Done():
	case <-time.After(testkit.Wait):
		t.Fatal("the link's Done is open after kate stopped")
	}
	if _, err := l.Call(context.Background(), wire.Call{Function: "echo", Timeout: testkit.Wait}); !errors.Is(err, peer.ErrLinkDown) {
		t.Errorf("a call on the dead link = %v, want ErrLinkDown", err)
	}

	p.kate = p.c.Start("kate@localhost", 0)
	got, err := p.call(t, "echo", "back")
	if err != nil || got != "back" {
		t.Fatalf("echo after kate came back = %q, %v", got, err)
	}
	if p.link(t) == l {
		t.Fatal("alex still hands out the dead link")
	}
}

// TestLinkClosedUnderCall disconnects alex's link with a call pending: the
// call fails as a dead link, kate cancels the orphaned task, and once
// alex's manager is closed no link can be had.
func TestLinkClosedUnderCall(t *testing.T) {
	p := newPair(t, 0)
	l := p.link(t)
	errc := make(chan error, 1)
	ctx := testkit.Ctx(t, time.Minute)
	go func() {
		_, err := l.Call(ctx, wire.Call{Function: "block", Timeout: time.Minute})
		errc <- err
	}()
	testkit.WaitFor(t, testkit.Wait, "the call to run on kate", func() bool { return p.kate.Local.Sup.Running() == 1 })

	if !p.alex.Mgr.Disconnect(p.kate.Name, "disconnected by the test") {
		t.Fatal("no link to disconnect")
	}
	select {
	case err := <-errc:
		if !errors.Is(err, peer.ErrLinkDown) {
			t.Errorf("pending call = %v, want ErrLinkDown", err)
		}
	case <-time.After(testkit.Wait):
		t.Fatal("the pending call did not return after the link closed")
	}
	// Kate sees the stream end and cancels its task.
	testkit.WaitFor(t, testkit.Wait, "kate to cancel the orphaned task", func() bool {
		return p.kate.Local.CountTasks("block", wire.TaskCancelled) == 1
	})

	p.alex.Stop()
	if _, err := p.alex.Mgr.Link(testkit.Ctx(t, testkit.Wait), p.kate.Name, p.kate.Addr); !errors.Is(err, peer.ErrShutdown) || wire.CodeOf(err) != wire.CodeUnavailable {
		t.Fatalf("Link after Close = %v, want ErrShutdown (unavailable)", err)
	}
}

// TestServerDropsBadStreams writes frames the protocol does not allow on
// a raw calls stream: the server must end the stream, not guess.
func TestServerDropsBadStreams(t *testing.T) {
	p := newPair(t, 0)
	l := p.link(t)
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
			s, err := l.OpenStream(testkit.Ctx(t, testkit.Wait), wire.KindCalls)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_ = s.SetDeadline(time.Now().Add(testkit.Wait))
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
				if f.Type != wire.FrameResult || err != nil || r != (wire.Result{ID: 42, Value: "ok"}) {
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

// TestSendToProcess delivers pid messages on the calls stream: into a live
// process's mailbox, and refused with its kind for a process that is not
// there.
func TestSendToProcess(t *testing.T) {
	p := newPair(t, 0)
	l := p.link(t)
	shell := p.kate.Local.Procs.Shell().Pid()
	from := wire.Pid{Node: p.alex.Name, ID: 1, Creation: 7}
	if err := l.Send(testkit.Ctx(t, testkit.Wait), from, shell, "hi"); err != nil {
		t.Fatalf("send to kate's shell: %v", err)
	}
	if ms := p.kate.Local.Procs.Shell().Drain(); len(ms) != 1 || ms[0].Text != "hi" || ms[0].From != from {
		t.Fatalf("kate's shell holds %+v", ms)
	}
	gone := wire.Pid{Node: p.kate.Name, ID: 999, Creation: 7}
	err := l.Send(testkit.Ctx(t, testkit.Wait), from, gone, "hi")
	if wire.CodeOf(err) != wire.CodeNoProcess || !strings.Contains(err.Error(), "no such process") {
		t.Fatalf("send to a dead pid = %v (kind %q), want no_process", err, wire.CodeOf(err))
	}
}
