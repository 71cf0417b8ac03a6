package etf_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"chatd/internal/testkit"
	"chatd/wire/etf"
)

// The captures in testdata/captures are the ones of BEAM.md (real OTP 25.2.3
// and Elixir 1.14.0 nodes talking 112 pass-through through a proxy): each
// "hex=" line is one distribution frame, [Len:4] 112 then one or two terms
// that start with 131.

// capturedFrames returns the frame bodies (without the length) of a capture.
func capturedFrames(t *testing.T, name string) [][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "captures", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var frames [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		_, h, ok := strings.Cut(sc.Text(), "hex=")
		if !ok {
			continue
		}
		b, err := hex.DecodeString(strings.TrimSpace(h))
		if err != nil || len(b) < 4 {
			t.Fatalf("%s: bad hex line %q: %v", name, sc.Text(), err)
		}
		frames = append(frames, b[4:])
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return frames
}

// frameTerms decodes the terms of a 112 frame body, checking that each one
// re-encodes to exactly the bytes it was decoded from.
func frameTerms(t *testing.T, body []byte) []etf.Term {
	t.Helper()
	if len(body) == 0 || body[0] != 112 {
		t.Fatalf("frame % x is not a 112 pass-through frame", body)
	}
	var terms []etf.Term
	for rest := body[1:]; len(rest) > 0; {
		term, next, err := etf.Decoder{}.DecodeNext(rest)
		if err != nil {
			t.Fatalf("decode % x: %v", rest, err)
		}
		raw := rest[:len(rest)-len(next)]
		enc, err := etf.Encode(term)
		if err != nil {
			t.Fatalf("re-encode %s: %v", etf.Inspect(term), err)
		}
		if !bytes.Equal(enc, raw) {
			t.Fatalf("%s re-encodes to\n% x\ndecoded from\n% x", etf.Inspect(term), enc, raw)
		}
		terms, rest = append(terms, term), next
	}
	return terms
}

// TestCapturedTermsRoundTrip decodes every term of every captured 112 frame
// and re-encodes it to the same bytes.
func TestCapturedTermsRoundTrip(t *testing.T) {
	for _, name := range []string{"cap1.log", "cap1m.log"} {
		t.Run(name, func(t *testing.T) {
			frames := capturedFrames(t, name)
			n := 0
			for _, body := range frames {
				if len(body) > 0 { // not a tick
					n += len(frameTerms(t, body))
				}
			}
			if len(frames) < 40 || n < len(frames) {
				t.Fatalf("%d frames, %d terms: the capture is not what BEAM.md describes", len(frames), n)
			}
		})
	}
}

const creation = 0x6b103003 // every node of the captures got this creation

func pid(node string, id uint32) etf.Pid {
	return etf.Pid{Node: etf.Atom(node), ID: id, Creation: creation}
}

func ref(t *testing.T, node string, words ...uint32) etf.Ref {
	t.Helper()
	r, err := etf.NewRef(etf.Atom(node), creation, words...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestCapturedStructures checks the structure of chosen captured terms
// (frames of cap1.log, numbered from 1 as BEAM.md §4.2 walks them).
func TestCapturedStructures(t *testing.T) {
	frames := capturedFrames(t, "cap1.log")
	alex, kate := "alex@localhost", "kate@localhost"
	c, s, task := pid(alex, 160), pid(kate, 159), pid(kate, 165)
	r1 := ref(t, alex, 221124, 1616445441, 3440262320)
	r3 := ref(t, alex, 221130, 1616445441, 3440262320)
	minBig := int64(-576460752303423488)
	tests := []struct {
		name  string
		frame int
		want  []etf.Term
	}{
		{"rex features_request", 1, []etf.Term{
			etf.Tuple{int64(6), pid(kate, 54), etf.Empty, etf.Atom("rex")},
			etf.Tuple{pid(kate, 54), etf.Atom("features_request")}}},
		{"global init_connect: a tuple map key, an 8-byte big", 2, []etf.Term{
			etf.Tuple{int64(6), pid(kate, 55), etf.Empty, etf.Atom("global_name_server")},
			etf.Tuple{etf.Atom("$gen_cast"), etf.Tuple{etf.Atom("init_connect"), etf.Tuple{int64(8), minBig},
				etf.Atom(kate), etf.Tuple{etf.Atom("locker"), etf.Atom("no_longer_a_pid"),
					etf.Map{{Key: etf.Tuple{etf.Atom("connection_id"), etf.Atom(alex)}, Value: int64(2491363)}},
					pid(kate, 56)}}}}},
		{"gen_call start_task with [alias | R1]", 4, []etf.Term{
			etf.Tuple{int64(6), c, etf.Empty, etf.Atom("Elixir.Chat.TaskSupervisor")},
			etf.Tuple{etf.Atom("$gen_call"), etf.Tuple{c, etf.ImproperList{Elems: []etf.Term{etf.Atom("alias")}, Tail: r1}},
				etf.Tuple{etf.Atom("start_task"), etf.List{etf.Tuple{etf.Atom(alex), c, c}, etf.Atom("monitor")},
					etf.Atom("temporary"), etf.NilAtom}}}},
		{"features_reply", 7, []etf.Term{
			etf.Tuple{int64(22), pid(alex, 53), pid(kate, 54)},
			etf.Tuple{etf.Atom("features_reply"), etf.Atom(alex), etf.List{etf.Atom("erpc")}}}},
		{"alias send of {ok, T}", 10, []etf.Term{
			etf.Tuple{int64(33), s, r1},
			etf.Tuple{etf.ImproperList{Elems: []etf.Term{etf.Atom("alias")}, Tail: r1}, etf.Tuple{etf.OK, task}}}},
		{"link", 14, []etf.Term{etf.Tuple{int64(1), c, task}}},
		{"the task's MFA with a binary", 16, []etf.Term{
			etf.Tuple{int64(22), c, task},
			etf.Tuple{c, r3, r3, etf.List{c}, etf.Tuple{etf.Atom("Elixir.Chat"), etf.Atom("receive_message"),
				etf.List{etf.Binary("hi")}}}}},
		{"payload exit normal", 19, []etf.Term{etf.Tuple{int64(24), task, c}, etf.Atom("normal")}},
		{"io_request put_chars", 61, []etf.Term{
			etf.Tuple{int64(22), pid(kate, 170), pid(alex, 73)},
			etf.Tuple{etf.Atom("io_request"), pid(kate, 170), ref(t, kate, 160135, 1616379906, 2208017284),
				etf.Tuple{etf.Atom("put_chars"), etf.Atom("unicode"), etf.Binary("hi\n")}}}},
		{"'sup?'", 68, []etf.Term{etf.Tuple{int64(22), pid(kate, 171), c}, etf.Atom("sup?")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := frameTerms(t, frames[tc.frame-1])
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("frame %d decodes to\n%s\nwant\n%s", tc.frame, inspectAll(got), inspectAll(tc.want))
			}
		})
	}
}

func inspectAll(terms []etf.Term) string {
	var out []string
	for _, t := range terms {
		out = append(out, etf.Inspect(t))
	}
	return strings.Join(out, "\n")
}

// TestCapturedShellFun checks the erl_eval closure of the lesson's
// Node.spawn_link(node, fn -> IO.puts "hi" end) (BEAM.md §5.1): an opaque
// fun whose fields and free variables can be read and which re-encodes from
// its raw bytes.
func TestCapturedShellFun(t *testing.T) {
	terms := frameTerms(t, capturedFrames(t, "cap1.log")[57])
	args, ok := etf.Elems(terms[1])
	if !ok || len(args) != 2 || !etf.Equal(args[1], etf.Nil{}) {
		t.Fatalf("the spawn's ArgList is %s, want [Fun, []]", etf.Inspect(terms[1]))
	}
	fun, ok := args[0].(etf.Fun)
	if !ok {
		t.Fatalf("ArgList[0] is %T, want etf.Fun", args[0])
	}
	uniq, _ := hex.DecodeString("065361aa461590d1bdf1eb62d1a6eb08")
	if fun.Module != "erl_eval" || fun.Arity != 0 || fun.Index != 43 || !bytes.Equal(fun.Uniq[:], uniq) ||
		fun.Pid != pid("alex@localhost", 160) || len(fun.Free) != 1 {
		t.Fatalf("fun fields: %+v", fun)
	}
	if got, want := etf.Inspect(fun), "#Function<43.3316493/0 in :erl_eval>"; got != want {
		t.Errorf("Inspect = %s, want %s (iex: #Function<43.3316493/0 in :erl_eval.expr/6>)", got, want)
	}
	// {Anno, Bindings, LocalH, ExtH, FUVs, Clauses}: the clause calls
	// 'Elixir.IO':puts(<<"hi">>), whose literal is the charlist "hi".
	info, ok := fun.Free[0].(etf.Tuple)
	if !ok || len(info) != 6 || !etf.IsAtom(info[2], "none") {
		t.Fatalf("free variable %s", etf.Inspect(fun.Free[0]))
	}
	if s := etf.Inspect(info[5]); !strings.Contains(s, "{:string, 3, 'hi'}") || !strings.Contains(s, "{:atom, 3, IO}") {
		t.Fatalf("clauses %s lack the IO.puts call", s)
	}
	fun.Raw = nil // encode from the fields: the same bytes as the BEAM's
	enc, err := etf.AppendBare(nil, fun)
	if err != nil {
		t.Fatal(err)
	}
	raw := args[0].(etf.Fun).Raw
	if !bytes.Equal(enc, raw) {
		t.Fatalf("fun encoded from its fields\n% x\nwant\n% x", enc, raw)
	}
}

// TestErlangTermToBinary decodes bytes that erlang:term_to_binary/2 (OTP
// 25.2.3, minor_version 2) produced, and re-encodes them.
func TestErlangTermToBinary(t *testing.T) {
	tests := []struct {
		name string
		in   string // hex
		want etf.Term
	}{
		{"[104,105] is a STRING_EXT", "836b00026869", etf.Charlist("hi")},
		{"[a|b]", "836c000000017701617701 62", etf.ImproperList{Elems: []etf.Term{etf.Atom("a")}, Tail: etf.Atom("b")}},
		{"global's big", "836e080100000000000000 08", int64(-576460752303423488)},
		{"mixed tuple", "836808 4d000000020401 20 71640005 6c69737473 640003 6d6170 6102 463ff8000000000000 62ffffffff 6200000100 6280000000 6e040000000080 61ff",
			etf.Tuple{etf.BitBinary{Bytes: []byte{1, 0x20}, Bits: 4}, etf.Export{Module: "lists", Function: "map", Arity: 2},
				1.5, int64(-1), int64(256), int64(-2147483648), int64(2147483648), int64(255)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := etf.Decode(testkit.Unhex(tc.in))
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Decode = %s, %v; want %s", etf.Inspect(got), err, etf.Inspect(tc.want))
			}
			if _, err := etf.Encode(got); err != nil {
				t.Fatal(err)
			}
		})
	}
}
