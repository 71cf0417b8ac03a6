package beam

import (
	"chatd/internal/fifo"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"chatd/daemon/peer"
	"chatd/internal/testkit"
	"chatd/wire"
	"chatd/wire/dist"
	"chatd/wire/etf"
)

var (
	aliasAtom = etf.Atom("alias")
	taskSup   = etf.Atom("Elixir.Chat.TaskSupervisor")
)

func TestAcceptHandshake(t *testing.T) {
	n := startNode(t)
	mustConnect(t, n)
	testkit.WaitFor(t, testkit.Wait, "kate's connection to be listed", func() bool { return len(n.m.Links()) == 1 })
	l := n.m.Links()[0]
	if l.Node != "kate@localhost" || l.Protocol != "erlang" || l.Direction != "in" {
		t.Fatalf("links = %+v", l)
	}
	c := n.m.live(kate)
	if c.creation != 0x6b103004 || !c.flags.Has(dist.FlagSpawn|dist.FlagAlias) || c.flags.Has(dist.FlagDistHdrAtomCache) {
		t.Fatalf("negotiated creation %#x flags %s", c.creation, c.flags)
	}
}

// TestAcceptWrongCookie: as Erlang, alex closes the connection after the
// wrong digest, without a word, and keeps no state for kate.
func TestAcceptWrongCookie(t *testing.T) {
	n := startNode(t)
	_, err := connect(t, n, "not the cookie")
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("handshake with a wrong cookie = %v, want the connection closed", err)
	}
	if links := n.m.Links(); len(links) != 0 {
		t.Fatalf("links after a wrong cookie: %+v", links)
	}
	mustConnect(t, n) // the right cookie still gets in
}

// TestRefuseMissingFlags: a peer without the mandatory flags is refused
// with not_allowed, as OTP refuses it.
func TestRefuseMissingFlags(t *testing.T) {
	n := startNode(t)
	f := &fake{t: t, self: "old@localhost"}
	nc := dialRaw(t, n)
	if err := dist.WriteHandshake(nc, dist.SendName{Flags: dist.Mandatory25 &^ dist.FlagMapTag, Name: string(f.self)}); err != nil {
		t.Fatal(err)
	}
	if st, err := dist.ReadStatus(nc); err != nil || st != dist.StatusNotAllowed {
		t.Fatalf("status = %q, %v; want not_allowed", st, err)
	}
}

// TestRefuseWhenTLS: with link TLS on, every Erlang node is refused.
func TestRefuseWhenTLS(t *testing.T) {
	n := startNode(t, func(c *Config) { c.Refuse = "[link.tls] is set" })
	nc := dialRaw(t, n)
	if err := dist.WriteHandshake(nc, dist.SendName{Flags: dist.PublishedFlags, Name: "kate@localhost"}); err != nil {
		t.Fatal(err)
	}
	if st, err := dist.ReadStatus(nc); err != nil || st != dist.StatusNotAllowed {
		t.Fatalf("status = %q, %v; want not_allowed", st, err)
	}
	_, err := n.m.Dial(testkit.Ctx(t, testkit.Wait), kate, "127.0.0.1:1")
	if !errors.Is(err, peer.ErrProtocol) || wire.CodeOf(err) != wire.CodeNoConnection {
		t.Fatalf("dial with TLS on = %v", err)
	}
}

