package shellfun

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chatd/internal/testkit"
	"chatd/wire/etf"
)

// beamScript prints, for each Elixir source in its arguments, the hex of
// :erlang.term_to_binary of the fun the source evaluates to.
// Code.eval_string goes through erl_eval as iex does (an `elixir -e` fn
// would be compiled into a module and carry no code).
const beamScript = `
for src <- System.argv() do
  {f, _} = Code.eval_string(src)
  IO.puts(Base.encode16(:erlang.term_to_binary(f)))
end
`

// beamCase is a fun typed as Elixir source: its run (whose fun the real
// elixir provides), the fun the Go tests build for it, or what Parse must
// refuse.
type beamCase struct {
	src    string
	built  etf.Fun // compared with elixir's when it has a Module
	run    runCase
	refuse string // in Parse's error, when Parse must refuse
}

func beamCases() []beamCase {
	sup := atomF("sup?")
	return []beamCase{
		{src: `fn -> IO.puts "hi" end`, built: funOf(nil, callF("Elixir.IO", "puts", binF("hi"))),
			run: runCase{want: etf.OK, out: []string{"hi\n"}}},
		{src: `fn -> receive do {:hi, p} -> send p, :sup? end end`, built: lessonReceive(),
			run: runCase{mailbox: []etf.Term{hiTuple}, want: etf.Atom("sup?"), sends: []sent{{shellPid, etf.Atom("sup?")}}}},
		{src: `x = 1; fn -> IO.puts(x) end`,
			built: funOf(etf.Map{{Key: etf.Atom("_x@1"), Value: int64(1)}}, callF("Elixir.IO", "puts", varF("_x@1"))),
			run:   runCase{want: etf.OK, out: []string{"1\n"}}},
		{src: `x = {:ok, 5}; fn -> send(self(), x); receive do m -> m end end`,
			built: funOf(etf.Map{{Key: etf.Atom("_x@1"), Value: etf.Tuple{etf.OK, int64(5)}}},
				callF("erlang", "send", callF("erlang", "self"), varF("_x@1")),
				receiveF(clauseF(varF("_m@1"), varF("_m@1")))),
			run: runCase{want: etf.Tuple{etf.OK, int64(5)}, sends: []sent{{selfPid, etf.Tuple{etf.OK, int64(5)}}}}},
		{src: `fn -> receive do {:hi, p} -> send(p, :sup?) after 0 -> :timeout end end`,
			built: funOf(nil, receiveAfterF(intF(0), []etf.Term{atomF("timeout")},
				clauseF(tupleF(atomF("hi"), varF("_p@1")), callF("erlang", "send", varF("_p@1"), sup)))),
			run: runCase{mailbox: []etf.Term{etf.Atom("noise")}, want: etf.Atom("timeout")}},
		{src: `fn -> <<1, 2, "x">> end`, built: funOf(nil, formF("bin", list(
			formF("bin_element", intF(1), etf.Atom("default"), list(etf.Atom("integer"))),
			formF("bin_element", intF(2), etf.Atom("default"), list(etf.Atom("integer"))),
			formF("bin_element", strF("x"), etf.Atom("default"), etf.Atom("default"))))),
			run: runCase{want: etf.Binary{1, 2, 'x'}}},
		{src: `fn -> {self(), node(), Node.self(), -1, [1, 2 | [3]]} end`,
			built: funOf(nil, tupleF(callF("erlang", "self"), callF("erlang", "node"), callF("Elixir.Node", "self"),
				formF("op", etf.Atom("-"), intF(1)),
				formF("cons", intF(1), formF("cons", intF(2), formF("cons", intF(3), formF("nil")))))),
			run: runCase{want: etf.Tuple{selfPid, selfPid.Node, selfPid.Node, int64(-1), etf.List{int64(1), int64(2), int64(3)}}}},
		{src: `fn -> IO.puts(["a", [?b | "c"]]); IO.puts(:sup?) end`,
			run: runCase{want: etf.OK, out: []string{"abc\n", "sup?\n"}}},
		{src: `fn -> y = {:a, 1.5, 'ch'}; y end`, run: runCase{want: etf.Tuple{etf.Atom("a"), 1.5, etf.Charlist("ch")}}},
		{src: `fn -> {:a, x} = {:b, 1}; x end`, run: runCase{exit: etf.Tuple{etf.Atom("badmatch"), etf.Tuple{etf.Atom("b"), int64(1)}}}},
		{src: `fn -> receive do "hi" -> :got end end`,
			run: runCase{mailbox: []etf.Term{etf.Binary("ho"), etf.Binary("hi")}, want: etf.Atom("got")}},
		{src: `fn -> receive do <<x, _::binary>> -> x end end`, refuse: "binary pattern that binds"},
		{src: `fn -> File.rm("x") end`, refuse: "call of File.rm/1"},
		{src: `fn -> :os.cmd('ls') end`, refuse: "call of :os.cmd/1"},
		{src: `fn -> IO.puts("a #{1}") end`, refuse: "a case expression"},
		{src: `fn -> receive do {:a, x} when is_integer(x) -> x end end`, refuse: "guard"},
		{src: `fn -> Enum.each([1], fn x -> IO.puts(x) end) end`, refuse: "call of Enum.each/2"},
		{src: `fn -> 1 + 2 end`, refuse: "operator :+"},
	}
}

