package wire_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"chatd/wire"
)

// frameGolden holds frames and their bytes, written out by hand from
// SPEC.md. FuzzFrame is seeded from it.
var frameGolden = []struct {
	name  string
	frame wire.Frame
	wire  string
}{
	{
		name:  "open ping stream",
		frame: wire.Frame{Type: wire.FrameOpen, Payload: []byte{byte(wire.KindPing)}},
		wire:  "\x00\x00\x00\x02" + "\x01" + "\x01", // length 2, open, kind ping
	},
	{
		name:  "ping",
		frame: wire.Frame{Type: wire.FramePing, Payload: []byte("\x00\x01\x02\x03\xfc\xfd\xfe\xff")},
		wire:  "\x00\x00\x00\x09" + "\x02" + "\x00\x01\x02\x03\xfc\xfd\xfe\xff",
	},
	{
		name:  "pong",
		frame: wire.Frame{Type: wire.FramePong, Payload: []byte("\x00\x01\x02\x03\xfc\xfd\xfe\xff")},
		wire:  "\x00\x00\x00\x09" + "\x03" + "\x00\x01\x02\x03\xfc\xfd\xfe\xff",
	},
	{
		name:  "empty ping",
		frame: wire.Frame{Type: wire.FramePing},
		wire:  "\x00\x00\x00\x01" + "\x02",
	},
	{
		name:  "error overloaded",
		frame: wire.Frame{Type: wire.FrameError, Payload: []byte("\x0aoverloadedtoo many open streams")},
		wire:  "\x00\x00\x00\x21" + "\x04" + "\x0a" + "overloaded" + "too many open streams", // length 33
	},
	{
		name:  "unknown type passes through",
		frame: wire.Frame{Type: 0xee, Payload: []byte("?")},
		wire:  "\x00\x00\x00\x02\xee?",
	},
}

func TestFrameGolden(t *testing.T) {
	for _, tc := range frameGolden {
		t.Run(tc.name, func(t *testing.T) {
			if got := wire.AppendFrame(nil, tc.frame.Type, tc.frame.Payload); string(got) != tc.wire {
				t.Fatalf("AppendFrame\n got % x\nwant % x", got, tc.wire)
			}
			if got := wire.AppendFrame([]byte("pre"), tc.frame.Type, tc.frame.Payload); string(got) != "pre"+tc.wire {
				t.Fatalf("AppendFrame after a prefix = % x", got)
			}
			var w writeCounter
			if err := wire.WriteFrame(&w, tc.frame.Type, tc.frame.Payload); err != nil {
				t.Fatal(err)
			}
			if len(w.writes) != 1 || string(w.writes[0]) != tc.wire {
				t.Fatalf("WriteFrame wrote %q, want one Write of %q", w.writes, tc.wire)
			}
			fr := wire.NewFrameReader(strings.NewReader(tc.wire), 64)
			f, err := fr.ReadFrame()
			if err != nil {
				t.Fatalf("ReadFrame: %v", err)
			}
			if f.Type != tc.frame.Type || !bytes.Equal(f.Payload, tc.frame.Payload) {
				t.Fatalf("ReadFrame = %#v, want %#v", f, tc.frame)
			}
			if _, err := fr.ReadFrame(); err != io.EOF {
				t.Fatalf("after the frame: err = %v, want io.EOF", err)
			}
		})
	}
}

func TestFrameReaderStream(t *testing.T) {
	var stream []byte
	for _, tc := range frameGolden {
		stream = append(stream, tc.wire...)
	}
	fr := wire.NewFrameReader(bytes.NewReader(stream), 64)
	for _, tc := range frameGolden {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if f.Type != tc.frame.Type || !bytes.Equal(f.Payload, tc.frame.Payload) {
			t.Fatalf("%s: got %#v, want %#v", tc.name, f, tc.frame)
		}
	}
	// A clean end between frames is io.EOF itself, not wrapped.
	if _, err := fr.ReadFrame(); err != io.EOF {
		t.Fatalf("at the end: err = %v, want io.EOF", err)
	}
}

func TestWriteFrameError(t *testing.T) {
	broken := errors.New("stream reset")
	err := wire.WriteFrame(&writeCounter{err: broken}, wire.FramePong, nil)
	if !errors.Is(err, broken) || !strings.Contains(err.Error(), "pong") {
		t.Fatalf("err = %v, want one naming the frame type and wrapping %v", err, broken)
	}
}

