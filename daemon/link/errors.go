package link

import (
	"errors"
	"fmt"

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
	if r.Text == "" {
		return fmt.Errorf("refused by peer: %w", base)
	}
	return fmt.Errorf("refused by peer: %w (%s)", base, r.Text)
}
