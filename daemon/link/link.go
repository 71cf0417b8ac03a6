package link

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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
	return wire.LinkInfo{Node: l.peer.String(), Address: l.addr, Direction: dir, Since: l.since}
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
// read error, so a link that went down can say why, and it writes a data
// frame's 12-byte header together with its body: yamux writes them one
// after the other from its single send goroutine, and one write (writev)
// instead of two saves a system call and a TCP segment per frame.
type watchedConn struct {
	net.Conn
	mu  sync.Mutex
	err error // guarded by mu

	held [yamuxHeaderLen]byte // a data frame's header waiting for its body
	hold bool                 // held is set; only yamux's send goroutine writes
}

// yamux's frame header: [version:1][type:1][flags:2][stream:4][length:4].
const (
	yamuxHeaderLen = 12
	yamuxTypeData  = 0
)

// Write implements net.Conn for yamux's send goroutine.
func (c *watchedConn) Write(p []byte) (int, error) {
	if c.hold {
		c.hold = false
		bufs := net.Buffers{c.held[:], p}
		n, err := bufs.WriteTo(c.Conn)
		return max(int(n)-yamuxHeaderLen, 0), err
	}
	if len(p) == yamuxHeaderLen && p[1] == yamuxTypeData && binary.BigEndian.Uint32(p[8:]) > 0 {
		copy(c.held[:], p)
		c.hold = true
		return len(p), nil
	}
	return c.Conn.Write(p)
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

// yamuxLog receives yamux's log lines; it notes keepalive failures and
// passes everything else on at debug level.
type yamuxLog struct {
	peer            wire.NodeName
	debug           func(msg string, args ...any)
	keepaliveFailed atomic.Bool
}

func (y *yamuxLog) Print(v ...any) { y.line(fmt.Sprint(v...)) }

func (y *yamuxLog) Printf(format string, v ...any) { y.line(fmt.Sprintf(format, v...)) }

func (y *yamuxLog) Println(v ...any) { y.line(fmt.Sprintln(v...)) }

func (y *yamuxLog) line(s string) {
	if strings.Contains(s, "keepalive failed") {
		y.keepaliveFailed.Store(true)
	}
	y.debug("yamux", "node", y.peer.String(), "line", s)
}
