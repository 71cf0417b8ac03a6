package link

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/yamux"

	"chatd/daemon/peer"
	"chatd/wire"
)

// Accept implements peer.Protocol: it handshakes with a connecting peer
// and installs the link. The handshake ends early when ctx or the manager
// ends.
func (m *Manager) Accept(ctx context.Context, conn net.Conn) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopManager := context.AfterFunc(m.ctx, cancel)
	defer stopManager()
	addr := conn.RemoteAddr().String()
	deadline := peer.HandshakeDeadline(ctx, m.cfg.HandshakeTimeout)
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	if m.cfg.TLS != nil {
		tc, err := m.cfg.TLS.server(ctx, conn)
		if err != nil {
			stop()
			_ = conn.Close()
			m.logRefused(addr, peerHello{}, err)
			m.report.Handshake(wire.NodeName{}, "in", addr, err)
			return
		}
		conn = tc
	}
	var st *peerState
	hello, err := accept(conn, m.id, func(p peerHello) (wire.RefuseReason, string) {
		if err := certAllows(conn, p.name.Host); err != nil {
			return wire.RefuseIdentity, fmt.Sprintf("the certificate is not valid for %s: %v", p.name.Host, err)
		}
		var reason wire.RefuseReason
		var text string
		st, reason, text = m.admit(p)
		return reason, text
	}, func() bool { return m.guesses.Wait(ctx, peer.RemoteIP(conn), time.Until(deadline)) })
	stop()
	if err != nil {
		m.finishAccept(hello.name, st)
		_ = conn.Close()
		m.logRefused(addr, hello, err)
		m.report.Handshake(hello.name, "in", addr, err)
		return
	}
	m.report.Handshake(hello.name, "in", addr, nil)
	_ = conn.SetDeadline(time.Time{})
	l, err := m.newLink(conn, hello.name, hello.incarnation, false, yamux.Server)
	m.mu.Lock()
	if err == nil {
		err = m.install(st, l)
	}
	st.accepting = false
	st.notify()
	m.tidy(hello.name)
	m.mu.Unlock()
	if err != nil && !errors.Is(err, peer.ErrShutdown) {
		m.log.Warn("link from peer failed", "node", hello.name.String(), "peer_addr", addr, "err", err)
	}
}

// finishAccept clears the accepting mark that admit set, if it did, and
// forgets the peer if nothing else holds it (a refused stranger leaves no
// state behind).
func (m *Manager) finishAccept(node wire.NodeName, st *peerState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if st != nil {
		st.accepting = false
		st.notify()
	}
	m.tidy(node)
}

func (m *Manager) logRefused(addr string, hello peerHello, err error) {
	args := []any{"peer_addr", addr, "err", err}
	if !hello.name.IsZero() {
		args = append(args, "claims", hello.name.String())
	}
	switch {
	case errors.Is(err, peer.ErrCookieMismatch):
		m.log.Warn("refused link attempt: cookie mismatch", args...)
	case errors.Is(err, ErrTLS):
		m.log.Warn("refused link attempt: TLS handshake failed", args...)
	case m.ctx.Err() != nil:
	case isTimeout(err):
		m.log.Warn("refused link attempt: handshake timed out", append(args, "timeout", m.cfg.HandshakeTimeout)...)
	default:
		m.log.Info("refused link attempt", args...)
	}
}

// admit decides whether a handshake from p may go on. On yes it marks the
// peer as accepting and returns its state; the caller clears the mark.
func (m *Manager) admit(p peerHello) (*peerState, wire.RefuseReason, string) {
	if p.name == m.cfg.Self {
		return nil, wire.RefuseNameInUse, fmt.Sprintf("%s is this node's own name", p.name)
	}
	m.mu.Lock()
	if m.closing {
		m.mu.Unlock()
		return nil, wire.RefuseShutdown, ""
	}
	st := m.state(p.name)
	for st.accepting {
		// A previous handshake from the same node is finishing; wait for it.
		ch := st.changed
		m.mu.Unlock()
		select {
		case <-ch:
		case <-time.After(m.cfg.HandshakeTimeout):
			return nil, wire.RefuseBusy, "a handshake from this node is already in progress"
		case <-m.ctx.Done():
			return nil, wire.RefuseShutdown, ""
		}
		m.mu.Lock()
		st = m.state(p.name)
	}
	if st.dialing && m.cfg.Self.String() < p.name.String() {
		// Both sides are connecting: the node with the smaller name keeps
		// the connection it dialled.
		m.mu.Unlock()
		return nil, wire.RefuseDuplicate, ""
	}
	old := st.link
	st.accepting = true
	m.mu.Unlock()
	if old == nil {
		return st, 0, ""
	}
	// A link exists. A new incarnation is a restarted peer unless the old
	// link still answers; the same incarnation redialling either raced
	// with our own dial or saw the old link die before we did.
	switch {
	case old.incarnation != p.incarnation && m.stillAlive(old):
		m.finishAccept(p.name, st)
		return nil, wire.RefuseNameInUse, fmt.Sprintf("%s is linked to a live node of that name", m.cfg.Self)
	case old.incarnation == p.incarnation && old.outbound && m.cfg.Self.String() < p.name.String() && m.stillAlive(old):
		m.finishAccept(p.name, st)
		return nil, wire.RefuseDuplicate, ""
	}
	return st, 0, ""
}

// stillAlive reports whether an existing link still answers, so that a
// second node claiming the same name can be told apart from a restart.
func (m *Manager) stillAlive(l *Link) bool {
	m.mu.Lock()
	tick := m.cfg.Tick
	m.mu.Unlock()
	ctx, cancel := context.WithTimeout(m.ctx, min(tick/2, time.Second))
	defer cancel()
	_, err := l.Ping(ctx)
	return err == nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
