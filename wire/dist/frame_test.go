package dist_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"chatd/wire/dist"
)

func TestReadFrame(t *testing.T) {
	tests := []struct {
		name  string
		in    []byte
		limit int
		want  []byte
		err   error
		text  string
	}{
		{"tick", []byte{0, 0, 0, 0}, 16, []byte{}, nil, ""},
		{"frame", []byte{0, 0, 0, 2, 112, 1}, 16, []byte{112, 1}, nil, ""},
		{"at the cap", []byte{0, 0, 0, 2, 112, 1}, 2, []byte{112, 1}, nil, ""},
		{"over the cap", []byte{0, 0, 0, 3, 112, 1, 2}, 2, nil, dist.ErrFrameTooLarge, "3 bytes, the cap is 2"},
		{"huge length, default cap", []byte{0xff, 0xff, 0xff, 0xff}, 0, nil, dist.ErrFrameTooLarge, "the cap is 67108864"},
		{"no bytes", nil, 16, nil, io.EOF, "length"},
		{"half a length", []byte{0, 0}, 16, nil, io.ErrUnexpectedEOF, "length"},
		{"body cut short", []byte{0, 0, 0, 5, 112, 1}, 16, nil, io.ErrUnexpectedEOF, "5-byte frame (2 read)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dist.ReadFrame(bytes.NewReader(tc.in), tc.limit, nil)
			if tc.err == nil {
				if err != nil || !bytes.Equal(got, tc.want) {
					t.Fatalf("ReadFrame = % x, %v; want % x", got, err, tc.want)
				}
				return
			}
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.text) || got != nil {
				t.Fatalf("ReadFrame = % x, %v; want %v saying %q", got, err, tc.err, tc.text)
			}
		})
	}
}

// TestReadFrameRefusesBeforeReading: a length over the cap fails without
// reading (or allocating for) the body.
func TestReadFrameRefusesBeforeReading(t *testing.T) {
	r := bytes.NewReader(append([]byte{0, 1, 0, 0}, make([]byte, 1<<16)...))
	if _, err := dist.ReadFrame(r, 1024, nil); !errors.Is(err, dist.ErrFrameTooLarge) {
		t.Fatal(err)
	}
	if r.Len() != 1<<16 {
		t.Fatalf("ReadFrame read %d bytes of the refused body", 1<<16-r.Len())
	}
}

// TestReadFrameLarge reads a frame bigger than one read chunk through a
// reader that hands out one byte at a time, and reuses a big enough buffer.
func TestReadFrameLarge(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789"), 20000) // the 200 KB binary of BEAM.md §2.2
	frame := append([]byte{0, 3, 0x0d, 0x40}, payload...)
	got, err := dist.ReadFrame(iotest.OneByteReader(bytes.NewReader(frame)), 0, nil)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("ReadFrame of %d bytes = %d bytes, %v", len(payload), len(got), err)
	}
	buf := make([]byte, 0, len(payload))
	got, err = dist.ReadFrame(bytes.NewReader(frame), 0, buf)
	if err != nil || &got[0] != &buf[:1][0] {
		t.Fatalf("ReadFrame did not reuse a buffer that fits (%v)", err)
	}
}

func TestTick(t *testing.T) {
	var w bytes.Buffer
	if err := dist.WriteTick(&w); err != nil || !bytes.Equal(w.Bytes(), []byte{0, 0, 0, 0}) {
		t.Fatalf("WriteTick wrote % x, %v", w.Bytes(), err)
	}
	if got := dist.AppendTick([]byte{1}); !bytes.Equal(got, []byte{1, 0, 0, 0, 0}) {
		t.Fatalf("AppendTick = % x", got)
	}
	if err := dist.WriteTick(failingWriter{}); err == nil || !strings.Contains(err.Error(), "tick") {
		t.Fatalf("WriteTick to a broken writer = %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }
