package beam

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"chatd/daemon/peer"
	"chatd/wire"
	"chatd/wire/dist"
)

// errSimultaneous: both nodes connected at once and the peer's connection
// wins (it answered nok).
var errSimultaneous = errors.New("simultaneous connect: the peer's connection wins")

func errorIsSimultaneous(err error) bool { return errors.Is(err, errSimultaneous) }

// dial connects to node at addr and runs the initiator's handshake
// (BEAM.md §1.1), bounded by the handshake timeout.
func (m *Manager) dial(ctx context.Context, node wire.NodeName, addr string) (*Conn, error) {
	return peer.DialHandshake(ctx, m.cfg.Gate.DialContext, addr, addr+" (an Erlang node)", m.cfg.HandshakeTimeout,
		func(_ context.Context, nc net.Conn) (*Conn, error) { return m.initiate(nc, node) })
}

// initiate runs the initiator's side on nc, whose deadline is set.
func (m *Manager) initiate(nc net.Conn, node wire.NodeName) (*Conn, error) {
	self := dist.SendName{Flags: m.flags, Creation: m.cfg.Creation, Name: m.cfg.Self.String()}
	if err := dist.WriteHandshake(nc, self); err != nil {
		return nil, err
	}
	status, err := dist.ReadStatus(nc)
	if err != nil {
		return nil, err
	}
	switch status {
	case dist.StatusOK, dist.StatusOKSimultaneous:
	case dist.StatusNok:
		return nil, errSimultaneous
	case dist.StatusAlive:
		// The peer holds a connection from a previous start of this node
		// (we have none, or we would not dial): replace it.
		if err := dist.WriteHandshake(nc, dist.StatusTrue); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w by the peer: %s (its log says why: a missing flag, or not an allowed node)", peer.ErrRefused, status)
	}
	p, err := dist.ReadHandshake(nc)
	if err != nil {
		return nil, err
	}
	ch, err := dist.ParseChallenge(p)
	if err != nil {
		return nil, err
	}
	if ch.Name != node.String() {
		return nil, fmt.Errorf("%w: the port answered as %s", peer.ErrProtocol, ch.Name)
	}
	if err := dist.CheckMandatory(ch.Flags); err != nil {
		return nil, fmt.Errorf("%w: %v", peer.ErrProtocol, err)
	}
	mine := dist.NewChallenge()
	reply := dist.ChallengeReply{Challenge: mine, Digest: dist.Digest(m.cfg.Cookie, ch.Challenge)}
	if err := dist.WriteHandshake(nc, reply); err != nil {
		return nil, err
	}
	p, err = dist.ReadHandshake(nc)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) {
		return nil, fmt.Errorf("%w: %s closed the connection after our digest (as Erlang does for a wrong cookie)", peer.ErrCookieMismatch, node)
	}
	if err != nil {
		return nil, err
	}
	ack, err := dist.ParseChallengeAck(p)
	if err != nil {
		return nil, err
	}
	if !dist.VerifyDigest(m.cfg.Cookie, mine, ack.Digest) {
		return nil, fmt.Errorf("%w: %s's digest did not verify", peer.ErrCookieMismatch, node)
	}
	return m.newConn(nc, node, dist.Negotiate(m.flags, ch.Flags), ch.Creation, true), nil
}

// Accept implements peer.Protocol: the acceptor's side of the handshake
// for a BEAM node that connected, then the connection's life.
func (m *Manager) Accept(ctx context.Context, nc net.Conn) {
	ctx, deadline, end := m.peers.BoundHandshake(ctx, nc, m.cfg.HandshakeTimeout)
	hello, node, err := m.hello(nc)
	var c *Conn
	var st *peer.Slot[*Conn]
	if err == nil {
		c, st, err = m.respond(ctx, nc, node, hello, deadline)
	}
	end()
	m.peers.Handshake(node, "in", nc.RemoteAddr().String(), err)
	if err != nil {
		_ = nc.Close()
		m.logRefused(nc, err)
		return
	}
	_ = nc.SetDeadline(time.Time{})
	if err := m.peers.Accepted(st, c); err != nil && !errors.Is(err, peer.ErrShutdown) {
		m.log.Warn("connection from an Erlang node failed", "node", c.peer.String(), "err", err)
	}
}

// refusal is a handshake the acceptor refused, with the status it sent.
type refusal struct {
	node string
	why  string
	race bool // lost to a connection already being made: no failure
}

func (r *refusal) Error() string {
	if r.node == "" {
		return r.why
	}
	return fmt.Sprintf("%s: %s", r.node, r.why)
}

// hello reads and vets the peer's name message: a refusal is answered
// with not_allowed before any challenge. node is the peer's name when it
// said one chatd accepts.
func (m *Manager) hello(nc net.Conn) (hello dist.SendName, node wire.NodeName, err error) {
	p, err := dist.ReadHandshake(nc)
	if err != nil {
		return hello, node, err
	}
	if hello, err = dist.ParseSendName(p); err != nil {
		return hello, node, err
	}
	if node, err = wire.ParseNodeName(hello.Name, ""); err != nil {
		_ = dist.WriteHandshake(nc, dist.StatusNotAllowed)
		return hello, wire.NodeName{}, &refusal{node: hello.Name, why: fmt.Sprintf("not a node name chatd accepts: %v", err)}
	}
	if why := m.admissible(hello); why != "" {
		_ = dist.WriteHandshake(nc, dist.StatusNotAllowed)
		return hello, node, &refusal{node: node.String(), why: why}
	}
	return hello, node, nil
}

