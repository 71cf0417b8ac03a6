// Package core is a node's core: its task supervisor, its processes and
// their mailboxes, its message sink and builtin functions, the chat and
// the responder. It reaches other nodes only through the peer seam (Peers,
// a peer.Router in the daemon) and serves them as their peer.Local, so it
// never learns which link protocol a peer speaks.
package core

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"chatd/daemon/function"
	"chatd/daemon/peer"
	"chatd/daemon/proc"
	"chatd/daemon/sink"
	"chatd/daemon/task"
	"chatd/wire"
)

// TimeoutGrace is how long past a call's await timeout this node lets the
// task of a peer's call run: the caller cancels it at the timeout, so this
// only matters when the cancel cannot arrive.
const TimeoutGrace = 2 * time.Second

// Peers finds the connection to another node (a peer.Router).
type Peers interface {
	// Conn returns the connection to node, making it on first use.
	Conn(ctx context.Context, node wire.NodeName) (peer.Conn, error)
}

// Config is what a Core is made of.
type Config struct {
	Self wire.NodeName // this node
	// AwaitTimeout is how long a call waits for its result when it says
	// nothing (tasks.await_timeout).
	AwaitTimeout time.Duration
	// LocalPlacement runs every task and process on this node, whatever
	// node it names (tasks.placement = "local", the lesson's test setup).
	LocalPlacement bool
	// LocalReason says why, for the answers of calls and sends that ran
	// here though they named another node.
	LocalReason string
	Sup         *task.Supervisor
	Procs       *proc.Table
	Sink        *sink.Sink
	Funcs       *function.Registry
	// OnCall, if set, hears of every call Call made once it ended: to
	// another node when remote, else on this node's supervisor (metrics).
	OnCall func(node wire.NodeName, call wire.Call, remote bool, err error, took time.Duration)
	Logger *slog.Logger
}

// Core is a node's core.
type Core struct {
	cfg   Config
	log   *slog.Logger
	peers Peers
	reply atomic.Pointer[string] // the responder's reply text; "" for none
	// replyFn and callFn are responderReply and Call as the funcs every
	// task's Env holds, made once: a method value costs an allocation.
	replyFn func() string
	callFn  func(ctx context.Context, node wire.NodeName, call wire.Call) (string, error)
	sends   replies // the replies of the sends in flight

	stopping chan struct{}  // closed by Close
	spawns   sync.WaitGroup // goroutines following spawned processes
}

var _ peer.Local = (*Core)(nil)

// New returns a Core; SetPeers must be called before it is used.
func New(cfg Config) *Core {
	c := &Core{cfg: cfg, log: cfg.Logger, stopping: make(chan struct{})}
	c.replyFn, c.callFn = c.responderReply, c.Call
	c.SetResponderReply("")
	return c
}

// SetPeers gives the core its way to other nodes. It is called once, when
// the node is wired, before anything is served.
func (c *Core) SetPeers(p Peers) { c.peers = p }

// SetResponderReply sets the text this node answers every message with;
// "" makes it no responder (the [responder] section; reloadable).
func (c *Core) SetResponderReply(text string) { c.reply.Store(&text) }

// responderReply is the text this node answers every message with.
func (c *Core) responderReply() string { return *c.reply.Load() }

// Self implements peer.Local.
func (c *Core) Self() wire.NodeName { return c.cfg.Self }

// Close sends what spawned processes print from now on to the log, and
// waits for the goroutines that follow local ones; the process table must
// be closed first, which ends them.
func (c *Core) Close() {
	close(c.stopping)
	c.spawns.Wait()
}

// conn returns the connection to node through the peers.
func (c *Core) conn(ctx context.Context, node wire.NodeName) (peer.Conn, error) {
	return c.peers.Conn(ctx, node)
}

// placement returns the node that runs work for node and, when that is
// this node instead of node, why.
func (c *Core) placement(node wire.NodeName) (ranOn wire.NodeName, local string) {
	if node != c.cfg.Self && c.cfg.LocalPlacement {
		return c.cfg.Self, c.cfg.LocalReason
	}
	return node, ""
}

// runsHere reports whether work for node runs on this node.
func (c *Core) runsHere(node wire.NodeName) bool {
	return node == c.cfg.Self || c.cfg.LocalPlacement
}
