package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"chatd/wire"
)

// fakeProcs is the process side of a fakeDaemon: canned spawns, the shell's
// mailbox and the process list, and the last spawn request it saw.
type fakeProcs struct {
	procStarted time.Time // when the shell started

	procMu    sync.Mutex
	lastSpawn wire.SpawnRequest     // guarded by procMu
	mailbox   []wire.MailboxMessage // guarded by procMu; emptied by flush
}

func newFakeProcs() fakeProcs {
	at := time.Date(2025, 1, 2, 15, 4, 5, 0, time.UTC)
	return fakeProcs{
		procStarted: time.Now().Add(-time.Hour),
		mailbox: []wire.MailboxMessage{
			{From: "<kate@localhost.42.7>", Text: "sup?", Time: at},
			{From: "<moebi@localhost.3.1>", Exit: true, Reason: wire.ExitNoConnection, Time: at.Add(time.Second)},
			{From: "<kate@localhost.43.7>", Text: "two\nlines", Time: at.Add(2 * time.Second)},
		},
	}
}

// spawned returns the last POST /v1/spawn request.
func (f *fakeProcs) spawned() wire.SpawnRequest {
	f.procMu.Lock()
	defer f.procMu.Unlock()
	return f.lastSpawn
}

// shell is the fake's shell pid, e.g. <alex@localhost.1.9>.
func (f *fakeDaemon) shell() string { return "<" + f.node + ".1.9>" }

// spawnPid is the pid a spawn on node gets: <node.42.7>, or <node.43.7>
// when detached.
func spawnPid(node string, detach bool) string {
	id := 42
	if detach {
		id = 43
	}
	return "<" + fullName(node) + "." + strconv.Itoa(id) + ".7>"
}

// spawnEvents is what the fake streams for an attached spawn of function
// with args on node: a pid, the function's output, and its exit unless
// the function is one that never exits ("vanish", "sleep").
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
	case "vanish": // the daemon goes away mid-stream
		output("going")
		return evs
	case "sleep": // runs until the client leaves
		output("sleeping")
		return evs
	}
	return append(evs, wire.SpawnEvent{Event: wire.SpawnEventExit, Pid: pid, Reason: reason})
}

// processes is GET /v1/processes: the shell, and a reply process spawned
// by kate's shell.
func (f *fakeDaemon) processes() wire.ProcessesResponse {
	return wire.ProcessesResponse{Node: f.node, Processes: []wire.ProcessInfo{
		{Pid: f.shell(), Function: "shell", Mailbox: 2, Started: f.procStarted},
		{Pid: "<" + f.node + ".42.9>", Function: "reply", Args: "sup?", LinkedTo: "<kate@localhost.1.7>",
			Started: f.procStarted.Add(time.Hour - 12*time.Second)},
	}}
}

// serveProcess answers the process endpoints and reports whether r was one
// of them.
func (f *fakeDaemon) serveProcess(w http.ResponseWriter, r *http.Request) bool {
	switch r.Method + " " + r.URL.Path {
	case "POST " + wire.PathSpawn:
		var req wire.SpawnRequest
		if decodeFake(w, r, &req) {
			f.procMu.Lock()
			f.lastSpawn = req
			f.procMu.Unlock()
			f.spawn(w, r, req)
		}
	case "POST " + wire.PathFlush:
		var req struct{}
		if decodeFake(w, r, &req) {
			f.procMu.Lock()
			resp := wire.FlushResponse{Shell: f.shell(), Messages: f.mailbox}
			f.mailbox = nil
			f.procMu.Unlock()
			if resp.Messages == nil {
				resp.Messages = []wire.MailboxMessage{}
			}
			reply(w, http.StatusOK, resp)
		}
	case "GET " + wire.PathProcesses:
		reply(w, http.StatusOK, f.processes())
	default:
		return false
	}
	return true
}

// spawn answers POST /v1/spawn: moebi cannot be reached, unknown functions
// are not found, a detached spawn gets its pid, and an attached one the
// stream of spawnEvents; "sleep" then stays open until the client leaves,
// reporting on streaming when it waits.
func (f *fakeDaemon) spawn(w http.ResponseWriter, r *http.Request, req wire.SpawnRequest) {
	node := fullName(req.Node)
	switch {
	case strings.HasPrefix(node, "moebi@"):
		reply(w, http.StatusBadGateway, wire.ErrorResponse{Error: "no connection to " + node + ": not registered", Code: wire.CodeNoConnection})
		return
	case !strings.Contains(" say_name echo crash vanish sleep reply ", " "+req.Function+" "):
		reply(w, http.StatusNotFound, wire.ErrorResponse{
			Error: node + ": no function " + strconv.Quote(req.Function) + "; chatctl functions lists them", Code: wire.CodeNotFound})
		return
	case req.Detach:
		reply(w, http.StatusOK, wire.SpawnEvent{Event: wire.SpawnEventPid, Pid: spawnPid(node, true)})
		return
	}
	if req.Function == "sleep" {
		_, _ = io.Copy(io.Discard, r.Body) // so that the server notices the client leave
		streamFake(w, r, f.streaming, spawnEvents(node, req.Function, req.Args...))
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	for _, ev := range spawnEvents(node, req.Function, req.Args...) {
		_ = enc.Encode(ev)
	}
}
