package main

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"chatd/wire"
)

// fakeChat is the task and chat side of a fakeDaemon: canned tasks,
// messages and functions, and the last send and call requests it saw.
type fakeChat struct {
	taskStarted time.Time // when the running task (#42) started
	msgTime     time.Time // when the first canned message arrived
	// streaming receives the query of each watch or follow request once its
	// backlog is flushed and the fake is waiting for the client to leave.
	streaming chan string

	mu       sync.Mutex
	lastSend wire.SendRequest // guarded by mu
	lastCall wire.CallRequest // guarded by mu
}

// fakeSendID is the id the fake gives every message it accepts.
const fakeSendID = "3f2a9c01"

func newFakeChat() fakeChat {
	return fakeChat{
		taskStarted: time.Now().Add(-1500 * time.Millisecond),
		msgTime:     time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC),
		streaming:   make(chan string, 16),
	}
}

// sent returns the last POST /v1/send request.
func (f *fakeChat) sent() wire.SendRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastSend
}

// called returns the last POST /v1/call request.
func (f *fakeChat) called() wire.CallRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastCall
}

// tasks is GET /v1/tasks: sleep 3s running for alex; with all, two finished
// tasks after it.
func (f *fakeDaemon) tasks(all bool) wire.TasksResponse {
	resp := wire.TasksResponse{Node: f.node, Tasks: []wire.TaskInfo{{
		ID: 42, Function: "sleep", Args: "3s", Caller: "alex@localhost", Started: f.taskStarted,
		State: wire.TaskRunning, DurationMs: 1500,
	}}}
	if all {
		done := time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)
		resp.Tasks = append(resp.Tasks,
			wire.TaskInfo{ID: 41, Function: "receive_message", Args: "hi", Caller: "kate@localhost", Started: done,
				State: wire.TaskOK, DurationMs: 0.42, Result: "ok"},
			wire.TaskInfo{ID: 40, Function: "crash", Caller: "kate@localhost", Started: done,
				State: wire.TaskFailed, DurationMs: 3004, Error: "panic: crash"})
	}
	return resp
}

// taskEvents is what GET /v1/tasks?watch=1 streams before it goes quiet.
func (f *fakeDaemon) taskEvents() []wire.TaskInfo {
	start := time.Date(2025, 1, 2, 17, 2, 3, 123e6, time.UTC)
	return []wire.TaskInfo{
		{ID: 43, Function: "receive_message", Args: "hi", Caller: "alex@localhost", Started: start, State: wire.TaskRunning},
		{ID: 43, Function: "receive_message", Args: "hi", Caller: "alex@localhost", Started: start, State: wire.TaskOK,
			DurationMs: 0.4, Result: "ok"},
		{ID: 44, Function: "crash", Caller: "alex@localhost", Started: start.Add(time.Second), State: wire.TaskFailed,
			DurationMs: 0.3, Error: "panic: crash"},
	}
}

// messages is GET /v1/messages?n=N: the last n of three canned messages
// (n ≤ 0: all), the last with a newline in it.
func (f *fakeDaemon) messages(n int) wire.MessagesResponse {
	msgs := []wire.Message{
		{ID: "m1", From: "alex@localhost", To: f.node, Text: "hi", Time: f.msgTime},
		{ID: "m2", From: "moebi@localhost", To: f.node, Text: "chicken?", Time: f.msgTime.Add(2 * time.Second)},
		{ID: "m3", From: "eve@localhost", To: f.node, Text: "two\nlines", Time: f.msgTime.Add(time.Minute)},
	}
	if n > 0 && n < len(msgs) {
		msgs = msgs[len(msgs)-n:]
	}
	return wire.MessagesResponse{Node: f.node, Messages: msgs}
}

func (f *fakeDaemon) functions() wire.FunctionsResponse {
	return wire.FunctionsResponse{Functions: []wire.FunctionInfo{
		{Name: "echo", Args: "ARGS...", Summary: "returns its args"},
		{Name: "say_name", Summary: "print \"Hi, my name is <node name>\""},
		{Name: "sleep", Args: "DURATION", Summary: "sleeps for DURATION"},
	}}
}

