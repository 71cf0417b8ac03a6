package link

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/hashicorp/yamux"

	"chatd/wire"
)

var errConnRefused = syscall.ECONNREFUSED

// maxHandshakes bounds the incoming handshakes in progress at once; each
// is also bounded in time by the handshake timeout.
const maxHandshakes = 4096

// handshakeLimit is maxHandshakes, or a quarter of the process's
// descriptor limit when that is lower (at least 16), so that a flood of
// half-finished handshakes cannot take the descriptors that links, the
// mapper and the control socket need.
func handshakeLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur/4 >= maxHandshakes {
		return maxHandshakes
	}
	return max(int(rl.Cur/4), 16)
}

// Serve accepts peers' connections on ln until ln is closed, handshaking
// each in its own goroutine. It returns nil once ln is closed.
func (m *Manager) Serve(ln net.Listener) error {
	limit := handshakeLimit()
	sem := make(chan struct{}, limit)
	var backoff time.Duration
	var lastWarn time.Time // when the last refusal for want of a slot was logged
	refused := 0           // refusals since
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			// EMFILE and friends: wait for descriptors to free up.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			m.log.Warn("accept failed; retrying", "listen", ln.Addr().String(), "err", err, "backoff", backoff)
			select {
			case <-time.After(backoff):
				continue
			case <-m.ctx.Done():
				return nil
			}
		}
		backoff = 0
		select {
		case sem <- struct{}{}:
		default:
			// At most one line a second under a flood, with the count.
			if refused++; time.Since(lastWarn) >= time.Second {
				m.log.Warn("refusing link attempts: too many handshakes in progress", "peer_addr", conn.RemoteAddr().String(), "limit", limit, "refused", refused)
				lastWarn, refused = time.Now(), 0
			}
			_ = conn.Close()
			continue
		}
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			defer func() { <-sem }()
			m.handleIncoming(conn)
		}()
	}
}

// handleIncoming handshakes with a connecting peer and installs the link.
func (m *Manager) handleIncoming(conn net.Conn) {
	addr := conn.RemoteAddr().String()
	deadline := time.Now().Add(m.cfg.HandshakeTimeout)
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(m.ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	if m.cfg.TLS != nil {
		tc, err := m.cfg.TLS.server(m.ctx, conn)
		if err != nil {
			stop()
			_ = conn.Close()
			m.logRefused(addr, peerHello{}, err)
			return
		}
		conn = tc
	}
	var st *peerState
	peer, err := accept(conn, m.id, func(p peerHello) (wire.RefuseReason, string) {
		if err := certAllows(conn, p.name.Host); err != nil {
			return wire.RefuseIdentity, fmt.Sprintf("the certificate is not valid for %s: %v", p.name.Host, err)
		}
		var reason wire.RefuseReason
		var text string
		st, reason, text = m.admit(p)
		return reason, text
	}, func() bool { return m.guesses.wait(m.ctx, remoteIP(conn), time.Until(deadline)) })
	stop()
	if err != nil {
		m.finishAccept(peer.name, st)
		_ = conn.Close()
		m.logRefused(addr, peer, err)
		return
	}
	_ = conn.SetDeadline(time.Time{})
	l, err := m.newLink(conn, peer.name, peer.incarnation, false, yamux.Server)
	m.mu.Lock()
	if err == nil {
		err = m.install(st, l)
	}
	st.accepting = false
	st.notify()
	m.tidy(peer.name)
	m.mu.Unlock()
	if err != nil && !errors.Is(err, ErrShutdown) {
		m.log.Warn("link from peer failed", "node", peer.name.String(), "peer_addr", addr, "err", err)
	}
}

// finishAccept clears the accepting mark that admit set, if it did, and
// forgets the peer if nothing else holds it (a refused stranger leaves no
// state behind).
func (m *Manager) finishAccept(peer wire.NodeName, st *peerState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if st != nil {
		st.accepting = false
		st.notify()
	}
	m.tidy(peer)
}

func (m *Manager) logRefused(addr string, peer peerHello, err error) {
	args := []any{"peer_addr", addr, "err", err}
	if !peer.name.IsZero() {
		args = append(args, "claims", peer.name.String())
	}
	switch {
	case errors.Is(err, ErrCookieMismatch):
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
