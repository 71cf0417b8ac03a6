package etf_test

import (
	"bytes"
	"testing"

	"chatd/internal/testkit"
	"chatd/wire/etf"
)

// FuzzDecode decodes arbitrary bytes: the decoder must never panic, and a
// term it accepts must re-encode, decode to an Equal term and re-encode to
// the same bytes again. The seeds are the tables of tags_test.go and
// errors_test.go and, in testdata/fuzz/FuzzDecode/, terms of the captures.
// Run it with
//
//	go test ./wire/etf -run='^$' -fuzz='^FuzzDecode$' -fuzztime=30s
func FuzzDecode(f *testing.F) {
	for _, tc := range canonical {
		f.Add(append([]byte{etf.Version}, testkit.Unhex(tc.hex)...))
	}
	f.Add(testkit.Unhex(funHex(0)))
	f.Add(testkit.Unhex("83" + nested(64)))
	f.Add(testkit.Unhex("83 6c 00000001 6101 6c000000016102 6103"))
	f.Add(testkit.Unhex("83 4d 00000001 03 ff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		term, err := etf.Decoder{MaxBigBytes: 64}.Decode(data)
		if err != nil {
			if term != nil {
				t.Fatalf("Decode returned %v with error %v", term, err)
			}
			return
		}
		_ = etf.Inspect(term)
		enc, err := etf.Encode(term)
		if err != nil {
			t.Fatalf("Encode(%s) of a decoded term: %v", etf.Inspect(term), err)
		}
		back, err := etf.Decode(enc)
		if err != nil {
			t.Fatalf("Decode(Encode(%s)) = %v\n% x", etf.Inspect(term), err, enc)
		}
		if !etf.Equal(term, back) {
			t.Fatalf("%s came back as %s", etf.Inspect(term), etf.Inspect(back))
		}
		if again, err := etf.Encode(back); err != nil || !bytes.Equal(again, enc) {
			t.Fatalf("%s re-encodes to other bytes: % x, %v\nwant % x", etf.Inspect(back), again, err, enc)
		}
	})
}
