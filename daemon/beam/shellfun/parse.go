package shellfun

import "chatd/wire/etf"

// Program is a shell fun that Parse has read and checked against the
// whitelist, ready to Run. It is never changed by Run, so it may run more
// than once (each run starts from the fun's own bindings).
type Program struct {
	lim      Limits
	line     int
	bindings map[etf.Atom]value
	body     []expr
}

// layouts names the erl_eval environments Parse reads, for its errors
// (the package doc says where each comes from).
const layouts = "{Anno, Bindings, LocalH, ExtH, FUVs, Clauses}, {Bindings, LocalH, ExtH, FUVs, Clauses} and {Bindings, LocalH, ExtH, Clauses}"

// Parse reads the erl_eval closure f, a fun typed in an iex or erl shell,
// into a Program. It refuses, with an error that wraps ErrRefused and
// names what it could not handle, a fun that is not an arity-0 erl_eval
// closure in one of the layouts of the package doc, one that holds a form
// outside the whitelist, and one over lim's Depth or Nodes. The handlers
// LocalH and ExtH and the fun used vars are ignored: the whitelist stands
// in their place.
func Parse(f etf.Fun, lim Limits) (*Program, error) {
	if f.Module != "erl_eval" {
		return nil, refuse(0, "a fun of module %s: only funs typed in a shell (module erl_eval) carry their code", etf.Inspect(f.Module))
	}
	if f.Arity != 0 {
		return nil, refuse(0, "a fun of arity %d: a spawned fun takes no arguments", f.Arity)
	}
	if len(f.Free) != 1 {
		return nil, refuse(0, "an erl_eval fun with %d free variables: it has one, its environment tuple", len(f.Free))
	}
	envTuple, ok := f.Free[0].(etf.Tuple)
	if !ok {
		return nil, refuse(0, "an erl_eval environment that is %s, not a tuple", kindOf(f.Free[0]))
	}
	bs, cs, line, err := splitEnv(envTuple)
	if err != nil {
		return nil, err
	}
	p := &parser{lim: lim.withDefaults()}
	prog := &Program{lim: p.lim, line: line}
	if prog.bindings, err = p.bindings(bs, line); err != nil {
		return nil, err
	}
	if prog.body, err = p.funClauses(cs, line); err != nil {
		return nil, err
	}
	return prog, nil
}

// Line returns the shell line the fun was typed on (0 when the layout
// does not say).
func (p *Program) Line() int { return p.line }

// splitEnv finds the bindings and the clauses in an erl_eval environment.
// A named fun (fun Name() -> ... end) has its Name as one more last
// element; it can call itself, so it is refused.
func splitEnv(t etf.Tuple) (bs, cs etf.Term, line int, err error) {
	named := len(t) > 0 && isAtom(t[len(t)-1])
	switch {
	case len(t) == 7 || named && (len(t) == 6 || len(t) == 5):
		return nil, nil, 0, refuse(0, "a named fun (fun Name() -> ... end): it can recurse without bound")
	case len(t) == 6:
		return t[1], t[5], annoLine(t[0]), nil
	case len(t) == 5:
		return t[0], t[4], 0, nil
	case len(t) == 4:
		return t[0], t[3], 0, nil
	}
	return nil, nil, 0, refuse(0, "an erl_eval environment of %d elements: the layouts known are %s", len(t), layouts)
}

// parser builds a Program and counts what it reads against the limits.
type parser struct {
	lim   Limits
	nodes int
}

