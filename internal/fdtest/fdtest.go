// Package fdtest runs a test's process out of file descriptors: it lowers
// the descriptor limit to a little above the highest descriptor open and
// opens /dev/null until the kernel says EMFILE.
package fdtest

import (
	"errors"
	"os"
	"strconv"
	"syscall"
	"testing"
)

// headroom is how far above the highest open descriptor the limit goes:
// enough for the test's own listeners and clients opened before Exhaust.
const headroom = 16

// Exhaust takes every descriptor the process may open and returns the
// files holding them; the test's end closes them and restores the limit.
// Tests that call it must not run in parallel: the limit is the process's.
func Exhaust(t testing.TB) []*os.File {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatalf("read the descriptor limit: %v", err)
	}
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("list open descriptors (/proc/self/fd): %v", err)
	}
	highest := 0
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil {
			highest = max(highest, fd)
		}
	}
	low := old
	low.Cur = uint64(highest + headroom)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatalf("lower the descriptor limit to %d: %v", low.Cur, err)
	}
	var hogs []*os.File
	t.Cleanup(func() {
		for _, f := range hogs {
			_ = f.Close()
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
			t.Errorf("restore the descriptor limit: %v", err)
		}
	})
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			if !errors.Is(err, syscall.EMFILE) {
				t.Fatalf("exhaust descriptors: %v", err)
			}
			return hogs
		}
		hogs = append(hogs, f)
	}
}
