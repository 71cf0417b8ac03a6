package wire

import (
	"strings"
	"unicode/utf8"
)

// MaxShownArgs bounds TaskInfo.Args and ProcessInfo.Args, in bytes.
const MaxShownArgs = 80

// ShownArgs returns args as TaskInfo.Args and ProcessInfo.Args show them:
// joined with spaces and shortened to MaxShownArgs bytes.
func ShownArgs(args []string) string { return Shorten(strings.Join(args, " "), MaxShownArgs) }

// Shorten cuts s to at most n bytes on a character boundary and appends
// "…" when it cut anything: how a listing bounds a text it shows.
func Shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
