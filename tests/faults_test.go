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
