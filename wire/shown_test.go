package wire_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"chatd/wire"
)

// TestShorten cuts texts of one- to four-byte characters at every length:
// a text that fits stays whole; a longer one becomes its longest prefix
// that fits and ends on a character boundary, then "…".
func TestShorten(t *testing.T) {
	for _, s := range []string{"", "abc", "abcdef", "aé", "abcdé", "日本語", "a😀b"} {
		for n := 0; n <= len(s)+1; n++ {
			got := wire.Shorten(s, n)
			if len(s) <= n {
				if got != s {
					t.Errorf("Shorten(%q, %d) = %q, want it whole", s, n, got)
				}
				continue
			}
			prefix, cut := strings.CutSuffix(got, "…")
			if !cut || !strings.HasPrefix(s, prefix) || !utf8.ValidString(prefix) || len(prefix) > n {
				t.Errorf("Shorten(%q, %d) = %q, want a whole-character prefix of at most %d bytes, then …", s, n, got, n)
				continue
			}
			if _, next := utf8.DecodeRuneInString(s[len(prefix):]); len(prefix)+next <= n {
				t.Errorf("Shorten(%q, %d) = %q, cut more than the %d bytes allow", s, n, got, n)
			}
		}
	}
}

func TestShownArgs(t *testing.T) {
	if got := wire.ShownArgs([]string{"a", "", "b c"}); got != "a  b c" {
		t.Fatalf("ShownArgs = %q, want the args joined with spaces", got)
	}
	long := []string{strings.Repeat("x", wire.MaxShownArgs), "y"}
	if got, want := wire.ShownArgs(long), strings.Repeat("x", wire.MaxShownArgs)+"…"; got != want {
		t.Fatalf("ShownArgs of %d bytes = %q, want %q", wire.MaxShownArgs+2, got, want)
	}
}
