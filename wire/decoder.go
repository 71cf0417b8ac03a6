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
