package shellfun

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"chatd/internal/testkit"
	"chatd/wire/etf"
)

// runCase is a fun that Parse accepts, with what its run must do.
type runCase struct {
	name    string
	fun     etf.Fun
	lim     Limits
	mailbox []etf.Term
	want    etf.Term // the value, when exit is nil
	out     []string // what IO.puts printed
	sends   []sent
	exit    etf.Term // the Exit's Reason, when the run must fail
	isLimit bool     // the Exit must wrap ErrLimit
}

// hiTuple is the lesson's message {:hi, pid}.
var hiTuple = etf.Tuple{etf.Atom("hi"), shellPid}

// lessonReceive is `fn -> receive do {:hi, p} -> send p, :sup? end end`.
func lessonReceive() etf.Fun {
	return funOf(nil, receiveF(clauseF(tupleF(atomF("hi"), varF("_p@1")),
		callF("erlang", "send", varF("_p@1"), atomF("sup?")))))
}

func runCases() []runCase {
	many := make([]etf.Term, 50)
	for i := range many {
		many[i] = atomF("ok")
	}
	big := formF("bin", list(formF("bin_element", strF(strings.Repeat("x", 100)), etf.Atom("default"), etf.Atom("default"))))
	return []runCase{
		{name: "IO.puts hi", fun: funOf(nil, callF("Elixir.IO", "puts", binF("hi"))), want: etf.OK, out: []string{"hi\n"}},
		{name: "lesson receive", fun: lessonReceive(), mailbox: []etf.Term{hiTuple},
			want: etf.Atom("sup?"), sends: []sent{{shellPid, etf.Atom("sup?")}}},
		{name: "captured binding", fun: funOf(etf.Map{{Key: etf.Atom("_x@1"), Value: int64(1)}},
			callF("Elixir.IO", "puts", varF("_x@1"))), want: etf.OK, out: []string{"1\n"}},
		{name: "match, tuple, charlist", fun: funOf(nil,
			matchF(varF("_y@1"), tupleF(atomF("a"), formF("float", 1.5), strF("chars"))), varF("_y@1")),
			want: etf.Tuple{etf.Atom("a"), 1.5, etf.Charlist("chars")}},
		{name: "list with tail", fun: funOf(nil, formF("cons", intF(1), formF("cons", intF(2), formF("cons", intF(3), formF("nil"))))),
			want: etf.List{int64(1), int64(2), int64(3)}},
		{name: "improper list", fun: funOf(nil, formF("cons", intF(1), atomF("t"))),
			want: etf.ImproperList{Elems: []etf.Term{int64(1)}, Tail: etf.Atom("t")}},
		{name: "binary of integers and a string", fun: funOf(nil, formF("bin", list(
			formF("bin_element", intF(1), etf.Atom("default"), list(etf.Atom("integer"))),
			formF("bin_element", intF(-1), etf.Atom("default"), list(etf.Atom("integer"))),
			formF("bin_element", binF("yz"), etf.Atom("default"), list(etf.Atom("binary"))),
			formF("bin_element", strF("x"), etf.Atom("default"), etf.Atom("default"))))),
			want: etf.Binary{1, 255, 'y', 'z', 'x'}},
		{name: "negative literal", fun: funOf(nil, formF("op", etf.Atom("-"), intF(1))), want: int64(-1)},
		{name: "self, node, Node.self", fun: funOf(nil, tupleF(callF("erlang", "self"), callF("erlang", "node"), callF("Elixir.Node", "self"))),
			want: etf.Tuple{selfPid, selfPid.Node, selfPid.Node}},
		{name: "erl shell: local self() and !", fun: funOf(nil,
			formF("op", etf.Atom("!"), formF("call", atomF("self"), etf.Nil{}), atomF("hi")),
			receiveF(clauseF(varF("M"), varF("M")))), want: etf.Atom("hi"), sends: []sent{{selfPid, etf.Atom("hi")}}},
		{name: "bound variable compares", fun: funOf(nil,
			matchF(tupleF(varF("x"), varF("x")), tupleF(intF(1), intF(1))), varF("x")), want: int64(1)},
		{name: "IO.puts chardata, atom, nil, float", fun: funOf(nil,
			callF("Elixir.IO", "puts", formF("cons", binF("a"), formF("cons", formF("cons", formF("char", int64('b')), binF("c")), formF("nil")))),
			callF("Elixir.IO", "puts", atomF("nil")), callF("Elixir.IO", "puts", atomF("ok")),
			callF("Elixir.IO", "puts", formF("float", 1.5)), callF("Elixir.IO", "puts", strF("é"))),
			want: etf.OK, out: []string{"abc\n", "\n", "ok\n", "1.5\n", "é\n"}},
		{name: "after 0 on an empty mailbox", fun: funOf(nil, receiveAfterF(intF(0), []etf.Term{atomF("timeout")},
			clauseF(atomF("never"), atomF("got")))), want: etf.Atom("timeout")},
		{name: "after 0 sees a waiting message", fun: funOf(nil, receiveAfterF(intF(0), []etf.Term{atomF("timeout")},
			clauseF(atomF("now"), atomF("got")))), mailbox: []etf.Term{etf.Atom("now")}, want: etf.Atom("got")},
		{name: "list patterns", fun: funOf(nil,
			matchF(formF("cons", varF("h"), varF("t")), formF("cons", intF(1), formF("cons", intF(2), formF("cons", intF(3), formF("nil"))))),
			matchF(formF("cons", varF("c"), varF("_")), strF("ab")),
			matchF(formF("cons", varF("one"), formF("nil")), formF("cons", intF(9), formF("nil"))),
			receiveF(clauseF(formF("cons", varF("i"), varF("tail")), tupleF(varF("h"), varF("t"), varF("c"), varF("one"), varF("i"), varF("tail"))))),
			mailbox: []etf.Term{etf.ImproperList{Elems: []etf.Term{int64(7)}, Tail: etf.Atom("z")}},
			want:    etf.Tuple{int64(1), etf.List{int64(2), int64(3)}, int64('a'), int64(9), int64(7), etf.Atom("z")}},
		{name: "alias pattern and block", fun: funOf(nil,
			matchF(matchF(tupleF(atomF("a"), varF("_")), varF("X")), tupleF(atomF("a"), intF(1))),
			formF("block", list(atomF("ignored"), tupleF(varF("X"), formF("op", etf.Atom("-"), formF("float", 1.5)))))),
			want: etf.Tuple{etf.Tuple{etf.Atom("a"), int64(1)}, -1.5}},
		{name: "badmatch", fun: funOf(nil, matchF(tupleF(atomF("a"), varF("x")), tupleF(atomF("b"), intF(1)))),
			exit: etf.Tuple{etf.Atom("badmatch"), etf.Tuple{etf.Atom("b"), int64(1)}}},
		{name: "repeated variable mismatch", fun: funOf(nil, matchF(tupleF(varF("x"), varF("x")), tupleF(intF(1), intF(2)))),
			exit: etf.Tuple{etf.Atom("badmatch"), etf.Tuple{int64(1), int64(2)}}},
		{name: "unbound variable", fun: funOf(nil, varF("_x@1")), exit: etf.Tuple{etf.Atom("unbound"), etf.Atom("_x@1")}},
		{name: "send to a number", fun: funOf(nil, callF("erlang", "send", intF(42), atomF("x"))), exit: etf.Atom("badarg")},
		{name: "IO.puts of a tuple", fun: funOf(nil, callF("Elixir.IO", "puts", tupleF())), exit: etf.Atom("badarg")},
		{name: "bad after value", fun: funOf(nil, receiveAfterF(atomF("soon"), []etf.Term{atomF("t")})), exit: etf.Atom("timeout_value")},
		{name: "too many steps", fun: funOf(nil, many...), lim: Limits{Steps: 10}, exit: etf.Atom("system_limit"), isLimit: true},
		{name: "term too big", fun: funOf(nil, matchF(varF("b"), big), tupleF(varF("b"), varF("b"))),
			lim: Limits{TermSize: 150}, exit: etf.Atom("system_limit"), isLimit: true},
		{name: "too many kept messages", fun: lessonReceive(), lim: Limits{Mailbox: 2},
			mailbox: []etf.Term{etf.Atom("a"), etf.Atom("b"), etf.Atom("c"), hiTuple}, exit: etf.Atom("system_limit"), isLimit: true},
	}
}

