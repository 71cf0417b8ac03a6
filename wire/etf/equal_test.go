package etf_test

import (
	"math/big"
	"testing"

	"chatd/wire/etf"
)

func TestEqual(t *testing.T) {
	pid := etf.Pid{Node: kate, ID: 1, Creation: 7}
	tests := []struct {
		name string
		x, y etf.Term
		want bool
	}{
		{"same atom", etf.OK, etf.Atom("ok"), true},
		{"atom vs binary", etf.OK, etf.Binary("ok"), false},
		{"int vs int64", 5, int64(5), true},
		{"int64 vs big of the same value", int64(5), big.NewInt(5), true},
		{"bigs by value", new(big.Int).Set(twoTo64), new(big.Int).Set(twoTo64), true},
		{"big vs int64", twoTo64, int64(1), false},
		{"int vs float", int64(1), 1.0, false},
		{"floats", 1.5, 1.5, true},
		{"charlist vs list of its ints", etf.Charlist("hi"), etf.List{int64(104), int64(105)}, true},
		{"charlist vs binary", etf.Charlist("hi"), etf.Binary("hi"), false},
		{"nil vs empty list", etf.Nil{}, etf.List{}, true},
		{"nil vs empty charlist", etf.Nil{}, etf.Charlist{}, true},
		{"proper vs improper with a [] tail", etf.List{int64(1)}, etf.ImproperList{Elems: []etf.Term{int64(1)}, Tail: etf.Nil{}}, true},
		{"[1 | [2]] is [1, 2]", etf.ImproperList{Elems: []etf.Term{int64(1)}, Tail: etf.List{int64(2)}}, etf.List{int64(1), int64(2)}, true},
		{"improper tails differ", etf.ImproperList{Elems: []etf.Term{int64(1)}, Tail: int64(2)},
			etf.ImproperList{Elems: []etf.Term{int64(1)}, Tail: int64(3)}, false},
		{"improper vs proper", etf.ImproperList{Elems: []etf.Term{int64(1)}, Tail: int64(2)}, etf.List{int64(1), int64(2)}, false},
		{"binary vs whole bitstring", etf.Binary{1}, etf.BitBinary{Bytes: []byte{1}, Bits: 8}, true},
		{"bitstrings ignore unused bits", etf.BitBinary{Bytes: []byte{0xe1}, Bits: 3}, etf.BitBinary{Bytes: []byte{0xe0}, Bits: 3}, true},
		{"bitstrings of other lengths", etf.BitBinary{Bytes: []byte{0xe0}, Bits: 3}, etf.BitBinary{Bytes: []byte{0xe0}, Bits: 4}, false},
		{"tuples", etf.Tuple{etf.OK, 1}, etf.Tuple{etf.OK, int64(1)}, true},
		{"tuple vs list", etf.Tuple{etf.OK}, etf.List{etf.OK}, false},
		{"maps in another order", etf.Map{{Key: etf.OK, Value: 1}, {Key: etf.Tuple{1}, Value: 2}},
			etf.Map{{Key: etf.Tuple{int64(1)}, Value: int64(2)}, {Key: etf.OK, Value: int64(1)}}, true},
		{"maps with other values", etf.Map{{Key: etf.OK, Value: 1}}, etf.Map{{Key: etf.OK, Value: 2}}, false},
		{"maps of other sizes", etf.Map{{Key: etf.OK, Value: 1}}, etf.Map{}, false},
		{"pids", pid, pid, true},
		{"pids of another creation", pid, etf.Pid{Node: kate, ID: 1, Creation: 8}, false},
		{"refs", mustRef(1, 2, 3), mustRef(1, 2, 3), true},
		{"refs of other lengths", mustRef(1, 2), mustRef(1, 2, 0), false},
		{"funs ignore Raw", etf.Fun{Module: "m", Raw: []byte{1}}, etf.Fun{Module: "m"}, true},
		{"funs with other free variables", etf.Fun{Module: "m", Free: []etf.Term{1}}, etf.Fun{Module: "m"}, false},
		{"exports", etf.Export{Module: "m", Function: "f", Arity: 1}, etf.Export{Module: "m", Function: "f", Arity: 1}, true},
		{"a Go string is no term", "ok", "ok", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := etf.Equal(tc.x, tc.y); got != tc.want {
				t.Errorf("Equal(%s, %s) = %v", etf.Inspect(tc.x), etf.Inspect(tc.y), got)
			}
			if got := etf.Equal(tc.y, tc.x); got != tc.want {
				t.Errorf("Equal(%s, %s) = %v (swapped)", etf.Inspect(tc.y), etf.Inspect(tc.x), got)
			}
		})
	}
}

