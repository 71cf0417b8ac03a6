package shellfun

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"chatd/internal/testkit"
	"chatd/wire/etf"
)

func mustParse(t *testing.T, f etf.Fun) *Program {
	t.Helper()
	p, err := Parse(f, Limits{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

// TestSelectiveReceive checks that a receive takes the oldest message
// matching any of its clauses (message order before clause order), and
// leaves the others in their order for the next receive.
func TestSelectiveReceive(t *testing.T) {
	hi := clauseF(tupleF(atomF("hi"), varF("p")), callF("erlang", "send", varF("p"), atomF("sup?")))
	b := clauseF(tupleF(atomF("b"), varF("_")), atomF("b"))
	other := clauseF(tupleF(atomF("other"), varF("n")), varF("n"))
	f := funOf(nil,
		matchF(varF("r1"), receiveF(hi, b)),                         // {:b, 2}: older than {:hi, a}
		matchF(varF("r2"), receiveF(hi, other)),                     // {:other, 1}, kept by the first
		matchF(varF("r3"), receiveF(clauseF(varF("m"), varF("m")))), // :x, kept too
		matchF(varF("r4"), receiveF(hi)),                            // {:hi, a}, from the mailbox
		tupleF(varF("r1"), varF("r2"), varF("r3"), varF("r4")))
	a := etf.Pid{Node: "kate@localhost", ID: 1}
	env := newEnv(
		etf.Tuple{etf.Atom("other"), int64(1)},
		etf.Atom("x"),
		etf.Tuple{etf.Atom("b"), int64(2)},
		etf.Tuple{etf.Atom("hi"), a},
		etf.Atom("y"),
	)
	got, err := mustParse(t, f).Run(testkit.Ctx(t, testkit.Wait), env)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := etf.Tuple{etf.Atom("b"), int64(1), etf.Atom("x"), etf.Atom("sup?")}
	if !etf.Equal(got, want) {
		t.Errorf("Run = %s, want %s", etf.Inspect(got), etf.Inspect(want))
	}
	if s := env.sentMsgs(); len(s) != 1 || s[0].to != etf.Term(a) {
		t.Errorf("sent %v, want one message to %v", s, a)
	}
	if left := env.left(); len(left) != 1 || !etf.Equal(left[0], etf.Atom("y")) {
		t.Errorf("mailbox left %v, want [:y]", left)
	}
}

// TestReceiveWaits runs the lesson's receive with an empty mailbox and
// delivers {:hi, pid} once the run waits, as kate's iex does.
func TestReceiveWaits(t *testing.T) {
	env := newEnv(etf.Atom("noise"))
	p := mustParse(t, lessonReceive())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-env.blocked:
			env.deliver(hiTuple)
		case <-time.After(testkit.Wait):
		}
	}()
	got, err := p.Run(testkit.Ctx(t, testkit.Wait), env)
	wg.Wait()
	if err != nil || !etf.Equal(got, etf.Atom("sup?")) {
		t.Fatalf("Run = %v, %v; want :sup?", got, err)
	}
}

// TestReceiveContextEnds checks that a receive that would wait forever on
// a BEAM ends with killed when its context does.
func TestReceiveContextEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := mustParse(t, lessonReceive()).Run(ctx, newEnv(etf.Atom("noise")))
	var exit *Exit
	if !errors.As(err, &exit) || exit.Class != ClassExit || !etf.IsAtom(exit.Signal(), "killed") {
		t.Fatalf("Run error %v, want exit killed", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run error %v does not wrap context.DeadlineExceeded", err)
	}
}

// TestReceiveAfter checks that an after clause runs once its time passes.
func TestReceiveAfter(t *testing.T) {
	f := funOf(nil, receiveAfterF(intF(10), []etf.Term{atomF("timeout")}, clauseF(atomF("never"), atomF("got"))))
	env := newEnv(etf.Atom("noise"))
	got, err := mustParse(t, f).Run(testkit.Ctx(t, testkit.Wait), env)
	if err != nil || !etf.Equal(got, etf.Atom("timeout")) {
		t.Fatalf("Run = %v, %v; want :timeout", got, err)
	}
}

// TestEnvErrors checks how a failing Env ends a run.
func TestEnvErrors(t *testing.T) {
	own := &Exit{Class: ClassExit, Reason: etf.Atom("noconnection")}
	puts := funOf(nil, callF("Elixir.IO", "puts", binF("hi")))
	send := funOf(nil, callF("erlang", "send", atomF("nobody"), atomF("x")))
	tests := []struct {
		name   string
		fun    etf.Fun
		env    *fakeEnv
		class  etf.Atom
		reason etf.Term
	}{
		{"group leader gone", puts, &fakeEnv{putsErr: errors.New("gl down")}, ClassError, etf.Atom("terminated")},
		{"unknown name", send, &fakeEnv{sendErr: errors.New("no process nobody")}, ClassError, etf.Atom("badarg")},
		{"Env's own exit", puts, &fakeEnv{putsErr: own}, ClassExit, etf.Atom("noconnection")},
		{"Env's context", send, &fakeEnv{sendErr: context.Canceled}, ClassExit, etf.Atom("killed")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mustParse(t, tc.fun).Run(testkit.Ctx(t, testkit.Wait), tc.env)
			var exit *Exit
			if !errors.As(err, &exit) || exit.Class != tc.class || !etf.Equal(exit.Reason, tc.reason) {
				t.Fatalf("Run error %v, want %s %s", err, tc.class, etf.Inspect(tc.reason))
			}
		})
	}
}

func TestExitSignal(t *testing.T) {
	e := failure(3, etf.Tuple{etf.Atom("badmatch"), int64(2)}, nil)
	frame := etf.Tuple{StackModule, etf.Atom("eval"), int64(0), etf.List{etf.Tuple{etf.Atom("line"), int64(3)}}}
	want := etf.Tuple{etf.Tuple{etf.Atom("badmatch"), int64(2)}, etf.List{frame}}
	if got := e.Signal(); !etf.Equal(got, want) {
		t.Errorf("Signal = %s, want %s", etf.Inspect(got), etf.Inspect(want))
	}
	if got := killed(0, nil).Signal(); !etf.IsAtom(got, "killed") {
		t.Errorf("killed Signal = %s, want :killed", etf.Inspect(got))
	}
	if msg := e.Error(); msg != "shellfun: line 3: error {:badmatch, 2}" {
		t.Errorf("Error() = %q", msg)
	}
	if _, err := etf.Encode(e.Signal()); err != nil {
		t.Errorf("Signal does not encode: %v", err)
	}
}
