// Package peer is the seam between a node's core and its link protocols.
//
// The core (supervisor, processes and mailboxes, message sink, functions,
// the chat and the responder) reaches other nodes only through Conn, which
// every link protocol implements: chatd's own (package link: a handshake,
// then yamux streams) and, for Erlang and Elixir nodes, the Erlang
// distribution protocol. The protocols reach the core only through Local.
// A Router holds the protocols, decides which one a peer gets, and shares
// the listening port among them.
//
//	core (daemon/core) ──── Conn ────┐      ┌──── Local ──── core
//	                                 ▼      │
//	              Router: which protocol a node gets, one listener
//	                     │                         │
//	         chatd links (daemon/link)   Erlang distribution
//
// Pids, exit reasons and failure kinds cross the seam as wire values, so
// that the core never learns which protocol a peer speaks. What is the same
// in every protocol is here once: Peers keeps a protocol's connections (one
// per node, simultaneous connects, replacement, disconnect, shutdown),
// DialHandshake bounds a dial and its handshake, Reporter tells the
// node's Observer.
package peer

import (
	"context"
	"net"
	"time"

	"chatd/wire"
)

// Protocol is one link protocol: it makes and accepts connections to peers
// and keeps at most one per peer.
type Protocol interface {
	// Name is the protocol's name in listings (wire.LinkInfo.Protocol).
	Name() string
	// Conn returns the live connection to node, if there is one.
	Conn(node wire.NodeName) (Conn, bool)
	// Dial returns the connection to node, connecting to addr unless one
	// is up or being made; the error is a *ConnectError.
	Dial(ctx context.Context, node wire.NodeName, addr string) (Conn, error)
	// Accept runs the accepting side of a connection a peer opened, whose
	// first bytes are this protocol's, until it is a live connection or
	// has failed; the protocol owns conn. ctx ends when the node stops,
	// and its deadline is the handshake's (HandshakeDeadline): the
	// connection is the protocol's beyond it only once it is live.
	Accept(ctx context.Context, conn net.Conn)
	// Links lists the connections up now.
	Links() []wire.LinkInfo
	// Disconnect closes the connection to node for reason (logged) and
	// reports whether there was one.
	Disconnect(node wire.NodeName, reason string) bool
	// Check verifies within ctx that the protocol's bookkeeping answers (a
	// stuck protocol stops the systemd watchdog).
	Check(ctx context.Context) error
	// Close closes every connection, telling the peers, and waits for the
	// protocol's goroutines.
	Close() error
}

// Conn is one live connection to a peer node. Every method fails with a
// *ConnectError once the connection is down; other failures carry their
// kind (wire.CodeOf).
type Conn interface {
	// Peer is the node at the other end.
	Peer() wire.NodeName
	// Info describes the connection for listings.
	Info() wire.LinkInfo
	// Done is closed when the connection is down.
	Done() <-chan struct{}
	// Ping makes one round trip and returns its time.
	Ping(ctx context.Context) (time.Duration, error)
	// Call runs c on the peer's task supervisor and awaits its result
	// until ctx ends; the remote task is cancelled then.
	Call(ctx context.Context, c wire.Call) (string, error)
	// Send puts text from the local process from in the mailbox of the
	// process to on the peer, and returns once the peer took it.
	Send(ctx context.Context, from, to wire.Pid, text string) error
	// Spawn starts an unsupervised process on the peer, linked to
	// sp.LinkedTo here; what it prints and, last, how it ended go to out.
	// It returns the process's pid once it runs.
	Spawn(ctx context.Context, sp wire.Spawn, out Output) (wire.Pid, error)
}

// Output receives what a remote process prints, then how it ended. Its
// methods are called from one goroutine, in order; Exit is called exactly
// once, with wire.ExitNoConnection when the connection went down first.
type Output interface {
	// Line is one line the process printed.
	Line(text string)
	// Exit is the process's exit reason ("normal" or why).
	Exit(reason string)
}

// Local is what a link protocol asks of the node's core for its peers.
type Local interface {
	// Self is this node's name.
	Self() wire.NodeName
	// StartCall starts c, asked for by caller, as a supervised task and
	// returns at once. done is called once, from the task's goroutine,
	// with the result or a kinded error; cancel cancels the task. ctx
	// bounds the task (its end cancels it).
	StartCall(ctx context.Context, caller wire.NodeName, c wire.Call, done func(value string, err error)) (cancel func(), err error)
	// RunCall runs c, asked for by caller, as a supervised task in the
	// calling goroutine and returns its result or a kinded error: for a
	// link protocol that has a goroutine waiting for the result anyway.
	// ctx bounds the task, and so does c.Timeout when positive.
	RunCall(ctx context.Context, caller wire.NodeName, c wire.Call) (value string, err error)
	// StartProcess starts an unsupervised process running sp for caller,
	// recorded as linked to sp.LinkedTo; out receives each line it prints
	// and must not block for long.
	StartProcess(caller wire.NodeName, sp wire.Spawn, out func(line string)) (Process, error)
	// Deliver puts text from from in the mailbox of the local process to.
	Deliver(from, to wire.Pid, text string) error
}

// Process is a local process started for a peer.
type Process interface {
	// Pid is the process's pid.
	Pid() wire.Pid
	// Done is closed when the process has ended.
	Done() <-chan struct{}
	// Reason is why it ended ("normal" or why); valid once Done is closed.
	Reason() string
	// Kill ends the process with reason.
	Kill(reason string)
}
