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
	addr := conn.RemoteAddr().String()
	ctx, deadline, end := m.peers.BoundHandshake(ctx, conn, m.cfg.HandshakeTimeout)
	if m.cfg.TLS != nil {
		tc, err := m.cfg.TLS.server(ctx, conn)
		if err != nil {
			end()
			_ = conn.Close()
			m.logRefused(addr, peerHello{}, err)
			m.peers.Handshake(wire.NodeName{}, "in", addr, err)
			return
		}
		conn = tc
	}
	var st *peer.Slot[*Link]
	hello, err := accept(conn, m.id, func(p peerHello) (wire.RefuseReason, string) {
		if err := certAllows(conn, p.name.Host); err != nil {
			return wire.RefuseIdentity, fmt.Sprintf("the certificate is not valid for %s: %v", p.name.Host, err)
		}
		var reason wire.RefuseReason
		var text string
		st, reason, text = m.admit(p)
		return reason, text
	}, func() bool { return m.guesses.Wait(ctx, peer.RemoteIP(conn), time.Until(deadline)) })
	end()
	if err != nil {
		if st != nil {
			m.peers.Refused(st)
		}
		_ = conn.Close()
		m.logRefused(addr, hello, err)
		m.peers.Handshake(hello.name, "in", addr, err)
		return
	}
	m.peers.Handshake(hello.name, "in", addr, nil)
	_ = conn.SetDeadline(time.Time{})
	l, err := m.newLink(conn, hello.name, hello.incarnation, false, yamux.Server)
	if err != nil {
		m.peers.Refused(st)
	} else {
		err = m.peers.Accepted(st, l)
	}
	if err != nil && !errors.Is(err, peer.ErrShutdown) {
		m.log.Warn("link from peer failed", "node", hello.name.String(), "peer_addr", addr, "err", err)
	}
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
	case m.peers.Context().Err() != nil:
	case isTimeout(err):
		m.log.Warn("refused link attempt: handshake timed out", append(args, "timeout", m.cfg.HandshakeTimeout)...)
	default:
		m.log.Info("refused link attempt", args...)
	}
}

// errBusy: a handshake from the same node is in progress.
var errBusy = errors.New("a handshake from this node is in progress")

// admit decides whether a handshake from p may go on. On yes it marks the
// peer as accepting and returns its slot; the caller clears the mark.
func (m *Manager) admit(p peerHello) (*peer.Slot[*Link], wire.RefuseReason, string) {
	if p.name == m.cfg.Self {
		return nil, wire.RefuseNameInUse, fmt.Sprintf("%s is this node's own name", p.name)
	}
	var st *peer.Slot[*Link]
	var old *Link
	for st == nil {
		var busy <-chan struct{}
		var err error
		st, err = m.peers.Admit(p.name, func(s *peer.Slot[*Link]) error {
			switch {
			case s.Accepting():
				busy = s.Changed()
				return errBusy
			case s.Dialing() && m.cfg.Self.String() < p.name.String():
				// Both sides are connecting: the node with the smaller name
				// keeps the connection it dialled.
				return errDuplicate
			}
			old, _ = s.Conn()
			return nil
		})
		switch {
		case err == nil:
		case errors.Is(err, errDuplicate):
			return nil, wire.RefuseDuplicate, ""
		case !errors.Is(err, errBusy): // peer.ErrShutdown
			return nil, wire.RefuseShutdown, ""
		default:
			// A previous handshake from the same node is finishing; wait for it.
			select {
			case <-busy:
			case <-time.After(m.cfg.HandshakeTimeout):
				return nil, wire.RefuseBusy, "a handshake from this node is already in progress"
			case <-m.peers.Context().Done():
				return nil, wire.RefuseShutdown, ""
			}
		}
	}
	if old == nil {
		return st, 0, ""
	}
	// A link exists. A new incarnation is a restarted peer unless the old
	// link still answers; the same incarnation redialling either raced
	// with our own dial or saw the old link die before we did.
	switch {
	case old.incarnation != p.incarnation && m.stillAlive(old):
		m.peers.Refused(st)
		return nil, wire.RefuseNameInUse, fmt.Sprintf("%s is linked to a live node of that name", m.cfg.Self)
	case old.incarnation == p.incarnation && old.outbound && m.cfg.Self.String() < p.name.String() && m.stillAlive(old):
		m.peers.Refused(st)
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
	ctx, cancel := context.WithTimeout(m.peers.Context(), min(tick/2, time.Second))
	defer cancel()
	_, err := l.Ping(ctx)
	return err == nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
