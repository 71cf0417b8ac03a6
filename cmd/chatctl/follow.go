package main

// messages --follow, which outlives its node like tail -F: when the node
// stops (or restarts), chatctl says so, waits for it to answer on the
// same control socket again, says it reconnected, and goes on from the
// last message it printed.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/wire"
)

// reconnectInterval is how often a follow whose node went away tries
// its control socket again (tail -F polls once a second).
const reconnectInterval = 500 * time.Millisecond

// replayAll asks a reconnected follow for every message the node keeps;
// those already printed are skipped.
const replayAll = 1 << 20

// followMessages is `messages --follow`, printing the last n messages
// first (none when n is 0). The first connection failing is an error, as
// for any command; after it, losing the node is not: it runs until
// interrupted (exit 0).
func followMessages(c *cli.Context, n int) error {
	sel := selected(c, "")
	return untilInterrupted(c, sel, func(ctx context.Context, cl *client.Client) error {
		f := &follower{c: c, last: time.Now(), atLast: map[string]bool{}}
		err := cl.FollowMessages(ctx, n, f.print)
		for {
			switch {
			case ctx.Err() != nil:
				return nil // interrupted: how a follow is meant to end
			case !streamEnded(err) && (!f.replaying || !nodeWentAway(err)):
				return err // the first follow refused, or no node to go on with
			}
			fmt.Fprintf(c.App.ErrWriter, "chatctl: messages --follow: lost %s (%s); reconnecting when it answers again (Ctrl-C stops)\n",
				sel.who(cl.Socket()), awayReason(err))
			st, werr := awaitNode(ctx, cl)
			if werr != nil {
				return nil // interrupted while waiting
			}
			fmt.Fprintf(c.App.ErrWriter, "chatctl: messages --follow: reconnected to %s (running since %s)\n",
				st.Node, st.Started.Local().Format("15:04:05"))
			f.replaying = true
			err = cl.FollowMessages(ctx, replayAll, f.print)
		}
	})
}

// streamEnded reports whether a follow's err means the daemon ended a
// stream it had started: it stopped, or cut this follow off.
func streamEnded(err error) bool {
	if err == nil {
		return true
	}
	re, ok := errors.AsType[*client.RequestError](err)
	return ok && connectionLost(re.Err)
}

// nodeWentAway reports whether a reconnected follow's err means the node
// went away again before the follow began: between the status that
// answered and the follow, it stopped.
func nodeWentAway(err error) bool {
	if _, ok := errors.AsType[*client.UnreachableError](err); ok {
		return true
	}
	return wire.CodeOf(err) == wire.CodeUnavailable
}

// awayReason says why a follow ended, for the message.
func awayReason(err error) string {
	switch {
	case err == nil:
		return "it ended the stream: it is stopping, or this follow fell behind"
	case errors.Is(err, syscall.ENOENT):
		return "its control socket is gone"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "nothing listens on its control socket"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		return "the connection broke: it stopped or crashed"
	}
	return err.Error()
}

// awaitNode tries cl's node every reconnectInterval until it answers
// GET /v1/status, and returns its status; it fails only when ctx ends.
func awaitNode(ctx context.Context, cl *client.Client) (wire.StatusResponse, error) {
	tick := time.NewTicker(reconnectInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return wire.StatusResponse{}, ctx.Err()
		case <-tick.C:
		}
		if st, err := cl.Status(ctx); err == nil {
			return st, nil
		}
	}
}

// follower prints the messages of one follow across reconnections, each
// once: a reconnected follow replays what the node keeps, and of those only
// the messages after the last one printed (the start of the follow, if
// none) are printed.
type follower struct {
	c         *cli.Context
	replaying bool            // a reconnected follow: skip what was printed
	last      time.Time       // the time of the last message printed, at first the start
	atLast    map[string]bool // the ids printed whose time is last
}

// print prints m unless a reconnected follow replays it.
func (f *follower) print(m wire.Message) error {
	if f.replaying && (m.Time.Before(f.last) || m.Time.Equal(f.last) && f.atLast[m.ID]) {
		return nil
	}
	if m.Time.After(f.last) {
		f.last, f.atLast = m.Time, map[string]bool{}
	}
	if m.Time.Equal(f.last) {
		f.atLast[m.ID] = true
	}
	if jsonOutput(f.c) {
		return printJSONLine(f.c.App.Writer, m)
	}
	return printLine(f.c.App.Writer, "%s", messageLine(m))
}
