package etf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"
)

// The kinds of decoding failure; every *DecodeError wraps one of them.
var (
	// ErrTruncated: the input ends inside a term, or a count or length
	// promises more than the bytes left.
	ErrTruncated = errors.New("etf: truncated term")
	// ErrMalformed: bytes that no encoder writes (an unknown tag, an atom
	// that is not UTF-8, a NaN, trailing bytes).
	ErrMalformed = errors.New("etf: malformed term")
	// ErrUnsupported: a valid tag this codec refuses on purpose (atom cache
	// references, compressed terms, pre-OTP-23 pids).
	ErrUnsupported = errors.New("etf: unsupported term")
	// ErrLimit: the term is larger or deeper than the Decoder allows.
	ErrLimit = errors.New("etf: term exceeds a decoding limit")
)

// DecodeError says what was wrong with the input and where: Offset is the
// byte offset in the slice handed to the decoder, Tag the tag of the term
// being read there (0 before any tag was read).
type DecodeError struct {
	Offset int
	Tag    byte
	Err    error // ErrTruncated, ErrMalformed, ErrUnsupported or ErrLimit
	Detail string
}

func (e *DecodeError) Error() string {
	where := fmt.Sprintf("at byte %d", e.Offset)
	if e.Tag != 0 {
		where += " in " + tagName(e.Tag)
	}
	return e.Err.Error() + " " + where + ": " + e.Detail
}

// Unwrap returns the kind, for errors.Is.
func (e *DecodeError) Unwrap() error { return e.Err }

// The defaults of a zero Decoder.
const (
	DefaultMaxSize     = 64 << 20 // bytes of input
	DefaultMaxDepth    = 64       // nested tuples, lists, maps and funs
	DefaultMaxBigBytes = 1024     // magnitude bytes of one big integer (8192 bits)
)

// Decoder decodes terms within bounds; the zero value uses the defaults.
// A Decoder holds no state and may be shared.
type Decoder struct {
	MaxSize     int // the longest input accepted, in bytes
	MaxDepth    int // how deeply composite terms may nest; a scalar at top level is depth 0
	MaxBigBytes int // the largest big integer magnitude, in bytes
}

// Decode decodes b, which must hold the Version byte and exactly one term,
// with the default bounds.
func Decode(b []byte) (Term, error) { return Decoder{}.Decode(b) }

// Decode decodes b, which must hold the Version byte and exactly one term.
func (d Decoder) Decode(b []byte) (Term, error) {
	t, rest, err := d.DecodeNext(b)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, &DecodeError{Offset: len(b) - len(rest), Err: ErrMalformed,
			Detail: fmt.Sprintf("%d bytes after the term", len(rest))}
	}
	return t, nil
}

// DecodeNext decodes the term (with its Version byte) at the start of b and
// returns it with the bytes after it, as in a 112 frame where the message
// term follows the control term.
func (d Decoder) DecodeNext(b []byte) (Term, []byte, error) {
	if len(b) == 0 {
		return nil, nil, &DecodeError{Err: ErrTruncated, Detail: "no bytes"}
	}
	if b[0] != Version {
		return nil, nil, &DecodeError{Err: ErrMalformed,
			Detail: fmt.Sprintf("starts with %d, not the version byte %d", b[0], Version)}
	}
	return d.decode(b, 1)
}

// DecodeBare decodes one term without a Version byte at the start of b and
// returns it with the bytes after it.
func (d Decoder) DecodeBare(b []byte) (Term, []byte, error) { return d.decode(b, 0) }

func (d Decoder) decode(b []byte, off int) (Term, []byte, error) {
	if max := pick(d.MaxSize, DefaultMaxSize); len(b) > max {
		return nil, nil, &DecodeError{Err: ErrLimit, Detail: fmt.Sprintf("%d bytes of input, the limit is %d", len(b), max)}
	}
	s := &state{b: b, off: off, maxDepth: pick(d.MaxDepth, DefaultMaxDepth), maxBig: pick(d.MaxBigBytes, DefaultMaxBigBytes)}
	t, err := s.term()
	if err != nil {
		return nil, nil, err
	}
	return t, b[s.off:], nil
}