func TestFrameReaderErrors(t *testing.T) {
	ping := frameGolden[1].wire
	for _, tc := range []struct {
		name    string
		in      string
		max     int
		wantIs  error
		wantMsg string
	}{
		{"one header byte", "\x00", 64, io.ErrUnexpectedEOF, ""},
		{"four header bytes", "\x00\x00\x00\x02", 64, io.ErrUnexpectedEOF, ""},
		{"no payload", ping[:5], 64, io.ErrUnexpectedEOF, "read ping frame payload"},
		{"half a payload", ping[:9], 64, io.ErrUnexpectedEOF, "read ping frame payload"},
		{"one byte short", ping[:len(ping)-1], 64, io.ErrUnexpectedEOF, "read ping frame payload"},
		{"zero length", "\x00\x00\x00\x00\x02", 64, wire.ErrFrameMalformed, "zero length"},
		{"one over the limit", "\x00\x00\x00\x42\x02" + strings.Repeat("x", 65), 64, wire.ErrFrameTooLarge, "65-byte payload, the limit is 64"},
		{"length 0xffffffff", "\xff\xff\xff\xff\x02", 64, wire.ErrFrameTooLarge, "4294967294-byte payload, the limit is 64"},
		{"over the default limit", "\x00\x10\x00\x02\x02", 0, wire.ErrFrameTooLarge, "1048577-byte payload, the limit is 1048576"},
		{"over a negative limit", "\x00\x10\x00\x02\x02", -1, wire.ErrFrameTooLarge, "the limit is 1048576"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := wire.NewFrameReader(strings.NewReader(tc.in), tc.max).ReadFrame()
			if err == nil {
				t.Fatalf("ReadFrame = %#v, want an error", f)
			}
			if !errors.Is(err, tc.wantIs) {
				t.Errorf("err = %v, want one wrapping %v", err, tc.wantIs)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %q, want it to say %q", err, tc.wantMsg)
			}
			if !reflect.DeepEqual(f, wire.Frame{}) {
				t.Errorf("ReadFrame returned %#v with its error", f)
			}
		})
	}
}

func TestFrameReaderLimits(t *testing.T) {
	for _, tc := range []struct {
		name    string
		max     int
		payload int
		wantErr error
	}{
		{"empty payload", 64, 0, nil},
		{"payload at the limit", 64, 64, nil},
		{"payload over the limit", 64, 65, wire.ErrFrameTooLarge},
		{"default limit, at it", 0, wire.DefaultMaxFrame, nil},
		{"default limit, over it", 0, wire.DefaultMaxFrame + 1, wire.ErrFrameTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			payload := bytes.Repeat([]byte{'p'}, tc.payload)
			in := wire.AppendFrame(nil, wire.FramePing, payload)
			f, err := wire.NewFrameReader(bytes.NewReader(in), tc.max).ReadFrame()
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if err == nil && len(f.Payload) != tc.payload {
				t.Fatalf("read a %d-byte payload, want %d", len(f.Payload), tc.payload)
			}
		})
	}
}

func TestFrameTooLargeDoesNotAllocate(t *testing.T) {
	for _, hdr := range []string{"\xff\xff\xff\xff\x02", "\x00\x10\x00\x02\x02", "\x00\x00\x10\x02\x02"} {
		r := &hugeReader{hdr: []byte(hdr)}
		_, err := wire.NewFrameReader(r, 4096).ReadFrame()
		if !errors.Is(err, wire.ErrFrameTooLarge) {
			t.Fatalf("header % x: err = %v, want ErrFrameTooLarge", hdr, err)
		}
		if r.bodyReads != 0 {
			t.Fatalf("header % x: ReadFrame read the payload %d times before refusing", hdr, r.bodyReads)
		}
		perRun := allocatedPerRun(100, func() {
			_, _ = wire.NewFrameReader(&hugeReader{hdr: []byte(hdr)}, 4096).ReadFrame()
		})
		if perRun > 512 { // the error's text, not the payload
			t.Fatalf("header % x: ReadFrame allocated %d bytes per refusal", hdr, perRun)
		}
	}
}

