package tests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nodeEvent is one line of `chatctl --json nodes --watch`.
type nodeEvent struct {
	Event, Node, Protocol, Direction, Reason, Detail string
	Time                                             time.Time
}

// TestNodesWatch: `chatctl nodes --watch` on alex shows kate up, down on a
// tick timeout when kate is stopped (SIGSTOP), up again, down (closed)
// when kate stops cleanly, and ends, saying why, when alex stops.
func TestNodesWatch(t *testing.T) {
	const tick = time.Second
	c := newCluster(t)
	c.env = append(c.env, "CHATD_TICK="+tick.String())
	alex := c.start("alex")
	kate := c.start("kate")
	t.Cleanup(func() { _ = kate.cmd.Process.Signal(syscall.SIGCONT) })

	w := watchNodes(t, c, "alex")
	up := w.firstUp(c, alex, "kate")
	if up.Event != "up" || up.Node != "kate@localhost" || up.Protocol != "chatd" || up.Direction != "out" || up.Time.IsZero() {
		t.Fatalf("first event %+v, want kate up", up)
	}

	_ = kate.cmd.Process.Signal(syscall.SIGSTOP)
	if ev := w.next("kate stopped"); ev.Event != "down" || ev.Node != "kate@localhost" || ev.Reason != "tick_timeout" {
		t.Errorf("after SIGSTOP: %+v, want kate down (tick_timeout)", ev)
	}
	_ = kate.cmd.Process.Signal(syscall.SIGCONT)
	waitFor(t, 10*time.Second, "alex to reach kate again", func() bool {
		return c.chatctl("--node", "alex", "ping", "kate").code == 0
	})
	if ev := w.next("kate back"); ev.Event != "up" || ev.Node != "kate@localhost" {
		t.Errorf("after SIGCONT: %+v, want kate up", ev)
	}

	if err := kate.stop(syscall.SIGTERM, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if ev := w.next("kate's clean stop"); ev.Event != "down" || ev.Node != "kate@localhost" || ev.Reason != "closed" {
		t.Errorf("after kate's SIGTERM: %+v, want kate down (closed)", ev)
	}

	if err := alex.stop(syscall.SIGTERM, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if ev := w.next("alex stopping"); ev.Event != "end" || ev.Reason != "shutdown" || ev.Detail != "chatd alex@localhost is stopping" {
		t.Errorf("after alex's SIGTERM: %+v, want the end (shutdown)", ev)
	}
	for range w.events {
	}
	err := w.cmd.Wait()
	ee, ok := errors.AsType[*exec.ExitError](err)
	if !ok || ee.ExitCode() != 1 || !strings.Contains(w.stderr.String(), "nodes --watch: chatd at ") ||
		!strings.Contains(w.stderr.String(), "ended the watch: shutdown (chatd alex@localhost is stopping)") {
		t.Errorf("chatctl exited %v with stderr %q; want 1 and why", err, w.stderr.String())
	}
}

// nodeWatch is a running `chatctl --json nodes --watch`.
type nodeWatch struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	events chan nodeEvent // closed when the watch's output ends
}

// watchNodes starts `chatctl --node NODE --json nodes --watch`; the test's
// cleanup stops it.
func watchNodes(t *testing.T, c *cluster, node string) *nodeWatch {
	t.Helper()
	cmd := exec.Command(built.chatctl, "--node", node, "--json", "nodes", "--watch")
	cmd.Env = c.baseEnv()
	w := &nodeWatch{t: t, cmd: cmd, stderr: &bytes.Buffer{}, events: make(chan nodeEvent, 64)}
	cmd.Stderr = w.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(w.events)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var ev nodeEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Errorf("watch line %q: %v", sc.Text(), err)
				continue
			}
			w.events <- ev
		}
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return w
}

// next is the watch's next event; it fails the test after 10s or when
// the watch ended.
func (w *nodeWatch) next(what string) nodeEvent {
	w.t.Helper()
	select {
	case ev, ok := <-w.events:
		if !ok {
			w.t.Fatalf("the watch ended before %s; stderr: %s", what, w.stderr.String())
		}
		return ev
	case <-time.After(10 * time.Second):
		w.t.Fatalf("no event for %s", what)
	}
	return nodeEvent{}
}

// firstUp links from to peer, and unlinks again, until the watch (which
// subscribes some time after chatctl starts) shows an up; it returns it.
func (w *nodeWatch) firstUp(c *cluster, from *node, peer string) nodeEvent {
	w.t.Helper()
	var up nodeEvent
	for i := 0; up.Event != "up"; i++ {
		if r := c.chatctl("--node", from.name, "ping", peer); r.code != 0 {
			w.t.Fatalf("ping %s: %d %s", peer, r.code, r.stderr)
		}
		select {
		case up = <-w.events: // a down first, when the watch began between a ping and its disconnect
		case <-time.After(200 * time.Millisecond):
			if i == 50 {
				w.t.Fatalf("nodes --watch showed no up while %s linked to %s", from.name, peer)
			}
			c.chatctl("--node", from.name, "disconnect", peer)
			waitFor(w.t, 5*time.Second, peer+" unlinked", func() bool { return len(from.links()) == 0 })
		}
	}
	return up
}

// TestNodesWatchErlang: node events for a BEAM peer too. alex's watch
// shows the lesson's kate (a real iex node) up over Erlang distribution,
// and down, closed, once kate quits with :init.stop().
func TestNodesWatchErlang(t *testing.T) {
	c := erlangCluster(t)
	alex := c.start("alex")
	kate := c.iex("kate")
	w := watchNodes(t, c, "alex")
	up := w.firstUp(c, alex, "kate@localhost")
	if up.Node != "kate@localhost" || up.Protocol != "erlang" || up.Direction != "out" || up.Time.IsZero() {
		t.Fatalf("first event %+v, want kate up over erlang", up)
	}
	kate.typeAlone(":init.stop()")
	if ev := w.next("kate's :init.stop()"); ev.Event != "down" || ev.Node != "kate@localhost" || ev.Protocol != "erlang" || ev.Reason != "closed" {
		t.Errorf("after kate's :init.stop(): %+v, want kate down (closed)", ev)
	}
}
