package beam

import (
	"chatd/internal/fifo"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"chatd/daemon/peer"
	"chatd/wire"
	"chatd/wire/dist"
	"chatd/wire/etf"
)

// callerBox bounds the messages a waiting caller keeps; more are dropped
// (a BEAM node has no business flooding a caller). callerDowns bounds its
// monitors' DOWNs: it holds at most two monitors at once (the server's
// and the task's).
const (
	callerBox   = 64
	callerDowns = 4
)

// caller is a local process that makes calls to a BEAM node and waits for
// their answers: the lesson's shell calling Task.Supervisor.async.
type caller struct {
	m     *Manager
	c     *Conn
	p     *proc
	box   *fifo.Queue[envelope] // what was sent to it
	downs chan down             // its monitors' DOWNs
}

// envelope is a message and its sender (zero when unknown).
type envelope struct {
	from etf.Pid
	msg  etf.Term
}

// down is a monitor's DOWN.
type down struct {
	ref    etf.Ref
	reason etf.Term
}

// newCaller starts a caller process toward the node of c; it must be ended
// with done.
func (m *Manager) newCaller(c *Conn) *caller {
	cl := &caller{m: m, c: c, box: fifo.New[envelope](callerBox), downs: make(chan down, callerDowns)}
	cl.p = m.procs.spawn("", func(from etf.Pid, msg etf.Term) {
		if !cl.box.Put(envelope{from, msg}) {
			m.log.Warn("dropping a message to a caller: its mailbox is full", "from", etf.Inspect(from))
		}
	}, func(etf.Term) {}) // killed by a peer: it stops waiting when its monitors fire
	return cl
}

// done ends the caller: its pid exits normally toward whoever linked to
// or monitors it (the task on the BEAM node monitors its owner).
func (cl *caller) done() { cl.m.exit(cl.p, reasonNormal) }

// watch monitors target on the peer node, routing the DOWN to the caller.
func (cl *caller) watch(target dist.Proc) etf.Ref {
	return cl.m.watch(cl.p, target, cl.c.atom, func(ref etf.Ref, reason etf.Term) {
		select {
		case cl.downs <- down{ref, reason}:
		default:
		}
	})
}

