package beam

import (
	"context"
	"errors"
	"time"

	"chatd/daemon/function"
	"chatd/daemon/peer"
	"chatd/wire"
	"chatd/wire/dist"
	"chatd/wire/etf"
)

// taskWait is how long a task waits for its function after the supervisor
// started it, as Elixir's Task.Supervised does; then it exits timeout.
const taskWait = 5 * time.Second

// callTimeout bounds a function a BEAM node runs on chatd (the BEAM
// caller's own await is 5 s by default).
const callTimeout = 60 * time.Second

// services are the registered processes BEAM nodes talk to.
type services struct {
	supervisor *proc // the lesson's Chat.TaskSupervisor
}

// startServices registers net_kernel (ping), rex (rpc's feature probe and
// its old call protocol) and the lesson's task supervisor.
func (m *Manager) startServices() services {
	m.procs.spawn("net_kernel", func(from etf.Pid, msg etf.Term) { m.netKernel(msg) }, nil)
	var rex *proc
	rex = m.procs.spawn("rex", func(from etf.Pid, msg etf.Term) { m.rex(rex.pid, msg) }, nil)
	var sup *proc
	sup = m.procs.spawn(elixirAtom(m.cfg.Chat.Supervisor), func(from etf.Pid, msg etf.Term) { m.supervisor(sup.pid, msg) }, nil)
	return services{supervisor: sup}
}

// genCallOf reads {'$gen_call', {Caller, Tag}, Request}.
func genCallOf(msg etf.Term) (caller etf.Pid, tag, request etf.Term, ok bool) {
	t, ok := etf.Tagged(msg, "$gen_call", 3)
	if !ok {
		return etf.Pid{}, nil, nil, false
	}
	from, ok := t[1].(etf.Tuple)
	if !ok || len(from) != 2 {
		return etf.Pid{}, nil, nil, false
	}
	caller, ok = from[0].(etf.Pid)
	return caller, from[1], t[2], ok
}

// netKernel answers net_adm:ping's is_auth with yes (BEAM.md §7): the
// connection is up, so the cookie matched.
func (m *Manager) netKernel(msg etf.Term) {
	caller, tag, req, ok := genCallOf(msg)
	if !ok {
		return
	}
	self := m.procs.byName("net_kernel")
	if self == nil {
		return
	}
	if _, ok := etf.Tagged(req, "is_auth", 2); ok {
		m.reply(self.pid, caller, tag, etf.Atom("yes"))
		return
	}
	m.log.Info("refused a net_kernel request from an Erlang node", "request", etf.Inspect(req))
	m.reply(self.pid, caller, tag, etf.Tuple{etf.Atom("error"), etf.Atom("notsup")})
}

// rex answers rpc's feature probe: chatd serves erpc (spawn requests of
// erpc:execute_call/4). Its old call protocol is refused with badrpc.
func (m *Manager) rex(self etf.Pid, msg etf.Term) {
	if t, ok := msg.(etf.Tuple); ok && len(t) == 2 && etf.IsAtom(t[1], "features_request") {
		if from, ok := t[0].(etf.Pid); ok {
			m.sendTo(self, from, etf.Tuple{etf.Atom("features_reply"), etf.Atom(m.cfg.Self.String()), etf.List{etf.Atom("erpc")}})
		}
		return
	}
	if caller, tag, req, ok := genCallOf(msg); ok {
		m.log.Info("refused an old-style rpc call from an Erlang node", "request", etf.Inspect(req))
		m.reply(self, caller, tag, etf.Tuple{etf.Atom("badrpc"), etf.Atom("notsup")})
	}
}

