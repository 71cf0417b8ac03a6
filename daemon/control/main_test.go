package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/internal/fdgate"
	"chatd/internal/testkit"
	"chatd/internal/testlog"
	"chatd/wire"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func testLogger(t testing.TB) *slog.Logger { return testlog.New(t) }

// selfPolicy allows this process's own user.
func selfPolicy() Policy { return Policy{UID: os.Getuid(), GID: os.Getgid()} }

// socketPath returns a control socket path in a fresh temporary directory,
// under a runtime directory Listen has to create.
func socketPath(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "run", "alex", "control.sock")
}

// testServer is a control socket being served.
type testServer struct {
	srv    *Server
	served chan error // Serve's result
}

// startServer listens on path with pol and serves b until the test ends.
func startServer(t *testing.T, path string, pol Policy, b *fakeBackend) *testServer {
	t.Helper()
	return startGated(t, path, pol, b, fdgate.New())
}

// startGated is startServer with the descriptor gate g.
func startGated(t *testing.T, path string, pol Policy, b *fakeBackend, g *fdgate.Gate) *testServer {
	t.Helper()
	srv, err := Listen(path, pol, g, testLogger(t))
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	ts := &testServer{srv: srv, served: make(chan error, 1)}
	go func() { ts.served <- srv.Serve(b.backend()) }()
	t.Cleanup(func() { ts.close(t) })
	return ts
}

// close closes the server and checks that Serve returned nil; it may be
// called more than once.
func (ts *testServer) close(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Wait)
	defer cancel()
	if err := ts.srv.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
	select {
	case err, ok := <-ts.served:
		if ok && err != nil {
			t.Errorf("Serve: %v", err)
		}
		if ok {
			close(ts.served)
		}
	case <-time.After(testkit.Wait):
		t.Fatal("Serve did not return after Close")
	}
}

// apiClient speaks HTTP to a control socket.
type apiClient struct {
	http *http.Client
}

// newClient returns a client of the socket at path; its connections are
// closed when the test ends.
func newClient(t *testing.T, path string) *apiClient {
	t.Helper()
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &apiClient{http: &http.Client{Transport: tr, Timeout: testkit.Wait}}
}

// do makes one request and returns the status, content type and body.
func (c *apiClient) do(t *testing.T, method, path, body string) (int, string, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://chatd"+path, r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// wantError checks that a response is a JSON error with status and code.
func wantError(t *testing.T, status int, ctype string, body []byte, wantStatus int, wantCode wire.ErrorCode) wire.ErrorResponse {
	t.Helper()
	if status != wantStatus {
		t.Errorf("status = %d, want %d (body %s)", status, wantStatus, body)
	}
	if ctype != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ctype)
	}
	var er wire.ErrorResponse
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&er); err != nil {
		t.Fatalf("error body %q is not an ErrorResponse: %v", body, err)
	}
	if er.Code != wantCode || er.Error == "" {
		t.Errorf("error = %+v, want code %q and a message", er, wantCode)
	}
	return er
}

var (
	testStarted = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	testStatus  = wire.StatusResponse{
		Node: "alex@localhost", Version: "v0.0.0-test", Protocol: 1, PID: 4242, Environment: "test",
		Started: testStarted, Listen: "127.0.0.1:41235", MapperPort: 4369, MapperLocal: true,
		Creation: 7, Links: 1, Tasks: 2, Goroutines: 30, HeapBytes: 1 << 20, RSSBytes: 8 << 20,
	}
	testLinks = []wire.LinkInfo{{Node: "kate@localhost", Address: "127.0.0.1:41236", Direction: "out", Since: testStarted}}
	testTasks = []wire.TaskInfo{
		{ID: 2, Function: "sleep", Args: "1h", Caller: "kate@localhost", Started: testStarted, State: wire.TaskRunning, DurationMs: 5},
		{ID: 1, Function: "echo", Args: "hi", Caller: "kate@localhost", Started: testStarted, State: wire.TaskOK, DurationMs: 0.25, Result: "hi"},
	}
	testFunctions = []wire.FunctionInfo{{Name: "echo", Args: "[ARGS...]", Summary: "return the arguments"}}
)

func testMessage(i int) wire.Message {
	return wire.Message{
		ID: "000000000000000" + string(rune('0'+i)), From: "kate@localhost", To: "alex@localhost",
		Text: "hi " + string(rune('0'+i)), Time: testStarted.Add(time.Duration(i) * time.Second),
	}
}

// callArgs is what CallFunction was asked.
type callArgs struct {
	node     wire.NodeName
	function string
	args     []string
	timeout  time.Duration
}

// fakeBackend is alex's node: canned answers, with the error set by
// setErr returned by Connect, Send and CallFunction.
type fakeBackend struct {
	mu          sync.Mutex
	err         error      // guarded by mu
	calls       []callArgs // guarded by mu
	sent        []string   // guarded by mu: "to text"
	statusCalls int        // guarded by mu

	messages  []wire.Message
	watch     chan wire.TaskInfo   // WatchTasks returns it
	watchCtx  chan context.Context // WatchTasks reports its ctx here
	live      chan wire.Message    // FollowMessages returns it, closing it when its ctx ends
	followCtx chan context.Context // FollowMessages reports its ctx here
	followErr error                // what FollowMessages' func reports
}

