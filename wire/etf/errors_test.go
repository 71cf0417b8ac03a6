package etf_test

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"chatd/internal/testkit"
	"chatd/wire/etf"
)

// nested returns n SMALL_TUPLE_EXTs of one element around [].
func nested(n int) string { return strings.Repeat("6801", n) + "6a" }

// TestDecodeErrors feeds malformed and hostile input (Version byte
// included) and checks the kind of error and the offset it names.
func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name   string
		dec    etf.Decoder
		hex    string
		kind   error
		offset int
		detail string
	}{
		{"no bytes", etf.Decoder{}, "", etf.ErrTruncated, 0, "no bytes"},
		{"no version byte", etf.Decoder{}, "77 00", etf.ErrMalformed, 0, "version byte"},
		{"only the version byte", etf.Decoder{}, "83", etf.ErrTruncated, 1, ""},
		{"bytes after the term", etf.Decoder{}, "83 6a 6a", etf.ErrMalformed, 2, "1 bytes after"},
		{"unknown tag", etf.Decoder{}, "83 01", etf.ErrMalformed, 1, "unknown tag 1"},
		{"truncated atom", etf.Decoder{}, "83 77 05 6161", etf.ErrTruncated, 3, "want 5 bytes, 2 left"},
		{"atom not UTF-8", etf.Decoder{}, "83 77 02 ffff", etf.ErrMalformed, 1, "UTF-8"},
		{"atom of 256 characters", etf.Decoder{}, "83 76 0100" + hexRepeat("61", 256), etf.ErrLimit, 1, "256 characters"},
		{"latin-1 atom of 256 characters", etf.Decoder{}, "83 64 0100" + hexRepeat("61", 256), etf.ErrLimit, 1, "256 characters"},
		{"atom cache reference", etf.Decoder{}, "83 52 00", etf.ErrUnsupported, 1, "DIST_HDR_ATOM_CACHE"},
		{"compressed term", etf.Decoder{}, "83 50 00000001 789c", etf.ErrUnsupported, 1, "compress"},
		{"old PID_EXT", etf.Decoder{}, "83 67" + kateHex + "00000001 00000000 00", etf.ErrUnsupported, 1, "BIG_CREATION"},
		{"old NEW_REFERENCE_EXT", etf.Decoder{}, "83 72 0001" + kateHex + "00 00000001", etf.ErrUnsupported, 1, "BIG_CREATION"},
		{"LOCAL_EXT", etf.Decoder{}, "83 79 00", etf.ErrUnsupported, 1, "node-local"},
		{"NaN", etf.Decoder{}, "83 46 7ff8000000000000", etf.ErrMalformed, 1, "NaN"},
		{"infinity", etf.Decoder{}, "83 46 7ff0000000000000", etf.ErrMalformed, 1, "infinity"},
		{"truncated float", etf.Decoder{}, "83 46 3ff8", etf.ErrTruncated, 2, ""},
		{"big sign byte 2", etf.Decoder{}, "83 6e 01 02 05", etf.ErrMalformed, 1, "sign byte 2"},
		{"big over the limit", etf.Decoder{MaxBigBytes: 16}, "83 6f 00000011 00" + hexRepeat("01", 17), etf.ErrLimit, 1, "17 bytes"},
		{"huge LARGE_BIG length", etf.Decoder{}, "83 6f ffffffff 00", etf.ErrLimit, 1, "big integer"},
		{"tuple count beyond the input", etf.Decoder{}, "83 69 ffffffff 6a", etf.ErrTruncated, 2, "count 4294967295"},
		{"small tuple beyond the input", etf.Decoder{}, "83 68 05 6a6a", etf.ErrTruncated, 1, "5 elements"},
		{"list count beyond the input", etf.Decoder{}, "83 6c ffffffff 6a", etf.ErrTruncated, 2, "count"},
		{"list without its tail", etf.Decoder{}, "83 6c 00000001 6a", etf.ErrTruncated, 7, ""},
		{"map count beyond the input", etf.Decoder{}, "83 74 00000002 6a6a6a", etf.ErrTruncated, 2, "needs at least 4 bytes"},
		{"binary length beyond the input", etf.Decoder{}, "83 6d ffffffff 00", etf.ErrTruncated, 2, "count"},
		{"string length beyond the input", etf.Decoder{}, "83 6b 0010 61", etf.ErrTruncated, 4, "want 16 bytes"},
		{"bitstring with 0 bits used", etf.Decoder{}, "83 4d 00000001 00 ff", etf.ErrMalformed, 1, "0 bits"},
		{"bitstring with 9 bits used", etf.Decoder{}, "83 4d 00000001 09 ff", etf.ErrMalformed, 1, "9 bits"},
		{"nested 65 deep", etf.Decoder{}, "83" + nested(65), etf.ErrLimit, 129, "deeper than 64"},
		{"nested 5 deep, limit 4", etf.Decoder{MaxDepth: 4}, "83" + nested(5), etf.ErrLimit, 9, "deeper than 4"},
		{"input over MaxSize", etf.Decoder{MaxSize: 4}, "83 6d 00000000", etf.ErrLimit, 0, "6 bytes"},
		{"ref of no words", etf.Decoder{}, "83 5a 0000" + kateHex + "00000007", etf.ErrMalformed, 1, "0 ID words"},
		{"ref of 6 words", etf.Decoder{}, "83 5a 0006" + kateHex + "00000007" + hexRepeat("00000001", 6), etf.ErrMalformed, 1, "6 ID words"},
		{"truncated ref", etf.Decoder{}, "83 5a 0003" + kateHex + "00000007 00000001", etf.ErrTruncated, 20, "want 16 bytes"},
		{"pid node is not an atom", etf.Decoder{}, "83 58 6a 00000001 00000000 00000000", etf.ErrMalformed, 2, "want an atom, found NIL_EXT"},
		{"export arity is not a small integer", etf.Decoder{}, "83 71 770161 770162 6200000001", etf.ErrMalformed, 1, "arity"},
		{"fun size beyond the input", etf.Decoder{}, "83 70 00001000 00", etf.ErrTruncated, 1, "size 4096"},
		{"fun size short of its fields", etf.Decoder{}, funHex(-1), etf.ErrTruncated, 0, ""},
		{"fun size past its fields", etf.Decoder{}, funHex(+1), etf.ErrMalformed, 1, "size says"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.dec.Decode(testkit.Unhex(tc.hex))
			var de *etf.DecodeError
			if !errors.As(err, &de) || !errors.Is(err, tc.kind) {
				t.Fatalf("Decode = %v, %v; want a *DecodeError wrapping %v", got, err, tc.kind)
			}
			if got != nil {
				t.Fatalf("Decode returned %v with the error", got)
			}
			if tc.offset != 0 && de.Offset != tc.offset {
				t.Errorf("offset %d, want %d (%v)", de.Offset, tc.offset, err)
			}
			if !strings.Contains(err.Error(), tc.detail) || !strings.Contains(err.Error(), "at byte") {
				t.Errorf("error %q does not say %q and where", err, tc.detail)
			}
		})
	}
}

