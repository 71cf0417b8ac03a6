package wire_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"chatd/wire"
)

// nn is a NodeName literal.
func nn(name, host string) wire.NodeName { return wire.NodeName{Name: name, Host: host} }

// seq32 returns the 32 bytes start, start+1, ..., start+31.
func seq32(start byte) (a [32]byte) {
	for i := range a {
		a[i] = start + byte(i)
	}
	return a
}

// handshakeGolden holds one message of each type and its bytes, written out
// by hand from SPEC.md. FuzzHandshake is seeded from it.
var handshakeGolden = []struct {
	name string
	msg  wire.HandshakeMsg
	wire string
}{
	{
		name: "hello",
		msg: wire.Hello{Version: 1, From: nn("alex", "localhost"), To: nn("kate", "localhost"),
			Incarnation: 0x0102030405060708, Challenge: seq32(0x00)},
		wire: "\x00\x4b" + // length 75
			"\x01" + // type hello
			"\x00\x01" + // version 1
			"\x00\x0ealex@localhost" + // from
			"\x00\x0ekate@localhost" + // to
			"\x01\x02\x03\x04\x05\x06\x07\x08" + // incarnation
			"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f" + // challenge
			"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f",
	},
	{
		name: "welcome",
		msg: wire.Welcome{Version: 1, From: nn("kate", "localhost"),
			Incarnation: 0xfedcba9876543210, Challenge: seq32(0x20)},
		wire: "\x00\x3b" + // length 59
			"\x02" + // type welcome
			"\x00\x01" + // version 1
			"\x00\x0ekate@localhost" + // from
			"\xfe\xdc\xba\x98\x76\x54\x32\x10" + // incarnation
			"\x20\x21\x22\x23\x24\x25\x26\x27\x28\x29\x2a\x2b\x2c\x2d\x2e\x2f" + // challenge
			"\x30\x31\x32\x33\x34\x35\x36\x37\x38\x39\x3a\x3b\x3c\x3d\x3e\x3f",
	},
	{
		name: "proof",
		msg:  wire.Proof{MAC: seq32(0x40)},
		wire: "\x00\x21" + // length 33
			"\x03" + // type proof
			"\x40\x41\x42\x43\x44\x45\x46\x47\x48\x49\x4a\x4b\x4c\x4d\x4e\x4f" + // MAC
			"\x50\x51\x52\x53\x54\x55\x56\x57\x58\x59\x5a\x5b\x5c\x5d\x5e\x5f",
	},
	{
		name: "refuse cookie",
		msg:  wire.Refuse{Reason: wire.RefuseCookie, Text: "no"},
		wire: "\x00\x05" + // length 5
			"\x04" + // type refuse
			"\x01" + // reason 1, cookie mismatch
			"\x02no", // text
	},
	{
		name: "refuse duplicate without text",
		msg:  wire.Refuse{Reason: wire.RefuseDuplicate},
		wire: "\x00\x03\x04\x05\x00",
	},
	{
		name: "refuse name in use",
		msg:  wire.Refuse{Reason: wire.RefuseNameInUse, Text: "kate@localhost is linked to a live node of that name"},
		wire: "\x00\x37\x04\x03\x34kate@localhost is linked to a live node of that name",
	},
	{
		name: "ready",
		msg:  wire.Ready{},
		wire: "\x00\x01\x05",
	},
	{
		name: "hello with long names and a zero challenge",
		msg: wire.Hello{Version: 0xabcd, From: nn("Az09_-", "h_o-st.example"), To: nn("b", "10.0.0.1"),
			Incarnation: 0},
		wire: "\x00\x4e\x01\xab\xcd" +
			"\x00\x15Az09_-@h_o-st.example" +
			"\x00\x0ab@10.0.0.1" +
			"\x00\x00\x00\x00\x00\x00\x00\x00" +
			"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00" +
			"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
	},
}

