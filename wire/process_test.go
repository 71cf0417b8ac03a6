package wire_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"chatd/wire"
)

// Pids the process tables use, with their text forms' lengths.
var (
	kateShell = wire.Pid{Node: wire.NodeName{Name: "kate", Host: "localhost"}, ID: 1, Creation: 7}  // 20 bytes
	alexProc  = wire.Pid{Node: wire.NodeName{Name: "alex", Host: "localhost"}, ID: 42, Creation: 0} // 21 bytes
)

// spawnGolden holds spawns and their FrameSpawn payloads, written out by
// hand from the layout in process.go:
//
//	[Flags:1][PidLen:2][Pid][FnLen:1][Fn][NArgs:2]{[ArgLen:4][Arg]}
//
// FuzzSpawn is seeded from it.
var spawnGolden = []struct {
	name  string
	spawn wire.Spawn
	wire  string
}{
	{
		name:  "counter with three args",
		spawn: wire.Spawn{LinkedTo: kateShell, Function: "counter", Args: []string{"3", "", "ünï"}},
		wire: "\x00" + // flags
			"\x00\x14" + "<kate@localhost.1.7>" +
			"\x07" + "counter" +
			"\x00\x03" + // three args
			"\x00\x00\x00\x01" + "3" +
			"\x00\x00\x00\x00" + // the empty one
			"\x00\x00\x00\x05" + "ünï",
	},
	{
		name:  "no args",
		spawn: wire.Spawn{LinkedTo: wire.Pid{Node: wire.NodeName{Name: "a", Host: "b"}, ID: 1}, Function: "f"},
		wire:  "\x00" + "\x00\x09" + "<a@b.1.0>" + "\x01" + "f" + "\x00\x00",
	},
	{
		name: "unknown flag bits pass through, dotted host, largest numbers",
		spawn: wire.Spawn{
			Flags:    0x81,
			LinkedTo: wire.Pid{Node: wire.NodeName{Name: "kate", Host: "chat.example.com"}, ID: 1<<64 - 1, Creation: 1<<32 - 1},
			Function: "loop", Args: []string{"\x00\xff\n"},
		},
		wire: "\x81" + "\x00\x37" + "<kate@chat.example.com.18446744073709551615.4294967295>" +
			"\x04" + "loop" + "\x00\x01" + "\x00\x00\x00\x03" + "\x00\xff\n",
	},
	{
		name:  "function name at the limit",
		spawn: wire.Spawn{LinkedTo: kateShell, Function: strings.Repeat("f", wire.MaxFunctionName), Args: []string{"x"}},
		wire: "\x00" + "\x00\x14" + "<kate@localhost.1.7>" + "\x40" + strings.Repeat("f", wire.MaxFunctionName) +
			"\x00\x01" + "\x00\x00\x00\x01" + "x",
	},
}

func TestSpawnGolden(t *testing.T) {
	for _, tc := range spawnGolden {
		t.Run(tc.name, func(t *testing.T) {
			spawnCodec.checkGolden(t, tc.spawn, tc.wire)
		})
	}
}

func TestSpawnRoundTrip(t *testing.T) {
	every := make([]byte, 256)
	for i := range every {
		every[i] = byte(i)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"every byte value in one arg", []string{string(every)}},
		{"an arg of 64 KiB", []string{strings.Repeat("a", 1<<16)}},
		{"args at the limit", make([]string, wire.MaxCallArgs)},
		{"invalid UTF-8", []string{"\xff\xfe", "é"[:1]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := wire.Spawn{LinkedTo: kateShell, Function: "echo", Args: tc.args}
			got, err := wire.ParseSpawn(wire.AppendSpawn(nil, s))
			if err != nil {
				t.Fatalf("ParseSpawn: %v", err)
			}
			if !reflect.DeepEqual(got, s) {
				t.Fatalf("round trip = %d args, want %d", len(got.Args), len(s.Args))
			}
		})
	}
}

// spawnFields names the field at each offset of spawnGolden[0].
var spawnFields = []fieldEnd{
	{1, "flags"}, {3, "pid length"}, {23, "pid"}, {24, "function length"}, {31, "function"},
	{33, "arg count"}, {37, "arg 0 length"}, {38, "arg 0"}, {42, "arg 1 length"}, {46, "arg 2 length"}, {51, "arg 2"},
}

