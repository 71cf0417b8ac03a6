package tests

import (
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"chatd/wire"
)

// Stopping a node that serves a call (issue 14, point 5): the node says
// what it waits for and how to stop at once, peers it owes nothing see it
// down at once, the caller still gets its result, a second signal stops
// at once, and the grace period is tasks.stop_grace.

// runningTasks is the number of tasks GET /v1/tasks lists as running.
func (n *node) runningTasks() int {
	n.c.t.Helper()
	running := 0
	for _, t := range n.tasks(false) {
		if t.State == wire.TaskRunning {
			running++
		}
	}
	return running
}

// signal sends sig to the node's process.
func (n *node) signal(sig syscall.Signal) {
	n.c.t.Helper()
	if err := n.cmd.Process.Signal(sig); err != nil {
		n.c.t.Fatalf("signal %s to %s: %v", sig, n.name, err)
	}
}

// await waits at most d for a background chatctl's result.
func await(t *testing.T, d time.Duration, what string, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(d):
		t.Fatalf("%s did not return within %s", what, d)
		return result{}
	}
}

// TestStopWaitsForRunningTasks: Ctrl-C on kate while she runs alex's
// sleep: kate says she waits, moebi (owed nothing) sees her down at once
// while she still runs, alex's new call is refused, his running one gets
// its result, then kate exits 0.
func TestStopWaitsForRunningTasks(t *testing.T) {
	c := newCluster(t)
	alex := c.start("alex")
	kate := c.start("kate")
	moebi := c.start("moebi")
	if r := c.chatctl("--node", "moebi", "ping", "kate"); r.code != 0 || !slices.Contains(moebi.links(), "kate@localhost") {
		t.Fatalf("moebi ping kate: exit %d, %q; links %v", r.code, r.stdout+r.stderr, moebi.links())
	}
	call := c.chatctlAsync("--node", "alex", "call", "kate@localhost", "sleep", "3s")
	waitFor(t, soon, "kate to run alex's sleep", func() bool { return kate.runningTasks() == 1 })

	kate.signal(syscall.SIGINT)
	kate.logged(atOnce, "waiting up to 5s for 1 running task; press Ctrl-C again to stop now", "sleep 3s for alex@localhost")
	waitFor(t, atOnce, "moebi to see kate down", func() bool { return !slices.Contains(moebi.links(), "kate@localhost") })
	moebi.logged(atOnce, "node down", "kate@localhost")
	if r := c.chatctl("--node", "alex", "call", "kate@localhost", "echo", "late"); r.code != 1 || !strings.Contains(r.stderr, "node is stopping") {
		t.Errorf("a new call to stopping kate: exit %d, stderr %q; want 1 and that kate is stopping", r.code, r.stderr)
	}
	select {
	case <-kate.exited:
		t.Fatal("kate exited before alex's task finished")
	default:
	}

	r := await(t, soon, "alex's call", call)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "slept 3s" {
		t.Fatalf("alex's call to stopping kate: exit %d, stdout %q, stderr %q; want its result", r.code, r.stdout, r.stderr)
	}
	kate.waitExit(soon)
	if kate.err != nil {
		t.Fatalf("kate exited with %v, want 0", kate.err)
	}
	kate.logged(0, "running tasks finished")
	waitFor(t, soon, "alex to see kate down", func() bool { return !slices.Contains(alex.links(), "kate@localhost") })
}

// TestStopSecondSignalStopsAtOnce: with a long grace, a second Ctrl-C
// cancels the running task and kate exits at once.
func TestStopSecondSignalStopsAtOnce(t *testing.T) {
	c := newCluster(t)
	c.start("alex")
	kate := c.start("kate", c.withConfig("kate", "[tasks]\nstop_grace = \"30s\"\n"))
	call := c.chatctlAsync("--node", "alex", "call", "--timeout", "40s", "kate@localhost", "sleep", "30s")
	waitFor(t, soon, "kate to run alex's sleep", func() bool { return kate.runningTasks() == 1 })

	kate.signal(syscall.SIGINT)
	kate.logged(atOnce, "waiting up to 30s for 1 running task; press Ctrl-C again to stop now")
	kate.signal(syscall.SIGINT)
	if took := kate.waitExit(atOnce); took > atOnce {
		t.Fatalf("kate took %s to exit after the second Ctrl-C", took)
	}
	if kate.err != nil {
		t.Fatalf("kate exited with %v, want 0", kate.err)
	}
	kate.logged(0, "running tasks cancelled: asked again to stop", "sleep 30s for alex@localhost")
	if r := await(t, atOnce, "alex's call", call); r.code != 1 {
		t.Fatalf("alex's call to kate stopped at once: exit %d, stdout %q, stderr %q; want 1", r.code, r.stdout, r.stderr)
	}
}

// TestStopGraceFromConfig: tasks.stop_grace bounds the wait; SIGTERM's
// hint names SIGTERM.
func TestStopGraceFromConfig(t *testing.T) {
	c := newCluster(t)
	c.start("alex")
	kate := c.start("kate", c.withConfig("kate", "[tasks]\nstop_grace = \"1s\"\n"))
	call := c.chatctlAsync("--node", "alex", "call", "kate@localhost", "sleep", "4s")
	waitFor(t, soon, "kate to run alex's sleep", func() bool { return kate.runningTasks() == 1 })

	start := time.Now()
	kate.signal(syscall.SIGTERM)
	kate.logged(atOnce, "waiting up to 1s for 1 running task; send SIGTERM again to stop now")
	kate.waitExit(soon)
	if took := time.Since(start); took < time.Second || took > time.Second+atOnce {
		t.Fatalf("kate exited %s after SIGTERM; want about tasks.stop_grace, 1s", took)
	}
	kate.logged(0, "running tasks cancelled: tasks.stop_grace (1s) is over")
	if r := await(t, atOnce, "alex's call", call); r.code != 1 {
		t.Fatalf("alex's call to kate: exit %d, stdout %q, stderr %q; want 1", r.code, r.stdout, r.stderr)
	}
}
