package beam

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"chatd/daemon/fdgate"
	"chatd/daemon/peer"
	"chatd/wire"
	"chatd/wire/dist"
	"chatd/wire/etf"
)

// Protocol is the protocol's name in listings.
const Protocol = "erlang"

// DefaultTickTime is OTP's net_ticktime: a peer that sends nothing for it
// is down, and an idle side ticks every quarter of it.
const DefaultTickTime = 60 * time.Second

// Config configures a Manager.
type Config struct {
	Self   wire.NodeName // this node
	Cookie string        // the shared secret, as Erlang reads it
	// Creation is this start of the node, from the port mapper: it is in
	// every pid and reference chatd makes, and in the handshake.
	Creation uint32
	// TickTime is net_ticktime (DefaultTickTime when 0); it must match the
	// cluster's.
	TickTime time.Duration
	// HandshakeTimeout bounds a dial plus handshake, and an accepted
	// handshake.
	HandshakeTimeout time.Duration
	// MaxFrame bounds a frame (dist.DefaultMaxFrame when 0).
	MaxFrame int
	// Hidden connects hidden: BEAM nodes list chatd only in
	// Node.list(:hidden), and send it none of global's traffic.
	Hidden bool
	// Refuse, when set, is why every Erlang peer is refused (link TLS is
	// on and distribution over TLS is not supported).
	Refuse string
	// Chat names the lesson's application on BEAM nodes.
	Chat ChatNames
	// Local is the node's core.
	Local peer.Local
	// Guesses slows down cookie guessing, shared with chatd's own links.
	Guesses *peer.GuessLimiter
	// Observer hears of handshakes and connections going up and down
	// (node events, metrics); none when nil.
	Observer peer.Observer
	// Gate is the node's descriptor gate (daemon/fdgate) dials go
	// through; nil: none.
	Gate   *fdgate.Gate
	Logger *slog.Logger
}

// ChatNames are the names of the lesson's Chat application, in Elixir's
// spelling (Chat, Chat.TaskSupervisor), and the recipients that get the
// lesson's moebi rule.
type ChatNames struct {
	Module     string   // Chat
	Supervisor string   // Chat.TaskSupervisor
	Moebi      []string // node names (name part) the sender asks for receive_message_for_moebi
}

// DefaultChatNames are the lesson's.
var DefaultChatNames = ChatNames{Module: "Chat", Supervisor: "Chat.TaskSupervisor", Moebi: []string{"moebi"}}

// connState is what the manager knows about one peer. Guarded by
// Manager.mu.
type connState struct {
	conn      *Conn
	dialing   bool          // we are connecting to it
	accepting bool          // a handshake from it is in progress
	changed   chan struct{} // closed and replaced on every change
}

// Manager is the Erlang distribution protocol behind the peer seam: it
// keeps at most one connection per BEAM node, and the processes those
// nodes can see.
type Manager struct {
	cfg   Config
	log   *slog.Logger
	flags dist.Flags // what chatd advertises
	procs *table
	names services // the registered processes: net_kernel, rex, the task supervisor

	mu      sync.Mutex
	conns   map[wire.NodeName]*connState // guarded by mu
	closing bool                         // guarded by mu

	spawnMu  sync.Mutex
	spawning map[etf.Ref]chan dist.SpawnReply // guarded by spawnMu: spawn requests waiting for their reply

	ctx    context.Context // ends when Close starts
	cancel context.CancelFunc
	wg     sync.WaitGroup // connection loops and process goroutines

	report peer.Reporter // to cfg.Observer
}

var _ peer.Protocol = (*Manager)(nil)

