package beam

import (
	"context"
	"errors"
	"fmt"

	"chatd/daemon/beam/shellfun"
	"chatd/daemon/peer"
	"chatd/wire"
	"chatd/wire/dist"
	"chatd/wire/etf"
)

// relayQueue bounds the lines of a remote process waiting for its reader.
const relayQueue = 256

// Spawn implements peer.Conn: Node.spawn_link of Module.function on the
// BEAM node (BEAM.md §5.3), with chatd as the group leader, so that what
// the process prints comes back to out. The process is linked to a chatd
// process that stands for sp.LinkedTo: its exit, and a lost connection
// (noconnection), end out.
func (c *Conn) Spawn(ctx context.Context, sp wire.Spawn, out peer.Output) (wire.Pid, error) {
	mod, fun, ok := splitFunction(sp.Function)
	if !ok {
		return wire.Pid{}, &peer.CallError{Node: c.peer, Function: sp.Function, Kind: wire.CodeBadRequest,
			Message: fmt.Sprintf("%s is an Erlang node: spawn Module.function (IO.puts, Code.eval_string)", c.peer)}
	}
	m := c.m
	var link, gl *proc
	// The stand-in and the group leader live as long as the relay.
	r := m.newRelay(out, func() {
		m.exit(link, reasonNormal)
		m.exit(gl, reasonNormal)
	})
	link = m.procs.spawnTrapping(func(etf.Pid, etf.Term) {}, func(reason etf.Term) {
		r.exit(reasonText(reason))
	})
	gl = m.procs.spawn("", func(_ etf.Pid, msg etf.Term) { m.groupLeader(gl.pid, msg, r) }, nil)
	r.start()
	args := make(etf.List, len(sp.Args))
	for i, a := range sp.Args {
		args[i] = etf.Binary(a)
	}
	reply, err := m.requestSpawn(ctx, c, dist.SpawnRequest{
		ReqID: m.procs.newRef(), From: link.pid, GroupLeader: gl.pid, Module: mod, Function: fun,
		Arity: uint8(len(args)), Opts: []etf.Term{etf.Atom("link")},
	}, args)
	if err != nil {
		r.abandon()
		return wire.Pid{}, err
	}
	if reply.Err != "" {
		r.abandon()
		return wire.Pid{}, &peer.CallError{Node: c.peer, Function: sp.Function, Kind: wire.CodeTaskFailed,
			Message: fmt.Sprintf("%s refused to spawn %s/%d: %s", c.peer, sp.Function, len(args), reply.Err)}
	}
	pid, ok := toWire(reply.Pid)
	if !ok {
		return wire.Pid{}, fmt.Errorf("%w: spawned pid %s", peer.ErrProtocol, etf.Inspect(reply.Pid))
	}
	return pid, nil
}

// requestSpawn sends a SPAWN_REQUEST and waits for its SPAWN_REPLY.
func (m *Manager) requestSpawn(ctx context.Context, c *Conn, req dist.SpawnRequest, args etf.List) (dist.SpawnReply, error) {
	ch := make(chan dist.SpawnReply, 1)
	m.spawnMu.Lock()
	m.spawning[req.ReqID] = ch
	m.spawnMu.Unlock()
	defer func() {
		m.spawnMu.Lock()
		delete(m.spawning, req.ReqID)
		m.spawnMu.Unlock()
	}()
	c.write(req, args)
	select {
	case r := <-ch:
		return r, nil
	case <-c.down:
		return dist.SpawnReply{}, &peer.ConnectError{Node: c.peer, Err: peer.ErrLinkDown}
	case <-ctx.Done():
		return dist.SpawnReply{}, &peer.CallError{Node: c.peer, Function: string(req.Module) + "." + string(req.Function),
			Kind: wire.CodeTimeout, Message: "spawn timed out"}
	}
}

// spawnReply hands a SPAWN_REPLY to the request waiting for it; a reply
// nobody waits for (the request timed out) is ignored.
func (m *Manager) spawnReply(r dist.SpawnReply) {
	m.spawnMu.Lock()
	ch := m.spawning[r.ReqID]
	m.spawnMu.Unlock()
	if ch != nil {
		select {
		case ch <- r:
		default:
		}
	}
}

// groupLeader is a chatd group leader: it serves io_requests, relaying the
// text printed (BEAM.md §5.4).
func (m *Manager) groupLeader(self etf.Pid, msg etf.Term, r *relay) {
	from, replyAs, req, ok := ioRequest(msg)
	if !ok {
		return
	}
	text, reply := ioText(req)
	for _, l := range lines(text) {
		r.line(l)
	}
	m.sendTo(self, from, etf.Tuple{etf.Atom("io_reply"), replyAs, reply})
}

// reasonText is an exit reason as chatd's text: an atom as it is (normal,
// noconnection), anything else as iex prints it.
func reasonText(reason etf.Term) string {
	if a, ok := reason.(etf.Atom); ok {
		return string(a)
	}
	return etf.Inspect(reason)
}

