package wire

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ProtocolVersion is the link protocol version this build speaks. The change
// list is in SPEC.md.
const ProtocolVersion = 1

// ChallengeLen is the length of a handshake challenge in bytes.
const ChallengeLen = 32

// MACLen is the length of a cookie proof (HMAC-SHA256) in bytes.
const MACLen = sha256.Size

// MaxHandshakeMsg bounds one handshake message, length prefix excluded.
const MaxHandshakeMsg = 1024

// ErrHandshakeMalformed is wrapped by every handshake decoding error.
var ErrHandshakeMalformed = errors.New("malformed handshake message")

// HandshakeType identifies a handshake message.
type HandshakeType uint8

// The handshake message types, in the order they are sent.
const (
	HSHello   HandshakeType = 1 // connector → acceptor
	HSWelcome HandshakeType = 2 // acceptor → connector
	HSProof   HandshakeType = 3 // connector → acceptor, then acceptor → connector
	HSRefuse  HandshakeType = 4 // either side, instead of the next message
	HSReady   HandshakeType = 5 // connector → acceptor: proof checked, link up
)

var handshakeTypeNames = map[HandshakeType]string{
	HSHello: "hello", HSWelcome: "welcome", HSProof: "proof", HSRefuse: "refuse", HSReady: "ready",
}

func (t HandshakeType) String() string { return enumName(handshakeTypeNames, t, "handshake type %d") }

// RefuseReason says why a handshake was refused.
type RefuseReason uint8

// The refusal reasons.
const (
	RefuseCookie     RefuseReason = 1  // the cookie proof did not verify
	RefuseVersion    RefuseReason = 2  // no common protocol version
	RefuseNameInUse  RefuseReason = 3  // another live node already holds the connector's name
	RefuseWrongNode  RefuseReason = 4  // the connector asked for another node
	RefuseDuplicate  RefuseReason = 5  // a simultaneous connect from the other side wins
	RefuseBusy       RefuseReason = 6  // too many handshakes or attempts; retry later
	RefuseShutdown   RefuseReason = 7  // the acceptor is shutting down
	RefuseBadMessage RefuseReason = 8  // the acceptor could not decode a message
	RefuseIdentity   RefuseReason = 9  // the connector's TLS certificate is not valid for its name's host
	RefuseTLS        RefuseReason = 10 // the acceptor takes only TLS links; the connector spoke plaintext
)

var refuseReasonNames = map[RefuseReason]string{
	RefuseCookie:     "cookie mismatch",
	RefuseVersion:    "version",
	RefuseNameInUse:  "name in use",
	RefuseWrongNode:  "wrong node",
	RefuseDuplicate:  "duplicate connection",
	RefuseBusy:       "busy",
	RefuseShutdown:   "shutting down",
	RefuseBadMessage: "bad message",
	RefuseIdentity:   "certificate does not match",
	RefuseTLS:        "TLS required",
}

func (r RefuseReason) String() string { return enumName(refuseReasonNames, r, "refuse reason %d") }

// HandshakeMsg is one of Hello, Welcome, Proof, Refuse and Ready.
type HandshakeMsg interface {
	// HandshakeType returns the message's type byte.
	HandshakeType() HandshakeType
	appendBody(b []byte) []byte
}

// Hello opens a handshake: who is calling, whom it wants, and its challenge.
type Hello struct {
	Version     uint16             // the connector's protocol version
	From        NodeName           // the connector
	To          NodeName           // the node the connector means to reach
	Incarnation uint64             // random per connector process start
	Challenge   [ChallengeLen]byte // fresh random bytes
}

// Welcome answers a Hello: the acceptor's name and its own challenge.
type Welcome struct {
	Version     uint16
	From        NodeName
	Incarnation uint64
	Challenge   [ChallengeLen]byte
}

// Proof carries an HMAC-SHA256 over the transcript so far (see SPEC.md).
type Proof struct {
	MAC [MACLen]byte
}

// Refuse ends a handshake with a reason the other side can print.
type Refuse struct {
	Reason RefuseReason
	Text   string // at most 255 bytes of detail, never secret
}

// Ready tells the acceptor that its proof verified; yamux starts after it.
type Ready struct{}

// HandshakeType implements HandshakeMsg.
func (Hello) HandshakeType() HandshakeType { return HSHello }

// HandshakeType implements HandshakeMsg.
func (Welcome) HandshakeType() HandshakeType { return HSWelcome }

// HandshakeType implements HandshakeMsg.
func (Proof) HandshakeType() HandshakeType { return HSProof }

// HandshakeType implements HandshakeMsg.
func (Refuse) HandshakeType() HandshakeType { return HSRefuse }

// HandshakeType implements HandshakeMsg.
func (Ready) HandshakeType() HandshakeType { return HSReady }

func (m Hello) appendBody(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, m.Version)
	b = appendString16(b, m.From.String())
	b = appendString16(b, m.To.String())
	b = binary.BigEndian.AppendUint64(b, m.Incarnation)
	return append(b, m.Challenge[:]...)
}

