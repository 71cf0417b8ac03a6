// Package control serves a node's control API: HTTP/1.1 and JSON over a
// Unix socket, checked with SO_PEERCRED. The paths and types are in
// chatd/wire; the node behind the API is a Backend.
package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"chatd/internal/fdgate"
)

// ErrSocketInUse reports that another live daemon answers on the socket.
var ErrSocketInUse = errors.New("control socket in use by another daemon")

// Server is a listening control socket.
type Server struct {
	path string
	ln   net.Listener
	gate *fdgate.Gate // the node's descriptor gate
	log  *slog.Logger
	done chan struct{} // closed when Serve returns

	mu     sync.Mutex
	http   *http.Server // guarded by mu; set by Serve
	closed bool         // guarded by mu; Close was called

	// base is every request's parent context; Close cancels it first so
	// that streaming responses (watch, follow) end cleanly.
	base       context.Context
	cancelBase context.CancelFunc
}

// Listen creates the socket at path (its directory 0750, the socket 0660)
// and applies policy to every client. A stale socket file nobody answers
// on is replaced; a live one is ErrSocketInUse. The socket's descriptors
// are created through gate, the node's descriptor gate (nil: none), whose
// Exclusive the socket uses when the process runs out of descriptors.
func Listen(path string, policy Policy, gate *fdgate.Gate, log *slog.Logger) (*Server, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create runtime directory %s: %w", dir, err)
	}
	if err := removeStale(path, gate); err != nil {
		return nil, err
	}
	var ln net.Listener
	var err error
	gate.Shared(func() { ln, err = net.Listen("unix", path) })
	if err != nil {
		return nil, fmt.Errorf("listen on control socket %s: %w", path, err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	if err := os.Chmod(path, 0o660); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("chmod control socket %s: %w", path, err)
	}
	s, err := newServer(ln, path, policy, gate, log)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	return s, nil
}

// FromListener serves on a listener systemd passed in (socket
// activation, chatd@.socket); systemd owns the socket file. gate is as
// for Listen.
func FromListener(ln net.Listener, path string, policy Policy, gate *fdgate.Gate, log *slog.Logger) (*Server, error) {
	if ul, ok := ln.(*net.UnixListener); ok {
		ul.SetUnlinkOnClose(false)
	}
	return newServer(ln, path, policy, gate, log)
}

// newServer serves the control API on ln.
func newServer(ln net.Listener, path string, policy Policy, gate *fdgate.Gate, log *slog.Logger) (*Server, error) {
	cl, err := newCredListener(ln, policy, gate, log)
	if err != nil {
		return nil, err
	}
	base, cancel := context.WithCancel(context.Background())
	return &Server{
		base: base, cancelBase: cancel,
		path: path,
		ln:   cl,
		gate: gate,
		log:  log,
		done: make(chan struct{}),
	}, nil
}

// removeStale removes a socket file left by a daemon that died, refusing
// to touch one that still answers.
func removeStale(path string, gate *fdgate.Gate) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check control socket %s: %w", path, err)
	}
	if fi.Mode().Type() != os.ModeSocket {
		return fmt.Errorf("control socket path %s exists and is not a socket; remove it", path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	c, err := gate.DialContext(ctx, "unix", path)
	if err == nil {
		_ = c.Close()
		return fmt.Errorf("%w: %s answers; stop that daemon first", ErrSocketInUse, path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("check control socket %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale control socket %s: %w", path, err)
	}
	return nil
}

func groupName(gid int) string {
	if g, err := user.LookupGroupId(strconv.Itoa(gid)); err == nil {
		return g.Name
	}
	return strconv.Itoa(gid)
}

// Path returns the socket's path.
func (s *Server) Path() string { return s.path }

// Serve answers requests with b until Close. It returns nil after Close.
func (s *Server) Serve(b Backend) error {
	defer close(s.done)
	hs := &http.Server{
		Handler:           closeSpareConns(newHandler(b, s.gate, s.log)),
		ConnContext:       markSpareConn,
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return s.base },
	}
	s.mu.Lock()
	if s.closed { // Close came first and closed the listener
		s.mu.Unlock()
		return nil
	}
	s.http = hs
	s.mu.Unlock()
	err := hs.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("serve control socket %s: %w", s.path, err)
}

// Close stops accepting, lets requests in flight finish until ctx ends,
// then closes them and removes the socket file.
func (s *Server) Close(ctx context.Context) error {
	s.cancelBase()
	s.mu.Lock()
	s.closed = true
	hs := s.http
	s.mu.Unlock()
	if hs == nil {
		return s.ln.Close()
	}
	err := hs.Shutdown(ctx)
	if err != nil {
		err = hs.Close()
	}
	<-s.done
	return err
}
