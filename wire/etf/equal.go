package etf

import (
	"bytes"
	"math/big"
	"slices"
)

// Equal reports whether a and b are the same term, as Erlang's =:= sees
// it: integers compare by value whatever their Go type (int, int64,
// *big.Int) but never equal a float; a Charlist equals the List of the same
// integers, and [] is Nil, an empty List or an empty Charlist alike; a
// BitBinary with whole bytes equals the Binary; maps are equal when they
// hold the same pairs in any order; funs compare by their fields, not by
// Raw. Values outside the term model are equal to nothing. Neither term may
// be cyclic.
func Equal(a, b Term) bool {
	switch x := a.(type) {
	case Atom:
		y, ok := b.(Atom)
		return ok && x == y
	case int, int64, *big.Int:
		return intEqual(a, b)
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case Binary, BitBinary:
		return bitsEqual(a, b)
	case Nil, List, Charlist, ImproperList:
		return listEqual(a, b)
	case Tuple:
		y, ok := b.(Tuple)
		return ok && slices.EqualFunc(x, y, Equal)
	case Map:
		y, ok := b.(Map)
		return ok && mapEqual(x, y)
	case Pid:
		y, ok := b.(Pid)
		return ok && x == y
	case Ref:
		y, ok := b.(Ref)
		return ok && x.Node == y.Node && x.Creation == y.Creation && slices.Equal(x.Words(), y.Words())
	case Port:
		y, ok := b.(Port)
		return ok && x == y
	case Export:
		y, ok := b.(Export)
		return ok && x == y
	case Fun:
		y, ok := b.(Fun)
		return ok && funEqual(x, y)
	}
	return false
}

// bigOf returns an integer term as a *big.Int, or nil for other terms.
func bigOf(t Term) *big.Int {
	switch v := t.(type) {
	case int:
		return big.NewInt(int64(v))
	case int64:
		return big.NewInt(v)
	case *big.Int:
		return v
	}
	return nil
}

func intEqual(a, b Term) bool {
	if x, ok := toInt64(a); ok {
		y, ok := toInt64(b)
		return ok && x == y
	}
	x, y := bigOf(a), bigOf(b)
	return x != nil && y != nil && x.Cmp(y) == 0
}

// toInt64 returns an integer term that fits an int64.
func toInt64(t Term) (int64, bool) {
	switch v := t.(type) {
	case int:
		return int64(v), true
	case int64:
		return v, true
	case *big.Int:
		if v != nil && v.IsInt64() {
			return v.Int64(), true
		}
	}
	return 0, false
}

// bitsOf returns a bitstring's bytes and the bits used in its last byte (8
// for whole bytes).
func bitsOf(t Term) ([]byte, uint8, bool) {
	switch v := t.(type) {
	case Binary:
		return v, 8, true
	case BitBinary:
		if v.Bits == 0 || v.Bits >= 8 {
			return v.Bytes, 8, true
		}
		return v.Bytes, v.Bits, true
	}
	return nil, 0, false
}

func bitsEqual(a, b Term) bool {
	x, xb, ok1 := bitsOf(a)
	y, yb, ok2 := bitsOf(b)
	if !ok1 || !ok2 || xb != yb || len(x) != len(y) {
		return false
	}
	if len(x) == 0 {
		return true
	}
	n := len(x) - 1
	mask := byte(0xff) << (8 - xb)
	return bytes.Equal(x[:n], y[:n]) && x[n]&mask == y[n]&mask
}

// flatten returns a list term's elements and its final tail (Nil for a
// proper list), following tails that are lists themselves.
func flatten(t Term) ([]Term, Term, bool) {
	switch v := t.(type) {
	case Nil:
		return nil, Nil{}, true
	case List:
		return v, Nil{}, true
	case Charlist:
		out := make([]Term, len(v))
		for i, c := range v {
			out[i] = int64(c)
		}
		return out, Nil{}, true
	case ImproperList:
		elems, tail, ok := flatten(v.Tail)
		if !ok {
			return v.Elems, v.Tail, true
		}
		return append(slices.Clip(v.Elems), elems...), tail, true
	}
	return nil, nil, false
}

func listEqual(a, b Term) bool {
	if x, ok := a.(Charlist); ok {
		if y, ok := b.(Charlist); ok {
			return bytes.Equal(x, y)
		}
	}
	xs, xt, ok1 := flatten(a)
	ys, yt, ok2 := flatten(b)
	if !ok1 || !ok2 || !slices.EqualFunc(xs, ys, Equal) {
		return false
	}
	_, xNil := xt.(Nil)
	_, yNil := yt.(Nil)
	return xNil && yNil || !xNil && !yNil && Equal(xt, yt)
}

// mapEqual compares pairs in order first, and when that fails matches each
// pair of x with an unused equal pair of y (quadratic, for maps that came in
// different orders).
func mapEqual(x, y Map) bool {
	if len(x) != len(y) {
		return false
	}
	pairEqual := func(p, q Pair) bool { return Equal(p.Key, q.Key) && Equal(p.Value, q.Value) }
	if slices.EqualFunc(x, y, pairEqual) {
		return true
	}
	used := make([]bool, len(y))
next:
	for _, p := range x {
		for j, q := range y {
			if !used[j] && pairEqual(p, q) {
				used[j] = true
				continue next
			}
		}
		return false
	}
	return true
}

func funEqual(x, y Fun) bool {
	return x.Arity == y.Arity && x.Uniq == y.Uniq && x.Index == y.Index && x.Module == y.Module &&
		x.OldIndex == y.OldIndex && x.OldUniq == y.OldUniq && x.Pid == y.Pid &&
		slices.EqualFunc(x.Free, y.Free, Equal)
}
