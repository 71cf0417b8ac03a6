package main

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"chatd/daemon/control"
	"chatd/wire"
)

// fakeNode is the node behind a fakeDaemon's control API, from canned
// state: it is linked to kate, moebi is not registered anywhere, and
// anything else can be linked. Its shell is <NODE.1.9>; processes spawned
// on a node get <NODE.42.7> (<NODE.43.7> when detached). A pid whose id is
// 99 has ended, one whose id is 98 has a full mailbox.
type fakeNode struct {
	node        string    // full name, e.g. alex@localhost
	started     time.Time // reported in status
	since       time.Time // when the link to kate came up
	taskStarted time.Time // when the running task (#42) started
	procStarted time.Time // when the shell started
	// streaming receives the query of each stream request (a watch, a
	// follow, an attached spawn of sleep) once the node is asked for it.
	streaming chan string
	// query returns the query string of the last request to a path.
	query func(path string) string

	mu      sync.Mutex
	mailbox []wire.MailboxMessage // guarded by mu; emptied by Flush
}

// fakeSendID is the id the fake gives every message it accepts.
const fakeSendID = "3f2a9c01"

// fakeTime is when the canned messages and finished tasks are from.
var fakeTime = time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)

func newFakeNode(node string, query func(path string) string) *fakeNode {
	now := time.Now()
	return &fakeNode{
		node:        node,
		started:     now.Add(-time.Hour),
		since:       now.Add(-192 * time.Second),
		taskStarted: now.Add(-1500 * time.Millisecond),
		procStarted: now.Add(-time.Hour),
		streaming:   make(chan string, 16),
		query:       query,
		mailbox:     fakeMailbox(),
	}
}

// backend is f as the control API's backend, in every part but node
// events.
func (f *fakeNode) backend() control.Backend {
	return control.Backend{Node: f.node, Version: version, Host: "localhost", Status: f, Nodes: f, Chat: f, Procs: f}
}

// fakeMailbox is what the shell's mailbox holds until the first flush.
func fakeMailbox() []wire.MailboxMessage {
	return []wire.MailboxMessage{
		{From: "<kate@localhost.42.7>", Text: "sup?", Time: fakeTime},
		{From: "<moebi@localhost.3.1>", Exit: true, Reason: wire.ExitNoConnection, Time: fakeTime.Add(time.Second)},
		{From: "<kate@localhost.43.7>", Text: "two\nlines", Time: fakeTime.Add(2 * time.Second)},
	}
}

// stream reports a stream request to path on f.streaming, without
// blocking.
func (f *fakeNode) stream(path string) {
	select {
	case f.streaming <- f.query(path):
	default:
	}
}

// unreachable is the error for a node that is not registered (moebi),
// nil for any other.
func unreachable(node wire.NodeName) error {
	if node.Name != "moebi" {
		return nil
	}
	return wire.Errorf(wire.CodeNoConnection, "no connection to %s: not registered", node)
}

// noFunction is the error for a function the node does not have.
func noFunction(node wire.NodeName, function string) error {
	return wire.Errorf(wire.CodeNotFound, "%s: no function %q; chatctl functions lists them", node, function)
}

// Status is GET /v1/status.
func (f *fakeNode) Status() wire.StatusResponse {
	return wire.StatusResponse{
		Node: f.node, Version: "1.0.0", Protocol: 1, PID: 4242, Environment: "dev",
		Started: f.started, Listen: "127.0.0.1:41235", MapperPort: 4369, MapperLocal: true,
		Creation: 3, Links: 1,
	}
}

// Links is the link to kate.
func (f *fakeNode) Links() []wire.LinkInfo {
	return []wire.LinkInfo{{Node: "kate@localhost", Address: "127.0.0.1:5555", Direction: "out", Since: f.since}}
}

// nodes is GET /v1/nodes.
func (f *fakeNode) nodes() wire.NodesResponse {
	return wire.NodesResponse{Node: f.node, Links: f.Links()}
}

// Ping is pang for moebi, else pong.
func (f *fakeNode) Ping(_ context.Context, node wire.NodeName) wire.PingResponse {
	if unreachable(node) != nil {
		return wire.PingResponse{Node: node.String(), Result: wire.Pang, Reason: "not registered"}
	}
	return wire.PingResponse{Node: node.String(), Result: wire.Pong, RTTMs: 0.25}
}

// Connect fails for moebi; kate was linked already.
func (f *fakeNode) Connect(_ context.Context, node wire.NodeName) (bool, error) {
	if err := unreachable(node); err != nil {
		return false, err
	}
	return node.String() == "kate@localhost", nil
}

// Disconnect reports kate linked.
func (f *fakeNode) Disconnect(node wire.NodeName) bool { return node.String() == "kate@localhost" }

// SendMessage fails for moebi; any other node takes the message.
func (f *fakeNode) SendMessage(_ context.Context, to wire.NodeName, _ string) (wire.SendResponse, error) {
	if err := unreachable(to); err != nil {
		return wire.SendResponse{}, err
	}
	return wire.SendResponse{ID: fakeSendID, From: f.node, To: to.String()}, nil
}

