package dist

import (
	"errors"
	"fmt"

	"chatd/wire/etf"
)

// PassThrough is the first byte of a frame body without an atom-cache
// header: 112, then the control term and the optional message term, each
// with its own Version byte (BEAM.md §2.2).
const PassThrough = 112

// ErrNotPassThrough is wrapped when a frame body does not start with 112:
// typically 131 68, the atom-cache header of a peer that negotiated
// DIST_HDR_ATOM_CACHE, which chatd never advertises. A BEAM drops the
// connection in that case ("Got message from incompatible erlang").
var ErrNotPassThrough = errors.New("dist: not a pass-through (112) frame")

// Frame is a parsed 112 frame: the typed control message and, for the
// operations that carry one (Op.HasPayload), the message term still encoded.
// Payload starts with its Version byte and aliases the frame body; decode it
// with Message only when it is wanted (a SEND to a dead pid can be dropped
// unread).
type Frame struct {
	Control Control
	Payload []byte
}

// ParseFrame parses a non-empty frame body (a tick is not a frame): the
// control term is decoded with d and typed, the payload kept raw. Every
// error wraps ErrBadFrame: the frame is to be dropped and the connection
// kept, except that an error wrapping ErrNotPassThrough means the peer
// speaks another framing altogether.
func ParseFrame(body []byte, d etf.Decoder) (Frame, error) {
	switch {
	case len(body) == 0:
		return Frame{}, fmt.Errorf("%w: an empty body is a tick, not a frame", ErrBadFrame)
	case body[0] == etf.Version && len(body) > 1 && body[1] == 68:
		return Frame{}, fmt.Errorf("%w: %w: an atom-cache header (131 68)", ErrBadFrame, ErrNotPassThrough)
	case body[0] != PassThrough:
		return Frame{}, fmt.Errorf("%w: %w: it starts with %d", ErrBadFrame, ErrNotPassThrough, body[0])
	}
	term, rest, err := d.DecodeNext(body[1:])
	if err != nil {
		return Frame{}, fmt.Errorf("%w: control term (at byte 1 of the body): %w", ErrBadFrame, err)
	}
	c, err := ParseControl(term)
	if err != nil {
		return Frame{}, err
	}
	switch {
	case c.Op().HasPayload() && len(rest) == 0:
		return Frame{}, fmt.Errorf("%w: %s without the term that must follow it", ErrBadFrame, c.Op())
	case c.Op().HasPayload() && (rest[0] != etf.Version || len(rest) < 2):
		return Frame{}, fmt.Errorf("%w: the term after %s is not a term that starts with %d", ErrBadFrame, c.Op(), etf.Version)
	case !c.Op().HasPayload() && len(rest) > 0:
		return Frame{}, fmt.Errorf("%w: %d bytes after %s, which carries no message", ErrBadFrame, len(rest), c.Op())
	case !c.Op().HasPayload():
		rest = nil
	}
	return Frame{Control: c, Payload: rest}, nil
}

// Message decodes the payload: the message of a send, the reason of a
// PAYLOAD_ exit, the argument list of a SPAWN_REQUEST. Errors wrap
// ErrBadFrame.
func (f Frame) Message(d etf.Decoder) (etf.Term, error) {
	if f.Payload == nil {
		return nil, fmt.Errorf("%w: %s carries no message", ErrBadFrame, f.Control.Op())
	}
	t, err := d.Decode(f.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: message of %s: %w", ErrBadFrame, f.Control.Op(), err)
	}
	return t, nil
}

// Reason returns the exit reason of an exit or a monitor's DOWN, whether it
// is inside the control tuple (EXIT, EXIT2, MONITOR_P_EXIT) or follows it
// (the PAYLOAD_ forms).
func (f Frame) Reason(d etf.Decoder) (etf.Term, error) {
	switch c := f.Control.(type) {
	case Exit:
		return c.Reason, nil
	case Exit2:
		return c.Reason, nil
	case MonitorPExit:
		return c.Reason, nil
	case PayloadExit, PayloadExit2, PayloadMonitorPExit:
		return f.Message(d)
	}
	return nil, fmt.Errorf("dist: %s carries no exit reason", f.Control.Op())
}

// AppendFrame appends a complete frame, [Len:4] 112 Control [Message], to
// b. msg must be set exactly when the operation carries a payload (Op.
// HasPayload). On error b is returned unchanged.
func AppendFrame(b []byte, c Control, msg etf.Term) ([]byte, error) {
	if c.Op().HasPayload() != (msg != nil) {
		return b, payloadMismatch(c, msg != nil)
	}
	start := len(b)
	out, err := etf.Append(append(b, 0, 0, 0, 0, PassThrough), c.Tuple())
	if err != nil {
		return b, fmt.Errorf("dist: encode %s control tuple: %w", c.Op(), err)
	}
	if msg != nil {
		if out, err = etf.Append(out, msg); err != nil {
			return b, fmt.Errorf("dist: encode the message of %s: %w", c.Op(), err)
		}
	}
	return appendFrameLen(out, start)
}

// AppendFrameRaw is AppendFrame with the payload already encoded (with its
// Version byte), for passing a received message on unchanged.
func AppendFrameRaw(b []byte, c Control, payload []byte) ([]byte, error) {
	if c.Op().HasPayload() != (payload != nil) {
		return b, payloadMismatch(c, payload != nil)
	}
	if payload != nil && (len(payload) < 2 || payload[0] != etf.Version) {
		return b, fmt.Errorf("dist: the payload of %s must be a term starting with %d", c.Op(), etf.Version)
	}
	start := len(b)
	out, err := etf.Append(append(b, 0, 0, 0, 0, PassThrough), c.Tuple())
	if err != nil {
		return b, fmt.Errorf("dist: encode %s control tuple: %w", c.Op(), err)
	}
	return appendFrameLen(append(out, payload...), start)
}

func payloadMismatch(c Control, given bool) error {
	if given {
		return fmt.Errorf("dist: %s carries no message, but one was given", c.Op())
	}
	return fmt.Errorf("dist: %s needs a message (or reason, or argument list)", c.Op())
}
