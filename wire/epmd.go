package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// EPMD packets (layouts in /work/shared/EPMD.md, checked against a real epmd).
// Integers are big-endian. Requests are framed [Length:2][Tag:1][...];
// replies are not framed and the mapper closes the connection after the
// PORT2_RESP and NAMES replies.
//
//	ALIVE2_REQ    [120][Port:2][NodeType:1][Protocol:1][High:2][Low:2][Nlen:2][Name][Elen:2][Extra]
//	ALIVE2_X_RESP [118][Result:1][Creation:4]
//	ALIVE2_RESP   [121][Result:1][Creation:2]
//	PORT_PLEASE2  [122][Name]                          (one trailing NUL tolerated)
//	PORT2_RESP    [119][Result>0] | [119][0][Port:2][NodeType:1][Protocol:1][High:2][Low:2][Nlen:2][Name][Elen:2][Extra]
//	NAMES_REQ     [110]
//	NAMES reply   [MapperPort:4] then "name <name> at port <port>\n" per node
//	KILL_REQ      [107]                                 answered "NO" or "OK" as by epmd; chatd's mapper never stops

// EPMDTag is the first byte of an EPMD request body or reply.
type EPMDTag uint8

// The EPMD tags chatd speaks.
const (
	EPMDKillReq        EPMDTag = 107 // KILL_REQ
	EPMDNamesReq       EPMDTag = 110 // NAMES_REQ
	EPMDAlive2XResp    EPMDTag = 118 // ALIVE2_X_RESP
	EPMDPort2Resp      EPMDTag = 119 // PORT2_RESP
	EPMDAlive2Req      EPMDTag = 120 // ALIVE2_REQ
	EPMDAlive2Resp     EPMDTag = 121 // ALIVE2_RESP (16-bit creation, pre-version-6 nodes)
	EPMDPortPlease2Req EPMDTag = 122 // PORT_PLEASE2_REQ
)

// String returns the tag's name in the OTP documentation, or EPMDTag(N).
func (t EPMDTag) String() string { return enumName(epmdTagNames, t, "EPMDTag(%d)") }

var epmdTagNames = map[EPMDTag]string{
	EPMDKillReq: "KILL_REQ", EPMDNamesReq: "NAMES_REQ", EPMDAlive2XResp: "ALIVE2_X_RESP", EPMDPort2Resp: "PORT2_RESP",
	EPMDAlive2Req: "ALIVE2_REQ", EPMDAlive2Resp: "ALIVE2_RESP", EPMDPortPlease2Req: "PORT_PLEASE2_REQ",
}

// EPMD protocol constants and the limits every decoder enforces before it
// allocates.
const (
	// DefaultEPMDPort is the port mappers listen on unless configured otherwise.
	DefaultEPMDPort = 4369
	// EPMDNodeTypeNormal is the NodeType of a normal (not hidden) node, 'M'.
	EPMDNodeTypeNormal uint8 = 77
	// EPMDProtocolTCP is the Protocol of TCP/IPv4 distribution.
	EPMDProtocolTCP uint8 = 0
	// EPMDVersion is the distribution version chatd registers (OTP 25+ use 6).
	EPMDVersion uint16 = 6
	// ChatdExtra is the Extra chatd registers with, so that a lookup can tell
	// a chatd node from an Erlang node (which registers an empty Extra).
	ChatdExtra = "chatd/1"
	// EPMDDuplicateCreation is the creation a mapper sends with Result 1 when
	// the name is already registered.
	EPMDDuplicateCreation = 99
	// MaxEPMDNameLen is the longest node name (the part before @) in
	// characters, as epmd counts: a name is UTF-8.
	MaxEPMDNameLen = 255
	// MaxEPMDNameBytes is the most bytes a name of MaxEPMDNameLen
	// characters takes (epmd's MAXSYMLEN).
	MaxEPMDNameBytes = 4 * MaxEPMDNameLen
	// MaxEPMDExtraLen is the longest Extra in bytes (epmd's MAXSYMLEN).
	MaxEPMDExtraLen = 1020
	// EPMDKillRefused is epmd's reply to KILL_REQ while nodes are
	// registered.
	EPMDKillRefused = "NO"
	// EPMDKillOK is epmd's reply to KILL_REQ when no node is registered
	// (epmd then exits; chatd's mapper does not).
	EPMDKillOK = "OK"
	// MaxEPMDRequestLen is the longest request body, epmd's: what its
	// 3060-byte buffer holds besides the length and a terminating NUL.
	MaxEPMDRequestLen = 3*MaxEPMDNameBytes - 3
	// MaxEPMDNamesReply is the longest NAMES reply a decoder accepts.
	MaxEPMDNamesReply = 1 << 20
)