func TestParseSpawnTruncated(t *testing.T) { spawnCodec.checkCuts(t, spawnGolden[0].wire, spawnFields) }

// spawnHeader is a spawn of echo by kateShell up to and including its arg
// count.
func spawnHeader(nargs uint16) string {
	return "\x00" + "\x00\x14" + "<kate@localhost.1.7>" + "\x04echo" + string([]byte{byte(nargs >> 8), byte(nargs)})
}

// pidField is a pid's text with its 2-byte length.
func pidField(s string) string {
	return string([]byte{byte(len(s) >> 8), byte(len(s))}) + s
}

func TestParseSpawnMalformed(t *testing.T) {
	for _, tc := range append([]malformed{
		{"empty", "", "truncated"},
		{"trailing byte", spawnGolden[0].wire + "\x00", "1 trailing bytes"},
		{"trailing bytes after no args", spawnGolden[1].wire + "junk", "4 trailing bytes"},
		{"empty function", "\x00" + pidField("<a@b.1.0>") + "\x00" + "\x00\x00", "function name must be 1..64 bytes"},
		{"function over the limit", "\x00" + pidField("<a@b.1.0>") + "\x41" + strings.Repeat("f", 65) + "\x00\x00", "function name must be 1..64 bytes"},
		{"function length beyond payload", "\x00" + pidField("<a@b.1.0>") + "\xffecho", "want 255 bytes, have 4"},
		{"empty pid", "\x00" + "\x00\x00" + "\x04echo\x00\x00", "bad pid"},
		{"pid without brackets", "\x00" + pidField("kate@localhost.1.7") + "\x04echo\x00\x00", "not enclosed in < >"},
		{"pid without host", "\x00" + pidField("<kate.1.7>") + "\x04echo\x00\x00", "has no @host"},
		{"pid with leading zeros", "\x00" + pidField("<kate@localhost.01.7>") + "\x04echo\x00\x00", `"<kate@localhost.01.7>" is not in canonical form <kate@localhost.1.7>`},
		{"zero pid", "\x00" + pidField(wire.Pid{}.String()) + "\x04echo\x00\x00", "bad pid"},
		{"pid length beyond payload", "\x00" + "\x01\x00" + "<kate@localhost.1.7>", "want 256 bytes, have 20"},
		{"pid length 64 KiB", "\x00" + "\xff\xff" + "<a@b.1.0>", "want 65535 bytes, have 9"},
	}, malformedArgs(spawnHeader)...) {
		t.Run(tc.name, func(t *testing.T) { spawnCodec.checkMalformed(t, tc.in, tc.wantMsg, "spawn") })
	}
}

var pidPayloadGolden = []struct {
	name string
	pid  wire.Pid
	wire string
}{
	{"shell", kateShell, "\x00\x14<kate@localhost.1.7>"},
	{"process", alexProc, "\x00\x15<alex@localhost.42.0>"},
	{"largest numbers", wire.Pid{Node: wire.NodeName{Name: "a", Host: "b"}, ID: 1<<64 - 1, Creation: 1<<32 - 1},
		"\x00\x25<a@b.18446744073709551615.4294967295>"},
}

func TestPidPayloadGolden(t *testing.T) {
	for _, tc := range pidPayloadGolden {
		t.Run(tc.name, func(t *testing.T) { pidCodec.checkGolden(t, tc.pid, tc.wire) })
	}
}