// bindings reads the captured variables: a map (OTP 25) or an orddict,
// a list of {Name, Value}.
func (p *parser) bindings(t etf.Term, line int) (map[etf.Atom]value, error) {
	out := map[etf.Atom]value{}
	add := func(k, v etf.Term) error {
		name, ok := k.(etf.Atom)
		if !ok {
			return refuse(line, "a binding named by %s, not an atom", kindOf(k))
		}
		if err := p.count(line); err != nil {
			return err
		}
		out[name] = value{t: v, n: unsized}
		return nil
	}
	if m, ok := t.(etf.Map); ok {
		for _, pair := range m {
			if err := add(pair.Key, pair.Value); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	elems, ok := etf.Elems(t)
	if !ok {
		return nil, refuse(line, "bindings that are %s, not a map or a list", kindOf(t))
	}
	for _, e := range elems {
		kv, ok := e.(etf.Tuple)
		if !ok || len(kv) != 2 {
			return nil, refuse(line, "a binding that is %s, not {Name, Value}", kindOf(e))
		}
		if err := add(kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// funClauses reads the fun's clauses and returns the body of the first.
// Each must take no parameters and have no guard, so the first always
// matches and the others can never run; they are checked all the same.
func (p *parser) funClauses(t etf.Term, line int) ([]expr, error) {
	elems, ok := etf.Elems(t)
	if !ok || len(elems) == 0 {
		return nil, refuse(line, "fun clauses that are %s, not a list of clauses", kindOf(t))
	}
	var first []expr
	for i, e := range elems {
		f, err := p.form(e, 0, line)
		if err != nil {
			return nil, err
		}
		if f.tag != "clause" || len(f.args) != 3 {
			return nil, refuse(f.line, "a fun clause that is a %s form", f.tag)
		}
		if params, ok := etf.Elems(f.args[0]); !ok || len(params) != 0 {
			return nil, refuse(f.line, "a fun clause with parameters: a spawned fun takes none")
		}
		if err := noGuard(f); err != nil {
			return nil, err
		}
		body, err := p.body(f.args[2], 1, f.line)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			first = body
		}
	}
	return first, nil
}

// noGuard refuses a clause form with a guard.
func noGuard(f form) error {
	if g, ok := etf.Elems(f.args[1]); !ok || len(g) != 0 {
		return refuse(f.line, "a clause with a guard (when ...): guards are not supported")
	}
	return nil
}

// form is an abstract-code form {Tag, Anno, Args...}.
type form struct {
	tag  etf.Atom
	line int
	args []etf.Term
}

// form reads t as a form at depth, counting it against the limits.
func (p *parser) form(t etf.Term, depth, line int) (form, error) {
	tu, ok := t.(etf.Tuple)
	if !ok || len(tu) < 2 {
		return form{}, refuse(line, "%s where a form {Tag, Anno, ...} belongs", kindOf(t))
	}
	tag, ok := tu[0].(etf.Atom)
	if !ok {
		return form{}, refuse(line, "a form tagged by %s, not an atom", kindOf(tu[0]))
	}
	f := form{tag: tag, line: annoLine(tu[1]), args: tu[2:]}
	if f.line == 0 {
		f.line = line
	}
	if depth > p.lim.Depth {
		return form{}, refuse(f.line, "code nested deeper than %d (Limits.Depth)", p.lim.Depth)
	}
	return f, p.count(f.line)
}

// count counts one node against Limits.Nodes.
func (p *parser) count(line int) error {
	if p.nodes++; p.nodes > p.lim.Nodes {
		return refuse(line, "a fun of more than %d forms (Limits.Nodes)", p.lim.Nodes)
	}
	return nil
}

// annoLine returns the line of an erl_anno annotation: a line, a
// {Line, Column} location, or a list holding {location, Location}; 0 when
// there is none.
func annoLine(t etf.Term) int {
	switch v := t.(type) {
	case int64:
		if v > 0 && v <= 1<<31 {
			return int(v)
		}
	case etf.Tuple:
		if len(v) == 2 {
			if _, ok := v[1].(int64); ok {
				return annoLine(v[0])
			}
		}
	case etf.List:
		for _, e := range v {
			if kv, ok := etf.Tagged(e, "location", 2); ok {
				if _, nested := kv[1].(etf.List); !nested {
					return annoLine(kv[1])
				}
			}
		}
	}
	return 0
}

func isAtom(t etf.Term) bool {
	_, ok := t.(etf.Atom)
	return ok
}

// kindOf shows t in an error, cut short when long.
func kindOf(t etf.Term) string {
	s := etf.Inspect(t)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
