package beam

import (
	"chatd/internal/peertest"
	"strings"
	"testing"
	"time"
)

func observed(r *peertest.Recorder) func(*Config) { return func(c *Config) { c.Observer = r } }

// TestObserverUpAndDown: an accepted BEAM connection is reported as a
// handshake, then up; kate closing it is a clean down, kate going silent
// a tick timeout.
func TestObserverUpAndDown(t *testing.T) {
	var r peertest.Recorder
	n := startNode(t, observed(&r), func(c *Config) { c.TickTime = 400 * time.Millisecond })
	f := mustConnect(t, n)
	r.WaitFor(t, "up erlang in kate@localhost")
	if got := r.All()[0]; got != "handshake erlang in kate@localhost ok" {
		t.Errorf("first heard %q, want the handshake", got)
	}
	f.nc.Close()
	r.WaitFor(t, "down erlang in kate@localhost closed")

	mustConnect(t, n) // and then silent
	r.WaitFor(t, "down erlang in kate@localhost tick_timeout")
}

// TestObserverWrongCookie: a peer whose digest does not verify is a
// handshake that failed with cookie_mismatch, naming the node it claimed;
// nothing comes up.
func TestObserverWrongCookie(t *testing.T) {
	var r peertest.Recorder
	n := startNode(t, observed(&r))
	if _, err := connect(t, n, "not the cookie"); err == nil {
		t.Fatal("handshake with the wrong cookie succeeded")
	}
	r.WaitFor(t, "handshake erlang in kate@localhost cookie_mismatch")
	for _, l := range r.All() {
		if strings.HasPrefix(l, "up") {
			t.Errorf("heard %q after a wrong cookie", l)
		}
	}
}