func TestParsePidPayloadMalformed(t *testing.T) {
	full := pidPayloadGolden[0].wire
	cases := []malformed{
		{"trailing byte", full + "\x00", "1 trailing bytes"},
		{"two pids", full + full, "22 trailing bytes"},
		{"bad pid", pidField("<kate>"), "bad pid"},
		{"leading zeros", pidField("<kate@localhost.1.07>"), "not in canonical form"},
		{"length 64 KiB", "\xff\xff" + full[2:], "want 65535 bytes, have 20"},
	}
	for n := 0; n < len(full); n++ {
		cases = append(cases, malformed{fmt.Sprintf("cut at %d", n), full[:n], "truncated"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { pidCodec.checkMalformed(t, tc.in, tc.wantMsg, "spawned") })
	}
}

// pidSendGolden holds sends and their FrameSend payloads, from the layout
// in process.go:
//
//	[ID:8][ToLen:2][To][FromLen:2][From][Text...]
//
// The text runs to the end of the payload. FuzzPidSend is seeded from it.
var pidSendGolden = []struct {
	name string
	send wire.PidSend
	wire string
}{
	{
		name: "hello",
		send: wire.PidSend{ID: 0x0102030405060708, To: alexProc, From: kateShell, Text: "hello"},
		wire: "\x01\x02\x03\x04\x05\x06\x07\x08" + // id
			"\x00\x15" + "<alex@localhost.42.0>" +
			"\x00\x14" + "<kate@localhost.1.7>" +
			"hello",
	},
	{
		name: "empty text",
		send: wire.PidSend{ID: 1, To: kateShell, From: kateShell},
		wire: "\x00\x00\x00\x00\x00\x00\x00\x01" + "\x00\x14<kate@localhost.1.7>" + "\x00\x14<kate@localhost.1.7>",
	},
	{
		name: "text of any bytes, that looks like a pid field",
		send: wire.PidSend{ID: 1<<64 - 1, To: alexProc, From: kateShell, Text: "\x00\x14<kate@localhost.1.7>\x00\xff\n"},
		wire: "\xff\xff\xff\xff\xff\xff\xff\xff" + "\x00\x15<alex@localhost.42.0>" + "\x00\x14<kate@localhost.1.7>" +
			"\x00\x14<kate@localhost.1.7>\x00\xff\n",
	},
}

func TestPidSendGolden(t *testing.T) {
	for _, tc := range pidSendGolden {
		t.Run(tc.name, func(t *testing.T) { pidSendCodec.checkGolden(t, tc.send, tc.wire) })
	}
}

func TestPidSendRoundTrip(t *testing.T) {
	every := make([]byte, 256)
	for i := range every {
		every[i] = byte(i)
	}
	for _, text := range []string{"", "x", string(every), strings.Repeat("long ", 1<<14), "\xff\xfe invalid UTF-8"} {
		m := wire.PidSend{ID: 9, To: alexProc, From: kateShell, Text: text}
		got, err := wire.ParsePidSend(wire.AppendPidSend(nil, m))
		if err != nil || got != m {
			t.Errorf("text of %d bytes: round trip = %q, %v", len(text), got.Text, err)
		}
	}
}

// TestParsePidSendTruncated cuts pidSendGolden[0] everywhere: a cut before
// the end of From is malformed, a cut in the text shortens the text.
func TestParsePidSendTruncated(t *testing.T) {
	tc := pidSendGolden[0]
	header := len(tc.wire) - len(tc.send.Text)
	for n := 0; n <= len(tc.wire); n++ {
		t.Run(fmt.Sprintf("cut at %d", n), func(t *testing.T) {
			if n < header {
				pidSendCodec.checkMalformed(t, tc.wire[:n], "truncated")
				return
			}
			want := tc.send
			want.Text = tc.send.Text[:n-header]
			if m, err := wire.ParsePidSend([]byte(tc.wire[:n])); err != nil || m != want {
				t.Fatalf("ParsePidSend = %#v, %v; want %#v", m, err, want)
			}
		})
	}
}

func TestParsePidSendMalformed(t *testing.T) {
	const id = "\x00\x00\x00\x00\x00\x00\x00\x05"
	for _, tc := range []malformed{
		{"empty", "", "want 8 bytes, have 0"},
		{"seven bytes", id[:7], "want 8 bytes, have 7"},
		{"no pids", id, "truncated"},
		{"bad to", id + pidField("<kate>") + pidField("<a@b.1.0>"), `bad pid "<kate>"`},
		{"bad from", id + pidField("<a@b.1.0>") + pidField("<a@b.x.0>"), `id "x" is not a number`},
		{"empty from", id + pidField("<a@b.1.0>") + "\x00\x00hello", "bad pid"},
		{"to with leading zeros", id + pidField("<a@b.01.0>") + pidField("<a@b.1.0>"), "not in canonical form"},
		{"from with leading zeros", id + pidField("<a@b.1.0>") + pidField("<a@b.1.00>"), "not in canonical form"},
		{"to length beyond payload", id + "\x00\x40<a@b.1.0>", "want 64 bytes, have 9"},
		{"from length beyond payload", id + pidField("<a@b.1.0>") + "\x01\x00<a@b.1.0>", "want 256 bytes, have 9"},
	} {
		t.Run(tc.name, func(t *testing.T) { pidSendCodec.checkMalformed(t, tc.in, tc.wantMsg, "send") })
	}
}
