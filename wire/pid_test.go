package wire_test

import (
	"errors"
	"strings"
	"testing"

	"chatd/wire"
)

// pidGolden lists pids in their text form with what they parse to. The
// fuzz target FuzzPid is seeded from it.
var pidGolden = []struct {
	name string
	in   string
	want wire.Pid
}{
	{"shell of a fresh node", "<kate@localhost.1.0>", wire.Pid{Node: wire.NodeName{Name: "kate", Host: "localhost"}, ID: 1}},
	{"the lesson's pid", "<kate@localhost.42.0>", wire.Pid{Node: wire.NodeName{Name: "kate", Host: "localhost"}, ID: 42}},
	{"dotted host", "<alex@chat.example.com.7.3>", wire.Pid{Node: wire.NodeName{Name: "alex", Host: "chat.example.com"}, ID: 7, Creation: 3}},
	{"ipv4 host", "<moebi@127.0.0.1.9.12>", wire.Pid{Node: wire.NodeName{Name: "moebi", Host: "127.0.0.1"}, ID: 9, Creation: 12}},
	{"host label of digits", "<a@b.123.4.5>", wire.Pid{Node: wire.NodeName{Name: "a", Host: "b.123"}, ID: 4, Creation: 5}},
	{"largest id and creation", "<kate@localhost.18446744073709551615.4294967295>",
		wire.Pid{Node: wire.NodeName{Name: "kate", Host: "localhost"}, ID: 1<<64 - 1, Creation: 1<<32 - 1}},
	{"longest node name", "<" + strings.Repeat("n", wire.MaxNameLen) + "@" + longHost(wire.MaxHostLen) + ".18446744073709551615.4294967295>",
		wire.Pid{Node: wire.NodeName{Name: strings.Repeat("n", wire.MaxNameLen), Host: longHost(wire.MaxHostLen)}, ID: 1<<64 - 1, Creation: 1<<32 - 1}},
}

func TestParsePid(t *testing.T) {
	for _, tc := range pidGolden {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.in) > wire.MaxPidLen {
				t.Fatalf("golden pid is %d bytes, over MaxPidLen %d", len(tc.in), wire.MaxPidLen)
			}
			got, err := wire.ParsePid(tc.in)
			if err != nil {
				t.Fatalf("ParsePid(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("ParsePid(%q) = %#v, want %#v", tc.in, got, tc.want)
			}
			if s := got.String(); s != tc.in {
				t.Fatalf("String() = %q, want %q", s, tc.in)
			}
			if got.IsZero() {
				t.Fatalf("IsZero() on %v", got)
			}
			if !wire.LooksLikePid(got.String()) {
				t.Fatalf("LooksLikePid(%q) = false", got)
			}
		})
	}
}

func TestParsePidErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		wantMsg string // a part of the error that names the problem
	}{
		{"empty", "", "not enclosed in < >"},
		{"only <", "<", "not enclosed in < >"},
		{"only >", ">", "not enclosed in < >"},
		{"only <>", "<>", "no .ID.CREATION"},
		{"node name only", "<kate>", "no .ID.CREATION after the node name"},
		{"no creation", "<kate@localhost.42>", "no .ID before the creation"},
		{"words for numbers", "<x@y.a.b>", `id "a" is not a number`},
		{"missing <", "kate@localhost.42.0>", "not enclosed in < >"},
		{"missing >", "<kate@localhost.42.0", "not enclosed in < >"},
		{"missing both", "kate@localhost.42.0", "not enclosed in < >"},
		{"reversed brackets", ">kate@localhost.42.0<", "not enclosed in < >"},
		{"no @host", "<kate.42.0>", `node "kate" has no @host`},
		{"empty name", "<@localhost.42.0>", "the name part is empty"},
		{"empty host", "<kate@.42.0>", "the host part is empty"},
		{"bad name byte", "<ka te@localhost.42.0>", `has ' ' at offset 2`},
		{"empty host label", "<kate@a..b.42.0>", "has an empty label"},
		{"two ats", "<kate@alex@localhost.42.0>", `has '@'`},
		{"empty id", "<kate@localhost..0>", `id "" is not a number`},
		{"empty creation", "<kate@localhost.42.>", `creation "" is not a 32-bit number`},
		{"negative id", "<kate@localhost.-1.0>", `id "-1" is not a number`},
		{"negative creation", "<kate@localhost.42.-1>", `creation "-1" is not a 32-bit number`},
		{"plus id", "<kate@localhost.+42.0>", `id "+42" is not a number`},
		{"plus creation", "<kate@localhost.42.+0>", `creation "+0" is not a 32-bit number`},
		{"hex id", "<kate@localhost.0x2a.0>", `id "0x2a" is not a number`},
		{"hex creation", "<kate@localhost.42.0x7>", `creation "0x7" is not a 32-bit number`},
		{"underscore in id", "<kate@localhost.4_2.0>", `id "4_2" is not a number`},
		{"space in id", "<kate@localhost. 42.0>", `id " 42" is not a number`},
		{"id overflow", "<kate@localhost.18446744073709551616.0>", `id "18446744073709551616" is not a number`},
		{"creation overflow", "<kate@localhost.42.4294967296>", `creation "4294967296" is not a 32-bit number`},
		{"creation of 64 bits", "<kate@localhost.42.18446744073709551615>", "is not a 32-bit number"},
		{"one byte over MaxPidLen", "<kate@localhost.1." + strings.Repeat("0", wire.MaxPidLen-18) + ">", "401 bytes long, the limit is 400"},
		{"far over MaxPidLen", "<" + strings.Repeat("x", 1<<16) + ">", "65538 bytes long, the limit is 400"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := wire.ParsePid(tc.in)
			if err == nil {
				t.Fatalf("ParsePid(%.80q) = %v, want an error", tc.in, p)
			}
			if !errors.Is(err, wire.ErrBadPid) {
				t.Fatalf("ParsePid(%.80q): %v does not wrap ErrBadPid", tc.in, err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.wantMsg) || !strings.Contains(msg, wire.PidFormat) {
				t.Fatalf("ParsePid(%.80q): %q, want it to say %q and %q", tc.in, msg, tc.wantMsg, wire.PidFormat)
			}
			if len(err.Error()) > 400 {
				t.Fatalf("ParsePid(%.80q): error of %d bytes quotes too much of the input", tc.in, len(err.Error()))
			}
			if !p.IsZero() {
				t.Fatalf("ParsePid(%.80q) returned %#v with its error", tc.in, p)
			}
		})
	}
}

// TestParsePidLeadingZeros pins that a typed pid may carry leading zeros,
// which String drops; the wire accepts only the printed form (see
// TestPidPayloadNotCanonical).
func TestParsePidLeadingZeros(t *testing.T) {
	p, err := wire.ParsePid("<kate@localhost.042.007>")
	if err != nil {
		t.Fatalf("ParsePid: %v", err)
	}
	if want := "<kate@localhost.42.7>"; p.String() != want {
		t.Fatalf("String() = %q, want %q", p, want)
	}
}

func TestPidZero(t *testing.T) {
	var p wire.Pid
	if !p.IsZero() {
		t.Fatal("zero Pid: IsZero() = false")
	}
	for _, p := range []wire.Pid{
		{ID: 1},
		{Creation: 1},
		{Node: wire.NodeName{Name: "kate"}},
	} {
		if p.IsZero() {
			t.Errorf("%#v: IsZero() = true", p)
		}
	}
}

func TestLooksLikePid(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"<kate@localhost.42.0>", true},
		{"<", true},
		{"kate@localhost", false},
		{"kate", false},
		{"", false},
		{" <kate@localhost.42.0>", false},
	} {
		if got := wire.LooksLikePid(tc.in); got != tc.want {
			t.Errorf("LooksLikePid(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
