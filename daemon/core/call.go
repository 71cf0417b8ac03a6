package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"chatd/daemon/function"
	"chatd/daemon/peer"
	"chatd/daemon/task"
	"chatd/wire"
)

// Call runs c on node's supervisor and awaits the result: on this node's
// own supervisor when node is this node or placement is local, else over
// the connection to node. c.Timeout 0 means the await timeout.
func (c *Core) Call(ctx context.Context, node wire.NodeName, call wire.Call) (v string, err error) {
	if c.cfg.OnCall != nil {
		start := time.Now()
		defer func() { c.cfg.OnCall(node, call, !c.runsHere(node), err, time.Since(start)) }()
	}
	if call.Timeout <= 0 {
		call.Timeout = c.cfg.AwaitTimeout
	}
	if err := wire.ValidateCall(call); err != nil {
		return "", &peer.CallError{Node: node, Function: call.Function, Kind: wire.CodeBadRequest, Message: err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, call.Timeout)
	defer cancel()
	if c.runsHere(node) {
		return c.callLocal(ctx, node, call)
	}
	conn, err := c.conn(ctx, node)
	if err != nil {
		return "", err
	}
	return conn.Call(ctx, call)
}

// callLocal runs call on this node's supervisor with this node as the
// caller, reporting errors as if node had run it.
func (c *Core) callLocal(ctx context.Context, node wire.NodeName, call wire.Call) (string, error) {
	start := time.Now()
	type result struct {
		v   string
		err error
	}
	done := make(chan result, 1)
	cancel, err := c.startTask(ctx, c.cfg.Self, call, 0, func(v string, err error) { done <- result{v, err} })
	if err != nil {
		return "", asCallError(node, call.Function, err)
	}
	select {
	case r := <-done:
		if r.err != nil {
			return "", asCallError(node, call.Function, r.err)
		}
		return r.v, nil
	case <-ctx.Done():
		cancel()
		<-done
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", &peer.CallError{Node: node, Function: call.Function, Kind: wire.CodeTimeout,
				Message: call.Function + " timed out after " + time.Since(start).Round(time.Millisecond).String() + " (the task was cancelled)"}
		}
		return "", fmt.Errorf("call %s on %s: %w", call.Function, node, ctx.Err())
	}
}

// asCallError names node as where the failed call ran.
func asCallError(node wire.NodeName, function string, err error) *peer.CallError {
	ce := *peer.CallFailed(node, function, err)
	ce.Node = node
	return &ce
}

// StartCall implements peer.Local: a peer's call, run as a task that may
// outlive the caller's await timeout by TimeoutGrace.
func (c *Core) StartCall(ctx context.Context, caller wire.NodeName, call wire.Call, done func(string, error)) (func(), error) {
	var limit time.Duration
	if call.Timeout > 0 {
		limit = call.Timeout + TimeoutGrace
	}
	return c.startTask(ctx, caller, call, limit, done)
}

// RunCall implements peer.Local: a peer's call, run as a task in the
// calling goroutine, bounded by ctx and call.Timeout (no grace: nobody
// waits for it after its caller).
func (c *Core) RunCall(ctx context.Context, caller wire.NodeName, call wire.Call) (string, error) {
	spec, err := c.prepare(caller, call)
	if err != nil {
		return "", err
	}
	spec.Timeout = max(call.Timeout, 0)
	t, err := c.cfg.Sup.Run(ctx, spec)
	if err != nil {
		return "", err
	}
	v, err := t.Result()
	if err != nil {
		return "", peer.CallFailed(c.cfg.Self, call.Function, err)
	}
	return v, nil
}

// startTask starts call for caller on the supervisor, bounded by limit (0:
// none); done gets the result or a *peer.CallError from the task's
// goroutine.
func (c *Core) startTask(ctx context.Context, caller wire.NodeName, call wire.Call, limit time.Duration, done func(string, error)) (func(), error) {
	spec, err := c.prepare(caller, call)
	if err != nil {
		return nil, err
	}
	spec.Timeout = limit
	fn := call.Function
	spec.OnDone = func(t *task.Task) {
		v, err := t.Result()
		if err != nil {
			done("", peer.CallFailed(c.cfg.Self, fn, err))
			return
		}
		done(v, nil)
	}
	t, err := c.cfg.Sup.Start(ctx, spec)
	if err != nil {
		return nil, err
	}
	return t.Cancel, nil
}

// prepare turns a call from caller into a task running a builtin function.
func (c *Core) prepare(caller wire.NodeName, call wire.Call) (task.Spec, error) {
	f, err := c.lookupFunc(call.Function, call.Args)
	if err != nil {
		return task.Spec{}, err
	}
	r := &taskRun{c: c, f: f, args: call.Args}
	r.env = function.Env{
		Node: c.cfg.Self, Caller: caller, MsgID: call.MsgID, Flags: call.Flags,
		Sink: replySink{sink: c.cfg.Sink, replies: &c.sends}, ResponderReply: c.replyFn, Call: c.callFn, Print: r.print,
	}
	return task.Spec{Function: call.Function, Args: call.Args, Caller: caller.String(), Run: r.run}, nil
}

// lookupFunc finds a function and checks its arguments; the errors are
// not_found and bad_request.
func (c *Core) lookupFunc(name string, args []string) (function.Func, error) {
	f, err := c.cfg.Funcs.Lookup(name)
	if err != nil {
		return function.Func{}, err
	}
	if err := f.CheckArgs(args); err != nil {
		return function.Func{}, err
	}
	return f, nil
}

// taskRun is a task running a builtin function, with the Env it gets:
// printed lines become the result when the function returns none, and a
// function that needs a mailbox gets one for the task's life. One
// allocation holds it all.
type taskRun struct {
	c    *Core
	f    function.Func
	args []string
	env  function.Env

	mu      sync.Mutex
	printed []string // guarded by mu
}

// print is the task's Env.Print.
func (r *taskRun) print(line string) {
	r.mu.Lock()
	r.printed = append(r.printed, line)
	r.mu.Unlock()
}

// run is the task's body.
func (r *taskRun) run(ctx context.Context) (string, error) {
	if r.f.Mailbox {
		p, release, err := r.c.cfg.Procs.Attach(r.f.Name, r.args)
		if err != nil {
			return "", err
		}
		defer release()
		r.c.withMailbox(&r.env, p)
	}
	v, err := r.f.Run(ctx, &r.env, r.args)
	if v == "" && err == nil {
		r.mu.Lock()
		v = strings.Join(r.printed, "\n")
		r.mu.Unlock()
	}
	return v, err
}
