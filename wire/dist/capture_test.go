package dist_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"chatd/internal/testkit"
	"chatd/wire/dist"
	"chatd/wire/etf"
)

// The captures of BEAM.md live with the ETF codec's test data.
var capturesDir = filepath.Join("..", "etf", "testdata", "captures")

// captured is one line of a capture that carries bytes.
type captured struct {
	line      int
	aToB      bool   // initiator (A) to acceptor (B)
	handshake bool   // a handshake payload (no length); else a whole frame
	op        int    // the control operation the proxy decoded, for a frame
	raw       []byte // the bytes
}

var (
	hsLine  = regexp.MustCompile(`(A->B|B->A) HS '.' raw=([0-9a-f]+)`)
	ctlLine = regexp.MustCompile(`(A->B|B->A) \[(112 pass-through|131,68 atomcache)[^\]]*\] CTL=\((\d+),`)
	hexLine = regexp.MustCompile(`(A->B|B->A)\s+hex=([0-9a-f]+)`)
)

func readCapture(t *testing.T, name string) []captured {
	t.Helper()
	f, err := os.Open(filepath.Join(capturesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []captured
	pending := map[string]int{} // the op of the next frame in each direction (lines of both may interleave)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if m := hsLine.FindStringSubmatch(text); m != nil {
			out = append(out, captured{line: n, aToB: m[1] == "A->B", handshake: true, raw: testkit.Unhex(m[2])})
		} else if m := ctlLine.FindStringSubmatch(text); m != nil {
			pending[m[1]], _ = strconv.Atoi(m[3])
		} else if m := hexLine.FindStringSubmatch(text); m != nil {
			op, ok := pending[m[1]]
			if !ok {
				t.Fatalf("%s:%d: a frame without its CTL line", name, n)
			}
			delete(pending, m[1])
			out = append(out, captured{line: n, aToB: m[1] == "A->B", op: op, raw: testkit.Unhex(m[2])})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCapturedHandshakes parses every captured handshake message in the
// role it had and re-encodes it to the same bytes.
func TestCapturedHandshakes(t *testing.T) {
	for _, name := range []string{"cap1.log", "cap1m.log", "cap2raw.log"} {
		n := 0
		for _, c := range readCapture(t, name) {
			if !c.handshake {
				continue
			}
			var msg dist.HandshakeMessage
			var err error
			switch {
			case c.raw[0] == 'N' && c.aToB:
				msg, err = dist.ParseSendName(c.raw)
			case c.raw[0] == 'N':
				msg, err = dist.ParseChallenge(c.raw)
			case c.raw[0] == 's':
				msg, err = dist.ParseStatus(c.raw)
			case c.raw[0] == 'r':
				msg, err = dist.ParseChallengeReply(c.raw)
			case c.raw[0] == 'a':
				msg, err = dist.ParseChallengeAck(c.raw)
			}
			if err != nil || msg == nil {
				t.Fatalf("%s:%d: % x: %v", name, c.line, c.raw, err)
			}
			enc, err := dist.AppendHandshake(nil, msg)
			if err != nil || !bytes.Equal(enc[2:], c.raw) {
				t.Fatalf("%s:%d: %#v re-encodes to % x, %v", name, c.line, msg, enc, err)
			}
			n++
		}
		if n != 5 {
			t.Errorf("%s: %d handshake messages, want 5", name, n)
		}
	}
}

// TestCapturedFrames parses every frame of cap1.log and cap1m.log into its
// typed control message, checks the operation against the proxy's
// decoding, and re-encodes the frame to the same bytes, both from the raw
// payload and from the decoded message.
func TestCapturedFrames(t *testing.T) {
	ops := map[dist.Op]int{}
	for _, name := range []string{"cap1.log", "cap1m.log"} {
		var stream []byte
		frames := 0
		for _, c := range readCapture(t, name) {
			if c.handshake {
				continue
			}
			f, err := dist.ParseFrame(c.raw[4:], etf.Decoder{})
			if err != nil {
				t.Fatalf("%s:%d: %v", name, c.line, err)
			}
			if int(f.Control.Op()) != c.op {
				t.Fatalf("%s:%d: parsed %s, the capture says op %d", name, c.line, f.Control.Op(), c.op)
			}
			ops[f.Control.Op()]++
			raw, err := dist.AppendFrameRaw(nil, f.Control, f.Payload)
			if err != nil || !bytes.Equal(raw, c.raw) {
				t.Fatalf("%s:%d: %#v re-encodes to\n% x, %v\nwant\n% x", name, c.line, f.Control, raw, err, c.raw)
			}
			var msg etf.Term
			if f.Payload != nil {
				if msg, err = f.Message(etf.Decoder{}); err != nil {
					t.Fatalf("%s:%d: %v", name, c.line, err)
				}
			}
			if enc, err := dist.AppendFrame(nil, f.Control, msg); err != nil || !bytes.Equal(enc, c.raw) {
				t.Fatalf("%s:%d: AppendFrame gives other bytes (%v)", name, c.line, err)
			}
			stream = dist.AppendTick(append(stream, c.raw...))
			frames++
		}
		readAll(t, stream, 2*frames)
	}
	for _, op := range []dist.Op{dist.OpLink, dist.OpRegSend, dist.OpMonitorP, dist.OpDemonitorP,
		dist.OpSendSender, dist.OpPayloadExit, dist.OpPayloadMonitorPExit, dist.OpSpawnRequest,
		dist.OpSpawnReply, dist.OpAliasSend} {
		if ops[op] == 0 {
			t.Errorf("no %s in the captures", op)
		}
	}
}

// readAll reads a stream of frames and ticks with ReadFrame, reusing one
// buffer, and checks how many it finds.
func readAll(t *testing.T, stream []byte, want int) {
	t.Helper()
	r := bytes.NewReader(stream)
	var buf []byte
	n := 0
	for r.Len() > 0 {
		body, err := dist.ReadFrame(r, 1<<16, buf)
		if err != nil {
			t.Fatalf("frame %d: %v", n, err)
		}
		if len(body) > 0 {
			if _, err := dist.ParseFrame(body, etf.Decoder{}); err != nil {
				t.Fatalf("frame %d read from the stream: %v", n, err)
			}
		}
		buf = body
		n++
	}
	if n != want {
		t.Fatalf("read %d frames and ticks, want %d", n, want)
	}
}

// TestCapturedAtomCacheFrames: frames with the 131 68 header, what a BEAM
// sends once DIST_HDR_ATOM_CACHE is negotiated, are refused as such.
func TestCapturedAtomCacheFrames(t *testing.T) {
	n := 0
	for _, c := range readCapture(t, "cap2raw.log") {
		if c.handshake {
			continue
		}
		_, err := dist.ParseFrame(c.raw[4:], etf.Decoder{})
		if !errors.Is(err, dist.ErrNotPassThrough) || !errors.Is(err, dist.ErrBadFrame) ||
			!strings.Contains(err.Error(), "131 68") {
			t.Fatalf("cap2raw.log:%d: %v", c.line, err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no frames in cap2raw.log")
	}
}
