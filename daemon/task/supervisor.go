// Package task is the node's task supervisor, the counterpart of Elixir's
// Task.Supervisor: it runs functions in goroutines it owns, bounds how many
// run at once, decides each task's final state (ok, failed, timeout,
// cancelled), survives panics, keeps a bounded history for listings and
// tells watchers when tasks start and finish.
//
// All bookkeeping sits behind one mutex (Supervisor.mu). The only goroutines
// the package starts are the task goroutines, which Close waits for, and the
// short context.AfterFunc callbacks that close Watch channels.
package task

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"chatd/daemon/fanout"
	"chatd/wire"
)

// DefaultHistory is the number of finished tasks kept when Config.History is 0.
const DefaultHistory = 1000

// ErrOverloaded is returned (wrapped with the numbers) by Start when
// Config.MaxRunning tasks are running already.
var ErrOverloaded = wire.NewError(wire.CodeOverloaded, "overloaded")

// ErrShutdown is returned by Start once Close has been called. It is also the
// cause of the context of tasks cancelled by Close.
var ErrShutdown = wire.NewError(wire.CodeUnavailable, "supervisor is shutting down")

// Config configures a Supervisor.
type Config struct {
	// MaxRunning is the number of tasks that may run at once; Start beyond it
	// fails with ErrOverloaded. 0 or less means no limit.
	MaxRunning int
	// History is the number of finished tasks kept for List
	// (DefaultHistory if 0; negative keeps none).
	History int
	// Logger receives the supervisor's operational logs; nil discards them.
	Logger *slog.Logger
}

// Supervisor runs tasks and keeps track of them. Create it with New and stop
// it with Close.
type Supervisor struct {
	log        *slog.Logger
	maxRunning int

	// wg counts task goroutines; Add happens under mu while !closed.
	wg sync.WaitGroup
	// idle is closed once closed is set and no task is running.
	idle chan struct{}

	// watches streams task events; they are published with mu held, so in
	// the order of the state changes.
	watches *fanout.Fanout[wire.TaskInfo]

	// mu guards every field below and the mutable fields of every Task (see
	// Task).
	mu         sync.Mutex
	closed     bool             // Close was called; Start fails
	idleClosed bool             // idle has been closed
	nextID     uint64           // the last ID handed out
	running    map[uint64]*Task // running tasks by ID
	history    ring             // finished tasks
}

// New returns a Supervisor ready to Start tasks.
func New(cfg Config) *Supervisor {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	hist := cfg.History
	if hist == 0 {
		hist = DefaultHistory
	}
	return &Supervisor{
		log:        logger,
		maxRunning: cfg.MaxRunning,
		idle:       make(chan struct{}),
		running:    make(map[uint64]*Task),
		history:    newRing(hist),
		watches:    fanout.New(fanout.Config[wire.TaskInfo]{Buffer: WatchBuffer}),
	}
}

// Start runs spec.Run in a new goroutine and returns at once. The task's
// context is derived from ctx (cancelling ctx cancels the task) and is also
// cancelled, with cause ErrShutdown, when Close stops waiting. Start fails with ErrShutdown after
// Close, with ErrOverloaded when Config.MaxRunning tasks are running, and
// with ctx's error when ctx has ended already.
func (s *Supervisor) Start(ctx context.Context, spec Spec) (*Task, error) {
	t, tctx, err := s.admit(ctx, spec)
	if err != nil {
		return nil, err
	}
	go s.run(tctx, t, spec.Run)
	return t, nil
}

// Run is Start for a caller that would only wait for the task: it runs
// spec.Run in the calling goroutine, saving a goroutine and two wake-ups,
// and returns once the task has finished (OnDone has returned). The task
// is listed, bounded and cancelled as one started by Start is; Close
// waits for it too. (A body that calls runtime.Goexit ends the calling
// goroutine as well, after the task has finished as failed.)
func (s *Supervisor) Run(ctx context.Context, spec Spec) (*Task, error) {
	t, tctx, err := s.admit(ctx, spec)
	if err != nil {
		return nil, err
	}
	s.run(tctx, t, spec.Run)
	return t, nil
}