// TestServeTask is kate's Chat.send_message(:alex@localhost, "hi") as
// captured (BEAM.md §4.2 and §4.4): alex plays Chat.TaskSupervisor and the
// task, runs receive_message, answers to the alias, and the task exits
// normal toward its link and its monitor.
func TestServeTask(t *testing.T) {
	n := startNode(t)
	f := mustConnect(t, n)
	C, R1, R3 := f.pid(160), f.ref(1), f.ref(3)
	f.send(dist.MonitorP{From: C, To: dist.ProcName(taskSup), Ref: R1}, nil)
	tag := etf.ImproperList{Elems: []etf.Term{aliasAtom}, Tail: R1}
	owner := etf.Tuple{etf.Atom("kate@localhost"), C, C}
	f.send(dist.RegSend{From: C, To: taskSup}, etf.Tuple{etf.Atom("$gen_call"), etf.Tuple{C, tag},
		etf.Tuple{etf.Atom("start_task"), etf.List{owner, etf.Atom("monitor")}, etf.Atom("temporary"), etf.NilAtom}})
	ctl, msg := f.expect(dist.OpAliasSend)
	if ctl.(dist.AliasSend).Alias != R1 {
		t.Fatalf("reply to alias %v, want R1", ctl)
	}
	reply, _ := msg.(etf.Tuple)
	ok, isOK := etf.Tagged(reply[1], "ok", 2)
	if !etf.Equal(reply[0], tag) || !isOK {
		t.Fatalf("start_task reply %s", etf.Inspect(msg))
	}
	T := ok[1].(etf.Pid)
	if mon, _ := f.expect(dist.OpMonitorP); mon.(dist.MonitorP).From != T || mon.(dist.MonitorP).To.Pid != C {
		t.Fatalf("the task does not monitor its owner: %v", mon)
	}
	f.send(dist.DemonitorP{From: C, To: dist.ProcName(taskSup), Ref: R1}, nil)
	f.send(dist.Link{From: C, To: T}, nil)
	f.send(dist.MonitorP{From: C, To: dist.ProcPid(T), Ref: R3}, nil)
	mfa := etf.Tuple{etf.Atom("Elixir.Chat"), etf.Atom("receive_message"), etf.List{etf.Binary("hi")}}
	f.send(dist.SendSender{From: C, To: T}, etf.Tuple{C, R3, R3, etf.List{C}, mfa})

	var result, exit, down bool
	for !result || !exit || !down {
		ctl, msg := f.recv()
		switch c := ctl.(type) {
		case dist.AliasSend:
			if c.Alias != R3 || !etf.Equal(msg, etf.Tuple{R3, etf.OK}) {
				t.Fatalf("result %s to %v", etf.Inspect(msg), c.Alias)
			}
			result = true
		case dist.Exit:
			if c.From != T || c.To != C || !etf.IsAtom(c.Reason, "normal") || !result {
				t.Fatalf("exit %s before the result %v", etf.Inspect(c.Tuple()), result)
			}
			exit = true
		case dist.MonitorPExit:
			if c.Ref != R3 || !etf.IsAtom(c.Reason, "normal") {
				t.Fatalf("DOWN %s", etf.Inspect(c.Tuple()))
			}
			down = true
		case dist.DemonitorP: // the task drops its monitor of the owner
		default:
			t.Fatalf("unexpected %s", etf.Inspect(ctl.Tuple()))
		}
	}
	calls, callers, _ := n.local.recorded()
	if len(calls) != 1 || calls[0].Function != "receive_message" || calls[0].Args[0] != "hi" || callers[0] != "kate@localhost" {
		t.Fatalf("alex ran %+v for %v", calls, callers)
	}
	// Signals to the ended task are noproc, as the BEAM answers.
	f.send(dist.MonitorP{From: C, To: dist.ProcPid(T), Ref: f.ref(9)}, nil)
	for {
		ctl, _ := f.recv()
		if _, ok := ctl.(dist.DemonitorP); ok {
			continue // the task's monitor of its owner, dropped as it exited
		}
		if d, ok := ctl.(dist.MonitorPExit); !ok || d.Ref != f.ref(9) || !etf.IsAtom(d.Reason, "noproc") {
			t.Fatalf("monitor of the dead task: %s", etf.Inspect(ctl.Tuple()))
		}
		break
	}
}

// TestNoproc: a monitor of a name nobody holds, and a link to a pid that is
// not alive, are answered at once with noproc.
func TestNoproc(t *testing.T) {
	n := startNode(t)
	f := mustConnect(t, n)
	C := f.pid(160)
	f.send(dist.MonitorP{From: C, To: dist.ProcName("Elixir.Nobody"), Ref: f.ref(1)}, nil)
	c, _ := f.expect(dist.OpMonitorPExit)
	if d := c.(dist.MonitorPExit); d.From.Name != "Elixir.Nobody" || !etf.IsAtom(d.Reason, "noproc") || d.Ref != f.ref(1) {
		t.Fatalf("DOWN %s", etf.Inspect(d.Tuple()))
	}
	dead := etf.Pid{Node: "alex@localhost", ID: 999, Serial: 1, Creation: 0x6b103003}
	f.send(dist.Link{From: C, To: dead}, nil)
	if c, _ := f.expect(dist.OpExit); !etf.IsAtom(c.(dist.Exit).Reason, "noproc") {
		t.Fatalf("link to a dead pid: %v", c)
	}
}

