package beam

import (
	"chatd/wire/dist"
	"chatd/wire/etf"
)

// Exit reasons the BEAM knows.
const (
	reasonNormal       etf.Atom = "normal"
	reasonNoproc       etf.Atom = "noproc"
	reasonNoconnection etf.Atom = "noconnection"
	reasonKilled       etf.Atom = "killed"
	reasonTimeout      etf.Atom = "timeout"
	reasonSystemLimit  etf.Atom = "system_limit" // a bound of chatd's was reached
)

// isNormal reports whether reason is normal: such an exit signal kills no
// one (BEAM.md §4.5: the BEAM sends EXIT normal for every link).
func isNormal(reason etf.Term) bool { return etf.IsAtom(reason, reasonNormal) }

// send writes a control message to the node of a remote process; it is
// dropped when there is no connection (as the BEAM drops a signal to a
// node it is not connected to).
func (m *Manager) send(node etf.Atom, c dist.Control, msg etf.Term) {
	if conn := m.liveAtom(node); conn != nil {
		conn.write(c, msg)
	}
}

// sendTo sends msg to the remote process to, from from.
func (m *Manager) sendTo(from, to etf.Pid, msg etf.Term) {
	m.send(to.Node, dist.SendSender{From: from, To: to}, msg)
}

// reply answers a gen_server-style call: to the alias when the caller's tag
// is [alias | Ref] (or a bare alias), else to the caller's pid (gen:reply).
func (m *Manager) reply(from etf.Pid, caller etf.Pid, tag etf.Term, value etf.Term) {
	msg := etf.Tuple{tag, value}
	if l, ok := tag.(etf.ImproperList); ok && len(l.Elems) == 1 && etf.IsAtom(l.Elems[0], "alias") {
		if r, ok := l.Tail.(etf.Ref); ok {
			m.send(r.Node, dist.AliasSend{From: from, Alias: r}, msg)
			return
		}
	}
	m.sendTo(from, caller, msg)
}

// replyTo sends value to where a task's result goes: an alias reference
// (ALIAS_SEND) or a pid.
func (m *Manager) replyTo(from etf.Pid, to etf.Term, msg etf.Term) {
	switch t := to.(type) {
	case etf.Ref:
		m.send(t.Node, dist.AliasSend{From: from, Alias: t}, msg)
	case etf.Pid:
		m.sendTo(from, t, msg)
	}
}

// link records a link between the local process p and the remote process
// remote; a dead p answers with an exit noproc, as the BEAM does.
func (m *Manager) link(pid etf.Pid, remote etf.Pid) {
	t := m.procs
	t.mu.Lock()
	p := t.procs[pid]
	reason := reasonNoproc
	if p != nil && p.links.len() >= maxSignals {
		p, reason = nil, reasonSystemLimit
	}
	if p != nil {
		p.links.set(remote, struct{}{})
	}
	t.mu.Unlock()
	if p == nil {
		m.send(remote.Node, dist.Exit{From: pid, To: remote, Reason: reason}, nil)
	}
}

// unlink removes a link.
func (m *Manager) unlink(pid etf.Pid, remote etf.Pid) {
	t := m.procs
	t.mu.Lock()
	if p := t.procs[pid]; p != nil {
		p.links.del(remote)
	}
	t.mu.Unlock()
}

// monitored records a remote process's monitor of the local process to
// (a pid, or a registered name); an unknown target answers DOWN noproc at
// once (BEAM.md §4.4: else the monitoring call hangs forever).
func (m *Manager) monitored(watcher etf.Pid, to dist.Proc, ref etf.Ref) {
	t := m.procs
	t.mu.Lock()
	var p *proc
	if to.IsName() {
		p = t.names[to.Name]
	} else {
		p = t.procs[to.Pid]
	}
	reason := reasonNoproc
	if p != nil && p.monitors.len() >= maxSignals {
		p, reason = nil, reasonSystemLimit
	}
	if p != nil {
		p.monitors.set(ref, monitor{watcher: watcher, byName: to.Name})
	}
	t.mu.Unlock()
	if p == nil && (to.IsName() || t.ours(to.Pid)) {
		m.send(watcher.Node, dist.MonitorPExit{From: to, To: watcher, Ref: ref, Reason: reason}, nil)
	}
}

// demonitored drops a remote process's monitor.
func (m *Manager) demonitored(to dist.Proc, ref etf.Ref) {
	t := m.procs
	t.mu.Lock()
	defer t.mu.Unlock()
	var p *proc
	if to.IsName() {
		p = t.names[to.Name]
	} else {
		p = t.procs[to.Pid]
	}
	if p != nil {
		p.monitors.del(ref)
	}
}

