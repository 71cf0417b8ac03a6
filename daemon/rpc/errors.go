// Package rpc carries calls between nodes: a caller opens one long-lived
// calls stream per link and multiplexes its calls on it by id; the peer
// runs each call as a task on its supervisor and sends the result back.
package rpc

import (
	"fmt"
	"time"

	"chatd/wire"
)

// CallError is a call that reached a supervisor (or timed out waiting for
// one) but did not return a result: the function failed, panicked, was
// unknown, or the caller stopped waiting. A dead link is a
// *link.ConnectError instead.
type CallError struct {
	Node     wire.NodeName     // where the task ran
	Function string            // what it ran
	Status   wire.ResultStatus // how it ended
	Message  string            // the function's error, the panic, or why
}

// Error prints "kate@localhost: crash: panic: ..." and the like.
func (e *CallError) Error() string {
	switch e.Status {
	case wire.ResultTimeout, wire.ResultOverloaded, wire.ResultUnknownFunction, wire.ResultNoProcess, wire.ResultMailboxFull:
		return fmt.Sprintf("%s: %s", e.Node, e.Message)
	}
	return fmt.Sprintf("%s: %s: %s", e.Node, e.Function, e.Message)
}

// timeoutError is the CallError for an await that ran out.
func timeoutError(node wire.NodeName, fn string, d time.Duration) *CallError {
	return &CallError{Node: node, Function: fn, Status: wire.ResultTimeout,
		Message: fmt.Sprintf("%s timed out after %s (the task was cancelled)", fn, d.Round(time.Millisecond))}
}

// resultError turns a non-OK result into a CallError.
func resultError(node wire.NodeName, fn string, r wire.Result) *CallError {
	msg := r.Value
	if msg == "" {
		msg = r.Status.String()
	}
	return &CallError{Node: node, Function: fn, Status: r.Status, Message: msg}
}
