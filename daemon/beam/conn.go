package beam

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"chatd/daemon/peer"
	"chatd/wire"
	"chatd/wire/dist"
	"chatd/wire/etf"
)

// Conn is one connection to a BEAM node, after the handshake: 4-byte
// framed 112 frames both ways, ticks when idle. It is a peer.Conn.
type Conn struct {
	m        *Manager
	peer     wire.NodeName
	atom     etf.Atom   // the peer's name as an atom
	flags    dist.Flags // what both sides support
	creation uint32     // the peer's creation
	addr     string
	outbound bool
	since    time.Time
	nc       net.Conn
	decoder  etf.Decoder

	wmu       sync.Mutex
	room      *sync.Cond    // on wmu: signalled when a write ends, and when the writer stops
	pending   []byte        // frames queued for the writer; guarded by wmu
	spare     []byte        // the last written buffer, for reuse; guarded by wmu
	writing   bool          // the writer is writing a batch; guarded by wmu
	corked    bool          // the reader holds the writer back; guarded by wmu
	kick      chan struct{} // holds a token when frames wait for the writer
	lastWrite atomic.Int64  // monotonic nanoseconds since since, of the last write

	closeOnce sync.Once
	cause     atomic.Pointer[downCause] // why it went down
	down      chan struct{}             // closed when it is down
}

var _ peer.Conn = (*Conn)(nil)

func (m *Manager) newConn(nc net.Conn, node wire.NodeName, flags dist.Flags, creation uint32, outbound bool) *Conn {
	c := &Conn{
		m: m, peer: node, atom: etf.Atom(node.String()), flags: flags, creation: creation,
		addr: nc.RemoteAddr().String(), outbound: outbound, since: time.Now(), nc: nc,
		decoder: etf.Decoder{}, down: make(chan struct{}), kick: make(chan struct{}, 1),
	}
	c.room = sync.NewCond(&c.wmu)
	return c
}

// Peer implements peer.Conn.
func (c *Conn) Peer() wire.NodeName { return c.peer }

// Done implements peer.Conn.
func (c *Conn) Done() <-chan struct{} { return c.down }

// Info implements peer.Conn.
func (c *Conn) Info() wire.LinkInfo {
	return wire.LinkInfo{Node: c.peer.String(), Protocol: Protocol, Address: c.addr, Direction: c.direction(), Since: c.since}
}

func (c *Conn) direction() string {
	if c.outbound {
		return "out"
	}
	return "in"
}

func (c *Conn) isDown() bool {
	select {
	case <-c.down:
		return true
	default:
		return false
	}
}

// downCause is why a connection went down: the node event reason and
// the protocol's own words.
type downCause struct {
	reason wire.NodeReason
	detail string
}

// close brings the connection down, recording why; safe to call often
// (the first cause stays).
func (c *Conn) close(reason wire.NodeReason, detail string) {
	c.closeOnce.Do(func() {
		c.cause.Store(&downCause{reason, detail})
		close(c.down)
		_ = c.nc.Close()
	})
}

// downCause says why the connection went down.
func (c *Conn) downCause() downCause {
	if d := c.cause.Load(); d != nil {
		return *d
	}
	return downCause{wire.ReasonClosed, "connection closed"}
}

// downReason says in words why the connection went down.
func (c *Conn) downReason() string { return c.downCause().detail }

// tickInterval is how often an idle side ticks: a quarter of net_ticktime.
func (c *Conn) tickInterval() time.Duration { return c.m.cfg.TickTime / 4 }

// run serves the connection until it is down: it reads frames, answers
// ticks, writes what is queued, and ticks itself when it has written
// nothing for a quarter of the tick time. It returns once the connection
// is down and its three loops ended.
func (c *Conn) run() {
	var loops sync.WaitGroup
	loops.Go(c.tick)
	loops.Go(c.writeLoop)
	c.read()
	d := c.downCause()
	c.close(d.reason, d.detail)
	loops.Wait()
}