// serveChat answers the task and chat endpoints and reports whether r was
// one of them.
func (f *fakeDaemon) serveChat(w http.ResponseWriter, r *http.Request) bool {
	q := r.URL.Query()
	switch r.Method + " " + r.URL.Path {
	case "POST " + wire.PathSend:
		var req wire.SendRequest
		if decodeFake(w, r, &req) {
			f.mu.Lock()
			f.lastSend = req
			f.mu.Unlock()
			f.send(w, req)
		}
	case "POST " + wire.PathCall:
		var req wire.CallRequest
		if decodeFake(w, r, &req) {
			f.mu.Lock()
			f.lastCall = req
			f.mu.Unlock()
			f.call(w, req)
		}
	case "GET " + wire.PathTasks:
		if q.Get("watch") == "1" {
			streamFake(w, r, f.streaming, f.taskEvents())
			return true
		}
		reply(w, http.StatusOK, f.tasks(q.Get("all") == "1"))
	case "GET " + wire.PathMessages:
		n, _ := strconv.Atoi(q.Get("n"))
		if q.Get("follow") == "1" {
			var backlog []wire.Message
			if n > 0 {
				backlog = f.messages(n).Messages
			}
			streamFake(w, r, f.streaming, backlog)
			return true
		}
		reply(w, http.StatusOK, f.messages(n))
	case "GET " + wire.PathFunctions:
		reply(w, http.StatusOK, f.functions())
	default:
		return false
	}
	return true
}

func (f *fakeDaemon) send(w http.ResponseWriter, req wire.SendRequest) {
	switch to := fullName(req.To); {
	case strings.HasSuffix(req.To, ".99.7>"):
		reply(w, http.StatusNotFound, wire.ErrorResponse{
			Error: "send to " + req.To + ": no such process (it ended, or belonged to an earlier start of its node)",
			Code:  wire.CodeNoProcess})
	case strings.HasSuffix(req.To, ".98.7>"):
		reply(w, http.StatusTooManyRequests, wire.ErrorResponse{
			Error: "send to " + req.To + ": its mailbox is full (1024 messages)", Code: wire.CodeMailboxFull})
	case wire.LooksLikePid(req.To):
		reply(w, http.StatusOK, wire.SendResponse{From: f.shell(), To: req.To})
	case strings.HasPrefix(to, "moebi@"):
		reply(w, http.StatusBadGateway, wire.ErrorResponse{
			Error: "no connection to " + to + ": not registered", Code: wire.CodeNoConnection})
	default:
		reply(w, http.StatusOK, wire.SendResponse{ID: fakeSendID, From: f.node, To: to})
	}
}

// call runs the canned functions: say_name, echo, crash, and sleep, which
// times out when its argument is longer than the request's timeout.
func (f *fakeDaemon) call(w http.ResponseWriter, req wire.CallRequest) {
	node := fullName(req.Node)
	fail := func(status int, code wire.ErrorCode, msg string) {
		reply(w, status, wire.ErrorResponse{Error: node + ": " + msg, Code: code})
	}
	ok := func(result string) {
		reply(w, http.StatusOK, wire.CallResponse{Node: node, Function: req.Function, Result: result, DurationMs: 0.8})
	}
	if strings.HasPrefix(node, "moebi@") {
		reply(w, http.StatusBadGateway, wire.ErrorResponse{Error: "no connection to " + node + ": not registered", Code: wire.CodeNoConnection})
		return
	}
	switch req.Function {
	case "say_name":
		name, _, _ := strings.Cut(node, "@")
		ok("Hi, my name is " + name) // as the real say_name says it
	case "echo":
		ok(strings.Join(req.Args, " "))
	case "crash":
		fail(http.StatusBadGateway, wire.CodeTaskFailed, "crash failed: panic: crash")
	case "sleep":
		timeout, _ := time.ParseDuration(req.Timeout)
		d, _ := time.ParseDuration(strings.Join(req.Args, ""))
		if timeout > 0 && d > timeout {
			fail(http.StatusGatewayTimeout, wire.CodeTimeout,
				"sleep timed out after "+timeout.String()+" (the task was cancelled)")
			return
		}
		ok("")
	default:
		fail(http.StatusNotFound, wire.CodeNotFound, "no function "+strconv.Quote(req.Function)+"; chatctl functions lists them")
	}
}

// decodeFake decodes r's JSON body into v, answering bad_request when it
// cannot.
func decodeFake(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		reply(w, http.StatusBadRequest, wire.ErrorResponse{Error: err.Error(), Code: wire.CodeBadRequest})
		return false
	}
	return true
}

// streamFake writes each value as an NDJSON line, reports r's query on
// started (without blocking), then keeps the stream open, as a daemon with
// nothing more to say does, until the client leaves.
func streamFake[T any](w http.ResponseWriter, r *http.Request, started chan<- string, values []T) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	for _, v := range values {
		_ = enc.Encode(v)
	}
	w.(http.Flusher).Flush()
	select {
	case started <- r.URL.RawQuery:
	default:
	}
	<-r.Context().Done()
}