// supervisor is the lesson's Chat.TaskSupervisor: start_task starts a task
// process (BEAM.md §4.4) and answers {ok, Pid}.
func (m *Manager) supervisor(self etf.Pid, msg etf.Term) {
	caller, tag, req, ok := genCallOf(msg)
	if !ok {
		return
	}
	t, ok := etf.Tagged(req, "start_task", 4)
	var args []etf.Term
	if ok {
		args, ok = etf.Elems(t[1])
	}
	if !ok {
		m.log.Info("refused a task supervisor request from an Erlang node", "request", etf.Inspect(req))
		m.reply(self, caller, tag, etf.Tuple{etf.Atom("error"), etf.Atom("notsup")})
		return
	}
	if m.procs.full() {
		m.log.Warn("refused a task: too many processes for Erlang nodes", "limit", maxProcs, "caller", etf.Inspect(caller))
		m.reply(self, caller, tag, etf.Tuple{etf.Atom("error"), etf.Atom("max_children")})
		return
	}
	callerNode, _ := wire.ParseNodeName(string(caller.Node), "")
	task := m.newTask(callerNode)
	m.reply(self, caller, tag, etf.Tuple{etf.OK, task.p.pid})
	switch len(args) {
	case 2: // [Owner, monitor]: wait for {Owner, Ref, ReplyTo, Callers, MFA}
		if owner, ok := args[0].(etf.Tuple); ok && len(owner) == 3 {
			if pid, ok := owner[2].(etf.Pid); ok {
				task.watchOwner(pid)
			}
		}
		task.await()
	case 3: // [Owner, Callers, MFA] (Elixir 1.15 start_child): run at once
		if !m.peers.Go(func(context.Context) { task.run(nil, nil, args[2]) }) {
			m.exit(task.p, reasonKilled)
		}
	default:
		m.exit(task.p, etf.Tuple{etf.Atom("badarg"), t[1]})
	}
}

// task is a process the task supervisor started for a BEAM caller.
type task struct {
	m      *Manager
	caller wire.NodeName
	p      *proc
	ctx    context.Context
	cancel context.CancelCauseFunc
	got    chan envelope // its first message
}

func (m *Manager) newTask(caller wire.NodeName) *task {
	t := &task{m: m, caller: caller, got: make(chan envelope, 1)}
	t.ctx, t.cancel = context.WithCancelCause(m.peers.Context())
	t.p = m.procs.spawn("", func(from etf.Pid, msg etf.Term) {
		select {
		case t.got <- envelope{from, msg}:
		default: // only the first message is the task's function
		}
	}, func(reason etf.Term) { t.cancel(exitCause{reason}) })
	return t
}

// exitCause carries an exit signal's reason as a context's cause.
type exitCause struct{ reason etf.Term }

func (e exitCause) Error() string { return "exit signal " + etf.Inspect(e.reason) }

// watchOwner makes the task end when its owner does, as Task.Supervised
// monitors the owner.
func (t *task) watchOwner(owner etf.Pid) {
	t.m.watch(t.p, dist.ProcPid(owner), owner.Node, func(_ etf.Ref, reason etf.Term) {
		t.cancel(exitCause{etf.Tuple{etf.Atom("shutdown"), reason}})
	})
}

// await waits (in a goroutine) for the function to run, for at most
// taskWait.
func (t *task) await() {
	if !t.m.peers.Go(func(context.Context) {
		timer := time.NewTimer(taskWait)
		defer timer.Stop()
		select {
		case e := <-t.got:
			msg, ok := e.msg.(etf.Tuple)
			if !ok || len(msg) != 5 {
				t.m.exit(t.p, etf.Tuple{etf.Atom("badarg"), e.msg})
				return
			}
			t.run(msg[1], msg[2], msg[4])
		case <-timer.C:
			t.m.exit(t.p, reasonTimeout)
		case <-t.ctx.Done():
			t.m.exit(t.p, exitReason(t.ctx))
		}
	}) {
		t.m.exit(t.p, reasonKilled)
	}
}

// run runs mfa and sends {Ref, Result} to replyTo, then exits normal; a
// failure is the exit reason instead (the caller's monitor sees it).
func (t *task) run(ref, replyTo etf.Term, mfa etf.Term) {
	mod, fun, args, ok := mfaOf(mfa)
	if !ok {
		t.m.exit(t.p, etf.Tuple{etf.Atom("badarg"), mfa})
		return
	}
	v, reason := t.m.runMFA(t.ctx, t.caller, etf.Pid{}, mod, fun, args)
	if reason != nil {
		t.m.exit(t.p, reason)
		return
	}
	if replyTo != nil {
		t.m.replyTo(t.p.pid, replyTo, etf.Tuple{ref, v})
	}
	t.m.exit(t.p, reasonNormal)
}

// exitReason is why a process's context ended: the exit signal that
// killed it, or shutdown.
func exitReason(ctx context.Context) etf.Term {
	var ec exitCause
	if errors.As(context.Cause(ctx), &ec) {
		return ec.reason
	}
	return etf.Atom("shutdown")
}

