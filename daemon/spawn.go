package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"chatd/config"
	"chatd/daemon/control"
	"chatd/daemon/link"
	"chatd/daemon/proc"
	"chatd/daemon/rpc"
	"chatd/wire"
)

// spawnRoute carries a spawned process's output and exit to the client
// streaming it, or, once none is (detached, or the client went away), to
// the operational log marked with the pid.
type spawnRoute struct {
	pid      wire.Pid
	log      *slog.Logger
	events   chan wire.SpawnEvent // read by the attached client
	detached chan struct{}        // closed when no client reads events
	stopping <-chan struct{}      // closed when the node shuts down
	once     sync.Once
}

func newSpawnRoute(pid wire.Pid, attached bool, log *slog.Logger, stopping <-chan struct{}) *spawnRoute {
	r := &spawnRoute{pid: pid, log: log, events: make(chan wire.SpawnEvent, 64), detached: make(chan struct{}), stopping: stopping}
	if !attached {
		r.detach()
	}
	return r
}

// detach sends everything from now on to the log.
func (r *spawnRoute) detach() { r.once.Do(func() { close(r.detached) }) }

// emit hands ev to the attached client, or logs it.
func (r *spawnRoute) emit(ev wire.SpawnEvent) {
	select {
	case <-r.detached:
	default:
		select {
		case r.events <- ev:
			return
		case <-r.detached:
		case <-r.stopping:
		}
	}
	switch ev.Event {
	case wire.SpawnEventOutput:
		r.log.Info("process output", "pid", r.pid.String(), "line", ev.Text)
	case wire.SpawnEventExit:
		r.log.Info("process exited", "pid", r.pid.String(), "reason", ev.Reason)
	}
}

func (r *spawnRoute) output(line string) {
	r.emit(wire.SpawnEvent{Event: wire.SpawnEventOutput, Pid: r.pid.String(), Text: line})
}

func (r *spawnRoute) exit(reason string) {
	r.emit(wire.SpawnEvent{Event: wire.SpawnEventExit, Pid: r.pid.String(), Reason: reason})
}

// Spawn starts an unsupervised process running function on node, linked
// to this node's shell; its output comes back here.
func (n *Node) Spawn(ctx context.Context, node wire.NodeName, function string, args []string, detach bool) (control.Spawned, error) {
	if node == n.self || n.cfg.Tasks.Placement == config.PlacementLocal {
		return n.spawnLocal(function, args, detach)
	}
	return n.spawnRemote(ctx, node, function, args, detach)
}

func (n *Node) spawnLocal(function string, args []string, detach bool) (control.Spawned, error) {
	f, status, err := n.lookupFunc(function, args)
	if err != nil {
		return control.Spawned{}, &rpc.CallError{Node: n.self, Function: function, Status: status, Message: err.Error()}
	}
	var route *spawnRoute
	ready := make(chan struct{})
	p, err := n.procs.Spawn(proc.Spec{
		Function: function, Args: args, LinkedTo: n.procs.Shell().Pid(),
		Run: n.processBody(n.self, f, args),
		Output: func(line string) {
			<-ready
			route.output(line)
		},
	})
	if err != nil {
		return control.Spawned{}, err
	}
	route = newSpawnRoute(p.Pid(), !detach, n.log, n.stopping)
	close(ready)
	n.spawns.Add(1)
	go func() {
		defer n.spawns.Done()
		<-p.Done()
		n.exited(route, p.Reason())
	}()
	return control.Spawned{Pid: p.Pid(), Events: route.events, Detach: route.detach}, nil
}

// exited reports a linked process's end: to its route, and to the shell
// when it was abnormal (spawn_link's exit signal).
func (n *Node) exited(route *spawnRoute, reason string) {
	route.exit(reason)
	if reason != wire.ExitNormal {
		n.notifyShell(route.pid, reason)
	}
}

func (n *Node) spawnRemote(ctx context.Context, node wire.NodeName, function string, args []string, detach bool) (control.Spawned, error) {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.Tasks.AwaitTimeout.D())
	defer cancel()
	l, err := n.links.Link(ctx, node)
	if err != nil {
		return control.Spawned{}, err
	}
	s, err := l.OpenStream(ctx, wire.KindSpawn)
	if err != nil {
		return control.Spawned{}, &link.ConnectError{Node: node, Err: err}
	}
	fr := wire.NewFrameReader(s, n.cfg.Link.MaxFrame)
	pid, err := requestSpawn(ctx, s, fr, node, wire.Spawn{LinkedTo: n.procs.Shell().Pid(), Function: function, Args: args})
	if err != nil {
		_ = s.Close()
		return control.Spawned{}, err
	}
	route := newSpawnRoute(pid, !detach, n.log, n.stopping)
	n.spawns.Add(1)
	go func() {
		defer n.spawns.Done()
		defer s.Close()
		n.exited(route, followSpawn(fr, route))
	}()
	return control.Spawned{Pid: pid, Events: route.events, Detach: route.detach}, nil
}

