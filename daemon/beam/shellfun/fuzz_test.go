package shellfun

import (
	"context"
	"errors"
	"testing"

	"chatd/wire/etf"
)

// errEmpty is what fuzzEnv's Receive returns once its mailbox is empty,
// so that no fuzzed receive waits.
var errEmpty = errors.New("fuzz mailbox empty")

// fuzzEnv is an Env with a fixed mailbox that never blocks.
type fuzzEnv struct {
	mailbox []etf.Term
	lim     Limits
	t       *testing.T
}

func (e *fuzzEnv) Self() etf.Pid  { return selfPid }
func (e *fuzzEnv) Node() etf.Atom { return selfPid.Node }

func (e *fuzzEnv) Puts(_ context.Context, line string) error {
	if len(line) > e.lim.TermSize+1 {
		e.t.Fatalf("Puts of %d bytes, over TermSize %d", len(line), e.lim.TermSize)
	}
	return nil
}

func (e *fuzzEnv) Send(_ context.Context, to, msg etf.Term) error {
	if _, err := etf.Encode(etf.Tuple{to, msg}); err != nil {
		e.t.Fatalf("Send of a term that does not encode: %v", err)
	}
	if to == etf.Term(selfPid) && len(e.mailbox) < 4 {
		e.mailbox = append(e.mailbox, msg)
	}
	return nil
}

// Receive on an empty mailbox times out at once when ctx has a deadline
// (an after clause's), and fails otherwise.
func (e *fuzzEnv) Receive(ctx context.Context) (etf.Term, error) {
	if len(e.mailbox) == 0 {
		if _, timed := ctx.Deadline(); timed {
			return nil, context.DeadlineExceeded
		}
		return nil, errEmpty
	}
	msg := e.mailbox[0]
	e.mailbox = e.mailbox[1:]
	return msg, nil
}

// FuzzEval decodes its input as a term: a fun, or else the environment of
// an erl_eval fun. Whatever Parse accepts must run without panicking,
// within its limits, and end with a value or an Exit whose terms encode.
// The seeds in testdata/fuzz/FuzzEval are the captured funs and the funs
// of the tests.
func FuzzEval(f *testing.F) {
	for _, tc := range runCases() {
		if b, err := etf.Encode(tc.fun); err == nil {
			f.Add(b)
		}
	}
	lim := Limits{Depth: 16, Nodes: 200, Steps: 300, TermSize: 2000, Mailbox: 3}.withDefaults()
	f.Fuzz(func(t *testing.T, data []byte) {
		term, err := etf.Decoder{MaxSize: 1 << 16}.Decode(data)
		if err != nil {
			return
		}
		fun, ok := term.(etf.Fun)
		if !ok {
			fun = etf.Fun{Module: "erl_eval", Free: []etf.Term{term}}
		}
		p, err := Parse(fun, lim)
		if err != nil {
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("Parse error %v does not wrap ErrRefused", err)
			}
			return
		}
		env := &fuzzEnv{lim: lim, t: t, mailbox: []etf.Term{hiTuple, etf.Atom("x"), etf.Binary("hi"), etf.Tuple{etf.Atom("other"), int64(1)}}}
		v, m, err := p.run(context.Background(), env)
		if m.steps > lim.Steps+1 || len(m.saved) > lim.Mailbox {
			t.Fatalf("%d steps and %d kept messages, over the limits %d and %d", m.steps, len(m.saved), lim.Steps, lim.Mailbox)
		}
		checkOutcome(t, v, err, lim)
	})
}

// checkOutcome checks the end of a fuzzed run.
func checkOutcome(t *testing.T, v value, err error, lim Limits) {
	t.Helper()
	if err != nil {
		var exit *Exit
		if !errors.As(err, &exit) {
			t.Fatalf("Run error %v is not an *Exit", err)
		}
		if _, err := etf.Encode(exit.Signal()); err != nil {
			t.Fatalf("exit signal %s does not encode: %v", etf.Inspect(exit.Signal()), err)
		}
		return
	}
	if v.n != unsized && v.n > lim.TermSize {
		t.Fatalf("built a term of %d cells, over TermSize %d", v.n, lim.TermSize)
	}
	if _, err := etf.Encode(v.t); err != nil {
		t.Fatalf("the value %s does not encode: %v", etf.Inspect(v.t), err)
	}
}