// NewManager returns a Manager; Accept takes connections and Dial makes
// them.
func NewManager(cfg Config) *Manager {
	if cfg.TickTime <= 0 {
		cfg.TickTime = DefaultTickTime
	}
	if cfg.MaxFrame <= 0 {
		cfg.MaxFrame = dist.DefaultMaxFrame
	}
	if cfg.Chat.Module == "" {
		cfg.Chat = DefaultChatNames
	}
	if cfg.Guesses == nil {
		cfg.Guesses = &peer.GuessLimiter{}
	}
	flags := dist.PublishedFlags | dist.FlagSendSender
	if cfg.Hidden {
		flags &^= dist.FlagPublished
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{
		cfg: cfg, log: cfg.Logger, flags: flags, procs: newTable(cfg.Self, cfg.Creation),
		conns: make(map[wire.NodeName]*connState), spawning: make(map[etf.Ref]chan dist.SpawnReply),
		ctx: ctx, cancel: cancel,
	}
	m.report = peer.Reporter{Protocol: Protocol, Observer: cfg.Observer, Classify: handshakeResult,
		Stopping: func() bool { return ctx.Err() != nil }}
	m.names = m.startServices()
	return m
}

// Name implements peer.Protocol.
func (m *Manager) Name() string { return Protocol }

// state returns the peer's state, creating it. Called with mu held.
func (m *Manager) state(node wire.NodeName) *connState {
	st := m.conns[node]
	if st == nil {
		st = &connState{changed: make(chan struct{})}
		m.conns[node] = st
	}
	return st
}

// notify wakes everyone waiting on st. Called with mu held.
func (st *connState) notify() {
	close(st.changed)
	st.changed = make(chan struct{})
}

// tidy forgets node when nothing holds it. Called with mu held.
func (m *Manager) tidy(node wire.NodeName) {
	if st := m.conns[node]; st != nil && st.conn == nil && !st.dialing && !st.accepting {
		delete(m.conns, node)
	}
}

// Conn implements peer.Protocol: the live connection to node, if any.
func (m *Manager) Conn(node wire.NodeName) (peer.Conn, bool) {
	c := m.live(node)
	if c == nil {
		return nil, false
	}
	return c, true
}

// live returns the live connection to node, or nil.
func (m *Manager) live(node wire.NodeName) *Conn {
	m.mu.Lock()
	defer m.mu.Unlock()
	if st := m.conns[node]; st != nil && st.conn != nil && !st.conn.isDown() {
		return st.conn
	}
	return nil
}

// liveAtom is live for a node named by an atom (a pid's node).
func (m *Manager) liveAtom(node etf.Atom) *Conn {
	n, err := wire.ParseNodeName(string(node), "")
	if err != nil {
		return nil
	}
	return m.live(n)
}

// Dial implements peer.Protocol: the connection to node, connecting to
// addr unless one is up or being made.
func (m *Manager) Dial(ctx context.Context, node wire.NodeName, addr string) (peer.Conn, error) {
	if node == m.cfg.Self {
		return nil, &peer.ConnectError{Node: node, Err: peer.ErrSelf}
	}
	if m.cfg.Refuse != "" {
		return nil, &peer.ConnectError{Node: node, Err: fmt.Errorf("%w: %s is an Erlang node and %s", peer.ErrProtocol, node, m.cfg.Refuse)}
	}
	for attempt := 0; ; attempt++ {
		c, wait, err := m.connOrDial(node)
		switch {
		case err != nil:
			return nil, &peer.ConnectError{Node: node, Err: err}
		case c != nil:
			return c, nil
		case wait == nil:
			c, err := m.dialAndInstall(ctx, node, addr)
			if err == nil {
				return c, nil
			}
			if !errorIsSimultaneous(err) || attempt >= 3 {
				return nil, &peer.ConnectError{Node: node, Err: err}
			}
			// The peer's own connection to us wins: wait for it.
			wait = m.changes(node)
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, &peer.ConnectError{Node: node, Err: fmt.Errorf("%w waiting for the connection", peer.ErrTimeout)}
		}
	}
}

// changes returns the channel closed at the next change of node's state.
func (m *Manager) changes(node wire.NodeName) <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state(node).changed
}