// TestPingIsAuth is net_adm:ping: net_kernel answers yes to the alias.
func TestPingIsAuth(t *testing.T) {
	n := startNode(t)
	f := mustConnect(t, n)
	C, R := f.pid(160), f.ref(5)
	f.send(dist.MonitorP{From: C, To: dist.ProcName("net_kernel"), Ref: R}, nil)
	tag := etf.ImproperList{Elems: []etf.Term{aliasAtom}, Tail: R}
	f.send(dist.RegSend{From: C, To: "net_kernel"}, etf.Tuple{etf.Atom("$gen_call"), etf.Tuple{C, tag}, etf.Tuple{etf.Atom("is_auth"), f.self}})
	_, msg := f.expect(dist.OpAliasSend)
	if !etf.Equal(msg, etf.Tuple{tag, etf.Atom("yes")}) {
		t.Fatalf("is_auth answered %s", etf.Inspect(msg))
	}
}

// TestUnlinkIDAck answers UNLINK_ID with UNLINK_ID_ACK (mandatory from OTP
// 26), and ticks with ticks.
func TestUnlinkIDAck(t *testing.T) {
	n := startNode(t)
	f := mustConnect(t, n)
	C := f.pid(160)
	T := etf.Pid{Node: "alex@localhost", ID: 7, Serial: 1, Creation: 0x6b103003}
	f.send(dist.UnlinkID{ID: 42, From: C, To: T}, nil)
	c, _ := f.expect(dist.OpUnlinkIDAck)
	if a := c.(dist.UnlinkIDAck); a.ID != 42 || a.From != T || a.To != C {
		t.Fatalf("ack %s", etf.Inspect(a.Tuple()))
	}
	if _, err := f.nc.Write(dist.AppendTick(nil)); err != nil {
		t.Fatal(err)
	}
	body, err := dist.ReadFrame(f.nc, 0, nil)
	if err != nil || len(body) != 0 {
		t.Fatalf("answer to a tick: %d bytes, %v", len(body), err)
	}
}

// TestBadFrameKeepsConnection: a frame chatd cannot decode costs that
// frame, not the connection (BEAM.md §9.2).
func TestBadFrameKeepsConnection(t *testing.T) {
	n := startNode(t)
	f := mustConnect(t, n)
	if _, err := f.nc.Write([]byte{0, 0, 0, 4, dist.PassThrough, etf.Version, 0xff, 0xff}); err != nil {
		t.Fatal(err)
	}
	C := f.pid(1)
	f.send(dist.MonitorP{From: C, To: dist.ProcName("Elixir.Nobody"), Ref: f.ref(1)}, nil)
	f.expect(dist.OpMonitorPExit)
	if len(n.m.Links()) != 1 {
		t.Fatal("the connection went down over a bad frame")
	}
}

// callResult is what a call returned.
type callResult struct {
	v   string
	err error
}

// chatHi sends "hi" over c as the chat does, a receive_message call,
// within ctx; the call's result arrives on the channel.
func chatHi(ctx context.Context, c *Conn) <-chan callResult {
	done := make(chan callResult, 1)
	go func() {
		v, err := c.Call(ctx, wire.Call{Function: "receive_message", Args: []string{"hi"}})
		done <- callResult{v, err}
	}()
	return done
}

// startChatHi starts alex, connects kate to it and sends her "hi" as the
// chat does; it returns kate's side with the monitor of her task
// supervisor that alex sent first, and the call's result channel.
func startChatHi(t *testing.T) (*node, *fake, dist.MonitorP, <-chan callResult) {
	t.Helper()
	n := startNode(t)
	f := mustConnect(t, n)
	done := chatHi(testkit.Ctx(t, testkit.Wait), n.m.live(kate))
	mon, _ := f.expect(dist.OpMonitorP)
	return n, f, mon.(dist.MonitorP), done
}

