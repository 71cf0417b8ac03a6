package wire

import "time"

// APIVersion is the version prefix of every control API path.
const APIVersion = "/v1"

// Control API paths. They are a contract scripts rely on.
const (
	PathStatus     = APIVersion + "/status"
	PathNodes      = APIVersion + "/nodes"
	PathPing       = APIVersion + "/ping"
	PathConnect    = APIVersion + "/connect"
	PathDisconnect = APIVersion + "/disconnect"
	PathSend       = APIVersion + "/send"
	PathCall       = APIVersion + "/call"
	PathTasks      = APIVersion + "/tasks"
	PathMessages   = APIVersion + "/messages"
	PathFunctions  = APIVersion + "/functions"
	PathSpawn      = APIVersion + "/spawn"
	PathFlush      = APIVersion + "/flush"
	PathProcesses  = APIVersion + "/processes"
)

// HeaderVersion is the response header carrying the daemon's version, so
// that a client can warn when its own differs.
const HeaderVersion = "Chatd-Version"

// MaxAPIRequest is the largest control API request body a daemon reads.
const MaxAPIRequest = 1 << 20

// ErrorResponse is the body of every non-2xx control API response.
type ErrorResponse struct {
	// Error is a human-readable message naming what failed and the fix.
	Error string `json:"error"`
	// Code is the failure kind (see errors.go).
	Code ErrorCode `json:"code"`
}

// NodeRequest is the body of POST /v1/ping, /v1/connect and /v1/disconnect.
type NodeRequest struct {
	// Node is a node name, name@host or a bare name (the daemon's host is
	// used then).
	Node string `json:"node"`
}

// StatusResponse is the body of GET /v1/status.
type StatusResponse struct {
	Node        string    `json:"node"`         // this node's full name
	Version     string    `json:"version"`      // the daemon's build version
	Protocol    int       `json:"protocol"`     // the link protocol version it speaks
	PID         int       `json:"pid"`          // the daemon's process id
	Environment string    `json:"environment"`  // dev, test or prod
	Started     time.Time `json:"started"`      // when the daemon started
	Listen      string    `json:"listen"`       // the address peers dial
	MapperPort  int       `json:"mapper_port"`  // the port mapper's TCP port
	MapperLocal bool      `json:"mapper_local"` // whether this daemon runs the embedded mapper
	Creation    uint32    `json:"creation"`     // the creation the mapper gave this incarnation
	Links       int       `json:"links"`        // the number of nodes linked now
	Tasks       int       `json:"tasks"`        // supervised tasks running now
	Goroutines  int       `json:"goroutines"`   // goroutines in the daemon
	HeapBytes   uint64    `json:"heap_bytes"`   // heap in use (Go runtime HeapAlloc; after a collection with ?gc=1)
	StackBytes  uint64    `json:"stack_bytes"`  // goroutine stacks in use
	RSSBytes    uint64    `json:"rss_bytes"`    // resident set size from /proc/self/statm
}

// QueryGC, set to "1" on GET /v1/status, makes the daemon run a garbage
// collection before it reads its memory, so that HeapBytes is the live
// heap: for measurements, at the cost of a full collection.
const QueryGC = "gc"

// LinkInfo describes one link in GET /v1/nodes.
type LinkInfo struct {
	Node      string    `json:"node"`      // the peer's full name
	Protocol  string    `json:"protocol"`  // the link protocol: "chatd" (or "erlang" for an Erlang or Elixir node)
	Address   string    `json:"address"`   // the peer's TCP address
	Direction string    `json:"direction"` // "out" when we dialled, "in" when the peer did
	TLS       bool      `json:"tls"`       // whether the link runs over TLS ([link.tls])
	Since     time.Time `json:"since"`     // when the link came up
}

// NodesResponse is the body of GET /v1/nodes: the nodes linked now.
type NodesResponse struct {
	Node  string     `json:"node"`  // this node's full name
	Links []LinkInfo `json:"links"` // sorted by node name
}

