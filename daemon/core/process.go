package core

import (
	"context"

	"chatd/daemon/function"
	"chatd/daemon/peer"
	"chatd/daemon/proc"
	"chatd/wire"
)

// sendPid puts text in the mailbox of the process to, from the process
// from: locally, or over the connection to the process's node.
func (c *Core) sendPid(ctx context.Context, from, to wire.Pid, text string) error {
	if to.Node == c.cfg.Self {
		return c.cfg.Procs.Send(to, proc.Message{From: from, Text: text})
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.AwaitTimeout)
	defer cancel()
	conn, err := c.conn(ctx, to.Node)
	if err != nil {
		return err
	}
	return conn.Send(ctx, from, to, text)
}

// Deliver implements peer.Local: a peer's message for a local process.
func (c *Core) Deliver(from, to wire.Pid, text string) error {
	return c.cfg.Procs.Send(to, proc.Message{From: from, Text: text})
}

// StartProcess implements peer.Local: a process a peer spawned here.
func (c *Core) StartProcess(caller wire.NodeName, sp wire.Spawn, out func(line string)) (peer.Process, error) {
	f, err := c.lookupFunc(sp.Function, sp.Args)
	if err != nil {
		return nil, err
	}
	return c.cfg.Procs.Spawn(proc.Spec{
		Function: sp.Function, Args: sp.Args, LinkedTo: sp.LinkedTo,
		Run: c.processBody(caller, f, sp.Args), Output: out,
	})
}

// processBody runs f as the body of a process started for caller.
func (c *Core) processBody(caller wire.NodeName, f function.Func, args []string) func(context.Context, *proc.Process) error {
	return func(ctx context.Context, p *proc.Process) error {
		env := &function.Env{
			Node: c.cfg.Self, Caller: caller, Sink: c.cfg.Sink, ResponderReply: c.responderReply, Call: c.Call,
			Print: p.Print,
		}
		c.withMailbox(env, p)
		_, err := f.Run(ctx, env, args)
		return err
	}
}

// withMailbox gives env the Receive and SendPid of process p.
func (c *Core) withMailbox(env *function.Env, p *proc.Process) {
	env.Receive = func(ctx context.Context) (wire.Pid, string, error) {
		m, err := p.Receive(ctx)
		return m.From, m.Text, err
	}
	env.SendPid = func(ctx context.Context, to wire.Pid, text string) error { return c.sendPid(ctx, p.Pid(), to, text) }
}

// SendFromShell puts text in the mailbox of the process to, from the
// shell.
func (c *Core) SendFromShell(ctx context.Context, to wire.Pid, text string) (wire.SendResponse, error) {
	from := c.cfg.Procs.Shell().Pid()
	if err := c.sendPid(ctx, from, to, text); err != nil {
		return wire.SendResponse{}, err
	}
	return wire.SendResponse{From: from.String(), To: to.String()}, nil
}

// Flush empties the shell's mailbox, returning what it held.
func (c *Core) Flush() wire.FlushResponse {
	shell := c.cfg.Procs.Shell()
	ms := shell.Drain()
	out := make([]wire.MailboxMessage, len(ms))
	for i, m := range ms {
		out[i] = m.Info()
	}
	return wire.FlushResponse{Shell: shell.Pid().String(), Messages: out}
}

// Processes lists the local processes.
func (c *Core) Processes() []wire.ProcessInfo { return c.cfg.Procs.List() }

// notifyShell puts an exit notice for pid in the shell's mailbox.
func (c *Core) notifyShell(pid wire.Pid, reason string) {
	if err := c.cfg.Procs.Shell().Deliver(proc.Message{From: pid, Exit: true, Reason: reason}); err != nil {
		c.log.Warn("exit notice lost: the shell's mailbox is full", "pid", pid.String(), "reason", reason, "err", err)
	}
}
