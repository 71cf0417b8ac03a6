package control

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chatd/internal/fdgate"
	"chatd/internal/testcred"
	"chatd/internal/testkit"
	"chatd/wire"
)

func TestPolicyAllows(t *testing.T) {
	const daemonUID, daemonGID = 1000, 1001
	groups := map[int][]int{
		100: {4, 24, daemonGID}, // a member through a supplementary group
		101: {4, 24},            // no member
	}
	pol := Policy{UID: daemonUID, GID: daemonGID, Groups: func(pid int) ([]int, error) {
		gs, ok := groups[pid]
		if !ok {
			return nil, fmt.Errorf("no process %d", pid)
		}
		return gs, nil
	}}
	for _, tc := range []struct {
		name string
		peer Peer
		want bool
	}{
		{"root", Peer{PID: 1, UID: 0, GID: 0}, true},
		{"root in another group", Peer{PID: 999, UID: 0, GID: 5}, true},
		{"the daemon's user", Peer{PID: 999, UID: daemonUID, GID: 5}, true},
		{"the daemon's primary group", Peer{PID: 999, UID: 2000, GID: daemonGID}, true},
		{"a supplementary group", Peer{PID: 100, UID: 2000, GID: 2000}, true},
		{"a stranger", Peer{PID: 101, UID: 2000, GID: 2000}, false},
		{"a stranger whose groups cannot be read", Peer{PID: 999, UID: 2000, GID: 2000}, false},
		{"nobody", Peer{PID: 101, UID: 65534, GID: 65534}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := pol.Allows(tc.peer); got != tc.want {
				t.Fatalf("Allows(%+v) = %v, want %v", tc.peer, got, tc.want)
			}
		})
	}
}

func TestProcGroups(t *testing.T) {
	if _, err := procGroups(os.Getpid()); err != nil {
		t.Fatalf("procGroups(self): %v", err)
	}
	if _, err := procGroups(-1); err == nil {
		t.Fatal("procGroups(-1) found groups")
	}
	// Without a Groups func, Allows reads /proc: a stranger with no such
	// process is refused.
	pol := Policy{UID: 1 << 30, GID: 1 << 30}
	if pol.Allows(Peer{PID: -1, UID: 1<<30 + 1, GID: 1<<30 + 1}) {
		t.Fatal("a stranger with an unreadable /proc entry was allowed")
	}
}

// TestPeerCredentials checks that a client of the socket is identified as
// this process.
func TestPeerCredentials(t *testing.T) {
	path := filepath.Join(t.TempDir(), "peer.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	srv := <-accepted
	if srv == nil {
		t.Fatal("Accept failed")
	}
	defer srv.Close()
	p, err := peerOf(srv)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Peer{PID: os.Getpid(), UID: os.Geteuid(), GID: os.Getegid()}); p != want {
		t.Fatalf("peerOf = %+v, want %+v", p, want)
	}
	if _, err := peerOf(&net.TCPConn{}); err == nil {
		t.Fatal("peerOf a TCP connection succeeded")
	}
}

// strangerUID is the user a refused client connects as.
const strangerUID = 65534

