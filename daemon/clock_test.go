package daemon

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTimersAreMonotonic keeps wall-clock arithmetic out of the daemon, so
// that stepping the wall clock (NTP, an operator's date -s) cannot declare
// a node down or expire a deadline early or late.
//
// The argument: every timeout in the daemon is a time.Timer, time.After or
// context deadline (monotonic), a net.Conn or yamux deadline set as
// time.Now().Add(d) (Go keeps the monotonic reading, and the deadline is
// turned into a duration with it), or time.Since of a time.Now() value
// (monotonic). yamux's keepalive uses timers too. What the daemon must not
// do is turn a time into wall-clock numbers (Unix, UnixNano, ...) or strip
// the monotonic reading (Round(0)) and then compare or subtract; this test
// fails on any such use but the ones listed here with their reason.
// tests/faults_clock_test.go steps the real clock by ±5 minutes, on request.
func TestTimersAreMonotonic(t *testing.T) {
	wallClock := regexp.MustCompile(`\.(Unix|UnixNano|UnixMilli|UnixMicro)\(|Round\(0\)|time\.Unix\(`)
	allowed := []string{
		"time.Unix(1, 0)",              // a deadline long past: "now" whatever the clock says
		"m.Time = time.Now().Round(0)", // a message's timestamp, shown to people, never compared
	}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if !wallClock.MatchString(line) {
				continue
			}
			ok := false
			for _, a := range allowed {
				ok = ok || strings.Contains(line, a)
			}
			if !ok {
				t.Errorf("%s:%d: wall-clock time in the daemon: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
