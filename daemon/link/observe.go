package link

import (
	"errors"

	"chatd/daemon/peer"
	"chatd/wire"
)

// observer is the manager's peer.Observer, a no-op when none is set.
func (m *Manager) observer() peer.Observer {
	if m.cfg.Observer == nil {
		return peer.Observers(nil)
	}
	return m.cfg.Observer
}

// observeHandshake reports how a handshake with node ended. A lost
// simultaneous-connect race is not reported (the other connection is the
// link), nor is a handshake cut short by this node stopping.
func (m *Manager) observeHandshake(node wire.NodeName, direction, addr string, err error) {
	result, ok := handshakeResult(err)
	if !ok || (err != nil && m.ctx.Err() != nil) {
		return
	}
	m.observer().Handshake(peer.Handshake{
		Protocol: Protocol, Node: node, Direction: direction, Address: addr, Result: result, Err: err,
	})
}

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

// observeDown reports l down, with why.
func (m *Manager) observeDown(l *Link) {
	reason, detail := l.downCause()
	m.observer().Down(peer.Down{Info: l.Info(), Reason: reason, Detail: detail})
}

// direction names a link's direction as LinkInfo does.
func direction(outbound bool) string {
	if outbound {
		return "out"
	}
	return "in"
}