// TestCallerTask is chatd calling kate (BEAM.md §4.3): the task
// supervisor's start_task by name with an alias, a monitor of the task,
// the MFA message whose first element is the owner, the result to the
// alias; then the caller exits normal toward the task's monitor of it.
func TestCallerTask(t *testing.T) {
	_, f, m, done := startChatHi(t)
	if m.To.Name != taskSup {
		t.Fatalf("monitor of %v, want the task supervisor by name", m.To)
	}
	D, R1 := m.From, m.Ref
	reg, call := f.expect(dist.OpRegSend)
	if reg.(dist.RegSend).To != taskSup {
		t.Fatalf("call to %v", reg)
	}
	from, tag, req, ok := genCallOf(call)
	owner := etf.Tuple{etf.Atom("alex@localhost"), D, D}
	wantReq := etf.Tuple{etf.Atom("start_task"), etf.List{owner, etf.Atom("monitor")}, etf.Atom("temporary"), etf.NilAtom}
	if !ok || from != D || !etf.Equal(tag, etf.ImproperList{Elems: []etf.Term{aliasAtom}, Tail: R1}) || !etf.Equal(req, wantReq) {
		t.Fatalf("start_task call %s", etf.Inspect(call))
	}
	S, T, Rx := f.pid(159), f.pid(165), f.ref(7)
	f.send(dist.AliasSend{From: S, Alias: R1}, etf.Tuple{tag, etf.Tuple{etf.OK, T}})
	f.send(dist.MonitorP{From: T, To: dist.ProcPid(D), Ref: Rx}, nil) // the task monitors its owner
	f.expect(dist.OpDemonitorP)
	mon2, _ := f.expect(dist.OpMonitorP)
	R2 := mon2.(dist.MonitorP).Ref
	if mon2.(dist.MonitorP).To.Pid != T {
		t.Fatalf("monitor of %v, want the task", mon2)
	}
	snd, msg := f.expect(dist.OpSendSender)
	want := etf.Tuple{D, R2, R2, etf.List{D}, etf.Tuple{etf.Atom("Elixir.Chat"), etf.Atom("receive_message"), etf.List{etf.Binary("hi")}}}
	if snd.(dist.SendSender).To != T || !etf.Equal(msg, want) {
		t.Fatalf("task message %s", etf.Inspect(msg))
	}
	f.send(dist.AliasSend{From: T, Alias: R2}, etf.Tuple{R2, etf.OK})
	r := <-done
	if r.err != nil || r.v != ":ok" {
		t.Fatalf("Call = %q, %v", r.v, r.err)
	}
	for {
		ctl, _ := f.recv()
		if d, ok := ctl.(dist.MonitorPExit); ok {
			if d.Ref != Rx || !etf.IsAtom(d.Reason, "normal") {
				t.Fatalf("caller's exit %s", etf.Inspect(d.Tuple()))
			}
			break
		}
	}
}

// TestCallerMoebiRule: a message for moebi is the lesson's
// receive_message_for_moebi(text, sender).
func TestCallerMoebiRule(t *testing.T) {
	n := startNode(t)
	c := &Conn{m: n.m, peer: wire.NodeName{Name: "moebi", Host: "localhost"}}
	mod, fun, args := c.chatCall("hi")
	if mod != "Elixir.Chat" || fun != "receive_message_for_moebi" || !etf.Equal(args, etf.List{etf.Binary("hi"), etf.Atom("alex@localhost")}) {
		t.Fatalf("moebi gets %s:%s(%s)", mod, fun, etf.Inspect(args))
	}
	c.peer = kate
	if _, fun, _ := c.chatCall("hi"); fun != "receive_message" {
		t.Fatalf("kate gets %s", fun)
	}
}

// TestCallerNoSupervisor: a node without the Chat app answers the
// monitor with noproc, and the send fails at once naming it.
func TestCallerNoSupervisor(t *testing.T) {
	_, f, m, done := startChatHi(t)
	f.send(dist.MonitorPExit{From: m.To, To: m.From, Ref: m.Ref, Reason: etf.Atom("noproc")}, nil)
	err := (<-done).err
	if wire.CodeOf(err) != wire.CodeNoProcess || !contains(err.Error(), "Chat.TaskSupervisor", "noproc") {
		t.Fatalf("send to a node without Chat = %v", err)
	}
}