func TestHandshakeGolden(t *testing.T) {
	for _, tc := range handshakeGolden {
		t.Run(tc.name, func(t *testing.T) {
			if got := wire.EncodeHandshake(tc.msg); string(got) != tc.wire {
				t.Fatalf("EncodeHandshake(%#v)\n got % x\nwant % x", tc.msg, got, tc.wire)
			}
			r := strings.NewReader(tc.wire + "next")
			m, raw, err := wire.ReadHandshake(r)
			if err != nil {
				t.Fatalf("ReadHandshake: %v", err)
			}
			if !reflect.DeepEqual(m, tc.msg) {
				t.Fatalf("ReadHandshake = %#v, want %#v", m, tc.msg)
			}
			if string(raw) != tc.wire {
				t.Fatalf("ReadHandshake raw = % x, want % x", raw, tc.wire)
			}
			if r.Len() != len("next") {
				t.Fatalf("ReadHandshake consumed %d bytes past the message", len("next")-r.Len())
			}
			if m.HandshakeType() != wire.HandshakeType(tc.wire[2]) {
				t.Fatalf("HandshakeType() = %d, want %d", m.HandshakeType(), tc.wire[2])
			}
			d, err := wire.DecodeHandshake([]byte(tc.wire[2:]))
			if err != nil || !reflect.DeepEqual(d, tc.msg) {
				t.Fatalf("DecodeHandshake = %#v, %v; want %#v", d, err, tc.msg)
			}
		})
	}
}

// writeCounter records each Write call.
type writeCounter struct {
	writes [][]byte
	err    error
}

func (w *writeCounter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	w.writes = append(w.writes, bytes.Clone(p))
	return len(p), nil
}

func TestWriteHandshake(t *testing.T) {
	for _, tc := range handshakeGolden {
		t.Run(tc.name, func(t *testing.T) {
			var w writeCounter
			sent, err := wire.WriteHandshake(&w, tc.msg)
			if err != nil {
				t.Fatalf("WriteHandshake: %v", err)
			}
			if len(w.writes) != 1 || string(w.writes[0]) != tc.wire {
				t.Fatalf("WriteHandshake wrote %q, want one Write of %q", w.writes, tc.wire)
			}
			if string(sent) != tc.wire {
				t.Fatalf("WriteHandshake returned % x, want % x", sent, tc.wire)
			}
		})
	}
	t.Run("write error", func(t *testing.T) {
		broken := errors.New("broken pipe")
		_, err := wire.WriteHandshake(&writeCounter{err: broken}, wire.Ready{})
		if !errors.Is(err, broken) || !strings.Contains(err.Error(), "ready") {
			t.Fatalf("err = %v, want one naming the message and wrapping %v", err, broken)
		}
	})
}

