package wire_test

import (
	"bytes"
	"crypto/rand"
	"testing"
	"time"

	"chatd/wire"
)

// benchPayload is the payload of the frame benchmarks: the size of a small
// call.
var benchPayload = bytes.Repeat([]byte{'x'}, 64)

// benchCall is the call of the call benchmarks: a message's echo.
var benchCall = wire.Call{
	ID:       42,
	Timeout:  5 * time.Second,
	Function: "echo",
	MsgID:    "msg-0001",
	Args:     []string{"hello", "world"},
}

func BenchmarkFrameWrite(b *testing.B) {
	appendPayload := func(p []byte) []byte { return append(p, benchPayload...) }
	buf := make([]byte, 0, wire.FrameHeaderLen+len(benchPayload))
	b.SetBytes(int64(wire.FrameHeaderLen + len(benchPayload)))
	b.ReportAllocs()
	for b.Loop() {
		buf = wire.AppendFrameWith(buf[:0], wire.FrameCall, appendPayload)
	}
	if len(buf) != wire.FrameHeaderLen+len(benchPayload) {
		b.Fatalf("frame of %d bytes", len(buf))
	}
}

// BenchmarkFrameRead reads a stream of frames per iteration; ns/frame is
// the cost of one, payload allocation included.
func BenchmarkFrameRead(b *testing.B) {
	const frames = 256
	var stream []byte
	for range frames {
		stream = wire.AppendFrame(stream, wire.FrameCall, benchPayload)
	}
	br := bytes.NewReader(stream)
	fr := wire.NewFrameReader(br, wire.DefaultMaxFrame)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		br.Reset(stream)
		for range frames {
			f, err := fr.ReadFrame()
			if err != nil || f.Type != wire.FrameCall || len(f.Payload) != len(benchPayload) {
				b.Fatalf("read %s frame of %d bytes: %v", f.Type, len(f.Payload), err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*frames), "ns/frame")
}

func BenchmarkCallEncode(b *testing.B) {
	buf := wire.AppendCall(nil, benchCall)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = wire.AppendCall(buf[:0], benchCall)
	}
}

func BenchmarkCallDecode(b *testing.B) {
	payload := wire.AppendCall(nil, benchCall)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		c, err := wire.ParseCall(payload)
		if err != nil || c.ID != benchCall.ID || len(c.Args) != len(benchCall.Args) {
			b.Fatalf("ParseCall = %+v, %v", c, err)
		}
	}
}

// BenchmarkResultEncodeDecode is the executor appending a result and the
// caller parsing it.
func BenchmarkResultEncodeDecode(b *testing.B) {
	want := wire.Result{ID: 42, Value: "hello world"}
	buf := wire.AppendResult(nil, want)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = wire.AppendResult(buf[:0], want)
		r, err := wire.ParseResult(buf)
		if err != nil || r != want {
			b.Fatalf("ParseResult = %+v, %v", r, err)
		}
	}
}

// BenchmarkHandshakeMAC computes a connector proof over a hello and a
// welcome as a real handshake sends them, with a cookie as long as the one
// make install generates (64 hex digits).
func BenchmarkHandshakeMAC(b *testing.B) {
	hello := wire.Hello{Version: wire.ProtocolVersion, From: wire.NodeName{Name: "alex", Host: "localhost"},
		To: wire.NodeName{Name: "kate", Host: "localhost"}, Incarnation: 0x0102030405060708}
	welcome := wire.Welcome{Version: wire.ProtocolVersion, From: wire.NodeName{Name: "kate", Host: "localhost"},
		Incarnation: 0xfedcba9876543210}
	_, _ = rand.Read(hello.Challenge[:])
	_, _ = rand.Read(welcome.Challenge[:])
	transcript := append(wire.EncodeHandshake(hello), wire.EncodeHandshake(welcome)...)
	cookie := []byte("3f9a1c0e5b7d2468ace013579bdf02468ace13579bdf0246813579bdf02468ac")
	b.SetBytes(int64(len(transcript)))
	b.ReportAllocs()
	for b.Loop() {
		wire.ConnectorMAC(cookie, transcript)
	}
}
