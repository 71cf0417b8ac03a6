package etf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"unicode/utf8"
)

// ErrNotEncodable is wrapped by every encoding error: the value is outside
// the term model, or breaks one of its rules (an atom too long, a NaN).
var ErrNotEncodable = errors.New("etf: cannot encode")

// MaxEncodeDepth bounds the nesting the encoder follows, which also stops
// it on a cyclic value (a Tuple that contains itself).
const MaxEncodeDepth = 1024

// EncodeError says which value could not be encoded and where it sits in
// the term: Path is like "[2][0]" (element 2, then its element 0) or
// "{key 1}" for a map's key 1.
type EncodeError struct {
	Path   string
	Reason string
}

func (e *EncodeError) Error() string {
	if e.Path == "" {
		return ErrNotEncodable.Error() + ": " + e.Reason
	}
	return ErrNotEncodable.Error() + " " + e.Path + ": " + e.Reason
}

// Unwrap returns ErrNotEncodable.
func (e *EncodeError) Unwrap() error { return ErrNotEncodable }

// Encode returns t encoded with the leading Version byte, as
// erlang:term_to_binary does.
func Encode(t Term) ([]byte, error) { return Append(nil, t) }

// Append appends the Version byte and t to b. On error it returns b
// unchanged.
func Append(b []byte, t Term) ([]byte, error) {
	out, err := appendTerm(append(b, Version), t, 0)
	if err != nil {
		return b, err
	}
	return out, nil
}

// AppendBare appends t to b without the Version byte, the form a term takes
// inside another. On error it returns b unchanged.
func AppendBare(b []byte, t Term) ([]byte, error) {
	out, err := appendTerm(b, t, 0)
	if err != nil {
		return b, err
	}
	return out, nil
}

// inside prefixes err's path with seg when err is an *EncodeError.
func inside(err error, seg string) error {
	var e *EncodeError
	switch {
	case !errors.As(err, &e):
	case len(e.Path) > 120: // deep (or cyclic): keep the innermost part
		if !strings.HasPrefix(e.Path, "...") {
			e.Path = "..." + e.Path
		}
	default:
		e.Path = seg + e.Path
	}
	return err
}

func notEncodable(format string, args ...any) error {
	return &EncodeError{Reason: fmt.Sprintf(format, args...)}
}

func appendTerm(b []byte, t Term, depth int) ([]byte, error) {
	if depth > MaxEncodeDepth {
		return b, notEncodable("nested deeper than %d (a cycle?)", MaxEncodeDepth)
	}
	switch v := t.(type) {
	case Atom:
		return appendAtom(b, v)
	case int:
		return appendInt(b, int64(v)), nil
	case int64:
		return appendInt(b, v), nil
	case *big.Int:
		if v == nil {
			return b, notEncodable("nil *big.Int")
		}
		return appendBig(b, v), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return b, notEncodable("float %v: Erlang has no NaN or infinity", v)
		}
		return binary.BigEndian.AppendUint64(append(b, tagNewFloat), math.Float64bits(v)), nil
	case Binary:
		return appendBytes32(append(b, tagBinary), v)
	case BitBinary:
		return appendBitBinary(b, v)
	case Charlist:
		return appendCharlist(b, v, depth)
	case Tuple:
		return appendTuple(b, v, depth)
	case Nil:
		return append(b, tagNil), nil
	case List:
		return appendList(b, v, Nil{}, depth)
	case ImproperList:
		return appendList(b, v.Elems, v.Tail, depth)
	case Map:
		return appendMap(b, v, depth)
	case Pid:
		return appendPid(b, v)
	case Ref:
		return appendRef(b, v)
	case Port:
		return appendPort(b, v)
	case Fun:
		return appendFun(b, v, depth)
	case Export:
		return appendExport(b, v)
	case nil:
		return b, notEncodable("nil is not a term (Erlang's [] is etf.Nil{}, Elixir's nil is etf.NilAtom)")
	}
	return b, notEncodable("%T is not a term", t)
}

// appendAtom writes a as SMALL_ATOM_UTF8_EXT, or ATOM_UTF8_EXT when it is
// longer than 255 bytes.
func appendAtom(b []byte, a Atom) ([]byte, error) {
	if !utf8.ValidString(string(a)) {
		return b, notEncodable("atom %q is not valid UTF-8", string(a))
	}
	if n := utf8.RuneCountInString(string(a)); n > MaxAtomChars {
		return b, notEncodable("atom of %d characters is longer than %d", n, MaxAtomChars)
	}
	if len(a) <= math.MaxUint8 {
		b = append(b, tagSmallAtomUTF8, byte(len(a)))
	} else {
		b = binary.BigEndian.AppendUint16(append(b, tagAtomUTF8), uint16(len(a)))
	}
	return append(b, a...), nil
}

