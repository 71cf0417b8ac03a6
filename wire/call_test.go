package wire_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"chatd/wire"
)

// callGolden holds calls and their FrameCall payloads, written out by hand
// from the layout in call.go:
//
//	[ID:8][TimeoutMs:4][Flags:1][FnLen:1][Fn][MsgIDLen:1][MsgID][NArgs:2]{[ArgLen:4][Arg]}
//
// FuzzCall is seeded from it.
var callGolden = []struct {
	name string
	call wire.Call
	wire string
}{
	{
		name: "responder reply with message id and three args",
		call: wire.Call{
			ID: 0x0102030405060708, Timeout: 5 * time.Second, Flags: wire.FlagResponderReply,
			Function: "receive_message", MsgID: "0123456789abcdef", Args: []string{"hi", "", "ünï"},
		},
		wire: "\x01\x02\x03\x04\x05\x06\x07\x08" + // id
			"\x00\x00\x13\x88" + // 5000 ms
			"\x01" + // flags
			"\x0f" + "receive_message" +
			"\x10" + "0123456789abcdef" +
			"\x00\x03" + // three args
			"\x00\x00\x00\x02" + "hi" +
			"\x00\x00\x00\x00" + // the empty one
			"\x00\x00\x00\x05" + "ünï",
	},
	{
		name: "no timeout, flags, message id or args",
		call: wire.Call{Function: "echo"},
		wire: "\x00\x00\x00\x00\x00\x00\x00\x00" + "\x00\x00\x00\x00" + "\x00" + "\x04echo" + "\x00" + "\x00\x00",
	},
	{
		name: "one empty arg",
		call: wire.Call{ID: 1, Timeout: time.Millisecond, Function: "echo", Args: []string{""}},
		wire: "\x00\x00\x00\x00\x00\x00\x00\x01" + "\x00\x00\x00\x01" + "\x00" + "\x04echo" + "\x00" + "\x00\x01" + "\x00\x00\x00\x00",
	},
	{
		name: "largest id and timeout, unknown flag bits pass through",
		call: wire.Call{ID: 1<<64 - 1, Timeout: (1<<32 - 1) * time.Millisecond, Flags: 0x81, Function: "sleep", Args: []string{"1h"}},
		wire: "\xff\xff\xff\xff\xff\xff\xff\xff" + "\xff\xff\xff\xff" + "\x81" + "\x05sleep" + "\x00" + "\x00\x01" + "\x00\x00\x00\x02" + "1h",
	},
}

func TestCallGolden(t *testing.T) {
	for _, tc := range callGolden {
		t.Run(tc.name, func(t *testing.T) {
			if err := wire.ValidateCall(tc.call); err != nil {
				t.Fatalf("ValidateCall: %v", err)
			}
			callCodec.checkGolden(t, tc.call, tc.wire)
			// Inside a frame, as the client writes it.
			fr := wire.AppendFrameWith(nil, wire.FrameCall, func(b []byte) []byte { return wire.AppendCall(b, tc.call) })
			if want := wire.AppendFrame(nil, wire.FrameCall, []byte(tc.wire)); !bytes.Equal(fr, want) {
				t.Fatalf("AppendFrameWith(AppendCall)\n got % x\nwant % x", fr, want)
			}
		})
	}
}

func TestCallTimeoutOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		wireMs  string
		parsed  time.Duration
	}{
		{"whole seconds", 5 * time.Second, "\x00\x00\x13\x88", 5 * time.Second},
		{"sub-millisecond part dropped", 1500 * time.Microsecond, "\x00\x00\x00\x01", time.Millisecond},
		{"under a millisecond is none", 999 * time.Microsecond, "\x00\x00\x00\x00", 0},
		{"largest", (1<<32 - 1) * time.Millisecond, "\xff\xff\xff\xff", (1<<32 - 1) * time.Millisecond},
		{"beyond 32 bits clamps", (1 << 40) * time.Millisecond, "\xff\xff\xff\xff", (1<<32 - 1) * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := wire.AppendCall(nil, wire.Call{Timeout: tc.timeout, Function: "echo"})
			if got := string(p[8:12]); got != tc.wireMs {
				t.Fatalf("timeout encodes as % x, want % x", got, tc.wireMs)
			}
			c, err := wire.ParseCall(p)
			if err != nil || c.Timeout != tc.parsed {
				t.Fatalf("ParseCall: timeout %v, err %v; want %v", c.Timeout, err, tc.parsed)
			}
		})
	}
}

// callFields names the field at each offset of callGolden[0].
var callFields = []fieldEnd{
	{8, "id"}, {12, "timeout"}, {13, "flags"}, {14, "function length"}, {29, "function"},
	{30, "message id length"}, {46, "message id"}, {48, "arg count"},
	{52, "arg 0 length"}, {54, "arg 0"}, {58, "arg 1 length"}, {62, "arg 2 length"}, {67, "arg 2"},
}

func TestParseCallTruncated(t *testing.T) { callCodec.checkCuts(t, callGolden[0].wire, callFields) }

