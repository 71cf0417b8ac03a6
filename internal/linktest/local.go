package linktest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"chatd/daemon/peer"
	"chatd/daemon/proc"
	"chatd/daemon/task"
	"chatd/internal/testkit"
	"chatd/wire"
)

// ErrBadThing is what the "fail" function returns.
var ErrBadThing = errors.New("bad thing")

// Local is a small node core for link tests: calls run on a real task
// supervisor, processes in a real process table, and a few functions
// stand in for the builtins:
//
//	echo ARGS...  returns (or, as a process, prints) its arguments
//	caller        returns the calling node's name
//	block         runs until cancelled
//	panic         panics
//	fail          returns ErrBadThing
//	picky         refuses every call (bad_request)
type Local struct {
	Node  wire.NodeName
	Sup   *task.Supervisor
	Procs *proc.Table

	mu        sync.Mutex
	delivered []wire.PidSend // guarded by mu
}

var _ peer.Local = (*Local)(nil)

// NewLocal returns a Local for self whose supervisor runs at most
// maxRunning tasks (0: no limit); it is closed when the test ends.
func NewLocal(t testing.TB, self wire.NodeName, maxRunning int) *Local {
	l := &Local{
		Node:  self,
		Sup:   task.New(task.Config{MaxRunning: maxRunning}),
		Procs: proc.NewTable(proc.Config{Node: self, Creation: 7, Mailbox: 16, Max: 64}),
	}
	t.Cleanup(func() {
		l.Procs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), testkit.Wait)
		defer cancel()
		if err := l.Sup.Close(ctx); err != nil {
			t.Errorf("close %s's supervisor: %v", self, err)
		}
	})
	return l
}

// Self implements peer.Local.
func (l *Local) Self() wire.NodeName { return l.Node }

// body returns the task body of fn for caller, or the refusal.
func body(fn string, caller wire.NodeName, args []string) (task.Func, error) {
	switch fn {
	case "echo":
		return func(context.Context) (string, error) { return strings.Join(args, " "), nil }, nil
	case "caller":
		return func(context.Context) (string, error) { return caller.String(), nil }, nil
	case "block":
		return func(ctx context.Context) (string, error) {
			<-ctx.Done()
			return "", ctx.Err()
		}, nil
	case "panic":
		return func(context.Context) (string, error) { panic("boom") }, nil
	case "fail":
		return func(context.Context) (string, error) { return "", ErrBadThing }, nil
	case "picky":
		return nil, wire.Errorf(wire.CodeBadRequest, "picky takes no arguments")
	}
	return nil, wire.Errorf(wire.CodeNotFound, "unknown function %q", fn)
}

// StartCall implements peer.Local.
func (l *Local) StartCall(ctx context.Context, caller wire.NodeName, c wire.Call, done func(string, error)) (func(), error) {
	spec, err := l.spec(caller, c)
	if err != nil {
		return nil, err
	}
	spec.OnDone = func(t *task.Task) { done(l.result(t, c.Function)) }
	t, err := l.Sup.Start(ctx, spec)
	if err != nil {
		return nil, err
	}
	return t.Cancel, nil
}

// RunCall implements peer.Local.
func (l *Local) RunCall(ctx context.Context, caller wire.NodeName, c wire.Call) (string, error) {
	spec, err := l.spec(caller, c)
	if err != nil {
		return "", err
	}
	spec.Timeout = max(c.Timeout, 0)
	t, err := l.Sup.Run(ctx, spec)
	if err != nil {
		return "", err
	}
	return l.result(t, c.Function)
}

// spec is the task that runs c for caller, or the refusal.
func (l *Local) spec(caller wire.NodeName, c wire.Call) (task.Spec, error) {
	run, err := body(c.Function, caller, c.Args)
	if err != nil {
		return task.Spec{}, err
	}
	return task.Spec{Function: c.Function, Args: c.Args, Caller: caller.String(), Run: run}, nil
}

// result is a finished task's result, its error kinded as a peer's call's.
func (l *Local) result(t *task.Task, function string) (string, error) {
	v, err := t.Result()
	if err != nil {
		return "", peer.CallFailed(l.Node, function, err)
	}
	return v, nil
}

// StartProcess implements peer.Local: echo prints each argument on a line
// of its own, block waits to be killed.
func (l *Local) StartProcess(_ wire.NodeName, sp wire.Spawn, out func(string)) (peer.Process, error) {
	var run func(context.Context, *proc.Process) error
	switch sp.Function {
	case "echo":
		run = func(_ context.Context, p *proc.Process) error {
			for _, a := range sp.Args {
				p.Print(a)
			}
			return nil
		}
	case "block":
		run = func(ctx context.Context, _ *proc.Process) error {
			<-ctx.Done()
			return ctx.Err()
		}
	default:
		return nil, wire.Errorf(wire.CodeNotFound, "unknown function %q", sp.Function)
	}
	return l.Procs.Spawn(proc.Spec{Function: sp.Function, Args: sp.Args, LinkedTo: sp.LinkedTo, Run: run, Output: out})
}

// Deliver implements peer.Local: it records m, or puts it in the process's
// mailbox when to is a live local process.
func (l *Local) Deliver(from, to wire.Pid, text string) error {
	l.mu.Lock()
	l.delivered = append(l.delivered, wire.PidSend{From: from, To: to, Text: text})
	l.mu.Unlock()
	if err := l.Procs.Send(to, proc.Message{From: from, Text: text}); err != nil {
		return fmt.Errorf("deliver to %s: %w", to, err)
	}
	return nil
}

// Delivered returns the messages Deliver was given.
func (l *Local) Delivered() []wire.PidSend {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]wire.PidSend(nil), l.delivered...)
}

// CountTasks counts the tasks running or kept in history that ran fn and
// are in state.
func (l *Local) CountTasks(fn, state string) int {
	n := 0
	for _, ti := range l.Sup.List(true) {
		if ti.Function == fn && ti.State == state {
			n++
		}
	}
	return n
}
