package etf

import (
	"encoding/binary"
	"math"
	"math/big"
	"slices"
)

// bigInt reads the sign byte and n little-endian magnitude bytes.
func (s *state) bigInt(at int, tag byte, n int) (Term, error) {
	if n > s.maxBig {
		return nil, s.fail(at, tag, ErrLimit, "big integer of %d bytes, the limit is %d", n, s.maxBig)
	}
	sign, err := s.u8(tag)
	if err != nil {
		return nil, err
	}
	if sign > 1 {
		return nil, s.fail(at, tag, ErrMalformed, "sign byte %d (want 0 or 1)", sign)
	}
	mag, err := s.take(n, tag)
	if err != nil {
		return nil, err
	}
	mag = trimZeros(mag)
	if len(mag) <= 8 {
		var u uint64
		for i := len(mag) - 1; i >= 0; i-- {
			u = u<<8 | uint64(mag[i])
		}
		switch {
		case sign == 0 && u <= math.MaxInt64:
			return int64(u), nil
		case sign == 1 && u <= 1<<63:
			return -int64(u), nil // 1<<63 wraps to MinInt64, the right value
		}
	}
	be := slices.Clone(mag)
	slices.Reverse(be)
	v := new(big.Int).SetBytes(be)
	if sign == 1 {
		v.Neg(v)
	}
	return v, nil
}

// trimZeros drops the high (trailing, little-endian) zero bytes.
func trimZeros(mag []byte) []byte {
	for len(mag) > 0 && mag[len(mag)-1] == 0 {
		mag = mag[:len(mag)-1]
	}
	return mag
}

func (s *state) float(at int) (Term, error) {
	p, err := s.take(8, tagNewFloat)
	if err != nil {
		return nil, err
	}
	f := math.Float64frombits(binary.BigEndian.Uint64(p))
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, s.fail(at, tagNewFloat, ErrMalformed, "NaN or infinity, which Erlang has not")
	}
	return f, nil
}

// charlist reads STRING_EXT; an empty one is [].
func (s *state) charlist() (Term, error) {
	n, err := s.u16(tagString)
	if err != nil {
		return nil, err
	}
	p, err := s.take(n, tagString)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return Nil{}, nil
	}
	return Charlist(slices.Clone(p)), nil
}

// bitBinary reads BIT_BINARY_EXT; whole bytes make a Binary, as the BEAM
// sees them.
func (s *state) bitBinary(at int) (Term, error) {
	n, err := s.count(tagBitBinary, 1)
	if err != nil {
		return nil, err
	}
	bits, err := s.u8(tagBitBinary)
	if err != nil {
		return nil, err
	}
	switch {
	case n == 0 && bits == 0:
		return Binary{}, nil
	case n == 0 || bits == 0 || bits > 8:
		return nil, s.fail(at, tagBitBinary, ErrMalformed, "%d bits used in the last of %d bytes", bits, n)
	}
	p, err := s.take(n, tagBitBinary)
	if err != nil {
		return nil, err
	}
	data := slices.Clone(p)
	if bits == 8 {
		return Binary(data), nil
	}
	data[n-1] &= 0xff << (8 - bits)
	return BitBinary{Bytes: data, Bits: bits}, nil
}

