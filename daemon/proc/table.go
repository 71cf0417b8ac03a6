// Package proc holds a node's lightweight processes: goroutines with a
// bounded mailbox, named by pids, one of which is the node's shell (the
// operator's mailbox, the lesson's iex shell).
package proc

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"chatd/wire"
)

// Errors callers test with errors.Is.
var (
	ErrNoProcess   = wire.NewError(wire.CodeNoProcess, "no such process")
	ErrMailboxFull = wire.NewError(wire.CodeMailboxFull, "mailbox full")
	ErrTooMany     = wire.NewError(wire.CodeOverloaded, "too many processes")
	ErrShutdown    = wire.NewError(wire.CodeUnavailable, "node is shutting down")
)

// ShellFunction is the function name the shell lists under.
const ShellFunction = "shell"

// Config configures a Table.
type Config struct {
	Node     wire.NodeName // this node
	Creation uint32        // this start of the node, part of every pid
	Mailbox  int           // each mailbox's bound
	Max      int           // processes alive at once, the shell included
	Logger   *slog.Logger
}

// Table is a node's set of processes.
type Table struct {
	cfg   Config
	log   *slog.Logger
	shell *Process

	mu      sync.Mutex
	next    uint64              // guarded by mu: the next process id
	procs   map[uint64]*Process // guarded by mu
	closing bool                // guarded by mu
	wg      sync.WaitGroup      // process goroutines
}

// NewTable returns a table holding the node's shell.
func NewTable(cfg Config) *Table {
	t := &Table{cfg: cfg, log: cfg.Logger, next: 1, procs: make(map[uint64]*Process)}
	t.shell, _ = t.register(ShellFunction, nil, wire.Pid{}, false)
	return t
}

// Shell is the node's shell process.
func (t *Table) Shell() *Process { return t.shell }

// register adds a process entry without starting a goroutine. With run,
// it counts the goroutine the caller will start in wg, under mu, so that
// Close cannot miss it.
func (t *Table) register(function string, args []string, linkedTo wire.Pid, run bool) (*Process, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing {
		return nil, ErrShutdown
	}
	if len(t.procs) >= t.cfg.Max {
		return nil, fmt.Errorf("%w: %d alive (processes.max)", ErrTooMany, len(t.procs))
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	p := &Process{
		pid:      wire.Pid{Node: t.cfg.Node, ID: t.next, Creation: t.cfg.Creation},
		function: function, args: args, linkedTo: linkedTo, started: time.Now(),
		mbox: newMailbox(t.cfg.Mailbox), ctx: ctx, cancel: cancel, done: make(chan struct{}),
	}
	t.next++
	t.procs[p.pid.ID] = p
	if run {
		t.wg.Add(1)
	}
	return p, nil
}

func (t *Table) remove(p *Process) {
	t.mu.Lock()
	delete(t.procs, p.pid.ID)
	t.mu.Unlock()
}

// Spec describes a process to spawn.
type Spec struct {
	Function string
	Args     []string
	LinkedTo wire.Pid // the caller's shell; zero for none
	// Run is the process body; its error is the exit reason (nil: normal).
	Run func(ctx context.Context, p *Process) error
	// Output receives every line the process prints; it must not block.
	Output func(line string)
}

// Spawn starts a process. Its context ends when it is killed or the table
// closes.
func (t *Table) Spawn(spec Spec) (*Process, error) {
	p, err := t.register(spec.Function, spec.Args, spec.LinkedTo, true)
	if err != nil {
		return nil, err
	}
	p.output = spec.Output
	go func() {
		defer t.wg.Done()
		reason := wire.ExitNormal
		if err := runSafely(p, spec.Run); err != nil {
			reason = exitReason(p, err)
		}
		t.remove(p)
		p.exit(reason)
	}()
	return p, nil
}

// Attach registers a mailbox for a body the caller runs itself (a task
// that needs to receive); release removes it.
func (t *Table) Attach(function string, args []string) (*Process, func(), error) {
	p, err := t.register(function, args, wire.Pid{}, false)
	if err != nil {
		return nil, nil, err
	}
	return p, func() { t.remove(p); p.exit(wire.ExitNormal) }, nil
}

func runSafely(p *Process, run func(context.Context, *Process) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return run(p.ctx, p)
}

// exitReason names why a process ended: the kill reason when it was
// killed, else its error.
func exitReason(p *Process, err error) string {
	if cause := context.Cause(p.ctx); cause != nil && p.ctx.Err() != nil {
		return cause.Error()
	}
	return err.Error()
}

// Lookup finds a live local process by pid.
func (t *Table) Lookup(pid wire.Pid) (*Process, error) {
	if pid.Node != t.cfg.Node {
		return nil, fmt.Errorf("%w %s: it is not on %s", ErrNoProcess, pid, t.cfg.Node)
	}
	if pid.Creation != t.cfg.Creation {
		return nil, fmt.Errorf("%w %s: it belonged to an earlier start of %s", ErrNoProcess, pid, t.cfg.Node)
	}
	t.mu.Lock()
	p := t.procs[pid.ID]
	t.mu.Unlock()
	if p == nil {
		return nil, fmt.Errorf("%w %s: it has ended or never existed", ErrNoProcess, pid)
	}
	return p, nil
}

// Send puts m in the mailbox of the local process pid.
func (t *Table) Send(pid wire.Pid, m Message) error {
	p, err := t.Lookup(pid)
	if err != nil {
		return err
	}
	if m.Time.IsZero() {
		m.Time = time.Now()
	}
	if err := p.mbox.put(m); err != nil {
		return fmt.Errorf("send to %s: %w", pid, err)
	}
	return nil
}

// List describes every live process, by id.
func (t *Table) List() []wire.ProcessInfo {
	t.mu.Lock()
	ps := make([]*Process, 0, len(t.procs))
	for _, p := range t.procs {
		ps = append(ps, p)
	}
	t.mu.Unlock()
	sort.Slice(ps, func(i, j int) bool { return ps[i].pid.ID < ps[j].pid.ID })
	out := make([]wire.ProcessInfo, len(ps))
	for i, p := range ps {
		out[i] = p.Info()
	}
	return out
}

// Close kills every process and waits for their goroutines.
func (t *Table) Close() {
	t.mu.Lock()
	t.closing = true
	ps := make([]*Process, 0, len(t.procs))
	for _, p := range t.procs {
		ps = append(ps, p)
	}
	t.mu.Unlock()
	for _, p := range ps {
		p.Kill("shutdown")
	}
	t.wg.Wait()
}
