package shellfun

import (
	"math/big"

	"chatd/wire/etf"
)

// Whitelist names what a fun may call on chatd, for refusals.
const Whitelist = "IO.puts/1, send/2 (and !), self/0, node/0, Node.self/0"

// body reads a non-empty list of expressions.
func (p *parser) body(t etf.Term, depth, line int) ([]expr, error) {
	elems, ok := etf.Elems(t)
	if !ok || len(elems) == 0 {
		return nil, refuse(line, "a body that is %s, not a list of expressions", kindOf(t))
	}
	return p.exprs(elems, depth, line)
}

// exprs reads each term of ts as an expression.
func (p *parser) exprs(ts []etf.Term, depth, line int) ([]expr, error) {
	return each(ts, depth, line, p.expr)
}

// each reads every term of ts with read (p.expr or p.pattern), stopping
// at the first refusal.
func each[T any](ts []etf.Term, depth, line int, read func(etf.Term, int, int) (T, error)) ([]T, error) {
	out := make([]T, 0, len(ts))
	for _, t := range ts {
		v, err := read(t, depth, line)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// expr reads one expression of the whitelist.
func (p *parser) expr(t etf.Term, depth, line int) (expr, error) {
	f, err := p.form(t, depth, line)
	if err != nil {
		return nil, err
	}
	if l, ok, err := leafOf(f); ok || err != nil {
		return l, err
	}
	switch {
	case f.tag == "tuple" && len(f.args) == 1:
		es, err := tupleOf(f, depth, p.expr)
		return tupleExpr{line: f.line, elems: es}, err
	case f.tag == "cons" && len(f.args) == 2:
		return p.list(f, depth)
	case f.tag == "bin" && len(f.args) == 1:
		return p.bin(f, depth)
	case f.tag == "match" && len(f.args) == 2:
		pat, err := p.pattern(f.args[0], depth+1, f.line)
		if err != nil {
			return nil, err
		}
		rhs, err := p.expr(f.args[1], depth+1, f.line)
		return matchExpr{line: f.line, pat: pat, rhs: rhs}, err
	case f.tag == "block" && len(f.args) == 1:
		body, err := p.body(f.args[0], depth+1, f.line)
		return blockExpr{body: body}, err
	case f.tag == "receive" && (len(f.args) == 1 || len(f.args) == 3):
		return p.receive(f, depth)
	case f.tag == "call" && len(f.args) == 2:
		return p.call(f, depth)
	case f.tag == "op" && len(f.args) == 3 && etf.IsAtom(f.args[0], "!"):
		args, err := p.exprs(f.args[1:], depth+1, f.line)
		return callExpr{line: f.line, bif: bifSend, args: args}, err
	case f.tag == "op" && len(f.args) >= 2:
		return nil, refuse(f.line, "the operator %s: only ! and a sign on a number literal are supported", etf.Inspect(f.args[0]))
	case f.tag == "fun" || f.tag == "named_fun":
		return nil, refuse(f.line, "a fun defined inside the fun: only the spawned fun itself may run")
	}
	return nil, refuse(f.line, "a %s expression: not in the whitelist (literals, variables, tuples, lists, binaries, =, receive, calls of %s)", f.tag, Whitelist)
}

// leaf is a form that is both an expression and a pattern.
type leaf interface {
	expr
	pattern
}

// leafOf reads a literal or a variable; it reports false for other forms.
func leafOf(f form) (leaf, bool, error) {
	if v, ok, err := literalOf(f); ok || err != nil {
		return literal{line: f.line, v: v}, true, err
	}
	if f.tag != "var" || len(f.args) != 1 {
		return nil, false, nil
	}
	name, ok := f.args[0].(etf.Atom)
	if !ok {
		return nil, true, refuse(f.line, "a variable named by %s", kindOf(f.args[0]))
	}
	return variable{line: f.line, name: name}, true, nil
}

// tupleOf reads the elements of a {tuple, A, Es} form with read, one
// level deeper.
func tupleOf[T any](f form, depth int, read func(etf.Term, int, int) (T, error)) ([]T, error) {
	elems, ok := etf.Elems(f.args[0])
	if !ok {
		return nil, refuse(f.line, "tuple elements that are %s", kindOf(f.args[0]))
	}
	return each(elems, depth+1, f.line, read)
}

// literalOf reads an atomic literal form, and a sign on a number literal
// ({op, A, '-', {integer, A, 1}}, which is how Elixir writes -1). It
// reports false for any other form.
func literalOf(f form) (value, bool, error) {
	arg := func() etf.Term {
		if len(f.args) == 1 {
			return f.args[0]
		}
		return nil
	}()
	switch f.tag {
	case "atom":
		if a, ok := arg.(etf.Atom); ok {
			return value{t: a, n: 1 + len(a)}, true, nil
		}
	case "integer", "char":
		if _, ok := toBig(arg); ok {
			return value{t: arg, n: 1}, true, nil
		}
	case "float":
		if _, ok := arg.(float64); ok {
			return value{t: arg, n: 1}, true, nil
		}
	case "string":
		return stringOf(f, arg)
	case "nil":
		if len(f.args) == 0 {
			return value{t: etf.Nil{}, n: 1}, true, nil
		}
	case "op":
		return signed(f)
	default:
		return value{}, false, nil
	}
	return value{}, true, refuse(f.line, "a malformed %s literal", f.tag)
}

// stringOf reads {string, A, Chars}: the value is the list of code points.
func stringOf(f form, arg etf.Term) (value, bool, error) {
	chars, ok := etf.Elems(arg)
	if !ok {
		return value{}, true, refuse(f.line, "a string literal of %s", kindOf(arg))
	}
	latin := make(etf.Charlist, 0, len(chars))
	for _, c := range chars {
		n, ok := etf.Int64(c)
		if !ok || n < 0 || n > 0x10ffff {
			return value{}, true, refuse(f.line, "a string literal holding %s, not a code point", kindOf(c))
		}
		if n > 255 {
			return value{t: etf.List(chars), n: 1 + len(chars)}, true, nil
		}
		latin = append(latin, byte(n))
	}
	if len(latin) == 0 {
		return value{t: etf.Nil{}, n: 1}, true, nil
	}
	return value{t: latin, n: 1 + len(latin)}, true, nil
}

// signed reads {op, A, '-' or '+', Literal} on an integer or float literal;
// it reports false for other operators.
func signed(f form) (value, bool, error) {
	if len(f.args) != 2 || !etf.IsAtom(f.args[0], "-") && !etf.IsAtom(f.args[0], "+") {
		return value{}, false, nil
	}
	operand, ok := f.args[1].(etf.Tuple)
	if !ok || len(operand) != 3 {
		return value{}, false, nil
	}
	minus := etf.IsAtom(f.args[0], "-")
	switch {
	case etf.IsAtom(operand[0], "integer"):
		n, ok := toBig(operand[2])
		if !ok {
			return value{}, true, refuse(f.line, "a malformed integer literal")
		}
		if minus {
			n = new(big.Int).Neg(n)
		}
		return value{t: etf.Integer(n), n: 1}, true, nil
	case etf.IsAtom(operand[0], "float"):
		x, ok := operand[2].(float64)
		if !ok {
			return value{}, true, refuse(f.line, "a malformed float literal")
		}
		if minus {
			x = -x
		}
		return value{t: x, n: 1}, true, nil
	}
	return value{}, false, nil
}

// list reads a chain of cons forms into one listExpr.
func (p *parser) list(f form, depth int) (expr, error) {
	l := listExpr{line: f.line}
	for {
		head, err := p.expr(f.args[0], depth+1, f.line)
		if err != nil {
			return nil, err
		}
		l.heads = append(l.heads, head)
		next, ok := f.args[1].(etf.Tuple)
		if !ok || len(next) != 4 || !etf.IsAtom(next[0], "cons") {
			break
		}
		if f, err = p.form(next, depth+1, f.line); err != nil {
			return nil, err
		}
	}
	tail, err := p.expr(f.args[1], depth+1, f.line)
	l.tail = tail
	return l, err
}

// bin reads {bin, A, Segments}: each {bin_element, A, Value, default,
// Types} with Types default, [integer] or [binary].
func (p *parser) bin(f form, depth int) (expr, error) {
	elems, ok := etf.Elems(f.args[0])
	if !ok {
		return nil, refuse(f.line, "binary segments that are %s", kindOf(f.args[0]))
	}
	b := binExpr{line: f.line}
	for _, e := range elems {
		s, err := p.form(e, depth+1, f.line)
		if err != nil {
			return nil, err
		}
		if s.tag != "bin_element" || len(s.args) != 3 {
			return nil, refuse(s.line, "a %s form where a bin_element belongs", s.tag)
		}
		if !etf.IsAtom(s.args[1], "default") {
			return nil, refuse(s.line, "a binary segment with a size: only default sizes are supported")
		}
		kind, ok := segKindOf(s.args[2])
		if !ok {
			return nil, refuse(s.line, "a binary segment of type %s: only integer and binary are supported", etf.Inspect(s.args[2]))
		}
		seg := binSeg{kind: kind}
		if lit, isStr := s.args[0].(etf.Tuple); isStr && len(lit) == 3 && etf.IsAtom(lit[0], "string") && kind == segInteger {
			if seg.bytes, err = p.stringBytes(lit, depth+2, s.line); err != nil {
				return nil, err
			}
		} else if seg.val, err = p.expr(s.args[0], depth+2, s.line); err != nil {
			return nil, err
		}
		b.segs = append(b.segs, seg)
	}
	return b, nil
}

// stringBytes reads a string literal segment: each code point gives its
// low 8 bits, as <<"...">> does in Erlang (Elixir sends UTF-8 bytes).
func (p *parser) stringBytes(t etf.Tuple, depth, line int) ([]byte, error) {
	f, err := p.form(t, depth, line)
	if err != nil {
		return nil, err
	}
	v, _, err := literalOf(f)
	if err != nil {
		return nil, err
	}
	chars, _ := etf.Elems(v.t)
	out := make([]byte, len(chars))
	for i, c := range chars {
		n, _ := etf.Int64(c)
		out[i] = byte(n)
	}
	return out, nil
}

// segKindOf reads a segment's type specifier list.
func segKindOf(t etf.Term) (segKind, bool) {
	if etf.IsAtom(t, "default") {
		return segInteger, true
	}
	types, ok := etf.Elems(t)
	if !ok || len(types) != 1 {
		return 0, false
	}
	switch {
	case etf.IsAtom(types[0], "integer"):
		return segInteger, true
	case etf.IsAtom(types[0], "binary"):
		return segBinary, true
	}
	return 0, false
}

// toBig returns an integer term as a *big.Int.
func toBig(t etf.Term) (*big.Int, bool) {
	switch v := t.(type) {
	case int64:
		return big.NewInt(v), true
	case *big.Int:
		return v, v != nil
	}
	return nil, false
}
