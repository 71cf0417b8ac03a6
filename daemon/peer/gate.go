package peer

import (
	"context"
	"fmt"
	"sync"

	"chatd/wire"
)

// ErrStopping is returned to a peer whose call reaches a node that is
// stopping (see Gate.Close).
var ErrStopping = wire.NewError(wire.CodeUnavailable, "node is stopping")

// Gate is the Local that peers' calls reach the core through. It counts
// each peer's calls from their start until their result has been handed
// back (done has returned, so the link protocol has written it), so that a
// stopping node can close at once the links of peers it owes nothing and
// each other link as soon as its last result is out. Once closed, it
// refuses new calls with ErrStopping.
type Gate struct {
	Local
	changed chan struct{} // holds a token when a count dropped since the last Changed read

	mu     sync.Mutex
	closed bool                  // guarded by mu
	calls  map[wire.NodeName]int // calls in flight by caller; guarded by mu
}

// NewGate returns an open Gate in front of l.
func NewGate(l Local) *Gate {
	return &Gate{Local: l, changed: make(chan struct{}, 1), calls: make(map[wire.NodeName]int)}
}

// StartCall implements Local: it counts the call for caller until done
// has returned, or refuses it once the gate is closed.
func (g *Gate) StartCall(ctx context.Context, caller wire.NodeName, c wire.Call, done func(string, error)) (func(), error) {
	if err := g.admit(caller); err != nil {
		return nil, err
	}
	cancel, err := g.Local.StartCall(ctx, caller, c, func(v string, err error) {
		done(v, err)
		g.release(caller)
	})
	if err != nil {
		g.release(caller)
	}
	return cancel, err
}

// RunCall implements Local: it counts the call for caller while it runs,
// or refuses it once the gate is closed.
func (g *Gate) RunCall(ctx context.Context, caller wire.NodeName, c wire.Call) (string, error) {
	if err := g.admit(caller); err != nil {
		return "", err
	}
	defer g.release(caller)
	return g.Local.RunCall(ctx, caller, c)
}

// admit counts one more call of caller's, or refuses it once the gate is
// closed.
func (g *Gate) admit(caller wire.NodeName) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return fmt.Errorf("%w: it starts no more tasks", ErrStopping)
	}
	g.calls[caller]++
	return nil
}

// release ends one of caller's calls.
func (g *Gate) release(caller wire.NodeName) {
	g.mu.Lock()
	if g.calls[caller]--; g.calls[caller] <= 0 {
		delete(g.calls, caller)
	}
	g.mu.Unlock()
	select {
	case g.changed <- struct{}{}:
	default: // a token is waiting already
	}
}

// Close refuses peers' calls from now on; the calls in flight go on.
func (g *Gate) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// Owed reports whether a call of caller's is in flight: its result has
// not been handed back yet.
func (g *Gate) Owed(caller wire.NodeName) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[caller] > 0
}

// Changed receives a token after a call ended; one token may stand for
// several.
func (g *Gate) Changed() <-chan struct{} { return g.changed }
