package dist_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"chatd/internal/testkit"
	"chatd/wire/dist"
)

func digest(s string) (d [dist.DigestLen]byte) {
	copy(d[:], testkit.Unhex(s))
	return d
}

const creation = 0x6b103003

// handshakeGolden is the alex→kate handshake of BEAM.md §1.1 (cookie
// "secret"), framed, in order.
var handshakeGolden = []struct {
	name string
	msg  dist.HandshakeMessage
	hex  string
}{
	{"send_name", dist.SendName{Flags: dist.OTP25Published, Creation: creation, Name: "alex@localhost"},
		"001d 4e 0000000d07df7fbd 6b103003 000e 616c6578406c6f63616c686f7374"},
	{"status ok", dist.StatusOK, "0003 73 6f6b"},
	{"challenge", dist.Challenge{Flags: dist.OTP25Published, Challenge: 0x5e8823f9, Creation: creation, Name: "kate@localhost"},
		"0021 4e 0000000d07df7fbd 5e8823f9 6b103003 000e 6b617465406c6f63616c686f7374"},
	{"challenge_reply", dist.ChallengeReply{Challenge: 0xe13f80c8, Digest: digest("136c68b8f3c481bd5bfe70dd6480ec94")},
		"0015 72 e13f80c8 136c68b8f3c481bd5bfe70dd6480ec94"},
	{"challenge_ack", dist.ChallengeAck{Digest: digest("1e299e9d7a6da9e16abd17b243edfc72")},
		"0011 61 1e299e9d7a6da9e16abd17b243edfc72"},
}

// TestHandshakeGolden encodes each message to the captured bytes, and reads
// the whole captured exchange from one stream, each reader taking exactly
// its own message.
func TestHandshakeGolden(t *testing.T) {
	var stream []byte
	for _, tc := range handshakeGolden {
		got, err := dist.AppendHandshake(nil, tc.msg)
		if err != nil || !bytes.Equal(got, testkit.Unhex(tc.hex)) {
			t.Fatalf("%s: AppendHandshake = % x, %v\nwant % x", tc.name, got, err, testkit.Unhex(tc.hex))
		}
		stream = append(stream, got...)
	}
	r := bytes.NewReader(stream)
	reads := []func() (any, error){
		func() (any, error) { return dist.ReadSendName(r) },
		func() (any, error) { return dist.ReadStatus(r) },
		func() (any, error) { return dist.ReadChallenge(r) },
		func() (any, error) { return dist.ReadChallengeReply(r) },
		func() (any, error) { return dist.ReadChallengeAck(r) },
	}
	left := len(stream)
	for i, read := range reads {
		got, err := read()
		if err != nil || !reflect.DeepEqual(got, handshakeGolden[i].msg) {
			t.Fatalf("%s: read %#v, %v; want %#v", handshakeGolden[i].name, got, err, handshakeGolden[i].msg)
		}
		left -= len(testkit.Unhex(handshakeGolden[i].hex))
		if r.Len() != left {
			t.Fatalf("%s: %d bytes left after it, want %d: the reader read past its message", handshakeGolden[i].name, r.Len(), left)
		}
	}
}

// TestDigest checks the two digests of the captured handshake.
func TestDigest(t *testing.T) {
	for _, tc := range []struct {
		challenge uint32
		want      string
	}{
		{0x5e8823f9, "136c68b8f3c481bd5bfe70dd6480ec94"}, // md5("secret1585980409")
		{0xe13f80c8, "1e299e9d7a6da9e16abd17b243edfc72"}, // md5("secret3779035336")
	} {
		if got := dist.Digest("secret", tc.challenge); got != digest(tc.want) {
			t.Errorf("Digest(secret, %d) = %x, want %s", tc.challenge, got, tc.want)
		}
		if !dist.VerifyDigest("secret", tc.challenge, digest(tc.want)) {
			t.Errorf("VerifyDigest refused the captured digest of %d", tc.challenge)
		}
		if dist.VerifyDigest("secret_token", tc.challenge, digest(tc.want)) {
			t.Errorf("VerifyDigest accepted another cookie's digest")
		}
	}
	if a, b := dist.NewChallenge(), dist.NewChallenge(); a == b && a == dist.NewChallenge() {
		t.Errorf("NewChallenge returned %d three times", a)
	}
}

func TestHandshakeStatuses(t *testing.T) {
	for _, s := range []dist.Status{dist.StatusOK, dist.StatusOKSimultaneous, dist.StatusNok,
		dist.StatusNotAllowed, dist.StatusAlive, dist.StatusTrue, dist.StatusFalse} {
		b, err := dist.AppendHandshake(nil, s)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := dist.ReadStatus(bytes.NewReader(b)); err != nil || got != s {
			t.Errorf("status %s read back as %q, %v", s, got, err)
		}
	}
	if _, err := dist.AppendHandshake(nil, dist.Status("maybe")); err == nil {
		t.Error("AppendHandshake wrote an unknown status")
	}
	if got := dist.SimultaneousStatus("alex@localhost", "kate@localhost"); got != dist.StatusOKSimultaneous {
		t.Errorf("kate dialling alex while alex dials kate: alex answers %s, want ok_simultaneous", got)
	}
	if got := dist.SimultaneousStatus("kate@localhost", "alex@localhost"); got != dist.StatusNok {
		t.Errorf("alex dialling kate while kate dials alex: kate answers %s, want nok", got)
	}
}

