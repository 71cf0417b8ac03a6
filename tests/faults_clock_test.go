//go:build faults

package tests

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// setWallClock steps CLOCK_REALTIME to t (the monotonic clock is untouched).
func setWallClock(t *testing.T, to time.Time) {
	t.Helper()
	tv := syscall.NsecToTimeval(to.UnixNano())
	if err := syscall.Settimeofday(&tv); err != nil {
		t.Skipf("cannot set the wall clock here (%v); the argument that only monotonic timers decide node-down is in daemon/link/check.go", err)
	}
}

// TestFaultClockJump steps the wall clock forward and back by five minutes
// while alex and kate are linked with a 1 s tick: neither declares the other
// down, because every timeout is measured on the monotonic clock (Go's
// time.Timer, deadlines and time.Since use it; yamux's keepalive too).
//
// The wall clock is the machine's, not a namespace's (Linux time namespaces
// offset only the monotonic and boot clocks), so stepping it disturbs
// everything else running there: the test runs only when
// CHATD_FAULTS_STEP_CLOCK=1 says the machine may be used so. Without it,
// the argument is the code's: daemon/link/check.go.
func TestFaultClockJump(t *testing.T) {
	needRoot(t)
	if os.Getenv("CHATD_FAULTS_STEP_CLOCK") != "1" {
		t.Skip("steps the machine's wall clock by ±5 minutes; set CHATD_FAULTS_STEP_CLOCK=1 on a machine of your own (see daemon/link/check.go for why no timer depends on it)")
	}
	c := newCluster(t)
	tick := time.Second
	cfg := "[link]\ntick = \"1s\"\n"
	alex := c.start("alex", c.withConfig("alex", cfg))
	kate := c.start("kate", c.withConfig("kate", cfg))
	if r := c.chatctl("--node", "alex", "ping", "kate@localhost"); r.code != 0 {
		t.Fatalf("ping: exit %d: %s", r.code, r.stderr)
	}

	// Restore the wall clock whatever happens: the real time is the start's
	// wall time plus the monotonic time elapsed since.
	start := time.Now()
	t.Cleanup(func() { setWallClock(t, start.Round(0).Add(time.Since(start))) })

	for _, jump := range []time.Duration{5 * time.Minute, -5 * time.Minute} {
		real := start.Round(0).Add(time.Since(start))
		setWallClock(t, real.Add(jump))
		// Watch both sides for three ticks: the link must stay up throughout.
		end := time.Now().Add(3 * tick)
		checks := 0
		for time.Now().Before(end) {
			if len(alex.links()) != 1 || len(kate.links()) != 1 {
				t.Fatalf("after a %s wall-clock jump the link went down (alex %v, kate %v)", jump, alex.links(), kate.links())
			}
			checks++
			time.Sleep(50 * time.Millisecond) // sampling the link state, not waiting for it
		}
		r := c.chatctl("--node", "alex", "ping", "kate@localhost")
		if r.code != 0 {
			t.Fatalf("ping after a %s jump: exit %d: %s", jump, r.code, r.stderr)
		}
		setWallClock(t, start.Round(0).Add(time.Since(start)))
		figure(t, "wall clock stepped %+v: link up in all %d samples over %s (3 ticks), ping %s", jump, checks, 3*tick, r.took)
	}
	for _, n := range []*node{alex, kate} {
		if strings.Contains(n.stderr.String(), "node down") {
			t.Errorf("%s logged a node down:\n%s", n.name, n.stderr.String())
		}
	}
}
