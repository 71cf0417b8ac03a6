package shellfun

import (
	"math/big"
	"testing"

	"chatd/wire/etf"
)

func TestSizeOf(t *testing.T) {
	huge := new(big.Int).Lsh(big.NewInt(1), 640) // 11 words
	wide := make(etf.List, 5000)
	for i := range wide {
		wide[i] = int64(i)
	}
	tests := []struct {
		name string
		t    etf.Term
		want int
	}{
		{"atom", etf.Atom("ok"), 3},
		{"integer", int64(5), 1},
		{"big integer", huge, 1 + len(huge.Bits())},
		{"binary", etf.Binary("hello"), 6},
		{"charlist", etf.Charlist("hi"), 3},
		{"tuple", etf.Tuple{int64(1), etf.Atom("a")}, 1 + 1 + 2},
		{"list", etf.List{int64(1), int64(2)}, 2 + 2},
		{"empty list", etf.List{}, 1},
		{"improper list", etf.ImproperList{Elems: []etf.Term{int64(1)}, Tail: int64(2)}, 1 + 1 + 1},
		{"map", etf.Map{{Key: etf.Atom("a"), Value: int64(1)}}, 1 + 2 + 1},
		{"fun", etf.Fun{Free: []etf.Term{int64(1)}}, 2},
		{"over the limit", wide, 101},
		{"bitstring", etf.BitBinary{Bytes: []byte{1, 2}, Bits: 3}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sizeOf(tc.t, 100); got != tc.want {
				t.Errorf("sizeOf(%s, 100) = %d, want %d", etf.Inspect(tc.t), got, tc.want)
			}
		})
	}
}