func TestParseOpen(t *testing.T) {
	for _, tc := range []struct {
		name    string
		frame   wire.Frame
		want    wire.StreamKind
		wantMsg string // empty: no error
	}{
		{"ping", wire.Frame{Type: wire.FrameOpen, Payload: wire.OpenPayload(wire.KindPing)}, wire.KindPing, ""},
		{"unknown kind passes through", wire.Frame{Type: wire.FrameOpen, Payload: []byte{0x7f}}, 0x7f, ""},
		{"not an open frame", wire.Frame{Type: wire.FramePing, Payload: []byte{1}}, 0, "stream starts with ping, want open"},
		{"unknown frame type", wire.Frame{Type: 99, Payload: []byte{1}}, 0, "stream starts with frame type 99"},
		{"no kind", wire.Frame{Type: wire.FrameOpen}, 0, "open payload is 0 bytes, want 1"},
		{"two kinds", wire.Frame{Type: wire.FrameOpen, Payload: []byte{1, 1}}, 0, "open payload is 2 bytes, want 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := wire.ParseOpen(tc.frame)
			if tc.wantMsg == "" {
				if err != nil || got != tc.want {
					t.Fatalf("ParseOpen = %v, %v; want %v", got, err, tc.want)
				}
				return
			}
			if !errors.Is(err, wire.ErrFrameMalformed) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("ParseOpen = %v, %v; want ErrFrameMalformed saying %q", got, err, tc.wantMsg)
			}
		})
	}
	if got := wire.OpenPayload(wire.KindPing); !bytes.Equal(got, []byte{1}) {
		t.Fatalf("OpenPayload(KindPing) = % x, want 01", got)
	}
}

func TestErrorPayloadRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name     string
		code     wire.ErrorCode
		text     string
		wire     string
		wantCode wire.ErrorCode
	}{
		{"overloaded", wire.CodeOverloaded, "too many open streams", "\x0aoverloadedtoo many open streams", wire.CodeOverloaded},
		{"bad request", wire.CodeBadRequest, "unknown stream kind 9", "\x0bbad_requestunknown stream kind 9", wire.CodeBadRequest},
		{"no text", wire.CodeTimeout, "", "\x07timeout", wire.CodeTimeout},
		{"no code", "", "just text", "\x00just text", ""},
		{"nothing", "", "", "\x00", ""},
		{"code cut to 255 bytes", wire.ErrorCode(strings.Repeat("c", 300)), "t",
			"\xff" + strings.Repeat("c", 255) + "t", wire.ErrorCode(strings.Repeat("c", 255))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := wire.ErrorPayload(tc.code, tc.text)
			if string(p) != tc.wire {
				t.Fatalf("ErrorPayload = %q, want %q", p, tc.wire)
			}
			code, text, err := wire.ParseError(wire.Frame{Type: wire.FrameError, Payload: p})
			if err != nil || code != tc.wantCode || text != tc.text {
				t.Fatalf("ParseError = %q, %q, %v; want %q, %q", code, text, err, tc.wantCode, tc.text)
			}
		})
	}
}

func TestParseErrorMalformed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		frame   wire.Frame
		wantMsg string
	}{
		{"not an error frame", wire.Frame{Type: wire.FramePong, Payload: []byte("\x00")}, "not an error frame"},
		{"empty payload", wire.Frame{Type: wire.FrameError}, "not an error frame"},
		{"code beyond payload", wire.Frame{Type: wire.FrameError, Payload: []byte("\x05abc")}, "error code length 5 beyond payload"},
		{"code length 255, no code", wire.Frame{Type: wire.FrameError, Payload: []byte("\xff")}, "error code length 255 beyond payload"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, text, err := wire.ParseError(tc.frame)
			if !errors.Is(err, wire.ErrFrameMalformed) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("ParseError = %q, %q, %v; want ErrFrameMalformed saying %q", code, text, err, tc.wantMsg)
			}
		})
	}
}

func TestFrameStrings(t *testing.T) {
	for _, tc := range []struct {
		got, want string
	}{
		{wire.FrameOpen.String(), "open"},
		{wire.FramePing.String(), "ping"},
		{wire.FramePong.String(), "pong"},
		{wire.FrameError.String(), "error"},
		{wire.FrameCall.String(), "call"},
		{wire.FrameResult.String(), "result"},
		{wire.FrameCancel.String(), "cancel"},
		{wire.FrameType(42).String(), "frame type 42"},
		{wire.KindPing.String(), "ping"},
		{wire.KindCalls.String(), "calls"},
		{wire.StreamKind(42).String(), "stream kind 42"},
	} {
		if tc.got != tc.want {
			t.Errorf("String() = %q, want %q", tc.got, tc.want)
		}
	}
}