// CallFunction runs the canned functions: say_name, echo, crash, and
// sleep, which times out when its argument is longer than timeout.
func (f *fakeNode) CallFunction(_ context.Context, node wire.NodeName, function string, args []string, timeout time.Duration) (wire.CallResponse, error) {
	if err := unreachable(node); err != nil {
		return wire.CallResponse{}, err
	}
	ok := func(result string) (wire.CallResponse, error) {
		return wire.CallResponse{Node: node.String(), Function: function, Result: result, DurationMs: 0.8}, nil
	}
	switch function {
	case "say_name":
		return ok("Hi, my name is " + node.Name) // as the real say_name says it
	case "echo":
		return ok(strings.Join(args, " "))
	case "crash":
		return wire.CallResponse{}, wire.Errorf(wire.CodeTaskFailed, "%s: crash failed: panic: crash", node)
	case "sleep":
		if d, _ := time.ParseDuration(strings.Join(args, "")); timeout > 0 && d > timeout {
			return wire.CallResponse{}, wire.Errorf(wire.CodeTimeout, "%s: sleep timed out after %s (the task was cancelled)", node, timeout)
		}
		return ok("")
	}
	return wire.CallResponse{}, noFunction(node, function)
}

// Tasks is sleep 3s running for alex; with all, two finished tasks after
// it.
func (f *fakeNode) Tasks(all bool) []wire.TaskInfo {
	tasks := []wire.TaskInfo{{
		ID: 42, Function: "sleep", Args: "3s", Caller: "alex@localhost", Started: f.taskStarted,
		State: wire.TaskRunning, DurationMs: 1500,
	}}
	if all {
		tasks = append(tasks,
			wire.TaskInfo{ID: 41, Function: "receive_message", Args: "hi", Caller: "kate@localhost", Started: fakeTime,
				State: wire.TaskOK, DurationMs: 0.42, Result: "ok"},
			wire.TaskInfo{ID: 40, Function: "crash", Caller: "kate@localhost", Started: fakeTime,
				State: wire.TaskFailed, DurationMs: 3004, Error: "panic: crash"})
	}
	return tasks
}

// tasks is GET /v1/tasks, with all the finished tasks too.
func (f *fakeNode) tasks(all bool) wire.TasksResponse {
	return wire.TasksResponse{Node: f.node, Tasks: f.Tasks(all)}
}

// WatchTasks streams taskEvents, then stays quiet until ctx ends.
func (f *fakeNode) WatchTasks(ctx context.Context) <-chan wire.TaskInfo {
	defer f.stream(wire.PathTasks)
	return quietAfter(ctx, taskEvents()...)
}

// taskEvents is what a watch of the tasks streams before it goes quiet.
func taskEvents() []wire.TaskInfo {
	start := time.Date(2025, 1, 2, 17, 2, 3, 123e6, time.UTC)
	return []wire.TaskInfo{
		{ID: 43, Function: "receive_message", Args: "hi", Caller: "alex@localhost", Started: start, State: wire.TaskRunning},
		{ID: 43, Function: "receive_message", Args: "hi", Caller: "alex@localhost", Started: start, State: wire.TaskOK,
			DurationMs: 0.4, Result: "ok"},
		{ID: 44, Function: "crash", Caller: "alex@localhost", Started: start.Add(time.Second), State: wire.TaskFailed,
			DurationMs: 0.3, Error: "panic: crash"},
	}
}

// Messages is the last n of three canned messages (n ≤ 0: all), the last
// with a newline in it.
func (f *fakeNode) Messages(n int) []wire.Message {
	msgs := []wire.Message{
		{ID: "m1", From: "alex@localhost", To: f.node, Text: "hi", Time: fakeTime},
		{ID: "m2", From: "moebi@localhost", To: f.node, Text: "chicken?", Time: fakeTime.Add(2 * time.Second)},
		{ID: "m3", From: "eve@localhost", To: f.node, Text: "two\nlines", Time: fakeTime.Add(time.Minute)},
	}
	if n > 0 && n < len(msgs) {
		msgs = msgs[len(msgs)-n:]
	}
	return msgs
}

// messages is GET /v1/messages?n=N.
func (f *fakeNode) messages(n int) wire.MessagesResponse {
	return wire.MessagesResponse{Node: f.node, Messages: f.Messages(n)}
}

// FollowMessages streams no new message until ctx ends (the handler
// replays the backlog from Messages).
func (f *fakeNode) FollowMessages(ctx context.Context) (<-chan wire.Message, func() error) {
	defer f.stream(wire.PathMessages)
	return quietAfter[wire.Message](ctx), func() error { return nil }
}

// quietAfter returns a channel that yields values, then nothing until ctx
// ends, when it closes: a stream with nothing more to say.
func quietAfter[T any](ctx context.Context, values ...T) <-chan T {
	ch := make(chan T, len(values))
	for _, v := range values {
		ch <- v
	}
	context.AfterFunc(ctx, func() { close(ch) })
	return ch
}

