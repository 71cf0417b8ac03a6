package shellfun

import "chatd/wire/etf"

// Matching follows erl_eval's match1: a literal matches an equal term
// (=:=), '_' matches anything, a bound variable matches a term equal to
// its value and an unbound one binds it, a tuple matches a tuple of the
// same size element by element, a cons matches a non-empty list. A match
// that fails may leave bindings behind; the caller undoes them.

func (l literal) match(m *machine, t etf.Term, _ *bindings) (bool, error) {
	if err := m.step(l.line); err != nil {
		return false, err
	}
	return etf.Equal(l.v.t, t), nil
}

func (v variable) match(m *machine, t etf.Term, b *bindings) (bool, error) {
	if err := m.step(v.line); err != nil {
		return false, err
	}
	if v.name == "_" {
		return true, nil
	}
	if bound, ok := b.vars[v.name]; ok {
		return etf.Equal(bound.t, t), nil
	}
	b.bind(v.name, value{t: t, n: unsized})
	return true, nil
}

func (p tuplePat) match(m *machine, t etf.Term, b *bindings) (bool, error) {
	if err := m.step(0); err != nil {
		return false, err
	}
	tu, ok := t.(etf.Tuple)
	if !ok || len(tu) != len(p.elems) {
		return false, nil
	}
	for i, ep := range p.elems {
		if ok, err := ep.match(m, tu[i], b); !ok || err != nil {
			return false, err
		}
	}
	return true, nil
}

func (p consPat) match(m *machine, t etf.Term, b *bindings) (bool, error) {
	if err := m.step(0); err != nil {
		return false, err
	}
	head, tail, ok := split(t)
	if !ok {
		return false, nil
	}
	if ok, err := p.head.match(m, head, b); !ok || err != nil {
		return false, err
	}
	return p.tail.match(m, tail, b)
}

func (p aliasPat) match(m *machine, t etf.Term, b *bindings) (bool, error) {
	if ok, err := p.left.match(m, t, b); !ok || err != nil {
		return false, err
	}
	return p.right.match(m, t, b)
}

// split returns the head and the tail of a non-empty list, sharing the
// list's storage.
func split(t etf.Term) (head, tail etf.Term, ok bool) {
	switch v := t.(type) {
	case etf.List:
		switch len(v) {
		case 0:
			return nil, nil, false
		case 1:
			return v[0], etf.Nil{}, true
		}
		return v[0], v[1:], true
	case etf.Charlist:
		switch len(v) {
		case 0:
			return nil, nil, false
		case 1:
			return int64(v[0]), etf.Nil{}, true
		}
		return int64(v[0]), v[1:], true
	case etf.ImproperList:
		switch len(v.Elems) {
		case 0:
			return nil, nil, false
		case 1:
			return v.Elems[0], v.Tail, true
		}
		return v.Elems[0], etf.ImproperList{Elems: v.Elems[1:], Tail: v.Tail}, true
	}
	return nil, nil, false
}
