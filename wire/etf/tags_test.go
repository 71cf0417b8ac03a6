package etf_test

import (
	"bytes"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"chatd/internal/testkit"
	"chatd/wire/etf"
)

func hexRepeat(s string, n int) string { return strings.Repeat(s, n) }

var (
	kate     = etf.Atom("kate@localhost")
	kateHex  = "770e 6b617465406c6f63616c686f7374"
	twoTo64  = new(big.Int).Lsh(big.NewInt(1), 64)
	bigBytes = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 8*256), big.NewInt(1)) // 256 bytes of ff
)

func mustRef(words ...uint32) etf.Ref {
	r, err := etf.NewRef(kate, 7, words...)
	if err != nil {
		panic(err)
	}
	return r
}

// canonical holds terms with the exact bytes the encoder writes and the
// decoder reads back (the BEAM's own encodings), Version byte excluded.
var canonical = []struct {
	name string
	term etf.Term
	hex  string
}{
	{"empty atom ''", etf.Empty, "77 00"},
	{"atom ok", etf.OK, "77 02 6f6b"},
	{"atom of 256 bytes is ATOM_UTF8_EXT", etf.Atom(strings.Repeat("é", 128)), "76 0100" + hexRepeat("c3a9", 128)},
	{"small integer 0", int64(0), "61 00"},
	{"small integer 255", int64(255), "61 ff"},
	{"integer 256", int64(256), "62 00000100"},
	{"integer -1", int64(-1), "62 ffffffff"},
	{"integer min int32", int64(math.MinInt32), "62 80000000"},
	{"integer max int32", int64(math.MaxInt32), "62 7fffffff"},
	{"small big 2^31", int64(1 << 31), "6e 04 00 00000080"},
	{"small big -2^31-1", int64(math.MinInt32 - 1), "6e 04 01 01000080"},
	{"small big max int64", int64(math.MaxInt64), "6e 08 00 ffffffffffffff7f"},
	{"small big min int64", int64(math.MinInt64), "6e 08 01 0000000000000080"},
	{"small big 2^64", twoTo64, "6e 09 00 000000000000000001"},
	{"negative small big -2^64", new(big.Int).Neg(twoTo64), "6e 09 01 000000000000000001"},
	{"large big of 256 bytes", bigBytes, "6f 00000100 00" + hexRepeat("ff", 256)},
	{"float 1.5", 1.5, "46 3ff8000000000000"},
	{"float -0.0", math.Copysign(0, -1), "46 8000000000000000"},
	{"empty binary", etf.Binary{}, "6d 00000000"},
	{"binary hi", etf.Binary("hi"), "6d 00000002 6869"},
	{"bitstring <<1, 2:4>>", etf.BitBinary{Bytes: []byte{1, 0x20}, Bits: 4}, "4d 00000002 04 0120"},
	{"charlist 'hi'", etf.Charlist("hi"), "6b 0002 6869"},
	{"empty tuple", etf.Tuple{}, "68 00"},
	{"tuple {ok, 1}", etf.Tuple{etf.OK, int64(1)}, "68 02 77026f6b 6101"},
	{"large tuple", nils(256), "69 00000100" + hexRepeat("6a", 256)},
	{"nil []", etf.Nil{}, "6a"},
	{"list [1, 2]", etf.List{int64(1), int64(2)}, "6c 00000002 6101 6102 6a"},
	{"improper [1 | 2]", etf.ImproperList{Elems: []etf.Term{int64(1)}, Tail: int64(2)}, "6c 00000001 6101 6102"},
	{"empty map", etf.Map{}, "74 00000000"},
	{"map with a tuple key, in order", etf.Map{
		{Key: etf.Tuple{etf.Atom("a"), int64(1)}, Value: int64(2)},
		{Key: etf.Binary("k"), Value: etf.Nil{}},
	}, "74 00000002 6802 770161 6101 6102 6d00000001 6b 6a"},
	{"pid", etf.Pid{Node: kate, ID: 165, Serial: 1, Creation: 7}, "58" + kateHex + "000000a5 00000001 00000007"},
	{"ref of 1 word", mustRef(9), "5a 0001" + kateHex + "00000007 00000009"},
	{"ref of 3 words", mustRef(1, 2, 3), "5a 0003" + kateHex + "00000007 00000001 00000002 00000003"},
	{"ref of 5 words (V4_NC)", mustRef(1, 2, 3, 4, 5), "5a 0005" + kateHex + "00000007" + "00000001 00000002 00000003 00000004 00000005"},
	{"port", etf.Port{Node: kate, ID: 5, Creation: 7}, "59" + kateHex + "00000005 00000007"},
	{"v4 port", etf.Port{Node: kate, ID: 1 << 40, Creation: 7}, "78" + kateHex + "0000010000000000 00000007"},
	{"export", etf.Export{Module: "erlang", Function: "apply", Arity: 2}, "71 7706 65726c616e67 7705 6170706c79 6102"},
}

