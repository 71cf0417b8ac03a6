package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Alive2XResp is the reply to ALIVE2_REQ (ALIVE2_X_RESP). Result 0 is
// success; Result 1 means the name is taken (with Creation 99).
type Alive2XResp struct {
	Result   uint8
	Creation uint32
}

// Append appends the reply's bytes to b.
func (m Alive2XResp) Append(b []byte) []byte {
	return binary.BigEndian.AppendUint32(append(b, byte(EPMDAlive2XResp), m.Result), m.Creation)
}

// Alive2Resp is the older reply to ALIVE2_REQ (ALIVE2_RESP) with a 16-bit
// creation, sent to nodes whose HighestVersion is below 6.
type Alive2Resp struct {
	Result   uint8
	Creation uint16
}

// Append appends the reply's bytes to b.
func (m Alive2Resp) Append(b []byte) []byte {
	return binary.BigEndian.AppendUint16(append(b, byte(EPMDAlive2Resp), m.Result), m.Creation)
}

// AppendAlive2Reply appends the reply to an ALIVE2_REQ whose
// HighestVersion is highest: ALIVE2_X_RESP from version 6, else
// ALIVE2_RESP with the creation's low 16 bits (epmd hands older nodes a
// creation of 1 to 3, or 99 with a refusal).
func AppendAlive2Reply(b []byte, highest uint16, result uint8, creation uint32) []byte {
	if highest >= 6 {
		return Alive2XResp{Result: result, Creation: creation}.Append(b)
	}
	return Alive2Resp{Result: result, Creation: uint16(creation)}.Append(b)
}

// ReadAlive2Reply reads an ALIVE2_X_RESP or an ALIVE2_RESP; the latter is
// returned widened to an Alive2XResp.
func ReadAlive2Reply(r io.Reader) (Alive2XResp, error) {
	var b [6]byte
	if _, err := io.ReadFull(r, b[:2]); err != nil {
		return Alive2XResp{}, readErr(err, "ALIVE2 reply")
	}
	switch tag := EPMDTag(b[0]); tag {
	case EPMDAlive2XResp:
		if _, err := io.ReadFull(r, b[2:6]); err != nil {
			return Alive2XResp{}, readErr(err, "ALIVE2_X_RESP")
		}
		return Alive2XResp{Result: b[1], Creation: binary.BigEndian.Uint32(b[2:])}, nil
	case EPMDAlive2Resp:
		if _, err := io.ReadFull(r, b[2:4]); err != nil {
			return Alive2XResp{}, readErr(err, "ALIVE2_RESP")
		}
		return Alive2XResp{Result: b[1], Creation: uint32(binary.BigEndian.Uint16(b[2:]))}, nil
	default:
		return Alive2XResp{}, &UnknownEPMDTagError{Kind: "reply", Tag: tag}
	}
}

// DecodeAlive2Reply decodes exactly one ALIVE2_X_RESP or ALIVE2_RESP.
func DecodeAlive2Reply(b []byte) (Alive2XResp, error) {
	return decodeAll(b, "ALIVE2 reply", ReadAlive2Reply)
}

// Port2Resp is the reply to PORT_PLEASE2_REQ. When Result is not 0 the node
// is not registered, the reply is exactly two bytes and Node is zero.
type Port2Resp struct {
	Result uint8
	Node   NodeEntry
}

// Append appends the reply's bytes to b.
func (m Port2Resp) Append(b []byte) ([]byte, error) {
	if m.Result != 0 {
		return append(b, byte(EPMDPort2Resp), m.Result), nil
	}
	start := len(b)
	b, err := appendNodeFields(append(b, byte(EPMDPort2Resp), 0), m.Node)
	if err != nil {
		return b[:start], fmt.Errorf("PORT2_RESP: %w", err)
	}
	return b, nil
}

