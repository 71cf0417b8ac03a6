package beam

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

// observeHandshake reports how a handshake with node ended (node is zero
// when the peer never said a name chatd accepts). A simultaneous connect
// lost to the other connection is not reported, nor is a handshake cut
// short by this node stopping.
func (m *Manager) observeHandshake(node wire.NodeName, direction, addr string, err error) {
	result, ok := handshakeResult(err)
	if !ok || (err != nil && m.ctx.Err() != nil) {
		return
	}
	m.observer().Handshake(peer.Handshake{
		Protocol: Protocol, Node: node, Direction: direction, Address: addr, Result: result, Err: err,
	})
}

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
