package shellfun

import (
	"bufio"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"chatd/internal/testkit"
	"chatd/wire/etf"
)

// capturedFuns returns the funs of the SPAWN_REQUEST frames in
// testdata/cap1_spawn.log, checking that each frame is what BEAM.md §5.1
// says: a 112 pass-through frame with the control message
// {29, ReqId, Caller, GroupLeader, {erlang, apply, 2}, Opts} and the
// ArgList [Fun, []].
func capturedFuns(t *testing.T) []etf.Fun {
	t.Helper()
	f, err := os.Open("testdata/cap1_spawn.log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var funs []etf.Fun
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if _, h, ok := strings.Cut(sc.Text(), "hex="); ok {
			funs = append(funs, spawnedFun(t, strings.TrimSpace(h)))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(funs) != 2 {
		t.Fatalf("%d SPAWN_REQUEST frames in the capture, want 2", len(funs))
	}
	return funs
}

// spawnedFun decodes one captured frame, [Len:4] 112 Control ArgList, and
// returns the fun of its ArgList.
func spawnedFun(t *testing.T, h string) etf.Fun {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil || len(b) < 5 || b[4] != 112 {
		t.Fatalf("frame %.40s...: not a 112 pass-through frame (%v)", h, err)
	}
	ctl, rest, err := etf.Decoder{}.DecodeNext(b[5:])
	if err != nil {
		t.Fatalf("decode the control message: %v", err)
	}
	req, ok := ctl.(etf.Tuple)
	mfa := etf.Tuple{etf.Atom("erlang"), etf.Atom("apply"), int64(2)}
	if !ok || len(req) != 6 || !etf.Equal(req[0], int64(29)) || !etf.Equal(req[4], mfa) {
		t.Fatalf("control message %s is not a SPAWN_REQUEST of erlang:apply/2", etf.Inspect(ctl))
	}
	args, err := etf.Decode(rest)
	if err != nil {
		t.Fatalf("decode the ArgList: %v", err)
	}
	elems, ok := etf.Elems(args)
	if !ok || len(elems) != 2 {
		t.Fatalf("ArgList %s is not [Fun, []]", etf.Inspect(args))
	}
	fun, ok := elems[0].(etf.Fun)
	if _, isNil := elems[1].(etf.Nil); !ok || !isNil {
		t.Fatalf("ArgList %s is not [Fun, []]", etf.Inspect(args))
	}
	return fun
}

// TestCapturedFuns runs the two funs the lesson sends from iex.
func TestCapturedFuns(t *testing.T) {
	funs := capturedFuns(t)
	tests := []struct {
		runCase
		line int // the iex prompt the fun was typed at
	}{
		{runCase{name: "fn -> IO.puts \"hi\" end", fun: funs[0], want: etf.OK, out: []string{"hi\n"}}, 3},
		{runCase{name: "fn -> receive do {:hi, p} -> send p, :sup? end end", fun: funs[1],
			mailbox: []etf.Term{etf.Atom("noise"), hiTuple}, want: etf.Atom("sup?"), sends: []sent{{shellPid, etf.Atom("sup?")}}}, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.fun, Limits{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.Line() != tc.line {
				t.Errorf("Line() = %d, want %d", p.Line(), tc.line)
			}
			env := newEnv(tc.mailbox...)
			got, err := p.Run(testkit.Ctx(t, testkit.Wait), env)
			checkRun(t, tc.runCase, env, got, err)
		})
	}
}
