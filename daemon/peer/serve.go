package peer

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"
)

// maxHandshakes bounds the incoming handshakes in progress at once; each
// is also bounded in time by the handshake timeout.
const maxHandshakes = 4096

// HandshakeLimit is maxHandshakes, or a quarter of the process's
// descriptor limit when that is lower (at least 16), so that a flood of
// half-finished handshakes cannot take the descriptors that links, the
// mapper and the control socket need.
func HandshakeLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur/4 >= maxHandshakes {
		return maxHandshakes
	}
	return max(int(rl.Cur/4), 16)
}

// Listener accepts peers' connections on the node's registered port and
// hands each to the protocol whose bytes it starts with.
type Listener struct {
	router  *Router
	log     *slog.Logger
	timeout time.Duration // bounds reading the first bytes

	ctx    context.Context // ends when Close starts
	cancel context.CancelFunc
	wg     sync.WaitGroup // connections being sniffed and handshaken
}

// NewListener returns a Listener for r's protocols; timeout bounds each
// handshake's first bytes.
func NewListener(r *Router, timeout time.Duration, log *slog.Logger) *Listener {
	ctx, cancel := context.WithCancel(context.Background())
	return &Listener{router: r, log: log, timeout: timeout, ctx: ctx, cancel: cancel}
}

// Serve accepts connections on ln until ln is closed, handshaking each in
// its own goroutine, at most HandshakeLimit at once. It returns nil once ln
// is closed.
func (l *Listener) Serve(ln net.Listener) error {
	limit := HandshakeLimit()
	sem := make(chan struct{}, limit)
	var backoff time.Duration
	var lastWarn time.Time // when the last refusal for want of a slot was logged
	refused := 0           // refusals since
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			// EMFILE and friends: wait for descriptors to free up.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			l.log.Warn("accept failed; retrying", "listen", ln.Addr().String(), "err", err, "backoff", backoff)
			select {
			case <-time.After(backoff):
				continue
			case <-l.ctx.Done():
				return nil
			}
		}
		backoff = 0
		deadline := time.Now().Add(l.timeout) // the whole handshake's, sniffing included
		select {
		case sem <- struct{}{}:
		default:
			// At most one line a second under a flood, with the count.
			if refused++; time.Since(lastWarn) >= time.Second {
				l.log.Warn("refusing link attempts: too many handshakes in progress", "peer_addr", conn.RemoteAddr().String(), "limit", limit, "refused", refused)
				lastWarn, refused = time.Now(), 0
			}
			_ = conn.Close()
			continue
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer func() { <-sem }()
			l.dispatch(conn, deadline)
		}()
	}
}

// sniffLen is how many bytes tell the protocols apart.
const sniffLen = 3

// dispatch reads the connection's first bytes and hands it to its
// protocol, whose handshake must end by deadline, the accept's time plus
// the handshake timeout: reading the first bytes is part of the
// handshake, and a peer that dribbles them does not get a second timeout
// for the rest. A connection that sends too few in time is closed.
func (l *Listener) dispatch(conn net.Conn, deadline time.Time) {
	_ = conn.SetReadDeadline(deadline)
	stop := context.AfterFunc(l.ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	head := make([]byte, sniffLen)
	_, err := io.ReadFull(conn, head)
	stop()
	if err != nil {
		_ = conn.Close()
		l.log.Debug("connection closed before its first bytes", "peer_addr", conn.RemoteAddr().String(), "err", err)
		return
	}
	_ = conn.SetReadDeadline(time.Time{})
	ctx, cancel := context.WithDeadline(l.ctx, deadline)
	defer cancel()
	l.router.protocolOf(head).Accept(ctx, &ReplayConn{Conn: conn, Head: head})
}

// HandshakeDeadline is when the handshake of an accepted connection must
// end: after timeout, or sooner if ctx (Protocol.Accept's) ends sooner.
func HandshakeDeadline(ctx context.Context, timeout time.Duration) time.Time {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		return d
	}
	return deadline
}

// Close stops the handshakes in progress and waits for them; the listeners
// passed to Serve must be closed by their owner first.
func (l *Listener) Close() {
	l.cancel()
	l.wg.Wait()
}

// ReplayConn returns Head before reading on from Conn: a connection whose
// first bytes were read to tell its protocol.
type ReplayConn struct {
	net.Conn
	Head []byte
}

// Read implements io.Reader.
func (c *ReplayConn) Read(p []byte) (int, error) {
	if len(c.Head) > 0 {
		n := copy(p, c.Head)
		c.Head = c.Head[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}
