//go:build faults

// The fault suite (make test-faults): hostile bytes, floods, exhausted
// resources, dead, silent and partitioned peers. Each test is named
// TestFault* and prints the figures it measured with figure, so the
// closing run's log holds every number the issue asks for.

package tests

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"
)

// figure prints one measured number of a fault test, marked so that
// `make test-faults | grep FIGURE` lists them all.
func figure(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("FIGURE %s: %s", t.Name(), fmt.Sprintf(format, args...))
}

// needRoot skips t unless the suite runs as root (network namespaces,
// other uids, rlimits); .ci/run always does.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (network namespaces, other uids); run make test-faults as root")
	}
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux")
	}
}

// settleGoroutines polls n until its goroutine count is at most limit,
// returning the last count and how long it took.
func settleGoroutines(t *testing.T, n *node, limit int, within time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	var last int
	for {
		last = n.status().Goroutines
		if last <= limit {
			return last, time.Since(start)
		}
		if time.Since(start) > within {
			t.Errorf("%s still runs %d goroutines %s after the fault (limit %d)", n.name, last, within, limit)
			return last, time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