// Sentinel errors wrapped by every EPMD decoding and encoding error.
var (
	// ErrEPMDMalformed means the bytes do not follow the EPMD layout.
	ErrEPMDMalformed = errors.New("malformed EPMD packet")
	// ErrEPMDTooLarge means a length exceeds one of the MaxEPMD limits.
	ErrEPMDTooLarge = errors.New("EPMD packet too large")
)

// UnknownEPMDTagError reports a tag this side does not handle. It wraps
// ErrEPMDMalformed.
type UnknownEPMDTagError struct {
	// Kind is "request" or "reply".
	Kind string
	// Tag is the tag that was received.
	Tag EPMDTag
}

// Error returns e.g. "unknown EPMD request tag 77".
func (e *UnknownEPMDTagError) Error() string {
	return fmt.Sprintf("unknown EPMD %s tag %d", e.Kind, uint8(e.Tag))
}

// Unwrap returns ErrEPMDMalformed.
func (e *UnknownEPMDTagError) Unwrap() error { return ErrEPMDMalformed }

// ValidateEPMDName checks a name as registered with or looked up in a
// mapper: 1 to MaxEPMDNameLen characters of UTF-8 (so at most
// MaxEPMDNameBytes bytes), no control characters (they would break the
// NAMES reply's lines and PORT_PLEASE2's trailing NUL).
func ValidateEPMDName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty node name", ErrEPMDMalformed)
	}
	if len(name) > MaxEPMDNameBytes {
		return fmt.Errorf("%w: node name is %d bytes, more than %d characters can take", ErrEPMDTooLarge, len(name), MaxEPMDNameLen)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: node name %q is not UTF-8", ErrEPMDMalformed, name)
	}
	if n := utf8.RuneCountInString(name); n > MaxEPMDNameLen {
		return fmt.Errorf("%w: node name is %d characters, limit %d", ErrEPMDTooLarge, n, MaxEPMDNameLen)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: node name %q has control character 0x%02x", ErrEPMDMalformed, name, c)
		}
	}
	return nil
}

// NodeEntry is what a mapper knows about a registered node, as returned in a
// successful PORT2_RESP: the fields of the node's Alive2Req.
type NodeEntry struct {
	Port           uint16 // the node's distribution listen port
	NodeType       uint8  // 77 normal, 72 hidden
	Protocol       uint8  // 0 TCP/IPv4
	HighestVersion uint16 // highest distribution version spoken
	LowestVersion  uint16 // lowest distribution version spoken
	Name           string // the node name before the @
	Extra          []byte // opaque; chatd sends ChatdExtra; nil when empty
}

// IsChatd reports whether the node registered with chatd's Extra.
func (e NodeEntry) IsChatd() bool { return string(e.Extra) == ChatdExtra }

// EPMDRequest is one request a client sends to a mapper: an Alive2Req, a
// PortPlease2Req or a NamesReq.
type EPMDRequest interface {
	// Tag returns the request's tag.
	Tag() EPMDTag
	appendBody(b []byte) ([]byte, error)
}

// Alive2Req (ALIVE2_REQ) registers a node with the fields the mapper then
// keeps as its NodeEntry; the registration lasts as long as the connection
// it was sent on.
type Alive2Req NodeEntry

// ChatdAlive2Req returns the registration chatd sends for name at port:
// NodeType 77, Protocol 0, versions 6/6, Extra ChatdExtra.
func ChatdAlive2Req(name string, port uint16) Alive2Req {
	return Alive2Req{Port: port, NodeType: EPMDNodeTypeNormal, Protocol: EPMDProtocolTCP,
		HighestVersion: EPMDVersion, LowestVersion: EPMDVersion, Name: name, Extra: []byte(ChatdExtra)}
}