func TestRefuseTextTruncated(t *testing.T) {
	long := strings.Repeat("x", 300)
	b := wire.EncodeHandshake(wire.Refuse{Reason: wire.RefuseBusy, Text: long})
	if want := 2 + 1 + 2 + 255; len(b) != want {
		t.Fatalf("encoded %d bytes, want %d", len(b), want)
	}
	m, _, err := wire.ReadHandshake(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if r := m.(wire.Refuse); r.Reason != wire.RefuseBusy || r.Text != long[:255] {
		t.Fatalf("decoded %#v, want the text cut to 255 bytes", r)
	}
}

// helloBytes frames a Hello whose names are the given strings, valid or not.
func helloBytes(from, to string) string {
	body := []byte{byte(wire.HSHello), 0, 1}
	body = binary.BigEndian.AppendUint16(body, uint16(len(from)))
	body = append(body, from...)
	body = binary.BigEndian.AppendUint16(body, uint16(len(to)))
	body = append(body, to...)
	body = append(body, make([]byte, 8+wire.ChallengeLen)...)
	return string(binary.BigEndian.AppendUint16(nil, uint16(len(body)))) + string(body)
}

// frameHS frames a handshake body (type byte included) with its length.
func frameHS(body string) string {
	return string(binary.BigEndian.AppendUint16(nil, uint16(len(body)))) + body
}

func TestReadHandshakeErrors(t *testing.T) {
	hello := handshakeGolden[0].wire
	welcome := handshakeGolden[1].wire
	for _, tc := range []struct {
		name    string
		in      string
		wantIs  error
		wantMsg string
	}{
		{"nothing", "", io.EOF, "read handshake length"},
		{"half a length", "\x00", io.ErrUnexpectedEOF, "read handshake length"},
		{"length 0", "\x00\x00\x05", wire.ErrHandshakeMalformed, "length 0 outside 1..1024"},
		{"length 1025", "\x04\x01" + strings.Repeat("\x05", 1025), wire.ErrHandshakeMalformed, "length 1025 outside 1..1024"},
		{"length 65535", "\xff\xff" + strings.Repeat("\x05", 100), wire.ErrHandshakeMalformed, "length 65535 outside"},
		{"no body", "\x00\x01", io.ErrUnexpectedEOF, "read handshake body (1 bytes)"},
		{"body cut", "\x00\x05\x04\x01", io.ErrUnexpectedEOF, "read handshake body (5 bytes)"},
		{"hello cut", hello[:40], io.ErrUnexpectedEOF, "read handshake body (75 bytes)"},
		{"hello one byte short", hello[:len(hello)-1], io.ErrUnexpectedEOF, "read handshake body"},
		{"welcome cut", welcome[:3], io.ErrUnexpectedEOF, "read handshake body (59 bytes)"},
		{"empty hello", frameHS("\x01"), wire.ErrHandshakeMalformed, "hello: truncated"},
		{"hello without challenge", frameHS(hello[2 : len(hello)-32]), wire.ErrHandshakeMalformed, "hello: truncated: want 32 bytes, have 0"},
		{"hello cut in its name", frameHS(hello[2:10]), wire.ErrHandshakeMalformed, "hello: truncated: want 14 bytes, have 3"},
		{"welcome without incarnation", frameHS(welcome[2:21]), wire.ErrHandshakeMalformed, "welcome: truncated"},
		{"proof of 31 bytes", frameHS("\x03" + strings.Repeat("m", 31)), wire.ErrHandshakeMalformed, "proof: truncated: want 32 bytes, have 31"},
		{"refuse without reason", frameHS("\x04"), wire.ErrHandshakeMalformed, "refuse: truncated"},
		{"refuse text beyond body", frameHS("\x04\x01\x05abc"), wire.ErrHandshakeMalformed, "refuse: truncated: want 5 bytes, have 3"},
		{"ready with a body", frameHS("\x05\x00"), wire.ErrHandshakeMalformed, "ready: 1 trailing bytes"},
		{"proof of 33 bytes", frameHS("\x03" + strings.Repeat("m", 33)), wire.ErrHandshakeMalformed, "proof: 1 trailing bytes"},
		{"refuse with extra bytes", frameHS("\x04\x01\x02no!!"), wire.ErrHandshakeMalformed, "refuse: 2 trailing bytes"},
		{"hello with extra byte", frameHS(hello[2:] + "x"), wire.ErrHandshakeMalformed, "hello: 1 trailing bytes"},
		{"welcome with extra byte", frameHS(welcome[2:] + "x"), wire.ErrHandshakeMalformed, "welcome: 1 trailing bytes"},
		{"type 0", frameHS("\x00"), wire.ErrHandshakeMalformed, "unknown type 0"},
		{"type 6", frameHS("\x06"), wire.ErrHandshakeMalformed, "unknown type 6"},
		{"type 255 with a body", frameHS("\xffabc"), wire.ErrHandshakeMalformed, "unknown type 255"},
		{"hello from a bad name", helloBytes("al ex@localhost", "kate@localhost"), wire.ErrHandshakeMalformed, `"al ex" has ' ' at offset 2`},
		{"hello to a bare name", helloBytes("alex@localhost", "kate"), wire.ErrHandshakeMalformed, `"kate" is not name@host`},
		{"hello from nobody", helloBytes("", "kate@localhost"), wire.ErrHandshakeMalformed, "the name part is empty"},
		{"hello from an empty host", helloBytes("alex@", "kate@localhost"), wire.ErrHandshakeMalformed, "the host part is empty"},
		{"hello from a long name", helloBytes(strings.Repeat("a", 65)+"@localhost", "kate@localhost"), wire.ErrHandshakeMalformed, "the limit is 64"},
		{"hello to an empty label", helloBytes("alex@localhost", "kate@a..b"), wire.ErrHandshakeMalformed, "empty label"},
		{"hello to two ats", helloBytes("alex@localhost", "kate@x@y"), wire.ErrHandshakeMalformed, `host "x@y" has '@'`},
		{"hello from a nul", helloBytes("alex\x00@localhost", "kate@localhost"), wire.ErrHandshakeMalformed, `has '\x00' at offset 4`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, raw, err := wire.ReadHandshake(strings.NewReader(tc.in))
			if err == nil {
				t.Fatalf("ReadHandshake = %#v, % x; want an error", m, raw)
			}
			if !errors.Is(err, tc.wantIs) {
				t.Errorf("err = %v, want one wrapping %v", err, tc.wantIs)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %q, want it to say %q", err, tc.wantMsg)
			}
			if m != nil || raw != nil {
				t.Errorf("ReadHandshake returned %#v, % x with its error", m, raw)
			}
		})
	}
}

func TestDecodeHandshakeEmpty(t *testing.T) {
	if _, err := wire.DecodeHandshake(nil); !errors.Is(err, wire.ErrHandshakeMalformed) {
		t.Fatalf("DecodeHandshake(nil) = %v, want ErrHandshakeMalformed", err)
	}
}

