package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// runIdle starts -chatd alone n times and prints the medians of
//
//	idle startup_ns rss_bytes
//
// startup: from just before the exec to READY=1 on NOTIFY_SOCKET; rss: the
// process's resident set one second later.
func runIdle(args []string) error {
	f, err := parseIdleFlags("idle", "chatd", args)
	if err != nil {
		return err
	}
	ctx, stop := benchContext(f.timeout)
	defer stop()
	dir, err := os.MkdirTemp("", "chatbench-idle-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	return idleRuns(ctx, "idle", f.n, func(ctx context.Context, k int) (time.Duration, uint64, error) {
		return chatdIdleOnce(ctx, f.bin, fmt.Sprintf("idle%d", k), filepath.Join(dir, fmt.Sprintf("notify%d.sock", k)), f.ready)
	})
}

// runBeamIdle does the same for an Erlang node that has nothing to do:
//
//	beam_idle startup_ns rss_bytes
//
// startup: from just before the exec to "ready" on its stdout. The epmd
// that erl may start is left running (the caller's run shares it).
func runBeamIdle(args []string) error {
	f, err := parseIdleFlags("beam-idle", "erl", args)
	if err != nil {
		return err
	}
	ctx, stop := benchContext(f.timeout)
	defer stop()
	return idleRuns(ctx, "beam_idle", f.n, func(ctx context.Context, k int) (time.Duration, uint64, error) {
		return beamIdleOnce(ctx, f.bin, fmt.Sprintf("idle%d", k), f.ready)
	})
}

// idleFlags are what both idle benchmarks take: the binary to start
// (-chatd or -erl), the number of starts, and the bounds on one start and
// on the whole run.
type idleFlags struct {
	bin            string
	n              int
	ready, timeout time.Duration
}

// parseIdleFlags parses the flags of the idle benchmark called name,
// whose binary flag is bin (its default too: found on PATH).
func parseIdleFlags(name, bin string, args []string) (idleFlags, error) {
	var f idleFlags
	fs := newFlags(name)
	fs.StringVar(&f.bin, bin, bin, "the "+bin+" binary")
	fs.IntVar(&f.n, "n", 5, "starts")
	fs.DurationVar(&f.ready, "ready-timeout", 30*time.Second, "how long a start may take")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Minute, "bound on the whole run")
	_ = fs.Parse(args)
	if f.n < 1 {
		return f, errors.New("want -n >= 1")
	}
	return f, nil
}

// idleRuns runs once n times, one after the other, and prints
// "label median_startup_ns median_rss_bytes".
func idleRuns(ctx context.Context, label string, n int, once func(ctx context.Context, k int) (time.Duration, uint64, error)) error {
	var starts, rsss []float64
	for k := 1; k <= n; k++ {
		d, rss, err := once(ctx, k)
		if err != nil {
			return err
		}
		starts = append(starts, float64(d.Nanoseconds()))
		rsss = append(rsss, float64(rss))
	}
	fmt.Printf("%s %.0f %.0f\n", label, idleMedian(starts), idleMedian(rsss))
	return nil
}

// chatdIdleOnce starts chatd --name name with NOTIFY_SOCKET at sockPath,
// times it to READY=1, reads its RSS a second later and stops it.
func chatdIdleOnce(ctx context.Context, chatd, name, sockPath string, ready time.Duration) (time.Duration, uint64, error) {
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(sockPath)
	defer notify.Close()

	cmd := exec.Command(chatd, "--name", name)
	cmd.Env = childEnv("NOTIFY_SOCKET=" + sockPath)
	t0 := time.Now()
	c, err := startChild("chatd "+name, cmd)
	if err != nil {
		return 0, 0, err
	}
	defer c.stop(5 * time.Second)

	deadline := time.Now().Add(ready)
	buf := make([]byte, 64<<10)
	for {
		if err := idleWaitable(ctx, c, deadline); err != nil {
			return 0, 0, err
		}
		_ = notify.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		m, err := notify.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return 0, 0, err
		}
		if slices.Contains(strings.Split(string(buf[:m]), "\n"), "READY=1") {
			break
		}
	}
	startup := time.Since(t0)
	rss, err := rssAfterSecond(ctx, c)
	return startup, rss, err
}

// beamIdleOnce starts erl -sname name, times it to "ready" on stdout,
// reads its RSS a second later and stops it.
func beamIdleOnce(ctx context.Context, erl, name string, ready time.Duration) (time.Duration, uint64, error) {
	// An os.Pipe rather than StdoutPipe: an epmd that erl starts may hold
	// the write end for a while, and Wait must not depend on it.
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, 0, err
	}
	defer pr.Close()
	// Loopback only: the node's distribution listener, and an epmd that
	// erl starts (unless the caller chose ERL_EPMD_ADDRESS).
	cmd := exec.Command(erl, "-sname", name, "-noshell", "-setcookie", "x",
		"-kernel", "inet_dist_use_interface", "{127,0,0,1}", "-eval", `io:format("ready~n")`)
	cmd.Env = childEnv()
	if os.Getenv("ERL_EPMD_ADDRESS") == "" {
		cmd.Env = append(cmd.Env, "ERL_EPMD_ADDRESS=127.0.0.1")
	}
	cmd.Stdout = pw
	t0 := time.Now()
	c, err := startChild("erl "+name, cmd)
	pw.Close()
	if err != nil {
		return 0, 0, err
	}
	defer c.stop(5 * time.Second)
	readyAt := make(chan time.Time, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "ready" {
				select {
				case readyAt <- time.Now():
				default:
				}
			}
		}
	}()

	deadline := time.Now().Add(ready)
	var startup time.Duration
	for startup == 0 {
		if err := idleWaitable(ctx, c, deadline); err != nil {
			return 0, 0, err
		}
		select {
		case t := <-readyAt:
			startup = t.Sub(t0)
		case <-time.After(100 * time.Millisecond):
		}
	}
	rss, err := rssAfterSecond(ctx, c)
	return startup, rss, err
}

// idleWaitable says why waiting for c to come up should stop, or nil.
func idleWaitable(ctx context.Context, c *childProc, deadline time.Time) error {
	select {
	case <-c.done:
		return c.exited()
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if time.Now().After(deadline) {
		return fmt.Errorf("%s not ready in time", c.name)
	}
	return nil
}

// rssAfterSecond waits a second and reads c's resident set size.
func rssAfterSecond(ctx context.Context, c *childProc) (uint64, error) {
	select {
	case <-time.After(time.Second):
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-c.done:
		return 0, c.exited()
	}
	return statmRSS(c.cmd.Process.Pid)
}

// statmRSS is resident pages × page size from /proc/PID/statm.
func statmRSS(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", pid))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, fmt.Errorf("/proc/%d/statm: %q", pid, b)
	}
	pages, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/statm: %w", pid, err)
	}
	return pages * uint64(os.Getpagesize()), nil
}

// idleMedian of xs (the mean of the middle two for an even count).
func idleMedian(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