// appendInt writes n in the smallest of SMALL_INTEGER_EXT, INTEGER_EXT and
// SMALL_BIG_EXT, as the BEAM does.
func appendInt(b []byte, n int64) []byte {
	switch {
	case n >= 0 && n <= math.MaxUint8:
		return append(b, tagSmallInteger, byte(n))
	case n >= math.MinInt32 && n <= math.MaxInt32:
		return binary.BigEndian.AppendUint32(append(b, tagInteger), uint32(int32(n)))
	}
	sign, mag := byte(0), uint64(n)
	if n < 0 {
		sign, mag = 1, uint64(-n) // -MinInt64 wraps to 1<<63, the right magnitude
	}
	var digits [8]byte
	k := 0
	for ; mag > 0; mag >>= 8 {
		digits[k] = byte(mag)
		k++
	}
	return append(append(b, tagSmallBig, byte(k), sign), digits[:k]...)
}

// appendBig writes n as an integer: SMALL_BIG_EXT, or LARGE_BIG_EXT past
// 255 bytes of magnitude; values that fit an int64 take appendInt's forms.
func appendBig(b []byte, n *big.Int) []byte {
	if n.IsInt64() {
		return appendInt(b, n.Int64())
	}
	mag := n.Bytes() // big-endian; the wire wants little-endian
	if len(mag) <= math.MaxUint8 {
		b = append(b, tagSmallBig, byte(len(mag)))
	} else {
		b = binary.BigEndian.AppendUint32(append(b, tagLargeBig), uint32(len(mag)))
	}
	if n.Sign() < 0 {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	for i := len(mag) - 1; i >= 0; i-- {
		b = append(b, mag[i])
	}
	return b
}

func appendBytes32(b []byte, data []byte) ([]byte, error) {
	if uint64(len(data)) > math.MaxUint32 {
		return b, notEncodable("%d bytes do not fit a 32-bit length", len(data))
	}
	return append(binary.BigEndian.AppendUint32(b, uint32(len(data))), data...), nil
}

func appendBitBinary(b []byte, v BitBinary) ([]byte, error) {
	switch {
	case v.Bits == 0 || v.Bits == 8:
		return appendBytes32(append(b, tagBinary), v.Bytes)
	case v.Bits > 8:
		return b, notEncodable("bitstring with %d bits in its last byte", v.Bits)
	case len(v.Bytes) == 0:
		return b, notEncodable("bitstring of %d bits has no bytes", v.Bits)
	}
	if uint64(len(v.Bytes)) > math.MaxUint32 {
		return b, notEncodable("%d bytes do not fit a 32-bit length", len(v.Bytes))
	}
	b = binary.BigEndian.AppendUint32(append(b, tagBitBinary), uint32(len(v.Bytes)))
	b = append(append(b, v.Bits), v.Bytes...)
	b[len(b)-1] &= 0xff << (8 - v.Bits) // the unused low bits are zero
	return b, nil
}

// appendCharlist writes STRING_EXT, or a LIST_EXT of small integers when
// the charlist is too long for STRING_EXT's 16-bit length.
func appendCharlist(b []byte, s Charlist, depth int) ([]byte, error) {
	switch {
	case len(s) == 0:
		return append(b, tagNil), nil
	case len(s) <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, tagString), uint16(len(s)))
		return append(b, s...), nil
	}
	elems := make(List, len(s))
	for i, c := range s {
		elems[i] = int64(c)
	}
	return appendList(b, elems, Nil{}, depth)
}

func appendTuple(b []byte, t Tuple, depth int) ([]byte, error) {
	if len(t) <= math.MaxUint8 {
		b = append(b, tagSmallTuple, byte(len(t)))
	} else if uint64(len(t)) <= math.MaxUint32 {
		b = binary.BigEndian.AppendUint32(append(b, tagLargeTuple), uint32(len(t)))
	} else {
		return b, notEncodable("tuple of %d elements", len(t))
	}
	for i, e := range t {
		var err error
		if b, err = appendTerm(b, e, depth+1); err != nil {
			return b, inside(err, fmt.Sprintf("[%d]", i))
		}
	}
	return b, nil
}

// appendList writes LIST_EXT: the elements, then tail. No elements is just
// the tail ([] | T is T).
func appendList(b []byte, elems []Term, tail Term, depth int) ([]byte, error) {
	if len(elems) == 0 {
		out, err := appendTerm(b, tail, depth+1)
		return out, inside(err, "[tail]")
	}
	if uint64(len(elems)) > math.MaxUint32 {
		return b, notEncodable("list of %d elements", len(elems))
	}
	b = binary.BigEndian.AppendUint32(append(b, tagList), uint32(len(elems)))
	for i, e := range elems {
		var err error
		if b, err = appendTerm(b, e, depth+1); err != nil {
			return b, inside(err, fmt.Sprintf("[%d]", i))
		}
	}
	out, err := appendTerm(b, tail, depth+1)
	return out, inside(err, "[tail]")
}

func appendMap(b []byte, m Map, depth int) ([]byte, error) {
	if uint64(len(m)) > math.MaxUint32 {
		return b, notEncodable("map of %d pairs", len(m))
	}
	b = binary.BigEndian.AppendUint32(append(b, tagMap), uint32(len(m)))
	for i, p := range m {
		var err error
		if b, err = appendTerm(b, p.Key, depth+1); err != nil {
			return b, inside(err, fmt.Sprintf("{key %d}", i))
		}
		if b, err = appendTerm(b, p.Value, depth+1); err != nil {
			return b, inside(err, fmt.Sprintf("{value %d}", i))
		}
	}
	return b, nil
}
