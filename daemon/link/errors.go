package link

import (
	"errors"
	"fmt"

	"chatd/wire"
)

// Sentinel errors callers test with errors.Is. A ConnectError wraps one of
// them as its reason.
var (
	// ErrNotRegistered: the port mapper does not know the node.
	ErrNotRegistered = errors.New("not registered with the port mapper")
	// ErrNoMapper: no port mapper answers on the node's host.
	ErrNoMapper = errors.New("no port mapper answers")
	// ErrRefused: the node's port refused the TCP connection.
	ErrRefused = errors.New("connection refused")
	// ErrCookieMismatch: one side's cookie proof did not verify.
	ErrCookieMismatch = errors.New("cookie mismatch")
	// ErrVersion: the two nodes share no protocol version.
	ErrVersion = errors.New("protocol version mismatch")
	// ErrNameInUse: another live node holds the name.
	ErrNameInUse = errors.New("name in use")
	// ErrTimeout: the dial or handshake did not finish in time.
	ErrTimeout = errors.New("timed out")
	// ErrShutdown: this node is shutting down.
	ErrShutdown = errors.New("node is shutting down")
	// ErrLinkDown: the link closed while the operation was in flight.
	ErrLinkDown = errors.New("link went down")
	// ErrProtocol: the peer sent something the protocol does not allow.
	ErrProtocol = errors.New("protocol error")
	// ErrSelf: a node cannot link to itself.
	ErrSelf = errors.New("that is this node")

	// errDuplicate: the peer keeps the connection it dialled to us instead.
	errDuplicate = errors.New("simultaneous connect: the peer's connection wins")
)

// ConnectError reports that no link to Node could be had.
type ConnectError struct {
	// Node is the peer that could not be reached.
	Node wire.NodeName
	// Err is the reason, wrapping one of the sentinel errors where one fits.
	Err error
}

// Error prints "no connection to kate@localhost: <reason>", as Erlang's
// ** (EXIT) no connection to ... does.
func (e *ConnectError) Error() string {
	return fmt.Sprintf("no connection to %s: %v", e.Node, e.Err)
}

// Unwrap returns the reason.
func (e *ConnectError) Unwrap() error { return e.Err }

// refusalError turns a peer's refusal into the matching sentinel.
func refusalError(r wire.Refuse) error {
	var base error
	switch r.Reason {
	case wire.RefuseCookie:
		base = ErrCookieMismatch
	case wire.RefuseVersion:
		base = ErrVersion
	case wire.RefuseNameInUse:
		base = ErrNameInUse
	case wire.RefuseShutdown:
		base = ErrShutdown
	case wire.RefuseDuplicate:
		base = errDuplicate
	case wire.RefuseIdentity, wire.RefuseTLS:
		base = ErrTLS
	default:
		base = ErrProtocol
	}
	if r.Text == "" {
		return fmt.Errorf("refused by peer: %w", base)
	}
	return fmt.Errorf("refused by peer: %w (%s)", base, r.Text)
}
