package wire

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Limits of a call frame's fields.
const (
	MaxFunctionName = 64   // bytes in a function name
	MaxMsgID        = 64   // bytes in a message id
	MaxCallArgs     = 1024 // arguments in one call
)

// CallFlags modify how the executing node treats a call.
type CallFlags uint8

// The call flags.
const (
	// FlagResponderReply marks a call made by a responder to answer a
	// message; the receiving node never answers it in turn.
	FlagResponderReply CallFlags = 1 << 0
)

// Call asks the peer's task supervisor to run a function (FrameCall on a
// KindCalls stream).
type Call struct {
	ID       uint64        // unique among the caller's calls on this stream
	Timeout  time.Duration // how long the caller waits, in whole milliseconds on the wire
	Flags    CallFlags
	Function string   // a registered function name
	MsgID    string   // the message id, for receive_message; else empty
	Args     []string // the function's arguments
}

// Result answers a Call (FrameResult).
type Result struct {
	ID    uint64
	Code  ErrorCode // "" on success, else the failure kind
	Value string    // the result on success, else the error text
}

// AppendCall appends c's FrameCall payload to b.
func AppendCall(b []byte, c Call) []byte {
	b = binary.BigEndian.AppendUint64(b, c.ID)
	b = binary.BigEndian.AppendUint32(b, uint32(min(max(c.Timeout.Milliseconds(), 0), 1<<32-1)))
	b = append(b, byte(c.Flags), byte(len(c.Function)))
	b = append(b, c.Function...)
	b = append(b, byte(len(c.MsgID)))
	b = append(b, c.MsgID...)
	return appendArgs(b, c.Args)
}

// ValidateCall checks the limits AppendCall's encoding relies on.
func ValidateCall(c Call) error {
	switch {
	case c.Function == "" || len(c.Function) > MaxFunctionName:
		return fmt.Errorf("function name must be 1..%d bytes, got %d", MaxFunctionName, len(c.Function))
	case len(c.MsgID) > MaxMsgID:
		return fmt.Errorf("message id over %d bytes", MaxMsgID)
	case len(c.Args) > MaxCallArgs:
		return fmt.Errorf("%d arguments, the limit is %d", len(c.Args), MaxCallArgs)
	}
	return nil
}

// ParseCall decodes a FrameCall payload. The payload is bounded by the
// frame reader, so no field can allocate beyond it.
func ParseCall(p []byte) (Call, error) {
	d := decoder{b: p}
	var c Call
	c.ID = d.u64()
	c.Timeout = time.Duration(d.u32()) * time.Millisecond
	c.Flags = CallFlags(d.u8())
	c.Function = string(d.take(int(d.u8())))
	c.MsgID = string(d.take(int(d.u8())))
	c.Args = d.args()
	if err := d.finish("call"); err != nil {
		return Call{}, err
	}
	if err := ValidateCall(c); err != nil {
		return Call{}, fmt.Errorf("%w: %v", ErrFrameMalformed, err)
	}
	return c, nil
}

// AppendResult appends r's FrameResult payload to b.
func AppendResult(b []byte, r Result) []byte {
	b = binary.BigEndian.AppendUint64(b, r.ID)
	b = append(b, r.Code.resultStatus())
	return append(b, r.Value...)
}

// ParseResult decodes a FrameResult payload.
func ParseResult(p []byte) (Result, error) {
	if len(p) < 9 {
		return Result{}, fmt.Errorf("%w: result of %d bytes, want at least 9", ErrFrameMalformed, len(p))
	}
	return Result{ID: binary.BigEndian.Uint64(p), Code: codeOfStatus(p[8]), Value: string(p[9:])}, nil
}

// AppendCancel appends a FrameCancel payload for call id to b.
func AppendCancel(b []byte, id uint64) []byte { return binary.BigEndian.AppendUint64(b, id) }

// ParseCancel decodes a FrameCancel payload.
func ParseCancel(p []byte) (uint64, error) {
	if len(p) != 8 {
		return 0, fmt.Errorf("%w: cancel of %d bytes, want 8", ErrFrameMalformed, len(p))
	}
	return binary.BigEndian.Uint64(p), nil
}
