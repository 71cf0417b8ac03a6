package wire_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"chatd/wire"
)

// The pid and process fuzz targets, seeded from pidGolden, spawnGolden,
// pidSendGolden and testdata/fuzz/<FuzzName>/. Run one with
//
//	go test ./wire -run='^$' -fuzz='^FuzzSpawn$' -fuzztime=20s

// FuzzPid parses arbitrary text as a pid: ParsePid must not panic, an
// error must wrap ErrBadPid, name the accepted form and come with the zero
// Pid, and a pid it accepts must print as text that parses to itself.
func FuzzPid(f *testing.F) {
	for _, tc := range pidGolden {
		f.Add(tc.in)
		f.Add(tc.in[1:])
		f.Add(tc.in[:len(tc.in)-1])
	}
	f.Add("")
	f.Add("<>")
	f.Add("<kate>")
	f.Add("<x@y.a.b>")
	f.Add("<kate@localhost.042.007>")
	f.Add("<kate@localhost.42.4294967296>")
	f.Add("<kate@localhost.+1.-1>")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := wire.ParsePid(s)
		if err != nil {
			if !errors.Is(err, wire.ErrBadPid) || !strings.Contains(err.Error(), wire.PidFormat) {
				t.Fatalf("ParsePid(%q): %v does not wrap ErrBadPid and name %s", s, err, wire.PidFormat)
			}
			if !p.IsZero() {
				t.Fatalf("ParsePid(%q) returned %#v with its error", s, p)
			}
			return
		}
		if err := p.Node.Validate(); err != nil {
			t.Fatalf("ParsePid(%q) = %#v, whose node does not validate: %v", s, p, err)
		}
		text := p.String()
		if len(text) > len(s) || len(text) > wire.MaxPidLen {
			t.Fatalf("ParsePid(%q) prints as %q, longer than its input", s, text)
		}
		again, err := wire.ParsePid(text)
		if err != nil || again != p {
			t.Fatalf("ParsePid(%q) = %#v, %v; want %#v", text, again, err, p)
		}
		// The wire carries the printed form.
		if got, err := wire.ParsePidPayload(wire.AppendPidPayload(nil, p)); err != nil || got != p {
			t.Fatalf("pid payload of %v = %#v, %v", p, got, err)
		}
	})
}

// FuzzSpawn decodes arbitrary FrameSpawn payloads: ParseSpawn must not
// panic, an error must wrap ErrFrameMalformed and come with the zero Spawn,
// and a spawn it accepts must re-encode to exactly the bytes it read.
func FuzzSpawn(f *testing.F) {
	for _, tc := range spawnGolden {
		f.Add([]byte(tc.wire))
		f.Add([]byte(tc.wire[:len(tc.wire)-1]))
		f.Add([]byte(tc.wire + "\x00"))
	}
	for _, tc := range pidPayloadGolden {
		f.Add([]byte(tc.wire))
	}
	f.Add([]byte(spawnHeader(wire.MaxCallArgs)))
	f.Add([]byte(spawnHeader(wire.MaxCallArgs + 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := wire.ParseSpawn(data)
		if err != nil {
			if !errors.Is(err, wire.ErrFrameMalformed) {
				t.Fatalf("ParseSpawn(% x): %v does not wrap ErrFrameMalformed", data, err)
			}
			if !reflect.DeepEqual(s, wire.Spawn{}) {
				t.Fatalf("ParseSpawn(% x) returned %#v with its error", data, s)
			}
		} else {
			if s.Function == "" || len(s.Function) > wire.MaxFunctionName || len(s.Args) > wire.MaxCallArgs || s.LinkedTo.IsZero() {
				t.Fatalf("ParseSpawn accepted %#v", s)
			}
			enc := wire.AppendSpawn(nil, s)
			if !bytes.Equal(enc, data) {
				t.Fatalf("%#v re-encodes to\n% x\nread from\n% x", s, enc, data)
			}
			again, err := wire.ParseSpawn(enc)
			if err != nil || !reflect.DeepEqual(again, s) {
				t.Fatalf("ParseSpawn(AppendSpawn(s)) = %#v, %v; want %#v", again, err, s)
			}
		}
		// The same bytes as a FrameSpawned payload.
		p, err := wire.ParsePidPayload(data)
		if err != nil {
			if !errors.Is(err, wire.ErrFrameMalformed) || !p.IsZero() {
				t.Fatalf("ParsePidPayload(% x) = %#v, %v; want the zero Pid and ErrFrameMalformed", data, p, err)
			}
			return
		}
		if enc := wire.AppendPidPayload(nil, p); !bytes.Equal(enc, data) {
			t.Fatalf("%v re-encodes to\n% x\nread from\n% x", p, enc, data)
		}
	})
}

// FuzzPidSend decodes arbitrary FrameSend payloads: ParsePidSend must not
// panic, an error must wrap ErrFrameMalformed and come with the zero
// PidSend, and a send it accepts must re-encode to exactly the bytes it
// read.
func FuzzPidSend(f *testing.F) {
	for _, tc := range pidSendGolden {
		f.Add([]byte(tc.wire))
		f.Add([]byte(tc.wire[:len(tc.wire)-1]))
		f.Add([]byte(tc.wire + "\x00"))
	}
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x05" + pidField("<a@b.01.0>") + pidField("<a@b.1.0>")))
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x05" + "\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := wire.ParsePidSend(data)
		if err != nil {
			if !errors.Is(err, wire.ErrFrameMalformed) {
				t.Fatalf("ParsePidSend(% x): %v does not wrap ErrFrameMalformed", data, err)
			}
			if m != (wire.PidSend{}) {
				t.Fatalf("ParsePidSend(% x) returned %#v with its error", data, m)
			}
			return
		}
		if m.To.IsZero() || m.From.IsZero() {
			t.Fatalf("ParsePidSend accepted %#v", m)
		}
		enc := wire.AppendPidSend(nil, m)
		if !bytes.Equal(enc, data) {
			t.Fatalf("%#v re-encodes to\n% x\nread from\n% x", m, enc, data)
		}
		again, err := wire.ParsePidSend(enc)
		if err != nil || again != m {
			t.Fatalf("ParsePidSend(AppendPidSend(m)) = %#v, %v; want %#v", again, err, m)
		}
	})
}