// elems reads n terms one level deeper than at.
func (s *state) elems(at int, tag byte, n int) ([]Term, error) {
	if n > len(s.b)-s.off {
		return nil, s.fail(at, tag, ErrTruncated, "%d elements, %d bytes left", n, len(s.b)-s.off)
	}
	if err := s.enter(at, tag); err != nil {
		return nil, err
	}
	out := make([]Term, 0, min(n, maxPrealloc))
	for range n {
		t, err := s.term()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	s.depth--
	return out, nil
}

func (s *state) tuple(at, n int) (Term, error) {
	tag := byte(tagSmallTuple)
	if s.b[at] == tagLargeTuple {
		tag = tagLargeTuple
	}
	elems, err := s.elems(at, tag, n)
	return Tuple(elems), err
}

// list reads LIST_EXT. A list tail is merged in, so that an ImproperList's
// tail is never a list; no elements at all is the tail itself, as the BEAM
// reads it.
func (s *state) list(at int) (Term, error) {
	n, err := s.count(tagList, 1)
	if err != nil {
		return nil, err
	}
	elems, err := s.elems(at, tagList, n)
	if err != nil {
		return nil, err
	}
	if err := s.enter(at, tagList); err != nil {
		return nil, err
	}
	tail, err := s.term()
	if err != nil {
		return nil, err
	}
	s.depth--
	if n == 0 {
		return tail, nil
	}
	switch t := tail.(type) {
	case Nil:
		return List(elems), nil
	case List:
		return append(List(elems), t...), nil
	case Charlist:
		for _, c := range t {
			elems = append(elems, int64(c))
		}
		return List(elems), nil
	case ImproperList:
		return ImproperList{Elems: append(elems, t.Elems...), Tail: t.Tail}, nil
	}
	return ImproperList{Elems: elems, Tail: tail}, nil
}

func (s *state) mapTerm(at int) (Term, error) {
	n, err := s.count(tagMap, 2)
	if err != nil {
		return nil, err
	}
	kv, err := s.elems(at, tagMap, 2*n)
	if err != nil {
		return nil, err
	}
	m := make(Map, n)
	for i := range m {
		m[i] = Pair{Key: kv[2*i], Value: kv[2*i+1]}
	}
	return m, nil
}

// pid reads NEW_PID_EXT with its tag.
func (s *state) pid() (Pid, error) {
	at := s.off
	if tag, err := s.u8(0); err != nil {
		return Pid{}, err
	} else if tag != tagNewPid {
		return Pid{}, s.fail(at, 0, ErrMalformed, "want a pid, found %s", tagName(tag))
	}
	node, err := s.atom()
	if err != nil {
		return Pid{}, err
	}
	p, err := s.take(12, tagNewPid)
	if err != nil {
		return Pid{}, err
	}
	return Pid{Node: node, ID: binary.BigEndian.Uint32(p), Serial: binary.BigEndian.Uint32(p[4:]),
		Creation: binary.BigEndian.Uint32(p[8:])}, nil
}

func (s *state) ref(at int) (Term, error) {
	n, err := s.u16(tagNewerReference)
	if err != nil {
		return nil, err
	}
	if n == 0 || n > MaxRefWords {
		return nil, s.fail(at, tagNewerReference, ErrMalformed, "%d ID words (want 1 to %d)", n, MaxRefWords)
	}
	node, err := s.atom()
	if err != nil {
		return nil, err
	}
	p, err := s.take(4+4*n, tagNewerReference)
	if err != nil {
		return nil, err
	}
	r := Ref{Node: node, Creation: binary.BigEndian.Uint32(p), Len: uint8(n)}
	for i := range n {
		r.ID[i] = binary.BigEndian.Uint32(p[4+4*i:])
	}
	return r, nil
}

func (s *state) port(at int, tag byte) (Term, error) {
	node, err := s.atom()
	if err != nil {
		return nil, err
	}
	idLen := 4
	if tag == tagV4Port {
		idLen = 8
	}
	p, err := s.take(idLen+4, tag)
	if err != nil {
		return nil, err
	}
	pt := Port{Node: node, Creation: binary.BigEndian.Uint32(p[idLen:])}
	if tag == tagV4Port {
		pt.ID = binary.BigEndian.Uint64(p)
	} else {
		pt.ID = uint64(binary.BigEndian.Uint32(p))
	}
	return pt, nil
}

func (s *state) export(at int) (Term, error) {
	mod, err := s.atom()
	if err != nil {
		return nil, err
	}
	fn, err := s.atom()
	if err != nil {
		return nil, err
	}
	p, err := s.take(2, tagExport)
	if err != nil {
		return nil, err
	}
	if p[0] != tagSmallInteger {
		return nil, s.fail(at, tagExport, ErrMalformed, "arity is %s, not SMALL_INTEGER_EXT", tagName(p[0]))
	}
	return Export{Module: mod, Function: fn, Arity: p[1]}, nil
}
