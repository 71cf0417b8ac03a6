package beam

import "iter"

// small is a map that holds its first entry inline: most processes get
// at most one link, monitor or alias of each kind, and a Go map's first
// entry costs a whole group of slots (several hundred bytes for a
// reference key). A key is either the inline entry or in more, never
// both. The zero small is empty.
type small[K comparable, V any] struct {
	one  bool // k and v hold an entry
	k    K
	v    V
	more map[K]V // the other entries; nil until needed
}

// set sets the value of k.
func (s *small[K, V]) set(k K, v V) {
	switch _, inMore := s.more[k]; {
	case s.one && s.k == k:
		s.v = v
	case inMore:
		s.more[k] = v
	case !s.one:
		s.one, s.k, s.v = true, k, v
	default:
		if s.more == nil {
			s.more = make(map[K]V, 1)
		}
		s.more[k] = v
	}
}

// get returns the value of k and whether it is there.
func (s *small[K, V]) get(k K) (V, bool) {
	if s.one && s.k == k {
		return s.v, true
	}
	v, ok := s.more[k]
	return v, ok
}

// take removes k and returns the value it had, if it was there.
func (s *small[K, V]) take(k K) (V, bool) {
	v, ok := s.get(k)
	if ok {
		s.del(k)
	}
	return v, ok
}

// del removes k, if it is there.
func (s *small[K, V]) del(k K) {
	if s.one && s.k == k {
		var zk K
		var zv V
		s.one, s.k, s.v = false, zk, zv
		return
	}
	delete(s.more, k)
}

// len is the number of entries.
func (s *small[K, V]) len() int {
	if s.one {
		return 1 + len(s.more)
	}
	return len(s.more)
}

// all yields every entry; the loop's body may del the entry it is given.
func (s *small[K, V]) all() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		if s.one && !yield(s.k, s.v) {
			return
		}
		for k, v := range s.more {
			if !yield(k, v) {
				return
			}
		}
	}
}
