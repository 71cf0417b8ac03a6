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

// interruptible returns c's context, ended also by SIGINT and SIGTERM: the
// context of a command that runs until the user stops it.
func interruptible(c *cli.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
}

// untilInterrupted runs fn with a client for sel's daemon under a context
// that SIGINT or SIGTERM (or the end of c.Context) ends. The global
// --timeout does not apply. Being interrupted while the daemon is looked
// up is success: nothing was asked of it yet.
func untilInterrupted(c *cli.Context, sel selection, fn func(context.Context, *client.Client) error) error {
	ctx, stop := interruptible(c)
	defer stop()
	sock, err := sel.resolve(ctx)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return err
	}
	cl := newClient(c, sock)
	defer cl.CloseIdleConnections()
	return fn(ctx, cl)
}

// withStream runs fn, a follow or a watch (what names it in errors, e.g.
// "tasks --watch"), with a client for the selected daemon, until
// interrupted (see untilInterrupted); being interrupted is success. The
// daemon ending the stream on its own, cleanly or cut short, is a
// failure: lines may have been missed.
func withStream(c *cli.Context, target, what string, fn func(context.Context, *client.Client) error) error {
	return untilInterrupted(c, selected(c, target), func(ctx context.Context, cl *client.Client) error {
		err := fn(ctx, cl)
		if ctx.Err() != nil {
			return nil // interrupted: how a follow is meant to end
		}
		if err == nil || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
			// Ended cleanly, or cut (a daemon stopping may not finish the body).
			return &streamEndedError{what: what, socket: cl.Socket(), err: err}
		}
		return err
	})
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