// respond runs the rest of the acceptor's side on nc; on success the
// peer's state is marked accepting (the caller installs the connection and
// clears it).
func (m *Manager) respond(ctx context.Context, nc net.Conn, node wire.NodeName, hello dist.SendName, deadline time.Time) (*Conn, *peer.Slot[*Conn], error) {
	st, status, err := m.admit(nc, node)
	if err != nil {
		return nil, nil, err
	}
	c, err := m.challenge(ctx, nc, node, hello, status, deadline)
	if err != nil {
		m.peers.Refused(st)
		return nil, nil, err
	}
	return c, st, nil
}

// admissible says why a peer is refused before the challenge ("" if not).
func (m *Manager) admissible(hello dist.SendName) string {
	switch {
	case m.cfg.Refuse != "":
		return m.cfg.Refuse
	case hello.Name == m.cfg.Self.String():
		return "it claims this node's own name"
	}
	if err := dist.CheckMandatory(hello.Flags); err != nil {
		return err.Error()
	}
	return ""
}

// admit decides a connect from node against what is in progress (BEAM.md
// §1.1): a simultaneous connect keeps the connection of the node with the
// greater name; an existing connection is replaced when the peer says so
// after "alive" and then proves the cookie. On yes it marks the peer as
// accepting.
func (m *Manager) admit(nc net.Conn, node wire.NodeName) (*peer.Slot[*Conn], dist.Status, error) {
	var status dist.Status
	alive := false
	st, err := m.peers.Admit(node, func(s *peer.Slot[*Conn]) error {
		_, live := s.Live()
		switch {
		case s.Accepting():
			return &refusal{node: node.String(), why: "a handshake from it is already in progress", race: true}
		case s.Dialing() && node.String() < m.cfg.Self.String():
			return &refusal{node: node.String(), why: "simultaneous connect: ours wins", race: true} // our own connect goes on
		case s.Dialing():
			status = dist.StatusOKSimultaneous
		case live:
			// The old connection stays until the new one's digest verified
			// (installing replaces it), as dist_util waits for the cookie: a
			// peer without it must not disconnect anyone.
			alive = true
		default:
			status = dist.StatusOK
		}
		return nil
	})
	if r, ok := errors.AsType[*refusal](err); ok && r.race {
		_ = dist.WriteHandshake(nc, dist.StatusNok)
	}
	if err != nil || !alive {
		return st, status, err
	}
	if err := dist.WriteHandshake(nc, dist.StatusAlive); err != nil {
		m.peers.Refused(st)
		return nil, "", err
	}
	answer, err := dist.ReadStatus(nc)
	if err != nil || answer != dist.StatusTrue {
		m.peers.Refused(st)
		return nil, "", &refusal{node: node.String(), why: fmt.Sprintf("it gave up its new connection (answered %q to alive)", answer)}
	}
	return st, "", nil
}

// challenge sends the status (unless "alive" was settled already) and
// the challenge, and checks the peer's digest.
func (m *Manager) challenge(ctx context.Context, nc net.Conn, node wire.NodeName, hello dist.SendName, status dist.Status, deadline time.Time) (*Conn, error) {
	if status != "" {
		if err := dist.WriteHandshake(nc, status); err != nil {
			return nil, err
		}
	}
	mine := dist.NewChallenge()
	ch := dist.Challenge{Flags: m.flags, Challenge: mine, Creation: m.cfg.Creation, Name: m.cfg.Self.String()}
	if err := dist.WriteHandshake(nc, ch); err != nil {
		return nil, err
	}
	p, err := dist.ReadHandshake(nc)
	if err != nil {
		return nil, err
	}
	reply, err := dist.ParseChallengeReply(p)
	if err != nil {
		return nil, err
	}
	if !dist.VerifyDigest(m.cfg.Cookie, mine, reply.Digest) {
		// As Erlang, close without a word; but no faster than the
		// guessing limit allows.
		m.cfg.Guesses.Wait(ctx, peer.RemoteIP(nc), time.Until(deadline))
		return nil, fmt.Errorf("%w: %s's digest did not verify", peer.ErrCookieMismatch, node)
	}
	ack := dist.ChallengeAck{Digest: dist.Digest(m.cfg.Cookie, reply.Challenge)}
	if err := dist.WriteHandshake(nc, ack); err != nil {
		return nil, err
	}
	return m.newConn(nc, node, dist.Negotiate(m.flags, hello.Flags), hello.Creation, false), nil
}

// logRefused logs a refused or failed handshake from a BEAM node.
func (m *Manager) logRefused(nc net.Conn, err error) {
	args := []any{"protocol", Protocol, "peer_addr", nc.RemoteAddr().String(), "err", err}
	var r *refusal
	switch {
	case errors.Is(err, peer.ErrCookieMismatch):
		m.log.Warn("refused an Erlang node: cookie mismatch", args...)
	case m.peers.Context().Err() != nil:
	case errors.As(err, &r):
		m.log.Warn("refused an Erlang node", args...)
	case isTimeout(err):
		m.log.Warn("refused an Erlang node: handshake timed out", append(args, "timeout", m.cfg.HandshakeTimeout)...)
	default:
		m.log.Info("refused an Erlang node", args...)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
