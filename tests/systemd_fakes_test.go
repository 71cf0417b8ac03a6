package tests

// systemd's side of the contract, faked: a notify socket that reads what
// chatd tells the service manager, and a control socket passed in the way
// socket activation does (LISTEN_PID, LISTEN_FDS, fd 3).

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// notifySocket is a fake NOTIFY_SOCKET: it collects the datagrams a
// daemon sends.
type notifySocket struct {
	t     *testing.T
	path  string
	conn  *net.UnixConn
	grams chan notice // closed when the socket is closed
}

// notice is one datagram and when it arrived.
type notice struct {
	state string
	at    time.Time
}

func newNotifySocket(t *testing.T) *notifySocket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	s := &notifySocket{t: t, path: path, conn: conn, grams: make(chan notice, 1024)}
	go func() {
		defer close(s.grams)
		buf := make([]byte, 64<<10)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return // closed by Cleanup
			}
			s.grams <- notice{state: string(buf[:n]), at: time.Now()}
		}
	}()
	t.Cleanup(func() { _ = conn.Close() })
	return s
}

// env makes a node send its notifications to s; more variables (such as
// WATCHDOG_USEC) may follow.
func (s *notifySocket) env(extra ...string) nodeOpt {
	return func(spec *nodeSpec) {
		spec.env = append(spec.env, "NOTIFY_SOCKET="+s.path)
		spec.env = append(spec.env, extra...)
	}
}

// expect reads datagrams until one satisfies match, failing the test
// after d. Every datagram read is logged.
func (s *notifySocket) expect(d time.Duration, what string, match func(state string) bool) notice {
	s.t.Helper()
	g, found, closed := s.next(d, match)
	switch {
	case closed:
		s.t.Fatalf("notify socket closed while waiting for %s", what)
	case !found:
		s.t.Fatalf("no %s on the notify socket within %s", what, d)
	}
	return g
}

// none fails the test if a datagram satisfying match arrives within d.
func (s *notifySocket) none(d time.Duration, what string, match func(state string) bool) {
	s.t.Helper()
	if g, found, _ := s.next(d, match); found {
		s.t.Fatalf("unexpected %s: %q", what, g.state)
	}
}

// next reads datagrams, logging each, until one satisfies match (found),
// the socket closes (closed) or d passes.
func (s *notifySocket) next(d time.Duration, match func(state string) bool) (g notice, found, closed bool) {
	s.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case g, ok := <-s.grams:
			if !ok {
				return notice{}, false, true
			}
			s.t.Logf("notify: %q", g.state)
			if match(g.state) {
				return g, true, false
			}
		case <-deadline:
			return notice{}, false, false
		}
	}
}

// fields parses a notification into its KEY=VALUE lines.
func fields(state string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(state, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			m[k] = v
		}
	}
	return m
}

// has returns a matcher for notifications that set key to value.
func has(key, value string) func(string) bool {
	return func(state string) bool { return fields(state)[key] == value }
}

// monotonicUsec reads CLOCK_MONOTONIC in microseconds, the clock of
// MONOTONIC_USEC.
func monotonicUsec(t *testing.T) int64 {
	t.Helper()
	var ts syscall.Timespec
	const clockMonotonic = 1
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockMonotonic, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		t.Fatalf("clock_gettime: %v", errno)
	}
	return ts.Sec*1_000_000 + ts.Nsec/1000
}

