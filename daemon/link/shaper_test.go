package link

import (
	"encoding/binary"
	"net"
	"sync"
	"testing"
	"time"
)

// yamuxFrame builds a yamux frame of type typ whose Length field is n; a
// data frame gets n bytes of body.
func yamuxFrame(typ byte, n uint32) []byte {
	h := make([]byte, yamuxHeaderLen)
	h[1] = typ
	binary.BigEndian.PutUint32(h[8:], n)
	if typ == yamuxTypeData {
		h = append(h, make([]byte, n)...)
	}
	return h
}

// TestFrameEnd feeds yamux frames split into writes every which way: a
// frame's end is found wherever the split falls, so the shaper never
// depends on how yamux cuts its writes.
func TestFrameEnd(t *testing.T) {
	data := yamuxFrame(yamuxTypeData, 5)
	window := yamuxFrame(1, 1<<20) // a window update: Length is a delta, no body
	ping := yamuxFrame(2, 7)
	empty := yamuxFrame(yamuxTypeData, 0)
	stream := append(append(append(append([]byte{}, data...), window...), ping...), empty...)
	ends := map[int]bool{len(data): true, len(data) + len(window): true, len(data) + len(window) + len(ping): true, len(stream): true}
	for _, tc := range []struct {
		name  string
		sizes func(i int) int // the size of the i-th write
	}{
		{"header then body", nil},
		{"one byte at a time", func(int) int { return 1 }},
		{"seven bytes at a time", func(int) int { return 7 }},
		{"everything at once", func(int) int { return len(stream) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f frameEnd
			var writes [][]byte
			if tc.sizes == nil { // as yamux writes today: each header, then each body
				writes = [][]byte{data[:12], data[12:], window, ping, empty}
			} else {
				for i, off := 0, 0; off < len(stream); i++ {
					n := min(tc.sizes(i), len(stream)-off)
					writes = append(writes, stream[off:off+n])
					off += n
				}
			}
			off := 0
			for _, w := range writes {
				off += len(w)
				if got := f.feed(w); got != ends[off] {
					t.Fatalf("after %d bytes: at a frame's end = %v, want %v", off, got, ends[off])
				}
			}
			if !f.atEnd() {
				t.Fatal("the stream does not end at a frame's end")
			}
		})
	}
}

// shaperConn is the connection under a shapedConn in tests: it records
// each write and, while gate is set, holds writes until gate is closed.
type shaperConn struct {
	net.Conn // nil: only Write, SetWriteDeadline and Close are used
	mu       sync.Mutex
	writes   [][]byte
	gate     chan struct{}
	entered  chan struct{} // gets a value as each write starts
}

func (c *shaperConn) Write(p []byte) (int, error) {
	c.entered <- struct{}{}
	c.mu.Lock()
	gate := c.gate
	c.mu.Unlock()
	if gate != nil {
		<-gate
	}
	c.mu.Lock()
	c.writes = append(c.writes, append([]byte(nil), p...))
	c.mu.Unlock()
	return len(p), nil
}

func (c *shaperConn) SetWriteDeadline(time.Time) error { return nil }
func (c *shaperConn) Close() error                     { return nil }

func (c *shaperConn) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.writes)
}

// TestShaperLoneCallWritesAtOnce: with at most one call in flight, every
// frame is written by the goroutine that hands it over, before its Write
// returns, however closely frames follow each other; a lone call never
// waits for the flusher.
func TestShaperLoneCallWritesAtOnce(t *testing.T) {
	for _, load := range []int64{0, 1} {
		rc := &shaperConn{entered: make(chan struct{}, 100)}
		sc := newShapedConn(rc, time.Second)
		sc.load.Store(load)
		frame := yamuxFrame(yamuxTypeData, 20)
		for i := range 20 {
			if _, err := sc.Write(frame[:yamuxHeaderLen]); err != nil {
				t.Fatal(err)
			}
			if _, err := sc.Write(frame[yamuxHeaderLen:]); err != nil {
				t.Fatal(err)
			}
			if got := rc.count(); got != i+1 {
				t.Fatalf("load %d: after frame %d the connection saw %d writes, want %d (the frame waited)", load, i+1, got, i+1)
			}
		}
		if err := sc.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestShaperBatchesUnderLoad: while a write is under way, the frames
// handed over meanwhile go out together in one write once it returns.
func TestShaperBatchesUnderLoad(t *testing.T) {
	gate := make(chan struct{})
	rc := &shaperConn{entered: make(chan struct{}, 100), gate: gate}
	sc := newShapedConn(rc, 10*time.Second)
	sc.load.Store(5)
	frame := yamuxFrame(yamuxTypeData, 3)
	first := make(chan error, 1)
	go func() { _, err := sc.Write(frame); first <- err }()
	<-rc.entered // the first frame's write is under way, held at the gate
	for range 10 {
		if _, err := sc.Write(frame); err != nil {
			t.Fatal(err)
		}
	}
	rc.mu.Lock()
	rc.gate = nil
	rc.mu.Unlock()
	close(gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := sc.Close(); err != nil { // writes what is queued first
		t.Fatal(err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.writes) != 2 || len(rc.writes[1]) != 10*len(frame) {
		sizes := make([]int, len(rc.writes))
		for i, w := range rc.writes {
			sizes[i] = len(w)
		}
		t.Fatalf("writes of %v bytes, want the first frame alone, then the 10 queued ones in one write of %d", sizes, 10*len(frame))
	}
}
