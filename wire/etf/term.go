package etf

import (
	"fmt"
	"math/big"
)

// Term is any value of the term model listed in the package doc. It is an
// alias of any, so that Tuple, List and the other composites can hold plain
// Go values; the encoder refuses a value outside the model.
type Term = any

// Atom is an Erlang atom, held as UTF-8 text: 'ok' is Atom("ok"), Elixir's
// String module is Atom("Elixir.String"). An atom has at most MaxAtomChars
// characters.
type Atom string

// The atoms the daemon compares against most.
const (
	True      Atom = "true"
	False     Atom = "false"
	Undefined Atom = "undefined"
	OK        Atom = "ok"
	NilAtom   Atom = "nil" // Elixir's nil
	Empty     Atom = ""    // '', e.g. the unused element of a SEND control tuple
)

// MaxAtomChars is the most characters an atom may have (an OTP limit).
const MaxAtomChars = 255

// Binary is an Erlang binary, <<"hi">>; Elixir strings are binaries.
type Binary []byte

// BitBinary is a bitstring whose length is not a whole number of bytes:
// Bytes holds the bits left-aligned, and Bits (1..7) says how many bits of
// the last byte are used; the unused low bits are zero. The decoder yields a
// Binary when every byte is whole.
type BitBinary struct {
	Bytes []byte
	Bits  uint8
}

// Charlist is a list of small integers (0..255) that came as STRING_EXT:
// each byte is one character, so it is latin-1, not UTF-8. It equals the
// List of the same integers (Erlang sees no difference); the distinction is
// kept so that Inspect and Text know it was meant as text. A list of small
// integers sent as LIST_EXT decodes as a List.
type Charlist []byte

// Tuple is an Erlang tuple, {ok, 1}.
type Tuple []Term

// Nil is the empty list, [].
type Nil struct{}

// List is a proper list, [1, 2]. An empty List encodes as Nil.
type List []Term

// ImproperList is a list whose tail is not [], such as [alias | Ref]: the
// elements, then the term in the last tail. Elems is never empty when
// decoded.
type ImproperList struct {
	Elems []Term
	Tail  Term
}

// Pair is one key/value association of a Map.
type Pair struct {
	Key, Value Term
}

// Map is an Erlang map as the pairs in the order they were decoded (or are
// to be encoded). Keys may be any term, tuples included. The decoder does
// not look for duplicate keys (a BEAM never sends them); Get returns the
// first match.
type Map []Pair

// Get returns the value of the first pair whose key is Equal to key.
func (m Map) Get(key Term) (Term, bool) {
	for _, p := range m {
		if Equal(p.Key, key) {
			return p.Value, true
		}
	}
	return nil, false
}

// Pid is an Erlang process identifier (NEW_PID_EXT): the node it lives on,
// its ID and Serial there, and the node's Creation (its incarnation, from
// the port mapper). Two pids are the same process exactly when every field
// is equal, so Pid works as a Go map key.
type Pid struct {
	Node     Atom
	ID       uint32
	Serial   uint32
	Creation uint32
}

// MaxRefWords is the most ID words a reference may carry (5 with V4_NC,
// OTP 26 and later; OTP 25 sends 3).
const MaxRefWords = 5

// Ref is an Erlang reference (NEWER_REFERENCE_EXT): node, creation and 1 to
// MaxRefWords ID words, in wire order. Len says how many words of ID are
// used; the rest are zero, which keeps == and Go map keys exact. Build one
// with NewRef.
type Ref struct {
	Node     Atom
	Creation uint32
	Len      uint8
	ID       [MaxRefWords]uint32
}

// NewRef returns the reference with the given words, in wire order. It
// fails unless there are 1 to MaxRefWords of them.
func NewRef(node Atom, creation uint32, words ...uint32) (Ref, error) {
	if len(words) == 0 || len(words) > MaxRefWords {
		return Ref{}, fmt.Errorf("etf: a reference has 1 to %d ID words, not %d", MaxRefWords, len(words))
	}
	r := Ref{Node: node, Creation: creation, Len: uint8(len(words))}
	copy(r.ID[:], words)
	return r, nil
}

// Words returns the ID words in use, in wire order.
func (r Ref) Words() []uint32 {
	n := min(int(r.Len), MaxRefWords)
	return r.ID[:n:n]
}

// Port is an Erlang port identifier (NEW_PORT_EXT, or V4_PORT_EXT when the
// ID needs more than 32 bits).
type Port struct {
	Node     Atom
	ID       uint64
	Creation uint32
}

// Fun is a closure (NEW_FUN_EXT), kept opaque: chatd cannot run BEAM code,
// but it can inspect one and hand it back unchanged. Raw holds the encoded
// bytes from the tag 112 to the last free variable; when Raw is set the
// encoder writes it as is, so clear it after changing any other field. A
// fun typed in a shell has Module erl_eval and its abstract code in Free
// (BEAM.md §5.2c).
type Fun struct {
	Raw      []byte
	Arity    uint8
	Uniq     [16]byte
	Index    uint32
	Module   Atom
	OldIndex int64
	OldUniq  int64
	Pid      Pid
	Free     []Term
}

// Export is an external fun, fun Module:Function/Arity (Elixir's
// &Module.function/arity).
type Export struct {
	Module   Atom
	Function Atom
	Arity    uint8
}

// Integer returns n as a Term: an int64 when it fits, else n itself. The
// decoder and the encoder use the same rule, so use it to build big values.
func Integer(n *big.Int) Term {
	if n.IsInt64() {
		return n.Int64()
	}
	return n
}
