package shellfun

import (
	"context"
	"sync"
	"testing"

	"chatd/internal/testkit"
	"chatd/wire/etf"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// The pids of the tests: the process running the fun (on alex, chatd) and
// the iex shell that sent it (on kate).
var (
	selfPid  = etf.Pid{Node: "alex@localhost", ID: 170, Creation: 7}
	shellPid = etf.Pid{Node: "kate@localhost", ID: 160, Creation: 9}
)

// sent is one Env.Send call.
type sent struct {
	to, msg etf.Term
}

// fakeEnv is an Env with a mailbox the test fills, recording what the fun
// prints and sends.
type fakeEnv struct {
	putsErr, sendErr error // returned by Puts and Send when set

	mu      sync.Mutex
	mailbox []etf.Term // guarded by mu
	out     []string   // guarded by mu
	sends   []sent     // guarded by mu
	ready   chan struct{}
	blocked chan struct{} // closed when Receive first waits
	once    sync.Once
}

func newEnv(msgs ...etf.Term) *fakeEnv {
	return &fakeEnv{mailbox: msgs, ready: make(chan struct{}, 1), blocked: make(chan struct{})}
}

func (e *fakeEnv) Self() etf.Pid  { return selfPid }
func (e *fakeEnv) Node() etf.Atom { return selfPid.Node }

func (e *fakeEnv) Puts(_ context.Context, line string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.putsErr != nil {
		return e.putsErr
	}
	e.out = append(e.out, line)
	return nil
}

func (e *fakeEnv) Send(_ context.Context, to, msg etf.Term) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sendErr != nil {
		return e.sendErr
	}
	e.sends = append(e.sends, sent{to, msg})
	if to == etf.Term(selfPid) {
		e.mailbox = append(e.mailbox, msg)
	}
	return nil
}

// Receive returns a waiting message even when ctx has ended, as Env asks.
func (e *fakeEnv) Receive(ctx context.Context) (etf.Term, error) {
	for {
		e.mu.Lock()
		if len(e.mailbox) > 0 {
			msg := e.mailbox[0]
			e.mailbox = e.mailbox[1:]
			e.mu.Unlock()
			return msg, nil
		}
		e.mu.Unlock()
		e.once.Do(func() { close(e.blocked) })
		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// deliver puts msg in the mailbox.
func (e *fakeEnv) deliver(msg etf.Term) {
	e.mu.Lock()
	e.mailbox = append(e.mailbox, msg)
	e.mu.Unlock()
	select {
	case e.ready <- struct{}{}:
	default:
	}
}

func (e *fakeEnv) output() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.out...)
}

func (e *fakeEnv) sentMsgs() []sent {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]sent(nil), e.sends...)
}

func (e *fakeEnv) left() []etf.Term {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]etf.Term(nil), e.mailbox...)
}

// Builders of abstract code, as Elixir 1.14 writes it in Code.eval_string
// (every form on line 1), so that beam_test can compare them with a real
// elixir's funs.

func list(ts ...etf.Term) etf.Term {
	if len(ts) == 0 {
		return etf.Nil{}
	}
	return etf.List(ts)
}

func formF(tag string, args ...etf.Term) etf.Tuple {
	return append(etf.Tuple{etf.Atom(tag), int64(1)}, args...)
}

func atomF(a string) etf.Tuple        { return formF("atom", etf.Atom(a)) }
func varF(name string) etf.Tuple      { return formF("var", etf.Atom(name)) }
func intF(n int64) etf.Tuple          { return formF("integer", n) }
func tupleF(es ...etf.Term) etf.Tuple { return formF("tuple", list(es...)) }
func matchF(p, e etf.Term) etf.Tuple  { return formF("match", p, e) }

// strF is the string literal of s's code points ('s' in Elixir): a
// charlist when they are all latin-1, as the BEAM sends it.
func strF(s string) etf.Tuple {
	var cs etf.Charlist
	var ints etf.List
	for _, r := range s {
		if ints = append(ints, int64(r)); r < 256 {
			cs = append(cs, byte(r))
		}
	}
	if len(cs) == len(ints) {
		return formF("string", cs)
	}
	return formF("string", ints)
}

// binF is an Elixir string literal, <<"s">>: its UTF-8 bytes.
func binF(s string) etf.Tuple {
	str := formF("string", etf.Charlist(s))
	return formF("bin", list(formF("bin_element", str, etf.Atom("default"), etf.Atom("default"))))
}

func callF(mod, fun string, args ...etf.Term) etf.Tuple {
	return formF("call", formF("remote", atomF(mod), atomF(fun)), list(args...))
}

func clauseF(pat etf.Term, body ...etf.Term) etf.Tuple {
	return formF("clause", list(pat), etf.Nil{}, list(body...))
}

func receiveF(clauses ...etf.Term) etf.Tuple { return formF("receive", list(clauses...)) }

func receiveAfterF(timeout etf.Term, after []etf.Term, clauses ...etf.Term) etf.Tuple {
	return formF("receive", list(clauses...), timeout, list(after...))
}

// funOf is the fun `fn -> body end` as Code.eval_string builds it, with
// the given bindings (nil for none).
func funOf(bindings etf.Map, body ...etf.Term) etf.Fun {
	if bindings == nil {
		bindings = etf.Map{}
	}
	env := etf.Tuple{int64(1), bindings, etf.Atom("none"), etf.Atom("none"), etf.Map{},
		list(formF("clause", etf.Nil{}, etf.Nil{}, list(body...)))}
	return etf.Fun{Module: "erl_eval", Arity: 0, Index: 43, Free: []etf.Term{env}}
}
