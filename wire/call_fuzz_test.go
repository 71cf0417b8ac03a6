package wire_test

import (
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
		seedPayloads(f, tc.wire)
	}
	f.Add([]byte(callHeader(wire.MaxCallArgs)))
	f.Add([]byte(callHeader(wire.MaxCallArgs + 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, ok := callCodec.fuzz(t, data)
		if !ok {
			return
		}
		if c.Function == "" || len(c.Args) > wire.MaxCallArgs {
			t.Fatalf("ParseCall accepted %#v", c)
		}
		if c.Timeout%time.Millisecond != 0 || c.Timeout < 0 {
			t.Fatalf("timeout %v is not a whole number of milliseconds", c.Timeout)
		}
	})
}