// admit records a task about to run, with its context, or says why it
// may not run.
func (s *Supervisor) admit(ctx context.Context, spec Spec) (*Task, context.Context, error) {
	if spec.Run == nil {
		return nil, nil, fmt.Errorf("start task %q: no function body", spec.Function)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("start task %q: %w", spec.Function, err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, ErrShutdown
	}
	if s.maxRunning > 0 && len(s.running) >= s.maxRunning {
		return nil, nil, fmt.Errorf("%w: %d tasks running (tasks.max_running)", ErrOverloaded, len(s.running))
	}

	tctx, cancel := context.WithCancelCause(ctx)
	stopTimeout := context.CancelFunc(func() {})
	if spec.Timeout > 0 {
		tctx, stopTimeout = context.WithTimeoutCause(tctx, spec.Timeout, errTaskTimeout)
	}

	s.nextID++
	t := &Task{
		sup:      s,
		id:       s.nextID,
		function: spec.Function,
		args:     wire.ShownArgs(spec.Args),
		caller:   spec.Caller,
		timeout:  spec.Timeout,
		onDone:   spec.OnDone,
		started:  time.Now(),
		cancel:   cancel,
		stopTime: stopTimeout,
		done:     make(chan struct{}),
		state:    wire.TaskRunning,
	}
	s.running[t.id] = t
	s.wg.Add(1)

	if s.log.Enabled(ctx, slog.LevelDebug) { // the arguments cost allocations even when not logged
		s.log.Debug("task started", "id", t.id, "function", t.function, "caller", t.caller)
	}
	s.watches.Publish(t.infoLocked(t.started))
	return t, tctx, nil
}

// Running returns the number of tasks running now.
func (s *Supervisor) Running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.running)
}

// List returns the running tasks, oldest first, and with all the finished
// tasks still in the history after them, newest first.
func (s *Supervisor) List(all bool) []wire.TaskInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	n := len(s.running)
	if all {
		n += s.history.len()
	}
	out := make([]wire.TaskInfo, 0, n)
	for _, t := range s.running {
		out = append(out, t.infoLocked(now))
	}
	slices.SortFunc(out, func(a, b wire.TaskInfo) int { return compareIDs(a.ID, b.ID) })
	if all {
		out = s.history.appendNewestFirst(out)
	}
	return out
}

func compareIDs(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Check verifies that the supervisor's bookkeeping answers: it takes and
// releases the lock within ctx and checks its invariants. It returns ctx's
// error when the lock cannot be had in time; a systemd watchdog uses it.
func (s *Supervisor) Check(ctx context.Context) error {
	// TryLock with backoff rather than a helper goroutine: a wedged lock
	// must not leave one stuck goroutine behind per check.
	wait := 100 * time.Microsecond
	for !s.mu.TryLock() {
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("task supervisor lock not available: %w", context.Cause(ctx))
		case <-timer.C:
		}
		wait = min(2*wait, 20*time.Millisecond)
	}
	defer s.mu.Unlock()
	if s.maxRunning > 0 && len(s.running) > s.maxRunning {
		return fmt.Errorf("task supervisor: %d tasks running, limit %d", len(s.running), s.maxRunning)
	}
	for id, t := range s.running {
		if t.state != wire.TaskRunning {
			return fmt.Errorf("task supervisor: task %d listed as running is %s", id, t.state)
		}
	}
	return nil
}

// Close stops accepting tasks (Start fails with ErrShutdown), waits for the
// running tasks to finish until ctx ends, then cancels the rest (their
// context's cause is ErrShutdown) and waits for them to return. Finally it
// closes every Watch channel. It returns an error wrapping ctx's error when
// tasks had to be cancelled. Close is idempotent and safe to call
// concurrently.
func (s *Supervisor) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	s.markIdleLocked()
	s.mu.Unlock()

	var err error
	select {
	case <-s.idle:
	case <-ctx.Done():
		n := s.Running()
		if n > 0 {
			err = fmt.Errorf("close task supervisor: cancelled %d running tasks: %w", n, context.Cause(ctx))
		}
		s.cancelRunning(ErrShutdown)
		<-s.idle
	}
	s.cancelRunning(ErrShutdown) // none left: Start fails once closed
	s.wg.Wait()

	s.watches.Close(nil)
	return err
}

// cancelRunning cancels every running task with cause.
func (s *Supervisor) cancelRunning(cause error) {
	s.mu.Lock()
	cancels := make([]context.CancelCauseFunc, 0, len(s.running))
	for _, t := range s.running {
		cancels = append(cancels, t.cancel)
	}
	s.mu.Unlock()
	for _, cancel := range cancels {
		cancel(cause)
	}
}

// markIdleLocked closes idle when the supervisor is closed and no task runs.
func (s *Supervisor) markIdleLocked() {
	if s.closed && !s.idleClosed && len(s.running) == 0 {
		s.idleClosed = true
		close(s.idle)
	}
}