// Tag returns EPMDAlive2Req.
func (Alive2Req) Tag() EPMDTag { return EPMDAlive2Req }

// Entry returns the NodeEntry a mapper stores for this registration.
func (r Alive2Req) Entry() NodeEntry { return NodeEntry(r) }

func (r Alive2Req) appendBody(b []byte) ([]byte, error) {
	return appendNodeFields(append(b, byte(EPMDAlive2Req)), NodeEntry(r))
}

// PortPlease2Req (PORT_PLEASE2_REQ) looks a node up by name.
type PortPlease2Req struct {
	Name string // the node name before the @
}

// Tag returns EPMDPortPlease2Req.
func (PortPlease2Req) Tag() EPMDTag { return EPMDPortPlease2Req }

func (r PortPlease2Req) appendBody(b []byte) ([]byte, error) {
	if err := ValidateEPMDName(r.Name); err != nil {
		return b, fmt.Errorf("PORT_PLEASE2_REQ: %w", err)
	}
	return append(append(b, byte(EPMDPortPlease2Req)), r.Name...), nil
}

// NamesReq (NAMES_REQ) asks for the list of registered names.
type NamesReq struct{}

// Tag returns EPMDNamesReq.
func (NamesReq) Tag() EPMDTag { return EPMDNamesReq }

func (NamesReq) appendBody(b []byte) ([]byte, error) { return append(b, byte(EPMDNamesReq)), nil }

// KillReq (KILL_REQ) asks the mapper to stop. epmd stops only when no node
// is registered; chatd's mapper never does.
type KillReq struct{}

// Tag returns EPMDKillReq.
func (KillReq) Tag() EPMDTag { return EPMDKillReq }

func (KillReq) appendBody(b []byte) ([]byte, error) { return append(b, byte(EPMDKillReq)), nil }

// Alive2RefusedError reports an ALIVE2_REQ whose layout is sound but which
// a mapper refuses with Result 1, as epmd does, rather than hanging up: a
// name that is too long, not UTF-8 or has control characters, an Extra
// that is too long. It wraps the reason (ErrEPMDTooLarge or
// ErrEPMDMalformed).
type Alive2RefusedError struct {
	// HighestVersion is the request's; it picks the form of the reply.
	HighestVersion uint16
	// Err says what is wrong.
	Err error
}

// Error returns e.g. "ALIVE2_REQ refused: EPMD packet too large: ...".
func (e *Alive2RefusedError) Error() string { return "ALIVE2_REQ refused: " + e.Err.Error() }

// Unwrap returns the reason.
func (e *Alive2RefusedError) Unwrap() error { return e.Err }

// Reply returns the refusal a mapper sends: Result 1, creation
// EPMDDuplicateCreation.
func (e *Alive2RefusedError) Reply() []byte {
	return AppendAlive2Reply(nil, e.HighestVersion, 1, EPMDDuplicateCreation)
}

// AppendEPMDRequest appends req framed as [Length:2][body] to b.
func AppendEPMDRequest(b []byte, req EPMDRequest) ([]byte, error) {
	start := len(b)
	b, err := req.appendBody(append(b, 0, 0))
	if err != nil {
		return b[:start], err
	}
	n := len(b) - start - 2
	if n > MaxEPMDRequestLen {
		return b[:start], fmt.Errorf("%w: %v is %d bytes, limit %d", ErrEPMDTooLarge, req.Tag(), n, MaxEPMDRequestLen)
	}
	binary.BigEndian.PutUint16(b[start:], uint16(n))
	return b, nil
}

// ReadEPMDRequest reads one framed request. It returns io.EOF unwrapped
// when r ends before the first byte, so a server can tell a quiet close from
// a malformed request.
func ReadEPMDRequest(r io.Reader) (EPMDRequest, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, readErr(err, "EPMD request length")
	}
	n := binary.BigEndian.Uint16(hdr[:])
	if n == 0 {
		return nil, fmt.Errorf("%w: empty EPMD request", ErrEPMDMalformed)
	}
	if n > MaxEPMDRequestLen { // before the body is allocated
		return nil, fmt.Errorf("%w: EPMD request of %d bytes, limit %d", ErrEPMDTooLarge, n, MaxEPMDRequestLen)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, readErr(err, "EPMD request body")
	}
	return decodeEPMDRequestBody(body)
}