// dialAsStranger connects to the socket at path as a user no policy with
// daemon uid and gid 1<<30 allows. Unprivileged, that is this process;
// as root (always allowed), it connects as strangerUID, keeping group root
// (testcred.DialUnixAs).
func dialAsStranger(t *testing.T, path string) net.Conn {
	t.Helper()
	if os.Geteuid() != 0 {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// The stranger keeps group root, so it needs group search permission
	// on the directories up to os.TempDir (the socket itself is 0660).
	for dir := filepath.Dir(path); dir != filepath.Clean(os.TempDir()) && dir != "/"; dir = filepath.Dir(dir) {
		if err := os.Chmod(dir, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	c, err := testcred.DialUnixAs(path, strangerUID, -1)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRefusedPeer connects as a user the policy refuses and reads without
// sending anything: the 403 comes before any request is read.
func TestRefusedPeer(t *testing.T) {
	path := socketPath(t)
	b := newBackend()
	refuseAll := Policy{UID: 1 << 30, GID: 1 << 30, Groups: func(int) ([]int, error) { return nil, nil }}
	startServer(t, path, refuseAll, b)

	for _, tc := range []struct {
		name    string
		request string // sent before reading; empty: nothing
	}{
		{"silent client", ""},
		{"client that sends a request", "GET /v1/status HTTP/1.1\r\nHost: chatd\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialAsStranger(t, path)
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(testkit.Wait))
			if tc.request != "" {
				_, _ = io.WriteString(c, tc.request) // may fail once the server closed
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("read the refusal: %v", err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			er := wantError(t, resp.StatusCode, resp.Header.Get("Content-Type"), body, http.StatusForbidden, wire.CodeForbidden)
			if !strings.Contains(er.Error, "permission denied") || !strings.Contains(er.Error, "join group 1073741824") {
				t.Errorf("refusal %q should say permission denied and which group to join", er.Error)
			}
			if !resp.Close {
				t.Error("the refusal does not close the connection")
			}
			// Closed: EOF, or a reset when the request was left unread.
			if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
				t.Errorf("after the refusal: read %d bytes, %v; want the connection closed", n, err)
			}
		})
	}
	// The server still serves allowed clients afterwards.
	if os.Geteuid() == 0 {
		status, _, body := newClient(t, path).do(t, "GET", wire.PathStatus, "")
		if status != http.StatusOK {
			t.Fatalf("root after a refusal: status %d, %s", status, body)
		}
	}
}

func TestListenSocketFile(t *testing.T) {
	path := socketPath(t)
	ts := startServer(t, path, selfPolicy(), newBackend())
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o660 {
		t.Fatalf("socket mode = %v, want a socket with 0660", fi.Mode())
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if perm := di.Mode().Perm(); perm&^0o750 != 0 {
		t.Fatalf("runtime directory mode = %v, want at most 0750", perm)
	}
	if ts.srv.Path() != path {
		t.Fatalf("Path() = %q, want %q", ts.srv.Path(), path)
	}
	if status, _, body := newClient(t, path).do(t, "GET", wire.PathStatus, ""); status != http.StatusOK {
		t.Fatalf("status %d, %s", status, body)
	}
	ts.close(t)
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after Close: Lstat = %v, want the socket file gone", err)
	}
}

// listenErr is the error of a Listen on path that the test expects to
// fail; a server it made anyway is closed.
func listenErr(t *testing.T, path string) error {
	t.Helper()
	srv, err := Listen(path, selfPolicy(), fdgate.New(), testLogger(t))
	if srv != nil {
		_ = srv.Close(context.Background())
	}
	return err
}

// runtimeSocketPath is socketPath with its runtime directory made, for a
// file to be put there before Listen.
func runtimeSocketPath(t *testing.T) string {
	t.Helper()
	path := socketPath(t)
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestListenSocketInUse(t *testing.T) {
	path := socketPath(t)
	startServer(t, path, selfPolicy(), newBackend())
	err := listenErr(t, path)
	if !errors.Is(err, ErrSocketInUse) {
		t.Fatalf("second Listen = %v, want ErrSocketInUse", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the socket", err)
	}
	// The live daemon keeps its socket.
	if status, _, body := newClient(t, path).do(t, "GET", wire.PathStatus, ""); status != http.StatusOK {
		t.Fatalf("the first server after a refused Listen: status %d, %s", status, body)
	}
}

func TestListenReplacesStaleSocket(t *testing.T) {
	path := runtimeSocketPath(t)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close() // a daemon that died: the file stays, nobody answers
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("no stale socket to test with: %v", err)
	}
	startServer(t, path, selfPolicy(), newBackend())
	if status, _, body := newClient(t, path).do(t, "GET", wire.PathStatus, ""); status != http.StatusOK {
		t.Fatalf("status %d, %s", status, body)
	}
}

func TestListenRefusesNonSocket(t *testing.T) {
	path := runtimeSocketPath(t)
	if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := listenErr(t, path); err == nil || !strings.Contains(err.Error(), "is not a socket") {
		t.Fatalf("Listen over a regular file = %v, want an error saying it is not a socket", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "precious" {
		t.Fatalf("the file was touched: %q, %v", b, err)
	}
}

func TestCloseWithoutServe(t *testing.T) {
	path := socketPath(t)
	srv, err := Listen(path, selfPolicy(), fdgate.New(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after Close: Lstat = %v, want the socket file gone", err)
	}
}

// TestCloseRightAfterServe closes the server while Serve may still be
// starting, as a daemon stopped at once does: Serve must return nil, Close
// must not race with it, and the socket file must go.
func TestCloseRightAfterServe(t *testing.T) {
	for i := range 20 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			path := socketPath(t)
			srv, err := Listen(path, selfPolicy(), fdgate.New(), testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			served := make(chan error, 1)
			go func() { served <- srv.Serve(newBackend().backend()) }()
			ctx, cancel := context.WithTimeout(context.Background(), testkit.Wait)
			defer cancel()
			if err := srv.Close(ctx); err != nil {
				t.Errorf("Close: %v", err)
			}
			select {
			case err := <-served:
				if err != nil {
					t.Errorf("Serve after Close = %v, want nil", err)
				}
			case <-time.After(testkit.Wait):
				t.Fatal("Serve did not return after Close")
			}
			if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("after Close: Lstat = %v, want the socket file gone", err)
			}
		})
	}
}

// TestCloseEndsStreams checks that Close does not hang on a follower that
// never hangs up: it waits until its ctx ends, then cuts the stream.
func TestCloseEndsStreams(t *testing.T) {
	path := socketPath(t)
	b := newBackend()
	ts := startServer(t, path, selfPolicy(), b)
	sc, _ := stream(t, newClient(t, path), wire.PathTasks+"?watch=1")
	srvCtx := <-b.watchCtx
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := ts.srv.Close(ctx); err != nil {
		t.Logf("Close with a stream open: %v", err)
	}
	waitDone(t, srvCtx, "the watch")
	if sc.Scan() {
		t.Fatalf("line %q after Close", sc.Text())
	}
}
