package beam

import (
	"chatd/internal/fifo"
	"crypto/rand"
	"encoding/binary"
	"sync"

	"chatd/wire"
	"chatd/wire/dist"
	"chatd/wire/etf"
)

// A chatd process as the BEAM sees it: a pid that can be linked to and
// monitored, that receives messages (by pid, by its registered name, by its
// aliases) and that, when it ends, exits toward every link and monitor. The
// caller of a remote call, the tasks and supervisor a BEAM node calls, the
// group leader of a remote spawn and the processes a BEAM node spawns here
// are such processes. The processes of chatd's own core (the shell, spawned
// builtins) are not: messages to them go to the core.
type proc struct {
	pid  etf.Pid
	name etf.Atom // registered name, "" for none

	// recv takes a message sent to the process (from is the sender when
	// known, else the zero pid). It runs on a connection's reader: it must
	// not block.
	recv func(from etf.Pid, msg etf.Term)
	// kill takes an exit signal that ends the process (any reason but
	// normal; with trap, every exit signal, normal included); the process
	// must then exit. It must not block. nil: the process exits with the
	// signal's reason at once.
	kill func(reason etf.Term)
	// trap makes every exit signal go to kill, as trap_exit does.
	trap bool
	// mailbox holds what was sent to a process made by spawnWithMailbox.
	mailbox *fifo.Queue[envelope]

	// Guarded by table.mu.
	links    small[etf.Pid, struct{}] // the remote processes linked to this one
	monitors small[etf.Ref, monitor]  // remote processes monitoring this one
	watching small[etf.Ref, *watch]   // this process's monitors of remote processes
	aliases  small[etf.Ref, struct{}] // its aliases
	dead     bool                     // it has exited; signals to it are noproc
	reason   etf.Term                 // why, once dead
	done     chan struct{}            // closed when it has exited
}

// monitor is a remote process's monitor of a local one.
type monitor struct {
	watcher etf.Pid
	byName  etf.Atom // the name it was monitored by, "" for by pid
}

// watch is a local process's monitor of a remote one; down is called once,
// with the reason, when the monitored process ends or its node goes away.
type watch struct {
	target dist.Proc
	node   etf.Atom                           // the node of the monitored process
	down   func(ref etf.Ref, reason etf.Term) // gets the monitor's ref: it may fire before watch returns it
}

// table holds a node's processes that BEAM nodes can see. One mutex guards
// every process's links, monitors and aliases.
type table struct {
	self     etf.Atom
	creation uint32

	mu      sync.Mutex
	next    uint64             // the next pid number
	procs   map[etf.Pid]*proc  // guarded by mu
	names   map[etf.Atom]*proc // guarded by mu
	aliases map[etf.Ref]*proc  // guarded by mu
	watches map[etf.Ref]*proc  // guarded by mu: the local process behind each monitor it holds
}

func newTable(self wire.NodeName, creation uint32) *table {
	return &table{
		self: etf.Atom(self.String()), creation: creation,
		procs: make(map[etf.Pid]*proc), names: make(map[etf.Atom]*proc),
		aliases: make(map[etf.Ref]*proc), watches: make(map[etf.Ref]*proc),
	}
}

// Bounds on what BEAM peers can make chatd keep: processes (tasks,
// spawned processes, callers), and links and monitors per process.
const (
	maxProcs   = 10000
	maxSignals = 10000
)

// full reports whether the table holds maxProcs processes: a peer's
// request for another is refused.
func (t *table) full() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.procs) >= maxProcs
}

// pidSerialBase marks the pids of this package: their serial is at least
// 1, while the pids of the core's processes (wire.Pid IDs below 2^32) have
// serial 0, so the two never collide.
const pidSerialBase = 1

// spawn registers a new process; name, if set, must be free.
func (t *table) spawn(name etf.Atom, recv func(etf.Pid, etf.Term), kill func(etf.Term)) *proc {
	return t.start(name, recv, kill, false)
}

// spawnTrapping registers a process that traps exits: every exit signal,
// normal ones included, goes to onSignal.
func (t *table) spawnTrapping(recv func(etf.Pid, etf.Term), onSignal func(etf.Term)) *proc {
	return t.start("", recv, onSignal, true)
}

// mailboxLen bounds a mailbox; beyond it messages are dropped.
const mailboxLen = 1024

// spawnWithMailbox registers a process whose messages queue in its
// mailbox (bounded: beyond mailboxLen they are dropped).
func (t *table) spawnWithMailbox(kill func(etf.Term)) *proc {
	box := fifo.New[envelope](mailboxLen)
	p := t.start("", func(from etf.Pid, msg etf.Term) { box.Put(envelope{from, msg}) }, kill, false)
	p.mailbox = box
	return p
}

func (t *table) start(name etf.Atom, recv func(etf.Pid, etf.Term), kill func(etf.Term), trap bool) *proc {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.next
	t.next++
	p := &proc{
		pid:  etf.Pid{Node: t.self, ID: uint32(n & 0x7fff), Serial: pidSerialBase + uint32(n>>15), Creation: t.creation},
		name: name, recv: recv, kill: kill, trap: trap,
		done: make(chan struct{}),
	}
	t.procs[p.pid] = p
	if name != "" {
		t.names[name] = p
	}
	return p
}

// newRef returns a fresh reference of this node.
func (t *table) newRef() etf.Ref {
	var b [12]byte
	_, _ = rand.Read(b[:])
	r, _ := etf.NewRef(t.self, t.creation,
		binary.BigEndian.Uint32(b[0:])&0x3ffff, binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:]))
	return r
}

// alias makes r an alias of p, unless p is dead: a message to r reaches p
// until unalias(r).
func (t *table) alias(p *proc, r etf.Ref) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !p.dead {
		p.aliases.set(r, struct{}{})
		t.aliases[r] = p
	}
}

// unalias removes an alias.
func (t *table) unalias(r etf.Ref) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.aliases[r]; p != nil {
		p.aliases.del(r)
		delete(t.aliases, r)
	}
}

// lookup finds a live process by pid.
func (t *table) lookup(pid etf.Pid) *proc {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.procs[pid]
}

// byName finds a live process by its registered name.
func (t *table) byName(name etf.Atom) *proc {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.names[name]
}

// byAlias finds the live process behind an alias.
func (t *table) byAlias(r etf.Ref) *proc {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.aliases[r]
}

// ours reports whether pid names a process of this node (this package's
// or the core's).
func (t *table) ours(pid etf.Pid) bool { return pid.Node == t.self }

// count is the number of live processes (for tests and status).
func (t *table) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.procs)
}

// toWire is pid as a chatd pid: the serial becomes the high half of ID.
func toWire(pid etf.Pid) (wire.Pid, bool) {
	node, err := wire.ParseNodeName(string(pid.Node), "")
	if err != nil {
		return wire.Pid{}, false
	}
	return wire.Pid{Node: node, ID: uint64(pid.Serial)<<32 | uint64(pid.ID), Creation: pid.Creation}, true
}

// fromWire is a chatd pid as the BEAM sees it.
func fromWire(pid wire.Pid) etf.Pid {
	return etf.Pid{Node: etf.Atom(pid.Node.String()), ID: uint32(pid.ID), Serial: uint32(pid.ID >> 32), Creation: pid.Creation}
}
