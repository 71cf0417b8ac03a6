package dist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
)

// After the handshake every frame is [Len:4][Len bytes]; Len 0 is a tick
// (BEAM.md §2). Frame bodies are parsed by ParseFrame.

// DefaultMaxFrame is the frame size cap suggested by BEAM.md §2.2: a BEAM
// never fragments without FRAGMENTS, so one message is one frame.
const DefaultMaxFrame = 64 << 20

// ErrFrameTooLarge is returned when a frame's length exceeds the reader's
// cap; the connection must be closed, since its framing is lost.
var ErrFrameTooLarge = errors.New("dist: frame too large")

// AppendTick appends a tick frame (00 00 00 00).
func AppendTick(b []byte) []byte { return append(b, 0, 0, 0, 0) }

// WriteTick writes a tick frame.
func WriteTick(w io.Writer) error {
	if _, err := w.Write(AppendTick(nil)); err != nil {
		return fmt.Errorf("dist: write tick: %w", err)
	}
	return nil
}

// readChunk is how much of a frame's body is read (and allocated) at a time,
// so that a peer announcing a large frame must send it before memory is
// spent on it.
const readChunk = 64 << 10

// ReadFrame reads one frame and returns its body, which is empty for a
// tick. limit caps the length (DefaultMaxFrame when limit <= 0); a longer frame
// fails with ErrFrameTooLarge before its body is read. The body reuses buf
// when it fits, so it is valid until buf's next use. ReadFrame reads exactly
// one frame; any error means the connection is lost.
func ReadFrame(r io.Reader, limit int, buf []byte) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultMaxFrame
	}
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("dist: read frame length: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if uint64(n) > uint64(limit) {
		return nil, fmt.Errorf("%w: %d bytes, the cap is %d", ErrFrameTooLarge, n, limit)
	}
	body := buf[:0]
	for len(body) < int(n) {
		k := min(int(n)-len(body), max(readChunk, cap(body)-len(body)))
		body = slices.Grow(body, k)
		got, err := io.ReadFull(r, body[len(body):len(body)+k])
		body = body[:len(body)+got]
		if err != nil {
			return nil, fmt.Errorf("dist: read %d-byte frame (%d read): %w", n, len(body), noEOF(err))
		}
	}
	return body, nil
}

// appendFrameLen fills in the [Len:4] reserved at b[start:] for the bytes
// after it.
func appendFrameLen(b []byte, start int) ([]byte, error) {
	n := len(b) - start - 4
	if uint64(n) > 0xffffffff {
		return b[:start], fmt.Errorf("dist: frame of %d bytes does not fit its 32-bit length", n)
	}
	binary.BigEndian.PutUint32(b[start:], uint32(n))
	return b, nil
}
