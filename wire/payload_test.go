package wire_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"chatd/wire"
)

// payloadCodec is the encoder and parser of one frame payload. Every
// payload is checked alike: its golden bytes both ways, a malformed or cut
// payload refused with an error wrapping ErrFrameMalformed and the zero
// value, and in fuzzing, what parses re-encoding to the bytes it was read
// from.
type payloadCodec[T any] struct {
	name   string // as in AppendName and ParseName, for failure messages
	append func([]byte, T) []byte
	parse  func([]byte) (T, error)
}

// The payload codecs.
var (
	callCodec    = payloadCodec[wire.Call]{"Call", wire.AppendCall, wire.ParseCall}
	resultCodec  = payloadCodec[wire.Result]{"Result", wire.AppendResult, wire.ParseResult}
	cancelCodec  = payloadCodec[uint64]{"Cancel", wire.AppendCancel, wire.ParseCancel}
	spawnCodec   = payloadCodec[wire.Spawn]{"Spawn", wire.AppendSpawn, wire.ParseSpawn}
	pidCodec     = payloadCodec[wire.Pid]{"PidPayload", wire.AppendPidPayload, wire.ParsePidPayload}
	pidSendCodec = payloadCodec[wire.PidSend]{"PidSend", wire.AppendPidSend, wire.ParsePidSend}
)

// checkGolden checks that v encodes to golden, also after other bytes, and
// that golden parses to v.
func (c payloadCodec[T]) checkGolden(t *testing.T, v T, golden string) {
	t.Helper()
	if got := c.append(nil, v); string(got) != golden {
		t.Fatalf("Append%s\n got % x\nwant % x", c.name, got, golden)
	}
	if got := c.append([]byte("pre"), v); string(got) != "pre"+golden {
		t.Fatalf("Append%s after a prefix = % x", c.name, got)
	}
	got, err := c.parse([]byte(golden))
	if err != nil || !reflect.DeepEqual(got, v) {
		t.Fatalf("Parse%s = %#v, %v; want %#v", c.name, got, err, v)
	}
}

// checkMalformed checks that in is refused with an error that wraps
// ErrFrameMalformed and says each of says, and with the zero value.
func (c payloadCodec[T]) checkMalformed(t *testing.T, in string, says ...string) {
	t.Helper()
	v, err := c.parse([]byte(in))
	if !errors.Is(err, wire.ErrFrameMalformed) {
		t.Fatalf("Parse%s = %#v, %v; want ErrFrameMalformed", c.name, v, err)
	}
	for _, s := range says {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("Parse%s: %v; want it to say %q", c.name, err, s)
		}
	}
	var zero T
	if !reflect.DeepEqual(v, zero) {
		t.Fatalf("Parse%s returned %#v with its error", c.name, v)
	}
}

// malformed is a payload a parser must refuse, and what its error must
// say.
type malformed struct {
	name    string
	in      string
	wantMsg string
}

// malformedArgs are the bad arguments a call and a spawn share: header(n)
// is the payload up to and including an argument count of n.
func malformedArgs(header func(nargs uint16) string) []malformed {
	return []malformed{
		{"one arg over the limit", header(wire.MaxCallArgs+1) + strings.Repeat("\x00\x00\x00\x00", wire.MaxCallArgs+1), "1025 arguments, the limit is 1024"},
		{"65535 args claimed", header(0xffff), "65535 arguments"},
		{"1024 args claimed, none there", header(wire.MaxCallArgs), "truncated"},
		{"1024 args claimed, two there", header(wire.MaxCallArgs) + "\x00\x00\x00\x00\x00\x00\x00\x01x", "truncated"},
		{"arg length beyond payload", header(1) + "\x00\x00\x00\x09abc", "want 9 bytes, have 3"},
		{"arg length 4 GiB", header(1) + "\xff\xff\xff\xffabc", "have 3"},
	}
}

// fieldEnd is the offset where a named field of a golden payload ends.
type fieldEnd struct {
	end  int
	name string
}

// checkCuts cuts full at every offset before its end, in a subtest named
// for the field of fields the cut falls in, and checks that each cut is
// malformed.
func (c payloadCodec[T]) checkCuts(t *testing.T, full string, fields []fieldEnd) {
	t.Helper()
	if last := fields[len(fields)-1].end; last != len(full) {
		t.Fatalf("the fields end at %d, the golden %s is %d bytes", last, c.name, len(full))
	}
	field := 0
	for n := 0; n < len(full); n++ {
		for n >= fields[field].end {
			field++
		}
		t.Run(fmt.Sprintf("cut at %d in %s", n, fields[field].name), func(t *testing.T) {
			c.checkMalformed(t, full[:n])
		})
	}
}

// fuzz is the check every payload's fuzz target makes of arbitrary data:
// an error wraps ErrFrameMalformed and comes with the zero value; what
// parses re-encodes to exactly data and parses to itself again. It reports
// whether data parsed.
func (c payloadCodec[T]) fuzz(t *testing.T, data []byte) (T, bool) {
	t.Helper()
	v, err := c.parse(data)
	if err != nil {
		var zero T
		if !errors.Is(err, wire.ErrFrameMalformed) || !reflect.DeepEqual(v, zero) {
			t.Fatalf("Parse%s(% x) = %#v, %v; want the zero value and ErrFrameMalformed", c.name, data, v, err)
		}
		return v, false
	}
	enc := c.append(nil, v)
	if !bytes.Equal(enc, data) {
		t.Fatalf("%#v re-encodes to\n% x\nread from\n% x", v, enc, data)
	}
	again, err := c.parse(enc)
	if err != nil || !reflect.DeepEqual(again, v) {
		t.Fatalf("Parse%s(Append%[1]s(v)) = %#v, %v; want %#v", c.name, again, err, v)
	}
	return v, true
}

// seedPayloads adds each golden payload to f, with it one byte short and
// one byte long.
func seedPayloads(f *testing.F, goldens ...string) {
	for _, g := range goldens {
		f.Add([]byte(g))
		f.Add([]byte(g[:len(g)-1]))
		f.Add([]byte(g + "\x00"))
	}
}

// TestParseArgCountDoesNotAllocate checks that a call or spawn claiming
// many arguments in a short payload allocates in proportion to the
// payload, not to the claim: 1024 string headers would be 16 KiB.
func TestParseArgCountDoesNotAllocate(t *testing.T) {
	for _, payload := range []struct {
		name   string
		header func(nargs uint16) string
		parse  func([]byte) error
	}{
		{"call", callHeader, func(p []byte) error { _, err := wire.ParseCall(p); return err }},
		{"spawn", spawnHeader, func(p []byte) error { _, err := wire.ParseSpawn(p); return err }},
	} {
		for _, tc := range []struct {
			name string
			tail string
		}{
			{"no bytes", ""},
			{"three bytes", "\x00\x00\x00"},
			{"two empty args", "\x00\x00\x00\x00\x00\x00\x00\x00"},
			{"ten empty args", strings.Repeat("\x00\x00\x00\x00", 10)},
		} {
			t.Run(payload.name+" "+tc.name, func(t *testing.T) {
				p := []byte(payload.header(wire.MaxCallArgs) + tc.tail)
				if err := payload.parse(p); !errors.Is(err, wire.ErrFrameMalformed) {
					t.Fatalf("parse %s: err = %v, want ErrFrameMalformed", payload.name, err)
				}
				if perRun := allocatedPerRun(100, func() { _ = payload.parse(p) }); perRun > 1024 {
					t.Fatalf("parsing a %s allocated %d bytes per run for a %d-byte payload", payload.name, perRun, len(p))
				}
			})
		}
	}
}
