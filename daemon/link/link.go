package link

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/yamux"

	"chatd/daemon/link/calls"
	"chatd/daemon/link/ping"
	"chatd/daemon/link/spawn"
	"chatd/daemon/peer"
	"chatd/wire"
)

// Protocol is the link protocol's name in listings.
const Protocol = "chatd"

// Link is one authenticated, yamux-multiplexed TCP connection to a peer.
// It is a peer.Conn: calls and pid messages travel on one long-lived calls
// stream, opened on first use; each ping and each spawned process has a
// stream of its own.
type Link struct {
	peer        wire.NodeName
	incarnation uint64
	addr        string
	outbound    bool
	tls         bool // the connection is TLS
	since       time.Time
	maxFrame    int
	tick        time.Duration // the keepalive tick it started with
	sess        *yamux.Session
	conn        *shapedConn

	closeOnce   sync.Once
	closeReason atomic.Pointer[string] // why we closed it, when we did
	tickTimeout atomic.Bool            // the acceptor's own ping went unanswered (watchSilence)
	acceptErr   error                  // why AcceptStream failed; set before the manager forgets the link
	streams     tracker                // stream handlers, the calls reader, spawn followers; waited on by the link's owner
	active      atomic.Int64           // open incoming streams

	callsMu sync.Mutex
	calls   *calls.Client // guarded by callsMu: the calls stream's client, nil until first use or once down
}

var _ peer.Conn = (*Link)(nil)

// Peer returns the peer's node name.
func (l *Link) Peer() wire.NodeName { return l.peer }

// Done is closed when the link is down.
func (l *Link) Done() <-chan struct{} { return l.sess.CloseChan() }

// Info describes the link for the control API.
func (l *Link) Info() wire.LinkInfo {
	return wire.LinkInfo{Node: l.peer.String(), Protocol: Protocol, Address: l.addr, Direction: direction(l.outbound), TLS: l.tls, Since: l.since}
}

// close brings the link down, recording why; it is safe to call often.
func (l *Link) close(reason string) {
	l.closeOnce.Do(func() {
		if reason != "" {
			l.closeReason.Store(&reason)
		}
		_ = l.sess.Close() // Close only fails when already closed
	})
}

// downReason says why the link went down, once the manager has forgotten
// it: why we closed it, or what yamux's session ended with.
func (l *Link) downReason() string {
	_, detail := l.downCause()
	return detail
}

// downCause is why the link went down, as a node event reason and in
// words.
func (l *Link) downCause() (wire.NodeReason, string) {
	if r := l.closeReason.Load(); r != nil {
		return wire.ReasonClosed, *r
	}
	if errors.Is(l.acceptErr, yamux.ErrKeepAliveTimeout) || l.tickTimeout.Load() {
		return wire.ReasonTickTimeout, "no keepalive reply within the tick"
	}
	// A failed write closes the connection, so the read error that
	// follows ("use of closed network connection") is not the cause.
	if err := l.conn.writeErr(); err != nil && !errors.Is(err, net.ErrClosed) {
		if isTimeout(err) {
			return wire.ReasonConnectionLost, fmt.Sprintf("a write made no progress for %s (the peer stopped reading)", l.conn.writeTimeout)
		}
		return wire.ReasonConnectionLost, "connection lost: " + err.Error()
	}
	if yamuxProtocolError(l.acceptErr) {
		return wire.ReasonConnectionLost, "yamux: " + l.acceptErr.Error() + " (the peer sent bytes that are not yamux)"
	}
	if err := l.conn.readErr(); err != nil && !errors.Is(err, io.EOF) {
		return wire.ReasonConnectionLost, "connection lost: " + err.Error()
	}
	return wire.ReasonClosed, "connection closed by peer"
}

