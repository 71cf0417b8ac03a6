package link

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/yamux"

	"chatd/wire"
)

// Link is one authenticated, yamux-multiplexed TCP connection to a peer.
type Link struct {
	peer        wire.NodeName
	incarnation uint64
	addr        string
	outbound    bool
	tls         bool // the connection is TLS
	since       time.Time
	maxFrame    int
	sess        *yamux.Session
	conn        *watchedConn
	ylog        *yamuxLog

	closeOnce   sync.Once
	closeReason atomic.Pointer[string] // why we closed it, when we did
	streams     sync.WaitGroup         // stream handlers; waited on by the link's owner
	active      atomic.Int64           // open incoming streams
	gone        chan struct{}          // closed once the manager has forgotten the link
}

// Peer returns the peer's node name.
func (l *Link) Peer() wire.NodeName { return l.peer }

// Done is closed when the link is down.
func (l *Link) Done() <-chan struct{} { return l.sess.CloseChan() }

// Info describes the link for the control API.
func (l *Link) Info() wire.LinkInfo {
	dir := "in"
	if l.outbound {
		dir = "out"
	}
	return wire.LinkInfo{Node: l.peer.String(), Address: l.addr, Direction: dir, TLS: l.tls, Since: l.since}
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

// downReason says why the link went down, once Done is closed.
func (l *Link) downReason() string {
	if r := l.closeReason.Load(); r != nil {
		return *r
	}
	if l.ylog.keepaliveFailed.Load() {
		return "no keepalive reply within the tick"
	}
	// A failed write closes the connection, so the read error that
	// follows ("use of closed network connection") is not the cause.
	if err := l.conn.writeErr(); err != nil && !errors.Is(err, net.ErrClosed) {
		if isTimeout(err) {
			return fmt.Sprintf("a write made no progress for %s (the peer stopped reading)", l.conn.writeTimeout)
		}
		return "connection lost: " + err.Error()
	}
	if e := l.ylog.firstErr.Load(); e != nil {
		return *e // e.g. the peer sent bytes that are not yamux
	}
	if err := l.conn.readErr(); err != nil && !errors.Is(err, io.EOF) {
		return "connection lost: " + err.Error()
	}
	return "connection closed by peer"
}

// OpenStream opens a stream of the given kind on the link.
func (l *Link) OpenStream(ctx context.Context, kind wire.StreamKind) (net.Conn, error) {
	s, err := l.sess.OpenStream()
	if err != nil {
		return nil, fmt.Errorf("open %s stream to %s: %w", kind, l.peer, ErrLinkDown)
	}
	stop := context.AfterFunc(ctx, func() { _ = s.Close() })
	defer stop()
	if err := wire.WriteFrame(s, wire.FrameOpen, wire.OpenPayload(kind)); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open %s stream to %s: %w", kind, l.peer, ErrLinkDown)
	}
	return s, nil
}

// Ping makes one round trip over a fresh ping stream and returns its time.
func (l *Link) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	s, err := l.OpenStream(ctx, wire.KindPing)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	stop := context.AfterFunc(ctx, func() { _ = s.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	if err := wire.WriteFrame(s, wire.FramePing, nonce[:]); err != nil {
		return 0, fmt.Errorf("ping %s: %w", l.peer, ErrLinkDown)
	}
	f, err := wire.NewFrameReader(s, l.maxFrame).ReadFrame()
	if err != nil {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("ping %s: %w", l.peer, ErrTimeout)
		}
		return 0, fmt.Errorf("ping %s: %w: %v", l.peer, ErrLinkDown, err)
	}
	if f.Type != wire.FramePong || string(f.Payload) != string(nonce[:]) {
		return 0, fmt.Errorf("ping %s: %w: got %s", l.peer, ErrProtocol, f.Type)
	}
	return time.Since(start), nil
}

// servePing answers ping frames on s until the stream ends.
func servePing(s net.Conn, fr *wire.FrameReader) error {
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if f.Type != wire.FramePing {
			return fmt.Errorf("%w: %s frame on a ping stream", ErrProtocol, f.Type)
		}
		if err := wire.WriteFrame(s, wire.FramePong, f.Payload); err != nil {
			return err
		}
	}
}

// watchedConn is the TCP connection under yamux. It remembers the first
// read error, so a link that went down can say why, and it shapes yamux's
// writes: yamux writes every frame from one send goroutine, a data frame's
// header and body as two writes. Here a data header waits for its body so
// that a frame is one system call; a frame on a quiet link is written at
// once by the sending goroutine; and while frames follow each other within
// batchWindow they are queued for a flusher goroutine, so that under load
// many frames share one system call. A write that makes no progress for
// writeTimeout fails the link.
type watchedConn struct {
	net.Conn
	writeTimeout time.Duration

	mu        sync.Mutex
	err       error      // guarded by mu: the first read error
	wbuf      []byte     // guarded by mu: bytes not yet written, in order
	spare     []byte     // guarded by mu: a drained buffer to reuse
	writing   bool       // guarded by mu: a write of taken bytes is in progress
	lastWrite time.Time  // guarded by mu: when the last write finished
	werr      error      // guarded by mu: the first write error, sticky
	closed    bool       // guarded by mu
	drained   *sync.Cond // signalled (with mu) when bytes were taken or on error
	wake      chan struct{}
	done      chan struct{} // closed when the flusher has returned
}

// Write shaping limits.
const (
	maxPending     = 1 << 20               // queued bytes past which Write waits
	batchWindow    = 50 * time.Microsecond // frames closer than this are batched
	yamuxHeaderLen = 12                    // [version:1][type:1][flags:2][stream:4][length:4]
	yamuxTypeData  = 0
)

