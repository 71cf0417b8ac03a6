package shellfun

import (
	"errors"
	"fmt"

	"chatd/wire/etf"
)

// ErrRefused is wrapped by every error of Parse: the fun is not a shell
// fun, or it holds something outside the whitelist or over a limit. The
// caller answers the spawn with notsup and logs the error, which names
// what was refused and on which shell line.
var ErrRefused = errors.New("shellfun: refused")

// ErrLimit is wrapped by the Err of an Exit whose run hit one of its
// Limits (steps, term size, kept messages).
var ErrLimit = errors.New("shellfun: limit reached")

// refuse returns an error wrapping ErrRefused for the form at line (0 for
// the fun as a whole).
func refuse(line int, format string, args ...any) error {
	if line == 0 {
		return fmt.Errorf("%w: %s", ErrRefused, fmt.Sprintf(format, args...))
	}
	return fmt.Errorf("%w: line %d: %s", ErrRefused, line, fmt.Sprintf(format, args...))
}

// The classes of an Exit, as Erlang names the class of an exception.
const (
	ClassError etf.Atom = "error" // the fun failed: a failed match, a bad argument, a limit
	ClassExit  etf.Atom = "exit"  // the process was stopped from outside
)

// Exit is the error Run returns when the fun ends abnormally, as a BEAM
// process would. These reasons occur:
//
//	class error  {badmatch, V}   a match (=) failed on V
//	class error  {unbound, Var}  a variable was used before it was bound
//	class error  badarg          send/2 to a term that is no destination, or
//	                             refused by Env.Send; IO.puts of a term that
//	                             is neither chardata, an atom nor a number;
//	                             a binary segment of the wrong type
//	class error  terminated      Env.Puts failed (the group leader is gone)
//	class error  timeout_value   an after clause of a non-integer, or
//	                             outside 0..4294967295, and not infinity
//	class error  system_limit    a budget of Limits ran out (Err wraps ErrLimit)
//	class exit   killed          ctx ended, or Env.Receive failed
//
// function_clause cannot occur: guards are refused, so the single clause
// of an arity-0 fun always matches []. An Env method may return an *Exit
// itself; Run then ends with that Exit unchanged.
type Exit struct {
	Class  etf.Atom // ClassError or ClassExit
	Reason etf.Term // as listed above
	Line   int      // the shell line of the failing expression; 0 when unknown
	Err    error    // the cause, for the log; may be nil
}

// Error describes the exit in Elixir's notation, a long reason cut short.
func (e *Exit) Error() string {
	s := fmt.Sprintf("shellfun: line %d: %s %s", e.Line, e.Class, kindOf(e.Reason))
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Exit) Unwrap() error { return e.Err }

// StackModule is the module named in the one-frame stack trace of
// Signal, so that a BEAM shell prints where the fun failed.
const StackModule etf.Atom = "chatd_shellfun"

// Signal returns the exit reason to carry in the EXIT and DOWN signals of
// the process that ran the fun. For class error it is {Reason, Stack},
// as a BEAM process that raised an error exits, with the stack
// [{chatd_shellfun, eval, 0, [{line, Line}]}] (iex then prints "an
// exception was raised: ** (MatchError) ..."); for class exit it is
// Reason itself.
func (e *Exit) Signal() etf.Term {
	if e.Class != ClassError {
		return e.Reason
	}
	var loc etf.Term = etf.Nil{}
	if e.Line > 0 {
		loc = etf.List{etf.Tuple{etf.Atom("line"), int64(e.Line)}}
	}
	frame := etf.Tuple{StackModule, etf.Atom("eval"), int64(0), loc}
	return etf.Tuple{e.Reason, etf.List{frame}}
}

// failure returns an Exit of class error.
func failure(line int, reason etf.Term, cause error) *Exit {
	return &Exit{Class: ClassError, Reason: reason, Line: line, Err: cause}
}

// limit returns the Exit of a run that hit a limit.
func limit(line int, format string, args ...any) *Exit {
	return failure(line, etf.Atom("system_limit"), fmt.Errorf("%w: %s", ErrLimit, fmt.Sprintf(format, args...)))
}

// killed returns the Exit of a run stopped from outside.
func killed(line int, cause error) *Exit {
	return &Exit{Class: ClassExit, Reason: etf.Atom("killed"), Line: line, Err: cause}
}