// hugeReader serves hdr, then counts every further Read: a decoder that
// checks the length before allocating never reads past the header.
type hugeReader struct {
	hdr       []byte
	off       int
	bodyReads int
}

func (r *hugeReader) Read(p []byte) (int, error) {
	if r.off < len(r.hdr) {
		n := copy(p, r.hdr[r.off:])
		r.off += n
		return n, nil
	}
	r.bodyReads++
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// allocatedPerRun returns the heap bytes f allocates per call, averaged over
// runs calls.
func allocatedPerRun(runs int, f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	f() // warm up
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}

func TestReadHandshakeHugeLengthDoesNotAllocate(t *testing.T) {
	for _, hdr := range []string{"\x04\x01", "\x80\x00", "\xff\xff"} {
		r := &hugeReader{hdr: []byte(hdr)}
		_, _, err := wire.ReadHandshake(r)
		if !errors.Is(err, wire.ErrHandshakeMalformed) {
			t.Fatalf("length % x: err = %v, want ErrHandshakeMalformed", hdr, err)
		}
		if r.bodyReads != 0 {
			t.Fatalf("length % x: ReadHandshake read the body %d times before refusing", hdr, r.bodyReads)
		}
		perRun := allocatedPerRun(100, func() {
			_, _, _ = wire.ReadHandshake(&hugeReader{hdr: []byte(hdr)})
		})
		if perRun > 512 { // the error's text, not a 64 KiB buffer
			t.Fatalf("length % x: ReadHandshake allocated %d bytes per refusal", hdr, perRun)
		}
	}
}

func TestHandshakeStrings(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  string
		want string
	}{
		{"hello", wire.HSHello.String(), "hello"},
		{"welcome", wire.HSWelcome.String(), "welcome"},
		{"proof", wire.HSProof.String(), "proof"},
		{"refuse", wire.HSRefuse.String(), "refuse"},
		{"ready", wire.HSReady.String(), "ready"},
		{"unknown type", wire.HandshakeType(9).String(), "handshake type 9"},
		{"cookie", wire.RefuseCookie.String(), "cookie mismatch"},
		{"version", wire.RefuseVersion.String(), "version"},
		{"name in use", wire.RefuseNameInUse.String(), "name in use"},
		{"wrong node", wire.RefuseWrongNode.String(), "wrong node"},
		{"duplicate", wire.RefuseDuplicate.String(), "duplicate connection"},
		{"busy", wire.RefuseBusy.String(), "busy"},
		{"shutdown", wire.RefuseShutdown.String(), "shutting down"},
		{"bad message", wire.RefuseBadMessage.String(), "bad message"},
		{"unknown reason", wire.RefuseReason(200).String(), "refuse reason 200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("String() = %q, want %q", tc.got, tc.want)
			}
		})
	}
}

// refMAC computes HMAC-SHA256(cookie, label || transcript) independently of
// the package, with the labels SPEC.md gives.
func refMAC(cookie []byte, label string, transcript []byte) [wire.MACLen]byte {
	h := hmac.New(sha256.New, cookie)
	h.Write([]byte(label))
	h.Write(transcript)
	var out [wire.MACLen]byte
	h.Sum(out[:0])
	return out
}