// mfaOf reads {Module, Function, Args}.
func mfaOf(t etf.Term) (mod, fun etf.Atom, args []etf.Term, ok bool) {
	x, ok := t.(etf.Tuple)
	if !ok || len(x) != 3 {
		return "", "", nil, false
	}
	mod, ok1 := x[0].(etf.Atom)
	fun, ok2 := x[1].(etf.Atom)
	args, ok3 := etf.Elems(x[2])
	return mod, fun, args, ok1 && ok2 && ok3
}

// runMFA runs what a BEAM node asked chatd to run, and only that: the
// lesson's Chat functions, chatd's builtins as the module chatd, and
// IO.puts toward a group leader. It returns the result, or the exit
// reason of a failure ({undef, ...} for anything else).
func (m *Manager) runMFA(ctx context.Context, caller wire.NodeName, gl etf.Pid, mod, fun etf.Atom, args []etf.Term) (etf.Term, etf.Term) {
	chat := elixirAtom(m.cfg.Chat.Module)
	switch {
	case mod == chat && fun == "receive_message" && len(args) == 1:
		if _, err := m.localCall(ctx, caller, "receive_message", []string{argText(args[0])}, 0); err != nil {
			return nil, failure(err)
		}
		return etf.OK, nil
	case mod == chat && fun == "receive_message_for_moebi" && len(args) == 2:
		return m.moebi(ctx, caller, args)
	case mod == "chatd":
		text := make([]string, len(args))
		for i, a := range args {
			text[i] = argText(a)
		}
		v, err := m.localCall(ctx, caller, string(fun), text, 0)
		if err != nil {
			return nil, failure(err)
		}
		return etf.Binary(v), nil
	case mod == "Elixir.IO" && fun == "puts" && len(args) == 1 && gl != (etf.Pid{}):
		if err := m.puts(ctx, gl, argText(args[0])); err != nil {
			return nil, etf.Tuple{etf.Atom("error"), etf.Atom("terminated")}
		}
		return etf.OK, nil
	}
	m.log.Warn("refused to run a function an Erlang node asked for: chatd runs only the Chat functions and its builtins (module chatd)",
		"node", caller.String(), "function", etf.Inspect(etf.Tuple{mod, fun, int64(len(args))}))
	return nil, etf.Tuple{etf.Atom("undef"), etf.List{etf.Tuple{mod, fun, etf.List(args), etf.List{}}}}
}

// lessonReply is what the lesson's receive_message_for_moebi answers.
const lessonReply = "chicken?"

// moebi is the lesson's receive_message_for_moebi(message, from): print
// the message, then send chicken? back to from.
func (m *Manager) moebi(ctx context.Context, caller wire.NodeName, args []etf.Term) (etf.Term, etf.Term) {
	if _, err := m.localCall(ctx, caller, "receive_message", []string{argText(args[0])}, wire.FlagResponderReply); err != nil {
		return nil, failure(err)
	}
	from, ok := args[1].(etf.Atom)
	node, err := wire.ParseNodeName(string(from), "")
	if !ok || err != nil {
		return nil, etf.Tuple{etf.Atom("badarg"), args[1]}
	}
	c := m.live(node)
	if c == nil {
		return nil, failure(&peer.ConnectError{Node: node, Err: peer.ErrLinkDown})
	}
	if _, err := c.Call(ctx, wire.Call{Function: "receive_message", Args: []string{lessonReply}, Flags: wire.FlagResponderReply}); err != nil {
		return nil, failure(err)
	}
	return etf.OK, nil
}

// localCall runs a builtin on this node's core for caller, in the
// calling goroutine (the spawned process's), bounded by callTimeout.
func (m *Manager) localCall(ctx context.Context, caller wire.NodeName, fn string, args []string, flags wire.CallFlags) (string, error) {
	call := wire.Call{Function: fn, Args: args, Flags: flags, Timeout: callTimeout}
	if fn == "receive_message" {
		call.MsgID = function.NewMessageID()
	}
	return m.cfg.Local.RunCall(ctx, caller, call)
}

// failure is a chatd error as an exit reason: {chatd, Kind, Message}.
func failure(err error) etf.Term {
	code, msg := peer.Describe(err)
	return etf.Tuple{etf.Atom("chatd"), etf.Atom(code), etf.Binary(msg)}
}
