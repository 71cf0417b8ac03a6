package task

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"chatd/wire"
)

// maxResult bounds the result or error text TaskInfo shows, in bytes; its
// args are bounded as wire.ShownArgs says.
const maxResult = 200

// ErrRunning is returned by Task.Result while the task is still running.
var ErrRunning = errors.New("task is still running")

// errTaskTimeout is the cause of a task context that reached Spec.Timeout.
var errTaskTimeout = errors.New("task timeout")

// errGoexit is the error of a task whose function called runtime.Goexit.
var errGoexit = wire.NewError(wire.CodeTaskFailed, "task function exited without returning (runtime.Goexit)")

// Func is a task body. It must return when ctx ends.
type Func func(ctx context.Context) (string, error)

// Spec describes a task to start.
type Spec struct {
	// Function is the name shown in listings.
	Function string
	// Args are shown as wire.ShownArgs shows them: joined with spaces,
	// shortened to 80 bytes ("…" appended).
	Args []string
	// Caller is the full name of the node that asked for the task.
	Caller string
	// Timeout, when positive, is the task's deadline; a task ended by it is
	// in state "timeout". 0 means none.
	Timeout time.Duration
	// Run is the task body.
	Run Func
	// OnDone, if set, is called in the task's goroutine once the task has
	// finished (Done is closed), saving a waiting goroutine per task.
	OnDone func(*Task)
}

// PanicError is the error of a task whose function panicked.
type PanicError struct {
	// Value is what the function panicked with.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// Error returns "panic: <value>".
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Code is task_failed: a panic fails its task, not the node.
func (e *PanicError) Code() wire.ErrorCode { return wire.CodeTaskFailed }

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Task is one task started by a Supervisor.
type Task struct {
	sup      *Supervisor
	id       uint64
	function string
	args     string // joined and truncated
	caller   string
	timeout  time.Duration
	started  time.Time // carries the monotonic reading
	cancel   context.CancelCauseFunc
	stopTime context.CancelFunc // releases the timeout's timer
	done     chan struct{}      // closed by finish, under sup.mu
	onDone   func(*Task)        // Spec.OnDone

	// Guarded by sup.mu; final once done is closed.
	state    string
	result   string
	err      error
	duration time.Duration
}

// ID returns the task's ID, unique on the supervisor; IDs start at 1 and
// increase.
func (t *Task) ID() uint64 { return t.id }

// Done returns a channel closed when the task has finished.
func (t *Task) Done() <-chan struct{} { return t.done }

// Result returns what the task returned, once Done is closed: its result, or
// its error — a *PanicError on panic, an error wrapping context.Canceled when
// cancelled or context.DeadlineExceeded on timeout, or else the function's
// own error. Before that it returns ErrRunning.
func (t *Task) Result() (string, error) {
	t.sup.mu.Lock()
	defer t.sup.mu.Unlock()
	if t.state == wire.TaskRunning {
		return "", ErrRunning
	}
	return t.result, t.err
}

// State returns the task's state: one of wire.TaskRunning, TaskOK,
// TaskFailed, TaskTimeout and TaskCancelled.
func (t *Task) State() string {
	t.sup.mu.Lock()
	defer t.sup.mu.Unlock()
	return t.state
}

// Cancel cancels the task's context. It does not wait for the task; use
// Done. Cancelling a finished task does nothing.
func (t *Task) Cancel() { t.cancel(context.Canceled) }

// Info returns a snapshot of the task for listings.
func (t *Task) Info() wire.TaskInfo {
	t.sup.mu.Lock()
	defer t.sup.mu.Unlock()
	return t.infoLocked(time.Now())
}

// infoLocked describes the task, with the duration so far at now when it is
// still running. The caller holds sup.mu.
func (t *Task) infoLocked(now time.Time) wire.TaskInfo {
	info := wire.TaskInfo{
		ID:       t.id,
		Function: t.function,
		Args:     t.args,
		Caller:   t.caller,
		Started:  t.started,
		State:    t.state,
	}
	d := t.duration
	if t.state == wire.TaskRunning {
		d = now.Sub(t.started)
	}
	info.DurationMs = float64(d) / float64(time.Millisecond)
	if t.state == wire.TaskOK {
		info.Result = wire.Shorten(t.result, maxResult)
	} else if t.err != nil {
		info.Error = wire.Shorten(t.err.Error(), maxResult)
	}
	return info
}

// run is a task goroutine: it calls f, recovers a panic, decides the state,
// releases the task's context and records the end.
func (s *Supervisor) run(ctx context.Context, t *Task, f Func) {
	defer s.wg.Done()
	var (
		res      string
		err      error
		returned bool
	)
	defer func() {
		var perr *PanicError
		if v := recover(); v != nil {
			perr = &PanicError{Value: v, Stack: debug.Stack()}
			err = perr
		} else if !returned {
			err = errGoexit
		}
		state, ferr := outcome(ctx, t.timeout, perr != nil || !returned, err)
		t.stopTime()
		t.cancel(context.Canceled)
		if perr != nil {
			s.logPanic(t, perr)
		}
		s.finish(t, state, res, ferr)
		if t.onDone != nil {
			t.onDone(t)
		}
	}()
	res, err = f(ctx)
	returned = true
}

// logPanic logs a task's panic. The stack is for developers: a record of
// its own at debug level, so that the error stays one readable line. It is
// a function of its own, not inlined, so that its arguments do not sit on
// every task's stack under the task's onDone (which writes a peer's
// result through yamux's deepest path): a deeper stack there grows once
// more, and the copy costs more than the call.
//
//go:noinline
func (s *Supervisor) logPanic(t *Task, perr *PanicError) {
	s.log.Error("task panicked", "id", t.id, "function", t.function, "caller", t.caller,
		"panic", fmt.Sprint(perr.Value))
	s.log.Debug("task panic stack", "id", t.id, "stack", string(perr.Stack))
}

// outcome decides a finished task's state and error, and gives the error
// its failure kind: task_failed for the function's own error (whatever it
// wraps: a reply that could not be delivered fails the task, it does not
// make this node unreachable), timeout for a task timed out or cancelled,
// unavailable for one cancelled by shutdown. A task that returned an error
// after its context ended is put down to the context.
func outcome(ctx context.Context, timeout time.Duration, crashed bool, err error) (string, error) {
	switch {
	case crashed:
		return wire.TaskFailed, err // a *PanicError or errGoexit: task_failed
	case err == nil:
		return wire.TaskOK, nil
	case ctx.Err() == nil:
		return wire.TaskFailed, wire.WithCode(wire.CodeTaskFailed, err)
	}
	cause := context.Cause(ctx)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		if errors.Is(cause, errTaskTimeout) {
			return wire.TaskTimeout, wire.WithCode(wire.CodeTimeout,
				&endedError{what: fmt.Sprintf("timed out after %s", timeout), base: context.DeadlineExceeded})
		}
		return wire.TaskTimeout, wire.WithCode(wire.CodeTimeout,
			newEndedError("timed out (the caller's deadline passed)", context.DeadlineExceeded, cause))
	}
	ended := newEndedError("cancelled", context.Canceled, cause)
	if errors.Is(cause, ErrShutdown) {
		return wire.TaskCancelled, ended // unavailable, from ErrShutdown
	}
	return wire.TaskCancelled, wire.WithCode(wire.CodeTimeout, ended)
}

