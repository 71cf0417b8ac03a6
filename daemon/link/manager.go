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
	"time"

	"github.com/hashicorp/yamux"

	"chatd/wire"
)

// Resolver finds the TCP address a peer node listens on (through the port
// mapper).
type Resolver interface {
	Resolve(ctx context.Context, node wire.NodeName) (addr string, err error)
}

// StreamHandler serves one incoming stream of a registered kind. fr reads
// the frames after FrameOpen. The handler owns s and closes it; ctx ends
// when the link goes down.
type StreamHandler func(ctx context.Context, l *Link, s net.Conn, fr *wire.FrameReader)

// Config configures a Manager.
type Config struct {
	Self             wire.NodeName // this node
	Cookie           []byte        // the shared secret
	Tick             time.Duration // a silent peer is declared down within one tick
	HandshakeTimeout time.Duration // bounds dial plus handshake
	MaxFrame         int           // largest frame payload on a stream
	MaxStreams       int           // incoming streams open at once per link
	TLS              *TLS          // mutual TLS on every link; nil for plaintext
	Resolver         Resolver
	Handlers         map[wire.StreamKind]StreamHandler // stream kinds besides ping
	Logger           *slog.Logger
}

// peerState is what the manager knows about one peer. Guarded by Manager.mu.
type peerState struct {
	link      *Link
	dialing   bool          // we are dialling it
	accepting bool          // a handshake from it is in progress
	changed   chan struct{} // closed and replaced on every change
}

// Manager owns every link of a node and the goroutines serving them.
type Manager struct {
	cfg         Config // Tick guarded by mu (SetTick)
	id          identity
	yamuxConfig *yamux.Config // guarded by mu
	log         *slog.Logger

	mu      sync.Mutex
	peers   map[wire.NodeName]*peerState // guarded by mu
	closing bool                         // guarded by mu

	ctx     context.Context // ends when Close starts
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	guesses guessLimiter // slows down cookie guessing
}

// NewManager returns a Manager; Serve accepts links and Link makes them.
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
	ctx, cancel := context.WithCancel(context.Background())
	return &Manager{
		cfg:         cfg,
		id:          identity{self: cfg.Self, incarnation: binary.BigEndian.Uint64(inc[:]), cookie: cfg.Cookie},
		yamuxConfig: yc,
		log:         cfg.Logger,
		peers:       make(map[wire.NodeName]*peerState),
		ctx:         ctx,
		cancel:      cancel,
	}
}

// state returns the peer's state, creating it. Called with mu held.
func (m *Manager) state(peer wire.NodeName) *peerState {
	st := m.peers[peer]
	if st == nil {
		st = &peerState{changed: make(chan struct{})}
		m.peers[peer] = st
	}
	return st
}

// tidy forgets peer when it has no link and no connection attempt in
// progress, so that the map holds only peers in use. Called with mu held;
// whoever waits on the old state was woken by its last notify and looks
// the peer up again.
func (m *Manager) tidy(peer wire.NodeName) {
	if st := m.peers[peer]; st != nil && st.link == nil && !st.dialing && !st.accepting {
		delete(m.peers, peer)
	}
}

// notify wakes everyone waiting on st. Called with mu held.
func (st *peerState) notify() {
	close(st.changed)
	st.changed = make(chan struct{})
}

// Link returns the link to peer, connecting on first use.
func (m *Manager) Link(ctx context.Context, peer wire.NodeName) (*Link, error) {
	if peer == m.cfg.Self {
		return nil, &ConnectError{Node: peer, Err: ErrSelf}
	}
	for attempt := 0; ; attempt++ {
		l, wait, err := m.linkOrDial(peer)
		if err != nil {
			return nil, &ConnectError{Node: peer, Err: err}
		}
		if l != nil {
			return l, nil
		}
		if wait == nil {
			l, err := m.dialAndInstall(ctx, peer)
			switch {
			case err == nil:
				return l, nil
			case !errors.Is(err, errDuplicate) || attempt >= 3:
				return nil, &ConnectError{Node: peer, Err: err}
			}
			// The peer's own connection to us wins; wait for it.
			wctx, cancel := context.WithTimeout(ctx, m.cfg.HandshakeTimeout)
			m.waitLink(wctx, peer)
			cancel()
			if ctx.Err() != nil {
				return nil, &ConnectError{Node: peer, Err: fmt.Errorf("%w waiting for the link", ErrTimeout)}
			}
			continue
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, &ConnectError{Node: peer, Err: fmt.Errorf("%w waiting for the link", ErrTimeout)}
		}
	}
}