// PingResponse is the body of POST /v1/ping. A failed ping is not an API
// error: Result is "pang" and Reason says why.
type PingResponse struct {
	Node   string  `json:"node"`             // the pinged node's full name
	Result string  `json:"result"`           // "pong" or "pang"
	RTTMs  float64 `json:"rtt_ms,omitempty"` // round trip over the link, on pong
	Reason string  `json:"reason,omitempty"` // why, on pang
}

// Ping results.
const (
	Pong = "pong"
	Pang = "pang"
)

// ConnectResponse is the body of POST /v1/connect.
type ConnectResponse struct {
	Node    string `json:"node"`    // the peer's full name
	Already bool   `json:"already"` // the link existed before the request
}

// DisconnectResponse is the body of POST /v1/disconnect.
type DisconnectResponse struct {
	Node      string `json:"node"`       // the peer's full name
	WasLinked bool   `json:"was_linked"` // a link was closed
}

// SendRequest is the body of POST /v1/send.
type SendRequest struct {
	To   string `json:"to"`   // a node name (name@host or bare), or a pid <name@host.ID.CREATION>
	Text string `json:"text"` // the message
}

// SendResponse is the body of a successful POST /v1/send. To a node: the
// recipient's sink accepted the message. To a pid: the message is in the
// process's mailbox, sent from this node's shell.
type SendResponse struct {
	ID   string `json:"id,omitempty"` // the message id (CHAT_ID), for a node
	From string `json:"from"`         // the sending node, or the shell's pid for a pid
	To   string `json:"to"`           // the recipient node or pid
	// RanOn is the node whose receive_message took the message: To, or
	// this node when Local is set. Empty for a pid.
	RanOn string `json:"ran_on,omitempty"`
	// Local, when set, says why a message to another node ran on this
	// one: `tasks.placement is "local" in the test environment`.
	Local string `json:"local,omitempty"`
	// Replies are the messages To sent back to this node while the send
	// was in flight, in the order they landed in this node's sink: a
	// responder's answer (moebi's chicken?). Absent when none came.
	Replies []Message `json:"replies,omitempty"`
}

// CallRequest is the body of POST /v1/call.
type CallRequest struct {
	Node     string   `json:"node"`              // where the task runs
	Function string   `json:"function"`          // a builtin function name
	Args     []string `json:"args,omitempty"`    // its arguments
	Timeout  string   `json:"timeout,omitempty"` // await timeout as a Go duration; default tasks.await_timeout
}

// CallResponse is the body of a successful POST /v1/call.
type CallResponse struct {
	Node       string  `json:"node"`        // the node the call named
	Function   string  `json:"function"`    // the function
	Result     string  `json:"result"`      // what it returned
	DurationMs float64 `json:"duration_ms"` // call to result, as the caller saw it
	// RanOn is the node whose supervisor ran the task: Node, or this node
	// when Local is set.
	RanOn string `json:"ran_on"`
	// Local, when set, says why a call naming another node ran on this
	// one: `tasks.placement is "local" in the test environment`.
	Local string `json:"local,omitempty"`
}

// Task states.
const (
	TaskRunning   = "running"
	TaskOK        = "ok"
	TaskFailed    = "failed"
	TaskTimeout   = "timeout"
	TaskCancelled = "cancelled"
)

// TaskInfo describes one supervised task in GET /v1/tasks; with ?watch=1
// each NDJSON line is a TaskInfo at a change of state.
type TaskInfo struct {
	ID         uint64    `json:"id"`               // unique on the node
	Function   string    `json:"function"`         // the function name
	Args       string    `json:"args"`             // the arguments, joined and truncated
	Caller     string    `json:"caller"`           // the node that asked
	Started    time.Time `json:"started"`          // when it started
	State      string    `json:"state"`            // running, ok, failed, timeout or cancelled
	DurationMs float64   `json:"duration_ms"`      // so far, or in total once finished
	Result     string    `json:"result,omitempty"` // on ok, truncated
	Error      string    `json:"error,omitempty"`  // on failed, timeout or cancelled
}

