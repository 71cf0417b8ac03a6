package beam

import (
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"chatd/internal/testkit"
	"chatd/wire"
)

// pipeConn returns a Conn, its writer running, writing to one end of a
// pipe, and the other end.
func pipeConn(t *testing.T) (*Conn, net.Conn) {
	t.Helper()
	a, b := net.Pipe()
	m := &Manager{cfg: Config{TickTime: time.Minute}, log: slog.New(slog.DiscardHandler)}
	c := m.newConn(a, kate, 0, 1, true)
	var writer sync.WaitGroup
	writer.Go(c.writeLoop)
	t.Cleanup(func() {
		c.close(wire.ReasonClosed, "test over")
		b.Close()
		writer.Wait()
	})
	return c, b
}

// frame is a 4-byte framed body naming its writer and sequence number.
func frame(writer, seq uint16) []byte {
	b := []byte{0, 0, 0, 4, 0, 0, 0, 0}
	binary.BigEndian.PutUint16(b[4:], writer)
	binary.BigEndian.PutUint16(b[6:], seq)
	return b
}

// TestWritesKeepOrderAndLoseNothing: senders racing on one connection,
// whose writer sends what they queued in batches, each see their frames arrive whole,
// in their order, none lost.
func TestWritesKeepOrderAndLoseNothing(t *testing.T) {
	const writers, frames = 8, 300
	c, peer := pipeConn(t)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for s := range frames {
				c.writeRaw(frame(uint16(w), uint16(s)))
			}
		})
	}
	next := make([]uint16, writers)
	for range writers * frames {
		var b [8]byte
		if _, err := io.ReadFull(peer, b[:]); err != nil {
			t.Fatal(err)
		}
		w, s := binary.BigEndian.Uint16(b[4:]), binary.BigEndian.Uint16(b[6:])
		if binary.BigEndian.Uint32(b[:4]) != 4 || int(w) >= writers || s != next[w] {
			t.Fatalf("read %x: want writer %d's frame %d", b, w, next[w])
		}
		next[w]++
	}
	wg.Wait()
}

// TestCorkQueuesUntilUncork: corked writes are queued, not written; the
// uncork writes them all at once, in order.
func TestCorkQueuesUntilUncork(t *testing.T) {
	c, peer := pipeConn(t)
	c.cork()
	for s := range 3 {
		c.writeRaw(frame(0, uint16(s)))
	}
	c.wmu.Lock()
	queued := len(c.pending)
	c.wmu.Unlock()
	if queued != 3*8 {
		t.Fatalf("%d bytes queued while corked, want 24", queued)
	}
	go c.uncork()
	b := make([]byte, 24)
	if _, err := io.ReadFull(peer, b); err != nil {
		t.Fatal(err)
	}
	for s := range 3 {
		if want := frame(0, uint16(s)); string(b[8*s:8*s+8]) != string(want) {
			t.Fatalf("frame %d = %x, want %x", s, b[8*s:8*s+8], want)
		}
	}
}

// TestDrainWritesWaitsForTheWriteInProgress: a hang-up first lets the
// frames queued behind a write in progress reach the peer.
func TestDrainWritesWaitsForTheWriteInProgress(t *testing.T) {
	c, peer := pipeConn(t)
	c.writeRaw(frame(0, 0)) // the writer blocks in the pipe until it is read
	testkit.WaitFor(t, testkit.Wait, "the first write to be in progress", func() bool {
		c.wmu.Lock()
		defer c.wmu.Unlock()
		return c.writing
	})
	c.writeRaw(frame(0, 1)) // queued behind it: returns at once
	drained := make(chan struct{})
	go func() { c.drainWrites(); close(drained) }()
	b := make([]byte, 16)
	if _, err := io.ReadFull(peer, b); err != nil {
		t.Fatal(err)
	}
	<-drained
	if string(b[8:]) != string(frame(0, 1)) {
		t.Fatalf("second frame = %x", b[8:])
	}
}