// linkOrDial returns the peer's live link, or a channel to wait on while
// another connection attempt is in progress, or neither: then the caller
// has been marked as dialling and must dial.
func (m *Manager) linkOrDial(peer wire.NodeName) (*Link, <-chan struct{}, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing {
		return nil, nil, ErrShutdown
	}
	st := m.state(peer)
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

// dialAndInstall dials peer (the caller marked it as dialling) and
// installs the link.
func (m *Manager) dialAndInstall(ctx context.Context, peer wire.NodeName) (*Link, error) {
	l, err := m.dial(ctx, peer)
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.state(peer)
	st.dialing = false
	if err == nil {
		err = m.install(st, l)
	}
	st.notify()
	m.tidy(peer)
	return l, err
}

// waitLink waits until the peer has a link or ctx ends.
func (m *Manager) waitLink(ctx context.Context, peer wire.NodeName) {
	for {
		m.mu.Lock()
		st := m.state(peer)
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

// dial resolves, dials and handshakes with peer, bounded by the handshake
// timeout.
func (m *Manager) dial(ctx context.Context, peer wire.NodeName) (*Link, error) {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.HandshakeTimeout)
	defer cancel()
	addr, err := m.cfg.Resolver.Resolve(ctx, peer)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("dial %s: %w after %s", addr, ErrTimeout, m.cfg.HandshakeTimeout)
		}
		if errors.Is(err, errConnRefused) {
			return nil, fmt.Errorf("dial %s: %w", addr, ErrRefused)
		}
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	if m.cfg.TLS != nil {
		tc, err := m.cfg.TLS.client(ctx, conn, peer.Host)
		if err != nil {
			stop()
			_ = conn.Close()
			return nil, fmt.Errorf("handshake with %s: %w", addr, err)
		}
		conn = tc
	}
	inc, err := connect(conn, m.id, peer)
	stopped := stop()
	if err == nil && !stopped {
		err = ctx.Err()
	}
	if err != nil {
		_ = conn.Close()
		if isTimeout(err) || ctx.Err() != nil {
			return nil, fmt.Errorf("handshake with %s: %w after %s", addr, ErrTimeout, m.cfg.HandshakeTimeout)
		}
		return nil, fmt.Errorf("handshake with %s: %w", addr, err)
	}
	_ = conn.SetDeadline(time.Time{})
	return m.newLink(conn, peer, inc, true, yamux.Client)
}

// newLink starts yamux on an authenticated connection.
func (m *Manager) newLink(conn net.Conn, peer wire.NodeName, inc uint64, outbound bool,
	start func(io.ReadWriteCloser, *yamux.Config) (*yamux.Session, error)) (*Link, error) {
	m.mu.Lock()
	writeTimeout := max(m.cfg.Tick/2, time.Second)
	m.mu.Unlock()
	wc := newWatchedConn(conn, writeTimeout)
	ylog := &yamuxLog{peer: peer, debug: m.log.Debug}
	m.mu.Lock()
	yc := m.yamuxConfig.Clone() // guarded: SetTick replaces it
	m.mu.Unlock()
	yc.Logger = ylog
	sess, err := start(wc, yc)
	if err != nil {
		_ = wc.Close()
		return nil, fmt.Errorf("start yamux with %s: %w", peer, err)
	}
	return &Link{
		peer: peer, incarnation: inc, addr: conn.RemoteAddr().String(), outbound: outbound, tls: isTLS(conn),
		since: time.Now(), maxFrame: m.cfg.MaxFrame, sess: sess, conn: wc, ylog: ylog,
		gone: make(chan struct{}),
	}, nil
}

// install makes l the peer's link and starts serving it. Called with mu
// held; a link that lost a race or arrived during shutdown is closed.
func (m *Manager) install(st *peerState, l *Link) error {
	if m.closing {
		l.close("node shutting down")
		return ErrShutdown
	}
	if old := st.link; old != nil {
		old.close("replaced by a new connection")
	}
	st.link = l
	dir := "in"
	if l.outbound {
		dir = "out"
	}
	m.log.Info("node up", "node", l.peer.String(), "addr", l.addr, "direction", dir)
	m.wg.Add(1)
	go m.serveLink(st, l)
	return nil
}

// serveLink accepts the peer's streams until the link goes down, then
// forgets the link and waits for its stream handlers.
func (m *Manager) serveLink(st *peerState, l *Link) {
	defer m.wg.Done()
	ctx, cancel := context.WithCancel(m.ctx)
	for {
		s, err := l.sess.AcceptStream()
		if err != nil {
			break
		}
		if int(l.active.Load()) >= m.cfg.MaxStreams {
			m.log.Warn("refusing stream: too many open", "node", l.peer.String(), "limit", m.cfg.MaxStreams)
			_ = wire.WriteFrame(s, wire.FrameError, wire.ErrorPayload(wire.CodeOverloaded, "too many open streams"))
			_ = s.Close()
			continue
		}
		l.active.Add(1)
		l.streams.Add(1)
		go m.serveStream(ctx, l, s)
	}
	l.close("") // make sure the session and its goroutines end
	cancel()
	l.streams.Wait()
	m.mu.Lock()
	if st.link == l {
		st.link = nil
		st.notify()
		m.tidy(l.peer)
	}
	m.mu.Unlock()
	close(l.gone)
	m.log.Info("node down", "node", l.peer.String(), "reason", l.downReason())
}

// serveStream reads a stream's FrameOpen and hands it to its handler.
func (m *Manager) serveStream(ctx context.Context, l *Link, s net.Conn) {
	defer l.streams.Done()
	defer l.active.Add(-1)
	s = &boundedStream{Conn: s, timeout: l.conn.writeTimeout, log: m.log, peer: l.peer}
	defer s.Close()
	fr := wire.NewFrameReader(s, m.cfg.MaxFrame)
	_ = s.SetReadDeadline(time.Now().Add(m.cfg.HandshakeTimeout))
	f, err := fr.ReadFrame()
	if err != nil {
		return
	}
	_ = s.SetReadDeadline(time.Time{})
	kind, err := wire.ParseOpen(f)
	if err != nil {
		m.log.Warn("bad stream from peer", "node", l.peer.String(), "err", err)
		return
	}
	if kind == wire.KindPing {
		if err := servePing(s, fr); err != nil {
			m.log.Debug("ping stream ended", "node", l.peer.String(), "err", err)
		}
		return
	}
	h := m.cfg.Handlers[kind]
	if h == nil {
		m.log.Warn("unknown stream kind from peer", "node", l.peer.String(), "kind", uint8(kind))
		_ = wire.WriteFrame(s, wire.FrameError, wire.ErrorPayload(wire.CodeBadRequest, "unknown "+kind.String()))
		return
	}
	h(ctx, l, s, fr)
}

// Disconnect closes the link to peer, if any, and reports whether there
// was one. The next use reconnects.
func (m *Manager) Disconnect(peer wire.NodeName) bool {
	m.mu.Lock()
	st := m.peers[peer]
	var l *Link
	if st != nil {
		l = st.link
	}
	m.mu.Unlock()
	if l == nil {
		return false
	}
	l.close("disconnected by operator")
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
// Listeners passed to Serve must be closed by their owner first.
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