// funHex is a small NEW_FUN_EXT (erl_eval, no free variables) whose size
// field is off by delta; with delta 0 it decodes.
func funHex(delta int) string {
	body := "00" + hexRepeat("11", 16) + "0000002b" + "00000000" + "7708 65726c5f6576616c" + "612b" + "6101" +
		"58" + kateHex + "00000001 00000000 00000007"
	size := len(testkit.Unhex(body)) + 4 + delta
	return "83 70" + fmt.Sprintf("%08x", size) + body + strings.Repeat("6a", max(delta, 0))
}

func TestDecodeFunFromParts(t *testing.T) {
	got, err := etf.Decode(testkit.Unhex(funHex(0)))
	if err != nil {
		t.Fatal(err)
	}
	f, ok := got.(etf.Fun)
	if !ok || f.Module != "erl_eval" || f.Index != 43 || f.OldIndex != 43 || f.OldUniq != 1 || len(f.Free) != 0 {
		t.Fatalf("decoded %#v", got)
	}
}

func TestEncodeErrors(t *testing.T) {
	cyclic := etf.Tuple{nil}
	cyclic[0] = cyclic
	badRaw := etf.Fun{Raw: []byte{112, 0, 0, 0, 9}}
	tests := []struct {
		name string
		term etf.Term
		want string // in the error
	}{
		{"Go nil", nil, "etf.Nil{}"},
		{"a Go string", "hi", "string is not a term"},
		{"nil inside a tuple", etf.Tuple{etf.OK, nil}, "[1]"},
		{"nil inside a map value", etf.Map{{Key: etf.OK, Value: []int{1}}}, "{value 0}"},
		{"atom not UTF-8", etf.Atom("\xff"), "not valid UTF-8"},
		{"atom of 256 characters", etf.Atom(strings.Repeat("a", 256)), "256 characters"},
		{"NaN", math.NaN(), "NaN"},
		{"ref without words", etf.Ref{Node: kate}, "NewRef"},
		{"pid with a bad node", etf.Pid{Node: "\xff"}, "(pid node)"},
		{"bitstring with 9 bits", etf.BitBinary{Bytes: []byte{1}, Bits: 9}, "9 bits"},
		{"bitstring without bytes", etf.BitBinary{Bits: 3}, "no bytes"},
		{"fun raw of the wrong size", badRaw, "Fun.Raw"},
		{"a cycle", cyclic, "deeper than"},
		{"nil *big.Int", (*big.Int)(nil), "nil *big.Int"},
		{"a Go int32", int32(1), "int32 is not a term"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte{1, 2}
			out, err := etf.Append(prefix, tc.term)
			if !errors.Is(err, etf.ErrNotEncodable) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Append error %v, want ErrNotEncodable saying %q", err, tc.want)
			}
			if len(out) != len(prefix) {
				t.Fatalf("Append returned % x with an error, want the prefix back", out)
			}
		})
	}
}
