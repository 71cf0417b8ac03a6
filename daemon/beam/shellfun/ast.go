package shellfun

import "chatd/wire/etf"

// The program Parse builds: a tree of the whitelisted forms only, so that
// Run cannot meet anything it was not meant to run.

// value is a term with its size in cells (see Limits.TermSize), or
// unsized for a term that came from outside (a message, a binding) and is
// measured only when a variable holding it is used.
type value struct {
	t etf.Term
	n int
}

// unsized is the size of a value not measured yet.
const unsized = -1

// expr is an expression of the whitelist.
type expr interface {
	eval(m *machine, b *bindings) (value, error)
}

// pattern is a pattern of the whitelist.
type pattern interface {
	match(m *machine, t etf.Term, b *bindings) (bool, error)
}

// literal is an atom, number, char, string or [] (also a negated number).
type literal struct {
	line int
	v    value
}

// variable is {var, A, Name}; as a pattern, '_' matches anything.
type variable struct {
	line int
	name etf.Atom
}

// tupleExpr is {tuple, A, Es}.
type tupleExpr struct {
	line  int
	elems []expr
}

// listExpr is a chain of {cons, A, H, T}: the heads, then the last tail.
type listExpr struct {
	line  int
	heads []expr
	tail  expr
}

// segKind is the type of a binary segment.
type segKind uint8

const (
	segInteger segKind = iota // default or /integer: the low 8 bits of an integer
	segBinary                 // /binary: the bytes of a binary
)

// binSeg is one {bin_element, A, V, default, Types}: literal bytes (a
// string), or a value of kind.
type binSeg struct {
	bytes []byte
	val   expr
	kind  segKind
}

// binExpr is {bin, A, Segments}.
type binExpr struct {
	line int
	segs []binSeg
}

// matchExpr is {match, A, Pattern, Expr}.
type matchExpr struct {
	line int
	pat  pattern
	rhs  expr
}

// blockExpr is {block, A, Body}.
type blockExpr struct {
	body []expr
}

// clause is a receive clause: one pattern, no guard, a body.
type clause struct {
	line int
	pat  pattern
	body []expr
}

// receiveExpr is {'receive', A, Clauses} or, with after set,
// {'receive', A, Clauses, Timeout, After}.
type receiveExpr struct {
	line    int
	clauses []clause
	timeout expr // nil without an after clause
	after   []expr
}

// builtin is a function of the whitelist.
type builtin uint8

const (
	bifPuts builtin = iota // 'Elixir.IO':puts/1
	bifSend                // erlang:send/2 and the ! operator
	bifSelf                // erlang:self/0
	bifNode                // erlang:node/0, 'Elixir.Node':self/0
)

// callExpr is a call of a builtin.
type callExpr struct {
	line int
	bif  builtin
	args []expr
}

// aliasPat is {match, A, P1, P2} in a pattern: both must match.
type aliasPat struct {
	left, right pattern
}

// tuplePat is {tuple, A, Ps} in a pattern.
type tuplePat struct {
	elems []pattern
}

// consPat is {cons, A, H, T} in a pattern.
type consPat struct {
	head, tail pattern
}
