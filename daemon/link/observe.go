package link

import (
	"errors"

	"chatd/daemon/peer"
	"chatd/wire"
)

// handshakeResult classifies a handshake's error: refusals either way
// (but a cookie mismatch) and TLS failures are refused, the rest as
// peer.ResultOf says. It reports false for a simultaneous connect that
// lost to the peer's connection, which is no failure.
func handshakeResult(err error) (peer.HandshakeResult, bool) {
	if re, ok := errors.AsType[*refusedError](err); ok {
		switch re.reason {
		case wire.RefuseDuplicate:
			return "", false
		case wire.RefuseCookie:
			return peer.HandshakeCookieMismatch, true
		}
		return peer.HandshakeRefused, true
	}
	if errors.Is(err, errDuplicate) {
		return "", false
	}
	if r := peer.ResultOf(err); r != peer.HandshakeFailed || !errors.Is(err, ErrTLS) {
		return r, true
	}
	return peer.HandshakeRefused, true
}

// direction names a link's direction as LinkInfo does.
func direction(outbound bool) string {
	if outbound {
		return "out"
	}
	return "in"
}