func (m Welcome) appendBody(b []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, m.Version)
	b = appendString16(b, m.From.String())
	b = binary.BigEndian.AppendUint64(b, m.Incarnation)
	return append(b, m.Challenge[:]...)
}

func (m Proof) appendBody(b []byte) []byte { return append(b, m.MAC[:]...) }

func (m Refuse) appendBody(b []byte) []byte {
	text := m.Text
	if len(text) > 255 {
		text = text[:255]
	}
	b = append(b, byte(m.Reason), byte(len(text)))
	return append(b, text...)
}

func (Ready) appendBody(b []byte) []byte { return b }

func appendString16(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// EncodeHandshake returns m framed as [Length:2][Type:1][Body].
func EncodeHandshake(m HandshakeMsg) []byte {
	b := make([]byte, 2, 64)
	b = append(b, byte(m.HandshakeType()))
	b = m.appendBody(b)
	binary.BigEndian.PutUint16(b, uint16(len(b)-2))
	return b
}

// WriteHandshake writes m in one Write and returns the bytes written, which
// the caller appends to its transcript.
func WriteHandshake(w io.Writer, m HandshakeMsg) ([]byte, error) {
	b := EncodeHandshake(m)
	if _, err := w.Write(b); err != nil {
		return nil, fmt.Errorf("write handshake %s: %w", m.HandshakeType(), err)
	}
	return b, nil
}

// ReadHandshake reads one framed handshake message, refusing a length above
// MaxHandshakeMsg before allocating. It returns the message and its raw
// bytes (length prefix included) for the transcript.
func ReadHandshake(r io.Reader) (HandshakeMsg, []byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, nil, fmt.Errorf("read handshake length: %w", err)
	}
	n := int(binary.BigEndian.Uint16(hdr[:]))
	if n == 0 || n > MaxHandshakeMsg {
		return nil, nil, fmt.Errorf("%w: length %d outside 1..%d", ErrHandshakeMalformed, n, MaxHandshakeMsg)
	}
	raw := make([]byte, 2+n)
	copy(raw, hdr[:])
	if _, err := io.ReadFull(r, raw[2:]); err != nil {
		if err == io.EOF {
			// The length prefix promised a body: ending here is a cut.
			err = io.ErrUnexpectedEOF
		}
		return nil, nil, fmt.Errorf("read handshake body (%d bytes): %w", n, err)
	}
	m, err := DecodeHandshake(raw[2:])
	if err != nil {
		return nil, nil, err
	}
	return m, raw, nil
}

// DecodeHandshake decodes [Type:1][Body] (no length prefix).
func DecodeHandshake(b []byte) (HandshakeMsg, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrHandshakeMalformed)
	}
	d := decoder{b: b[1:]}
	var m HandshakeMsg
	switch t := HandshakeType(b[0]); t {
	case HSHello:
		var h Hello
		h.Version = d.u16()
		h.From = d.nodeName()
		h.To = d.nodeName()
		h.Incarnation = d.u64()
		d.bytes(h.Challenge[:])
		m = h
	case HSWelcome:
		var w Welcome
		w.Version = d.u16()
		w.From = d.nodeName()
		w.Incarnation = d.u64()
		d.bytes(w.Challenge[:])
		m = w
	case HSProof:
		var p Proof
		d.bytes(p.MAC[:])
		m = p
	case HSRefuse:
		var r Refuse
		r.Reason = RefuseReason(d.u8())
		r.Text = string(d.take(int(d.u8())))
		m = r
	case HSReady:
		m = Ready{}
	default:
		return nil, fmt.Errorf("%w: unknown type %d", ErrHandshakeMalformed, uint8(t))
	}
	if d.err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrHandshakeMalformed, HandshakeType(b[0]), d.err)
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %s: %d trailing bytes", ErrHandshakeMalformed, HandshakeType(b[0]), len(d.b))
	}
	return m, nil
}

// Proof labels keep a connector's proof from being replayed as an
// acceptor's and the other way round.
const (
	connectorLabel = "chatd/1 connector proof\x00"
	acceptorLabel  = "chatd/1 acceptor proof\x00"
)

// ConnectorMAC is the connector's proof: HMAC-SHA256(cookie, label ||
// hello || welcome), both messages as sent, length prefixes included.
func ConnectorMAC(cookie, transcript []byte) [MACLen]byte {
	return mac(cookie, connectorLabel, transcript)
}

// AcceptorMAC is the acceptor's proof: HMAC-SHA256(cookie, label || hello ||
// welcome || connector's proof message).
func AcceptorMAC(cookie, transcript []byte) [MACLen]byte {
	return mac(cookie, acceptorLabel, transcript)
}

func mac(cookie []byte, label string, transcript []byte) [MACLen]byte {
	h := hmac.New(sha256.New, cookie)
	h.Write([]byte(label))
	h.Write(transcript)
	var out [MACLen]byte
	h.Sum(out[:0])
	return out
}

// VerifyMAC compares two proofs in constant time.
func VerifyMAC(got, want [MACLen]byte) bool { return hmac.Equal(got[:], want[:]) }
