package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/trace"
	"testing"
)

// TestCountTraceHandOffs traces n channel round trips between two
// goroutines: each one is two hand-offs, which countTrace must find at the
// two places the goroutines wait.
func TestCountTraceHandOffs(t *testing.T) {
	const n = 500
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skipf("a trace is running already: %v", err)
	}
	ping, pong := make(chan int), make(chan int)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for v := range ping {
			pong <- v
		}
	}()
	for i := range n {
		ping <- i
		<-pong
	}
	close(ping)
	<-done
	trace.Stop()
	c, err := countTrace(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if c.created < 1 {
		t.Errorf("goroutines started = %d, want at least the echo goroutine", c.created)
	}
	// Each round trip wakes the echo goroutine and this one, unless the
	// scheduler found one of them still running (on two Ps it can spin).
	if c.wakeups < n || c.wakeups > 2*n+50 {
		t.Errorf("wake-ups = %d for %d round trips, want about %d", c.wakeups, n, 2*n)
	}
	if len(c.topSites(n, 0.5)) == 0 {
		t.Errorf("no wait site with half a wake-up per round trip: %v", c.bySite)
	}
}

func TestParseStraceSummary(t *testing.T) {
	const summary = `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ------------------
 51.11    0.261327         128      2029        27 futex
 27.78    0.142034         882       161           nanosleep
 21.08    0.107781         111       971           epoll_pwait
  0.01    0.000050          50         1           write
------ ----------- ----------- --------- --------- ------------------
100.00    0.511254         161      3162        27 total
`
	path := filepath.Join(t.TempDir(), "strace.txt")
	if err := os.WriteFile(path, []byte(summary), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := parseStraceSummary(f)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"futex": 2029, "nanosleep": 161, "epoll_pwait": 971, "write": 1, "total": 3162}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("parsed %v, want %v", got, want)
	}
}
