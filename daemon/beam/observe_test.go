package beam

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/daemon/peer"
	"chatd/internal/testkit"
	"chatd/wire"
)

// recorder is a peer.Observer that keeps what it heard as lines.
type recorder struct {
	mu    sync.Mutex
	lines []string // guarded by mu
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func (r *recorder) Handshake(h peer.Handshake) {
	r.add("handshake %s %s %s %s", h.Protocol, h.Direction, h.Node, h.Result)
}
func (r *recorder) Up(info wire.LinkInfo) {
	r.add("up %s %s %s", info.Protocol, info.Direction, info.Node)
}
func (r *recorder) Down(d peer.Down) {
	r.add("down %s %s %s %s", d.Info.Protocol, d.Info.Direction, d.Info.Node, d.Reason)
}

// waitFor waits until the recorder heard line.
func (r *recorder) waitFor(t *testing.T, line string) {
	t.Helper()
	testkit.WaitFor(t, testkit.Wait, line, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return slices.Contains(r.lines, line)
	})
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.lines)
}

func observed(r *recorder) func(*Config) { return func(c *Config) { c.Observer = r } }

// TestObserverUpAndDown: an accepted BEAM connection is reported as a
// handshake, then up; kate closing it is a clean down, kate going silent
// a tick timeout.
func TestObserverUpAndDown(t *testing.T) {
	var r recorder
	n := startNode(t, observed(&r), func(c *Config) { c.TickTime = 400 * time.Millisecond })
	f := mustConnect(t, n)
	r.waitFor(t, "up erlang in kate@localhost")
	if got := r.all()[0]; got != "handshake erlang in kate@localhost ok" {
		t.Errorf("first heard %q, want the handshake", got)
	}
	f.nc.Close()
	r.waitFor(t, "down erlang in kate@localhost closed")

	mustConnect(t, n) // and then silent
	r.waitFor(t, "down erlang in kate@localhost tick_timeout")
}

// TestObserverWrongCookie: a peer whose digest does not verify is a
// handshake that failed with cookie_mismatch, naming the node it claimed;
// nothing comes up.
func TestObserverWrongCookie(t *testing.T) {
	var r recorder
	n := startNode(t, observed(&r))
	if _, err := connect(t, n, "not the cookie"); err == nil {
		t.Fatal("handshake with the wrong cookie succeeded")
	}
	r.waitFor(t, "handshake erlang in kate@localhost cookie_mismatch")
	for _, l := range r.all() {
		if strings.HasPrefix(l, "up") {
			t.Errorf("heard %q after a wrong cookie", l)
		}
	}
}
