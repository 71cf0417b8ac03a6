package link

import (
	"encoding/binary"
	"testing"
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
