package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestPingAndNodes(t *testing.T) {
	c := newCluster(t)
	c.start("alex")
	c.start("kate")
	c.start("moebi")

	r := c.chatctl("--node", "alex", "ping", "kate@localhost")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "pong" {
		t.Fatalf("ping kate: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = c.chatctl("--node", "alex", "nodes")
	if r.code != 0 || !strings.Contains(r.stdout, "kate@localhost") {
		t.Fatalf("nodes: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = c.chatctl("--node", "alex", "ping", "nobody@localhost")
	if r.code != 1 || strings.TrimSpace(r.stdout) != "pang" {
		t.Fatalf("ping nobody: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r.took > time.Second {
		t.Errorf("pang took %s, want under 1s", r.took)
	}
	t.Logf("pang for an unknown name in %s: %s", r.took, strings.TrimSpace(r.stderr))
}

func TestCookieMismatch(t *testing.T) {
	c := newCluster(t)
	kate := c.start("kate")
	other := c.writeCookie("other-cookie", "a-different-cookie-0123456789", 0o600)
	eve := c.start("eve", withArgs("--cookie-file", other))

	r := c.chatctl("--node", "eve", "ping", "kate@localhost")
	if r.code != 1 || strings.TrimSpace(r.stdout) != "pang" || !strings.Contains(r.stderr, "cookie mismatch") {
		t.Fatalf("ping with another cookie: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r.took > 2*time.Second {
		t.Errorf("refusal took %s, want under 2s", r.took)
	}
	waitFor(t, 2*time.Second, "kate to log the refused attempt", func() bool {
		log := kate.stderr.String()
		return strings.Contains(log, "cookie mismatch") && strings.Contains(log, "peer_addr=127.0.0.1:")
	})
	if l := append(kate.links(), eve.links()...); len(l) != 0 {
		t.Fatalf("links left after a refused handshake: %v", l)
	}
	t.Logf("refused in %s: %s", r.took, strings.TrimSpace(r.stderr))
}

func TestSameNameTwice(t *testing.T) {
	c := newCluster(t)
	first := c.start("alex")
	second := c.spawn("alex")
	select {
	case <-second.exited:
	case <-time.After(10 * time.Second):
		t.Fatal("the second alex did not exit")
	}
	if second.err == nil {
		t.Fatal("the second alex exited 0")
	}
	if msg := second.stderr.String(); !strings.Contains(msg, "node name alex@localhost is already in use") {
		t.Fatalf("second alex said %q", msg)
	}
	if _, err := first.client.Status(apiCtx(t)); err != nil {
		t.Fatalf("first alex stopped serving: %v", err)
	}
	if r := c.chatctl("--node", "alex", "status"); r.code != 0 {
		t.Fatalf("chatctl status on the first alex: exit %d: %s", r.code, r.stderr)
	}
}

func TestCookieFileReadableByOthers(t *testing.T) {
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604} {
		t.Run(mode.String(), func(t *testing.T) {
			c := newCluster(t)
			loose := c.writeCookie("loose", "e2e-shared-cookie-0123456789abcdef", mode)
			n := c.spawn("alex", withArgs("--cookie-file", loose))
			n.waitExit(10 * time.Second)
			msg := n.stderr.String()
			if n.err == nil || !strings.Contains(msg, loose) || !strings.Contains(msg, "chmod 600") {
				t.Fatalf("chatd with a %s cookie: err %v, stderr %q", mode, n.err, msg)
			}
			if strings.Contains(msg, "e2e-shared-cookie") {
				t.Fatalf("the cookie leaked into the error: %q", msg)
			}
		})
	}
}

func TestNoDaemon(t *testing.T) {
	c := newCluster(t)
	r := c.chatctl("--node", "alex", "status")
	sock := filepath.Join(c.runtime, "alex", "control.sock")
	if r.code != 3 || !strings.Contains(r.stderr, sock) {
		t.Fatalf("chatctl with no daemon: exit %d, stderr %q (want 3 and %s)", r.code, r.stderr, sock)
	}
	r = c.chatctl("status")
	if r.code != 3 || !strings.Contains(r.stderr, c.runtime) {
		t.Fatalf("chatctl with no daemon and no --node: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestBadConfig(t *testing.T) {
	c := newCluster(t)
	cases := []struct {
		name, toml, want string
	}{
		{"malformed", "host = \"localhost\"\n[link\ntick = \"1s\"\n", ":2"},
		{"unknown key", "host = \"localhost\"\n[link]\ntik = \"1s\"\n", `:3: unknown key "link.tik"`},
		{"bad duration", "[tasks]\nawait_timeout = \"5s\"\n[link]\ntick = \"soon\"\n", `:4: link.tick: bad duration "soon"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(c.dir, strings.ReplaceAll(tc.name, " ", "_")+".toml")
			if err := os.WriteFile(path, []byte(tc.toml), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(built.chatd, "check", "--name", "alex", "--config", path, "--cookie-file", c.cookieFile)
			cmd.Env = c.baseEnv()
			out, err := cmd.CombinedOutput()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), path+tc.want) {
				t.Fatalf("chatd check: %v, output %q; want exit 1 and %q", err, out, path+tc.want)
			}
		})
	}
	good := filepath.Join(c.dir, "good.toml")
	if err := os.WriteFile(good, []byte("[link]\ntick = \"2s\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(built.chatd, "check", "--name", "alex", "--config", good, "--cookie-file", c.cookieFile)
	cmd.Env = c.baseEnv()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `tick = "2s"`) || strings.Contains(string(out), "e2e-shared-cookie") {
		t.Fatalf("chatd check on a good file: %v\n%s", err, out)
	}
}

func TestSimultaneousConnect(t *testing.T) {
	c := newCluster(t)
	alex := c.start("alex")
	kate := c.start("kate")
	for i := range 50 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		gate := make(chan struct{})
		for j, p := range []struct {
			from *node
			to   string
		}{{alex, "kate@localhost"}, {kate, "alex@localhost"}} {
			wg.Go(func() {
				<-gate
				_, errs[j] = p.from.client.Connect(apiCtx(t), p.to)
			})
		}
		close(gate)
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("try %d: connect errors: %v / %v", i, errs[0], errs[1])
		}
		waitFor(t, 2*time.Second, "both sides to list one link", func() bool {
			return len(alex.links()) == 1 && len(kate.links()) == 1
		})
		if a, k := alex.links(), kate.links(); len(a) != 1 || len(k) != 1 {
			t.Fatalf("try %d: alex links %v, kate links %v", i, a, k)
		}
		if _, err := alex.client.Disconnect(apiCtx(t), "kate"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 2*time.Second, "the link to close on both sides", func() bool {
			return len(alex.links()) == 0 && len(kate.links()) == 0
		})
	}
}

// TestNodeDown: alex sees kate go down, within the tick when she is
// killed or stopped. A stopped kate is silent to both kinds of link end:
// the connector, which pings on a schedule, and the acceptor, which pings
// only when it has heard nothing for 3/8 tick (wire/SPEC.md).
func TestNodeDown(t *testing.T) {
	const tick = time.Second
	cases := []struct {
		name   string
		dialer string // who makes the link: alex (kate accepts) or kate
		act    func(*node)
		limit  time.Duration
	}{
		{"SIGTERM", "alex", func(n *node) { _ = n.cmd.Process.Signal(syscall.SIGTERM) }, time.Second},
		{"SIGKILL", "alex", func(n *node) { n.kill() }, tick},
		{"SIGSTOP", "alex", func(n *node) { _ = n.cmd.Process.Signal(syscall.SIGSTOP) }, tick},
		{"SIGSTOP of the connector", "kate", func(n *node) { _ = n.cmd.Process.Signal(syscall.SIGSTOP) }, tick},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t)
			c.env = append(c.env, "CHATD_TICK="+tick.String())
			alex := c.start("alex")
			kate := c.start("kate")
			t.Cleanup(func() { _ = kate.cmd.Process.Signal(syscall.SIGCONT) })
			other := map[string]string{"alex": "kate", "kate": "alex"}[tc.dialer]
			if r := c.chatctl("--node", tc.dialer, "ping", other); r.code != 0 {
				t.Fatalf("ping: %d %s", r.code, r.stderr)
			}
			start := time.Now()
			tc.act(kate)
			waitFor(t, 5*time.Second, "alex to see kate down", func() bool { return len(alex.links()) == 0 })
			took := time.Since(start)
			t.Logf("%s: alex saw kate down after %s (tick %s)", tc.name, took, tick)
			if took > tc.limit {
				t.Errorf("%s: down after %s, want within %s", tc.name, took, tc.limit)
			}
			if tc.name == "SIGTERM" {
				if err := kate.stop(syscall.SIGTERM, 5*time.Second); err != nil {
					t.Errorf("kate exited with %v after SIGTERM, want status 0", err)
				}
				if _, err := os.Stat(kate.socket()); !os.IsNotExist(err) {
					t.Errorf("kate's control socket is still there: %v", err)
				}
			}
			if !strings.Contains(alex.stderr.String(), "node down") {
				t.Errorf("alex did not log the node down")
			}
			if strings.HasPrefix(tc.name, "SIGSTOP") && !strings.Contains(alex.stderr.String(), "no keepalive reply within the tick") {
				t.Errorf("%s: alex did not log a tick timeout: %s", tc.name, alex.stderr.String())
			}
		})
	}
}

func TestDisconnectThenReconnect(t *testing.T) {
	c := newCluster(t)
	alex := c.start("alex")
	kate := c.start("kate")
	if r := c.chatctl("--node", "alex", "connect", "kate@localhost"); r.code != 0 {
		t.Fatalf("connect: %d %s", r.code, r.stderr)
	}
	if r := c.chatctl("--node", "alex", "disconnect", "kate@localhost"); r.code != 0 {
		t.Fatalf("disconnect: %d %s", r.code, r.stderr)
	}
	waitFor(t, 2*time.Second, "both sides to drop the link", func() bool {
		return len(alex.links()) == 0 && len(kate.links()) == 0
	})
	if r := c.chatctl("--node", "alex", "ping", "kate@localhost"); r.code != 0 {
		t.Fatalf("ping after disconnect: %d %s", r.code, r.stderr)
	}
	if !slices.Equal(alex.links(), []string{"kate@localhost"}) {
		t.Fatalf("alex links after relink: %v", alex.links())
	}
}
