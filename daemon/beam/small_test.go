package beam

import (
	"maps"
	"testing"
)

// TestSmallIsAMap: any sequence of sets and deletes leaves small holding
// what a map would, whichever entry happens to be inline.
func TestSmallIsAMap(t *testing.T) {
	type op struct {
		del  bool
		k, v int
	}
	tests := []struct {
		name string
		ops  []op
	}{
		{"empty", nil},
		{"one", []op{{k: 1, v: 10}}},
		{"overwrite inline", []op{{k: 1, v: 10}, {k: 1, v: 11}}},
		{"overwrite in more", []op{{k: 1, v: 10}, {k: 2, v: 20}, {k: 2, v: 21}}},
		{"delete inline, keep more", []op{{k: 1, v: 10}, {k: 2, v: 20}, {del: true, k: 1}}},
		{"delete inline, set a key of more", []op{{k: 1}, {k: 2, v: 20}, {del: true, k: 1}, {k: 2, v: 22}}},
		{"refill inline", []op{{k: 1}, {k: 2}, {del: true, k: 1}, {k: 3, v: 30}}},
		{"delete missing", []op{{k: 1, v: 10}, {del: true, k: 9}}},
		{"delete all", []op{{k: 1}, {k: 2}, {k: 3}, {del: true, k: 2}, {del: true, k: 1}, {del: true, k: 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s small[int, int]
			want := map[int]int{}
			for _, o := range tt.ops {
				if o.del {
					s.del(o.k)
					delete(want, o.k)
				} else {
					s.set(o.k, o.v)
					want[o.k] = o.v
				}
			}
			if got := maps.Collect(s.all()); !maps.Equal(got, want) || s.len() != len(want) {
				t.Fatalf("holds %v (len %d), want %v", got, s.len(), want)
			}
			for k, v := range want {
				if got, ok := s.get(k); !ok || got != v {
					t.Errorf("get(%d) = %d, %v; want %d", k, got, ok, v)
				}
			}
			if _, ok := s.get(99); ok {
				t.Error("get of a missing key found it")
			}
			for k, v := range want {
				if got, ok := s.take(k); !ok || got != v {
					t.Errorf("take(%d) = %d, %v; want %d", k, got, ok, v)
				}
			}
			if s.len() != 0 {
				t.Errorf("%d entries left after taking them all", s.len())
			}
		})
	}
}

// TestSmallDeleteWhileRanging: the loop may drop the entry it is given.
func TestSmallDeleteWhileRanging(t *testing.T) {
	var s small[int, bool]
	for k := range 5 {
		s.set(k, k%2 == 0)
	}
	for k, even := range s.all() {
		if even {
			s.del(k)
		}
	}
	if got := maps.Collect(s.all()); !maps.Equal(got, map[int]bool{1: false, 3: false}) {
		t.Fatalf("left %v, want the odd keys", got)
	}
}
