package etf

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Inspect returns t as Elixir 1.14's iex prints it: :ok, nil, :"with space",
// String (for the atom Elixir.String), "HI" or <<1, 2, 3>>, 'hi' for a
// printable charlist, [1, 2], [a: 1, b: 2], [1 | 2], {:error, :enoent},
// %{a: 1}, %{"k" => 1}, &String.upcase/1, 1.0e20. Maps print in the order
// of their pairs (a BEAM sends small maps sorted, which is iex's order);
// structs print as the maps they are, as iex does when the struct's module
// is not loaded.
//
// Pids, references, ports and funs have no source syntax, and iex shows
// node-local numbers for remote ones (#PID<19119.171.0>) that only the
// printing node knows. Inspect names the node instead:
//
//	#PID<kate@localhost.165.0>                            node, ID, serial
//	#Reference<kate@localhost.2208017284.1616379905.159519> words last to first, as iex orders them
//	#Port<kate@localhost.5>
//	#Function<43.3316493/0 in :erl_eval>                  index, old uniq, arity, module
//
// A value outside the term model prints as #Go<type value>.
func Inspect(t Term) string {
	var sb strings.Builder
	inspect(&sb, t)
	return sb.String()
}

func inspect(sb *strings.Builder, t Term) {
	switch v := t.(type) {
	case Atom:
		sb.WriteString(atomLiteral(v))
	case int:
		sb.WriteString(strconv.Itoa(v))
	case int64:
		sb.WriteString(strconv.FormatInt(v, 10))
	case *big.Int:
		sb.WriteString(v.String())
	case float64:
		sb.WriteString(formatFloat(v))
	case Binary, BitBinary:
		inspectBits(sb, v)
	case Nil, List, Charlist, ImproperList:
		inspectList(sb, v)
	case Tuple:
		sb.WriteByte('{')
		inspectSeq(sb, v)
		sb.WriteByte('}')
	case Map:
		inspectMap(sb, v)
	case Pid:
		fmt.Fprintf(sb, "#PID<%s.%d.%d>", v.Node, v.ID, v.Serial)
	case Ref:
		sb.WriteString("#Reference<" + string(v.Node))
		w := v.Words()
		for i := len(w) - 1; i >= 0; i-- {
			sb.WriteString("." + strconv.FormatUint(uint64(w[i]), 10))
		}
		sb.WriteByte('>')
	case Port:
		fmt.Fprintf(sb, "#Port<%s.%d>", v.Node, v.ID)
	case Fun:
		fmt.Fprintf(sb, "#Function<%d.%d/%d in %s>", v.Index, v.OldUniq, v.Arity, atomLiteral(v.Module))
	case Export:
		fmt.Fprintf(sb, "&%s.%s/%d", atomLiteral(v.Module), functionName(v.Function), v.Arity)
	default:
		fmt.Fprintf(sb, "#Go<%T %v>", t, t)
	}
}

// functionName is a function atom in a remote call as Elixir writes it:
// upcase, +, "Foo", "kate@localhost".
func functionName(a Atom) string {
	s := string(a)
	if callableOperators[s] || isIdentifier(s) && !strings.ContainsRune(s, '@') && !startsUpper(s) {
		return s
	}
	return `"` + escape(s, '"') + `"`
}

func inspectSeq(sb *strings.Builder, elems []Term) {
	for i, e := range elems {
		if i > 0 {
			sb.WriteString(", ")
		}
		inspect(sb, e)
	}
}

func inspectBits(sb *strings.Builder, t Term) {
	data, bits, _ := bitsOf(t)
	if bits == 8 && printableBinary(data) {
		sb.WriteString(`"` + escape(string(data), '"') + `"`)
		return
	}
	sb.WriteString("<<")
	whole := data
	if bits != 8 {
		whole = data[:len(data)-1]
	}
	for i, c := range whole {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(strconv.Itoa(int(c)))
	}
	if bits != 8 {
		if len(whole) > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(sb, "%d::size(%d)", data[len(data)-1]>>(8-bits), bits)
	}
	sb.WriteString(">>")
}

func inspectList(sb *strings.Builder, t Term) {
	elems, tail, _ := flatten(t)
	_, proper := tail.(Nil)
	switch {
	case proper && len(elems) > 0 && printableCharlist(elems):
		var s strings.Builder
		for _, e := range elems {
			c, _ := toInt64(e)
			s.WriteRune(rune(c))
		}
		sb.WriteString("'" + escape(s.String(), '\'') + "'")
		return
	case proper && isKeyword(elems):
		sb.WriteByte('[')
		for i, e := range elems {
			if i > 0 {
				sb.WriteString(", ")
			}
			kv := e.(Tuple)
			sb.WriteString(atomKey(kv[0].(Atom)) + " ")
			inspect(sb, kv[1])
		}
		sb.WriteByte(']')
		return
	}
	sb.WriteByte('[')
	inspectSeq(sb, elems)
	if !proper {
		sb.WriteString(" | ")
		inspect(sb, tail)
	}
	sb.WriteByte(']')
}

// isKeyword reports whether elems is a keyword list: {atom, value} pairs
// whose keys are not module names.
func isKeyword(elems []Term) bool {
	for _, e := range elems {
		kv, ok := e.(Tuple)
		if !ok || len(kv) != 2 || !keywordKey(kv[0]) {
			return false
		}
	}
	return true
}

func keywordKey(t Term) bool {
	a, ok := t.(Atom)
	return ok && !strings.HasPrefix(string(a), "Elixir.")
}

func inspectMap(sb *strings.Builder, m Map) {
	keyword := true
	for _, p := range m {
		keyword = keyword && keywordKey(p.Key)
	}
	sb.WriteString("%{")
	for i, p := range m {
		if i > 0 {
			sb.WriteString(", ")
		}
		if keyword {
			sb.WriteString(atomKey(p.Key.(Atom)) + " ")
		} else {
			inspect(sb, p.Key)
			sb.WriteString(" => ")
		}
		inspect(sb, p.Value)
	}
	sb.WriteByte('}')
}

// formatFloat prints f as Elixir 1.14 does: whole values from 1 to 1e16
// with every digit and ".0", others through Erlang's io_lib_format:fwrite_g,
// which picks the shortest digits that read back as f and writes them in
// fixed or scientific form, whichever is shorter (fixed on a tie; always
// scientific for large values).
func formatFloat(f float64) string {
	if a := math.Abs(f); a >= 1 && a < 1e16 && f == math.Trunc(f) {
		return strconv.FormatFloat(f, 'f', 0, 64) + ".0"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	// 'e' with the shortest precision gives d.ddde±XX: the digits and the
	// decimal exponent of the first one.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, expText, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expText)
	sci := digits[:1] + "." + digits[1:]
	if len(digits) == 1 {
		sci += "0"
	}
	sci += "e" + strconv.Itoa(exp)
	point := exp + 1 // digits before the decimal point
	switch {
	case point >= len(digits): // a whole value of 1e16 or more
		return sign + sci
	case point > 0:
		return sign + digits[:point] + "." + digits[point:]
	}
	fixed := "0." + strings.Repeat("0", -point) + digits
	if len(fixed) <= len(sci) {
		return sign + fixed
	}
	return sign + sci
}