// tick writes a tick whenever nothing was written for a tick interval.
func (c *Conn) tick() {
	t := time.NewTicker(c.tickInterval())
	defer t.Stop()
	for {
		select {
		case <-c.down:
			return
		case <-t.C:
		}
		idle := time.Duration(time.Since(c.since).Nanoseconds() - c.lastWrite.Load())
		if idle >= c.tickInterval() {
			c.writeRaw(dist.AppendTick(nil))
		}
	}
}

// read reads frames until the connection fails. Silence for the whole tick
// time brings it down (OTP: four tick intervals without a byte).
//
// Frames that arrived together are served together: what serving them
// queues is corked (held back), and it goes out in one write before the
// reader waits again, or after maxCorked frames.
func (c *Conn) read() {
	var buf []byte
	br := bufio.NewReaderSize(c.nc, readBuffer)
	corked := 0
	for {
		if !frameBuffered(br) || corked == maxCorked {
			c.uncork()
			corked = 0
			_ = c.nc.SetReadDeadline(time.Now().Add(c.m.cfg.TickTime))
		}
		body, err := dist.ReadFrame(br, c.m.cfg.MaxFrame, buf)
		if err != nil {
			c.uncork()
			d := c.readError(err)
			c.close(d.reason, d.detail)
			return
		}
		c.cork()
		corked++
		if len(body) == 0 { // a tick: answer it
			c.writeRaw(dist.AppendTick(nil))
			continue
		}
		c.dispatch(body)
		if cap(body) <= 64<<10 {
			buf = body[:0] // reuse small buffers; a large frame's is let go
		}
	}
}

// frameBuffered reports whether a whole frame is in br's buffer, so that
// reading it cannot block.
func frameBuffered(br *bufio.Reader) bool {
	if br.Buffered() < 4 {
		return false // Peek would wait for more
	}
	hdr, err := br.Peek(4)
	if err != nil {
		return false
	}
	return uint64(br.Buffered()) >= 4+uint64(binary.BigEndian.Uint32(hdr))
}

const (
	readBuffer = 64 << 10 // the reader's buffer: many small frames per read
	maxCorked  = 64       // frames served before what they wrote is sent
)

// readError names why reading failed.
func (c *Conn) readError(err error) downCause {
	var ne net.Error
	switch {
	case c.isDown():
		return c.downCause()
	case errors.As(err, &ne) && ne.Timeout():
		return downCause{wire.ReasonTickTimeout, fmt.Sprintf("net_ticktime: nothing from %s for %s", c.peer, c.m.cfg.TickTime)}
	case errors.Is(err, io.EOF):
		return downCause{wire.ReasonClosed, "connection closed by peer"}
	case errors.Is(err, dist.ErrFrameTooLarge):
		return downCause{wire.ReasonConnectionLost, fmt.Sprintf("%v (the limit is %d bytes)", err, c.m.cfg.MaxFrame)}
	}
	return downCause{wire.ReasonConnectionLost, "connection lost: " + err.Error()}
}

// write sends one control message (and its message, when it has one).
// A term that cannot be encoded is logged and dropped; a failed write
// brings the connection down.
func (c *Conn) write(ctl dist.Control, msg etf.Term) {
	c.wmu.Lock()
	if !c.waitRoom() {
		c.wmu.Unlock()
		return
	}
	start := len(c.pending)
	b, err := dist.AppendFrame(c.pending, ctl, msg)
	if err != nil {
		c.pending = c.pending[:start]
		c.wmu.Unlock()
		c.m.log.Warn("dropping a message chatd cannot encode for an Erlang node", "node", c.peer.String(), "op", ctl.Op().String(), "err", err)
		return
	}
	c.pending = b
	c.queuedLocked()
}

// writeRaw sends bytes already framed (a tick).
func (c *Conn) writeRaw(b []byte) {
	c.wmu.Lock()
	if !c.waitRoom() {
		c.wmu.Unlock()
		return
	}
	c.pending = append(c.pending, b...)
	c.queuedLocked()
}

