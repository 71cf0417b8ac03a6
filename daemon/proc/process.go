package proc

import (
	"context"
	"errors"
	"sync"
	"time"

	"chatd/wire"
)

// Process is one lightweight process.
type Process struct {
	pid      wire.Pid
	function string
	args     []string
	linkedTo wire.Pid
	started  time.Time
	mbox     *mailbox
	output   func(line string) // nil: printing is discarded

	ctx    context.Context
	cancel context.CancelCauseFunc

	exitOnce sync.Once
	reason   string        // set before done closes
	done     chan struct{} // closed when the process has ended
}

// Pid returns the process's pid.
func (p *Process) Pid() wire.Pid { return p.pid }

// LinkedTo returns the pid the process is linked to (zero for none).
func (p *Process) LinkedTo() wire.Pid { return p.linkedTo }

// Receive waits for the next message until ctx or the process ends.
func (p *Process) Receive(ctx context.Context) (Message, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(p.ctx, cancel)
	defer stop()
	return p.mbox.take(ctx)
}

// Drain empties the mailbox, returning what it held, oldest first (the
// shell's flush).
func (p *Process) Drain() []Message { return p.mbox.drain() }

// Deliver puts m in the mailbox (an exit notice for the shell).
func (p *Process) Deliver(m Message) error {
	if m.Time.IsZero() {
		m.Time = time.Now()
	}
	return p.mbox.put(m)
}

// Print sends a line to whoever the process's output belongs to.
func (p *Process) Print(line string) {
	if p.output != nil {
		p.output(line)
	}
}

// Kill ends the process: its context is cancelled with reason as the cause.
func (p *Process) Kill(reason string) { p.cancel(errors.New(reason)) }

// Done is closed when the process has ended.
func (p *Process) Done() <-chan struct{} { return p.done }

// Reason is why the process ended ("normal" or the error); valid after Done.
func (p *Process) Reason() string { return p.reason }

func (p *Process) exit(reason string) {
	p.exitOnce.Do(func() {
		p.reason = reason
		p.cancel(errors.New(reason))
		close(p.done)
	})
}

// Info describes the process for the control API.
func (p *Process) Info() wire.ProcessInfo {
	info := wire.ProcessInfo{
		Pid: p.pid.String(), Function: p.function, Args: wire.ShownArgs(p.args),
		Mailbox: p.mbox.len(), Started: p.started,
	}
	if !p.linkedTo.IsZero() {
		info.LinkedTo = p.linkedTo.String()
	}
	return info
}