// nils returns a tuple of n empty lists.
func nils(n int) etf.Tuple {
	t := make(etf.Tuple, n)
	for i := range t {
		t[i] = etf.Nil{}
	}
	return t
}

func TestCanonical(t *testing.T) {
	for _, tc := range canonical {
		t.Run(tc.name, func(t *testing.T) {
			want := testkit.Unhex(tc.hex)
			got, err := etf.AppendBare(nil, tc.term)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("AppendBare = % x, %v\nwant        % x", got, err, want)
			}
			withVersion, err := etf.Encode(tc.term)
			if err != nil || !bytes.Equal(withVersion, append([]byte{etf.Version}, want...)) {
				t.Fatalf("Encode = % x, %v", withVersion, err)
			}
			back, rest, err := etf.Decoder{}.DecodeBare(want)
			if err != nil || len(rest) != 0 {
				t.Fatalf("DecodeBare = %v, % x, %v", back, rest, err)
			}
			if !reflect.DeepEqual(back, tc.term) || !etf.Equal(back, tc.term) {
				t.Fatalf("DecodeBare = %#v, want %#v", back, tc.term)
			}
			if back, err = etf.Decode(withVersion); err != nil || !etf.Equal(back, tc.term) {
				t.Fatalf("Decode = %v, %v", back, err)
			}
		})
	}
}

// TestDecodeOnly covers valid encodings the encoder never writes: latin-1
// atoms, integers in more bytes than needed, lists with list tails.
func TestDecodeOnly(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want etf.Term
	}{
		{"latin-1 ATOM_EXT", "64 0002 6f6b", etf.OK},
		{"latin-1 SMALL_ATOM_EXT é", "73 01 e9", etf.Atom("é")},
		{"latin-1 empty atom", "64 0000", etf.Empty},
		{"LARGE_BIG that fits", "6f 00000001 00 05", int64(5)},
		{"SMALL_BIG of no bytes is 0", "6e 00 00", int64(0)},
		{"SMALL_BIG -5", "6e 02 01 0500", int64(-5)},
		{"SMALL_BIG with high zero bytes", "6e 0a 00 01000000000000000000", int64(1)},
		{"negative zero big", "6e 01 01 00", int64(0)},
		{"V4_PORT with a small ID", "78" + kateHex + "0000000000000005 00000007", etf.Port{Node: kate, ID: 5, Creation: 7}},
		{"BIT_BINARY of whole bytes is a binary", "4d 00000001 08 ff", etf.Binary{0xff}},
		{"empty BIT_BINARY", "4d 00000000 00", etf.Binary{}},
		{"BIT_BINARY unused bits are cleared", "4d 00000001 03 ff", etf.BitBinary{Bytes: []byte{0xe0}, Bits: 3}},
		{"empty STRING_EXT is []", "6b 0000", etf.Nil{}},
		{"LIST of no elements is []", "6c 00000000 6a", etf.Nil{}},
		{"LIST of no elements is its tail", "6c 00000000 6105", int64(5)},
		{"LIST of small ints stays a list", "6c 00000002 6168 6169 6a", etf.List{int64(104), int64(105)}},
		{"list tail [2] merges", "6c 00000001 6101 6c000000016102 6a", etf.List{int64(1), int64(2)}},
		{"list tail 'ab' merges", "6c 00000001 6101 6b00026162", etf.List{int64(1), int64(97), int64(98)}},
		{"list tail [2 | 3] merges", "6c 00000001 6101 6c000000016102 6103",
			etf.ImproperList{Elems: []etf.Term{int64(1), int64(2)}, Tail: int64(3)}},
		{"SMALL_TUPLE with latin-1 atoms", "68 02 6400026f6b 7301e9", etf.Tuple{etf.OK, etf.Atom("é")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, rest, err := etf.Decoder{}.DecodeBare(testkit.Unhex(tc.hex))
			if err != nil || len(rest) != 0 || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("DecodeBare = %#v, % x, %v; want %#v", got, rest, err, tc.want)
			}
			enc, err := etf.Encode(got)
			if err != nil {
				t.Fatal(err)
			}
			if again, err := etf.Decode(enc); err != nil || !etf.Equal(again, got) {
				t.Fatalf("re-encoded % x decodes to %v, %v", enc, again, err)
			}
		})
	}
}
