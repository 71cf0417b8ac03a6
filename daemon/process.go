package daemon

import (
	"context"
	"errors"
	"strings"
	"sync"

	"chatd/daemon/function"
	"chatd/daemon/proc"
	"chatd/wire"
)

// SendPid puts text in the mailbox of the process to, from the process
// from: locally, or over the link to the process's node.
func (n *Node) SendPid(ctx context.Context, from, to wire.Pid, text string) error {
	if to.Node == n.self {
		return n.procs.Send(to, proc.Message{From: from, Text: text})
	}
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Tasks.AwaitTimeout.D())
	defer cancel()
	l, err := n.links.Link(ctx, to.Node)
	if err != nil {
		return err
	}
	cl, err := n.calls.Get(ctx, l)
	if err != nil {
		return err
	}
	return cl.SendPid(ctx, wire.PidSend{To: to, From: from, Text: text})
}

// deliver is the rpc.Deliverer: a peer's message for a local process.
func (n *Node) deliver(m wire.PidSend) (wire.ResultStatus, error) {
	err := n.procs.Send(m.To, proc.Message{From: m.From, Text: m.Text})
	switch {
	case err == nil:
		return wire.ResultOK, nil
	case errors.Is(err, proc.ErrNoProcess):
		return wire.ResultNoProcess, err
	case errors.Is(err, proc.ErrMailboxFull):
		return wire.ResultMailboxFull, err
	}
	return wire.ResultFailed, err
}

// processEnv is the function environment of a spawned process.
func (n *Node) processEnv(caller wire.NodeName, p *proc.Process) *function.Env {
	env := &function.Env{
		Node: n.self, Caller: caller, Sink: n.sink, ResponderReply: n.responderReply, Call: n.Call,
		Print: p.Print,
	}
	n.withMailbox(env, p)
	return env
}

// withMailbox gives env the Receive and SendPid of process p.
func (n *Node) withMailbox(env *function.Env, p *proc.Process) {
	env.Receive = func(ctx context.Context) (wire.Pid, string, error) {
		m, err := p.Receive(ctx)
		return m.From, m.Text, err
	}
	env.SendPid = func(ctx context.Context, to wire.Pid, text string) error { return n.SendPid(ctx, p.Pid(), to, text) }
}

// processBody runs f as the body of process p.
func (n *Node) processBody(caller wire.NodeName, f function.Func, args []string) func(context.Context, *proc.Process) error {
	return func(ctx context.Context, p *proc.Process) error {
		_, err := f.Run(ctx, n.processEnv(caller, p), args)
		return err
	}
}

// taskIO gives a task the Print, Receive and SendPid of Env: printed lines
// become the result when the function returns none, and a function that
// needs a mailbox gets one for the task's life.
func (n *Node) taskIO(env *function.Env, f function.Func, args []string) func(ctx context.Context) (string, error) {
	var mu sync.Mutex
	var printed []string
	env.Print = func(line string) {
		mu.Lock()
		printed = append(printed, line)
		mu.Unlock()
	}
	return func(ctx context.Context) (string, error) {
		if f.Mailbox {
			p, release, err := n.procs.Attach(f.Name, args)
			if err != nil {
				return "", err
			}
			defer release()
			n.withMailbox(env, p)
		}
		v, err := f.Run(ctx, env, args)
		if v == "" && err == nil {
			mu.Lock()
			v = strings.Join(printed, "\n")
			mu.Unlock()
		}
		return v, err
	}
}

// lookupFunc finds f and checks args, as a status and error for callers.
func (n *Node) lookupFunc(name string, args []string) (function.Func, wire.ResultStatus, error) {
	f, err := n.funcs.Lookup(name)
	if err != nil {
		return function.Func{}, wire.ResultUnknownFunction, err
	}
	if err := f.CheckArgs(args); err != nil {
		return function.Func{}, wire.ResultBadRequest, err
	}
	return f, wire.ResultOK, nil
}

// Flush implements control.ProcBackend: empties the shell's mailbox.
func (n *Node) Flush() wire.FlushResponse {
	shell := n.procs.Shell()
	ms := shell.Drain()
	out := make([]wire.MailboxMessage, len(ms))
	for i, m := range ms {
		out[i] = m.Info()
	}
	return wire.FlushResponse{Shell: shell.Pid().String(), Messages: out}
}

// Processes implements control.ProcBackend.
func (n *Node) Processes() []wire.ProcessInfo { return n.procs.List() }

// SendTo implements control.ProcBackend: a message from the shell to a pid.
func (n *Node) SendTo(ctx context.Context, to wire.Pid, text string) (wire.SendResponse, error) {
	from := n.procs.Shell().Pid()
	if err := n.SendPid(ctx, from, to, text); err != nil {
		return wire.SendResponse{}, err
	}
	return wire.SendResponse{From: from.String(), To: to.String()}, nil
}

// notifyShell puts an exit notice for pid in the shell's mailbox.
func (n *Node) notifyShell(pid wire.Pid, reason string) {
	if err := n.procs.Shell().Deliver(proc.Message{From: pid, Exit: true, Reason: reason}); err != nil {
		n.log.Warn("exit notice lost: the shell's mailbox is full", "pid", pid.String(), "reason", reason, "err", err)
	}
}