// connOrDial returns the live connection, or a channel to wait on while
// another attempt is in progress, or neither: then the caller is marked as
// dialling and must dial.
func (m *Manager) connOrDial(node wire.NodeName) (*Conn, <-chan struct{}, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing {
		return nil, nil, peer.ErrShutdown
	}
	st := m.state(node)
	if c := st.conn; c != nil {
		if c.isDown() {
			return nil, st.changed, nil
		}
		return c, nil, nil
	}
	if st.dialing || st.accepting {
		return nil, st.changed, nil
	}
	st.dialing = true
	return nil, nil, nil
}

// dialAndInstall dials node at addr (the caller marked it as dialling).
func (m *Manager) dialAndInstall(ctx context.Context, node wire.NodeName, addr string) (*Conn, error) {
	c, err := m.dial(ctx, node, addr)
	m.report.Handshake(node, "out", addr, err)
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.state(node)
	st.dialing = false
	if err == nil {
		err = m.install(st, c)
	}
	st.notify()
	m.tidy(node)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// install makes c the peer's connection and starts serving it. Called with
// mu held.
func (m *Manager) install(st *connState, c *Conn) error {
	if m.closing {
		c.close(wire.ReasonClosed, "node shutting down")
		return peer.ErrShutdown
	}
	if old := st.conn; old != nil {
		old.close(wire.ReasonClosed, "replaced by a new connection")
	}
	st.conn = c
	m.log.Info("node up", "node", c.peer.String(), "protocol", Protocol, "addr", c.addr, "direction", c.direction())
	m.report.Up(c.Info())
	m.wg.Add(1)
	go m.serve(st, c)
	return nil
}

// serve runs c until it goes down, then forgets it and fires noconnection
// at every link and monitor across it.
func (m *Manager) serve(st *connState, c *Conn) {
	defer m.wg.Done()
	c.run()
	m.mu.Lock()
	if st.conn == c {
		st.conn = nil
		st.notify()
		m.tidy(c.peer)
	}
	m.mu.Unlock()
	m.nodeDown(etf.Atom(c.peer.String()))
	d := c.downCause()
	m.report.Down(c.Info(), d.reason, d.detail)
	m.log.Info("node down", "node", c.peer.String(), "protocol", Protocol, "reason", d.detail)
}

// Links implements peer.Protocol.
func (m *Manager) Links() []wire.LinkInfo {
	m.mu.Lock()
	out := make([]wire.LinkInfo, 0, len(m.conns))
	for _, st := range m.conns {
		if st.conn != nil {
			out = append(out, st.conn.Info())
		}
	}
	m.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}

// Disconnect implements peer.Protocol.
func (m *Manager) Disconnect(node wire.NodeName, reason string) bool {
	c := m.live(node)
	if c == nil {
		return false
	}
	c.close(wire.ReasonClosed, reason)
	<-c.gone
	return true
}

// Check implements peer.Protocol: the manager's lock answers within ctx.
func (m *Manager) Check(ctx context.Context) error {
	for !m.mu.TryLock() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("erlang distribution lock held past the check deadline: %w", ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
	m.mu.Unlock()
	return nil
}

// Close implements peer.Protocol: every connection closes (the peers see
// it at once) and the goroutines end.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closing {
		m.mu.Unlock()
		m.wg.Wait()
		return nil
	}
	m.closing = true
	var conns []*Conn
	for _, st := range m.conns {
		if st.conn != nil {
			conns = append(conns, st.conn)
		}
		st.notify()
	}
	m.mu.Unlock()
	m.cancel()
	for _, c := range conns {
		c.close(wire.ReasonClosed, "node shutting down")
	}
	m.wg.Wait()
	return nil
}

// goOwned runs f in a goroutine the manager owns: Close waits for it, and
// its ctx ends when Close starts. Once Close has started it runs nothing
// and reports false.
func (m *Manager) goOwned(f func(ctx context.Context)) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing {
		return false
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f(m.ctx)
	}()
	return true
}
