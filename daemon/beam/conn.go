package beam

import (
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
	wbuf      []byte       // guarded by wmu
	lastWrite atomic.Int64 // monotonic nanoseconds since since, of the last write

	closeOnce sync.Once
	cause     atomic.Pointer[downCause] // why it went down
	down      chan struct{}             // closed when it is down
}

var _ peer.Conn = (*Conn)(nil)

func (m *Manager) newConn(nc net.Conn, node wire.NodeName, flags dist.Flags, creation uint32, outbound bool) *Conn {
	return &Conn{
		m: m, peer: node, atom: etf.Atom(node.String()), flags: flags, creation: creation,
		addr: nc.RemoteAddr().String(), outbound: outbound, since: time.Now(), nc: nc,
		decoder: etf.Decoder{}, down: make(chan struct{}),
	}
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
// ticks, and ticks itself when it has written nothing for a quarter of the
// tick time. It returns once the connection is down and both loops ended.
func (c *Conn) run() {
	ticker := make(chan struct{})
	go func() {
		defer close(ticker)
		c.tick()
	}()
	c.read()
	d := c.downCause()
	c.close(d.reason, d.detail)
	<-ticker
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
func (c *Conn) read() {
	var buf []byte
	for {
		_ = c.nc.SetReadDeadline(time.Now().Add(c.m.cfg.TickTime))
		body, err := dist.ReadFrame(c.nc, c.m.cfg.MaxFrame, buf)
		if err != nil {
			d := c.readError(err)
			c.close(d.reason, d.detail)
			return
		}
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
	defer c.wmu.Unlock()
	b, err := dist.AppendFrame(c.wbuf[:0], ctl, msg)
	if err != nil {
		c.m.log.Warn("dropping a message chatd cannot encode for an Erlang node", "node", c.peer.String(), "op", ctl.Op().String(), "err", err)
		return
	}
	c.wbuf = b
	c.writeLocked(b)
}

// writeRaw sends bytes already framed (a tick).
func (c *Conn) writeRaw(b []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.writeLocked(b)
}

// writeLocked writes b within the write timeout (half the tick time); a
// peer that stops reading is given up. Called with wmu held.
func (c *Conn) writeLocked(b []byte) {
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
