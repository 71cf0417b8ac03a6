package etf_test

import (
	"bytes"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"chatd/wire/etf"
)

// gen builds random terms of every kind, bounded in depth and size.
type gen struct{ r *rand.Rand }

var genAtoms = []etf.Atom{"", "ok", "nil", "kate@localhost", "Elixir.Chat.TaskSupervisor", "with space",
	"é", "日本", etf.Atom(strings.Repeat("é", 200)), etf.Atom(strings.Repeat("a", 255))}

func (g gen) atom() etf.Atom { return genAtoms[g.r.IntN(len(genAtoms))] }

func (g gen) bytes(max int) []byte {
	b := make([]byte, g.r.IntN(max+1))
	for i := range b {
		b[i] = byte(g.r.UintN(256))
	}
	return b
}

func (g gen) integer() etf.Term {
	switch g.r.IntN(5) {
	case 0:
		return int64(g.r.IntN(256))
	case 1:
		return int64(int32(g.r.Uint32()))
	case 2:
		return int64(g.r.Uint64())
	case 3:
		return []int64{math.MinInt64, math.MaxInt64, math.MinInt32 - 1, math.MaxInt32 + 1, 0, -1}[g.r.IntN(6)]
	}
	n := new(big.Int).SetBytes(append([]byte{1}, g.bytes(300)...)) // beyond int64
	if g.r.IntN(2) == 0 {
		n.Neg(n)
	}
	return n
}

func (g gen) float() float64 {
	for {
		if f := math.Float64frombits(g.r.Uint64()); !math.IsNaN(f) && !math.IsInf(f, 0) {
			return f
		}
	}
}

func (g gen) pid() etf.Pid {
	return etf.Pid{Node: g.atom(), ID: g.r.Uint32(), Serial: g.r.Uint32(), Creation: g.r.Uint32()}
}

func (g gen) scalar() etf.Term {
	switch g.r.IntN(11) {
	case 0:
		return g.atom()
	case 1:
		return g.integer()
	case 2:
		return g.float()
	case 3:
		return etf.Binary(g.bytes(40))
	case 4:
		return etf.BitBinary{Bytes: append(g.bytes(5), 0xff), Bits: uint8(1 + g.r.IntN(7))}
	case 5:
		return etf.Charlist(append(g.bytes(20), 'x'))
	case 6:
		return g.pid()
	case 7:
		words := make([]uint32, 1+g.r.IntN(etf.MaxRefWords))
		for i := range words {
			words[i] = g.r.Uint32()
		}
		r, _ := etf.NewRef(g.atom(), g.r.Uint32(), words...)
		return r
	case 8:
		return etf.Port{Node: g.atom(), ID: g.r.Uint64() >> g.r.IntN(64), Creation: g.r.Uint32()}
	case 9:
		return etf.Export{Module: g.atom(), Function: g.atom(), Arity: uint8(g.r.UintN(256))}
	}
	return etf.Nil{}
}

func (g gen) terms(n, depth int) []etf.Term {
	out := make([]etf.Term, n)
	for i := range out {
		out[i] = g.term(depth - 1)
	}
	return out
}

func (g gen) term(depth int) etf.Term {
	if depth <= 0 || g.r.IntN(3) == 0 {
		return g.scalar()
	}
	n := g.r.IntN(6)
	switch g.r.IntN(5) {
	case 0:
		return etf.Tuple(g.terms(n, depth))
	case 1:
		return etf.List(g.terms(n+1, depth))
	case 2:
		return etf.ImproperList{Elems: g.terms(n+1, depth), Tail: g.scalarNotList()}
	case 3:
		m := make(etf.Map, n)
		for i := range m {
			m[i] = etf.Pair{Key: etf.Tuple{int64(i), g.term(depth - 1)}, Value: g.term(depth - 1)}
		}
		return m
	}
	var uniq [16]byte
	copy(uniq[:], g.bytes(16))
	return etf.Fun{Arity: uint8(g.r.UintN(256)), Uniq: uniq, Index: g.r.Uint32(), Module: g.atom(),
		OldIndex: int64(g.r.IntN(1 << 31)), OldUniq: int64(g.r.IntN(1 << 27)), Pid: g.pid(), Free: g.terms(n, depth)}
}

func (g gen) scalarNotList() etf.Term {
	for {
		switch t := g.scalar().(type) {
		case etf.Nil, etf.Charlist:
		default:
			return t
		}
	}
}

// TestRoundTripRandom encodes random terms, decodes them back to Equal
// terms, and checks that re-encoding gives the same bytes (fixed seed, so a
// failure reproduces).
func TestRoundTripRandom(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(11, 2026))}
	for i := range 2000 {
		term := g.term(5)
		enc, err := etf.Encode(term)
		if err != nil {
			t.Fatalf("#%d: Encode(%s): %v", i, etf.Inspect(term), err)
		}
		back, err := etf.Decode(enc)
		if err != nil {
			t.Fatalf("#%d: Decode(Encode(%s)): %v", i, etf.Inspect(term), err)
		}
		if !etf.Equal(term, back) {
			t.Fatalf("#%d: round trip of\n%s\ngave\n%s", i, etf.Inspect(term), etf.Inspect(back))
		}
		again, err := etf.Encode(back)
		if err != nil || !bytes.Equal(again, enc) {
			t.Fatalf("#%d: %s re-encodes to other bytes (%v)", i, etf.Inspect(back), err)
		}
		if etf.Inspect(back) != etf.Inspect(term) {
			t.Fatalf("#%d: Inspect differs after the round trip:\n%s\n%s", i, etf.Inspect(term), etf.Inspect(back))
		}
	}
}