func TestPidAndRefAreMapKeys(t *testing.T) {
	monitors := map[etf.Ref]etf.Pid{}
	r := mustRef(1, 2, 3)
	monitors[r] = etf.Pid{Node: kate, ID: 9}
	same, _ := etf.Decode(mustEncode(t, r))
	if got, ok := monitors[same.(etf.Ref)]; !ok || got.ID != 9 {
		t.Fatalf("a decoded copy of %s does not find its entry", etf.Inspect(r))
	}
}

func mustEncode(t *testing.T, term etf.Term) []byte {
	t.Helper()
	b, err := etf.Encode(term)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAccessors(t *testing.T) {
	call := etf.Tuple{etf.Atom("$gen_call"), etf.Tuple{}, etf.OK}
	if _, ok := etf.Tagged(call, "$gen_call", 3); !ok {
		t.Error("Tagged missed {'$gen_call', _, _}")
	}
	for _, bad := range []etf.Term{call[:2], etf.Tuple{etf.Binary("$gen_call"), 1, 2}, etf.List{etf.Atom("$gen_call"), 1, 2}} {
		if _, ok := etf.Tagged(bad, "$gen_call", 3); ok {
			t.Errorf("Tagged accepted %s", etf.Inspect(bad))
		}
	}
	if _, ok := etf.Tagged(etf.Tuple{}, "", 0); ok {
		t.Error("Tagged accepted an empty tuple")
	}
	texts := []struct {
		term etf.Term
		want string
		ok   bool
	}{
		{etf.Binary("héllo"), "héllo", true},
		{etf.Binary{0xff}, "", false},
		{etf.Charlist{'h', 0xe9}, "hé", true},
		{etf.List{int64('h'), int64(0x65e5)}, "h日", true},
		{etf.Nil{}, "", true},
		{etf.List{int64(-1)}, "", false},
		{etf.List{int64(0xd800)}, "", false},
		{etf.ImproperList{Elems: []etf.Term{int64('a')}, Tail: int64('b')}, "", false},
		{etf.OK, "", false},
	}
	for _, tc := range texts {
		if got, ok := etf.Text(tc.term); got != tc.want || ok != tc.ok {
			t.Errorf("Text(%s) = %q, %v; want %q, %v", etf.Inspect(tc.term), got, ok, tc.want, tc.ok)
		}
	}
	if n, ok := etf.Int64(big.NewInt(-3)); !ok || n != -3 {
		t.Errorf("Int64(big -3) = %d, %v", n, ok)
	}
	if _, ok := etf.Int64(twoTo64); ok {
		t.Error("Int64 accepted 2^64")
	}
	if v, ok := (etf.Map{{Key: etf.Tuple{int64(1)}, Value: etf.OK}}).Get(etf.Tuple{1}); !ok || v != etf.OK {
		t.Errorf("Map.Get by a tuple key = %v, %v", v, ok)
	}
	if _, err := etf.NewRef(kate, 1); err == nil {
		t.Error("NewRef accepted no words")
	}
	if _, err := etf.NewRef(kate, 1, 1, 2, 3, 4, 5, 6); err == nil {
		t.Error("NewRef accepted 6 words")
	}
	if got := etf.Integer(big.NewInt(7)); got != int64(7) {
		t.Errorf("Integer(7) = %#v, want int64", got)
	}
}
