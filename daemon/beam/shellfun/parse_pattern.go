package shellfun

import (
	"chatd/wire/etf"
)

// call reads {call, A, Callee, Args}; the callee must name a builtin of
// the whitelist by literal atoms.
func (p *parser) call(f form, depth int) (expr, error) {
	args, ok := etf.Elems(f.args[1])
	if !ok {
		return nil, refuse(f.line, "call arguments that are %s", kindOf(f.args[1]))
	}
	callee, err := p.form(f.args[0], depth+1, f.line)
	if err != nil {
		return nil, err
	}
	var bif builtin
	switch {
	case callee.tag == "remote" && len(callee.args) == 2:
		mod, okM := atomForm(callee.args[0])
		fun, okF := atomForm(callee.args[1])
		if !okM || !okF {
			return nil, refuse(f.line, "a call of a computed module or function: only %s may run on chatd", Whitelist)
		}
		if bif, ok = remoteBuiltin(mod, fun, len(args)); !ok {
			return nil, refuse(f.line, "a call of %s.%s/%d: only %s may run on chatd", etf.Inspect(mod), fun, len(args), Whitelist)
		}
	case callee.tag == "atom" && len(callee.args) == 1:
		fun, _ := callee.args[0].(etf.Atom)
		if bif, ok = localBuiltin(fun, len(args)); !ok {
			return nil, refuse(f.line, "a local call of %s/%d: a shell's local functions do not exist on chatd (only %s may run)", fun, len(args), Whitelist)
		}
	default:
		return nil, refuse(f.line, "a call of a %s expression (a fun value?): only %s may run on chatd", callee.tag, Whitelist)
	}
	es, err := p.exprs(args, depth+1, f.line)
	return callExpr{line: f.line, bif: bif, args: es}, err
}

// atomForm returns the atom of an {atom, A, Atom} form.
func atomForm(t etf.Term) (etf.Atom, bool) {
	tu, ok := t.(etf.Tuple)
	if !ok || len(tu) != 3 || !etf.IsAtom(tu[0], "atom") {
		return "", false
	}
	a, ok := tu[2].(etf.Atom)
	return a, ok
}

// remoteBuiltin finds Mod:Fun/Arity in the whitelist.
func remoteBuiltin(mod, fun etf.Atom, arity int) (builtin, bool) {
	switch {
	case mod == "Elixir.IO" && fun == "puts" && arity == 1:
		return bifPuts, true
	case mod == "erlang" && fun == "send" && arity == 2:
		return bifSend, true
	case mod == "erlang" && fun == "self" && arity == 0:
		return bifSelf, true
	case (mod == "erlang" && fun == "node" || mod == "Elixir.Node" && fun == "self") && arity == 0:
		return bifNode, true
	}
	return 0, false
}

// localBuiltin finds a local call that erl_eval runs as an auto-imported
// BIF: self() and node() typed in an erl shell.
func localBuiltin(fun etf.Atom, arity int) (builtin, bool) {
	return remoteBuiltin("erlang", fun, arity)
}

// receive reads {'receive', A, Clauses} and {'receive', A, Clauses,
// Timeout, After}.
func (p *parser) receive(f form, depth int) (expr, error) {
	cs, ok := etf.Elems(f.args[0])
	if !ok || len(cs) == 0 && len(f.args) == 1 {
		return nil, refuse(f.line, "receive clauses that are %s", kindOf(f.args[0]))
	}
	r := receiveExpr{line: f.line}
	for _, c := range cs {
		cl, err := p.receiveClause(c, depth+1, f.line)
		if err != nil {
			return nil, err
		}
		r.clauses = append(r.clauses, cl)
	}
	if len(f.args) == 3 {
		var err error
		if r.timeout, err = p.expr(f.args[1], depth+1, f.line); err != nil {
			return nil, err
		}
		if r.after, err = p.body(f.args[2], depth+1, f.line); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// receiveClause reads {clause, A, [Pattern], [], Body}.
func (p *parser) receiveClause(t etf.Term, depth, line int) (clause, error) {
	f, err := p.form(t, depth, line)
	if err != nil {
		return clause{}, err
	}
	if f.tag != "clause" || len(f.args) != 3 {
		return clause{}, refuse(f.line, "a receive clause that is a %s form", f.tag)
	}
	pats, ok := etf.Elems(f.args[0])
	if !ok || len(pats) != 1 {
		return clause{}, refuse(f.line, "a receive clause without exactly one pattern")
	}
	if err := noGuard(f); err != nil {
		return clause{}, err
	}
	pat, err := p.pattern(pats[0], depth+1, f.line)
	if err != nil {
		return clause{}, err
	}
	body, err := p.body(f.args[2], depth+1, f.line)
	return clause{line: f.line, pat: pat, body: body}, err
}

// pattern reads a pattern: a literal, a variable, a tuple, a list, or
// two patterns joined by =.
func (p *parser) pattern(t etf.Term, depth, line int) (pattern, error) {
	f, err := p.form(t, depth, line)
	if err != nil {
		return nil, err
	}
	if l, ok, err := leafOf(f); ok || err != nil {
		return l, err
	}
	switch {
	case f.tag == "tuple" && len(f.args) == 1:
		elems, err := tupleOf(f, depth, p.pattern)
		if err != nil {
			return nil, err
		}
		return tuplePat{elems: elems}, nil
	case (f.tag == "cons" || f.tag == "match") && len(f.args) == 2:
		left, err := p.pattern(f.args[0], depth+1, f.line)
		if err != nil {
			return nil, err
		}
		right, err := p.pattern(f.args[1], depth+1, f.line)
		if f.tag == "cons" {
			return consPat{head: left, tail: right}, err
		}
		return aliasPat{left: left, right: right}, err
	case f.tag == "bin" && len(f.args) == 1:
		return p.binPattern(f, depth)
	}
	return nil, refuse(f.line, "a %s pattern: only literals, variables, tuples, lists and = are supported", f.tag)
}

// binPattern reads a binary pattern of literal segments only, such as
// Elixir's "hi" in a receive clause: it matches that binary exactly.
func (p *parser) binPattern(f form, depth int) (pattern, error) {
	e, err := p.bin(f, depth)
	if err != nil {
		return nil, err
	}
	var out etf.Binary = []byte{}
	for _, s := range e.(binExpr).segs {
		bytes := s.bytes
		if s.val != nil {
			lit, ok := s.val.(literal)
			if !ok {
				return nil, refuse(f.line, "a binary pattern that binds: only binary patterns of literals are supported")
			}
			if bytes, err = segBytes(f.line, s.kind, lit.v.t); err != nil {
				return nil, refuse(f.line, "a binary pattern segment of %s", kindOf(lit.v.t))
			}
		}
		out = append(out, bytes...)
	}
	return literal{line: f.line, v: value{t: out, n: 1 + len(out)}}, nil
}
