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

	cmd := exec.Command(built.chatctl, "--node", "alex", "--json", "nodes", "--watch")
	cmd.Env = c.baseEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	events := make(chan nodeEvent, 64)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var ev nodeEvent
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				t.Errorf("watch line %q: %v", sc.Text(), err)
				continue
			}
			events <- ev
		}
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	next := func(what string) nodeEvent {
		t.Helper()
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("the watch ended before %s; stderr: %s", what, stderr.String())
			}
			return ev
		case <-time.After(10 * time.Second):
			t.Fatalf("no event for %s", what)
		}
		return nodeEvent{}
	}

	// The watch subscribes some time after chatctl starts: link, and
	// unlink again, until the up shows.
	var up nodeEvent
	for i := 0; up.Event != "up"; i++ {
		if r := c.chatctl("--node", "alex", "ping", "kate"); r.code != 0 {
			t.Fatalf("ping: %d %s", r.code, r.stderr)
		}
		select {
		case up = <-events: // a down first, when the watch began between a ping and its disconnect
		case <-time.After(200 * time.Millisecond):
			if i == 50 {
				t.Fatal("nodes --watch showed no up while alex linked to kate")
			}
			c.chatctl("--node", "alex", "disconnect", "kate")
			waitFor(t, 5*time.Second, "kate unlinked", func() bool { return len(alex.links()) == 0 })
		}
	}
	if up.Event != "up" || up.Node != "kate@localhost" || up.Protocol != "chatd" || up.Direction != "out" || up.Time.IsZero() {
		t.Fatalf("first event %+v, want kate up", up)
	}

	_ = kate.cmd.Process.Signal(syscall.SIGSTOP)
	if ev := next("kate stopped"); ev.Event != "down" || ev.Node != "kate@localhost" || ev.Reason != "tick_timeout" {
		t.Errorf("after SIGSTOP: %+v, want kate down (tick_timeout)", ev)
	}
	_ = kate.cmd.Process.Signal(syscall.SIGCONT)
	waitFor(t, 10*time.Second, "alex to reach kate again", func() bool {
		return c.chatctl("--node", "alex", "ping", "kate").code == 0
	})
	if ev := next("kate back"); ev.Event != "up" || ev.Node != "kate@localhost" {
		t.Errorf("after SIGCONT: %+v, want kate up", ev)
	}

	if err := kate.stop(syscall.SIGTERM, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if ev := next("kate's clean stop"); ev.Event != "down" || ev.Node != "kate@localhost" || ev.Reason != "closed" {
		t.Errorf("after kate's SIGTERM: %+v, want kate down (closed)", ev)
	}

	if err := alex.stop(syscall.SIGTERM, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if ev := next("alex stopping"); ev.Event != "end" || ev.Reason != "shutdown" || ev.Detail != "chatd alex@localhost is stopping" {
		t.Errorf("after alex's SIGTERM: %+v, want the end (shutdown)", ev)
	}
	for range events {
	}
	err = cmd.Wait()
	ee, ok := errors.AsType[*exec.ExitError](err)
	if !ok || ee.ExitCode() != 1 || !strings.Contains(stderr.String(), "nodes --watch: chatd at ") ||
		!strings.Contains(stderr.String(), "ended the watch: shutdown (chatd alex@localhost is stopping)") {
		t.Errorf("chatctl exited %v with stderr %q; want 1 and why", err, stderr.String())
	}
}
