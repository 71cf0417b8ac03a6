package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"chatd/daemon/control"
	"chatd/internal/testkit"
	"chatd/internal/testlog"
	"chatd/paths"
	"chatd/wire"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// fakeDaemon is a node's control API as chatctl meets it: the daemon's
// real handler (chatd/daemon/control) over fakeNode's canned state, behind
// a proxy on <root>/<name>/control.sock that records what chatctl asked.
// Tests of a daemon that hangs, drops the connection or ends a stream
// early serve a handler of their own with serveUnix.
type fakeDaemon struct {
	*fakeNode
	socket string // its control socket
	log    requestLog
}

// requestLog is what a fakeDaemon was asked: how many requests, and the
// last body and query string sent to each path.
type requestLog struct {
	hits atomic.Int64 // requests served

	mu      sync.Mutex
	bodies  map[string][]byte // guarded by mu; by path
	queries map[string]string // guarded by mu; by path
}

// record notes r, whose body it reads and puts back.
func (l *requestLog) record(r *http.Request) error {
	l.hits.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bodies[r.URL.Path], l.queries[r.URL.Path] = body, r.URL.RawQuery
	return nil
}

// query returns the query string of the last request to path.
func (l *requestLog) query(path string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.queries[path]
}

// lastRequest decodes the body of the last request to path; zero when
// there was none.
func lastRequest[T any](t *testing.T, l *requestLog, path string) T {
	t.Helper()
	l.mu.Lock()
	body := l.bodies[path]
	l.mu.Unlock()
	var v T
	if body != nil {
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("the last request to %s, %q: %v", path, body, err)
		}
	}
	return v
}

// sent returns the last POST /v1/send request.
func (f *fakeDaemon) sent(t *testing.T) wire.SendRequest {
	t.Helper()
	return lastRequest[wire.SendRequest](t, &f.log, wire.PathSend)
}

// called returns the last POST /v1/call request.
func (f *fakeDaemon) called(t *testing.T) wire.CallRequest {
	t.Helper()
	return lastRequest[wire.CallRequest](t, &f.log, wire.PathCall)
}

// spawned returns the last POST /v1/spawn request.
func (f *fakeDaemon) spawned(t *testing.T) wire.SpawnRequest {
	t.Helper()
	return lastRequest[wire.SpawnRequest](t, &f.log, wire.PathSpawn)
}

// startFake serves a fakeDaemon for node name under root until the test
// ends.
func startFake(t *testing.T, root, name string) *fakeDaemon {
	t.Helper()
	f := &fakeDaemon{socket: paths.SocketPath(root, name)}
	f.log.bodies, f.log.queries = map[string][]byte{}, map[string]string{}
	f.fakeNode = newFakeNode(name+"@localhost", func(path string) string { return f.log.query(path) })
	inner := serveControl(t, f.fakeNode.backend())
	proxy := &httputil.ReverseProxy{
		Rewrite:   func(pr *httputil.ProxyRequest) { pr.Out.URL.Scheme, pr.Out.URL.Host = "http", "chatd" },
		Transport: &http.Transport{DialContext: unixDialer(inner)},
		ErrorLog:  log.New(io.Discard, "", 0), // a client leaving a stream is no error here
	}
	serveUnix(t, f.socket, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f.log.record(r); err != nil {
			reply(w, http.StatusBadRequest, wire.ErrorResponse{Error: err.Error(), Code: wire.CodeBadRequest})
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	return f
}

// startAlex isolates the test (see isolate) and starts alex, the one node
// running.
func startAlex(t *testing.T) *fakeDaemon {
	t.Helper()
	return startFake(t, isolate(t), "alex")
}

// serveDaemon isolates the test (see isolate) and serves h as a daemon on
// a control socket of its own, whose path it returns: a daemon that hangs,
// drops the connection or ends a stream, as only a fake can.
func serveDaemon(t *testing.T, h http.Handler) string {
	t.Helper()
	isolate(t)
	sock := filepath.Join(t.TempDir(), "control.sock")
	serveUnix(t, sock, h)
	return sock
}

// serveControl serves b with the daemon's control server on a socket of
// its own until the test ends, and returns the socket's path.
func serveControl(t *testing.T, b control.Backend) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "control.sock")
	srv, err := control.Listen(sock, control.Policy{UID: os.Getuid(), GID: os.Getgid()}, nil, testlog.New(t))
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(b) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testkit.Wait)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("close the control server: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("control server: %v", err)
		}
	})
	return sock
}

// unixDialer dials the Unix socket at sock whatever address it is asked
// for.
func unixDialer(sock string) func(ctx context.Context, _, _ string) (net.Conn, error) {
	return func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}
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

// reply answers v as JSON with status, for the handlers of tests that
// need a daemon the real handler cannot be.
func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// streamLines writes each of vs as an NDJSON line and flushes.
func streamLines(w http.ResponseWriter, vs ...any) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	for _, v := range vs {
		_ = enc.Encode(v)
	}
	w.(http.Flusher).Flush()
}