// ReadPort2Resp reads one PORT2_RESP.
func ReadPort2Resp(r io.Reader) (Port2Resp, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return Port2Resp{}, readErr(err, "PORT2_RESP")
	}
	if tag := EPMDTag(hdr[0]); tag != EPMDPort2Resp {
		return Port2Resp{}, &UnknownEPMDTagError{Kind: "reply", Tag: tag}
	}
	if hdr[1] != 0 {
		return Port2Resp{Result: hdr[1]}, nil
	}
	e, err := readNodeFields(r, "PORT2_RESP")
	if err != nil {
		return Port2Resp{}, err
	}
	return Port2Resp{Node: e}, nil
}

// DecodePort2Resp decodes exactly one PORT2_RESP.
func DecodePort2Resp(b []byte) (Port2Resp, error) {
	return decodeAll(b, "PORT2_RESP", ReadPort2Resp)
}

// NameEntry is one line of a NAMES reply.
type NameEntry struct {
	Name string // the node name before the @
	Port int    // the node's distribution listen port
}

// NamesResp is the reply to NAMES_REQ.
type NamesResp struct {
	Port  uint32      // the mapper's own port
	Nodes []NameEntry // nil when no node is registered
}

// Append appends the reply's bytes to b.
func (m NamesResp) Append(b []byte) ([]byte, error) {
	start := len(b)
	b = binary.BigEndian.AppendUint32(b, m.Port)
	for _, n := range m.Nodes {
		if err := ValidateEPMDName(n.Name); err != nil {
			return b[:start], fmt.Errorf("NAMES reply: %w", err)
		}
		if n.Port < 0 || n.Port > 65535 {
			return b[:start], fmt.Errorf("%w: NAMES reply: port %d of %q out of range", ErrEPMDMalformed, n.Port, n.Name)
		}
		b = fmt.Appendf(b, "name %s at port %d\n", n.Name, n.Port)
		if len(b)-start > MaxEPMDNamesReply {
			return b[:start], fmt.Errorf("%w: NAMES reply exceeds %d bytes", ErrEPMDTooLarge, MaxEPMDNamesReply)
		}
	}
	return b, nil
}

// ReadNamesResp reads a NAMES reply up to the end of r (the mapper closes
// the connection after it), at most MaxEPMDNamesReply bytes.
func ReadNamesResp(r io.Reader) (NamesResp, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxEPMDNamesReply+1))
	if err != nil {
		return NamesResp{}, fmt.Errorf("read NAMES reply: %w", err)
	}
	return DecodeNamesResp(b)
}

// DecodeNamesResp decodes a complete NAMES reply.
func DecodeNamesResp(b []byte) (NamesResp, error) {
	if len(b) > MaxEPMDNamesReply {
		return NamesResp{}, fmt.Errorf("%w: NAMES reply exceeds %d bytes", ErrEPMDTooLarge, MaxEPMDNamesReply)
	}
	if len(b) < 4 {
		return NamesResp{}, fmt.Errorf("%w: NAMES reply of %d bytes", ErrEPMDMalformed, len(b))
	}
	m := NamesResp{Port: binary.BigEndian.Uint32(b)}
	text := string(b[4:])
	for text != "" {
		line, rest, ok := strings.Cut(text, "\n")
		if !ok {
			return NamesResp{}, fmt.Errorf("%w: NAMES reply: unterminated line %q", ErrEPMDMalformed, line)
		}
		e, err := parseNamesLine(line)
		if err != nil {
			return NamesResp{}, err
		}
		m.Nodes = append(m.Nodes, e)
		text = rest
	}
	return m, nil
}

func parseNamesLine(line string) (NameEntry, error) {
	body, ok := strings.CutPrefix(line, "name ")
	i := strings.LastIndex(body, " at port ")
	if !ok || i < 0 {
		return NameEntry{}, fmt.Errorf("%w: NAMES reply: bad line %q", ErrEPMDMalformed, line)
	}
	name, digits := body[:i], body[i+len(" at port "):]
	if err := ValidateEPMDName(name); err != nil {
		return NameEntry{}, fmt.Errorf("NAMES reply: %w", err)
	}
	port, err := strconv.ParseUint(digits, 10, 16)
	if err != nil {
		return NameEntry{}, fmt.Errorf("%w: NAMES reply: bad port %q for %q", ErrEPMDMalformed, digits, name)
	}
	return NameEntry{Name: name, Port: int(port)}, nil
}

