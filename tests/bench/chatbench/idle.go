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
	return idleBench("idle", "chatd", args, chatdIdleOnce)
}

// runBeamIdle does the same for an Erlang node that has nothing to do:
//
//	beam_idle startup_ns rss_bytes
//
// startup: from just before the exec to "ready" on its stdout. The epmd
// that erl may start is left running (the caller's run shares it).
func runBeamIdle(args []string) error {
	return idleBench("beam-idle", "erl", args, beamIdleOnce)
}

// idleOnce starts bin as the node called name, times it to ready (at
// most ready), reads its RSS a second later and stops it.
type idleOnce func(ctx context.Context, bin, name string, ready time.Duration) (time.Duration, uint64, error)

// idleBench is the idle benchmark called name (its result lines' label,
// with _ for -): it parses the flags -BIN (the binary, by default BIN on
// PATH), -n (starts), -ready-timeout and -timeout (on the whole run),
// runs once -n times, one after the other, and prints
// "label median_startup_ns median_rss_bytes".
func idleBench(name, bin string, args []string, once idleOnce) error {
	fs := newFlags(name)
	path := fs.String(bin, bin, "the "+bin+" binary")
	n := fs.Int("n", 5, "starts")
	ready := fs.Duration("ready-timeout", 30*time.Second, "how long a start may take")
	timeout := fs.Duration("timeout", 5*time.Minute, "bound on the whole run")
	_ = fs.Parse(args)
	if *n < 1 {
		return errors.New("want -n >= 1")
	}
	ctx, stop := benchContext(*timeout)
	defer stop()
	var starts, rsss []float64
	for k := 1; k <= *n; k++ {
		d, rss, err := once(ctx, *path, fmt.Sprintf("idle%d", k), *ready)
		if err != nil {
			return err
		}
		starts = append(starts, float64(d.Nanoseconds()))
		rsss = append(rsss, float64(rss))
	}
	fmt.Printf("%s %.0f %.0f\n", strings.ReplaceAll(name, "-", "_"), idleMedian(starts), idleMedian(rsss))
	return nil
}

// chatdIdleOnce starts chatd --name name with NOTIFY_SOCKET on a socket
// of its own, times it to READY=1, reads its RSS a second later and stops
// it.
func chatdIdleOnce(ctx context.Context, chatd, name string, ready time.Duration) (time.Duration, uint64, error) {
	dir, err := os.MkdirTemp("", "chatbench-idle-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	sockPath := filepath.Join(dir, "notify.sock")
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		return 0, 0, err
	}
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
