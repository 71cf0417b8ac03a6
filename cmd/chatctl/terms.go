package main

// Failures on the way to the daemon, said in the user's terms: how long
// chatctl waited and which flag set it, or that the node went away; never
// the context package's or net/http's words, nor the request's path.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"

	"chatd/client"
)

// inUserTerms returns err, from command's request to the daemon at sock
// (who names it: a node, or the socket) under a context that ctx's end
// stopped, in the user's terms: a
// *timeoutError when chatctl's own limit passed (after, set by limit), a
// *goneError when the daemon closed the connection before answering.
// Other errors pass through.
func inUserTerms(ctx context.Context, command, sock, who string, after time.Duration, limit string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return &timeoutError{command: command, who: who, after: after, limit: limit, err: err}
	}
	if re, ok := errors.AsType[*client.RequestError](err); ok && connectionLost(re.Err) {
		return &goneError{command: command, socket: sock, err: err}
	}
	return err
}

// connectionLost reports whether err means the connection to the daemon
// ended under a request.
func connectionLost(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// timeoutError is chatctl giving up on the daemon's answer. It maps to
// exitFailure and, with --json, to the timeout code.
type timeoutError struct {
	command string
	who     string        // the node asked, or its socket; "" before one was found
	after   time.Duration // how long chatctl waited
	limit   string        // what set it, e.g. "chatctl --timeout 2s"
	err     error         // wraps context.DeadlineExceeded
}

func (e *timeoutError) Error() string {
	from := ""
	if e.who != "" {
		from = " from " + e.who
	}
	return fmt.Sprintf("%s: timed out after %s with no answer%s (%s)", e.command, e.after, from, e.limit)
}

// Unwrap returns the request's error, which wraps context.DeadlineExceeded.
func (e *timeoutError) Unwrap() error { return e.err }

// goneError is the daemon closing the connection before it answered: it
// stopped or crashed. It maps to exitFailure and, with --json, to the
// unavailable code.
type goneError struct {
	command string
	socket  string
	err     error
}

func (e *goneError) Error() string {
	return fmt.Sprintf("%s: chatd at %s closed the connection before answering (it stopped or crashed; its log says which)",
		e.command, e.socket)
}

// Unwrap returns the request's error.
func (e *goneError) Unwrap() error { return e.err }