// DecodeEPMDRequest decodes exactly one framed request.
func DecodeEPMDRequest(frame []byte) (EPMDRequest, error) {
	if len(frame) == 0 {
		return nil, fmt.Errorf("%w: empty EPMD request frame", ErrEPMDMalformed)
	}
	return decodeAll(frame, "EPMD request frame", ReadEPMDRequest)
}

func decodeEPMDRequestBody(body []byte) (EPMDRequest, error) {
	switch tag := EPMDTag(body[0]); tag {
	case EPMDAlive2Req:
		return decodeAlive2Req(body[1:])
	case EPMDPortPlease2Req:
		name := body[1:]
		if len(name) > 0 && name[len(name)-1] == 0 {
			name = name[:len(name)-1]
		}
		if len(name) > MaxEPMDNameBytes { // before the string conversion allocates
			return nil, fmt.Errorf("%w: PORT_PLEASE2_REQ name is %d bytes, more than %d characters can take", ErrEPMDTooLarge, len(name), MaxEPMDNameLen)
		}
		if err := ValidateEPMDName(string(name)); err != nil {
			return nil, fmt.Errorf("PORT_PLEASE2_REQ: %w", err)
		}
		return PortPlease2Req{Name: string(name)}, nil
	case EPMDNamesReq:
		if len(body) != 1 {
			return nil, fmt.Errorf("%w: NAMES_REQ has %d trailing bytes", ErrEPMDMalformed, len(body)-1)
		}
		return NamesReq{}, nil
	case EPMDKillReq:
		if len(body) != 1 {
			return nil, fmt.Errorf("%w: KILL_REQ has %d trailing bytes", ErrEPMDMalformed, len(body)-1)
		}
		return KillReq{}, nil
	default:
		return nil, &UnknownEPMDTagError{Kind: "request", Tag: tag}
	}
}

// decodeAlive2Req decodes an ALIVE2_REQ body in epmd's order: lengths that
// do not add up, or a NUL in the name, are malformed (epmd hangs up);
// then a name or Extra that breaks a limit is an *Alive2RefusedError
// (epmd answers Result 1).
func decodeAlive2Req(b []byte) (EPMDRequest, error) {
	const what = "ALIVE2_REQ"
	if len(b) <= nodeFixedLen+2 { // epmd hangs up on an empty name with an empty Extra too
		return nil, fmt.Errorf("%w: %s of %d bytes truncated: %w", ErrEPMDMalformed, what, len(b)+1, io.ErrUnexpectedEOF)
	}
	e, nlen := parseNodeFixed(b)
	b = b[nodeFixedLen:]
	if len(b) < nlen+2 {
		return nil, fmt.Errorf("%w: %s name of %d bytes truncated: %w", ErrEPMDMalformed, what, nlen, io.ErrUnexpectedEOF)
	}
	name := b[:nlen]
	elen := int(binary.BigEndian.Uint16(b[nlen:]))
	b = b[nlen+2:]
	if len(b) < elen {
		return nil, fmt.Errorf("%w: %s extra of %d bytes truncated: %w", ErrEPMDMalformed, what, elen, io.ErrUnexpectedEOF)
	}
	if len(b) > elen {
		return nil, fmt.Errorf("%w: %s has %d trailing bytes", ErrEPMDMalformed, what, len(b)-elen)
	}
	if bytes.IndexByte(name, 0) >= 0 {
		return nil, fmt.Errorf("%w: %s name %q has a NUL", ErrEPMDMalformed, what, name)
	}
	refuse := func(err error) error { return &Alive2RefusedError{HighestVersion: e.HighestVersion, Err: err} }
	e.Name = string(name)
	if err := ValidateEPMDName(e.Name); err != nil {
		return nil, refuse(err)
	}
	if elen > MaxEPMDExtraLen {
		return nil, refuse(fmt.Errorf("%w: extra is %d bytes, limit %d", ErrEPMDTooLarge, elen, MaxEPMDExtraLen))
	}
	if elen > 0 {
		e.Extra = bytes.Clone(b) // b is the caller's buffer
	}
	return Alive2Req(e), nil
}
