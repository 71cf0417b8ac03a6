package etf

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The node-bound terms (pids, references, ports) and funs.

func appendPid(b []byte, p Pid) ([]byte, error) {
	out, err := appendAtom(append(b, tagNewPid), p.Node)
	if err != nil {
		return b, inside(err, "(pid node)")
	}
	out = binary.BigEndian.AppendUint32(out, p.ID)
	out = binary.BigEndian.AppendUint32(out, p.Serial)
	return binary.BigEndian.AppendUint32(out, p.Creation), nil
}

func appendRef(b []byte, r Ref) ([]byte, error) {
	if r.Len == 0 || r.Len > MaxRefWords {
		return b, notEncodable("reference with %d ID words (want 1 to %d; build it with NewRef)", r.Len, MaxRefWords)
	}
	out := binary.BigEndian.AppendUint16(append(b, tagNewerReference), uint16(r.Len))
	out, err := appendAtom(out, r.Node)
	if err != nil {
		return b, inside(err, "(reference node)")
	}
	out = binary.BigEndian.AppendUint32(out, r.Creation)
	for _, w := range r.Words() {
		out = binary.BigEndian.AppendUint32(out, w)
	}
	return out, nil
}

// appendPort writes NEW_PORT_EXT, or V4_PORT_EXT when the ID needs more
// than 32 bits.
func appendPort(b []byte, p Port) ([]byte, error) {
	tag := byte(tagNewPort)
	if p.ID > math.MaxUint32 {
		tag = tagV4Port
	}
	out, err := appendAtom(append(b, tag), p.Node)
	if err != nil {
		return b, inside(err, "(port node)")
	}
	if tag == tagV4Port {
		out = binary.BigEndian.AppendUint64(out, p.ID)
	} else {
		out = binary.BigEndian.AppendUint32(out, uint32(p.ID))
	}
	return binary.BigEndian.AppendUint32(out, p.Creation), nil
}

func appendExport(b []byte, e Export) ([]byte, error) {
	out, err := appendAtom(append(b, tagExport), e.Module)
	if err != nil {
		return b, inside(err, "(export module)")
	}
	if out, err = appendAtom(out, e.Function); err != nil {
		return b, inside(err, "(export function)")
	}
	return append(out, tagSmallInteger, e.Arity), nil
}

// appendFun writes f.Raw when it is set, else encodes NEW_FUN_EXT from the
// fields.
func appendFun(b []byte, f Fun, depth int) ([]byte, error) {
	if f.Raw != nil {
		if len(f.Raw) < 5 || f.Raw[0] != tagNewFun || int(binary.BigEndian.Uint32(f.Raw[1:])) != len(f.Raw)-1 {
			return b, notEncodable("Fun.Raw is not one NEW_FUN_EXT (clear it to encode from the fields)")
		}
		return append(b, f.Raw...), nil
	}
	if uint64(len(f.Free)) > math.MaxUint32 {
		return b, notEncodable("fun with %d free variables", len(f.Free))
	}
	start := len(b)
	out := append(b, tagNewFun, 0, 0, 0, 0, f.Arity) // the size is filled in below
	out = append(out, f.Uniq[:]...)
	out = binary.BigEndian.AppendUint32(out, f.Index)
	out = binary.BigEndian.AppendUint32(out, uint32(len(f.Free)))
	out, err := appendAtom(out, f.Module)
	if err != nil {
		return b, inside(err, "(fun module)")
	}
	out = appendInt(appendInt(out, f.OldIndex), f.OldUniq)
	if out, err = appendPid(out, f.Pid); err != nil {
		return b, inside(err, "(fun pid)")
	}
	for i, v := range f.Free {
		if out, err = appendTerm(out, v, depth+1); err != nil {
			return b, inside(err, fmt.Sprintf("(fun free %d)", i))
		}
	}
	size := len(out) - start - 1
	if uint64(size) > math.MaxUint32 {
		return b, notEncodable("fun of %d bytes", size)
	}
	binary.BigEndian.PutUint32(out[start+1:], uint32(size))
	return out, nil
}
