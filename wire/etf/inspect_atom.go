package etf

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// How Elixir 1.14 prints atoms and text (Macro.inspect_atom, String.printable?,
// Code.Identifier.escape), checked against a real iex.

// bareOperators are the operator atoms Elixir prints without quotes; others
// (:"::", :"//", :"=>", :"[]") are quoted.
var bareOperators = map[string]bool{
	"===": true, "!==": true, "==": true, "!=": true, "<=": true, ">=": true, "&&": true, "||": true,
	"<>": true, "++": true, "--": true, "+++": true, "---": true, "**": true, "<-": true, "..": true,
	"|>": true, "=~": true, "->": true, "|": true, "~>>": true, "<<~": true, "~>": true, "<~": true,
	"<~>": true, ">>>": true, "<<<": true, "|||": true, "&&&": true, "in": true, "when": true,
	"and": true, "or": true, "not": true, "*": true, "/": true, "+": true, "-": true, "=": true,
	"<": true, ">": true, `\\`: true, "...": true, ".": true, "!": true, "^": true, "@": true,
	"&": true, "%": true, "%{}": true, "{}": true, "<<>>": true, "..//": true,
}

// callableOperators are the operators Elixir writes bare as a remote call's
// function (&Kernel.+/2); others are quoted (&Kernel."//"/2).
var callableOperators = map[string]bool{
	"===": true, "!==": true, "==": true, "!=": true, "<=": true, ">=": true, "&&": true, "||": true,
	"<>": true, "++": true, "--": true, "+++": true, "---": true, "**": true, "::": true, "<-": true,
	"|>": true, "=~": true, "|": true, "~>>": true, "<<~": true, "~>": true, "<~": true, "<~>": true,
	"<|>": true, ">>>": true, "<<<": true, "|||": true, "&&&": true, "^^^": true, "~~~": true, "in": true,
	"when": true, "and": true, "or": true, "*": true, "/": true, "+": true, "-": true, "=": true, "<": true,
	">": true, "!": true, "^": true, "not": true, "@": true, "&": true, `\\`: true,
}

// startsUpper reports whether s starts with an upper- or titlecase letter,
// as Elixir aliases do.
func startsUpper(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r) || unicode.IsTitle(r)
}

// atomLiteral returns a as Elixir source: nil, true, String, :ok, :"a b".
func atomLiteral(a Atom) string {
	s := string(a)
	switch {
	case s == "nil" || s == "true" || s == "false":
		return s
	case isModule(s):
		return moduleName(s)
	case bareOperators[s] || isIdentifier(s):
		return ":" + s
	}
	return `:"` + escape(s, '"') + `"`
}

// atomKey returns a as a keyword key: a:, "a b":.
func atomKey(a Atom) string {
	s := string(a)
	if (bareOperators[s] || isIdentifier(s)) && !isModule(s) {
		return s + ":"
	}
	return `"` + escape(s, '"') + `":`
}

// isModule reports whether s is an Elixir module atom: "Elixir", or
// "Elixir." then dot-separated aliases such as Chat.TaskSupervisor.
func isModule(s string) bool {
	if s == "Elixir" {
		return true
	}
	rest, ok := strings.CutPrefix(s, "Elixir.")
	if !ok {
		return false
	}
	for seg := range strings.SplitSeq(rest, ".") {
		if seg == "" || seg[0] < 'A' || seg[0] > 'Z' {
			return false
		}
		for _, c := range []byte(seg[1:]) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
				return false
			}
		}
	}
	return true
}

// moduleName strips "Elixir.", except where Elixir keeps the prefix.
func moduleName(s string) string {
	rest, _ := strings.CutPrefix(s, "Elixir.")
	if rest == "Elixir" || strings.HasPrefix(rest, "Elixir.") || s == "Elixir" {
		return s
	}
	return rest
}

// isIdentifier reports whether s is an atom Elixir writes unquoted: a
// letter or _, then letters, digits, _ or @, and an optional final ? or !.
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || unicode.IsLetter(r):
		case i > 0 && (r == '@' || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)):
		case i > 0 && (r == '?' || r == '!') && i+1 == len(s):
		default:
			return false
		}
	}
	return true
}

// printableBinary is Elixir's String.printable?: valid UTF-8 of printable
// characters and the usual escapes.
func printableBinary(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return false
		}
		if !printableRune(r) && !strings.ContainsRune("\n\r\t\v\b\f\x1b\x7f\a", r) {
			return false
		}
		b = b[n:]
	}
	return true
}

func printableRune(r rune) bool {
	return r >= 0x20 && r <= 0x7e || r >= 0xa0 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd || r >= 0x10000 && r <= 0x10ffff
}

// printableCharlist is Elixir's List.ascii_printable?.
func printableCharlist(elems []Term) bool {
	for _, e := range elems {
		c, ok := toInt64(e)
		if !ok || !(c >= 0x20 && c <= 0x7e || c >= 7 && c <= 13 || c == 0x1b) {
			return false
		}
	}
	return true
}

// escape writes s for inside quotes q as Elixir does: the quote, \ and #{
// escaped, control characters as \n, \t, \e..., others as \xHH or \x{H}.
func escape(s string, q rune) string {
	var sb strings.Builder
	for i, r := range s {
		switch {
		case r == q || r == '\\':
			sb.WriteByte('\\')
			sb.WriteRune(r)
		case r == '#' && strings.HasPrefix(s[i+1:], "{"):
			sb.WriteString(`\#`)
		case controlEscapes[r] != "":
			sb.WriteString(controlEscapes[r])
		case printableRune(r):
			sb.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&sb, `\x%02X`, r)
		default:
			fmt.Fprintf(&sb, `\x{%X}`, r)
		}
	}
	return sb.String()
}

var controlEscapes = map[rune]string{
	0: `\0`, '\a': `\a`, '\b': `\b`, '\t': `\t`, '\n': `\n`, '\v': `\v`, '\f': `\f`, '\r': `\r`,
	0x1b: `\e`, 0x7f: `\d`,
}