// TasksResponse is the body of GET /v1/tasks.
type TasksResponse struct {
	Node  string     `json:"node"`  // this node
	Tasks []TaskInfo `json:"tasks"` // running ones, then (with ?all=1) finished ones, newest first
}

// Message is one received chat message in GET /v1/messages; with
// ?follow=1 each NDJSON line is a Message.
type Message struct {
	ID   string    `json:"id"`   // CHAT_ID
	From string    `json:"from"` // CHAT_FROM
	To   string    `json:"to"`   // CHAT_TO
	Text string    `json:"text"` // MESSAGE
	Time time.Time `json:"time"` // when the sink accepted it
}

// MessagesResponse is the body of GET /v1/messages.
type MessagesResponse struct {
	Node     string    `json:"node"`     // this node
	Messages []Message `json:"messages"` // oldest first
}

// FunctionInfo describes one builtin function.
type FunctionInfo struct {
	Name    string `json:"name"`    // what call and spawn take
	Args    string `json:"args"`    // argument synopsis, e.g. "TEXT"
	Summary string `json:"summary"` // one line
}

// FunctionsResponse is the body of GET /v1/functions.
type FunctionsResponse struct {
	Functions []FunctionInfo `json:"functions"` // sorted by name
}

// SpawnRequest is the body of POST /v1/spawn.
type SpawnRequest struct {
	Node     string   `json:"node"`           // where the process runs
	Function string   `json:"function"`       // a builtin function name
	Args     []string `json:"args,omitempty"` // its arguments
	Detach   bool     `json:"detach"`         // answer with the pid at once
}

// Spawn events, the "event" of a SpawnEvent.
const (
	SpawnEventPid    = "pid"    // the process started: Pid
	SpawnEventOutput = "output" // it printed a line: Text
	SpawnEventExit   = "exit"   // it ended: Reason ("normal" or why)
)

// SpawnEvent is one NDJSON line of POST /v1/spawn: first "pid", then any
// number of "output", then "exit". A detached spawn answers with the "pid"
// event alone, as a plain JSON object.
type SpawnEvent struct {
	Event  string `json:"event"`            // pid, output or exit
	Pid    string `json:"pid"`              // the process
	Text   string `json:"text,omitempty"`   // on output
	Reason string `json:"reason,omitempty"` // on exit
}

// ExitNormal is the reason of a process that returned without error.
const ExitNormal = "normal"

// ExitNoConnection is the reason in an exit notice for a process whose
// node went away.
const ExitNoConnection = "noconnection"

// MailboxMessage is one entry of the shell's mailbox in POST /v1/flush:
// a message, or an exit notice from a linked process.
type MailboxMessage struct {
	From   string    `json:"from"`             // the sender's pid
	Text   string    `json:"text,omitempty"`   // the message
	Exit   bool      `json:"exit,omitempty"`   // an exit notice rather than a message
	Reason string    `json:"reason,omitempty"` // the exit reason, on an exit notice
	Time   time.Time `json:"time"`             // when it arrived
}

// FlushResponse is the body of POST /v1/flush: what the shell's mailbox
// held, oldest first; the mailbox is empty afterwards.
type FlushResponse struct {
	Shell    string           `json:"shell"`    // the shell's pid
	Messages []MailboxMessage `json:"messages"` // oldest first
}

// ProcessInfo describes one local process in GET /v1/processes.
type ProcessInfo struct {
	Pid      string    `json:"pid"`                 // the process
	Function string    `json:"function"`            // what it runs ("shell" for the shell)
	Args     string    `json:"args"`                // its arguments, joined and truncated
	LinkedTo string    `json:"linked_to,omitempty"` // the pid it is linked to
	Mailbox  int       `json:"mailbox"`             // messages waiting
	Started  time.Time `json:"started"`             // when it started
}

// ProcessesResponse is the body of GET /v1/processes.
type ProcessesResponse struct {
	Node      string        `json:"node"`      // this node
	Processes []ProcessInfo `json:"processes"` // by pid id
}