func TestNotifyReadyReloadStop(t *testing.T) {
	c := newCluster(t)
	ns := newNotifySocket(t)
	cfg := filepath.Join(c.dir, "kate.toml")
	kate := c.spawn("kate", c.withConfig("kate", "[responder]\nreply = \"first\"\n"), ns.env())

	ready := ns.expect(15*time.Second, "READY=1", has("READY", "1"))
	status := fields(ready.state)["STATUS"]
	if !strings.Contains(status, "kate@localhost linked to 0 nodes") {
		t.Errorf("STATUS with READY=1 is %q, want it to say kate@localhost linked to 0 nodes", status)
	}
	// READY=1 means serving: the control socket answers at once.
	st, err := kate.client.Status(apiCtx(t))
	if err != nil {
		t.Fatalf("control socket after READY=1: %v", err)
	}
	if st.PID != kate.cmd.Process.Pid {
		t.Errorf("status pid %d, process %d", st.PID, kate.cmd.Process.Pid)
	}

	// A reload that changes one setting applied at run time and one that
	// needs a restart.
	if err := os.WriteFile(cfg, []byte("[responder]\nreply = \"second\"\n[tasks]\nmax_running = 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := monotonicUsec(t)
	if err := kate.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	reloading := ns.expect(10*time.Second, "RELOADING=1", has("RELOADING", "1"))
	after := monotonicUsec(t)
	usec, err := strconv.ParseInt(fields(reloading.state)["MONOTONIC_USEC"], 10, 64)
	if err != nil {
		t.Fatalf("RELOADING=1 without a valid MONOTONIC_USEC: %q", reloading.state)
	}
	if usec < before || usec > after {
		t.Errorf("MONOTONIC_USEC=%d is outside [%d, %d], the clock around the reload", usec, before, after)
	}
	reReady := ns.expect(10*time.Second, "READY=1 after the reload", has("READY", "1"))
	if !strings.Contains(fields(reReady.state)["STATUS"], "linked to") {
		t.Errorf("READY=1 after the reload has STATUS %q", fields(reReady.state)["STATUS"])
	}
	t.Logf("reload: RELOADING=1 to READY=1 in %s", reReady.at.Sub(reloading.at))
	waitFor(t, 5*time.Second, "kate to log the reload", func() bool {
		log := kate.stderr.String()
		return strings.Contains(log, "responder_reply=second") && strings.Contains(log, "need a restart") &&
			strings.Contains(log, "tasks")
	})
	if _, err := kate.client.Status(apiCtx(t)); err != nil {
		t.Fatalf("control socket after the reload: %v", err)
	}

	term := time.Now()
	if err := kate.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	stopping := ns.expect(10*time.Second, "STOPPING=1", has("STOPPING", "1"))
	select {
	case <-kate.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("kate did not exit within 10s of SIGTERM")
	}
	if kate.err != nil {
		t.Fatalf("kate exited with %v after SIGTERM, want status 0\n%s", kate.err, kate.stderr.String())
	}
	t.Logf("SIGTERM: STOPPING=1 after %s, exit 0 after %s",
		stopping.at.Sub(term).Round(time.Millisecond), time.Since(term).Round(time.Millisecond))
}

func TestNotifyWatchdog(t *testing.T) {
	const watchdogUsec = 400000 // WatchdogSec=400ms: pings every 200ms
	tests := []struct {
		name      string
		opts      func(ns *notifySocket) []nodeOpt
		wantPings bool
	}{
		{"WATCHDOG_PID unset", func(ns *notifySocket) []nodeOpt {
			return []nodeOpt{ns.env("WATCHDOG_USEC=" + strconv.Itoa(watchdogUsec))}
		}, true},
		{"WATCHDOG_PID is the daemon", func(ns *notifySocket) []nodeOpt {
			return []nodeOpt{ns.env("WATCHDOG_USEC=" + strconv.Itoa(watchdogUsec)), viaShell("WATCHDOG_PID=$$")}
		}, true},
		{"WATCHDOG_PID is another process", func(ns *notifySocket) []nodeOpt {
			return []nodeOpt{ns.env("WATCHDOG_USEC="+strconv.Itoa(watchdogUsec), "WATCHDOG_PID=1")}
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t)
			ns := newNotifySocket(t)
			kate := c.spawn("kate", tc.opts(ns)...)
			ns.expect(15*time.Second, "READY=1", has("READY", "1"))
			isPing := has("WATCHDOG", "1")
			if !tc.wantPings {
				ns.none(5*watchdogUsec*time.Microsecond/2, "WATCHDOG=1 for a watchdog meant for another pid", isPing)
				return
			}
			var pings []notice
			for range 5 {
				g := ns.expect(5*time.Second, "WATCHDOG=1", isPing)
				if !strings.Contains(fields(g.state)["STATUS"], "kate@localhost linked to") {
					t.Errorf("WATCHDOG=1 without the STATUS line: %q", g.state)
				}
				pings = append(pings, g)
			}
			var gaps []string
			for i := 1; i < len(pings); i++ {
				gap := pings[i].at.Sub(pings[i-1].at)
				gaps = append(gaps, gap.Round(time.Millisecond).String())
				if gap > watchdogUsec*time.Microsecond {
					t.Errorf("%s between watchdog pings, more than WatchdogSec=%s", gap, watchdogUsec*time.Microsecond)
				}
			}
			t.Logf("watchdog pings %s apart (WatchdogSec=%s)", strings.Join(gaps, ", "), watchdogUsec*time.Microsecond)

			// STATUS follows the node: a link shows up in the next ping.
			c.start("alex")
			if r := c.chatctl("--node", "alex", "ping", "kate@localhost"); r.code != 0 {
				t.Fatalf("ping kate: exit %d, stderr %q", r.code, r.stderr)
			}
			ns.expect(5*time.Second, "STATUS with one link", func(s string) bool {
				return isPing(s) && strings.Contains(fields(s)["STATUS"], "linked to 1 nodes")
			})

			if err := kate.stop(syscall.SIGTERM, 10*time.Second); err != nil {
				t.Fatalf("kate exited with %v after SIGTERM, want status 0", err)
			}
			ns.expect(5*time.Second, "STOPPING=1", has("STOPPING", "1"))
		})
	}
}

// viaShell starts the node through sh, which sets assignments (shell
// syntax; $$ is the pid the daemon will have) and then execs it.
func viaShell(assignments string) nodeOpt {
	return func(s *nodeSpec) {
		s.args = append([]string{"-c", assignments + ` exec "$0" "$@"`, s.bin}, s.args...)
		s.bin = "sh"
	}
}

func TestSocketActivation(t *testing.T) {
	c := newCluster(t)
	sock := filepath.Join(c.runtime, "kate", "control.sock")
	if err := os.MkdirAll(filepath.Dir(sock), 0o750); err != nil {
		t.Fatal(err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false) // the socket file outlives every process, as with systemd
	file, err := ln.File()
	if err != nil {
		t.Fatal(err)
	}
	kate := c.spawnActivated("kate", file)
	// The daemon holds the socket now; closing ours leaves it the only
	// process that can accept on it.
	_ = file.Close()
	_ = ln.Close()

	kate.waitReady()
	st := kate.status()
	if st.Node != "kate@localhost" || st.PID != kate.cmd.Process.Pid {
		t.Errorf("status: node %q pid %d; want kate@localhost, pid %d", st.Node, st.PID, kate.cmd.Process.Pid)
	}
	if r := c.chatctl("--node", "kate", "status"); r.code != 0 {
		t.Errorf("chatctl status on the activated socket: exit %d, stderr %q", r.code, r.stderr)
	}

	kate.client.CloseIdleConnections()
	if err := kate.stop(syscall.SIGTERM, 10*time.Second); err != nil {
		t.Fatalf("kate exited with %v after SIGTERM, want status 0\n%s", err, kate.stderr.String())
	}
	fi, err := os.Lstat(sock)
	if err != nil {
		t.Fatalf("the activated socket is gone after the daemon stopped (systemd owns it): %v", err)
	}
	if fi.Mode().Type() != os.ModeSocket {
		t.Errorf("%s is %v after the daemon stopped, want a socket", sock, fi.Mode())
	}
	// Nobody listens any more: the daemon closed its descriptor.
	if conn, err := net.Dial("unix", sock); err == nil {
		_ = conn.Close()
		t.Error("the socket still accepts connections after the daemon stopped")
	} else if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("dial after stop: %v, want connection refused", err)
	}
	t.Logf("activated socket %s kept after stop: %v", sock, fi.Mode())
}

// spawnActivated starts chatd --name name the way systemd's socket
// activation does: ln as fd 3, LISTEN_FDS=1 and LISTEN_PID set to the
// daemon's pid (by the shell that execs it). Its environment and cleanup
// mirror spawn's.
func (c *cluster) spawnActivated(name string, ln *os.File) *node {
	c.t.Helper()
	cmd := exec.Command("sh", "-c", `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"`,
		built.chatd, "--name", name, "--cookie-file", c.cookieFile)
	cmd.Env = c.baseEnv()
	cmd.ExtraFiles = []*os.File{ln}
	return c.run(name, cmd)
}
