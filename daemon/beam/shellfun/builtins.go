package shellfun

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"chatd/wire/etf"
)

// eval evaluates the arguments left to right, then runs the builtin.
func (e callExpr) eval(m *machine, b *bindings) (value, error) {
	if err := m.step(e.line); err != nil {
		return value{}, err
	}
	args := make([]value, len(e.args))
	for i, a := range e.args {
		v, err := a.eval(m, b)
		if err != nil {
			return value{}, err
		}
		args[i] = v
	}
	switch e.bif {
	case bifPuts:
		return m.puts(e.line, args[0])
	case bifSend:
		return m.send(e.line, args[0], args[1])
	case bifSelf:
		return value{t: m.env.Self(), n: 1}, nil
	}
	node := m.env.Node()
	return value{t: node, n: 1 + len(node)}, nil
}

// puts runs IO.puts/1: the text of its argument and a newline go to
// Env.Puts; the value is ok.
func (m *machine) puts(line int, arg value) (value, error) {
	var sb strings.Builder
	ok := chardata(&sb, arg.t, m.lim)
	if sb.Len() > m.lim.TermSize {
		return value{}, limit(line, "IO.puts of more than %d bytes (Limits.TermSize)", m.lim.TermSize)
	}
	if !ok {
		return value{}, failure(line, etf.Atom("badarg"), fmt.Errorf("IO.puts of %s: not chardata, an atom or a number", kindOf(arg.t)))
	}
	sb.WriteByte('\n')
	if err := m.env.Puts(m.ctx, sb.String()); err != nil {
		return value{}, envExit(line, failure(line, etf.Atom("terminated"), err), err)
	}
	return value{t: etf.OK, n: 3}, nil
}

// send runs erlang:send/2 (and !): the value is the message.
func (m *machine) send(line int, to, msg value) (value, error) {
	if !destination(to.t) {
		return value{}, failure(line, etf.Atom("badarg"), fmt.Errorf("send to %s: not a pid, a name, {Name, Node} or an alias", kindOf(to.t)))
	}
	if err := m.env.Send(m.ctx, to.t, msg.t); err != nil {
		return value{}, envExit(line, failure(line, etf.Atom("badarg"), err), err)
	}
	return msg, nil
}

// destination reports whether erlang:send/2 accepts t as where to send.
func destination(t etf.Term) bool {
	switch v := t.(type) {
	case etf.Pid, etf.Atom, etf.Ref:
		return true
	case etf.Tuple:
		return len(v) == 2 && isAtom(v[0]) && isAtom(v[1])
	}
	return false
}

// envExit returns the Exit for a failed Env call: an *Exit the Env
// returned, killed when the run's context ended, else def.
func envExit(line int, def *Exit, err error) *Exit {
	var exit *Exit
	switch {
	case errors.As(err, &exit):
		return exit
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return killed(line, err)
	}
	return def
}

// chardata writes the text IO.puts prints for t, as Elixir's
// IO.chardata_to_string and String.Chars do: a UTF-8 binary as it is, a
// list of code points, binaries and such lists (with a binary or [] as
// its tail), an atom's name (nil prints nothing), an integer or a float
// in Elixir's notation. It stops with false on anything else, and once
// the text is longer than lim.TermSize.
func chardata(sb *strings.Builder, t etf.Term, lim Limits) bool {
	switch v := t.(type) {
	case etf.Binary:
		if !utf8.Valid(v) {
			return false
		}
		sb.Write(v)
		return true
	case etf.Atom:
		if v != etf.NilAtom {
			sb.WriteString(string(v))
		}
		return true
	case int64:
		sb.WriteString(strconv.FormatInt(v, 10))
		return true
	case *big.Int:
		sb.WriteString(v.String())
		return true
	case float64:
		sb.WriteString(etf.Inspect(v))
		return true
	}
	return iodata(sb, t, lim, 0)
}

// iodata writes a chardata list; depth counts the lists it is nested in.
func iodata(sb *strings.Builder, t etf.Term, lim Limits, depth int) bool {
	if depth > lim.Depth {
		return false
	}
	var elems []etf.Term
	var tail etf.Term = etf.Nil{}
	switch v := t.(type) {
	case etf.Nil:
		return true
	case etf.Charlist:
		for _, c := range v {
			sb.WriteRune(rune(c))
		}
		return sb.Len() <= lim.TermSize
	case etf.List:
		elems = v
	case etf.ImproperList:
		elems, tail = v.Elems, v.Tail
	default:
		return false
	}
	for _, e := range elems {
		if sb.Len() > lim.TermSize {
			return false
		}
		switch c := e.(type) {
		case int64:
			if c < 0 || c > utf8.MaxRune || !utf8.ValidRune(rune(c)) {
				return false
			}
			sb.WriteRune(rune(c))
		case etf.Binary:
			if !utf8.Valid(c) {
				return false
			}
			sb.Write(c)
		default:
			if !iodata(sb, e, lim, depth+1) {
				return false
			}
		}
	}
	if bin, ok := tail.(etf.Binary); ok && utf8.Valid(bin) {
		sb.Write(bin)
		return true
	}
	_, isNil := tail.(etf.Nil)
	return isNil
}