func pick(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// state is one decoding pass over b.
type state struct {
	b        []byte
	off      int
	depth    int
	maxDepth int
	maxBig   int
	lastNode []byte // the last node atom's bytes and value, reused for the
	lastAtom Atom   // pids and references of one node that fill a frame
}

// maxPrealloc caps how many elements a declared count reserves up front; a
// longer composite grows as its elements are actually read.
const maxPrealloc = 1024

func (s *state) fail(at int, tag byte, kind error, format string, args ...any) error {
	return &DecodeError{Offset: at, Tag: tag, Err: kind, Detail: fmt.Sprintf(format, args...)}
}

func (s *state) take(n int, tag byte) ([]byte, error) {
	if n < 0 || n > len(s.b)-s.off {
		return nil, s.fail(s.off, tag, ErrTruncated, "want %d bytes, %d left", n, len(s.b)-s.off)
	}
	p := s.b[s.off : s.off+n : s.off+n]
	s.off += n
	return p, nil
}

func (s *state) u8(tag byte) (byte, error) {
	p, err := s.take(1, tag)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

func (s *state) u16(tag byte) (int, error) {
	p, err := s.take(2, tag)
	if err != nil {
		return 0, err
	}
	return int(binary.BigEndian.Uint16(p)), nil
}

func (s *state) u32(tag byte) (uint32, error) {
	p, err := s.take(4, tag)
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(p), nil
}

// count reads a 32-bit element count and checks that n elements of at
// least min bytes each fit in what is left, before anything is allocated.
func (s *state) count(tag byte, min int) (int, error) {
	at := s.off
	n, err := s.u32(tag)
	if err != nil {
		return 0, err
	}
	if left := len(s.b) - s.off; uint64(n)*uint64(min) > uint64(left) {
		return 0, s.fail(at, tag, ErrTruncated, "count %d needs at least %d bytes, %d left", n, uint64(n)*uint64(min), left)
	}
	return int(n), nil
}

// enter goes one level deeper, failing past the depth limit.
func (s *state) enter(at int, tag byte) error {
	if s.depth >= s.maxDepth {
		return s.fail(at, tag, ErrLimit, "nested deeper than %d", s.maxDepth)
	}
	s.depth++
	return nil
}

func (s *state) term() (Term, error) {
	at := s.off
	tag, err := s.u8(0)
	if err != nil {
		return nil, err
	}
	switch tag {
	case tagSmallInteger:
		n, err := s.u8(tag)
		return int64(n), err
	case tagInteger:
		n, err := s.u32(tag)
		return int64(int32(n)), err
	case tagSmallBig:
		n, err := s.u8(tag)
		if err != nil {
			return nil, err
		}
		return s.bigInt(at, tag, int(n))
	case tagLargeBig:
		n, err := s.u32(tag)
		if err != nil {
			return nil, err
		}
		return s.bigInt(at, tag, int(min(n, math.MaxInt32)))
	case tagNewFloat:
		return s.float(at)
	case tagAtom, tagSmallAtom, tagAtomUTF8, tagSmallAtomUTF8:
		s.off = at
		return s.atom()
	case tagNil:
		return Nil{}, nil
	case tagString:
		return s.charlist()
	case tagBinary:
		n, err := s.count(tag, 1)
		if err != nil {
			return nil, err
		}
		p, _ := s.take(n, tag)
		return Binary(append([]byte{}, p...)), nil
	case tagBitBinary:
		return s.bitBinary(at)
	}
	return s.composite(at, tag)
}

// composite decodes the terms that contain others, and the node-bound ones.
func (s *state) composite(at int, tag byte) (Term, error) {
	switch tag {
	case tagSmallTuple:
		n, err := s.u8(tag)
		if err != nil {
			return nil, err
		}
		return s.tuple(at, int(n))
	case tagLargeTuple:
		n, err := s.count(tag, 1)
		if err != nil {
			return nil, err
		}
		return s.tuple(at, n)
	case tagList:
		return s.list(at)
	case tagMap:
		return s.mapTerm(at)
	case tagNewPid:
		s.off = at
		return s.pid()
	case tagNewerReference:
		return s.ref(at)
	case tagNewPort, tagV4Port:
		return s.port(at, tag)
	case tagExport:
		return s.export(at)
	case tagNewFun:
		return s.fun(at)
	}
	return nil, s.refused(at, tag)
}

// refused names the valid tags this codec does not take, and why.
func (s *state) refused(at int, tag byte) error {
	why := map[byte]string{
		tagAtomCacheRef: "an atom cache reference; chatd never negotiates DIST_HDR_ATOM_CACHE, so 112 frames carry none",
		tagCompressed:   "a compressed term; distribution never compresses",
		tagFloat:        "an old-style float; NEW_FLOATS is a mandatory flag",
		tagPid:          "an old-style pid; BIG_CREATION is a mandatory flag",
		tagPort:         "an old-style port; BIG_CREATION is a mandatory flag",
		tagReference:    "an old-style reference; BIG_CREATION is a mandatory flag",
		tagNewReference: "an old-style reference; BIG_CREATION is a mandatory flag",
		tagFun:          "an old-style fun; NEW_FUN_TAGS is a mandatory flag",
		tagLocal:        "a node-local encoding that only its own node can read",
	}[tag]
	if why == "" {
		return s.fail(at, 0, ErrMalformed, "unknown tag %d", tag)
	}
	return s.fail(at, tag, ErrUnsupported, "%s", why)
}

// atom reads an atom with its tag, in any of the four atom encodings.
func (s *state) atom() (Atom, error) {
	at := s.off
	tag, err := s.u8(0)
	if err != nil {
		return "", err
	}
	var n int
	switch tag {
	case tagSmallAtomUTF8, tagSmallAtom:
		var b byte
		b, err = s.u8(tag)
		n = int(b)
	case tagAtomUTF8, tagAtom:
		n, err = s.u16(tag)
	case tagAtomCacheRef:
		return "", s.refused(at, tag)
	default:
		return "", s.fail(at, 0, ErrMalformed, "want an atom, found %s", tagName(tag))
	}
	if err != nil {
		return "", err
	}
	raw, err := s.take(n, tag)
	if err != nil {
		return "", err
	}
	if tag == tagAtom || tag == tagSmallAtom {
		return latin1Atom(s, at, tag, raw)
	}
	if !utf8.Valid(raw) {
		return "", s.fail(at, tag, ErrMalformed, "atom is not valid UTF-8")
	}
	if n > utf8.UTFMax*MaxAtomChars || utf8.RuneCount(raw) > MaxAtomChars {
		return "", s.fail(at, tag, ErrLimit, "atom of %d characters is longer than %d", utf8.RuneCount(raw), MaxAtomChars)
	}
	if string(raw) == string(s.lastNode) {
		return s.lastAtom, nil
	}
	s.lastNode, s.lastAtom = raw, Atom(raw)
	return s.lastAtom, nil
}

func latin1Atom(s *state, at int, tag byte, raw []byte) (Atom, error) {
	if len(raw) > MaxAtomChars {
		return "", s.fail(at, tag, ErrLimit, "atom of %d characters is longer than %d", len(raw), MaxAtomChars)
	}
	out := make([]rune, len(raw))
	for i, c := range raw {
		out[i] = rune(c)
	}
	return Atom(string(out)), nil
}