// Functions lists three of the builtins.
func (f *fakeNode) Functions() []wire.FunctionInfo {
	return []wire.FunctionInfo{
		{Name: "echo", Args: "ARGS...", Summary: "returns its args"},
		{Name: "say_name", Summary: "print \"Hi, my name is <node name>\""},
		{Name: "sleep", Args: "DURATION", Summary: "sleeps for DURATION"},
	}
}

// functions is GET /v1/functions.
func (f *fakeNode) functions() wire.FunctionsResponse {
	return wire.FunctionsResponse{Functions: f.Functions()}
}

// shell is the fake's shell pid, e.g. <alex@localhost.1.9>.
func (f *fakeNode) shell() string { return "<" + f.node + ".1.9>" }

// SendFromShell fails for a pid whose id is 99 (it ended) or 98 (its
// mailbox is full).
func (f *fakeNode) SendFromShell(_ context.Context, to wire.Pid, _ string) (wire.SendResponse, error) {
	switch to.ID {
	case 99:
		return wire.SendResponse{}, wire.Errorf(wire.CodeNoProcess,
			"send to %s: no such process (it ended, or belonged to an earlier start of its node)", to)
	case 98:
		return wire.SendResponse{}, wire.Errorf(wire.CodeMailboxFull, "send to %s: its mailbox is full (1024 messages)", to)
	}
	return wire.SendResponse{From: f.shell(), To: to.String()}, nil
}

// spawnPid is the pid a spawn on node gets: <node.42.7>, or <node.43.7>
// when detached.
func spawnPid(node string, detach bool) string {
	id := 42
	if detach {
		id = 43
	}
	return "<" + fullName(node) + "." + strconv.Itoa(id) + ".7>"
}

// fullName is node with @localhost when it has no host.
func fullName(node string) string {
	if strings.Contains(node, "@") {
		return node
	}
	return node + "@localhost"
}

// spawnEvents is what the node streams for an attached spawn of function
// with args on node: a pid, the function's output, and its exit unless
// the function is sleep, which runs until the client leaves.
func spawnEvents(node, function string, args ...string) []wire.SpawnEvent {
	pid := spawnPid(node, false)
	evs := []wire.SpawnEvent{{Event: wire.SpawnEventPid, Pid: pid}}
	output := func(text string) {
		evs = append(evs, wire.SpawnEvent{Event: wire.SpawnEventOutput, Pid: pid, Text: text})
	}
	reason := wire.ExitNormal
	switch function {
	case "say_name":
		name, _, _ := strings.Cut(node, "@")
		output("Hi, my name is " + name) // as the real say_name says it
	case "echo":
		for _, a := range args {
			output(a)
		}
	case "crash":
		reason = "panic: crash"
	case "sleep":
		output("sleeping")
		return evs
	}
	return append(evs, wire.SpawnEvent{Event: wire.SpawnEventExit, Pid: pid, Reason: reason})
}

// Spawn fails for moebi and for a function the node does not have; a
// detached spawn gets its pid, an attached one spawnEvents after it.
func (f *fakeNode) Spawn(_ context.Context, node wire.NodeName, function string, args []string, detach bool) (control.Spawned, error) {
	if err := unreachable(node); err != nil {
		return control.Spawned{}, err
	}
	if !strings.Contains(" say_name echo crash sleep reply ", " "+function+" ") {
		return control.Spawned{}, noFunction(node, function)
	}
	sp := control.Spawned{Pid: wire.Pid{Node: node, ID: 42, Creation: 7}, Detach: func() {}}
	if detach {
		sp.Pid.ID = 43
		return sp, nil
	}
	events := spawnEvents(node.String(), function, args...)[1:] // the handler sends the pid
	ch := make(chan wire.SpawnEvent, len(events))
	for _, ev := range events {
		ch <- ev
	}
	sp.Events = ch // never closed: a process's events end with its exit
	if function == "sleep" {
		f.stream(wire.PathSpawn)
	}
	return sp, nil
}

// Flush empties the shell's mailbox.
func (f *fakeNode) Flush() wire.FlushResponse {
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := wire.FlushResponse{Shell: f.shell(), Messages: f.mailbox}
	if resp.Messages == nil {
		resp.Messages = []wire.MailboxMessage{}
	}
	f.mailbox = nil
	return resp
}

// Processes is the shell, and a reply process spawned by kate's shell.
func (f *fakeNode) Processes() []wire.ProcessInfo {
	return []wire.ProcessInfo{
		{Pid: f.shell(), Function: "shell", Mailbox: 2, Started: f.procStarted},
		{Pid: "<" + f.node + ".42.9>", Function: "reply", Args: "sup?", LinkedTo: "<kate@localhost.1.7>",
			Started: f.procStarted.Add(time.Hour - 12*time.Second)},
	}
}

// processes is GET /v1/processes.
func (f *fakeNode) processes() wire.ProcessesResponse {
	return wire.ProcessesResponse{Node: f.node, Processes: f.Processes()}
}