// appendNodeFields appends [Port:2][NodeType][Protocol][High:2][Low:2]
// [Nlen:2][Name][Elen:2][Extra].
func appendNodeFields(b []byte, e NodeEntry) ([]byte, error) {
	if err := ValidateEPMDName(e.Name); err != nil {
		return b, err
	}
	if len(e.Extra) > MaxEPMDExtraLen {
		return b, fmt.Errorf("%w: extra is %d bytes, limit %d", ErrEPMDTooLarge, len(e.Extra), MaxEPMDExtraLen)
	}
	b = binary.BigEndian.AppendUint16(b, e.Port)
	b = append(b, e.NodeType, e.Protocol)
	b = binary.BigEndian.AppendUint16(b, e.HighestVersion)
	b = binary.BigEndian.AppendUint16(b, e.LowestVersion)
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.Name)))
	b = append(b, e.Name...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.Extra)))
	return append(b, e.Extra...), nil
}

// nodeFixedLen is the size of [Port:2][NodeType][Protocol][High:2][Low:2]
// [Nlen:2], the fixed part of the node fields.
const nodeFixedLen = 10

// parseNodeFixed decodes the fixed part of the node fields from b (at
// least nodeFixedLen bytes) and returns it with the name's length.
func parseNodeFixed(b []byte) (NodeEntry, int) {
	return NodeEntry{
		Port:           binary.BigEndian.Uint16(b[0:]),
		NodeType:       b[2],
		Protocol:       b[3],
		HighestVersion: binary.BigEndian.Uint16(b[4:]),
		LowestVersion:  binary.BigEndian.Uint16(b[6:]),
	}, int(binary.BigEndian.Uint16(b[8:]))
}

// readNodeFields reads what appendNodeFields writes, checking each length
// against its limit before allocating.
func readNodeFields(r io.Reader, what string) (NodeEntry, error) {
	var fixed [nodeFixedLen]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return NodeEntry{}, readErr(err, what)
	}
	e, nlen := parseNodeFixed(fixed[:])
	if nlen > MaxEPMDNameBytes {
		return NodeEntry{}, fmt.Errorf("%w: %s name is %d bytes, more than %d characters can take", ErrEPMDTooLarge, what, nlen, MaxEPMDNameLen)
	}
	buf := make([]byte, nlen+2)
	if _, err := io.ReadFull(r, buf); err != nil {
		return NodeEntry{}, readErr(err, what)
	}
	e.Name = string(buf[:nlen])
	if err := ValidateEPMDName(e.Name); err != nil {
		return NodeEntry{}, fmt.Errorf("%s: %w", what, err)
	}
	elen := int(binary.BigEndian.Uint16(buf[nlen:]))
	if elen > MaxEPMDExtraLen {
		return NodeEntry{}, fmt.Errorf("%w: %s extra is %d bytes, limit %d", ErrEPMDTooLarge, what, elen, MaxEPMDExtraLen)
	}
	if elen > 0 {
		e.Extra = make([]byte, elen)
		if _, err := io.ReadFull(r, e.Extra); err != nil {
			return NodeEntry{}, readErr(err, what)
		}
	}
	return e, nil
}

// decodeAll runs read over b and refuses trailing bytes.
func decodeAll[T any](b []byte, what string, read func(io.Reader) (T, error)) (T, error) {
	rd := bytes.NewReader(b)
	v, err := read(rd)
	if err != nil {
		var zero T
		return zero, err
	}
	if rd.Len() != 0 {
		var zero T
		return zero, fmt.Errorf("%w: %s has %d trailing bytes", ErrEPMDMalformed, what, rd.Len())
	}
	return v, nil
}

// readErr turns a short read into ErrEPMDMalformed (keeping
// io.ErrUnexpectedEOF in the chain) and names what was being read.
func readErr(err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: %s truncated: %w", ErrEPMDMalformed, what, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("read %s: %w", what, err)
}
