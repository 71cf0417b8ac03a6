package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// straced is `strace -c -f` attached to a running process (every thread
// of it): stop ends it and returns the system calls it counted, by name
// and under "total".
type straced struct {
	child *childProc
	out   string
}

// startStrace attaches strace to pid and returns once it traces every
// thread (it says "Process N attached" for each; the last of them are
// waited for briefly).
func startStrace(ctx context.Context, pid int, dir string) (*straced, error) {
	out := filepath.Join(dir, fmt.Sprintf("strace-%d.txt", pid))
	cmd := exec.Command("strace", "-c", "-f", "-o", out, "-p", strconv.Itoa(pid))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	c, err := startChild("strace", cmd)
	if err != nil {
		return nil, fmt.Errorf("%w (install strace: apt-get install strace)", err)
	}
	attached := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			if !once && strings.Contains(sc.Text(), "attached") {
				once = true
				close(attached)
			}
		}
	}()
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-attached:
	case <-c.done:
		return nil, fmt.Errorf("strace -p %d: %w", pid, c.exited())
	case <-t.C:
		c.stop(time.Second)
		return nil, fmt.Errorf("strace -p %d did not attach in 10s", pid)
	case <-ctx.Done():
		c.stop(time.Second)
		return nil, ctx.Err()
	}
	time.Sleep(200 * time.Millisecond) // the other threads' attach lines follow at once
	return &straced{child: c, out: out}, nil
}

// stop detaches strace (SIGINT makes it write its summary) and returns
// the calls by name.
func (s *straced) stop() (map[string]int, error) {
	_ = s.child.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.child.done:
	case <-time.After(10 * time.Second):
		s.child.stop(time.Second)
	}
	f, err := os.Open(s.out)
	if err != nil {
		return nil, fmt.Errorf("strace summary: %w", err)
	}
	defer f.Close()
	return parseStraceSummary(f)
}

// parseStraceSummary reads strace -c's table: "% time seconds usecs/call
// calls [errors] syscall" rows between dashed lines, the last one "total".
func parseStraceSummary(f *os.File) (map[string]int, error) {
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 5 || strings.HasPrefix(fs[0], "%") || strings.HasPrefix(fs[0], "-") {
			continue
		}
		n, err := strconv.Atoi(fs[3])
		if err != nil {
			continue
		}
		out[fs[len(fs)-1]] += n
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if _, ok := out["total"]; !ok {
		return nil, fmt.Errorf("strace summary %s has no total line", f.Name())
	}
	return out, nil
}