// await waits for a message matching tag ({Tag, Value} or {[alias|Tag],
// Value}), or the DOWN of monitor ref, or ctx's end. A reply that came
// before the DOWN wins over it, as in a BEAM receive: a task replies and
// then exits normally, and both may be waiting by the time await looks.
func (cl *caller) await(ctx context.Context, ref etf.Ref, match func(etf.Term) (etf.Term, bool)) (etf.Term, *down, error) {
	for {
		if e, ok := cl.box.Poll(); ok {
			if v, ok := match(e.msg); ok {
				return v, nil, nil
			}
			continue
		}
		select {
		case <-cl.box.Ready(): // a message may be waiting: poll again
		case d := <-cl.downs:
			if d.ref != ref {
				continue
			}
			// The connection's reader hands over messages in order, so a
			// reply sent before the DOWN is in the box already.
			for {
				e, ok := cl.box.Poll()
				if !ok {
					return nil, &d, nil
				}
				if v, ok := match(e.msg); ok {
					return v, nil, nil
				}
			}
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
}

// tagged matches {Tag, Value} where Tag is the reference, or the
// improper list [alias | Ref] of a gen call.
func tagged(ref etf.Ref) func(etf.Term) (etf.Term, bool) {
	return func(msg etf.Term) (etf.Term, bool) {
		t, ok := msg.(etf.Tuple)
		if !ok || len(t) != 2 {
			return nil, false
		}
		switch tag := t[0].(type) {
		case etf.Ref:
			return t[1], tag == ref
		case etf.ImproperList:
			r, isRef := tag.Tail.(etf.Ref)
			return t[1], isRef && r == ref && len(tag.Elems) == 1 && etf.IsAtom(tag.Elems[0], "alias")
		}
		return nil, false
	}
}

// genCall is gen:call({Name, Node}, Request) as OTP 25 makes it (BEAM.md
// §4.1): a monitor by name that is also the reply's alias, then the
// '$gen_call'. A name nobody holds answers noproc at once.
func (cl *caller) genCall(ctx context.Context, name etf.Atom, request etf.Term) (etf.Term, *down, error) {
	return cl.request(ctx, dist.ProcName(name), func(ref etf.Ref) {
		tag := etf.ImproperList{Elems: []etf.Term{etf.Atom("alias")}, Tail: ref}
		cl.c.write(dist.RegSend{From: cl.p.pid, To: name}, etf.Tuple{etf.Atom("$gen_call"), etf.Tuple{cl.p.pid, tag}, request})
	})
}

// request monitors target with a reference that is also the caller's
// alias, sends what send makes with the reference, and awaits the reply
// tagged with it, the monitor's DOWN or ctx's end. The alias ends with the
// request, and so does the monitor unless it fired.
func (cl *caller) request(ctx context.Context, target dist.Proc, send func(ref etf.Ref)) (etf.Term, *down, error) {
	ref := cl.watch(target)
	cl.m.procs.alias(cl.p, ref)
	defer cl.m.procs.unalias(ref)
	send(ref)
	v, d, err := cl.await(ctx, ref, tagged(ref))
	if d == nil {
		cl.m.unwatch(cl.p, ref, cl.c.atom)
	}
	return v, d, err
}

// Ping implements peer.Conn: net_adm:ping's is_auth call to net_kernel.
func (c *Conn) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	cl := c.m.newCaller(c)
	defer cl.done()
	v, d, err := cl.genCall(ctx, "net_kernel", etf.Tuple{etf.Atom("is_auth"), etf.Atom(c.m.cfg.Self.String())})
	switch {
	case err != nil:
		return 0, fmt.Errorf("ping %s: %w", c.peer, peer.ErrTimeout)
	case d != nil:
		return 0, c.downError("net_kernel", d.reason)
	case !etf.IsAtom(v, "yes"):
		return 0, fmt.Errorf("ping %s: %w: net_kernel answered %s", c.peer, peer.ErrProtocol, etf.Inspect(v))
	}
	return time.Since(start), nil
}

// Send implements peer.Conn: {Text, From} to the remote process, sent
// without an acknowledgement, as the BEAM sends.
func (c *Conn) Send(_ context.Context, from, to wire.Pid, text string) error {
	if c.isDown() {
		return &peer.ConnectError{Node: c.peer, Err: peer.ErrLinkDown}
	}
	f := fromWire(from)
	c.write(dist.SendSender{From: f, To: fromWire(to)}, messageTerm(text, f))
	return nil
}

// Call implements peer.Conn. receive_message is the lesson's chat, a task
// on the node's Chat.TaskSupervisor (with the lesson's moebi rule for the
// recipients named in ChatNames.Moebi); Module.function is an erpc call
// of that function with the arguments as strings.
func (c *Conn) Call(ctx context.Context, call wire.Call) (string, error) {
	if call.Function == "receive_message" && len(call.Args) == 1 {
		mod, fun, args := c.chatCall(call.Args[0])
		v, err := c.task(ctx, call.Function, mod, fun, args)
		if err != nil {
			return "", err
		}
		return etf.Inspect(v), nil
	}
	mod, fun, ok := splitFunction(call.Function)
	if !ok {
		return "", &peer.CallError{Node: c.peer, Function: call.Function, Kind: wire.CodeBadRequest,
			Message: fmt.Sprintf("%s is an Erlang node: call Module.function (String.upcase, :erlang.node) or receive_message", c.peer)}
	}
	args := make(etf.List, len(call.Args))
	for i, a := range call.Args {
		args[i] = etf.Binary(a)
	}
	return c.erpc(ctx, call.Function, mod, fun, args)
}

// chatCall is the lesson's rule for a message to the peer: moebi gets
// receive_message_for_moebi(text, sender), everyone else
// receive_message(text).
func (c *Conn) chatCall(text string) (etf.Atom, etf.Atom, etf.List) {
	mod := elixirAtom(c.m.cfg.Chat.Module)
	for _, n := range c.m.cfg.Chat.Moebi {
		if n == c.peer.Name {
			return mod, "receive_message_for_moebi", etf.List{etf.Binary(text), etf.Atom(c.m.cfg.Self.String())}
		}
	}
	return mod, "receive_message", etf.List{etf.Binary(text)}
}

// task runs Module:Function(Args) as a task on the peer's task supervisor,
// as Task.Supervisor.async_nolink does, and awaits its result (BEAM.md
// §4.3).
func (c *Conn) task(ctx context.Context, function string, mod, fun etf.Atom, args etf.List) (etf.Term, error) {
	cl := c.m.newCaller(c)
	defer cl.done()
	sup := elixirAtom(c.m.cfg.Chat.Supervisor)
	owner := etf.Tuple{etf.Atom(c.m.cfg.Self.String()), cl.p.pid, cl.p.pid}
	start := etf.Tuple{etf.Atom("start_task"), etf.List{owner, etf.Atom("monitor")}, etf.Atom("temporary"), etf.NilAtom}
	v, d, err := cl.genCall(ctx, sup, start)
	if err != nil || d != nil {
		return nil, c.callFailed(function, c.m.cfg.Chat.Supervisor, d, err)
	}
	t, ok := etf.Tagged(v, "ok", 2)
	if !ok {
		return nil, &peer.CallError{Node: c.peer, Function: function, Kind: wire.CodeOverloaded,
			Message: fmt.Sprintf("%s would not start the task: %s", c.m.cfg.Chat.Supervisor, etf.Inspect(v))}
	}
	tpid, ok := t[1].(etf.Pid)
	if !ok {
		return nil, fmt.Errorf("%w: %s answered %s", peer.ErrProtocol, c.m.cfg.Chat.Supervisor, etf.Inspect(v))
	}
	mfa := etf.Tuple{mod, fun, args}
	v, d, err = cl.request(ctx, dist.ProcPid(tpid), func(ref etf.Ref) {
		c.write(dist.SendSender{From: cl.p.pid, To: tpid}, etf.Tuple{cl.p.pid, ref, ref, etf.List{cl.p.pid}, mfa})
	})
	if err != nil || d != nil {
		return nil, c.callFailed(function, "the task", d, err)
	}
	return v, nil
}

// callFailed describes a call that got a DOWN instead of an answer, or
// ran out of time.
func (c *Conn) callFailed(function, what string, d *down, err error) error {
	if d == nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return &peer.CallError{Node: c.peer, Function: function, Kind: wire.CodeTimeout,
				Message: function + " timed out (the caller gave up; the task on " + c.peer.String() + " sees its owner go)"}
		}
		return err
	}
	return c.downError(what, d.reason)
}

