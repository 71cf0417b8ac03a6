package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"chatd/client"
)

// withStream runs fn, a follow or a watch (what names it in errors, e.g.
// "tasks --watch"), with a client for the selected daemon. The global
// --timeout does not apply: the stream runs until SIGINT or SIGTERM (or the
// end of c.Context) interrupts it, and that is success. The daemon ending
// the stream on its own, cleanly or cut short, is a failure: lines may
// have been missed.
func withStream(c *cli.Context, target, what string, fn func(context.Context, *client.Client) error) error {
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()

	sock, err := newSelection(c, os.Getenv, os.Getuid(), target).resolve(ctx)
	if ctx.Err() != nil {
		return nil // interrupted while looking for the node
	}
	if err != nil {
		return err
	}
	cl := newClient(c, sock)
	defer cl.CloseIdleConnections()
	err = fn(ctx, cl)
	if ctx.Err() != nil {
		return nil // interrupted: how a follow is meant to end
	}
	if err == nil || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
		// Ended cleanly, or cut (a daemon stopping may not finish the body).
		return &streamEndedError{what: what, socket: sock, err: err}
	}
	return err
}

// streamEndedError means the daemon closed a follow or watch stream that
// was meant to run until interrupted. It maps to exitFailure.
type streamEndedError struct {
	what   string // the command, e.g. "messages --follow"
	socket string // the daemon's control socket
	err    error  // nil when the daemon ended the stream cleanly
}

func (e *streamEndedError) Error() string {
	return fmt.Sprintf("%s: chatd at %s ended the stream (it is stopping, or it cut off a follower that fell behind);"+
		" run the command again to resume", e.what, e.socket)
}

// Unwrap returns the read error that cut the stream, if any.
func (e *streamEndedError) Unwrap() error { return e.err }
