package beam

import (
	"errors"

	"chatd/daemon/peer"
)

// handshakeResult classifies a handshake's error: this node's refusals
// are refused, the rest as peer.ResultOf says. It reports false for a
// simultaneous connect that lost to the other connection, and for this
// node shutting down.
func handshakeResult(err error) (peer.HandshakeResult, bool) {
	if errors.Is(err, errSimultaneous) || errors.Is(err, peer.ErrShutdown) {
		return "", false
	}
	if r, ok := errors.AsType[*refusal](err); ok {
		return peer.HandshakeRefused, !r.race
	}
	return peer.ResultOf(err), true
}
