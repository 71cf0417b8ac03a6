package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// FrameHeaderLen is the length of a frame header: [Length:4][Type:1].
const FrameHeaderLen = 5

// DefaultMaxFrame is the default bound on a frame's payload.
const DefaultMaxFrame = 1 << 20

// ErrFrameTooLarge is returned when a frame's length exceeds the reader's
// limit; the stream must be closed since its framing is lost.
var ErrFrameTooLarge = errors.New("frame too large")

// ErrFrameMalformed is wrapped by frame decoding errors.
var ErrFrameMalformed = errors.New("malformed frame")

// FrameType identifies a frame on a link stream.
type FrameType uint8

// The frame types. A stream starts with FrameOpen naming its kind.
const (
	FrameOpen   FrameType = 1 // payload: [Kind:1]; the first frame of every stream
	FramePing   FrameType = 2 // payload: opaque, echoed in FramePong
	FramePong   FrameType = 3 // payload: the FramePing payload
	FrameError  FrameType = 4 // payload: [CodeLen:1][Code][Text]; the stream ends after it
	FrameCall   FrameType = 5 // payload: a Call (see call.go); caller → executor
	FrameResult FrameType = 6 // payload: a Result; executor → caller
	FrameCancel FrameType = 7 // payload: [ID:8]; caller → executor

	FrameSpawn   FrameType = 8  // payload: a Spawn (see process.go); caller → executor
	FrameSpawned FrameType = 9  // payload: [Len:2][Pid]; executor → caller
	FrameOutput  FrameType = 10 // payload: one line the process printed
	FrameExit    FrameType = 11 // payload: the exit reason ("normal" or why)
	FrameSend    FrameType = 12 // payload: a PidSend; answered by FrameResult
)

var frameTypeNames = map[FrameType]string{
	FrameOpen: "open", FramePing: "ping", FramePong: "pong", FrameError: "error",
	FrameCall: "call", FrameResult: "result", FrameCancel: "cancel",
	FrameSpawn: "spawn", FrameSpawned: "spawned", FrameOutput: "output", FrameExit: "exit", FrameSend: "send",
}

func (t FrameType) String() string { return enumName(frameTypeNames, t, "frame type %d") }

// StreamKind says what a stream carries; it is the payload of FrameOpen.
type StreamKind uint8

// The stream kinds.
const (
	KindPing  StreamKind = 1 // ping/pong round trips
	KindCalls StreamKind = 2 // calls from the stream's opener, results back
	KindSpawn StreamKind = 3 // one spawned process: its output and exit back
)

var streamKindNames = map[StreamKind]string{KindPing: "ping", KindCalls: "calls", KindSpawn: "spawn"}

func (k StreamKind) String() string { return enumName(streamKindNames, k, "stream kind %d") }

// Frame is one decoded frame.
type Frame struct {
	Type    FrameType
	Payload []byte
}

// AppendFrame appends [Length:4][Type:1][Payload] to b, where Length counts
// the type byte and the payload.
func AppendFrame(b []byte, t FrameType, payload []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(1+len(payload)))
	b = append(b, byte(t))
	return append(b, payload...)
}

// AppendFrameWith appends a frame whose payload appendPayload appends in
// place, saving the copy AppendFrame makes.
func AppendFrameWith(b []byte, t FrameType, appendPayload func([]byte) []byte) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0, byte(t))
	b = appendPayload(b)
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
	return b
}

// WriteFrame writes one frame in a single Write call.
func WriteFrame(w io.Writer, t FrameType, payload []byte) error {
	if _, err := w.Write(AppendFrame(make([]byte, 0, FrameHeaderLen+len(payload)), t, payload)); err != nil {
		return fmt.Errorf("write %s frame: %w", t, err)
	}
	return nil
}

// FrameReader reads frames from a stream, refusing any frame whose payload
// exceeds Max before allocating for it.
type FrameReader struct {
	r   io.Reader
	max int
	hdr [FrameHeaderLen]byte
}

// NewFrameReader returns a reader of frames from r with payloads of at most
// max bytes (DefaultMaxFrame when max ≤ 0).
func NewFrameReader(r io.Reader, max int) *FrameReader {
	if max <= 0 {
		max = DefaultMaxFrame
	}
	return &FrameReader{r: r, max: max}
}

// ReadFrame reads the next frame. io.EOF means the stream ended cleanly
// between frames; a frame cut short is io.ErrUnexpectedEOF.
func (fr *FrameReader) ReadFrame() (Frame, error) {
	if _, err := io.ReadFull(fr.r, fr.hdr[:]); err != nil {
		return Frame{}, err
	}
	n := binary.BigEndian.Uint32(fr.hdr[:4])
	if n == 0 {
		return Frame{}, fmt.Errorf("%w: zero length", ErrFrameMalformed)
	}
	if uint64(n-1) > uint64(fr.max) {
		return Frame{}, fmt.Errorf("%w: %d-byte payload, the limit is %d", ErrFrameTooLarge, n-1, fr.max)
	}
	f := Frame{Type: FrameType(fr.hdr[4])}
	if n > 1 {
		f.Payload = make([]byte, n-1)
		if _, err := io.ReadFull(fr.r, f.Payload); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return Frame{}, fmt.Errorf("read %s frame payload: %w", f.Type, err)
		}
	}
	return f, nil
}

// OpenPayload returns the FrameOpen payload for kind.
func OpenPayload(kind StreamKind) []byte { return []byte{byte(kind)} }

// ParseOpen decodes a FrameOpen frame into its stream kind.
func ParseOpen(f Frame) (StreamKind, error) {
	if f.Type != FrameOpen {
		return 0, fmt.Errorf("%w: stream starts with %s, want open", ErrFrameMalformed, f.Type)
	}
	if len(f.Payload) != 1 {
		return 0, fmt.Errorf("%w: open payload is %d bytes, want 1", ErrFrameMalformed, len(f.Payload))
	}
	return StreamKind(f.Payload[0]), nil
}

// ErrorPayload encodes a FrameError payload.
func ErrorPayload(code ErrorCode, text string) []byte {
	if len(code) > 255 {
		code = code[:255]
	}
	b := append([]byte{byte(len(code))}, code...)
	return append(b, text...)
}

// ParseError decodes a FrameError payload.
func ParseError(f Frame) (ErrorCode, string, error) {
	if f.Type != FrameError || len(f.Payload) == 0 {
		return "", "", fmt.Errorf("%w: not an error frame", ErrFrameMalformed)
	}
	n := int(f.Payload[0])
	if 1+n > len(f.Payload) {
		return "", "", fmt.Errorf("%w: error code length %d beyond payload", ErrFrameMalformed, n)
	}
	return ErrorCode(f.Payload[1 : 1+n]), string(f.Payload[1+n:]), nil
}