// maxPending bounds the bytes queued for the writer; a sender past it
// waits for the write in progress (itself bounded by the write timeout).
const maxPending = 1 << 20

// waitRoom waits, with wmu held, until the queue has room; it reports
// false when the connection went down meanwhile (the frame is dropped).
func (c *Conn) waitRoom() bool {
	for len(c.pending) >= maxPending && !c.isDown() {
		c.room.Wait()
	}
	return !c.isDown()
}

// queuedLocked is called with wmu held after a frame was queued: unless
// corked (with room left), it wakes the writer. It releases wmu.
func (c *Conn) queuedLocked() {
	wake := !c.corked || len(c.pending) >= maxPending
	c.wmu.Unlock()
	if wake {
		c.wakeWriter()
	}
}

// wakeWriter tells the writer that frames are queued.
func (c *Conn) wakeWriter() {
	select {
	case c.kick <- struct{}{}:
	default: // it has been told already
	}
}

// writeLoop is the connection's writer: it writes whatever is queued, in
// one system call, each time it is woken, so that frames queued while it
// was writing or waiting to run go out together (BEAM's distribution
// port does the same). It returns when the connection is down.
func (c *Conn) writeLoop() {
	defer func() {
		c.wmu.Lock()
		c.room.Broadcast() // senders waiting for room see the connection down
		c.wmu.Unlock()
	}()
	for {
		select {
		case <-c.down:
			return
		case <-c.kick:
		}
		c.wmu.Lock()
		c.writeQueuedLocked()
		c.wmu.Unlock()
	}
}

// writeQueuedLocked writes, with wmu held (released while writing), what
// is queued until nothing is, unless corked with room left. The writer
// and an uncorking reader call it; writing makes them take turns.
func (c *Conn) writeQueuedLocked() {
	for !c.writing && len(c.pending) > 0 && (!c.corked || len(c.pending) >= maxPending) {
		b := c.pending
		c.pending = c.spare[:0]
		c.writing = true
		c.wmu.Unlock()
		c.writeOut(b)
		c.wmu.Lock()
		c.writing = false
		if cap(b) <= 64<<10 {
			c.spare = b[:0] // reuse small buffers; a large one is let go
		} else {
			c.spare = nil
		}
		c.room.Broadcast()
	}
}

// cork makes writes queue until uncork: the reader serves frames that
// arrived together and sends their answers together.
func (c *Conn) cork() {
	c.wmu.Lock()
	c.corked = true
	c.wmu.Unlock()
}

// uncork sends what was queued while corked: the reader writes it itself,
// as it is about to wait for the peer anyway, unless the writer is busy
// writing (then the writer sends it next).
func (c *Conn) uncork() {
	c.wmu.Lock()
	c.corked = false
	c.writeQueuedLocked()
	queued := len(c.pending) > 0
	c.wmu.Unlock()
	if queued {
		c.wakeWriter()
	}
}

// drainWrites waits until every queued frame has been written, so that
// frames queued before a hang-up reach the peer (bounded by the write
// timeout), or until the connection is down.
func (c *Conn) drainWrites() {
	c.uncork() // writes what is queued, or leaves it to the busy writer
	c.wmu.Lock()
	defer c.wmu.Unlock()
	for (len(c.pending) > 0 || c.writing) && !c.isDown() {
		c.room.Wait()
	}
}

// writeOut writes b within the write timeout (half the tick time); a peer
// that stops reading is given up. Called by the one writer in progress.
func (c *Conn) writeOut(b []byte) {
	if c.isDown() {
		return
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(max(c.m.cfg.TickTime/2, time.Second)))
	if _, err := c.nc.Write(b); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			c.close(wire.ReasonConnectionLost, fmt.Sprintf("a write made no progress for %s (the peer stopped reading)", max(c.m.cfg.TickTime/2, time.Second)))
			return
		}
		c.close(wire.ReasonConnectionLost, "connection lost: "+err.Error())
		return
	}
	c.lastWrite.Store(time.Since(c.since).Nanoseconds())
}