// requestSpawn sends the spawn and reads the pid (or the refusal).
func requestSpawn(ctx context.Context, s net.Conn, fr *wire.FrameReader, node wire.NodeName, sp wire.Spawn) (wire.Pid, error) {
	stop := context.AfterFunc(ctx, func() { _ = s.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := wire.WriteFrame(s, wire.FrameSpawn, wire.AppendSpawn(nil, sp)); err != nil {
		return wire.Pid{}, &link.ConnectError{Node: node, Err: link.ErrLinkDown}
	}
	f, err := fr.ReadFrame()
	if err != nil {
		if ctx.Err() != nil {
			return wire.Pid{}, &rpc.CallError{Node: node, Function: sp.Function, Status: wire.ResultTimeout, Message: "spawn timed out"}
		}
		return wire.Pid{}, &link.ConnectError{Node: node, Err: link.ErrLinkDown}
	}
	switch f.Type {
	case wire.FrameSpawned:
		return wire.ParsePidPayload(f.Payload)
	case wire.FrameError:
		code, text, _ := wire.ParseError(f)
		return wire.Pid{}, &rpc.CallError{Node: node, Function: sp.Function, Status: statusOfCode(code), Message: text}
	}
	return wire.Pid{}, fmt.Errorf("spawn on %s: %w: got %s", node, link.ErrProtocol, f.Type)
}

// followSpawn relays a remote process's output until its exit, returning
// the exit reason; a stream that ends first means the node went away.
func followSpawn(fr *wire.FrameReader, route *spawnRoute) string {
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return wire.ExitNoConnection
		}
		switch f.Type {
		case wire.FrameOutput:
			route.output(string(f.Payload))
		case wire.FrameExit:
			return string(f.Payload)
		default:
			return wire.ExitNoConnection
		}
	}
}

// statusOfCode maps a spawn refusal's error code back to a result status.
func statusOfCode(code wire.ErrorCode) wire.ResultStatus {
	switch code {
	case wire.CodeNotFound:
		return wire.ResultUnknownFunction
	case wire.CodeBadRequest:
		return wire.ResultBadRequest
	case wire.CodeOverloaded:
		return wire.ResultOverloaded
	case wire.CodeUnavailable:
		return wire.ResultUnavailable
	}
	return wire.ResultFailed
}

// serveSpawn is the KindSpawn stream handler: it starts the process, then
// relays its output and exit to the caller. The stream is the link between
// the process and the caller's shell: when it ends, the process is killed.
func (n *Node) serveSpawn(_ context.Context, l *link.Link, s net.Conn, fr *wire.FrameReader) {
	f, err := fr.ReadFrame()
	if err != nil {
		return
	}
	sp, err := wire.ParseSpawn(f.Payload)
	if err != nil || f.Type != wire.FrameSpawn {
		_ = wire.WriteFrame(s, wire.FrameError, wire.ErrorPayload(wire.CodeBadRequest, fmt.Sprintf("bad spawn: %v", err)))
		return
	}
	fn, status, err := n.lookupFunc(sp.Function, sp.Args)
	if err != nil {
		_ = wire.WriteFrame(s, wire.FrameError, wire.ErrorPayload(codeOfStatus(status), err.Error()))
		return
	}
	lines := make(chan string)
	quit := make(chan struct{})
	p, err := n.procs.Spawn(proc.Spec{
		Function: sp.Function, Args: sp.Args, LinkedTo: sp.LinkedTo,
		Run: n.processBody(l.Peer(), fn, sp.Args),
		Output: func(line string) {
			select {
			case lines <- line:
			case <-quit:
			}
		},
	})
	if err != nil {
		code := wire.CodeOverloaded
		if errors.Is(err, proc.ErrShutdown) {
			code = wire.CodeUnavailable
		}
		_ = wire.WriteFrame(s, wire.FrameError, wire.ErrorPayload(code, err.Error()))
		return
	}
	defer close(quit)
	if err := wire.WriteFrame(s, wire.FrameSpawned, wire.AppendPidPayload(nil, p.Pid())); err != nil {
		p.Kill(wire.ExitNoConnection)
	}
	callerGone := make(chan struct{})
	go func() { // the caller's side of the link: its end kills the process
		defer close(callerGone)
		for {
			if _, err := fr.ReadFrame(); err != nil {
				p.Kill(wire.ExitNoConnection)
				return
			}
		}
	}()
	relay(s, lines, p)
	_ = wire.WriteFrame(s, wire.FrameExit, []byte(p.Reason()))
	_ = s.SetReadDeadline(time.Now().Add(n.cfg.Link.HandshakeTimeout.D()))
	<-callerGone
}

// relay writes the process's output lines until it ends.
func relay(s net.Conn, lines <-chan string, p *proc.Process) {
	for {
		select {
		case line := <-lines:
			if err := wire.WriteFrame(s, wire.FrameOutput, []byte(line)); err != nil {
				p.Kill(wire.ExitNoConnection)
			}
		case <-p.Done():
			return
		}
	}
}

func codeOfStatus(s wire.ResultStatus) wire.ErrorCode {
	switch s {
	case wire.ResultUnknownFunction:
		return wire.CodeNotFound
	case wire.ResultBadRequest:
		return wire.CodeBadRequest
	}
	return wire.CodeInternal
}
