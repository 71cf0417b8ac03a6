package wire_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"chatd/wire"
)

// FuzzCall decodes arbitrary FrameCall payloads: ParseCall must not panic,
// an error must wrap ErrFrameMalformed and come with the zero Call, and a
// call it accepts must re-encode to exactly the bytes it read. It is seeded
// from callGolden and testdata/fuzz/FuzzCall/. Run it with
//
//	go test ./wire -run='^$' -fuzz='^FuzzCall$' -fuzztime=20s
func FuzzCall(f *testing.F) {
	for _, tc := range callGolden {
		f.Add([]byte(tc.wire))
		f.Add([]byte(tc.wire[:len(tc.wire)-1]))
		f.Add([]byte(tc.wire + "\x00"))
	}
	f.Add([]byte(callHeader(wire.MaxCallArgs)))
	f.Add([]byte(callHeader(wire.MaxCallArgs + 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := wire.ParseCall(data)
		if err != nil {
			if !errors.Is(err, wire.ErrFrameMalformed) {
				t.Fatalf("ParseCall(% x): %v does not wrap ErrFrameMalformed", data, err)
			}
			if !reflect.DeepEqual(c, wire.Call{}) {
				t.Fatalf("ParseCall(% x) returned %#v with its error", data, c)
			}
			return
		}
		if c.Function == "" || len(c.Args) > wire.MaxCallArgs {
			t.Fatalf("ParseCall accepted %#v", c)
		}
		if c.Timeout%time.Millisecond != 0 || c.Timeout < 0 {
			t.Fatalf("timeout %v is not a whole number of milliseconds", c.Timeout)
		}
		enc := wire.AppendCall(nil, c)
		if !bytes.Equal(enc, data) {
			t.Fatalf("%#v re-encodes to\n% x\nread from\n% x", c, enc, data)
		}
		again, err := wire.ParseCall(enc)
		if err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("ParseCall(AppendCall(c)) = %#v, %v; want %#v", again, err, c)
		}
	})
}
