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

// The handshake, frame and node-name fuzz targets. Each is seeded from the
// golden tables in handshake_test.go, frame_test.go and name_test.go, and
// from testdata/fuzz/<FuzzName>/. Run one with
//
//	go test ./wire -run='^$' -fuzz='^FuzzHandshake$' -fuzztime=20s

// FuzzHandshake reads one handshake message from arbitrary bytes: it must
// not panic, and whatever it accepts must re-encode to the bytes it read.
func FuzzHandshake(f *testing.F) {
	for _, tc := range handshakeGolden {
		f.Add([]byte(tc.wire))
		f.Add([]byte(tc.wire[:len(tc.wire)-1]))
	}
	f.Add([]byte("\x00\x00"))
	f.Add([]byte("\xff\xff\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, raw, err := wire.ReadHandshake(bytes.NewReader(data))
		if err != nil {
			if m != nil || raw != nil {
				t.Fatalf("ReadHandshake returned %#v, % x with error %v", m, raw, err)
			}
			return
		}
		if len(raw) > 2+wire.MaxHandshakeMsg || !bytes.HasPrefix(data, raw) {
			t.Fatalf("raw % x is not a bounded prefix of the input % x", raw, data)
		}
		if enc := wire.EncodeHandshake(m); !bytes.Equal(enc, raw) {
			t.Fatalf("%#v re-encodes to\n% x\nread from\n% x", m, enc, raw)
		}
		again, err := wire.DecodeHandshake(raw[2:])
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("DecodeHandshake(raw) = %#v, %v; want %#v", again, err, m)
		}
		switch m := m.(type) {
		case wire.Hello:
			if m.From.Validate() != nil || m.To.Validate() != nil {
				t.Fatalf("accepted a hello with bad names %#v", m)
			}
		case wire.Welcome:
			if m.From.Validate() != nil {
				t.Fatalf("accepted a welcome with a bad name %#v", m)
			}
		}
	})
}

// FuzzFrame reads frames from arbitrary bytes with a 4 KiB limit: it must
// not panic nor return a payload above the limit, and each frame it returns
// must re-encode to the bytes it consumed.
func FuzzFrame(f *testing.F) {
	const maxPayload = 4096
	var stream []byte
	for _, tc := range frameGolden {
		f.Add([]byte(tc.wire))
		f.Add([]byte(tc.wire[:len(tc.wire)-1]))
		stream = append(stream, tc.wire...)
	}
	f.Add(stream)
	f.Add([]byte("\xff\xff\xff\xff\x02"))
	f.Add([]byte("\x00\x00\x10\x01\x02"))
	f.Add([]byte("\x00\x00\x00\x00\x02"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		fr := wire.NewFrameReader(r, maxPayload)
		off := 0
		for {
			fm, err := fr.ReadFrame()
			if err != nil {
				if errors.Is(err, io.EOF) && off != len(data) {
					t.Fatalf("io.EOF at offset %d of %d", off, len(data))
				}
				if off == len(data) && err != io.EOF {
					t.Fatalf("at the end of the input: err = %v, want io.EOF", err)
				}
				return
			}
			if len(fm.Payload) > maxPayload {
				t.Fatalf("a %d-byte payload passed the %d-byte limit", len(fm.Payload), maxPayload)
			}
			enc := wire.AppendFrame(nil, fm.Type, fm.Payload)
			if end := len(data) - r.Len(); !bytes.Equal(enc, data[off:end]) {
				t.Fatalf("frame %#v re-encodes to % x, consumed % x", fm, enc, data[off:end])
			}
			off += len(enc)
		}
	})
}

// FuzzNodeName parses arbitrary names: it must not panic, and a name it
// accepts must validate and print as a name that parses to itself.
func FuzzNodeName(f *testing.F) {
	for _, tc := range nodeNameGolden {
		f.Add(tc.in, tc.defaultHost)
	}
	f.Add("", "")
	f.Add("al ex@localhost", "")
	f.Add("alex@kate@localhost", "")
	f.Add("alex@a..b", "")
	f.Add("alex", "bad host")
	f.Fuzz(func(t *testing.T, s, defaultHost string) {
		n, err := wire.ParseNodeName(s, defaultHost)
		if err != nil {
			if !errors.Is(err, wire.ErrBadName) {
				t.Fatalf("ParseNodeName(%q, %q): %v does not wrap ErrBadName", s, defaultHost, err)
			}
			if !n.IsZero() {
				t.Fatalf("ParseNodeName(%q, %q) returned %#v with its error", s, defaultHost, n)
			}
			return
		}
		if err := n.Validate(); err != nil {
			t.Fatalf("ParseNodeName(%q, %q) = %#v, which does not validate: %v", s, defaultHost, n, err)
		}
		again, err := wire.ParseNodeName(n.String(), "")
		if err != nil || again != n {
			t.Fatalf("ParseNodeName(%q) = %#v, %v; want %#v", n.String(), again, err, n)
		}
		if strings.Contains(s, "@") && n.String() != s {
			t.Fatalf("ParseNodeName(%q) prints as %q", s, n.String())
		}
	})
}