func newWatchedConn(c net.Conn, writeTimeout time.Duration) *watchedConn {
	w := &watchedConn{Conn: c, writeTimeout: writeTimeout, wake: make(chan struct{}, 1), done: make(chan struct{})}
	w.drained = sync.NewCond(&w.mu)
	go w.flush()
	return w
}

// isDataHeader reports whether p is a yamux data frame header whose body
// comes in the next write.
func isDataHeader(p []byte) bool {
	return len(p) == yamuxHeaderLen && p[1] == yamuxTypeData && binary.BigEndian.Uint32(p[8:]) > 0
}

// Write takes p from yamux's send goroutine.
func (c *watchedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	for len(c.wbuf) >= maxPending && c.werr == nil && !c.closed {
		c.drained.Wait()
	}
	if c.werr != nil || c.closed {
		err := c.werr
		c.mu.Unlock()
		if err == nil {
			err = net.ErrClosed
		}
		return 0, err
	}
	c.wbuf = append(c.wbuf, p...)
	if isDataHeader(p) {
		c.mu.Unlock() // its body follows at once
		return len(p), nil
	}
	if c.writing || time.Since(c.lastWrite) < batchWindow {
		c.mu.Unlock()
		c.signal() // busy: the flusher batches
		return len(p), nil
	}
	out := c.take()
	c.mu.Unlock()
	if err := c.writeOut(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// take hands the queued bytes to the caller, who must writeOut them.
// Called with mu held.
func (c *watchedConn) take() []byte {
	out := c.wbuf
	c.wbuf, c.spare = c.spare[:0], nil
	c.writing = true
	c.drained.Broadcast()
	return out
}

// writeOut writes taken bytes, then lets the flusher take what came
// meanwhile.
func (c *watchedConn) writeOut(out []byte) error {
	_ = c.Conn.SetWriteDeadline(time.Now().Add(c.writeTimeout))
	_, err := c.Conn.Write(out)
	c.mu.Lock()
	c.writing = false
	c.lastWrite = time.Now()
	c.spare = out[:0]
	if err != nil && c.werr == nil {
		c.werr = err
	}
	pending := len(c.wbuf) > 0
	c.drained.Broadcast()
	c.mu.Unlock()
	if err != nil {
		_ = c.Conn.Close()
		return err
	}
	if pending {
		c.signal()
	}
	return nil
}

func (c *watchedConn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// flush writes out queued bytes until the connection closes.
func (c *watchedConn) flush() {
	defer close(c.done)
	for range c.wake {
		c.mu.Lock()
		closed, werr := c.closed, c.werr
		var out []byte
		if !c.writing && len(c.wbuf) > 0 && werr == nil {
			out = c.take()
		}
		c.mu.Unlock()
		if out != nil && c.writeOut(out) != nil {
			return
		}
		if closed || werr != nil {
			return
		}
	}
}

// Close writes what is queued (bounded by the write timeout) and closes
// the connection.
func (c *watchedConn) Close() error {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.drained.Broadcast()
	c.mu.Unlock()
	if !already {
		c.signal()
	}
	select {
	case <-c.done:
	case <-time.After(c.writeTimeout):
	}
	return c.Conn.Close()
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if err != nil {
		c.mu.Lock()
		if c.err == nil {
			c.err = err
		}
		c.mu.Unlock()
	}
	return n, err
}

func (c *watchedConn) readErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// writeErr returns the first write error, which failed the link.
func (c *watchedConn) writeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.werr
}

// yamuxLog receives yamux's log lines; it notes keepalive failures and
// the first error yamux reports (which ends the session), and passes
// everything on at debug level.
type yamuxLog struct {
	peer            wire.NodeName
	debug           func(msg string, args ...any)
	keepaliveFailed atomic.Bool
	firstErr        atomic.Pointer[string] // "yamux: Invalid protocol version: 255"
}

func (y *yamuxLog) Print(v ...any) { y.line(fmt.Sprint(v...)) }

func (y *yamuxLog) Printf(format string, v ...any) { y.line(fmt.Sprintf(format, v...)) }

func (y *yamuxLog) Println(v ...any) { y.line(fmt.Sprintln(v...)) }

func (y *yamuxLog) line(s string) {
	if strings.Contains(s, "keepalive failed") {
		y.keepaliveFailed.Store(true)
	} else if rest, ok := strings.CutPrefix(s, "[ERR] yamux: "); ok {
		e := "yamux: " + strings.TrimSpace(rest)
		y.firstErr.CompareAndSwap(nil, &e)
	}
	y.debug("yamux", "node", y.peer.String(), "line", s)
}

// boundedStream is an incoming stream whose every write must make progress
// within timeout (the link's write timeout). yamux gives each stream its
// own flow-control window, so a peer that stops reading one stream blocks
// only the writes on that stream; without a bound, the handler writing
// there (a call's result, a process's output) would wait as long as the
// link lives. On a timeout the stream is given up: closed, and its reads
// ended, so its handler returns and its tasks are cancelled; the other
// streams of the link carry on.
type boundedStream struct {
	net.Conn
	timeout time.Duration
	log     *slog.Logger
	peer    wire.NodeName
}

// Write implements io.Writer.
func (s *boundedStream) Write(p []byte) (int, error) {
	_ = s.Conn.SetWriteDeadline(time.Now().Add(s.timeout))
	n, err := s.Conn.Write(p)
	if err != nil && isTimeout(err) {
		s.log.Warn("stream given up: the peer stopped reading it", "node", s.peer.String(), "timeout", s.timeout)
		_ = s.Conn.SetReadDeadline(time.Unix(1, 0))
		_ = s.Conn.Close()
		err = fmt.Errorf("peer stopped reading the stream for %s: %w", s.timeout, err)
	}
	return n, err
}
