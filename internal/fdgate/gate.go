// Package fdgate is a node's descriptor gate: it lets one party create a
// file descriptor while no other part of the process can.
//
// A process out of descriptors (EMFILE) gets one back only when it closes
// one, and the kernel hands the freed number to whichever thread asks
// first. The control socket keeps a spare descriptor so that it can still
// accept its operator: it closes the spare and accepts at once. Without a
// gate another accept loop or a dial may ask in between and take the
// freed descriptor, and the operator's connection waits for as long as
// the flood lasts. With a gate every descriptor-creating operation of the
// node holds it shared for the duration of the syscalls that create the
// descriptor (Shared, DialContext, Listen, the Listener's Accept), while
// the control socket's release-accept-refill holds it exclusively
// (Exclusive): nobody can create a descriptor in between, whatever the
// timing.
//
// An accept loop blocked in Accept holds the gate shared while it waits.
// Exclusive wakes every Listener of the gate by moving its deadline to the
// past, and they wait until it is done. A dial holds the gate from its
// start (name resolution included: the resolver opens files and sockets)
// until its socket exists, not while it connects.
//
// Two things stay outside, and are the known holes in the guarantee:
//
//   - journald (logs under systemd, received messages): go-systemd's
//     journal.Send opens its datagram socket at the first record (at
//     start, unless the log level silences every record until later),
//     and a temporary file in /dev/shm for a record the socket refuses as
//     too large (EMSGSIZE) or for want of buffers (ENOBUFS). A send can
//     block on a slow journald, and holding the gate through it would
//     stall every other part of the node; closing these holes needs a
//     sender of chatd's own that opens its socket at start and its file
//     through the gate without blocking.
//   - a CPU profile (GET /debug/pprof/profile, the operator's): its
//     start reads /proc/self/maps and the mapped binaries in
//     runtime/pprof's own goroutine. Named profiles are written through
//     the gate.
//
// A nil *Gate is valid and coordinates nothing: everything runs at once.
package fdgate

import (
	"sync"
	"sync/atomic"
	"time"
)

// Gate serialises the creation of descriptors against an exclusive
// section. The zero value is not ready; use New.
type Gate struct {
	// mu is held shared while a descriptor is being created, and
	// exclusively by Exclusive.
	mu sync.RWMutex
	// xmu is held for the whole of an Exclusive, so that a Listener it
	// woke waits on it instead of spinning on its past deadline.
	xmu sync.Mutex

	// waiting counts the operations held off by an Exclusive now (tests
	// wait on it to know that a rival has reached the gate).
	waiting atomic.Int32

	lmu       sync.Mutex
	listeners map[*Listener]struct{} // guarded by lmu; open Listeners
	wake      time.Time              // guarded by lmu; the deadline new Listeners get
}

// New returns a gate with nothing registered.
func New() *Gate {
	return &Gate{listeners: make(map[*Listener]struct{})}
}

// Shared runs create, which may create descriptors (open a file, a socket,
// read a /proc file), while no Exclusive runs. create must not call the
// gate again.
func (g *Gate) Shared(create func()) {
	if g == nil {
		create()
		return
	}
	g.rlock()
	defer g.mu.RUnlock()
	create()
}

// rlock takes mu shared, counting the wait when an Exclusive holds it off.
func (g *Gate) rlock() {
	if g.mu.TryRLock() {
		return
	}
	g.waiting.Add(1)
	defer g.waiting.Add(-1)
	g.mu.RLock()
}

// Exclusive runs fn while no other operation through the gate creates a
// descriptor: it waits for the Shared sections under way, wakes the
// Listeners blocked in Accept, and holds every new one off until fn
// returns. fn must be quick and must not call the gate again.
func (g *Gate) Exclusive(fn func()) {
	if g == nil {
		fn()
		return
	}
	g.xmu.Lock()
	defer g.xmu.Unlock()
	g.wakeListeners(time.Unix(1, 0))
	g.mu.Lock()
	defer g.mu.Unlock()
	// No Accept is under way now: take the wake-up back before any starts.
	g.wakeListeners(time.Time{})
	fn()
}

// awaitExclusive returns once no Exclusive is under way.
func (g *Gate) awaitExclusive() {
	if !g.xmu.TryLock() {
		g.waiting.Add(1)
		defer g.waiting.Add(-1)
		g.xmu.Lock()
	}
	defer g.xmu.Unlock()
}

// wakeListeners sets the deadline of every open Listener, and of those
// opened until the next call: a past one wakes an Accept, the zero time
// clears it.
func (g *Gate) wakeListeners(deadline time.Time) {
	g.lmu.Lock()
	defer g.lmu.Unlock()
	g.wake = deadline
	for l := range g.listeners {
		_ = l.ln.SetDeadline(deadline) // fails only once closed
	}
}

// register adds l to the Listeners Exclusive wakes.
func (g *Gate) register(l *Listener) {
	g.lmu.Lock()
	defer g.lmu.Unlock()
	g.listeners[l] = struct{}{}
	if !g.wake.IsZero() { // an Exclusive is waking the others
		_ = l.ln.SetDeadline(g.wake)
	}
}

// unregister removes l.
func (g *Gate) unregister(l *Listener) {
	g.lmu.Lock()
	defer g.lmu.Unlock()
	delete(g.listeners, l)
}