// relay hands a remote process's output to its peer.Output from a
// goroutine of its own, so that a slow reader never stalls the connection:
// lines beyond relayQueue are dropped. After out.Exit (or abandon: the
// spawn failed and out is never used) it calls done.
type relay struct {
	m     *Manager
	out   peer.Output
	done  func()
	q     chan string
	ended chan string   // receives the exit reason ("" to abandon), once
	once  chan struct{} // holds a token until exit or abandon was called
}

func (m *Manager) newRelay(out peer.Output, done func()) *relay {
	r := &relay{m: m, out: out, done: done, q: make(chan string, relayQueue), ended: make(chan string, 1), once: make(chan struct{}, 1)}
	r.once <- struct{}{}
	return r
}

// start runs the relay's goroutine.
func (r *relay) start() {
	if !r.m.peers.Go(r.run) {
		r.abandon()
		r.run(context.Background()) // the node is stopping: just clean up
	}
}

func (r *relay) run(context.Context) {
	defer r.done()
	for {
		select {
		case l := <-r.q:
			r.out.Line(l)
		case reason := <-r.ended:
			if reason == "" {
				return
			}
			for drained := false; !drained; {
				select {
				case l := <-r.q:
					r.out.Line(l)
				default:
					drained = true
				}
			}
			r.out.Exit(reason)
			return
		}
	}
}

// line queues one printed line.
func (r *relay) line(l string) {
	select {
	case r.q <- l:
	default:
	}
}

// exit reports the process's end; only the first exit or abandon counts.
func (r *relay) exit(reason string) {
	if reason == "" {
		reason = string(reasonNormal)
	}
	r.end(reason)
}

// abandon ends the relay without a word to out.
func (r *relay) abandon() { r.end("") }

func (r *relay) end(reason string) {
	select {
	case <-r.once:
		r.ended <- reason
	default:
	}
}

// spawnRequest serves a BEAM node's SPAWN_REQUEST (BEAM.md §5.2): the
// functions runMFA allows, erpc:execute_call/4 of them (rpc:call and
// erpc:call) and erpc:execute_cast/3 (rpc:cast and erpc:cast), and the
// lesson's shell funs when the evaluator can run them; anything else is
// refused with notsup and logged.
func (c *Conn) spawnRequest(req dist.SpawnRequest, argsTerm etf.Term) {
	m := c.m
	if m.procs.full() {
		m.log.Warn("refused a spawn request: too many processes for Erlang nodes", "node", c.peer.String(), "limit", maxProcs)
		c.write(dist.SpawnReply{ReqID: req.ReqID, To: req.From, Err: reasonSystemLimit}, nil)
		return
	}
	args, ok := etf.Elems(argsTerm)
	body := m.spawnable(c, req, args)
	if !ok || body == nil {
		m.log.Warn("refused a spawn request from an Erlang node", "node", c.peer.String(),
			"function", fmt.Sprintf("%s:%s/%d", req.Module, req.Function, req.Arity))
		c.write(dist.SpawnReply{ReqID: req.ReqID, To: req.From, Err: "notsup"}, nil)
		return
	}
	ctx, cancel := context.WithCancelCause(m.peers.Context())
	p := m.procs.spawnWithMailbox(func(reason etf.Term) { cancel(exitCause{reason}) })
	var flags dist.SpawnFlags
	for _, o := range req.Opts {
		switch {
		case etf.IsAtom(o, "link"):
			flags |= dist.SpawnLinked
			m.link(p.pid, req.From)
		case etf.IsAtom(o, "monitor"):
			flags |= dist.SpawnMonitored
			m.monitored(req.From, dist.ProcPid(p.pid), req.ReqID)
		}
	}
	c.write(dist.SpawnReply{ReqID: req.ReqID, To: req.From, Flags: flags, Pid: p.pid}, nil)
	if !m.peers.Go(func(context.Context) {
		defer cancel(nil)
		m.exit(p, body(ctx, p))
	}) {
		cancel(nil)
		m.exit(p, reasonKilled)
	}
}

// spawnBody runs a spawned process and returns its exit reason.
type spawnBody func(ctx context.Context, p *proc) etf.Term