// TestRealElixirFuns has a real elixir build each case's fun through
// erl_eval, as iex does, and checks that it has the structure the Go
// tests build by hand (index and uniq aside), and that it runs or is
// refused as the case says.
func TestRealElixirFuns(t *testing.T) {
	cases := beamCases()
	funs := elixirFuns(t, cases)
	for i, tc := range cases {
		t.Run(tc.src, func(t *testing.T) {
			f := funs[i]
			if f.Module != "erl_eval" || f.Arity != 0 || len(f.Free) != 1 {
				t.Fatalf("elixir's fun is %s/%d with %d free variables, not an erl_eval closure", f.Module, f.Arity, len(f.Free))
			}
			if tc.built.Module != "" && !etf.Equal(reanno(f.Free[0]), reanno(tc.built.Free[0])) {
				t.Errorf("elixir's environment\n%s\nthe tests build\n%s", etf.Inspect(f.Free[0]), etf.Inspect(tc.built.Free[0]))
			}
			p, err := Parse(f, Limits{})
			if tc.refuse != "" {
				if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), tc.refuse) {
					t.Fatalf("Parse error %v, want a refusal naming %q", err, tc.refuse)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			env := newEnv(tc.run.mailbox...)
			got, err := p.Run(testkit.Ctx(t, testkit.Wait), env)
			checkRun(t, tc.run, env, got, err)
		})
	}
}

// elixirFuns runs beamScript on the cases' sources in one elixir.
func elixirFuns(t *testing.T, cases []beamCase) []etf.Fun {
	t.Helper()
	elixir, err := exec.LookPath("elixir")
	if err != nil {
		t.Skip("elixir is not on PATH (Debian package elixir): the real-BEAM check of shell funs needs it")
	}
	script := filepath.Join(t.TempDir(), "funs.exs")
	if err := os.WriteFile(script, []byte(beamScript), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{script}
	for _, tc := range cases {
		args = append(args, tc.src)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, elixir, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("elixir %s: %v\n%s", script, err, stderr.String())
	}
	var funs []etf.Fun
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		b, err := hex.DecodeString(strings.TrimSpace(sc.Text()))
		if err != nil {
			t.Fatalf("elixir printed %q: %v", sc.Text(), err)
		}
		term, err := etf.Decode(b)
		if err != nil {
			t.Fatalf("decode elixir's fun: %v", err)
		}
		f, ok := term.(etf.Fun)
		if !ok {
			t.Fatalf("elixir's term %s is not a fun", etf.Inspect(term))
		}
		funs = append(funs, f)
	}
	if len(funs) != len(cases) {
		t.Fatalf("elixir printed %d funs for %d sources\n%s", len(funs), len(cases), stderr.String())
	}
	return funs
}

// reanno returns an OTP 25 environment with every annotation of its
// abstract code set to 1: Elixir writes 0, a line or a keyword list
// (generated: true) where the Go builders write 1, and Parse reads lines
// only for messages.
func reanno(env etf.Term) etf.Term {
	tu, ok := env.(etf.Tuple)
	if !ok || len(tu) != 6 {
		return env
	}
	out := append(etf.Tuple{int64(1)}, tu[1:5]...)
	return append(out, annoOne(tu[5]))
}

func annoOne(t etf.Term) etf.Term {
	switch v := t.(type) {
	case etf.Tuple:
		out := make(etf.Tuple, len(v))
		for i, e := range v {
			out[i] = annoOne(e)
		}
		if len(out) >= 2 && isAtom(out[0]) {
			out[1] = int64(1)
		}
		return out
	case etf.List:
		out := make(etf.List, len(v))
		for i, e := range v {
			out[i] = annoOne(e)
		}
		return out
	}
	return t
}