// endedError is a task that ended before its function returned: what
// happened, in the operator's words ("cancelled"), then the cause when it
// says more. errors.Is finds base (context.Canceled or DeadlineExceeded)
// and the cause, but the text never repeats the context package's.
type endedError struct {
	what  string
	cause error // nil when it says no more than base
	base  error
}

// newEndedError is the endedError for what, from base, and cause when it
// is more than base.
func newEndedError(what string, base, cause error) *endedError {
	if cause == base {
		cause = nil
	}
	return &endedError{what: what, cause: cause, base: base}
}

func (e *endedError) Error() string {
	if e.cause == nil {
		return e.what
	}
	return e.what + ": " + e.cause.Error()
}

// Unwrap returns the cause (if any) and base.
func (e *endedError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.base}
	}
	return []error{e.cause, e.base}
}

// finish records the end of t and tells watchers.
func (s *Supervisor) finish(t *Task, state, res string, err error) {
	d := time.Since(t.started) // monotonic
	s.mu.Lock()
	defer s.mu.Unlock()
	t.state, t.result, t.err, t.duration = state, res, err, d
	if state != wire.TaskOK {
		t.result = ""
	}
	delete(s.running, t.id)
	info := t.infoLocked(time.Now())
	s.history.push(info)
	s.watches.Publish(info)
	close(t.done)
	s.markIdleLocked()
	if s.log.Enabled(context.Background(), slog.LevelDebug) { // the arguments cost allocations even when not logged
		s.log.Debug("task finished", "id", t.id, "function", t.function, "state", state,
			"duration", d, "error", info.Error)
	}
}
