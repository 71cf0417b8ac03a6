package dist_test

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"chatd/wire/dist"
	"chatd/wire/etf"
)

var (
	alexPid = etf.Pid{Node: "alex@localhost", ID: 160, Creation: creation}
	katePid = etf.Pid{Node: "kate@localhost", ID: 165, Creation: creation}
	gl      = etf.Pid{Node: "alex@localhost", ID: 73, Creation: creation}
	aRef, _ = etf.NewRef("alex@localhost", creation, 221124, 1616445441, 3440262320)
	sup     = etf.Atom("Elixir.Chat.TaskSupervisor")
	normal  = etf.Atom("normal")
)

// controls has one message of every Control type, with its payload when
// the operation carries one.
var controls = []struct {
	c   dist.Control
	msg etf.Term
}{
	{dist.Link{From: alexPid, To: katePid}, nil},
	{dist.Send{To: katePid}, etf.Tuple{etf.Atom("hi"), alexPid}},
	{dist.Exit{From: katePid, To: alexPid, Reason: etf.Atom("noproc")}, nil},
	{dist.Unlink{From: alexPid, To: katePid}, nil},
	{dist.RegSend{From: alexPid, To: sup}, etf.Tuple{etf.Atom("$gen_call"), etf.Tuple{alexPid, aRef}, etf.OK}},
	{dist.GroupLeader{From: gl, To: katePid}, nil},
	{dist.Exit2{From: alexPid, To: katePid, Reason: etf.Atom("kill")}, nil},
	{dist.MonitorP{From: alexPid, To: dist.ProcName(sup), Ref: aRef}, nil},
	{dist.MonitorP{From: alexPid, To: dist.ProcPid(katePid), Ref: aRef}, nil},
	{dist.DemonitorP{From: alexPid, To: dist.ProcName(sup), Ref: aRef}, nil},
	{dist.MonitorPExit{From: dist.ProcName(sup), To: alexPid, Ref: aRef, Reason: etf.Atom("noproc")}, nil},
	{dist.SendSender{From: alexPid, To: katePid}, etf.Binary("hi")},
	{dist.PayloadExit{From: katePid, To: alexPid}, normal},
	{dist.PayloadExit2{From: katePid, To: alexPid}, etf.Atom("kill")},
	{dist.PayloadMonitorPExit{From: dist.ProcPid(katePid), To: alexPid, Ref: aRef}, normal},
	{dist.SpawnRequest{ReqID: aRef, From: alexPid, GroupLeader: gl, Module: "Elixir.IO", Function: "puts", Arity: 1,
		Opts: []etf.Term{etf.Atom("link")}}, etf.List{etf.Binary("hi from chatd")}},
	{dist.SpawnRequest{ReqID: aRef, From: alexPid, GroupLeader: gl, Module: "erpc", Function: "execute_call", Arity: 4},
		etf.List{aRef, etf.Atom("Elixir.Chat"), etf.Atom("receive_message"), etf.List{etf.Binary("hi")}}},
	{dist.SpawnReply{ReqID: aRef, To: alexPid, Flags: dist.SpawnLinked | dist.SpawnMonitored, Pid: katePid}, nil},
	{dist.SpawnReply{ReqID: aRef, To: alexPid, Err: etf.Atom("notsup")}, nil},
	{dist.AliasSend{From: katePid, Alias: aRef}, etf.Tuple{aRef, etf.OK}},
	{dist.UnlinkID{ID: 7, From: alexPid, To: katePid}, nil},
	{dist.UnlinkIDAck{ID: math.MaxUint64, From: katePid, To: alexPid}, nil},
}

