package dist_test

import (
	"bytes"
	"reflect"
	"testing"

	"chatd/internal/testkit"
	"chatd/wire/dist"
	"chatd/wire/etf"
)

// The fuzz targets of the distribution wire layer, seeded from the golden
// tables and from testdata/fuzz/<FuzzName>/ (the captured handshakes and
// frames). Run one with
//
//	go test ./wire/dist -run='^$' -fuzz='^FuzzFrame$' -fuzztime=30s

// FuzzHandshake reads one handshake message from arbitrary bytes and tries
// every parser on it: nothing may panic, the reader must stop at the
// message's end, and whatever parses must re-encode and parse back equal.
func FuzzHandshake(f *testing.F) {
	for _, tc := range handshakeGolden {
		f.Add(testkit.Unhex(tc.hex))
	}
	f.Add(testkit.Unhex("0014 6e 0005 0007df7d 616c6578406c6f63616c686f7374"))
	f.Add(testkit.Unhex("0201 4e"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = dist.LooksLikeErlang(data)
		r := bytes.NewReader(data)
		p, err := dist.ReadHandshake(r)
		if err != nil {
			return
		}
		if consumed := len(data) - r.Len(); consumed != 2+len(p) || len(p) > dist.MaxHandshakeLen {
			t.Fatalf("read %d bytes for a payload of %d", consumed, len(p))
		}
		check(t, p, dist.ParseSendName)
		check(t, p, dist.ParseChallenge)
		check(t, p, dist.ParseStatus)
		check(t, p, dist.ParseChallengeReply)
		check(t, p, dist.ParseChallengeAck)
	})
}

func check[M dist.HandshakeMessage](t *testing.T, p []byte, parse func([]byte) (M, error)) {
	m, err := parse(p)
	if err != nil {
		return
	}
	enc, err := dist.AppendHandshake(nil, m)
	if err != nil {
		t.Fatalf("%#v parsed but does not encode: %v", m, err)
	}
	again, err := parse(enc[2:])
	if err != nil || !reflect.DeepEqual(again, m) {
		t.Fatalf("%#v re-encodes to % x, which parses as %#v, %v", m, enc, again, err)
	}
}

// FuzzFrame reads frames from arbitrary bytes with a 4 KiB cap and parses
// each: nothing may panic, and a frame that parses must re-encode to a
// frame that parses to the same control message and payload.
func FuzzFrame(f *testing.F) {
	for _, tc := range controls {
		b, err := dist.AppendFrame(nil, tc.c, tc.msg)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(dist.AppendTick(b))
	}
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0, 0, 0x10, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := etf.Decoder{MaxBigBytes: 64}
		r := bytes.NewReader(data)
		var buf []byte
		for range 8 {
			body, err := dist.ReadFrame(r, 4096, buf)
			if err != nil {
				return
			}
			buf = body
			if len(body) == 0 {
				continue
			}
			fr, err := dist.ParseFrame(body, dec)
			if err != nil {
				continue
			}
			raw, err := dist.AppendFrameRaw(nil, fr.Control, fr.Payload)
			if err != nil {
				t.Fatalf("%#v parsed but does not re-encode: %v", fr.Control, err)
			}
			again, err := dist.ParseFrame(raw[4:], dec)
			if err != nil || !etf.Equal(again.Control.Tuple(), fr.Control.Tuple()) || !bytes.Equal(again.Payload, fr.Payload) {
				t.Fatalf("%#v re-encodes to % x, which parses as %#v, %v", fr.Control, raw, again.Control, err)
			}
			if msg, err := fr.Message(dec); err == nil {
				if _, err := dist.AppendFrame(nil, fr.Control, msg); err != nil {
					t.Fatalf("message %s decoded but does not encode: %v", etf.Inspect(msg), err)
				}
			}
		}
	})
}