func newBackend() *fakeBackend {
	return &fakeBackend{
		messages:  []wire.Message{testMessage(1), testMessage(2), testMessage(3)},
		watch:     make(chan wire.TaskInfo, 16),
		watchCtx:  make(chan context.Context, 1),
		live:      make(chan wire.Message, 16),
		followCtx: make(chan context.Context, 1),
	}
}

func (b *fakeBackend) setErr(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.err = err
}

func (b *fakeBackend) getErr() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// backend serves b as every part of alex's node.
func (b *fakeBackend) backend() Backend {
	b.mu.Lock()
	b.statusCalls = 0
	b.mu.Unlock()
	return Backend{Node: testStatus.Node, Version: testStatus.Version, Host: "localhost", Status: b, Nodes: b, Chat: b, Procs: b}
}

func (b *fakeBackend) Status() wire.StatusResponse {
	b.mu.Lock()
	b.statusCalls++
	b.mu.Unlock()
	return testStatus
}

// statuses is how often Status was asked.
func (b *fakeBackend) statuses() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.statusCalls
}

func (b *fakeBackend) Links() []wire.LinkInfo { return testLinks }

func (b *fakeBackend) Ping(_ context.Context, node wire.NodeName) wire.PingResponse {
	if node.Name == "gone" {
		return wire.PingResponse{Node: node.String(), Result: wire.Pang, Reason: "not registered"}
	}
	return wire.PingResponse{Node: node.String(), Result: wire.Pong, RTTMs: 1.5}
}

func (b *fakeBackend) Connect(_ context.Context, node wire.NodeName) (bool, error) {
	if err := b.getErr(); err != nil {
		return false, err
	}
	return node.Name == "kate", nil
}

func (b *fakeBackend) Disconnect(node wire.NodeName) bool { return node.Name == "kate" }

func (b *fakeBackend) SendMessage(_ context.Context, to wire.NodeName, text string) (wire.SendResponse, error) {
	if err := b.getErr(); err != nil {
		return wire.SendResponse{}, err
	}
	b.mu.Lock()
	b.sent = append(b.sent, to.String()+" "+text)
	b.mu.Unlock()
	return wire.SendResponse{ID: "00000000000000aa", From: "alex@localhost", To: to.String()}, nil
}

func (b *fakeBackend) CallFunction(_ context.Context, node wire.NodeName, fn string, args []string, timeout time.Duration) (wire.CallResponse, error) {
	b.mu.Lock()
	b.calls = append(b.calls, callArgs{node, fn, args, timeout})
	err := b.err
	b.mu.Unlock()
	if err != nil {
		return wire.CallResponse{}, err
	}
	return wire.CallResponse{Node: node.String(), Function: fn, Result: strings.Join(args, " "), DurationMs: 1.25}, nil
}

func (b *fakeBackend) lastCall() callArgs {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.calls) == 0 {
		return callArgs{}
	}
	return b.calls[len(b.calls)-1]
}

func (b *fakeBackend) Tasks(all bool) []wire.TaskInfo {
	if all {
		return testTasks
	}
	return testTasks[:1]
}

func (b *fakeBackend) WatchTasks(ctx context.Context) <-chan wire.TaskInfo {
	b.watchCtx <- ctx
	return b.watch
}

func (b *fakeBackend) Messages(n int) []wire.Message {
	if n <= 0 || n > len(b.messages) {
		return b.messages
	}
	return b.messages[len(b.messages)-n:]
}

func (b *fakeBackend) FollowMessages(ctx context.Context) (<-chan wire.Message, func() error) {
	b.followCtx <- ctx
	context.AfterFunc(ctx, func() { close(b.live) })
	return b.live, func() error { return b.followErr }
}

func (b *fakeBackend) Functions() []wire.FunctionInfo { return testFunctions }

var errInternal = errors.New("something broke")

func (b *fakeBackend) SendFromShell(_ context.Context, to wire.Pid, _ string) (wire.SendResponse, error) {
	if err := b.getErr(); err != nil {
		return wire.SendResponse{}, err
	}
	return wire.SendResponse{From: "<alex@localhost.1.5>", To: to.String()}, nil
}

func (b *fakeBackend) Spawn(_ context.Context, node wire.NodeName, _ string, _ []string, _ bool) (Spawned, error) {
	if err := b.getErr(); err != nil {
		return Spawned{}, err
	}
	pid := wire.Pid{Node: node, ID: 7, Creation: 5}
	events := make(chan wire.SpawnEvent, 2)
	events <- wire.SpawnEvent{Event: wire.SpawnEventOutput, Pid: pid.String(), Text: "Hi, my name is " + node.Name}
	events <- wire.SpawnEvent{Event: wire.SpawnEventExit, Pid: pid.String(), Reason: wire.ExitNormal}
	return Spawned{Pid: pid, Events: events, Detach: func() {}}, nil
}

func (b *fakeBackend) Flush() wire.FlushResponse {
	return wire.FlushResponse{Shell: "<alex@localhost.1.5>"}
}

func (b *fakeBackend) Processes() []wire.ProcessInfo { return nil }
