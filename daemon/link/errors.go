package link

import (
	"errors"

	"chatd/daemon/peer"
	"chatd/wire"
)

// Reasons particular to chatd's link protocol; the reasons every protocol
// shares (not registered, refused, cookie mismatch, ...) are in package
// peer. A *peer.ConnectError wraps them.
var (
	// ErrVersion: the two nodes share no protocol version.
	ErrVersion = errors.New("protocol version mismatch")
	// ErrNameInUse: another live node holds the name.
	ErrNameInUse = errors.New("name in use")

	// errDuplicate: the peer keeps the connection it dialled to us instead.
	errDuplicate = errors.New("simultaneous connect: the peer's connection wins")
)

// refusals maps a peer's refusal to the reason it stands for; a reason
// missing here is a protocol error.
var refusals = map[wire.RefuseReason]error{
	wire.RefuseCookie:    peer.ErrCookieMismatch,
	wire.RefuseVersion:   ErrVersion,
	wire.RefuseNameInUse: ErrNameInUse,
	wire.RefuseShutdown:  errPeerShutdown,
	wire.RefuseDuplicate: errDuplicate,
	wire.RefuseIdentity:  ErrTLS,
	wire.RefuseTLS:       ErrTLS,
}

// errPeerShutdown: the peer refused us because it is shutting down (not
// this node: peer.ErrShutdown would say this node is unavailable).
var errPeerShutdown = errors.New("node is shutting down")

// refusalError turns a peer's refusal into the matching reason.
func refusalError(r wire.Refuse) error {
	base, ok := refusals[r.Reason]
	if !ok {
		base = peer.ErrProtocol
	}
	return &refusedError{reason: r.Reason, text: r.Text, base: base, byPeer: true}
}

// refusedError is a handshake refusal, sent by the peer or by this node.
type refusedError struct {
	reason wire.RefuseReason
	text   string
	base   error // what a refusal from the peer stands for (refusals); nil for ours
	byPeer bool
}

// Error prints "refused by peer: <reason> (text)" for the peer's refusals,
// "refused: <reason> (text)" for this node's.
func (e *refusedError) Error() string {
	msg := "refused: " + e.reason.String()
	if e.byPeer {
		msg = "refused by peer: " + e.base.Error()
	}
	if e.text != "" {
		msg += " (" + e.text + ")"
	}
	return msg
}

// Unwrap returns what the peer's refusal stands for.
func (e *refusedError) Unwrap() error { return e.base }
