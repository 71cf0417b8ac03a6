package etf

import (
	"encoding/binary"
	"slices"
)

// funFixed is the size of NEW_FUN_EXT's fixed fields after the tag: Size:4
// Arity:1 Uniq:16 Index:4 NumFree:4.
const funFixed = 4 + 1 + 16 + 4 + 4

// fun reads NEW_FUN_EXT: Size (which counts itself and everything after
// it), Arity, Uniq, Index, NumFree, then the terms Module, OldIndex,
// OldUniq, Pid and the free variables. Everything must lie within Size.
func (s *state) fun(at int) (Term, error) {
	size, err := s.u32(tagNewFun)
	if err != nil {
		return nil, err
	}
	if size < funFixed || uint64(size) > uint64(len(s.b)-at-1) {
		return nil, s.fail(at, tagNewFun, ErrTruncated, "size %d, %d bytes left", size, len(s.b)-at-1)
	}
	end := at + 1 + int(size)
	whole := s.b
	s.b = s.b[:end] // nothing inside may read past the fun
	defer func() { s.b = whole }()
	if err := s.enter(at, tagNewFun); err != nil {
		return nil, err
	}
	p, _ := s.take(funFixed-4, tagNewFun)
	f := Fun{Arity: p[0], Index: binary.BigEndian.Uint32(p[17:])}
	copy(f.Uniq[:], p[1:17])
	numFree := int(binary.BigEndian.Uint32(p[21:]))
	if f.Module, err = s.atom(); err != nil {
		return nil, err
	}
	if f.OldIndex, err = s.smallInt(tagNewFun, "OldIndex"); err != nil {
		return nil, err
	}
	if f.OldUniq, err = s.smallInt(tagNewFun, "OldUniq"); err != nil {
		return nil, err
	}
	if f.Pid, err = s.pid(); err != nil {
		return nil, err
	}
	if f.Free, err = s.elems(at, tagNewFun, numFree); err != nil {
		return nil, err
	}
	s.depth--
	if s.off != end {
		return nil, s.fail(at, tagNewFun, ErrMalformed, "size says %d bytes, the fields take %d", size, s.off-at-1)
	}
	f.Raw = slices.Clone(whole[at:end])
	return f, nil
}

// smallInt reads an integer term that must fit an int64 (a fun's OldIndex
// and OldUniq).
func (s *state) smallInt(tag byte, what string) (int64, error) {
	at := s.off
	t, err := s.term()
	if err != nil {
		return 0, err
	}
	n, ok := t.(int64)
	if !ok {
		return 0, s.fail(at, tag, ErrMalformed, "%s is %T, not an integer", what, t)
	}
	return n, nil
}
