package wire

import "time"

// QueryWatch, set to "1" on GET /v1/nodes, streams node events (NDJSON)
// instead of listing the links: Erlang's :net_kernel.monitor_nodes/1.
const QueryWatch = "watch"

// NodeEventKind says what a NodeEvent reports.
type NodeEventKind string

// Node event kinds.
const (
	// NodeUp: a link to the node came up.
	NodeUp NodeEventKind = "up"
	// NodeDown: the link to the node went down, or an attempt to make one
	// failed (then no up came before it).
	NodeDown NodeEventKind = "down"
	// NodeWatchEnd is the stream's last line: the daemon ended the watch,
	// and Reason and Detail say why (shutdown, lagged).
	NodeWatchEnd NodeEventKind = "end"
)

// NodeReason says why a node went down, or why a watch ended. The set is
// closed; Detail in the event carries the protocol's own words.
type NodeReason string

// Why a node went down.
const (
	// ReasonClosed: the link was closed cleanly, by the peer, by an
	// operator (disconnect) or because this node is stopping.
	ReasonClosed NodeReason = "closed"
	// ReasonTickTimeout: the peer stopped answering keepalives (ticks)
	// within the tick time.
	ReasonTickTimeout NodeReason = "tick_timeout"
	// ReasonConnectionLost: the connection failed under the link (a read
	// or write error, bytes the protocol does not allow, a peer that
	// stopped reading).
	ReasonConnectionLost NodeReason = "connection_lost"
	// ReasonCookieMismatch: a handshake failed because the cookies differ.
	ReasonCookieMismatch NodeReason = "cookie_mismatch"
	// ReasonRefused: the connection or the handshake was refused (nothing
	// listens there, a version or name clash, TLS, a node shutting down).
	ReasonRefused NodeReason = "refused"
	// ReasonTimedOut: a dial or handshake did not finish in time.
	ReasonTimedOut NodeReason = "timed_out"
	// ReasonFailed: a handshake failed some other way (bytes that are not
	// the protocol's, a connection lost in the middle).
	ReasonFailed NodeReason = "failed"
)

// Why a watch ended (NodeWatchEnd).
const (
	// ReasonShutdown: the daemon is stopping.
	ReasonShutdown NodeReason = "shutdown"
	// ReasonLagged: the watcher read too slowly and events would have been
	// lost; watch again (and list the links) to catch up.
	ReasonLagged NodeReason = "lagged"
)

// NodeEvent is one line of GET /v1/nodes?watch=1.
type NodeEvent struct {
	// Event is up, down, or end (the stream's last line).
	Event NodeEventKind `json:"event"`
	// Node is the peer's full name; empty on end, and on a down for a
	// connection that failed before the peer said who it is.
	Node string `json:"node,omitempty"`
	// Protocol is the link protocol, as in LinkInfo ("chatd", "erlang").
	Protocol string `json:"protocol,omitempty"`
	// Direction is "out" when this node dialled, "in" when the peer did.
	Direction string `json:"direction,omitempty"`
	// Address is the peer's TCP address, when known.
	Address string `json:"address,omitempty"`
	// Reason says why, on down and end.
	Reason NodeReason `json:"reason,omitempty"`
	// Detail is the reason in the protocol's words, for people.
	Detail string `json:"detail,omitempty"`
	// Time is when it happened.
	Time time.Time `json:"time"`
}

// PathMetrics serves the node's metrics in the Prometheus text format, on
// the control socket and, with [metrics] listen, over TCP. It is not
// versioned: Prometheus scrapes /metrics.
const PathMetrics = "/metrics"

// PathDebugPprof is the prefix of the Go runtime's profiles on the control
// socket: profile?seconds=N (CPU), trace?seconds=N (execution trace) and
// the named profiles of runtime/pprof (heap, allocs, goroutine, ...), in
// the formats of net/http/pprof. Not versioned: `go tool pprof` knows it.
const PathDebugPprof = "/debug/pprof/"
