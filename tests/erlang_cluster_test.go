package tests

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"chatd/internal/testcert"
)

// The failures a user of the lesson knows, link TLS, and the port mapper
// shared by chatd and BEAM nodes (issue 11, "What to build" 3, 6 and 7).

// TestErlangFailures: to a BEAM node without the Chat app, chatctl send
// fails at once naming Chat.TaskSupervisor (noproc); to a stopped node,
// "no connection" with the reason; with a wrong cookie, both sides say
// so, the BEAM in its own words.
func TestErlangFailures(t *testing.T) {
	t.Run("without the Chat app", func(t *testing.T) {
		c := erlangCluster(t)
		c.start("alex")
		kate := c.iex("kate", bare())
		failsAtOnce(t, c, "kate@localhost: no process Chat.TaskSupervisor (noproc)", "--node", "alex", "send", "kate@localhost", "hi")
		kate.expect("Node.list(:hidden)", "[:alex@localhost]") // the connection stays up
	})
	t.Run("stopped node", func(t *testing.T) {
		c := erlangCluster(t)
		alex := c.start("alex")
		kate := c.iex("kate")
		if r := c.chatctl("--node", "alex", "ping", "kate@localhost"); r.code != 0 {
			t.Fatalf("ping kate: exit %d, stderr %q", r.code, r.stderr)
		}
		kate.kill()
		alex.logged(5*time.Second, "node down", "node=kate@localhost", "protocol=erlang")
		failsAtOnce(t, c, "no connection to kate@localhost: not registered", "--node", "alex", "send", "kate@localhost", "hi")
	})
	t.Run("wrong cookie", func(t *testing.T) {
		c := erlangCluster(t)
		alex := c.start("alex")
		kate := c.iex("kate", withCookie("not_the_lesson_cookie"))
		m := kate.mark()
		r := c.chatctl("--node", "alex", "ping", "kate@localhost")
		if r.code != 1 || strings.TrimSpace(r.stdout) != "pang" || !strings.Contains(r.stderr, "cookie mismatch") {
			t.Fatalf("chatctl ping kate with another cookie: exit %d, stdout %q, stderr %q; want pang and cookie mismatch", r.code, r.stdout, r.stderr)
		}
		kate.waitOutput(m, "Connection attempt from node :alex@localhost rejected. Invalid challenge reply.", soon)
		kate.expect("Node.ping(:alex@localhost)", ":pang")
		alex.logged(soon, "refused an Erlang node: cookie mismatch", "protocol=erlang", "kate@localhost's digest did not verify")
		t.Logf("chatd: %s", strings.TrimSpace(r.stderr))
	})
}

// failsAtOnce runs chatctl with args and fails the test unless it exits 1
// within atOnce, saying want.
func failsAtOnce(t *testing.T, c *cluster, want string, args ...string) {
	t.Helper()
	r := c.chatctl(args...)
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Fatalf("chatctl %s: exit %d, stderr %q; want 1 and %q", strings.Join(args, " "), r.code, r.stderr, want)
	}
	if r.took > atOnce {
		t.Errorf("chatctl %s failed after %s, want at once (under %s)", strings.Join(args, " "), r.took, atOnce)
	}
	t.Logf("chatctl %s: in %s: %s", strings.Join(args, " "), r.took, strings.TrimSpace(r.stderr))
}

// TestErlangLinkTLS: with [link.tls] set, chatd refuses plaintext BEAM
// peers both ways (TLS distribution is out of scope), saying why.
func TestErlangLinkTLS(t *testing.T) {
	c := erlangCluster(t)
	ca := testcert.NewCA(t, c.dir, "ca")
	cert, key := ca.Issue("alex", "localhost", "127.0.0.1")
	alex := c.start("alex", c.withConfig("alex", fmt.Sprintf("[link.tls]\ncert = %q\nkey = %q\nca = %q\n", cert, key, ca.File)))
	kate := c.iex("kate")
	const why = "[link.tls] is set: every link must be TLS, and chatd does not speak Erlang distribution over TLS"

	r := c.chatctl("--node", "alex", "ping", "kate@localhost")
	if r.code != 1 || strings.TrimSpace(r.stdout) != "pang" || !strings.Contains(r.stderr, why) {
		t.Fatalf("chatctl ping kate with link TLS on: exit %d, stdout %q, stderr %q; want pang and %q", r.code, r.stdout, r.stderr, why)
	}
	kate.expect("Node.ping(:alex@localhost)", ":pang")
	alex.logged(soon, "refused an Erlang node", "protocol=erlang", "kate@localhost", why)
	kate.expect("Node.list(:connected)", "[]")
}

