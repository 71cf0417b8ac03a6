package core

import (
	"context"
	"log/slog"
	"sync"

	"chatd/daemon/control"
	"chatd/daemon/proc"
	"chatd/wire"
)

// Spawn starts an unsupervised process running function on node, linked
// to this node's shell; its output comes back here, to the client while
// one follows it (not detach), else to the log.
func (c *Core) Spawn(ctx context.Context, node wire.NodeName, function string, args []string, detach bool) (control.Spawned, error) {
	if c.runsHere(node) {
		return c.spawnLocal(function, args, detach)
	}
	return c.spawnRemote(ctx, node, function, args, detach)
}

func (c *Core) spawnLocal(function string, args []string, detach bool) (control.Spawned, error) {
	f, err := c.lookupFunc(function, args)
	if err != nil {
		return control.Spawned{}, asCallError(c.cfg.Self, function, err)
	}
	var route *spawnRoute
	ready := make(chan struct{})
	p, err := c.cfg.Procs.Spawn(proc.Spec{
		Function: function, Args: args, LinkedTo: c.cfg.Procs.Shell().Pid(),
		Run: c.processBody(c.cfg.Self, f, args),
		Output: func(line string) {
			<-ready
			route.Line(line)
		},
	})
	if err != nil {
		return control.Spawned{}, err
	}
	route = c.newSpawnRoute(p.Pid(), !detach)
	close(ready)
	c.spawns.Add(1)
	go func() {
		defer c.spawns.Done()
		<-p.Done()
		route.Exit(p.Reason())
	}()
	return control.Spawned{Pid: p.Pid(), Events: route.events, Detach: route.detach}, nil
}

func (c *Core) spawnRemote(ctx context.Context, node wire.NodeName, function string, args []string, detach bool) (control.Spawned, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.AwaitTimeout)
	defer cancel()
	conn, err := c.conn(ctx, node)
	if err != nil {
		return control.Spawned{}, err
	}
	route := c.newSpawnRoute(wire.Pid{}, !detach)
	pid, err := conn.Spawn(ctx, wire.Spawn{LinkedTo: c.cfg.Procs.Shell().Pid(), Function: function, Args: args}, route)
	if err != nil {
		return control.Spawned{}, err
	}
	route.setPid(pid)
	return control.Spawned{Pid: pid, Events: route.events, Detach: route.detach}, nil
}

// spawnRoute carries a spawned process's output and exit to the client
// streaming it, or, once none is (detached, or the client went away), to
// the operational log marked with the pid. It is the peer.Output of a
// remote process; an abnormal exit also becomes an exit notice in the
// shell's mailbox (spawn_link's exit signal).
type spawnRoute struct {
	core     *Core
	log      *slog.Logger
	events   chan wire.SpawnEvent // read by the attached client
	detached chan struct{}        // closed when no client reads events
	once     sync.Once
	pidSet   chan struct{} // closed once pid is known
	pid      wire.Pid      // written before pidSet closes
}

func (c *Core) newSpawnRoute(pid wire.Pid, attached bool) *spawnRoute {
	r := &spawnRoute{core: c, log: c.log, events: make(chan wire.SpawnEvent, 64), detached: make(chan struct{}), pidSet: make(chan struct{})}
	if !pid.IsZero() {
		r.setPid(pid)
	}
	if !attached {
		r.detach()
	}
	return r
}

// setPid records the process's pid, once it is known.
func (r *spawnRoute) setPid(pid wire.Pid) {
	r.pid = pid
	close(r.pidSet)
}

// detach sends everything from now on to the log.
func (r *spawnRoute) detach() { r.once.Do(func() { close(r.detached) }) }

// emit hands ev to the attached client, or logs it.
func (r *spawnRoute) emit(ev wire.SpawnEvent) {
	<-r.pidSet // a remote process may print before its pid reached us
	ev.Pid = r.pid.String()
	select {
	case <-r.detached:
	default:
		select {
		case r.events <- ev:
			return
		case <-r.detached:
		case <-r.core.stopping:
		}
	}
	switch ev.Event {
	case wire.SpawnEventOutput:
		r.log.Info("process output", "pid", ev.Pid, "line", ev.Text)
	case wire.SpawnEventExit:
		r.log.Info("process exited", "pid", ev.Pid, "reason", ev.Reason)
	}
}

// Line implements peer.Output.
func (r *spawnRoute) Line(text string) {
	r.emit(wire.SpawnEvent{Event: wire.SpawnEventOutput, Text: text})
}

// Exit implements peer.Output: the process's end, to the route and, when
// abnormal, to the shell.
func (r *spawnRoute) Exit(reason string) {
	r.emit(wire.SpawnEvent{Event: wire.SpawnEventExit, Reason: reason})
	if reason != wire.ExitNormal {
		r.core.notifyShell(r.pid, reason)
	}
}
