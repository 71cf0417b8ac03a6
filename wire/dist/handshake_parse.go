package dist

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// Parsing the handshake payloads ReadHandshake returns. Each function
// expects one message kind and wraps ErrHandshake on anything else.

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrHandshake}, args...)...)
}

// expect checks the tag and the least length of payload p.
func expect(p []byte, tag byte, what string, least int) error {
	switch {
	case len(p) == 0:
		return malformed("empty %s", what)
	case p[0] == tagOldName && tag == tagName:
		return ErrOldVersion
	case p[0] != tag:
		return malformed("want %s ('%c'), got tag %q", what, tag, p[0])
	case len(p) < least:
		return malformed("%s of %d bytes, want at least %d", what, len(p), least)
	}
	return nil
}

// nameMessage checks that p is an 'N' message (send_name or challenge)
// whose fixed part of off bytes ends in Nlen:2, and returns the Name after
// it; bytes after the name are ignored, as the protocol asks.
func nameMessage(p []byte, what string, off int) (string, error) {
	if err := expect(p, tagName, what, off); err != nil {
		return "", err
	}
	n := int(binary.BigEndian.Uint16(p[off-2:]))
	if n > len(p)-off {
		return "", malformed("%s name of %d bytes, %d left", what, n, len(p)-off)
	}
	name := string(p[off : off+n])
	if err := checkNodeName(name); err != nil {
		return "", malformed("%s: %v", what, err)
	}
	return name, nil
}

// ParseSendName parses the initiator's 'N' message.
func ParseSendName(p []byte) (SendName, error) {
	name, err := nameMessage(p, "send_name", sendNameLen)
	if err != nil {
		return SendName{}, err
	}
	return SendName{Flags: Flags(binary.BigEndian.Uint64(p[1:])), Creation: binary.BigEndian.Uint32(p[9:]), Name: name}, nil
}

// ParseChallenge parses the acceptor's 'N' message.
func ParseChallenge(p []byte) (Challenge, error) {
	name, err := nameMessage(p, "challenge", challengeLen)
	if err != nil {
		return Challenge{}, err
	}
	return Challenge{Flags: Flags(binary.BigEndian.Uint64(p[1:])), Challenge: binary.BigEndian.Uint32(p[9:]),
		Creation: binary.BigEndian.Uint32(p[13:]), Name: name}, nil
}

// ParseStatus parses an 's' message. "named:" (the answer to NAME_ME,
// which chatd never sets) and unknown statuses are errors.
func ParseStatus(p []byte) (Status, error) {
	if err := expect(p, tagStatus, "status", 2); err != nil {
		return "", err
	}
	s := Status(p[1:])
	switch {
	case strings.HasPrefix(string(s), "named:"):
		return "", malformed("status %q answers NAME_ME, which chatd does not set", string(s))
	case !s.known():
		return "", malformed("unknown status %q", string(s))
	}
	return s, nil
}

// ParseChallengeReply parses an 'r' message (exactly 21 bytes).
func ParseChallengeReply(p []byte) (ChallengeReply, error) {
	const n = 1 + 4 + DigestLen
	if err := expect(p, tagReply, "challenge_reply", n); err != nil {
		return ChallengeReply{}, err
	}
	if len(p) != n {
		return ChallengeReply{}, malformed("challenge_reply of %d bytes, want %d", len(p), n)
	}
	m := ChallengeReply{Challenge: binary.BigEndian.Uint32(p[1:])}
	copy(m.Digest[:], p[5:])
	return m, nil
}

// ParseChallengeAck parses an 'a' message (exactly 17 bytes).
func ParseChallengeAck(p []byte) (ChallengeAck, error) {
	const n = 1 + DigestLen
	if err := expect(p, tagAck, "challenge_ack", n); err != nil {
		return ChallengeAck{}, err
	}
	if len(p) != n {
		return ChallengeAck{}, malformed("challenge_ack of %d bytes, want %d", len(p), n)
	}
	var m ChallengeAck
	copy(m.Digest[:], p[1:])
	return m, nil
}

func readAs[M any](r io.Reader, parse func([]byte) (M, error)) (M, error) {
	p, err := ReadHandshake(r)
	if err != nil {
		var zero M
		return zero, err
	}
	return parse(p)
}

// ReadSendName reads and parses the initiator's 'N' message.
func ReadSendName(r io.Reader) (SendName, error) { return readAs(r, ParseSendName) }

// ReadChallenge reads and parses the acceptor's 'N' message.
func ReadChallenge(r io.Reader) (Challenge, error) { return readAs(r, ParseChallenge) }

// ReadStatus reads and parses an 's' message.
func ReadStatus(r io.Reader) (Status, error) { return readAs(r, ParseStatus) }

// ReadChallengeReply reads and parses an 'r' message.
func ReadChallengeReply(r io.Reader) (ChallengeReply, error) { return readAs(r, ParseChallengeReply) }

// ReadChallengeAck reads and parses an 'a' message.
func ReadChallengeAck(r io.Reader) (ChallengeAck, error) { return readAs(r, ParseChallengeAck) }
