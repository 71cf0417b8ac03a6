package wire_test

import (
	"errors"
	"strings"
	"testing"

	"chatd/wire"
)

// nodeNameGolden lists names that parse, with what they parse to. The fuzz
// target FuzzNodeName is seeded from it.
var nodeNameGolden = []struct {
	name        string
	in          string
	defaultHost string
	want        wire.NodeName
}{
	{"full name", "alex@localhost", "", wire.NodeName{Name: "alex", Host: "localhost"}},
	{"dns host", "kate@chat.example.com", "", wire.NodeName{Name: "kate", Host: "chat.example.com"}},
	{"ipv4 host", "moebi@127.0.0.1", "", wire.NodeName{Name: "moebi", Host: "127.0.0.1"}},
	{"every name byte", "Az09_-@h_o-st", "", wire.NodeName{Name: "Az09_-", Host: "h_o-st"}},
	{"one byte each", "a@b", "", wire.NodeName{Name: "a", Host: "b"}},
	{"name of 64 bytes", strings.Repeat("n", 64) + "@localhost", "", wire.NodeName{Name: strings.Repeat("n", 64), Host: "localhost"}},
	{"host of 253 bytes", "alex@" + longHost(253), "", wire.NodeName{Name: "alex", Host: longHost(253)}},
	{"explicit host beats the default", "alex@box", "other", wire.NodeName{Name: "alex", Host: "box"}},
	{"bare name gets localhost", "alex", "", wire.NodeName{Name: "alex", Host: wire.DefaultHost}},
	{"bare name gets the configured host", "kate", "box.lan", wire.NodeName{Name: "kate", Host: "box.lan"}},
}

// longHost returns a host of exactly n bytes made of 63-byte labels.
func longHost(n int) string {
	var b strings.Builder
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		label := min(63, n-b.Len())
		b.WriteString(strings.Repeat("h", label))
	}
	return b.String()
}

func TestParseNodeName(t *testing.T) {
	for _, tc := range nodeNameGolden {
		t.Run(tc.name, func(t *testing.T) {
			got, err := wire.ParseNodeName(tc.in, tc.defaultHost)
			if err != nil {
				t.Fatalf("ParseNodeName(%q, %q): %v", tc.in, tc.defaultHost, err)
			}
			if got != tc.want {
				t.Fatalf("ParseNodeName(%q, %q) = %#v, want %#v", tc.in, tc.defaultHost, got, tc.want)
			}
			if err := got.Validate(); err != nil {
				t.Fatalf("Validate(%v): %v", got, err)
			}
			if s := got.String(); s != tc.want.Name+"@"+tc.want.Host {
				t.Fatalf("String() = %q", s)
			}
			if got.IsZero() {
				t.Fatalf("IsZero() on %v", got)
			}
		})
	}
}

func TestParseNodeNameErrors(t *testing.T) {
	for _, tc := range []struct {
		name        string
		in          string
		defaultHost string
		wantMsg     string // a part of the error that names the problem
	}{
		{"empty", "", "", "the name part is empty"},
		{"empty name part", "@localhost", "", "the name part is empty"},
		{"empty host part", "alex@", "", "the host part is empty"},
		{"name of 65 bytes", strings.Repeat("n", 65) + "@localhost", "", "is 65 bytes long, the limit is 64"},
		{"bare name of 65 bytes", strings.Repeat("n", 65), "", "is 65 bytes long, the limit is 64"},
		{"space in name", "al ex@localhost", "", `"al ex" has ' ' at offset 2`},
		{"dot in name", "alex.b@localhost", "", `has '.' at offset 4`},
		{"non-ascii name", "alé@localhost", "", `"alé" has 'é' at offset 2`},
		{"invalid utf-8 in name", "al\xff@localhost", "", `has byte 0xff at offset 2`},
		{"non-ascii host", "alex@café", "", `host "café" has 'é' at offset 3`},
		{"nul in name", "al\x00@localhost", "", `has '\x00' at offset 2`},
		{"slash in name", "../alex", "", `has '.' at offset 0`},
		{"second at", "alex@kate@localhost", "", `host "kate@localhost" has '@' at offset 4`},
		{"port in host", "alex@localhost:4369", "", `has ':' at offset 9`},
		{"ipv6 host", "alex@::1", "", `host "::1" has ':'`},
		{"space in host", "alex@local host", "", `has ' ' at offset 5`},
		{"host of 254 bytes", "alex@" + longHost(254), "", "host is 254 bytes long, the limit is 253"},
		{"leading dot", "alex@.localhost", "", `host ".localhost" has an empty label`},
		{"trailing dot", "alex@localhost.", "", `host "localhost." has an empty label`},
		{"double dot", "alex@chat..example", "", `host "chat..example" has an empty label`},
		{"only a dot", "alex@.", "", `host "." has an empty label`},
		{"bad default host", "alex", "bad host", `host "bad host" has ' '`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := wire.ParseNodeName(tc.in, tc.defaultHost)
			if err == nil {
				t.Fatalf("ParseNodeName(%q, %q) = %v, want an error", tc.in, tc.defaultHost, got)
			}
			if !errors.Is(err, wire.ErrBadName) {
				t.Errorf("err = %v, want one wrapping ErrBadName", err)
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("err = %q, want it to say %q", err, tc.wantMsg)
			}
			if !got.IsZero() {
				t.Errorf("ParseNodeName returned %#v with its error, want the zero NodeName", got)
			}
		})
	}
}

func TestNodeNameValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n       wire.NodeName
		wantMsg string // empty: valid
	}{
		{"valid", wire.NodeName{Name: "alex", Host: "localhost"}, ""},
		{"zero", wire.NodeName{}, "the name part is empty"},
		{"no host", wire.NodeName{Name: "alex"}, "the host part is empty"},
		{"no name", wire.NodeName{Host: "localhost"}, "the name part is empty"},
		{"at in name", wire.NodeName{Name: "a@b", Host: "localhost"}, `has '@' at offset 1`},
		{"name too long", wire.NodeName{Name: strings.Repeat("x", 65), Host: "h"}, "the limit is 64"},
		{"empty label", wire.NodeName{Name: "alex", Host: "a..b"}, "empty label"},
		{"host too long", wire.NodeName{Name: "alex", Host: longHost(254)}, "the limit is 253"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.n.Validate()
			if tc.wantMsg == "" {
				if err != nil {
					t.Fatalf("Validate(%#v): %v", tc.n, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate(%#v) = nil, want an error saying %q", tc.n, tc.wantMsg)
			}
			if !errors.Is(err, wire.ErrBadName) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("Validate(%#v) = %v, want ErrBadName saying %q", tc.n, err, tc.wantMsg)
			}
		})
	}
}

func TestNodeNameIsZero(t *testing.T) {
	if !(wire.NodeName{}).IsZero() {
		t.Error("the zero NodeName is not IsZero")
	}
	if (wire.NodeName{Host: "localhost"}).IsZero() {
		t.Error("a NodeName with a host is IsZero")
	}
}
