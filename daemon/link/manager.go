// Package link holds a node's links: one authenticated TCP connection per
// peer, multiplexed with yamux, made on first use and watched by
// keepalives. See wire/SPEC.md for the handshake.
package link

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/yamux"

	"chatd/daemon/fdgate"
	"chatd/daemon/link/calls"
	"chatd/daemon/peer"
	"chatd/wire"
)

// Config configures a Manager.
type Config struct {
	Self             wire.NodeName // this node
	Cookie           []byte        // the shared secret
	Tick             time.Duration // a silent peer is declared down within one tick
	HandshakeTimeout time.Duration // bounds dial plus handshake
	MaxFrame         int           // largest frame payload on a stream
	MaxStreams       int           // incoming streams open at once per link
	TLS              *TLS          // mutual TLS on every link; nil for plaintext
	Local            peer.Local    // the node's core, serving the peers' streams
	// Guesses slows down cookie guessing; shared with the node's other
	// link protocols. nil: the manager's own.
	Guesses *peer.GuessLimiter
	// Observer hears of handshakes and links going up and down (node
	// events, metrics); nil: nobody.
	Observer peer.Observer
	// Gate is the node's descriptor gate (daemon/fdgate) dials go
	// through; nil: none.
	Gate   *fdgate.Gate
	Logger *slog.Logger
}

// peerState is what the manager knows about one peer. Guarded by Manager.mu.
type peerState struct {
	link      *Link
	dialing   bool          // we are dialling it
	accepting bool          // a handshake from it is in progress
	changed   chan struct{} // closed and replaced on every change
}

// Manager owns every link of a node and the goroutines serving them. It is
// chatd's own link protocol behind the peer seam.
type Manager struct {
	cfg         Config // Tick guarded by mu (SetTick)
	id          identity
	yamuxConfig *yamux.Config // guarded by mu
	log         *slog.Logger
	calls       *calls.Server

	mu      sync.Mutex
	peers   map[wire.NodeName]*peerState // guarded by mu
	closing bool                         // guarded by mu

	ctx     context.Context // ends when Close starts
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	guesses *peer.GuessLimiter // slows down cookie guessing
	report  peer.Reporter      // to cfg.Observer
}