// TestControlRoundTrip encodes every Control type into a frame, reads it
// back through ReadFrame and ParseFrame, and gets the same message.
func TestControlRoundTrip(t *testing.T) {
	for _, tc := range controls {
		t.Run(tc.c.Op().String(), func(t *testing.T) {
			b, err := dist.AppendFrame(nil, tc.c, tc.msg)
			if err != nil {
				t.Fatal(err)
			}
			body, err := dist.ReadFrame(bytes.NewReader(b), 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			f, err := dist.ParseFrame(body, etf.Decoder{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(normalize(f.Control), normalize(tc.c)) {
				t.Fatalf("parsed %#v\nwant   %#v", f.Control, tc.c)
			}
			if tc.msg == nil {
				if f.Payload != nil {
					t.Fatalf("payload % x for %s", f.Payload, tc.c.Op())
				}
				return
			}
			msg, err := f.Message(etf.Decoder{})
			if err != nil || !etf.Equal(msg, tc.msg) {
				t.Fatalf("message %s, %v; want %s", etf.Inspect(msg), err, etf.Inspect(tc.msg))
			}
		})
	}
}

// normalize makes a nil and an empty option list compare equal.
func normalize(c dist.Control) dist.Control {
	if s, ok := c.(dist.SpawnRequest); ok && len(s.Opts) == 0 {
		s.Opts = nil
		return s
	}
	return c
}

func TestFrameReason(t *testing.T) {
	for _, tc := range controls {
		b, _ := dist.AppendFrame(nil, tc.c, tc.msg)
		f, err := dist.ParseFrame(b[4:], etf.Decoder{})
		if err != nil {
			t.Fatal(err)
		}
		reason, err := f.Reason(etf.Decoder{})
		switch tc.c.(type) {
		case dist.Exit, dist.Exit2, dist.MonitorPExit, dist.PayloadExit, dist.PayloadExit2, dist.PayloadMonitorPExit:
			if err != nil || reason == nil {
				t.Errorf("%s: Reason = %v, %v", tc.c.Op(), reason, err)
			}
		default:
			if err == nil {
				t.Errorf("%s: Reason = %v for a message without one", tc.c.Op(), reason)
			}
		}
	}
}

// body builds a frame body from a control term and optional message terms,
// which may be anything (ill-formed control tuples included).
func body(t *testing.T, ctl etf.Term, msgs ...etf.Term) []byte {
	t.Helper()
	b, err := etf.Encode(ctl)
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte{dist.PassThrough}, b...)
	for _, m := range msgs {
		if out, err = etf.Append(out, m); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestParseFrameErrors: every malformed frame is an ErrBadFrame naming the
// fault, so the caller drops the frame and keeps the connection.
func TestParseFrameErrors(t *testing.T) {
	i := func(n int64) etf.Term { return n }
	tests := []struct {
		name string
		body []byte
		want error // besides ErrBadFrame
		text string
	}{
		{"empty body", nil, nil, "tick"},
		{"atom-cache header", []byte{131, 68, 0}, dist.ErrNotPassThrough, "131 68"},
		{"some other header", []byte{1, 2}, dist.ErrNotPassThrough, "starts with 1"},
		{"control term cut short", []byte{112, 131, 104, 3, 97}, etf.ErrTruncated, "control term"},
		{"control is not a tuple", body(t, etf.OK), nil, "not a tuple"},
		{"empty tuple", body(t, etf.Tuple{}), nil, "not a tuple"},
		{"operation not an integer", body(t, etf.Tuple{etf.OK}), nil, "not an integer"},
		{"unknown operation", body(t, etf.Tuple{i(99), alexPid}), dist.ErrUnknownOp, "op 99"},
		{"trace-token SEND_TT", body(t, etf.Tuple{i(12), etf.Empty, katePid, etf.OK}, etf.OK), dist.ErrUnknownOp, "SEND_TT (12)"},
		{"LINK of 2 elements", body(t, etf.Tuple{i(1), alexPid}), nil, "LINK (1) control tuple of 2 elements, want 3"},
		{"LINK to an atom", body(t, etf.Tuple{i(1), alexPid, etf.OK}), nil, "LINK (1) element 2 is :ok, want a pid"},
		{"SEND without its message", body(t, etf.Tuple{i(2), etf.Empty, katePid}), nil, "without the term"},
		{"LINK with trailing bytes", append(body(t, etf.Tuple{i(1), alexPid, katePid}), 1), nil, "1 bytes after LINK (1)"},
		{"message without its version byte", append(body(t, etf.Tuple{i(2), etf.Empty, katePid}), 0x6a), nil, "starts with 131"},
		{"message of only a version byte", append(body(t, etf.Tuple{i(2), etf.Empty, katePid}), 131), nil, "starts with 131"},
		{"REG_SEND to a pid", body(t, etf.Tuple{i(6), alexPid, etf.Empty, katePid}, etf.OK), nil, "want an atom"},
		{"MONITOR_P of a tuple", body(t, etf.Tuple{i(19), alexPid, etf.Tuple{sup, etf.OK}, aRef}), nil, "pid or a registered name"},
		{"MONITOR_P of ''", body(t, etf.Tuple{i(19), alexPid, etf.Empty, aRef}), nil, "pid or a registered name"},
		{"MONITOR_P without a ref", body(t, etf.Tuple{i(19), alexPid, sup, etf.OK}), nil, "want a reference"},
		{"SPAWN_REQUEST with a bad MFA", body(t, etf.Tuple{i(29), aRef, alexPid, gl, etf.Tuple{etf.OK, i(1)}, etf.Nil{}}, etf.Nil{}), nil, "{Module, Function, Arity}"},
		{"SPAWN_REQUEST with arity 256", body(t, etf.Tuple{i(29), aRef, alexPid, gl, etf.Tuple{etf.OK, etf.OK, i(256)}, etf.Nil{}}, etf.Nil{}), nil, "Arity"},
		{"SPAWN_REQUEST with improper options", body(t, etf.Tuple{i(29), aRef, alexPid, gl, etf.Tuple{etf.OK, etf.OK, i(0)},
			etf.ImproperList{Elems: []etf.Term{etf.OK}, Tail: etf.OK}}, etf.Nil{}), nil, "proper list"},
		{"SPAWN_REPLY with negative flags", body(t, etf.Tuple{i(31), aRef, alexPid, i(-1), katePid}), nil, "reply flags"},
		{"SPAWN_REPLY with '' as result", body(t, etf.Tuple{i(31), aRef, alexPid, i(0), etf.Empty}), nil, "error atom"},
		{"UNLINK_ID with a negative id", body(t, etf.Tuple{i(35), i(-1), alexPid, katePid}), nil, "unsigned 64-bit ID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dist.ParseFrame(tc.body, etf.Decoder{})
			if !errors.Is(err, dist.ErrBadFrame) || tc.want != nil && !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("ParseFrame = %v, want ErrBadFrame and %v saying %q", err, tc.want, tc.text)
			}
		})
	}
	var unknown *dist.UnknownOpError
	if _, err := dist.ParseFrame(body(t, etf.Tuple{i(99)}), etf.Decoder{}); !errors.As(err, &unknown) || unknown.Op != 99 {
		t.Errorf("unknown op error %v does not carry the op", err)
	}
}

// TestBadMessageDropsOnlyTheFrame: a message that does not decode fails in
// Message, after the control message was read.
func TestBadMessageDropsOnlyTheFrame(t *testing.T) {
	b := append(body(t, etf.Tuple{int64(2), etf.Empty, katePid}), 131, 82, 0) // an atom cache reference
	f, err := dist.ParseFrame(b, etf.Decoder{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Control.(dist.Send); !ok {
		t.Fatalf("control %#v", f.Control)
	}
	_, err = f.Message(etf.Decoder{})
	if !errors.Is(err, dist.ErrBadFrame) || !errors.Is(err, etf.ErrUnsupported) {
		t.Fatalf("Message = %v, want ErrBadFrame wrapping etf.ErrUnsupported", err)
	}
	link := dist.Frame{Control: dist.Link{From: alexPid, To: katePid}}
	if _, err := link.Message(etf.Decoder{}); !errors.Is(err, dist.ErrBadFrame) {
		t.Errorf("Message of a LINK = %v", err)
	}
}

func TestAppendFrameErrors(t *testing.T) {
	prefix := []byte{9}
	tests := []struct {
		name string
		c    dist.Control
		msg  etf.Term
		raw  []byte
		text string
	}{
		{"a message for LINK", dist.Link{From: alexPid, To: katePid}, etf.OK, nil, "carries no message"},
		{"SEND without a message", dist.Send{To: katePid}, nil, nil, "needs a message"},
		{"an unencodable message", dist.Send{To: katePid}, "a Go string", nil, "encode the message"},
		{"an unencodable reason", dist.Exit{From: alexPid, To: katePid}, nil, nil, "control tuple"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := dist.AppendFrame(prefix, tc.c, tc.msg)
			if err == nil || !strings.Contains(err.Error(), tc.text) || !bytes.Equal(out, prefix) {
				t.Fatalf("AppendFrame = % x, %v; want the prefix back and an error saying %q", out, err, tc.text)
			}
		})
	}
	if _, err := dist.AppendFrameRaw(nil, dist.Send{To: katePid}, []byte{0x6a}); err == nil {
		t.Error("AppendFrameRaw took a payload without its version byte")
	}
	if _, err := dist.AppendFrameRaw(nil, dist.Link{From: alexPid, To: katePid}, []byte{131, 0x6a}); err == nil {
		t.Error("AppendFrameRaw took a payload for LINK")
	}
}

func TestOpNames(t *testing.T) {
	if got := dist.OpPayloadExit2.String(); got != "PAYLOAD_EXIT2 (26)" {
		t.Errorf("OpPayloadExit2 = %s", got)
	}
	if got := dist.Op(77).String(); got != "op 77" {
		t.Errorf("Op(77) = %s", got)
	}
	if got := dist.ProcName(sup).String(); got != "Chat.TaskSupervisor" {
		t.Errorf("Proc String = %s", got)
	}
}