// TestHandshakeMalformed feeds bad messages to the reader that expects them.
func TestHandshakeMalformed(t *testing.T) {
	tests := []struct {
		name string
		read func(io.Reader) error
		hex  string
		want error
		text string
	}{
		{"empty stream", readSendName, "", io.EOF, "length"},
		{"half a length", readSendName, "00", io.ErrUnexpectedEOF, "length"},
		{"empty message", readSendName, "0000", dist.ErrHandshake, "empty"},
		{"over the cap", readSendName, "0201 4e", dist.ErrHandshake, "513 bytes"},
		{"truncated body", readSendName, "001d 4e 0000", io.ErrUnexpectedEOF, "29-byte"},
		{"version 5", readSendName, "0014 6e 0005 0007df7d 616c6578406c6f63616c686f7374", dist.ErrOldVersion, "OTP 23"},
		{"wrong tag", readSendName, "0003 73 6f6b", dist.ErrHandshake, "want send_name"},
		{"short send_name", readSendName, "0005 4e 00000000", dist.ErrHandshake, "at least 15"},
		{"name longer than the message", readSendName, "000f 4e 0000000000000000 00000000 0001", dist.ErrHandshake, "1 bytes, 0 left"},
		{"name without a host", readSendName, "0014 4e 0000000000000000 00000000 0005 616c657840", dist.ErrHandshake, "name@host"},
		{"name not UTF-8", readSendName, "0012 4e 0000000000000000 00000000 0003 ff40ff", dist.ErrHandshake, "UTF-8"},
		{"short challenge", readChallenge, "000f 4e 0000000d07df7fbd 6b103003 000e", dist.ErrHandshake, "at least 19"},
		{"unknown status", readStatus, "0004 73 6d6568", dist.ErrHandshake, `"meh"`},
		{"named: status", readStatus, "0007 73 6e616d65643a", dist.ErrHandshake, "NAME_ME"},
		{"status without text", readStatus, "0001 73", dist.ErrHandshake, "at least 2"},
		{"reply too long", readReply, "0016 72 e13f80c8 136c68b8f3c481bd5bfe70dd6480ec94 00", dist.ErrHandshake, "want 21"},
		{"reply too short", readReply, "0014 72 e13f80c8 136c68b8f3c481bd5bfe70dd6480ec", dist.ErrHandshake, "at least 21"},
		{"ack too long", readAck, "0012 61 1e299e9d7a6da9e16abd17b243edfc72 00", dist.ErrHandshake, "want 17"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.read(bytes.NewReader(testkit.Unhex(tc.hex)))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("error %v, want %v saying %q", err, tc.want, tc.text)
			}
		})
	}
}

func readSendName(r io.Reader) error  { _, err := dist.ReadSendName(r); return err }
func readChallenge(r io.Reader) error { _, err := dist.ReadChallenge(r); return err }
func readStatus(r io.Reader) error    { _, err := dist.ReadStatus(r); return err }
func readReply(r io.Reader) error     { _, err := dist.ReadChallengeReply(r); return err }
func readAck(r io.Reader) error       { _, err := dist.ReadChallengeAck(r); return err }

// TestHandshakeIgnoresBytesAfterName: the protocol lets later versions add
// fields after the name.
func TestHandshakeIgnoresBytesAfterName(t *testing.T) {
	b := testkit.Unhex("001f 4e 0000000d07df7fbd 6b103003 000e 616c6578406c6f63616c686f7374 abcd")
	got, err := dist.ReadSendName(bytes.NewReader(b))
	if err != nil || got.Name != "alex@localhost" {
		t.Fatalf("ReadSendName = %+v, %v", got, err)
	}
}

// TestHandshakeRefusesBadNames: the encoder does not write a message the
// peer would refuse.
func TestHandshakeRefusesBadNames(t *testing.T) {
	for _, name := range []string{"", "alex", "@localhost", "alex@", strings.Repeat("a", 251) + "@host", "\xff@h"} {
		if _, err := dist.AppendHandshake(nil, dist.SendName{Name: name}); err == nil {
			t.Errorf("SendName with name %q encoded", name)
		}
		if err := dist.WriteHandshake(io.Discard, dist.Challenge{Name: name}); err == nil {
			t.Errorf("Challenge with name %q written", name)
		}
	}
}

func TestLooksLikeErlang(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want bool
	}{
		{"BEAM send_name", "001d 4e", true},
		{"BEAM version 5 send_name", "0014 6e", true},
		{"chatd's own hello", "004b 01", false},
		{"TLS client hello", "1603 01", false},
		{"an 'N' too short to be one", "0002 4e", false},
		{"an 'N' longer than the cap", "ffff 4e", false},
		{"two bytes", "001d", false},
		{"EPMD request", "0001 6e", false},
	}
	for _, tc := range tests {
		if got := dist.LooksLikeErlang(testkit.Unhex(tc.hex)); got != tc.want {
			t.Errorf("%s: LooksLikeErlang(%s) = %v", tc.name, tc.hex, got)
		}
	}
}