// TestErlangMapper: the port mapper both ways. chatd registers with the
// real epmd an iex node started on the cluster's port, and epmd -names
// lists both; when the chatd embedding the mapper stops, another chatd
// takes it over and the BEAM node registers again by itself.
func TestErlangMapper(t *testing.T) {
	t.Run("iex's epmd", func(t *testing.T) {
		c := erlangCluster(t)
		t.Cleanup(func() { killEPMD(t, c.mapperPort) }) // runs after kate and alex are stopped
		kate := c.iex("kate", ownEPMD())
		alex := c.start("alex")
		if alex.status().MapperLocal {
			t.Fatal("alex embeds a mapper although kate's epmd runs on its port")
		}
		if out := epmdNames(t, c.mapperPort); !listsAll(out, "alex", "kate") {
			t.Fatalf("epmd -names does not list alex and kate:\n%s", out)
		}
		if r := c.chatctl("--node", "alex", "ping", "kate@localhost"); r.code != 0 || strings.TrimSpace(r.stdout) != "pong" {
			t.Fatalf("chatctl ping kate through kate's epmd: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		kate.expect("Node.ping(:alex@localhost)", ":pong")
		if pids := epmdPids(c.mapperPort); len(pids) != 1 {
			t.Fatalf("epmd processes on port %d: %v, want kate's one", c.mapperPort, pids)
		}
	})
	t.Run("takeover", func(t *testing.T) {
		c := erlangCluster(t)
		alex := c.start("alex")
		bob := c.start("bob")
		kate := c.iex("kate")
		if err := alex.stop(syscall.SIGTERM, 10*time.Second); err != nil {
			t.Fatalf("alex exited with %v", err)
		}
		start := time.Now()
		waitFor(t, 10*time.Second, "bob's mapper to list bob and kate again", func() bool {
			out, err := tryEPMDNames(t, c.mapperPort)
			return err == nil && listsAll(out, "bob", "kate") && !listsAll(out, "alex")
		})
		t.Logf("bob's mapper lists kate again %s after alex stopped", time.Since(start).Round(time.Millisecond))
		if r := c.chatctl("--node", "bob", "ping", "kate@localhost"); r.code != 0 {
			t.Fatalf("chatctl --node bob ping kate after the takeover: exit %d, stderr %q", r.code, r.stderr)
		}
		kate.expect("Node.ping(:bob@localhost)", ":pong")
		if !bob.status().MapperLocal {
			t.Fatal("bob did not take the mapper over")
		}
	})
}

// epmdPids lists the epmd processes serving port: those started with
// ERL_EPMD_PORT=port in their environment (as erl starts one) or -port
// port. The ports are the tests' own, so these are processes a test
// started.
func epmdPids(port int) []int {
	var pids []int
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	env := []byte("ERL_EPMD_PORT=" + strconv.Itoa(port) + "\x00")
	arg := []byte("\x00-port\x00" + strconv.Itoa(port) + "\x00")
	for _, d := range dirs {
		cmdline, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || filepath.Base(string(bytes.SplitN(cmdline, []byte{0}, 2)[0])) != "epmd" {
			continue
		}
		environ, _ := os.ReadFile(filepath.Join(d, "environ"))
		if bytes.Contains(environ, env) || bytes.Contains(append(cmdline, 0), arg) {
			if pid, err := strconv.Atoi(filepath.Base(d)); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// killEPMD stops the epmd an iex node started on port (it daemonizes,
// out of the node's process group) and waits until it is gone.
func killEPMD(t *testing.T, port int) {
	t.Helper()
	for _, pid := range epmdPids(port) {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	waitFor(t, 5*time.Second, fmt.Sprintf("the epmd on port %d to exit", port), func() bool {
		return len(epmdPids(port)) == 0
	})
}