// callHeader is an echo call's payload up to and including its arg count.
func callHeader(nargs uint16) string {
	return "\x00\x00\x00\x00\x00\x00\x00\x09" + "\x00\x00\x00\x00" + "\x00" + "\x04echo" + "\x00" + string([]byte{byte(nargs >> 8), byte(nargs)})
}

func TestParseCallMalformed(t *testing.T) {
	for _, tc := range append([]malformed{
		{"empty", "", "truncated"},
		{"trailing byte", callGolden[0].wire + "\x00", "1 trailing bytes"},
		{"trailing bytes after no args", callGolden[1].wire + "junk", "4 trailing bytes"},
		{"empty function", "\x00\x00\x00\x00\x00\x00\x00\x01" + "\x00\x00\x00\x00" + "\x00" + "\x00" + "\x00" + "\x00\x00", "function name must be 1..64 bytes"},
		{"function length beyond payload", "\x00\x00\x00\x00\x00\x00\x00\x01" + "\x00\x00\x00\x00" + "\x00" + "\xffecho", "want 255 bytes, have 4"},
	}, malformedArgs(callHeader)...) {
		t.Run(tc.name, func(t *testing.T) { callCodec.checkMalformed(t, tc.in, tc.wantMsg) })
	}
}

func TestValidateCall(t *testing.T) {
	for _, tc := range []struct {
		name    string
		call    wire.Call
		wantMsg string // empty: valid
	}{
		{"minimal", wire.Call{Function: "echo"}, ""},
		{"function at the limit", wire.Call{Function: strings.Repeat("f", wire.MaxFunctionName)}, ""},
		{"message id at the limit", wire.Call{Function: "echo", MsgID: strings.Repeat("m", wire.MaxMsgID)}, ""},
		{"args at the limit", wire.Call{Function: "echo", Args: make([]string, wire.MaxCallArgs)}, ""},
		{"empty function", wire.Call{}, "function name must be 1..64 bytes, got 0"},
		{"function over the limit", wire.Call{Function: strings.Repeat("f", wire.MaxFunctionName+1)}, "got 65"},
		{"message id over the limit", wire.Call{Function: "echo", MsgID: strings.Repeat("m", wire.MaxMsgID+1)}, "message id over 64 bytes"},
		{"args over the limit", wire.Call{Function: "echo", Args: make([]string, wire.MaxCallArgs+1)}, "1025 arguments, the limit is 1024"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := wire.ValidateCall(tc.call)
			if tc.wantMsg == "" {
				if err != nil {
					t.Fatalf("ValidateCall: %v", err)
				}
				// What validates must survive the wire.
				got, err := wire.ParseCall(wire.AppendCall(nil, tc.call))
				if err != nil || got.Function != tc.call.Function || got.MsgID != tc.call.MsgID || len(got.Args) != len(tc.call.Args) {
					t.Fatalf("round trip = %d args, %v", len(got.Args), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("ValidateCall = %v, want an error saying %q", err, tc.wantMsg)
			}
		})
	}
}

var resultGolden = []struct {
	name   string
	result wire.Result
	wire   string
}{
	{"ok", wire.Result{ID: 1, Value: "hi there"}, "\x00\x00\x00\x00\x00\x00\x00\x01\x00hi there"},
	{"task failed", wire.Result{ID: 7, Code: wire.CodeTaskFailed, Value: "panic: boom"}, "\x00\x00\x00\x00\x00\x00\x00\x07\x01panic: boom"},
	{"empty value", wire.Result{ID: 1<<64 - 1, Code: wire.CodeTimeout}, "\xff\xff\xff\xff\xff\xff\xff\xff\x03"},
	{"bytes in order", wire.Result{ID: 0x0102030405060708, Code: wire.CodeNoConnection, Value: "?"}, "\x01\x02\x03\x04\x05\x06\x07\x08\x0b?"},
}

func TestResultGolden(t *testing.T) {
	for _, tc := range resultGolden {
		t.Run(tc.name, func(t *testing.T) { resultCodec.checkGolden(t, tc.result, tc.wire) })
	}
}

func TestParseResultShort(t *testing.T) {
	full := resultGolden[2].wire
	for n := 0; n < len(full); n++ {
		t.Run(fmt.Sprintf("%d bytes", n), func(t *testing.T) { resultCodec.checkMalformed(t, full[:n], "want at least 9") })
	}
}

func TestCancelGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   uint64
		wire string
	}{
		{"zero", 0, "\x00\x00\x00\x00\x00\x00\x00\x00"},
		{"bytes in order", 0x0102030405060708, "\x01\x02\x03\x04\x05\x06\x07\x08"},
		{"largest", 1<<64 - 1, "\xff\xff\xff\xff\xff\xff\xff\xff"},
	} {
		t.Run(tc.name, func(t *testing.T) { cancelCodec.checkGolden(t, tc.id, tc.wire) })
	}
}

func TestParseCancelMalformed(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"seven bytes", "\x00\x00\x00\x00\x00\x00\x01"},
		{"nine bytes", "\x00\x00\x00\x00\x00\x00\x00\x01\x00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cancelCodec.checkMalformed(t, tc.in, fmt.Sprintf("cancel of %d bytes, want 8", len(tc.in)))
		})
	}
}
