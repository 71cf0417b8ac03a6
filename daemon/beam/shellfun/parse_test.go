package shellfun

import (
	"errors"
	"strings"
	"testing"

	"chatd/internal/testkit"
	"chatd/wire/etf"
)

// nested returns depth tuples, one inside the other, around :x.
func nested(depth int) etf.Term {
	var t etf.Term = atomF("x")
	for range depth {
		t = tupleF(t)
	}
	return t
}

// withEnv returns the lesson's fun with its environment tuple replaced.
func withEnv(env etf.Tuple) etf.Fun {
	f := lessonReceive()
	f.Free = []etf.Term{env}
	return f
}

func TestParseRefuses(t *testing.T) {
	puts := callF("Elixir.IO", "puts", binF("hi"))
	clauses := list(formF("clause", etf.Nil{}, etf.Nil{}, list(puts)))
	guard := list(list(callF("erlang", "is_pid", varF("p"))))
	tests := []struct {
		name string
		fun  etf.Fun
		lim  Limits
		want string // in the error
	}{
		{"File.rm", funOf(nil, callF("Elixir.File", "rm", binF("x"))), Limits{}, "call of File.rm/1"},
		{"os:cmd", funOf(nil, callF("os", "cmd", strF("ls"))), Limits{}, "call of :os.cmd/1"},
		{"IO.puts/2", funOf(nil, callF("Elixir.IO", "puts", atomF("stderr"), binF("x"))), Limits{}, "call of IO.puts/2"},
		{"erlang:halt", funOf(nil, callF("erlang", "halt")), Limits{}, "call of :erlang.halt/0"},
		{"call in an argument", funOf(nil, callF("Elixir.IO", "puts", callF("os", "getpid"))), Limits{}, ":os.getpid/0"},
		{"local call", funOf(nil, formF("call", atomF("foo"), etf.Nil{})), Limits{}, "local call of foo/0"},
		{"computed module", funOf(nil, formF("call", formF("remote", varF("m"), atomF("f")), etf.Nil{})), Limits{}, "computed module"},
		{"fun value call", funOf(nil, formF("call", varF("f"), etf.Nil{})), Limits{}, "call of a var expression"},
		{"fun definition", funOf(nil, formF("fun", formF("clauses", etf.Nil{}))), Limits{}, "fun defined inside"},
		{"case", funOf(nil, formF("case", atomF("a"), etf.Nil{})), Limits{}, "a case expression"},
		{"arithmetic", funOf(nil, formF("op", etf.Atom("+"), intF(1), intF(2))), Limits{}, "operator :+"},
		{"map", funOf(nil, formF("map", etf.Nil{})), Limits{}, "a map expression"},
		{"guard", funOf(nil, receiveF(formF("clause", list(varF("p")), guard, list(varF("p"))))), Limits{}, "guard"},
		{"binary pattern that binds", funOf(nil, matchF(formF("bin", list(formF("bin_element", varF("x"), etf.Atom("default"), etf.Atom("default")))),
			binF("x"))), Limits{}, "binary pattern that binds"},
		{"sized segment", funOf(nil, formF("bin", list(formF("bin_element", intF(1), intF(16), etf.Atom("default"))))), Limits{}, "size"},
		{"too deep", funOf(nil, nested(40)), Limits{}, "deeper than 32"},
		{"too many nodes", funOf(nil, puts, puts, puts), Limits{Nodes: 10}, "more than 10 forms"},
		{"module fun", etf.Fun{Module: "Elixir.Chat", Arity: 0}, Limits{}, "module Chat"},
		{"arity 1", func() etf.Fun { f := lessonReceive(); f.Arity = 1; return f }(), Limits{}, "arity 1"},
		{"two free variables", func() etf.Fun { f := lessonReceive(); f.Free = append(f.Free, int64(1)); return f }(), Limits{}, "2 free variables"},
		{"named fun", withEnv(etf.Tuple{int64(1), etf.Map{}, etf.Atom("none"), etf.Atom("none"), etf.Map{}, clauses, etf.Atom("Loop")}),
			Limits{}, "named fun"},
		{"unknown layout", withEnv(etf.Tuple{int64(1), etf.Map{}, clauses}), Limits{}, "3 elements"},
		{"fun clause with a parameter", withEnv(etf.Tuple{etf.Map{}, etf.Atom("none"), etf.Atom("none"),
			list(formF("clause", list(varF("x")), etf.Nil{}, list(puts)))}), Limits{}, "parameters"},
		{"binding not named by an atom", withEnv(etf.Tuple{etf.Map{{Key: int64(1), Value: int64(2)}}, etf.Atom("none"), etf.Atom("none"), clauses}),
			Limits{}, "binding named by 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.fun, tc.lim)
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("Parse = %v, %v; want an error wrapping ErrRefused", p, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse error %q does not name %q", err, tc.want)
			}
		})
	}
}

// TestParseLayouts reads the same fun in every erl_eval layout.
func TestParseLayouts(t *testing.T) {
	bs := etf.Map{{Key: etf.Atom("X"), Value: etf.Binary("hi")}}
	orddict := etf.List{etf.Tuple{etf.Atom("X"), etf.Binary("hi")}}
	clauses := list(formF("clause", etf.Nil{}, etf.Nil{}, list(callF("Elixir.IO", "puts", varF("X")))))
	none := etf.Atom("none")
	erlAnno := etf.Tuple{int64(4), int64(5)}
	tests := []struct {
		name string
		env  etf.Tuple
		line int
	}{
		{"OTP 25, iex", etf.Tuple{int64(3), bs, none, none, etf.Map{}, clauses}, 3},
		{"OTP 25, erl shell", etf.Tuple{erlAnno, orddict, etf.Tuple{etf.Atom("eval"), etf.Fun{Module: "shell"}}, none, etf.Map{}, clauses}, 4},
		{"OTP 25, anno list", etf.Tuple{etf.List{etf.Tuple{etf.Atom("location"), int64(7)}}, bs, none, none, etf.Map{}, clauses}, 7},
		{"fun used vars, no anno", etf.Tuple{bs, none, none, etf.Map{}, clauses}, 0},
		{"OTP 24 and earlier", etf.Tuple{orddict, none, none, clauses}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(withEnv(tc.env), Limits{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.Line() != tc.line {
				t.Errorf("Line() = %d, want %d", p.Line(), tc.line)
			}
			env := newEnv()
			if _, err := p.Run(testkit.Ctx(t, testkit.Wait), env); err != nil {
				t.Fatalf("Run: %v", err)
			}
			if out := env.output(); len(out) != 1 || out[0] != "hi\n" {
				t.Errorf("printed %q, want [\"hi\\n\"]", out)
			}
		})
	}
}
