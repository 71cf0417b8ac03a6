// Package peertest holds test helpers for link protocols: an Observer
// that records what a protocol reported.
package peertest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"chatd/daemon/peer"
	"chatd/internal/testkit"
	"chatd/wire"
)

// Recorder is a peer.Observer that keeps what it heard as lines:
// "handshake PROTOCOL DIRECTION NODE RESULT", "up PROTOCOL DIRECTION NODE"
// and "down PROTOCOL DIRECTION NODE REASON".
type Recorder struct {
	mu    sync.Mutex
	lines []string // guarded by mu
}

var _ peer.Observer = (*Recorder)(nil)

func (r *Recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

// Handshake implements peer.Observer.
func (r *Recorder) Handshake(h peer.Handshake) {
	r.add("handshake %s %s %s %s", h.Protocol, h.Direction, h.Node, h.Result)
}

// Up implements peer.Observer.
func (r *Recorder) Up(info wire.LinkInfo) {
	r.add("up %s %s %s", info.Protocol, info.Direction, info.Node)
}

// Down implements peer.Observer.
func (r *Recorder) Down(d peer.Down) {
	r.add("down %s %s %s %s", d.Info.Protocol, d.Info.Direction, d.Info.Node, d.Reason)
}

// WaitFor waits until the recorder heard line, failing the test after
// testkit.Wait.
func (r *Recorder) WaitFor(t testing.TB, line string) {
	t.Helper()
	testkit.WaitFor(t, testkit.Wait, line, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return slices.Contains(r.lines, line)
	})
}

// All returns what the recorder heard, in order.
func (r *Recorder) All() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.lines)
}
