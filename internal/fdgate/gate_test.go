package fdgate

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"chatd/internal/testkit"
)

// TestExclusiveWakesAccept: an Exclusive does not wait for a connection
// to arrive on a Listener whose Accept holds the gate, and that Accept
// goes on to return the next connection as if nothing happened.
func TestExclusiveWakesAccept(t *testing.T) {
	g := New()
	ln, err := g.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type accepted struct {
		c   net.Conn
		err error
	}
	got := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept()
		got <- accepted{c, err}
	}()
	testkit.WaitFor(t, testkit.Wait, "Accept to hold the gate", func() bool {
		if g.mu.TryLock() {
			g.mu.Unlock()
			return false
		}
		return true
	})
	ran := false
	g.Exclusive(func() { ran = true })
	if !ran {
		t.Fatal("Exclusive did not run its function")
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a := <-got
	if a.err != nil {
		t.Fatalf("Accept after an Exclusive woke it: %v, want the next connection", a.err)
	}
	a.c.Close()
}

// TestListenerNeedsDeadline: a listener Exclusive cannot wake is refused
// with an error that says why.
func TestListenerNeedsDeadline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := New().Listener(noDeadline{ln}); err == nil {
		t.Fatal("a listener without SetDeadline was accepted")
	}
}

type noDeadline struct{ net.Listener }

// TestDialContext dials through a gate as a net.Dialer would.
func TestDialContext(t *testing.T) {
	g := New()
	tcp, err := g.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	sock := filepath.Join(t.TempDir(), "s.sock")
	unix, err := g.Listen(context.Background(), "unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close()
	_, port, _ := net.SplitHostPort(tcp.Addr().String())
	refusedAddr := boundNotListening(t)
	for _, tc := range []struct {
		name, network, addr string
		wantErr             error // nil: connected
	}{
		{"IP literal", "tcp", tcp.Addr().String(), nil},
		{"host name", "tcp", net.JoinHostPort("localhost", port), nil},
		{"IPv4 only", "tcp4", tcp.Addr().String(), nil},
		{"unix socket", "unix", sock, nil},
		{"refused", "tcp", refusedAddr, syscall.ECONNREFUSED},
		{"missing port", "tcp", "127.0.0.1", errAny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := g.DialContext(context.Background(), tc.network, tc.addr)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("dial %s %s: %v", tc.network, tc.addr, err)
			case tc.wantErr == nil:
				c.Close()
			case err == nil:
				c.Close()
				t.Fatalf("dial %s %s connected, want an error", tc.network, tc.addr)
			case tc.wantErr != errAny && !errors.Is(err, tc.wantErr):
				t.Fatalf("dial %s %s: %v, want %v", tc.network, tc.addr, err, tc.wantErr)
			}
		})
	}
	if n := g.waiting.Load(); n != 0 {
		t.Errorf("%d operations still wait at the gate", n)
	}
	if !g.mu.TryLock() {
		t.Fatal("a dial left the gate held")
	}
	g.mu.Unlock()
}

// boundNotListening returns the address of a TCP socket bound on the
// loopback that does not listen, held until the test ends: a connection
// to it is refused, and no other socket can take its port meanwhile (a
// listener closed to free its port would let anyone's take it).
func boundNotListening(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
}

// errAny stands for any error in a table.
var errAny = errors.New("any error")