func TestHandshakeMACs(t *testing.T) {
	cookie := []byte("secret_token")
	transcript := []byte(handshakeGolden[0].wire + handshakeGolden[1].wire)
	conn := wire.ConnectorMAC(cookie, transcript)
	acc := wire.AcceptorMAC(cookie, transcript)

	t.Run("labels as in the spec", func(t *testing.T) {
		if want := refMAC(cookie, "chatd/1 connector proof\x00", transcript); conn != want {
			t.Errorf("ConnectorMAC = %x, want %x", conn, want)
		}
		if want := refMAC(cookie, "chatd/1 acceptor proof\x00", transcript); acc != want {
			t.Errorf("AcceptorMAC = %x, want %x", acc, want)
		}
	})
	t.Run("connector and acceptor differ", func(t *testing.T) {
		if conn == acc {
			t.Fatal("ConnectorMAC == AcceptorMAC for the same transcript")
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		if wire.ConnectorMAC(cookie, transcript) != conn || wire.AcceptorMAC(cookie, transcript) != acc {
			t.Fatal("the MACs changed between calls")
		}
	})
	t.Run("cookie changes", func(t *testing.T) {
		for _, other := range []string{"", "secret_tokeN", "secret_token2", "Secret_token"} {
			if wire.ConnectorMAC([]byte(other), transcript) == conn {
				t.Errorf("ConnectorMAC is the same with cookie %q", other)
			}
			if wire.AcceptorMAC([]byte(other), transcript) == acc {
				t.Errorf("AcceptorMAC is the same with cookie %q", other)
			}
		}
	})
	t.Run("any transcript byte changes", func(t *testing.T) {
		for i := range transcript {
			changed := bytes.Clone(transcript)
			changed[i] ^= 0x01
			if wire.ConnectorMAC(cookie, changed) == conn {
				t.Errorf("ConnectorMAC unchanged after flipping byte %d", i)
			}
			if wire.AcceptorMAC(cookie, changed) == acc {
				t.Errorf("AcceptorMAC unchanged after flipping byte %d", i)
			}
		}
	})
	t.Run("transcript length changes", func(t *testing.T) {
		for _, changed := range [][]byte{transcript[:len(transcript)-1], append(bytes.Clone(transcript), 0), nil} {
			if wire.ConnectorMAC(cookie, changed) == conn || wire.AcceptorMAC(cookie, changed) == acc {
				t.Errorf("a MAC is unchanged for a %d-byte transcript", len(changed))
			}
		}
	})
	t.Run("verify", func(t *testing.T) {
		if !wire.VerifyMAC(conn, wire.ConnectorMAC(cookie, transcript)) {
			t.Error("VerifyMAC refuses equal MACs")
		}
		if wire.VerifyMAC(conn, acc) {
			t.Error("VerifyMAC accepts the acceptor's MAC as the connector's")
		}
		for i := range conn {
			bad := conn
			bad[i] ^= 0x80
			if wire.VerifyMAC(bad, conn) {
				t.Errorf("VerifyMAC accepts a MAC differing in byte %d", i)
			}
		}
	})
}

// TestHandshakeMACVectors pins the test vectors printed in SPEC.md: the
// golden hello and welcome above, cookie "secret_token".
func TestHandshakeMACVectors(t *testing.T) {
	cookie := []byte("secret_token")
	transcript := []byte(handshakeGolden[0].wire + handshakeGolden[1].wire)
	conn := wire.ConnectorMAC(cookie, transcript)
	if got, want := hex.EncodeToString(conn[:]), "68a39ea8b259985dd086265bd334274b4a33b0d668c68f3f4c6f41ff193cb21c"; got != want {
		t.Errorf("connector proof = %s, want %s", got, want)
	}
	transcript = append(transcript, wire.EncodeHandshake(wire.Proof{MAC: conn})...)
	acc := wire.AcceptorMAC(cookie, transcript)
	if got, want := hex.EncodeToString(acc[:]), "01fa801e8c3f9fd2e7f7941c9a758404f4e554d13e03a372356f4bcb89a34934"; got != want {
		t.Errorf("acceptor proof = %s, want %s", got, want)
	}
}

// TestHandshakeExchange plays both sides of a handshake as SPEC.md describes
// it, with the transcripts each side keeps.
func TestHandshakeExchange(t *testing.T) {
	for _, tc := range []struct {
		name            string
		connectorCookie string
		acceptorCookie  string
		wantOK          bool
	}{
		{"same cookie", "secret_token", "secret_token", true},
		{"different cookies", "secret_token", "other_token", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hello := wire.EncodeHandshake(handshakeGolden[0].msg)
			welcome := wire.EncodeHandshake(handshakeGolden[1].msg)

			// The connector proves first, over hello || welcome.
			cTranscript := append(bytes.Clone(hello), welcome...)
			proof := wire.EncodeHandshake(wire.Proof{MAC: wire.ConnectorMAC([]byte(tc.connectorCookie), cTranscript)})

			// The acceptor checks it over its own copy of the transcript.
			m, raw, err := wire.ReadHandshake(bytes.NewReader(proof))
			if err != nil {
				t.Fatal(err)
			}
			aTranscript := append(bytes.Clone(hello), welcome...)
			ok := wire.VerifyMAC(m.(wire.Proof).MAC, wire.ConnectorMAC([]byte(tc.acceptorCookie), aTranscript))
			if ok != tc.wantOK {
				t.Fatalf("acceptor verified the connector's proof: %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			// The acceptor proves over hello || welcome || the connector's proof.
			aTranscript = append(aTranscript, raw...)
			accProof := wire.AcceptorMAC([]byte(tc.acceptorCookie), aTranscript)
			cTranscript = append(cTranscript, proof...)
			if !wire.VerifyMAC(accProof, wire.AcceptorMAC([]byte(tc.connectorCookie), cTranscript)) {
				t.Fatal("connector refused the acceptor's proof")
			}
		})
	}
}
