package link

import (
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// shapedConn is the TCP connection under yamux. It shapes yamux's writes
// so that each yamux frame costs at most one system call and, under load,
// many frames share one: bytes are queued until they end a yamux frame
// (frameEnd follows the framing of yamux's spec, so however yamux splits a
// frame into Write calls, the header and body go out together); a frame is
// written at once by the sending goroutine unless the link is under load:
// more than one call in flight (load, counted by the calls streams) and
// frames following each other within batchWindow. Then, or while a write
// is under way, frames are left to a flusher goroutine, which writes all
// that queued in one call. A lone call's frames never wait for the
// flusher, however quickly they follow each other. A write that makes no
// progress for writeTimeout fails the link. It also remembers the first
// read and write errors, so that a link that went down can say why.
type shapedConn struct {
	net.Conn
	writeTimeout time.Duration
	// load is the link's calls in flight, both ways (calls.NewClient,
	// calls.Server.Handle); frames batch only while it is over one.
	load atomic.Int64
	// created and lastRead (nanoseconds since created, monotonic) tell
	// when bytes last arrived: the acceptor's silence watch reads them.
	created  time.Time
	lastRead atomic.Int64

	mu        sync.Mutex
	err       error      // guarded by mu: the first read error
	wbuf      []byte     // guarded by mu: bytes not yet written, in order
	spare     []byte     // guarded by mu: a drained buffer to reuse
	frame     frameEnd   // guarded by mu: where the frame being queued ends
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
	maxPending  = 1 << 20               // queued bytes past which Write waits
	batchWindow = 50 * time.Microsecond // under load, frames closer than this are batched
)

func newShapedConn(c net.Conn, writeTimeout time.Duration) *shapedConn {
	w := &shapedConn{Conn: c, writeTimeout: writeTimeout, created: time.Now(), wake: make(chan struct{}, 1), done: make(chan struct{})}
	w.drained = sync.NewCond(&w.mu)
	go w.flush()
	return w
}

// Write takes p from yamux's send goroutine.
func (c *shapedConn) Write(p []byte) (int, error) {
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
	if !c.frame.feed(p) {
		c.mu.Unlock() // the rest of the frame follows
		return len(p), nil
	}
	if c.writing || (c.load.Load() > 1 && time.Since(c.lastWrite) < batchWindow) {
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
// Called with mu held, at a frame's end.
func (c *shapedConn) take() []byte {
	out := c.wbuf
	c.wbuf, c.spare = c.spare[:0], nil
	c.writing = true
	c.drained.Broadcast()
	return out
}

// writeOut writes taken bytes, then lets the flusher take what came
// meanwhile.
func (c *shapedConn) writeOut(out []byte) error {
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

func (c *shapedConn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// flush writes out queued frames until the connection closes; on close it
// writes whatever is queued.
func (c *shapedConn) flush() {
	defer close(c.done)
	for range c.wake {
		c.mu.Lock()
		closed, werr := c.closed, c.werr
		var out []byte
		if !c.writing && len(c.wbuf) > 0 && werr == nil && (c.frame.atEnd() || closed) {
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
func (c *shapedConn) Close() error {
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

func (c *shapedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.lastRead.Store(int64(time.Since(c.created)))
	}
	if err != nil {
		c.mu.Lock()
		if c.err == nil {
			c.err = err
		}
		c.mu.Unlock()
	}
	return n, err
}

// silentFor is how long ago bytes last arrived (or the connection was
// made, if none have).
func (c *shapedConn) silentFor() time.Duration {
	return time.Since(c.created) - time.Duration(c.lastRead.Load())
}

func (c *shapedConn) readErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// writeErr returns the first write error, which failed the link.
func (c *shapedConn) writeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.werr
}

// yamux frame layout (hashicorp/yamux spec.md): a 12-byte header
// [Version:1][Type:1][Flags:2][StreamID:4][Length:4]; only a Data frame
// (type 0) is followed by Length bytes of body, the other types use
// Length for a window delta, a ping id or an error code.
const (
	yamuxHeaderLen = 12
	yamuxTypeData  = 0
)

// frameEnd follows yamux's framing over the bytes written so far, to tell
// whether they end a frame.
type frameEnd struct {
	hdr  [yamuxHeaderLen]byte
	have int    // header bytes seen of the current frame
	body uint32 // body bytes still to come once the header is complete
}

// feed consumes p and reports whether the bytes so far end a frame.
func (f *frameEnd) feed(p []byte) bool {
	for len(p) > 0 {
		if f.have < yamuxHeaderLen {
			n := copy(f.hdr[f.have:], p)
			f.have += n
			p = p[n:]
			if f.have == yamuxHeaderLen && f.hdr[1] == yamuxTypeData {
				f.body = binary.BigEndian.Uint32(f.hdr[8:])
			}
		} else {
			n := uint32(min(uint64(len(p)), uint64(f.body)))
			f.body -= n
			p = p[n:]
		}
		if f.have == yamuxHeaderLen && f.body == 0 {
			f.have = 0 // the frame is complete; the next byte starts one
		}
	}
	return f.atEnd()
}

// atEnd reports whether the bytes fed so far end a frame.
func (f *frameEnd) atEnd() bool { return f.have == 0 }
