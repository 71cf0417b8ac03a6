package peer

import (
	"errors"
	"fmt"

	"chatd/wire"
)

// Reasons a peer could not be had, shared by every link protocol. A
// ConnectError wraps one of them; callers test with errors.Is.
var (
	// ErrNotRegistered: the port mapper does not know the node.
	ErrNotRegistered = errors.New("not registered with the port mapper")
	// ErrNoMapper: no port mapper answers on the node's host.
	ErrNoMapper = errors.New("no port mapper answers")
	// ErrRefused: the node's port refused the TCP connection.
	ErrRefused = errors.New("connection refused")
	// ErrCookieMismatch: one side's cookie proof did not verify.
	ErrCookieMismatch = wire.NewError(wire.CodeCookieMismatch, "cookie mismatch")
	// ErrTimeout: the dial, the handshake or a round trip did not finish in
	// time.
	ErrTimeout = errors.New("timed out")
	// ErrShutdown: this node is shutting down.
	ErrShutdown = wire.NewError(wire.CodeUnavailable, "node is shutting down")
	// ErrLinkDown: the connection closed while the operation was in flight.
	ErrLinkDown = errors.New("link went down")
	// ErrProtocol: the peer sent something its protocol does not allow.
	ErrProtocol = errors.New("protocol error")
	// ErrSelf: a node cannot link to itself.
	ErrSelf = errors.New("that is this node")
)

// ConnectError reports that no connection to Node could be had, or that it
// went down under an operation.
type ConnectError struct {
	// Node is the peer that could not be reached.
	Node wire.NodeName
	// Err is the reason, wrapping one of the reasons above where one fits.
	Err error
}

// Error prints "no connection to kate@localhost: <reason>", as Erlang's
// ** (EXIT) no connection to ... does.
func (e *ConnectError) Error() string {
	return fmt.Sprintf("no connection to %s: %v", e.Node, e.Err)
}

// Unwrap returns the reason.
func (e *ConnectError) Unwrap() error { return e.Err }

// Code is no_connection, unless the reason knows a kind of its own (a
// cookie mismatch, this node shutting down).
func (e *ConnectError) Code() wire.ErrorCode {
	if c, ok := errors.AsType[wire.Coded](e.Err); ok {
		return c.Code()
	}
	return wire.CodeNoConnection
}

// CallError is a call that reached a supervisor (or timed out waiting for
// one) but did not return a result: the function failed or panicked, was
// unknown or refused its arguments, the supervisor was full, or the caller
// stopped waiting. A dead connection is a *ConnectError instead.
type CallError struct {
	// Node is where the task ran.
	Node wire.NodeName
	// Function is what it ran.
	Function string
	// Kind is how it ended.
	Kind wire.ErrorCode
	// Message is the function's error, the panic, or why.
	Message string
	// Err is the local cause, when there is one (it is not sent on).
	Err error
}

// Error prints "kate@localhost: crash: panic: ..." and the like, leaving
// out the function where the message names it already.
func (e *CallError) Error() string {
	switch e.Kind {
	case wire.CodeTimeout, wire.CodeOverloaded, wire.CodeNotFound, wire.CodeNoProcess, wire.CodeMailboxFull:
		return fmt.Sprintf("%s: %s", e.Node, e.Message)
	}
	return fmt.Sprintf("%s: %s: %s", e.Node, e.Function, e.Message)
}

// Code returns the kind.
func (e *CallError) Code() wire.ErrorCode { return e.Kind }

// Unwrap returns the local cause.
func (e *CallError) Unwrap() error { return e.Err }

// CallFailed describes err, from running function on node, as a
// *CallError of err's kind.
func CallFailed(node wire.NodeName, function string, err error) *CallError {
	if ce, ok := errors.AsType[*CallError](err); ok {
		return ce
	}
	return &CallError{Node: node, Function: function, Kind: wire.CodeOf(err), Message: err.Error(), Err: err}
}

// Describe returns err's kind and its message for a peer: a *CallError's
// message without the node it ran on (the caller names the node itself),
// else the error's text.
func Describe(err error) (wire.ErrorCode, string) {
	if ce, ok := errors.AsType[*CallError](err); ok {
		return ce.Kind, ce.Message
	}
	return wire.CodeOf(err), err.Error()
}
