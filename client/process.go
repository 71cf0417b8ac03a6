package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"

	"chatd/wire"
)

// This file holds the process endpoints: spawn (the lesson's
// Node.spawn_link/2), the shell's mailbox (flush/0) and the process list.

// ErrNoExit is wrapped by Spawn's error when the daemon ended a spawn's
// stream, cleanly or cut short, before the process's exit event: the node
// went away (it stopped or crashed) and the process's end was not seen.
var ErrNoExit = errors.New("the spawn stream ended before the process's exit event")

// errExited is what Spawn's callback wrapper returns after the exit event,
// to stop reading a stream that has nothing more to say.
var errExited = errors.New("process exited")

// Spawn starts req.Function with req.Args as an unsupervised process on
// req.Node, linked to this node's shell (POST /v1/spawn), and calls fn with
// each wire.SpawnEvent in order.
//
// Without req.Detach the daemon streams NDJSON: a "pid" event, any number of
// "output" events (the lines the process prints), and an "exit" event with
// the reason. Spawn returns nil right after fn handled the exit event. Only
// ctx bounds the stream (the Client sets no timeout of its own), since a
// process may run as long as it likes. A stream that ends before the exit event is an error
// wrapping ErrNoExit. As with the other streams, fn's error comes back as fn
// returned it, and ctx.Err() when ctx ended the stream.
//
// With req.Detach the daemon answers at once with the "pid" event alone, as a
// plain JSON object; fn is called with it and Spawn returns. An answer that
// is not a "pid" event with a pid is an error.
//
// A spawn refused before it started (no connection to req.Node, an unknown
// function) is an *APIError.
func (c *Client) Spawn(ctx context.Context, req wire.SpawnRequest, fn func(wire.SpawnEvent) error) error {
	if req.Detach {
		ev, err := exchange[wire.SpawnEvent](ctx, c, http.MethodPost, wire.PathSpawn, req)
		if err != nil {
			return err
		}
		if ev.Event != wire.SpawnEventPid || ev.Pid == "" {
			return c.wrap(http.MethodPost, wire.PathSpawn,
				fmt.Errorf("a detached spawn was answered with event %q and pid %q, want a %q event with a pid",
					ev.Event, ev.Pid, wire.SpawnEventPid))
		}
		return fn(ev)
	}
	err := stream(ctx, c, http.MethodPost, wire.PathSpawn, req, func(ev wire.SpawnEvent) error {
		if err := fn(ev); err != nil {
			return err
		}
		if ev.Event == wire.SpawnEventExit {
			return errExited
		}
		return nil
	})
	switch {
	case errors.Is(err, errExited):
		return nil
	case err == nil:
		return c.wrap(http.MethodPost, wire.PathSpawn, ErrNoExit)
	case ctx.Err() == nil && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)):
		// Cut mid-body: a daemon that stops may not finish the response.
		return fmt.Errorf("%w: %w", ErrNoExit, err)
	}
	return err
}

// Flush returns the messages and exit notices waiting in this node's shell
// mailbox, oldest first, and empties it (POST /v1/flush), as the lesson's
// flush/0 does.
func (c *Client) Flush(ctx context.Context) (wire.FlushResponse, error) {
	return exchange[wire.FlushResponse](ctx, c, http.MethodPost, wire.PathFlush, struct{}{})
}

// Processes lists the node's local processes, its shell among them
// (GET /v1/processes).
func (c *Client) Processes(ctx context.Context) (wire.ProcessesResponse, error) {
	return exchange[wire.ProcessesResponse](ctx, c, http.MethodGet, wire.PathProcesses, nil)
}
