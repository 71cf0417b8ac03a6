package client

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// staleSocket leaves a socket file nobody listens on, as a crashed daemon
// does, and returns its path.
func staleSocket(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "control.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatalf("listen %s: %v", sock, err)
	}
	ln.SetUnlinkOnClose(false)
	if err := ln.Close(); err != nil {
		t.Fatalf("close %s: %v", sock, err)
	}
	return sock
}

func TestUnreachable(t *testing.T) {
	tests := []struct {
		name      string
		socket    func(t *testing.T) string
		wantErrno syscall.Errno
	}{
		{"missing socket", func(t *testing.T) string {
			return filepath.Join(t.TempDir(), "alex", "control.sock")
		}, syscall.ENOENT},
		{"refused connection", staleSocket, syscall.ECONNREFUSED},
		{"not a socket", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "control.sock")
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}, syscall.ECONNREFUSED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock := tt.socket(t)
			c := New(sock)
			defer c.CloseIdleConnections()
			_, err := c.Status(t.Context())
			var unreachable *UnreachableError
			if !errors.As(err, &unreachable) {
				t.Fatalf("Status error = %v (%T), want *UnreachableError", err, err)
			}
			if unreachable.Socket != sock {
				t.Errorf("Socket = %q, want %q", unreachable.Socket, sock)
			}
			if !errors.Is(err, tt.wantErrno) {
				t.Errorf("error %v does not wrap %v", err, tt.wantErrno)
			}
			msg := err.Error()
			for _, want := range []string{sock, "is chatd running?", "chatd --name N", "systemctl start chatd@N"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
		})
	}
}

func TestClassifyDialError(t *testing.T) {
	dialErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", errno)}
	}
	tests := []struct {
		name            string
		err             error
		wantUnreachable bool
		wantHint        string
	}{
		{"enoent", dialErr(syscall.ENOENT), true, "is chatd running?"},
		{"econnrefused", dialErr(syscall.ECONNREFUSED), true, "is chatd running?"},
		{"eacces", dialErr(syscall.EACCES), true, "join group chatd (the socket's group) or run as the daemon's user"},
		{"deadline", context.DeadlineExceeded, false, ""},
		{"emfile", dialErr(syscall.EMFILE), false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const sock = "/run/chatd/alex/control.sock"
			err := classifyDialError(sock, tt.err)
			if !errors.Is(err, tt.err) {
				t.Errorf("classified error %v does not wrap %v", err, tt.err)
			}
			var unreachable *UnreachableError
			if got := errors.As(err, &unreachable); got != tt.wantUnreachable {
				t.Fatalf("unreachable = %v, want %v (error %v)", got, tt.wantUnreachable, err)
			}
			if !strings.Contains(err.Error(), sock) {
				t.Errorf("error %q does not name the socket", err)
			}
			if tt.wantUnreachable && !strings.HasPrefix(unreachable.Hint(), tt.wantHint) {
				t.Errorf("Hint = %q, want %q", unreachable.Hint(), tt.wantHint)
			}
		})
	}
}
