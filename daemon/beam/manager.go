package beam

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"chatd/daemon/peer"
	"chatd/internal/fdgate"
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
	// Gate is the node's descriptor gate (internal/fdgate) dials go
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

// Manager is the Erlang distribution protocol behind the peer seam: it
// keeps at most one connection per BEAM node, and the processes those
// nodes can see.
type Manager struct {
	cfg   Config
	log   *slog.Logger
	flags dist.Flags // what chatd advertises
	procs *table
	names services // the registered processes: net_kernel, rex, the task supervisor

	// peers holds the connections, and owns their goroutines and the
	// processes'.
	peers *peer.Peers[*Conn]

	spawnMu  sync.Mutex
	spawning map[etf.Ref]chan dist.SpawnReply // guarded by spawnMu: spawn requests waiting for their reply
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
	m := &Manager{
		cfg: cfg, log: cfg.Logger, flags: flags, procs: newTable(cfg.Self, cfg.Creation),
		spawning: make(map[etf.Ref]chan dist.SpawnReply),
	}
	m.peers = peer.NewPeers(peer.PeersConfig[*Conn]{
		Protocol: Protocol, HandshakeTimeout: cfg.HandshakeTimeout,
		Serve:     func(_ context.Context, c *Conn) { c.run() },
		Hangup:    func(c *Conn, why string) { c.drainWrites(); c.close(wire.ReasonClosed, why) },
		Forgotten: func(c *Conn) { m.nodeDown(c.atom) },
		DownCause: func(c *Conn) (wire.NodeReason, string) { d := c.downCause(); return d.reason, d.detail },
		Lost:      errorIsSimultaneous,
		Report:    peer.Reporter{Protocol: Protocol, Observer: cfg.Observer, Classify: handshakeResult},
		Log:       cfg.Logger,
	})
	m.names = m.startServices()
	return m
}

// Name implements peer.Protocol.
func (m *Manager) Name() string { return Protocol }

// Conn implements peer.Protocol: the live connection to node, if any.
func (m *Manager) Conn(node wire.NodeName) (peer.Conn, bool) {
	if c, ok := m.peers.Live(node); ok {
		return c, true
	}
	return nil, false
}

// live returns the live connection to node, or nil.
func (m *Manager) live(node wire.NodeName) *Conn {
	c, _ := m.peers.Live(node)
	return c
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
	c, err := m.peers.Dial(ctx, node, addr, func(ctx context.Context) (*Conn, error) { return m.dial(ctx, node, addr) })
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Links implements peer.Protocol.
func (m *Manager) Links() []wire.LinkInfo { return m.peers.Links() }

// Disconnect implements peer.Protocol.
func (m *Manager) Disconnect(node wire.NodeName, reason string) bool {
	return m.peers.Disconnect(node, reason)
}

// Check implements peer.Protocol: the connections' bookkeeping answers
// within ctx.
func (m *Manager) Check(ctx context.Context) error { return m.peers.Check(ctx) }

// Close implements peer.Protocol: every connection closes (the peers see
// it at once) and the goroutines end.
func (m *Manager) Close() error {
	m.peers.Close()
	return nil
}