func TestRun(t *testing.T) {
	for _, tc := range runCases() {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.fun, tc.lim)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			env := newEnv(tc.mailbox...)
			got, err := p.Run(testkit.Ctx(t, testkit.Wait), env)
			checkRun(t, tc, env, got, err)
		})
	}
}

// checkRun compares one run with its case.
func checkRun(t *testing.T, tc runCase, env *fakeEnv, got etf.Term, err error) {
	t.Helper()
	if tc.exit != nil {
		var exit *Exit
		if !errors.As(err, &exit) {
			t.Fatalf("Run = %s, %v; want an Exit %s", etf.Inspect(got), err, etf.Inspect(tc.exit))
		}
		if exit.Class != ClassError || !etf.Equal(exit.Reason, tc.exit) {
			t.Errorf("Exit %s %s, want error %s", exit.Class, etf.Inspect(exit.Reason), etf.Inspect(tc.exit))
		}
		if errors.Is(err, ErrLimit) != tc.isLimit {
			t.Errorf("errors.Is(%v, ErrLimit) = %v, want %v", err, !tc.isLimit, tc.isLimit)
		}
		return
	}
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !etf.Equal(got, tc.want) {
		t.Errorf("Run = %s, want %s", etf.Inspect(got), etf.Inspect(tc.want))
	}
	if out := env.output(); !slices.Equal(out, tc.out) {
		t.Errorf("printed %q, want %q", out, tc.out)
	}
	if s := env.sentMsgs(); !slices.EqualFunc(s, tc.sends, func(a, b sent) bool {
		return etf.Equal(a.to, b.to) && etf.Equal(a.msg, b.msg)
	}) {
		t.Errorf("sent %v, want %v", s, tc.sends)
	}
}
