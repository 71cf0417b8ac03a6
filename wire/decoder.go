package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

var errShort = errors.New("truncated")

// decoder reads big-endian fields from a byte slice, remembering the first
// error so that a message decodes as a straight sequence of calls.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.err = fmt.Errorf("%w: want %d bytes, have %d", errShort, n, len(d.b))
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) u8() uint8 {
	if v := d.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) u16() uint16 {
	if v := d.take(2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if v := d.take(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if v := d.take(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (d *decoder) bytes(dst []byte) {
	if v := d.take(len(dst)); v != nil {
		copy(dst, v)
	}
}

func (d *decoder) nodeName() NodeName {
	s := d.take(int(d.u16()))
	if d.err != nil {
		return NodeName{}
	}
	n, err := ParseNodeName(string(s), "")
	if err != nil {
		d.err = err
		return NodeName{}
	}
	if len(s) == 0 || n.String() != string(s) {
		d.err = fmt.Errorf("node name %q is not name@host", s)
	}
	return n
}

// pid reads a pid in its text form with a 2-byte length.
func (d *decoder) pid() Pid {
	s := d.take(int(d.u16()))
	if d.err != nil {
		return Pid{}
	}
	p, err := ParsePid(string(s))
	if err != nil {
		d.err = err
		return Pid{}
	}
	if p.String() != string(s) {
		d.err = fmt.Errorf("pid %q is not in canonical form %s", s, p)
		return Pid{}
	}
	return p
}

// args reads [N:2] then N strings of [Len:4][Bytes], allocating no more
// than the bytes present allow.
func (d *decoder) args() []string {
	n := int(d.u16())
	if d.err != nil || n == 0 {
		return nil
	}
	if n > MaxCallArgs {
		d.err = fmt.Errorf("%d arguments, the limit is %d", n, MaxCallArgs)
		return nil
	}
	args := make([]string, 0, min(n, len(d.b)/4))
	for i := 0; i < n && d.err == nil; i++ {
		args = append(args, string(d.take(int(d.u32()))))
	}
	return args
}

// finish reports the first error or leftover bytes of a frame payload.
func (d *decoder) finish(what string) error {
	if d.err != nil {
		return fmt.Errorf("%w: %s: %v", ErrFrameMalformed, what, d.err)
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%w: %s: %d trailing bytes", ErrFrameMalformed, what, len(d.b))
	}
	return nil
}
