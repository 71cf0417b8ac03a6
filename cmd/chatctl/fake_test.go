package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"chatd/paths"
	"chatd/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeDaemon answers the control API on <root>/<name>/control.sock the way
// the daemon's contract says, from canned state: it is linked to kate, moebi
// is not registered anywhere, and anything else can be linked. Its shell is
// <NODE.1.9>; processes spawned on a node get <NODE.42.7> (<NODE.43.7> when
// detached).
type fakeDaemon struct {
	node    string       // full name, e.g. alex@localhost
	socket  string       // its control socket
	started time.Time    // reported in status
	since   time.Time    // when the link to kate came up
	hits    atomic.Int64 // requests served
	fakeChat
	fakeProcs
}

// startFake serves a fakeDaemon for node name under root until the test ends.
func startFake(t *testing.T, root, name string) *fakeDaemon {
	t.Helper()
	f := &fakeDaemon{
		node:      name + "@localhost",
		socket:    paths.SocketPath(root, name),
		started:   time.Now().Add(-time.Hour),
		since:     time.Now().Add(-192 * time.Second),
		fakeChat:  newFakeChat(),
		fakeProcs: newFakeProcs(),
	}
	serveUnix(t, f.socket, f)
	return f
}

// serveUnix serves h on a Unix socket at sock (creating its directory) until
// the test ends.
func serveUnix(t *testing.T, sock string, h http.Handler) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatalf("listen %s: %v", sock, err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener.Close() // the loopback TCP listener it made; we serve on ln
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
}

// staleSocket leaves a socket file at sock that nobody listens on, as a
// daemon killed with SIGKILL does.
func staleSocket(t *testing.T, sock string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatalf("listen %s: %v", sock, err)
	}
	ln.SetUnlinkOnClose(false)
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
}

func fullName(node string) string {
	if strings.Contains(node, "@") {
		return node
	}
	return node + "@localhost"
}

func (f *fakeDaemon) status() wire.StatusResponse {
	return wire.StatusResponse{
		Node: f.node, Version: "1.0.0", Protocol: 1, PID: 4242, Environment: "dev",
		Started: f.started, Listen: "127.0.0.1:41235", MapperPort: 4369, MapperLocal: true,
		Creation: 3, Links: 1,
	}
}

func (f *fakeDaemon) nodes() wire.NodesResponse {
	return wire.NodesResponse{Node: f.node, Links: []wire.LinkInfo{{
		Node: "kate@localhost", Address: "127.0.0.1:5555", Direction: "out",
		Since: f.since,
	}}}
}

func (f *fakeDaemon) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.hits.Add(1)
	if f.serveChat(w, r) || f.serveProcess(w, r) {
		return
	}
	var req wire.NodeRequest
	if r.Method == http.MethodPost {
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			reply(w, http.StatusBadRequest, wire.ErrorResponse{Error: err.Error(), Code: wire.CodeBadRequest})
			return
		}
	}
	node := fullName(req.Node)
	noConnection := wire.ErrorResponse{Error: "no connection to " + node + ": not registered", Code: wire.CodeNoConnection}
	switch r.Method + " " + r.URL.Path {
	case "GET " + wire.PathStatus:
		reply(w, http.StatusOK, f.status())
	case "GET " + wire.PathNodes:
		reply(w, http.StatusOK, f.nodes())
	case "POST " + wire.PathPing:
		if strings.HasPrefix(node, "moebi@") {
			reply(w, http.StatusOK, wire.PingResponse{Node: node, Result: wire.Pang, Reason: "not registered"})
			return
		}
		reply(w, http.StatusOK, wire.PingResponse{Node: node, Result: wire.Pong, RTTMs: 0.25})
	case "POST " + wire.PathConnect:
		if strings.HasPrefix(node, "moebi@") {
			reply(w, http.StatusBadGateway, noConnection)
			return
		}
		reply(w, http.StatusOK, wire.ConnectResponse{Node: node, Already: node == "kate@localhost"})
	case "POST " + wire.PathDisconnect:
		reply(w, http.StatusOK, wire.DisconnectResponse{Node: node, WasLinked: node == "kate@localhost"})
	default:
		reply(w, http.StatusNotFound, wire.ErrorResponse{Error: "no such endpoint " + r.URL.Path, Code: wire.CodeNotFound})
	}
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
