package wire_test

import (
	"errors"
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
		seedPayloads(f, tc.wire)
	}
	for _, tc := range pidPayloadGolden {
		f.Add([]byte(tc.wire))
	}
	f.Add([]byte(spawnHeader(wire.MaxCallArgs)))
	f.Add([]byte(spawnHeader(wire.MaxCallArgs + 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, ok := spawnCodec.fuzz(t, data); ok {
			if s.Function == "" || len(s.Function) > wire.MaxFunctionName || len(s.Args) > wire.MaxCallArgs || s.LinkedTo.IsZero() {
				t.Fatalf("ParseSpawn accepted %#v", s)
			}
		}
		// The same bytes as a FrameSpawned payload.
		pidCodec.fuzz(t, data)
	})
}

// FuzzPidSend decodes arbitrary FrameSend payloads: ParsePidSend must not
// panic, an error must wrap ErrFrameMalformed and come with the zero
// PidSend, and a send it accepts must re-encode to exactly the bytes it
// read.
func FuzzPidSend(f *testing.F) {
	for _, tc := range pidSendGolden {
		seedPayloads(f, tc.wire)
	}
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x05" + pidField("<a@b.01.0>") + pidField("<a@b.1.0>")))
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x05" + "\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if m, ok := pidSendCodec.fuzz(t, data); ok && (m.To.IsZero() || m.From.IsZero()) {
			t.Fatalf("ParsePidSend accepted %#v", m)
		}
	})
}
