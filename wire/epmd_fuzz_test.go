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
		req, err := wire.DecodeEPMDRequest(frame)
		if err != nil {
			return
		}
		read, rerr := wire.ReadEPMDRequest(bytes.NewReader(frame))
		if rerr != nil || !reflect.DeepEqual(read, req) {
			t.Fatalf("ReadEPMDRequest = %#v, %v; DecodeEPMDRequest = %#v", read, rerr, req)
		}
		enc, err := wire.AppendEPMDRequest(nil, req)
		if err != nil {
			t.Fatalf("re-encode %#v: %v", req, err)
		}
		again, err := wire.DecodeEPMDRequest(enc)
		if err != nil || !reflect.DeepEqual(again, req) {
			t.Fatalf("round trip: %#v, %v; want %#v", again, err, req)
		}
	})
}

func FuzzEPMDAlive2Reply(f *testing.F) {
	for _, tc := range epmdAlive2ReplyGolden {
		f.Add(tc.wire)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		reply, err := wire.DecodeAlive2Reply(b)
		if err != nil {
			return
		}
		again, err := wire.DecodeAlive2Reply(reply.Append(nil))
		if err != nil || again != reply {
			t.Fatalf("round trip: %+v, %v; want %+v", again, err, reply)
		}
	})
}

func FuzzEPMDPort2Resp(f *testing.F) {
	for _, tc := range epmdPort2Golden {
		f.Add(tc.wire)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		reply, err := wire.DecodePort2Resp(b)
		if err != nil {
			return
		}
		enc, err := reply.Append(nil)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", reply, err)
		}
		if !bytes.Equal(enc, b) { // PORT2_RESP has one encoding per value
			t.Fatalf("re-encoded %q; decoded from %q", enc, b)
		}
		again, err := wire.DecodePort2Resp(enc)
		if err != nil || !reflect.DeepEqual(again, reply) {
			t.Fatalf("round trip: %+v, %v; want %+v", again, err, reply)
		}
	})
}

func FuzzEPMDNames(f *testing.F) {
	for _, tc := range epmdNamesGolden {
		f.Add(tc.wire)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		reply, err := wire.DecodeNamesResp(b)
		if err != nil {
			return
		}
		enc, err := reply.Append(nil)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", reply, err)
		}
		again, err := wire.DecodeNamesResp(enc)
		if err != nil || !reflect.DeepEqual(again, reply) {
			t.Fatalf("round trip: %+v, %v; want %+v", again, err, reply)
		}
	})
}
