package dist

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// The version-6 handshake (BEAM.md §1.1): every message is [Len:2][payload],
// and the payload starts with a tag byte. A is the initiator, B the
// acceptor:
//
//	A→B  SendName        'N' Flags:8 Creation:4 Nlen:2 Name
//	B→A  Status          's' "ok" | "ok_simultaneous" | "nok" | "not_allowed" | "alive"
//	A→B  Status          's' "true" | "false", only after "alive"
//	B→A  Challenge       'N' Flags:8 Challenge:4 Creation:4 Nlen:2 Name
//	A→B  ChallengeReply  'r' Challenge:4 Digest:16
//	B→A  ChallengeAck    'a' Digest:16
//
// SendName and Challenge share the tag 'N': which one comes is known from
// the step, so each has its own Read and Parse function. A switches to
// 4-byte framing right after it sends 'r', B right after it sends 'a'.

// MaxHandshakeLen bounds one handshake payload; a longer length is refused
// before anything is read. The longest real message, a Challenge naming a
// node of MaxNodeNameLen bytes, is 19+255 bytes.
const MaxHandshakeLen = 512

// MaxNodeNameLen bounds the node name in an 'N' message (a node name is an
// atom: at most 255 characters, and BEAM names are ASCII).
const MaxNodeNameLen = 255

// DigestLen is the length of an MD5 challenge digest.
const DigestLen = 16

// The handshake tag bytes.
const (
	tagName      = 'N' // send_name and challenge, version 6
	tagOldName   = 'n' // version-5 send_name (OTP 22 and older)
	tagStatus    = 's'
	tagReply     = 'r'
	tagAck       = 'a'
	sendNameLen  = 1 + 8 + 4 + 2     // before the name
	challengeLen = 1 + 8 + 4 + 4 + 2 // before the name
)

var (
	// ErrHandshake is wrapped by every handshake decoding error; the
	// connection must be closed.
	ErrHandshake = errors.New("dist: malformed handshake message")
	// ErrOldVersion is wrapped when the peer speaks the version-5
	// handshake of OTP 22 and older.
	ErrOldVersion = errors.New("dist: version-5 handshake ('n'); chatd speaks version 6 (OTP 23 and later)")
)

// SendName is the initiator's first message ('N', send_name).
type SendName struct {
	Flags    Flags
	Creation uint32 // the initiator's creation, from its port mapper
	Name     string // the initiator's full node name, name@host
}

// Challenge is the acceptor's challenge ('N' after the status).
type Challenge struct {
	Flags     Flags
	Challenge uint32 // the initiator answers with Digest(cookie, Challenge)
	Creation  uint32
	Name      string // the acceptor's full node name; the initiator checks it
}

// ChallengeReply is the initiator's answer ('r'): its own challenge for
// the acceptor, and the digest of the acceptor's.
type ChallengeReply struct {
	Challenge uint32
	Digest    [DigestLen]byte
}

// ChallengeAck is the acceptor's digest of the initiator's challenge ('a').
type ChallengeAck struct {
	Digest [DigestLen]byte
}

// Status is the acceptor's answer to SendName ('s'), or the initiator's
// answer to StatusAlive.
type Status string

// The statuses.
const (
	StatusOK             Status = "ok"              // go on
	StatusOKSimultaneous Status = "ok_simultaneous" // go on; the acceptor drops its own attempt
	StatusNok            Status = "nok"             // the acceptor's own simultaneous attempt wins
	StatusNotAllowed     Status = "not_allowed"     // refused (flags, or not an allowed node); the socket closes
	StatusAlive          Status = "alive"           // a connection to the initiator exists; answer true or false
	StatusTrue           Status = "true"            // after alive: go on, the acceptor drops the old connection
	StatusFalse          Status = "false"           // after alive: give up
)

// HandshakeMessage is one of SendName, Status, Challenge, ChallengeReply
// and ChallengeAck.
type HandshakeMessage interface {
	appendPayload(b []byte) ([]byte, error)
}

func (m SendName) appendPayload(b []byte) ([]byte, error) {
	if err := checkNodeName(m.Name); err != nil {
		return b, err
	}
	b = binary.BigEndian.AppendUint64(append(b, tagName), uint64(m.Flags))
	b = binary.BigEndian.AppendUint32(b, m.Creation)
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.Name)))
	return append(b, m.Name...), nil
}