// NewManager returns a Manager; Accept takes links and Dial makes them.
func NewManager(cfg Config) *Manager {
	var inc [8]byte
	_, _ = rand.Read(inc[:])
	yc := yamux.DefaultConfig()
	yc.EnableKeepAlive = true
	yc.KeepAliveInterval = cfg.Tick / 4
	yc.ConnectionWriteTimeout = cfg.Tick / 2
	yc.StreamOpenTimeout = cfg.Tick
	yc.StreamCloseTimeout = cfg.Tick
	yc.AcceptBacklog = 256
	yc.LogOutput = nil
	guesses := cfg.Guesses
	if guesses == nil {
		guesses = &peer.GuessLimiter{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{
		cfg:         cfg,
		id:          identity{self: cfg.Self, incarnation: binary.BigEndian.Uint64(inc[:]), cookie: cfg.Cookie},
		yamuxConfig: yc,
		log:         cfg.Logger,
		calls:       &calls.Server{Local: cfg.Local, Log: cfg.Logger},
		guesses:     guesses,
		peers:       make(map[wire.NodeName]*peerState),
		ctx:         ctx,
		cancel:      cancel,
	}
	m.report = peer.Reporter{Protocol: Protocol, Observer: cfg.Observer, Classify: handshakeResult,
		Stopping: func() bool { return ctx.Err() != nil }}
	return m
}

// SetTick changes the keepalive tick for links made from now on; links
// up now keep the tick they started with.
func (m *Manager) SetTick(tick time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cfg.Tick = tick
	yc := m.yamuxConfig.Clone()
	yc.KeepAliveInterval = tick / 4
	yc.ConnectionWriteTimeout = tick / 2
	yc.StreamOpenTimeout = tick
	yc.StreamCloseTimeout = tick
	m.yamuxConfig = yc
}

// state returns the peer's state, creating it. Called with mu held.
func (m *Manager) state(node wire.NodeName) *peerState {
	st := m.peers[node]
	if st == nil {
		st = &peerState{changed: make(chan struct{})}
		m.peers[node] = st
	}
	return st
}

// tidy forgets peer when it has no link and no connection attempt in
// progress, so that the map holds only peers in use. Called with mu held;
// whoever waits on the old state was woken by its last notify and looks
// the peer up again.
func (m *Manager) tidy(node wire.NodeName) {
	if st := m.peers[node]; st != nil && st.link == nil && !st.dialing && !st.accepting {
		delete(m.peers, node)
	}
}

// notify wakes everyone waiting on st. Called with mu held.
func (st *peerState) notify() {
	close(st.changed)
	st.changed = make(chan struct{})
}

// Name implements peer.Protocol.
func (m *Manager) Name() string { return Protocol }

// Conn implements peer.Protocol: the live link to node, if any.
func (m *Manager) Conn(node wire.NodeName) (peer.Conn, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.peers[node]
	if st == nil || st.link == nil {
		return nil, false
	}
	select {
	case <-st.link.Done():
		return nil, false
	default:
		return st.link, true
	}
}

// Dial implements peer.Protocol.
func (m *Manager) Dial(ctx context.Context, node wire.NodeName, addr string) (peer.Conn, error) {
	return m.Link(ctx, node, addr)
}

// Link returns the link to node, connecting to addr (where node listens)
// unless a link is up or being made. The error is a *peer.ConnectError.
func (m *Manager) Link(ctx context.Context, node wire.NodeName, addr string) (*Link, error) {
	if node == m.cfg.Self {
		return nil, &peer.ConnectError{Node: node, Err: peer.ErrSelf}
	}
	for attempt := 0; ; attempt++ {
		l, wait, err := m.linkOrDial(node)
		if err != nil {
			return nil, &peer.ConnectError{Node: node, Err: err}
		}
		if l != nil {
			return l, nil
		}
		if wait == nil {
			l, err := m.dialAndInstall(ctx, node, addr)
			switch {
			case err == nil:
				return l, nil
			case !errors.Is(err, errDuplicate) || attempt >= 3:
				return nil, &peer.ConnectError{Node: node, Err: err}
			}
			// The peer's own connection to us wins; wait for it.
			wctx, cancel := context.WithTimeout(ctx, m.cfg.HandshakeTimeout)
			m.waitLink(wctx, node)
			cancel()
			if ctx.Err() != nil {
				return nil, &peer.ConnectError{Node: node, Err: fmt.Errorf("%w waiting for the link", peer.ErrTimeout)}
			}
			continue
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, &peer.ConnectError{Node: node, Err: fmt.Errorf("%w waiting for the link", peer.ErrTimeout)}
		}
	}
}

// linkOrDial returns the peer's live link, or a channel to wait on while
// another connection attempt is in progress, or neither: then the caller
// has been marked as dialling and must dial.
func (m *Manager) linkOrDial(node wire.NodeName) (*Link, <-chan struct{}, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing {
		return nil, nil, peer.ErrShutdown
	}
	st := m.state(node)
	if l := st.link; l != nil {
		select {
		case <-l.Done(): // going down; serveLink clears it and notifies
			return nil, st.changed, nil
		default:
			return l, nil, nil
		}
	}
	if st.dialing || st.accepting {
		return nil, st.changed, nil
	}
	st.dialing = true
	return nil, nil, nil
}

// dialAndInstall dials node at addr (the caller marked it as dialling) and
// installs the link.
func (m *Manager) dialAndInstall(ctx context.Context, node wire.NodeName, addr string) (*Link, error) {
	l, err := m.dial(ctx, node, addr)
	m.report.Handshake(node, "out", addr, err)
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.state(node)
	st.dialing = false
	if err == nil {
		err = m.install(st, l)
	}
	st.notify()
	m.tidy(node)
	return l, err
}

// waitLink waits until the peer has a link or ctx ends.
func (m *Manager) waitLink(ctx context.Context, node wire.NodeName) {
	for {
		m.mu.Lock()
		st := m.state(node)
		up, ch := st.link != nil, st.changed
		m.mu.Unlock()
		if up {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
}

// dial dials and handshakes with node at addr, bounded by the handshake
// timeout.
func (m *Manager) dial(ctx context.Context, node wire.NodeName, addr string) (*Link, error) {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.HandshakeTimeout)
	defer cancel()
	conn, err := m.cfg.Gate.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("dial %s: %w after %s", addr, peer.ErrTimeout, m.cfg.HandshakeTimeout)
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("dial %s: %w", addr, peer.ErrRefused)
		}
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	if m.cfg.TLS != nil {
		tc, err := m.cfg.TLS.client(ctx, conn, node.Host)
		if err != nil {
			stop()
			_ = conn.Close()
			return nil, fmt.Errorf("handshake with %s: %w", addr, err)
		}
		conn = tc
	}
	inc, err := connect(conn, m.id, node)
	stopped := stop()
	if err == nil && !stopped {
		err = ctx.Err()
	}
	if err != nil {
		_ = conn.Close()
		if isTimeout(err) || ctx.Err() != nil {
			return nil, fmt.Errorf("handshake with %s: %w after %s", addr, peer.ErrTimeout, m.cfg.HandshakeTimeout)
		}
		return nil, fmt.Errorf("handshake with %s: %w", addr, err)
	}
	_ = conn.SetDeadline(time.Time{})
	return m.newLink(conn, node, inc, true, yamux.Client)
}

// newLink starts yamux on an authenticated connection.
func (m *Manager) newLink(conn net.Conn, node wire.NodeName, inc uint64, outbound bool,
	start func(io.ReadWriteCloser, *yamux.Config) (*yamux.Session, error)) (*Link, error) {
	m.mu.Lock()
	writeTimeout := max(m.cfg.Tick/2, time.Second)
	m.mu.Unlock()
	sc := newShapedConn(conn, writeTimeout)
	m.mu.Lock()
	yc := m.yamuxConfig.Clone() // guarded: SetTick replaces it
	tick := m.cfg.Tick
	m.mu.Unlock()
	yc.EnableKeepAlive = keepaliveSender(outbound)
	yc.Logger = &yamuxLog{peer: node, debug: m.log.Debug}
	sess, err := start(sc, yc)
	if err != nil {
		_ = sc.Close()
		return nil, fmt.Errorf("start yamux with %s: %w", node, err)
	}
	return &Link{
		peer: node, incarnation: inc, addr: conn.RemoteAddr().String(), outbound: outbound, tls: isTLS(conn),
		since: time.Now(), maxFrame: m.cfg.MaxFrame, sess: sess, conn: sc, tick: tick,
		gone: make(chan struct{}),
	}, nil
}

// install makes l the peer's link and starts serving it. Called with mu
// held; a link that lost a race or arrived during shutdown is closed.
func (m *Manager) install(st *peerState, l *Link) error {
	if m.closing {
		l.close("node shutting down")
		return peer.ErrShutdown
	}
	if old := st.link; old != nil {
		old.close("replaced by a new connection")
	}
	st.link = l
	m.log.Info("node up", "node", l.peer.String(), "addr", l.addr, "direction", direction(l.outbound))
	m.report.Up(l.Info())
	m.wg.Add(1)
	go m.serveLink(st, l)
	return nil
}

// serveLink accepts the peer's streams until the link goes down, then
// forgets the link and waits for its stream handlers.
func (m *Manager) serveLink(st *peerState, l *Link) {
	defer m.wg.Done()
	ctx, cancel := context.WithCancel(m.ctx)
	stopWatch := func() {}
	if !keepaliveSender(l.outbound) {
		stopWatch = l.watchSilence(acceptorPingAfter(l.tick))
	}
	for {
		s, err := l.sess.AcceptStream()
		if err != nil {
			l.acceptErr = err
			break
		}
		if int(l.active.Load()) >= m.cfg.MaxStreams {
			m.log.Warn("refusing stream: too many open", "node", l.peer.String(), "limit", m.cfg.MaxStreams)
			_ = wire.WriteFrame(s, wire.FrameError, wire.ErrorPayload(wire.CodeOverloaded, "too many open streams"))
			_ = s.Close()
			continue
		}
		if !l.streams.add() {
			_ = s.Close()
			continue
		}
		l.active.Add(1)
		go m.serveStream(ctx, l, s)
	}
	stopWatch()
	l.close("") // make sure the session and its goroutines end
	cancel()
	l.streams.closeAndWait()
	m.mu.Lock()
	if st.link == l {
		st.link = nil
		st.notify()
		m.tidy(l.peer)
	}
	m.mu.Unlock()
	reason, detail := l.downCause()
	m.report.Down(l.Info(), reason, detail)
	close(l.gone)
	m.log.Info("node down", "node", l.peer.String(), "reason", l.downReason())
}

// Disconnect closes the link to peer, if any, for reason (logged), and
// reports whether there was one. The next use reconnects.
func (m *Manager) Disconnect(node wire.NodeName, reason string) bool {
	m.mu.Lock()
	st := m.peers[node]
	var l *Link
	if st != nil {
		l = st.link
	}
	m.mu.Unlock()
	if l == nil {
		return false
	}
	l.close(reason)
	<-l.gone
	return true
}

// Links lists the links up now, sorted by peer name.
func (m *Manager) Links() []wire.LinkInfo {
	m.mu.Lock()
	out := make([]wire.LinkInfo, 0, len(m.peers))
	for _, st := range m.peers {
		if st.link != nil {
			out = append(out, st.link.Info())
		}
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}

// Close closes every link, telling the peers at once (they see the TCP
// connection end), and waits for every goroutine the manager started.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closing {
		m.mu.Unlock()
		m.wg.Wait()
		return nil
	}
	m.closing = true
	var links []*Link
	for _, st := range m.peers {
		if st.link != nil {
			links = append(links, st.link)
		}
		st.notify()
	}
	m.mu.Unlock()
	m.cancel()
	for _, l := range links {
		_ = l.sess.GoAway()
		l.close("node shutting down")
	}
	m.wg.Wait()
	return nil
}