// TestCallerConnectionLost: a pending call fails with no connection the
// moment the connection goes (noconnection), not at its timeout.
func TestCallerConnectionLost(t *testing.T) {
	n, f, _, done := startChatHi(t)
	start := time.Now()
	f.nc.Close()
	err := (<-done).err
	if wire.CodeOf(err) != wire.CodeNoConnection || !errors.Is(err, peer.ErrLinkDown) {
		t.Fatalf("call over a lost connection = %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("the call failed after %s", took)
	}
	testkit.WaitFor(t, testkit.Wait, "kate to be down", func() bool { return len(n.m.Links()) == 0 })
	if n.m.procs.count() != 3 { // net_kernel, rex, the task supervisor
		t.Fatalf("%d processes left after the caller's end", n.m.procs.count())
	}
}

// TestSilentPeerDown: a peer that sends nothing for net_ticktime is down.
func TestSilentPeerDown(t *testing.T) {
	n := startNode(t, func(c *Config) { c.TickTime = 400 * time.Millisecond })
	mustConnect(t, n) // and then never read nor write
	start := time.Now()
	testkit.WaitFor(t, testkit.Wait, "kate to be down", func() bool { return len(n.m.Links()) == 0 })
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Fatalf("down after %s, before the tick time", took)
	}
}

// TestDeliverToCore: a message for one of the core's processes reaches
// the core as text: {Text, Pid} is Text from Pid.
func TestDeliverToCore(t *testing.T) {
	n := startNode(t)
	f := mustConnect(t, n)
	shell := etf.Pid{Node: "alex@localhost", ID: 1, Creation: 0x6b103003}
	P := f.pid(187)
	f.send(dist.SendSender{From: P, To: shell}, etf.Atom("sup?"))
	f.send(dist.SendSender{From: P, To: shell}, etf.Tuple{etf.Atom("hi"), P})
	testkit.WaitFor(t, testkit.Wait, "two messages for the shell", func() bool {
		_, _, d := n.local.recorded()
		return len(d) == 2
	})
	_, _, d := n.local.recorded()
	if d[0].Text != ":sup?" || d[1].Text != "hi" || d[1].From.ID != 187 || d[0].To.ID != 1 {
		t.Fatalf("delivered %+v", d)
	}
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestCallerReplyBeforeDown: a task's reply and then its DOWN (it exits
// normally once it replied) both waiting when the caller looks: the reply
// wins, every time, as in a BEAM receive.
func TestCallerReplyBeforeDown(t *testing.T) {
	ref := etf.Ref{Node: "alex@localhost", Len: 3, ID: [etf.MaxRefWords]uint32{1, 2, 3}}
	other := etf.Ref{Node: "alex@localhost", Len: 3, ID: [etf.MaxRefWords]uint32{4, 5, 6}}
	for i := range 200 {
		cl := &caller{box: fifo.New[envelope](callerBox), downs: make(chan down, callerDowns)}
		cl.box.Put(envelope{msg: etf.Tuple{other, etf.Atom("stale")}})
		cl.box.Put(envelope{msg: etf.Tuple{ref, etf.OK}})
		cl.downs <- down{ref: ref, reason: etf.Atom("normal")}
		v, d, err := cl.await(testkit.Ctx(t, testkit.Wait), ref, tagged(ref))
		if err != nil || d != nil || !etf.IsAtom(v, "ok") {
			t.Fatalf("await %d = %v, DOWN %v, %v; want the reply :ok", i, v, d, err)
		}
	}
	cl := &caller{box: fifo.New[envelope](callerBox), downs: make(chan down, callerDowns)}
	cl.box.Put(envelope{msg: etf.Tuple{other, etf.OK}})
	cl.downs <- down{ref: ref, reason: etf.Atom("killed")}
	if _, d, err := cl.await(testkit.Ctx(t, testkit.Wait), ref, tagged(ref)); err != nil || d == nil || !etf.IsAtom(d.reason, "killed") {
		t.Fatalf("await without a reply: DOWN %v, %v; want the DOWN (killed)", d, err)
	}
}
