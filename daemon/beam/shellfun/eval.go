package shellfun

import (
	"context"
	"errors"
	"maps"
	"math/big"

	"chatd/wire/etf"
)

// Run evaluates the fun in env and returns the value of its last
// expression. Any failure is an *Exit (see its doc for the reasons);
// Run never waits beyond ctx, which the caller uses to bound a receive
// that waits forever on a BEAM.
func (p *Program) Run(ctx context.Context, env Env) (etf.Term, error) {
	v, _, err := p.run(ctx, env)
	if err != nil {
		return nil, err
	}
	return v.t, nil
}

// run is Run, returning the machine too for the fuzz target's checks.
func (p *Program) run(ctx context.Context, env Env) (value, *machine, error) {
	m := &machine{ctx: ctx, env: env, lim: p.lim}
	v, err := m.seq(p.body, &bindings{vars: maps.Clone(p.bindings)})
	return v, m, err
}

// machine is one run of a Program.
type machine struct {
	ctx   context.Context
	env   Env
	lim   Limits
	steps int     // steps taken, against lim.Steps
	saved []value // messages a receive passed over, oldest first
}

// step counts one step against Limits.Steps.
func (m *machine) step(line int) error {
	if m.steps++; m.steps > m.lim.Steps {
		return limit(line, "more than %d steps (Limits.Steps)", m.lim.Steps)
	}
	return nil
}

// sized checks a built term's size against Limits.TermSize.
func (m *machine) sized(line int, v value) (value, error) {
	if v.n > m.lim.TermSize {
		return value{}, limit(line, "a term of more than %d cells (Limits.TermSize)", m.lim.TermSize)
	}
	return v, nil
}

// seq evaluates a body in order and returns the last value.
func (m *machine) seq(body []expr, b *bindings) (value, error) {
	var v value
	for _, e := range body {
		var err error
		if v, err = e.eval(m, b); err != nil {
			return value{}, err
		}
	}
	return v, nil
}

// bindings are the variables bound so far. trail lists the names in the
// order they were bound, so that a failed match can undo its bindings.
type bindings struct {
	vars  map[etf.Atom]value
	trail []etf.Atom
}

// bind binds name, which must be unbound.
func (b *bindings) bind(name etf.Atom, v value) {
	if b.vars == nil {
		b.vars = map[etf.Atom]value{}
	}
	b.vars[name] = v
	b.trail = append(b.trail, name)
}

// undo unbinds the names bound after mark, a length of trail.
func (b *bindings) undo(mark int) {
	for _, name := range b.trail[mark:] {
		delete(b.vars, name)
	}
	b.trail = b.trail[:mark]
}

func (e literal) eval(m *machine, _ *bindings) (value, error) {
	if err := m.step(e.line); err != nil {
		return value{}, err
	}
	return m.sized(e.line, e.v)
}

func (e variable) eval(m *machine, b *bindings) (value, error) {
	if err := m.step(e.line); err != nil {
		return value{}, err
	}
	v, ok := b.vars[e.name]
	if !ok {
		return value{}, failure(e.line, etf.Tuple{etf.Atom("unbound"), e.name}, nil)
	}
	if v.n == unsized { // measured once: a variable is bound once
		v.n = sizeOf(v.t, m.lim.TermSize)
		b.vars[e.name] = v
	}
	return v, nil
}

func (e tupleExpr) eval(m *machine, b *bindings) (value, error) {
	if err := m.step(e.line); err != nil {
		return value{}, err
	}
	elems, n := make(etf.Tuple, len(e.elems)), 1
	for i, el := range e.elems {
		v, err := el.eval(m, b)
		if err != nil {
			return value{}, err
		}
		elems[i], n = v.t, n+v.n
	}
	return m.sized(e.line, value{t: elems, n: n})
}

func (e listExpr) eval(m *machine, b *bindings) (value, error) {
	if err := m.step(e.line); err != nil {
		return value{}, err
	}
	heads, n := make([]etf.Term, len(e.heads)), 0
	for i, h := range e.heads {
		v, err := h.eval(m, b)
		if err != nil {
			return value{}, err
		}
		heads[i], n = v.t, n+v.n+1
	}
	tail, err := e.tail.eval(m, b)
	if err != nil {
		return value{}, err
	}
	if _, err := m.sized(e.line, value{n: n + tail.n}); err != nil {
		return value{}, err
	}
	return value{t: prepend(heads, tail.t), n: n + tail.n}, nil
}

// prepend returns the list [heads... | tail].
func prepend(heads []etf.Term, tail etf.Term) etf.Term {
	if elems, ok := etf.Elems(tail); ok {
		return etf.List(append(heads, elems...))
	}
	if il, ok := tail.(etf.ImproperList); ok {
		return etf.ImproperList{Elems: append(heads, il.Elems...), Tail: il.Tail}
	}
	return etf.ImproperList{Elems: heads, Tail: tail}
}

func (e binExpr) eval(m *machine, b *bindings) (value, error) {
	if err := m.step(e.line); err != nil {
		return value{}, err
	}
	var out etf.Binary
	for _, s := range e.segs {
		bytes := s.bytes
		if s.val != nil {
			v, err := s.val.eval(m, b)
			if err != nil {
				return value{}, err
			}
			if bytes, err = segBytes(e.line, s.kind, v.t); err != nil {
				return value{}, err
			}
		}
		if _, err := m.sized(e.line, value{n: 1 + len(out) + len(bytes)}); err != nil {
			return value{}, err
		}
		out = append(out, bytes...)
	}
	if out == nil {
		out = etf.Binary{}
	}
	return value{t: out, n: 1 + len(out)}, nil
}

// segBytes returns the bytes of one evaluated binary segment.
func segBytes(line int, kind segKind, t etf.Term) ([]byte, error) {
	if kind == segBinary {
		if bin, ok := t.(etf.Binary); ok {
			return bin, nil
		}
		return nil, failure(line, etf.Atom("badarg"), errors.New("a /binary segment of a term that is not a binary"))
	}
	switch n := t.(type) {
	case int64:
		return []byte{byte(n)}, nil
	case *big.Int:
		return []byte{byte(new(big.Int).Mod(n, big.NewInt(256)).Int64())}, nil
	}
	return nil, failure(line, etf.Atom("badarg"), errors.New("an integer segment of a term that is not an integer"))
}

func (e matchExpr) eval(m *machine, b *bindings) (value, error) {
	if err := m.step(e.line); err != nil {
		return value{}, err
	}
	v, err := e.rhs.eval(m, b)
	if err != nil {
		return value{}, err
	}
	mark := len(b.trail)
	ok, err := e.pat.match(m, v.t, b)
	if err != nil {
		return value{}, err
	}
	if !ok {
		b.undo(mark)
		return value{}, failure(e.line, etf.Tuple{etf.Atom("badmatch"), v.t}, nil)
	}
	return v, nil
}

func (e blockExpr) eval(m *machine, b *bindings) (value, error) { return m.seq(e.body, b) }