// downError is the error of a DOWN: noconnection is a lost connection,
// noproc a process that is not there, anything else a failed task.
func (c *Conn) downError(what string, reason etf.Term) error {
	switch {
	case etf.IsAtom(reason, reasonNoconnection):
		return &peer.ConnectError{Node: c.peer, Err: fmt.Errorf("%w (noconnection)", peer.ErrLinkDown)}
	case etf.IsAtom(reason, reasonNoproc):
		msg := fmt.Sprintf("no process %s (noproc)", what)
		if what == c.m.cfg.Chat.Supervisor {
			msg += ": is the lesson's Chat app running there?"
		}
		return &peer.CallError{Node: c.peer, Function: what, Kind: wire.CodeNoProcess, Message: msg}
	}
	return &peer.CallError{Node: c.peer, Function: what, Kind: wire.CodeTaskFailed, Message: "exited with " + etf.Inspect(reason)}
}

// erpc runs Module:Function(Args) on the peer as erpc:call does (BEAM.md
// §6): a spawn request of erpc:execute_call/4 with a monitor, whose DOWN
// carries {Ref, return, Result}. What the function prints, on chatd's
// group leader, comes before the result (as a task's printed lines do).
func (c *Conn) erpc(ctx context.Context, function string, mod, fun etf.Atom, args etf.List) (string, error) {
	m := c.m
	cl := m.newCaller(c)
	defer cl.done()
	var printed []string
	var mu sync.Mutex
	var gl *proc
	gl = m.procs.spawn("", func(_ etf.Pid, msg etf.Term) {
		from, replyAs, req, ok := ioRequest(msg)
		if !ok {
			return
		}
		text, reply := ioText(req)
		mu.Lock()
		printed = append(printed, lines(text)...)
		mu.Unlock()
		m.sendTo(gl.pid, from, etf.Tuple{etf.Atom("io_reply"), replyAs, reply})
	}, nil)
	defer m.exit(gl, reasonNormal)
	reqRef := m.procs.newRef()
	req := dist.SpawnRequest{ReqID: m.procs.newRef(), From: cl.p.pid, GroupLeader: gl.pid, Module: "erpc",
		Function: "execute_call", Arity: 4, Opts: []etf.Term{etf.Atom("monitor")}}
	// The monitor's reference is the request's: watch it before asking.
	m.procs.mu.Lock()
	cl.p.watching.set(req.ReqID, &watch{target: dist.ProcPid(etf.Pid{Node: c.atom}), node: c.atom, down: func(_ etf.Ref, reason etf.Term) {
		select {
		case cl.downs <- down{req.ReqID, reason}:
		default:
		}
	}})
	m.procs.watches[req.ReqID] = cl.p
	m.procs.mu.Unlock()
	reply, err := m.requestSpawn(ctx, c, req, etf.List{reqRef, mod, fun, args})
	if err != nil {
		m.fireDown(req.ReqID, reasonNoconnection) // drop the watch
		return "", err
	}
	if reply.Err != "" {
		m.fireDown(req.ReqID, reasonNoproc)
		return "", &peer.CallError{Node: c.peer, Function: function, Kind: wire.CodeTaskFailed,
			Message: fmt.Sprintf("%s refused to run it: %s", c.peer, reply.Err)}
	}
	_, d, err := cl.await(ctx, req.ReqID, func(etf.Term) (etf.Term, bool) { return nil, false })
	if err != nil {
		m.fireDown(req.ReqID, reasonKilled)
		c.write(dist.Exit2{From: cl.p.pid, To: reply.Pid, Reason: reasonKilled}, nil)
		return "", c.callFailed(function, function, nil, err)
	}
	v, ferr := erpcResult(c, function, reqRef, d.reason)
	if ferr != nil {
		return "", ferr
	}
	mu.Lock()
	defer mu.Unlock()
	return strings.Join(append(printed, etf.Inspect(v)), "\n"), nil
}

// erpcResult reads the exit reason of erpc:execute_call/4: {Ref, return,
// Value}, or {Ref, throw | exit, Value}, or {Ref, error, Reason, Stack}.
func erpcResult(c *Conn, function string, ref etf.Ref, reason etf.Term) (etf.Term, error) {
	t, ok := reason.(etf.Tuple)
	if !ok || len(t) < 3 || !etf.Equal(t[0], ref) {
		return nil, c.downError(function, reason)
	}
	if etf.IsAtom(t[1], "return") {
		return t[2], nil
	}
	return nil, &peer.CallError{Node: c.peer, Function: function, Kind: wire.CodeTaskFailed,
		Message: fmt.Sprintf("%s: %s", t[1], etf.Inspect(t[2]))}
}
