package wire

import (
	"encoding/binary"
	"fmt"
)

// SpawnFlags modify a spawn.
type SpawnFlags uint8

// Spawn asks the peer to start an unsupervised process linked to LinkedTo
// (FrameSpawn, the first frame after FrameOpen on a KindSpawn stream). The
// stream then carries the process's output and exit back, and lives as
// long as the link between the process and LinkedTo: when it ends, the
// process is killed.
type Spawn struct {
	Flags    SpawnFlags
	LinkedTo Pid      // the caller's shell
	Function string   // a builtin function name
	Args     []string // its arguments
}

// AppendSpawn appends s's FrameSpawn payload to b.
func AppendSpawn(b []byte, s Spawn) []byte {
	b = append(b, byte(s.Flags))
	b = appendString16(b, s.LinkedTo.String())
	b = append(b, byte(len(s.Function)))
	b = append(b, s.Function...)
	return appendArgs(b, s.Args)
}

// ParseSpawn decodes a FrameSpawn payload.
func ParseSpawn(p []byte) (Spawn, error) {
	d := decoder{b: p}
	var s Spawn
	s.Flags = SpawnFlags(d.u8())
	s.LinkedTo = d.pid()
	s.Function = string(d.take(int(d.u8())))
	s.Args = d.args()
	if err := d.finish("spawn"); err != nil {
		return Spawn{}, err
	}
	if s.Function == "" || len(s.Function) > MaxFunctionName {
		return Spawn{}, fmt.Errorf("%w: spawn: function name must be 1..%d bytes", ErrFrameMalformed, MaxFunctionName)
	}
	return s, nil
}

// AppendPidPayload appends a pid as a frame payload (FrameSpawned).
func AppendPidPayload(b []byte, p Pid) []byte { return appendString16(b, p.String()) }

// ParsePidPayload decodes a FrameSpawned payload.
func ParsePidPayload(p []byte) (Pid, error) {
	d := decoder{b: p}
	pid := d.pid()
	if err := d.finish("spawned"); err != nil {
		return Pid{}, err
	}
	return pid, nil
}

// PidSend delivers a message to a process's mailbox (FrameSend on a calls
// stream, answered by a FrameResult with the same ID).
type PidSend struct {
	ID   uint64
	To   Pid
	From Pid
	Text string
}

// AppendPidSend appends m's FrameSend payload to b.
func AppendPidSend(b []byte, m PidSend) []byte {
	b = binary.BigEndian.AppendUint64(b, m.ID)
	b = appendString16(b, m.To.String())
	b = appendString16(b, m.From.String())
	return append(b, m.Text...)
}

// ParsePidSend decodes a FrameSend payload.
func ParsePidSend(p []byte) (PidSend, error) {
	d := decoder{b: p}
	var m PidSend
	m.ID = d.u64()
	m.To = d.pid()
	m.From = d.pid()
	if d.err != nil {
		return PidSend{}, fmt.Errorf("%w: send: %v", ErrFrameMalformed, d.err)
	}
	m.Text = string(d.b)
	return m, nil
}

func appendArgs(b []byte, args []string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(args)))
	for _, a := range args {
		b = binary.BigEndian.AppendUint32(b, uint32(len(a)))
		b = append(b, a...)
	}
	return b
}
