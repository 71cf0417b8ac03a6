package etf

import (
	"strings"
	"unicode/utf8"
)

// Small accessors for matching decoded terms.

// IsAtom reports whether t is the atom a.
func IsAtom(t Term, a Atom) bool {
	x, ok := t.(Atom)
	return ok && x == a
}

// Tagged returns t as a tuple when it has arity elements and the first is
// the atom tag, like {'$gen_call', From, Request} or {ok, Pid}.
func Tagged(t Term, tag Atom, arity int) (Tuple, bool) {
	x, ok := t.(Tuple)
	if !ok || len(x) != arity || arity == 0 || !IsAtom(x[0], tag) {
		return nil, false
	}
	return x, true
}

// Int64 returns an integer term that fits an int64 (int, int64, or a
// *big.Int in range).
func Int64(t Term) (int64, bool) { return toInt64(t) }

// Elems returns the elements of a proper list: Nil, List, Charlist (its
// characters as int64), or an ImproperList whose tail turns out to be [].
// It reports false for anything else.
func Elems(t Term) ([]Term, bool) {
	elems, tail, ok := flatten(t)
	if !ok {
		return nil, false
	}
	if _, isNil := tail.(Nil); !isNil {
		return nil, false
	}
	return elems, true
}

// Text returns the text in t when it is text the way Elixir and Erlang send
// it: a UTF-8 Binary (an Elixir string), a Charlist (latin-1 bytes), or a
// proper list of Unicode code points (an Erlang string); [] is "".
func Text(t Term) (string, bool) {
	switch v := t.(type) {
	case Binary:
		if !utf8.Valid(v) {
			return "", false
		}
		return string(v), true
	case Charlist:
		var sb strings.Builder
		for _, c := range v {
			sb.WriteRune(rune(c))
		}
		return sb.String(), true
	}
	elems, ok := Elems(t)
	if !ok {
		return "", false
	}
	var sb strings.Builder
	for _, e := range elems {
		c, ok := toInt64(e)
		if !ok || c < 0 || c > utf8.MaxRune || !utf8.ValidRune(rune(c)) {
			return "", false
		}
		sb.WriteRune(rune(c))
	}
	return sb.String(), true
}