// spawnable returns the body of a spawn request chatd serves, or nil.
func (m *Manager) spawnable(c *Conn, req dist.SpawnRequest, args []etf.Term) spawnBody {
	switch {
	case req.Module == "erpc" && req.Function == "execute_call" && len(args) == 4:
		return func(ctx context.Context, p *proc) etf.Term {
			mod, ok1 := args[1].(etf.Atom)
			fun, ok2 := args[2].(etf.Atom)
			a, ok3 := etf.Elems(args[3])
			if !ok1 || !ok2 || !ok3 {
				return etf.Tuple{args[0], etf.Atom("error"), etf.Atom("badarg"), etf.List{}}
			}
			v, reason := m.runMFA(ctx, c.peer, req.GroupLeader, mod, fun, a)
			if reason != nil {
				return etf.Tuple{args[0], etf.Atom("error"), reason, etf.List{}}
			}
			return etf.Tuple{args[0], etf.Atom("return"), v}
		}
	case req.Module == "erpc" && req.Function == "execute_cast" && len(args) == 3:
		// rpc:cast and erpc:cast: the same functions as a call, answered
		// to no one.
		return func(ctx context.Context, p *proc) etf.Term {
			mod, fun, a, ok := mfaOf(etf.Tuple(args))
			if !ok {
				return etf.Tuple{etf.Atom("badarg"), etf.List(args)}
			}
			if _, reason := m.runMFA(ctx, c.peer, req.GroupLeader, mod, fun, a); reason != nil {
				return reason
			}
			return reasonNormal
		}
	case req.Module == "erlang" && req.Function == "apply" && len(args) == 2:
		return m.shellFun(c, req, args)
	case m.allowed(req.Module, req.Function, len(args)):
		return func(ctx context.Context, p *proc) etf.Term {
			if _, reason := m.runMFA(ctx, c.peer, req.GroupLeader, req.Module, req.Function, args); reason != nil {
				return reason
			}
			return reasonNormal
		}
	}
	return nil
}

// allowed reports whether runMFA runs Module:Function/Arity.
func (m *Manager) allowed(mod, fun etf.Atom, arity int) bool {
	chat := elixirAtom(m.cfg.Chat.Module)
	switch {
	case mod == chat && fun == "receive_message" && arity == 1,
		mod == chat && fun == "receive_message_for_moebi" && arity == 2,
		mod == "Elixir.IO" && fun == "puts" && arity == 1,
		mod == "chatd":
		return true
	}
	return false
}

// shellFun is the body of erlang:apply(Fun, []) for a shell fun the
// evaluator can run safely (package shellfun), or nil: then the spawn is
// refused with notsup and the log says what was refused.
func (m *Manager) shellFun(c *Conn, req dist.SpawnRequest, args []etf.Term) spawnBody {
	fun, ok := args[0].(etf.Fun)
	if a, _ := etf.Elems(args[1]); !ok || len(a) != 0 {
		return nil
	}
	prog, err := shellfun.Parse(fun, shellfun.DefaultLimits())
	if err != nil {
		m.log.Warn("refused a shell fun from an Erlang node", "node", c.peer.String(), "err", err)
		return nil
	}
	return func(ctx context.Context, p *proc) etf.Term {
		env := &funEnv{m: m, p: p, gl: req.GroupLeader}
		if _, err := prog.Run(ctx, env); err != nil {
			if ex, ok := errors.AsType[*shellfun.Exit](err); ok {
				return ex.Signal()
			}
			return reasonKilled
		}
		return reasonNormal
	}
}

// funEnv is what a shell fun running on chatd sees: its pid, its
// mailbox, IO.puts toward its caller's group leader, and send.
type funEnv struct {
	m  *Manager
	p  *proc
	gl etf.Pid
}

// Self implements shellfun.Env.
func (e *funEnv) Self() etf.Pid { return e.p.pid }

// Node implements shellfun.Env.
func (e *funEnv) Node() etf.Atom { return e.m.procs.self }

// Puts implements shellfun.Env: IO.puts prints on the caller's terminal.
func (e *funEnv) Puts(ctx context.Context, line string) error {
	return e.m.putChars(ctx, e.gl, line)
}

// Send implements shellfun.Env: to a pid (here or remote), or to a
// registered name, as {Name, Node} or a bare name here.
func (e *funEnv) Send(_ context.Context, to etf.Term, msg etf.Term) error {
	switch t := to.(type) {
	case etf.Pid:
		if e.m.procs.ours(t) {
			e.m.deliver(e.p.pid, t, msg)
		} else {
			e.m.sendTo(e.p.pid, t, msg)
		}
		return nil
	case etf.Atom:
		e.m.deliverNamed(e.p.pid, t, msg)
		return nil
	case etf.Tuple:
		name, ok1 := t[0].(etf.Atom)
		node, ok2 := t[1].(etf.Atom)
		if len(t) == 2 && ok1 && ok2 {
			if node == e.m.procs.self {
				e.m.deliverNamed(e.p.pid, name, msg)
			} else {
				e.m.send(node, dist.RegSend{From: e.p.pid, To: name}, msg)
			}
			return nil
		}
	}
	return &shellfun.Exit{Class: shellfun.ClassError, Reason: etf.Atom("badarg")}
}

// Receive implements shellfun.Env: the next message in the mailbox.
func (e *funEnv) Receive(ctx context.Context) (etf.Term, error) {
	m, err := e.p.mailbox.Take(ctx)
	if err != nil {
		return nil, err
	}
	return m.msg, nil
}