func (m Challenge) appendPayload(b []byte) ([]byte, error) {
	if err := checkNodeName(m.Name); err != nil {
		return b, err
	}
	b = binary.BigEndian.AppendUint64(append(b, tagName), uint64(m.Flags))
	b = binary.BigEndian.AppendUint32(b, m.Challenge)
	b = binary.BigEndian.AppendUint32(b, m.Creation)
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.Name)))
	return append(b, m.Name...), nil
}

func (m ChallengeReply) appendPayload(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint32(append(b, tagReply), m.Challenge)
	return append(b, m.Digest[:]...), nil
}

func (m ChallengeAck) appendPayload(b []byte) ([]byte, error) {
	return append(append(b, tagAck), m.Digest[:]...), nil
}

func (m Status) appendPayload(b []byte) ([]byte, error) {
	if !m.known() {
		return b, fmt.Errorf("dist: status %q is not one of the handshake's", string(m))
	}
	return append(append(b, tagStatus), m...), nil
}

func (m Status) known() bool {
	switch m {
	case StatusOK, StatusOKSimultaneous, StatusNok, StatusNotAllowed, StatusAlive, StatusTrue, StatusFalse:
		return true
	}
	return false
}

// checkNodeName checks a name in an 'N' message: name@host, valid UTF-8,
// at most MaxNodeNameLen bytes. The daemon applies its own, stricter rules.
func checkNodeName(name string) error {
	at := strings.IndexByte(name, '@')
	switch {
	case len(name) > MaxNodeNameLen:
		return fmt.Errorf("node name of %d bytes is longer than %d", len(name), MaxNodeNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("node name %q is not valid UTF-8", name)
	case at <= 0 || at == len(name)-1:
		return fmt.Errorf("node name %q is not name@host", name)
	}
	return nil
}

// AppendHandshake appends m framed as [Len:2][payload]. It fails on a
// message the peer would refuse (a bad node name, an unknown status).
func AppendHandshake(b []byte, m HandshakeMessage) ([]byte, error) {
	start := len(b)
	out, err := m.appendPayload(append(b, 0, 0))
	if err != nil {
		return b, fmt.Errorf("dist: encode handshake message: %w", err)
	}
	binary.BigEndian.PutUint16(out[start:], uint16(len(out)-start-2))
	return out, nil
}

// WriteHandshake writes m framed as [Len:2][payload] in one Write.
func WriteHandshake(w io.Writer, m HandshakeMessage) error {
	b, err := AppendHandshake(nil, m)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("dist: write handshake message: %w", err)
	}
	return nil
}

// ReadHandshake reads one [Len:2][payload] message and returns the payload.
// It reads exactly the message's bytes, never more, and refuses a length
// above MaxHandshakeLen before reading the body. Deadlines are the
// caller's (OTP allows net_setuptime, 7 s, per step).
func ReadHandshake(r io.Reader) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("dist: read handshake length: %w", err)
	}
	n := int(binary.BigEndian.Uint16(hdr[:]))
	switch {
	case n == 0:
		return nil, fmt.Errorf("%w: empty message", ErrHandshake)
	case n > MaxHandshakeLen:
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrHandshake, n, MaxHandshakeLen)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		return nil, fmt.Errorf("dist: read %d-byte handshake message: %w", n, noEOF(err))
	}
	return p, nil
}

// noEOF turns io.EOF inside a message into io.ErrUnexpectedEOF.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// LooksLikeErlang reports whether the first 3 bytes a peer sent start an
// Erlang distribution handshake: [Len:2] then 'N' (or the old 'n'), with a
// length an 'N' message can have. chatd's own handshake starts
// [Len:2][Type=1], and TLS starts 0x16, so a listener can tell them apart.
func LooksLikeErlang(first3 []byte) bool {
	if len(first3) < 3 || first3[2] != tagName && first3[2] != tagOldName {
		return false
	}
	n := int(binary.BigEndian.Uint16(first3))
	return n >= 1+2+4+1 && n <= MaxHandshakeLen // 'n' Version:2 Flags:4 Name is the shortest
}