// yamuxProtocolError reports whether err is yamux refusing what the peer
// sent.
func yamuxProtocolError(err error) bool {
	for _, e := range []error{yamux.ErrInvalidVersion, yamux.ErrInvalidMsgType, yamux.ErrDuplicateStream,
		yamux.ErrRecvWindowExceeded, yamux.ErrUnexpectedFlag} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// OpenStream opens a stream of the given kind on the link, sending its
// Open frame; the caller owns the stream.
func (l *Link) OpenStream(ctx context.Context, kind wire.StreamKind) (net.Conn, error) {
	s, err := l.sess.OpenStream()
	if err != nil {
		return nil, &peer.ConnectError{Node: l.peer, Err: fmt.Errorf("open %s stream: %w", kind, peer.ErrLinkDown)}
	}
	stop := context.AfterFunc(ctx, func() { _ = s.Close() })
	defer stop()
	if err := wire.WriteFrame(s, wire.FrameOpen, wire.OpenPayload(kind)); err != nil {
		_ = s.Close()
		return nil, &peer.ConnectError{Node: l.peer, Err: fmt.Errorf("open %s stream: %w", kind, peer.ErrLinkDown)}
	}
	return s, nil
}

// Ping makes one round trip over a fresh ping stream and returns its time.
func (l *Link) Ping(ctx context.Context) (time.Duration, error) {
	s, err := l.OpenStream(ctx, wire.KindPing)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	return ping.Ping(ctx, l.peer, s, l.maxFrame)
}

// Call runs c on the peer's supervisor over the link's calls stream.
func (l *Link) Call(ctx context.Context, c wire.Call) (string, error) {
	cl, err := l.callsClient(ctx)
	if err != nil {
		return "", err
	}
	return cl.Call(ctx, c)
}

// Send puts text in the mailbox of the peer's process to, from the local
// process from, over the link's calls stream.
func (l *Link) Send(ctx context.Context, from, to wire.Pid, text string) error {
	cl, err := l.callsClient(ctx)
	if err != nil {
		return err
	}
	return cl.Send(ctx, wire.PidSend{To: to, From: from, Text: text})
}

// callsClient returns the client of the link's calls stream, opening the
// stream on first use (and again after it ended).
func (l *Link) callsClient(ctx context.Context) (*calls.Client, error) {
	l.callsMu.Lock()
	defer l.callsMu.Unlock()
	if l.calls != nil {
		return l.calls, nil
	}
	s, err := l.OpenStream(ctx, wire.KindCalls)
	if err != nil {
		return nil, err
	}
	if !l.streams.add() {
		_ = s.Close()
		return nil, &peer.ConnectError{Node: l.peer, Err: peer.ErrLinkDown}
	}
	var c *calls.Client
	c = calls.NewClient(l.peer, s, l.maxFrame, &l.conn.load, func() {
		defer l.streams.done()
		l.callsMu.Lock()
		if l.calls == c {
			l.calls = nil
		}
		l.callsMu.Unlock()
	})
	l.calls = c
	return c, nil
}

// Spawn starts a process on the peer over a fresh spawn stream; out gets
// its output and exit from a goroutine the link owns.
func (l *Link) Spawn(ctx context.Context, sp wire.Spawn, out peer.Output) (wire.Pid, error) {
	s, err := l.OpenStream(ctx, wire.KindSpawn)
	if err != nil {
		return wire.Pid{}, err
	}
	r, err := spawn.Start(ctx, l.peer, s, l.maxFrame, sp)
	if err != nil {
		return wire.Pid{}, err
	}
	if !l.streams.add() {
		r.Stop()
		return wire.Pid{}, &peer.ConnectError{Node: l.peer, Err: peer.ErrLinkDown}
	}
	go func() {
		defer l.streams.done()
		r.Follow(out)
	}()
	return r.Pid(), nil
}

// tracker counts the goroutines a link owns; once closed it refuses new
// ones, so that waiting for them cannot race with starting one.
type tracker struct {
	mu     sync.Mutex
	closed bool // guarded by mu
	wg     sync.WaitGroup
}

// add counts one more goroutine, unless the tracker is closed.
func (t *tracker) add() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	t.wg.Add(1)
	return true
}

// done is called by each counted goroutine as it ends.
func (t *tracker) done() { t.wg.Done() }

// closeAndWait refuses new goroutines and waits for the counted ones.
func (t *tracker) closeAndWait() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.wg.Wait()
}
