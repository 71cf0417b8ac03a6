package daemon

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/config"
	"chatd/daemon/peer"
	"chatd/internal/testkit"
	"chatd/internal/testlog"
	"chatd/wire"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// lockedBuffer is a node's stdout: where its received messages go.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// cluster is in-process nodes sharing a private mapper port, runtime
// directory, cookie and configuration file.
type cluster struct {
	t      *testing.T
	env    map[string]string
	config string // the configuration file, "" for none
}

// newCluster prepares a cluster whose configuration file holds toml.
func newCluster(t *testing.T, toml string) *cluster {
	t.Helper()
	dir := t.TempDir()
	cookie := filepath.Join(dir, "cookie")
	if err := os.WriteFile(cookie, []byte(testkit.Cookie), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, env: map[string]string{
		"CHATD_MAPPER_PORT": strconv.Itoa(freePort(t)),
		"CHATD_RUNTIME_DIR": filepath.Join(dir, "run"),
		"CHATD_COOKIE_FILE": cookie,
		"CHATD_TICK":        "1s",
	}}
	if toml != "" {
		c.config = filepath.Join(dir, "chatd.toml")
		if err := os.WriteFile(c.config, []byte("version = 1\n"+toml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// freePort returns a TCP port on loopback that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// testNode is a node started in this process.
type testNode struct {
	*Node
	out *lockedBuffer // received messages
}

// start starts the node called name; it is stopped when the test ends.
func (c *cluster) start(name string) *testNode {
	c.t.Helper()
	getenv := func(k string) string { return c.env[k] }
	cfg, err := config.Load(c.config, config.Overrides{Name: name}, getenv)
	if err != nil {
		c.t.Fatal(err)
	}
	cookie, err := config.LoadCookie(cfg, getenv, os.Getuid())
	if err != nil {
		c.t.Fatal(err)
	}
	out := &lockedBuffer{}
	n, err := Start(testkit.Ctx(c.t, testkit.Wait), cfg, cookie, Options{
		Version: "test", Logger: testlog.New(c.t).With("node", name), Getenv: getenv,
		UID: os.Getuid(), GID: os.Getgid(), Messages: out,
	})
	if err != nil {
		c.t.Fatalf("start %s: %v", name, err)
	}
	c.t.Cleanup(func() {
		if err := n.Stop(); err != nil {
			c.t.Errorf("stop %s: %v", name, err)
		}
	})
	return &testNode{Node: n, out: out}
}

var (
	kate  = wire.NodeName{Name: "kate", Host: "localhost"}
	moebi = wire.NodeName{Name: "moebi", Host: "localhost"}
)

// TestChat sends the lesson's message: it lands in kate's sink, from alex.
func TestChat(t *testing.T) {
	c := newCluster(t, "")
	a, k := c.start("alex"), c.start("kate")
	resp, err := a.Core().SendMessage(testkit.Ctx(t, testkit.Wait), kate, "hi")
	if err != nil {
		t.Fatal(err)
	}
	if resp.From != "alex@localhost" || resp.To != "kate@localhost" || len(resp.ID) != 16 {
		t.Errorf("send = %+v", resp)
	}
	if got := k.out.String(); got != "hi\n" {
		t.Errorf("kate printed %q, want hi", got)
	}
	ms := k.Core().Messages(0)
	if len(ms) != 1 || ms[0].From != "alex@localhost" || ms[0].ID != resp.ID {
		t.Errorf("kate's messages = %+v", ms)
	}
	if links := a.router.Links(); len(links) != 1 || links[0].Protocol != "chatd" || links[0].Node != "kate@localhost" {
		t.Errorf("alex's links = %+v", links)
	}
}

// TestResponder is the lesson's moebi: the send returns only once moebi's
// chicken? is in alex's sink, and moebi never answers that answer.
func TestResponder(t *testing.T) {
	c := newCluster(t, "[nodes.moebi]\nresponder.reply = \"chicken?\"\n")
	a, m := c.start("alex"), c.start("moebi")
	if _, err := a.Core().SendMessage(testkit.Ctx(t, testkit.Wait), moebi, "hi"); err != nil {
		t.Fatal(err)
	}
	if got := a.out.String(); got != "chicken?\n" {
		t.Errorf("alex printed %q before the send returned, want chicken?", got)
	}
	if ms := a.Core().Messages(0); len(ms) != 1 || ms[0].From != "moebi@localhost" {
		t.Errorf("alex's messages = %+v", ms)
	}
	if got := m.out.String(); got != "hi\n" {
		t.Errorf("moebi printed %q", got)
	}
}

// TestCallFailures checks that each kind of failure reaches the caller
// with its kind.
func TestCallFailures(t *testing.T) {
	c := newCluster(t, "")
	a, _ := c.start("alex"), c.start("kate")
	ctx := testkit.Ctx(t, testkit.Wait)
	if got, err := a.Core().Call(ctx, kate, wire.Call{Function: "echo", Args: []string{"a", "b"}}); err != nil || got != "a b" {
		t.Fatalf("echo = %q, %v", got, err)
	}
	for _, tc := range []struct {
		name string
		call wire.Call
		node wire.NodeName
		want wire.ErrorCode
	}{
		{"crash", wire.Call{Function: "crash"}, kate, wire.CodeTaskFailed},
		{"unknown", wire.Call{Function: "nope"}, kate, wire.CodeNotFound},
		{"bad args", wire.Call{Function: "say_name", Args: []string{"x"}}, kate, wire.CodeBadRequest},
		{"timeout", wire.Call{Function: "sleep", Args: []string{"10s"}, Timeout: 100 * time.Millisecond}, kate, wire.CodeTimeout},
		{"no such node", wire.Call{Function: "echo"}, wire.NodeName{Name: "nobody", Host: "localhost"}, wire.CodeNoConnection},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.Core().Call(ctx, tc.node, tc.call)
			if wire.CodeOf(err) != tc.want {
				t.Fatalf("%s = %v (kind %q), want %q", tc.call.Function, err, wire.CodeOf(err), tc.want)
			}
		})
	}
	_, err := a.Core().Call(ctx, wire.NodeName{Name: "nobody", Host: "localhost"}, wire.Call{Function: "echo"})
	if !errors.Is(err, peer.ErrNotRegistered) || !strings.HasPrefix(err.Error(), "no connection to nobody@localhost: not registered") {
		t.Errorf("call to nobody = %v", err)
	}
}

// TestSpawnAndReply replays the lesson's spawn_link and receive/reply: the
// spawned say_name prints on the caller's side, and a reply process
// answers the shell's message into the shell's mailbox.
func TestSpawnAndReply(t *testing.T) {
	c := newCluster(t, "")
	a, _ := c.start("alex"), c.start("kate")
	ctx := testkit.Ctx(t, testkit.Wait)
	sp, err := a.Core().Spawn(ctx, kate, "say_name", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	var events []wire.SpawnEvent
	for ev := range sp.Events {
		events = append(events, ev)
		if ev.Event == wire.SpawnEventExit {
			break
		}
	}
	if len(events) != 2 || events[0].Text != "Hi, my name is kate" || events[1].Reason != wire.ExitNormal || events[0].Pid != sp.Pid.String() {
		t.Fatalf("spawn say_name: %+v", events)
	}

	sp, err = a.Core().Spawn(ctx, kate, "reply", []string{"sup?"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Core().SendFromShell(ctx, sp.Pid, "hi"); err != nil {
		t.Fatal(err)
	}
	var flushed wire.FlushResponse
	testkit.WaitFor(t, testkit.Wait, "sup? in alex's shell", func() bool {
		flushed = a.Core().Flush()
		return len(flushed.Messages) > 0
	})
	if m := flushed.Messages[0]; m.Text != "sup?" || m.From != sp.Pid.String() {
		t.Fatalf("alex's shell got %+v", flushed.Messages)
	}
}

// TestLocalPlacement is the lesson's test environment: a task for any
// node runs on this node's own supervisor.
func TestLocalPlacement(t *testing.T) {
	c := newCluster(t, "[environments.test]\ntasks.placement = \"local\"\n")
	c.env["CHATD_ENV"] = "test"
	a := c.start("alex")
	if _, err := a.Core().SendMessage(testkit.Ctx(t, testkit.Wait), moebi, "hi"); err != nil {
		t.Fatalf("send to moebi (not running) with local placement: %v", err)
	}
	if got := a.out.String(); got != "hi\n" {
		t.Errorf("alex printed %q, want the message itself", got)
	}
	if n := len(a.router.Links()); n != 0 {
		t.Errorf("%d links with local placement", n)
	}
}
