package wire_test

import (
	"bytes"
	"reflect"
	"testing"

	"chatd/wire"
)

// Each fuzz target is seeded from the golden tables in epmd_test.go (and
// from testdata/fuzz/<FuzzName>/), and checks that whatever decodes
// re-encodes and decodes to the same value.

func FuzzEPMDRequest(f *testing.F) {
	for _, tc := range epmdRequestGolden {
		f.Add(tc.wire)
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		req, enc := epmdRequestCodec.fuzz(t, frame)
		if enc == nil {
			return
		}
		read, err := wire.ReadEPMDRequest(bytes.NewReader(frame))
		if err != nil || !reflect.DeepEqual(read, req) {
			t.Fatalf("ReadEPMDRequest = %#v, %v; DecodeEPMDRequest = %#v", read, err, req)
		}
	})
}

func FuzzEPMDAlive2Reply(f *testing.F) {
	for _, tc := range epmdAlive2ReplyGolden {
		f.Add(tc.wire)
	}
	f.Fuzz(func(t *testing.T, b []byte) { alive2ReplyCodec.fuzz(t, b) })
}

func FuzzEPMDPort2Resp(f *testing.F) {
	for _, tc := range epmdPort2Golden {
		f.Add(tc.wire)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// PORT2_RESP has one encoding per value.
		if _, enc := port2RespCodec.fuzz(t, b); enc != nil && !bytes.Equal(enc, b) {
			t.Fatalf("re-encoded %q; decoded from %q", enc, b)
		}
	})
}

func FuzzEPMDNames(f *testing.F) {
	for _, tc := range epmdNamesGolden {
		f.Add(tc.wire)
	}
	f.Fuzz(func(t *testing.T, b []byte) { namesRespCodec.fuzz(t, b) })
}