// watch makes the local process p monitor the remote process target
// (MONITOR_P); down is called once with the reason. It returns the
// monitor's reference.
func (m *Manager) watch(p *proc, target dist.Proc, node etf.Atom, down func(etf.Ref, etf.Term)) etf.Ref {
	ref := m.procs.newRef()
	t := m.procs
	t.mu.Lock()
	dead := p.dead
	if !dead {
		p.watching.set(ref, &watch{target: target, node: node, down: down})
		t.watches[ref] = p
	}
	t.mu.Unlock()
	if dead {
		return ref
	}
	if m.liveAtom(node) == nil {
		m.fireDown(ref, reasonNoconnection)
		return ref
	}
	m.send(node, dist.MonitorP{From: p.pid, To: target, Ref: ref}, nil)
	return ref
}

// unwatch drops a monitor p holds (DEMONITOR_P) without firing it.
func (m *Manager) unwatch(p *proc, ref etf.Ref, node etf.Atom) {
	t := m.procs
	t.mu.Lock()
	w, _ := p.watching.take(ref)
	delete(t.watches, ref)
	t.mu.Unlock()
	if w != nil {
		m.send(node, dist.DemonitorP{From: p.pid, To: w.target, Ref: ref}, nil)
	}
}

// fireDown delivers a DOWN to the local process holding monitor ref; a
// DOWN for a monitor just dropped is ignored (BEAM.md §4.2: both orders
// happen).
func (m *Manager) fireDown(ref etf.Ref, reason etf.Term) {
	t := m.procs
	t.mu.Lock()
	p := t.watches[ref]
	var w *watch
	if p != nil {
		w, _ = p.watching.take(ref)
		delete(t.watches, ref)
	}
	t.mu.Unlock()
	if w != nil {
		w.down(ref, reason)
	}
}

// exitSignal delivers an exit signal from remote to the local process pid:
// the link goes, and any reason but normal kills it.
func (m *Manager) exitSignal(pid etf.Pid, remote etf.Pid, reason etf.Term, linked bool) {
	t := m.procs
	t.mu.Lock()
	p := t.procs[pid]
	if p != nil && linked {
		p.links.del(remote)
	}
	t.mu.Unlock()
	if p == nil || (isNormal(reason) && !p.trap) {
		return
	}
	if p.kill != nil {
		p.kill(reason)
		return
	}
	m.exit(p, reason)
}

// exit ends the local process p with reason: EXIT to each linked process,
// DOWN to each monitor, its monitors dropped, its name and aliases freed.
// It is idempotent.
func (m *Manager) exit(p *proc, reason etf.Term) {
	t := m.procs
	t.mu.Lock()
	if p.dead {
		t.mu.Unlock()
		return
	}
	p.dead, p.reason = true, reason
	delete(t.procs, p.pid)
	if p.name != "" && t.names[p.name] == p {
		delete(t.names, p.name)
	}
	for r := range p.aliases.all() {
		delete(t.aliases, r)
	}
	links, monitors, watching := p.links, p.monitors, p.watching
	p.links, p.monitors, p.watching = small[etf.Pid, struct{}]{}, small[etf.Ref, monitor]{}, small[etf.Ref, *watch]{}
	for r := range watching.all() {
		delete(t.watches, r)
	}
	t.mu.Unlock()
	close(p.done)
	for remote := range links.all() {
		m.send(remote.Node, dist.Exit{From: p.pid, To: remote, Reason: reason}, nil)
	}
	for ref, mon := range monitors.all() {
		from := dist.ProcPid(p.pid)
		if mon.byName != "" {
			from = dist.ProcName(mon.byName)
		}
		m.send(mon.watcher.Node, dist.MonitorPExit{From: from, To: mon.watcher, Ref: ref, Reason: reason}, nil)
	}
	for ref, w := range watching.all() {
		m.send(w.node, dist.DemonitorP{From: p.pid, To: w.target, Ref: ref}, nil)
	}
}

// nodeDown fires noconnection at everything across the connection to node
// (BEAM.md §2.3): exit signals for the links, DOWNs for the monitors local
// processes hold, and the monitors that node's processes held are dropped.
func (m *Manager) nodeDown(node etf.Atom) {
	t := m.procs
	type hit struct {
		p      *proc
		remote etf.Pid
	}
	var linked []hit
	var downs []etf.Ref
	t.mu.Lock()
	for _, p := range t.procs {
		for remote := range p.links.all() {
			if remote.Node == node {
				p.links.del(remote)
				linked = append(linked, hit{p, remote})
			}
		}
		for ref, mon := range p.monitors.all() {
			if mon.watcher.Node == node {
				p.monitors.del(ref)
			}
		}
		for ref, w := range p.watching.all() {
			if w.node == node {
				downs = append(downs, ref)
			}
		}
	}
	t.mu.Unlock()
	for _, ref := range downs {
		m.fireDown(ref, reasonNoconnection)
	}
	for _, h := range linked {
		m.exitSignal(h.p.pid, h.remote, reasonNoconnection, false)
	}
}
