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
	"sync"
	"time"

	"github.com/hashicorp/yamux"

	"chatd/daemon/link/calls"
	"chatd/daemon/peer"
	"chatd/internal/fdgate"
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
	// Gate is the node's descriptor gate (internal/fdgate) dials go
	// through; nil: none.
	Gate   *fdgate.Gate
	Logger *slog.Logger
}

// Manager owns every link of a node and the goroutines serving them. It is
// chatd's own link protocol behind the peer seam.
type Manager struct {
	cfg         Config // Tick guarded by mu (SetTick)
	id          identity
	yamuxConfig *yamux.Config // guarded by mu
	log         *slog.Logger
	calls       *calls.Server

	mu sync.Mutex // guards cfg.Tick and yamuxConfig

	// peers holds the links and owns the goroutines serving them.
	peers   *peer.Peers[*Link]
	guesses *peer.GuessLimiter // slows down cookie guessing
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
	m := &Manager{
		cfg:         cfg,
		id:          identity{self: cfg.Self, incarnation: binary.BigEndian.Uint64(inc[:]), cookie: cfg.Cookie},
		yamuxConfig: yc,
		log:         cfg.Logger,
		calls:       &calls.Server{Local: cfg.Local, Log: cfg.Logger},
		guesses:     guesses,
	}
	m.peers = peer.NewPeers(peer.PeersConfig[*Link]{
		Protocol: Protocol, HandshakeTimeout: cfg.HandshakeTimeout,
		Serve:     m.serveLink,
		Hangup:    (*Link).close,
		Farewell:  func(l *Link) { _ = l.sess.GoAway() },
		DownCause: (*Link).downCause,
		Lost:      func(err error) bool { return errors.Is(err, errDuplicate) },
		Report:    peer.Reporter{Protocol: Protocol, Observer: cfg.Observer, Classify: handshakeResult},
		Log:       cfg.Logger,
	})
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

// Name implements peer.Protocol.
func (m *Manager) Name() string { return Protocol }

// Conn implements peer.Protocol: the live link to node, if any.
func (m *Manager) Conn(node wire.NodeName) (peer.Conn, bool) {
	if c, ok := m.peers.Live(node); ok {
		return c, true
	}
	return nil, false
}

// Dial implements peer.Protocol.
func (m *Manager) Dial(ctx context.Context, node wire.NodeName, addr string) (peer.Conn, error) {
	l, err := m.Link(ctx, node, addr)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Link returns the link to node, connecting to addr (where node listens)
// unless a link is up or being made. The error is a *peer.ConnectError.
func (m *Manager) Link(ctx context.Context, node wire.NodeName, addr string) (*Link, error) {
	if node == m.cfg.Self {
		return nil, &peer.ConnectError{Node: node, Err: peer.ErrSelf}
	}
	return m.peers.Dial(ctx, node, addr, func(ctx context.Context) (*Link, error) { return m.dial(ctx, node, addr) })
}

// dial dials and handshakes with node at addr, bounded by the handshake
// timeout.
func (m *Manager) dial(ctx context.Context, node wire.NodeName, addr string) (*Link, error) {
	type handshaken struct {
		conn net.Conn
		inc  uint64
	}
	h, err := peer.DialHandshake(ctx, m.cfg.Gate.DialContext, addr, addr, m.cfg.HandshakeTimeout,
		func(ctx context.Context, conn net.Conn) (handshaken, error) {
			if m.cfg.TLS != nil {
				tc, err := m.cfg.TLS.client(ctx, conn, node.Host)
				if err != nil {
					return handshaken{}, err
				}
				conn = tc
			}
			inc, err := connect(conn, m.id, node)
			if err != nil {
				_ = conn.Close()
			}
			return handshaken{conn, inc}, err
		})
	if err != nil {
		return nil, err
	}
	return m.newLink(h.conn, node, h.inc, true, yamux.Client)
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
	}, nil
}

// serveLink accepts the peer's streams until the link goes down, then
// waits for its stream handlers.
func (m *Manager) serveLink(ctx context.Context, l *Link) {
	ctx, cancel := context.WithCancel(ctx)
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
}

// Disconnect closes the link to peer, if any, for reason (logged), and
// reports whether there was one. The next use reconnects.
func (m *Manager) Disconnect(node wire.NodeName, reason string) bool {
	return m.peers.Disconnect(node, reason)
}

// Check verifies that the manager's bookkeeping answers: it takes and
// releases the links' lock within ctx. A stuck link manager fails it,
// which stops the systemd watchdog pings.
func (m *Manager) Check(ctx context.Context) error { return m.peers.Check(ctx) }

// Links lists the links up now, sorted by peer name.
func (m *Manager) Links() []wire.LinkInfo { return m.peers.Links() }

// Close closes every link, telling the peers at once (they see the TCP
// connection end), and waits for every goroutine the manager started.
func (m *Manager) Close() error {
	m.peers.Close()
	return nil
}
