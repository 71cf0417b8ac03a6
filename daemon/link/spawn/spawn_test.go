package spawn_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"chatd/daemon/link/spawn"
	"chatd/daemon/peer"
	"chatd/internal/linktest"
	"chatd/internal/testkit"
	"chatd/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// output collects what a remote process printed and how it ended.
type output struct {
	mu    sync.Mutex
	lines []string
	exit  chan string
}

func newOutput() *output { return &output{exit: make(chan string, 1)} }

func (o *output) Line(s string) {
	o.mu.Lock()
	o.lines = append(o.lines, s)
	o.mu.Unlock()
}

func (o *output) Exit(reason string) { o.exit <- reason }

// wait returns the exit reason and the lines printed before it.
func (o *output) wait(t *testing.T) (string, []string) {
	t.Helper()
	select {
	case r := <-o.exit:
		o.mu.Lock()
		defer o.mu.Unlock()
		return r, o.lines
	case <-time.After(testkit.Wait):
		t.Fatal("the remote process did not exit")
	}
	return "", nil
}

func start(t *testing.T) (alex, kate *linktest.Node) {
	c := linktest.New(t)
	return c.Start("alex@localhost", 0), c.Start("kate@localhost", 0)
}

func TestSpawnOutputAndExit(t *testing.T) {
	alex, kate := start(t)
	shell := wire.Pid{Node: alex.Name, ID: 1, Creation: 7}
	out := newOutput()
	pid, err := alex.Link(t, kate).Spawn(testkit.Ctx(t, testkit.Wait), wire.Spawn{LinkedTo: shell, Function: "echo", Args: []string{"Hi", "there"}}, out)
	if err != nil {
		t.Fatal(err)
	}
	if pid.Node != kate.Name || pid.Creation != 7 {
		t.Errorf("pid %s is not kate's", pid)
	}
	reason, lines := out.wait(t)
	if reason != wire.ExitNormal || len(lines) != 2 || lines[0] != "Hi" || lines[1] != "there" {
		t.Fatalf("exit %q after %q, want normal after Hi, there", reason, lines)
	}
}

func TestSpawnRefused(t *testing.T) {
	alex, kate := start(t)
	_, err := alex.Link(t, kate).Spawn(testkit.Ctx(t, testkit.Wait), wire.Spawn{LinkedTo: wire.Pid{Node: alex.Name, ID: 1, Creation: 7}, Function: "nope"}, newOutput())
	ce, ok := errors.AsType[*peer.CallError](err)
	if !ok || ce.Kind != wire.CodeNotFound || ce.Node != kate.Name || err.Error() != `kate@localhost: unknown function "nope"` {
		t.Fatalf("spawn nope = %v, want a not_found CallError from kate", err)
	}
}

// TestSpawnLinkEnds: the stream is the link between the process and the
// caller; when kate goes away the caller sees noconnection, and when the
// caller ends the stream kate's process is killed.
func TestSpawnLinkEnds(t *testing.T) {
	alex, kate := start(t)
	out := newOutput()
	if _, err := alex.Link(t, kate).Spawn(testkit.Ctx(t, testkit.Wait), wire.Spawn{LinkedTo: wire.Pid{Node: alex.Name, ID: 1, Creation: 7}, Function: "block"}, out); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, testkit.Wait, "the process to run on kate", func() bool { return len(kate.Local.Procs.List()) == 2 })
	kate.Stop()
	if reason, _ := out.wait(t); reason != wire.ExitNoConnection {
		t.Fatalf("exit after kate stopped = %q, want noconnection", reason)
	}

	alex2, kate2 := start(t)
	s, err := alex2.Link(t, kate2).OpenStream(testkit.Ctx(t, testkit.Wait), wire.KindSpawn)
	if err != nil {
		t.Fatal(err)
	}
	r, err := spawn.Start(testkit.Ctx(t, testkit.Wait), kate2.Name, s, 0, wire.Spawn{LinkedTo: wire.Pid{Node: alex2.Name, ID: 1, Creation: 7}, Function: "block"})
	if err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, testkit.Wait, "the process to run on kate", func() bool { return len(kate2.Local.Procs.List()) == 2 })
	r.Stop()
	testkit.WaitFor(t, testkit.Wait, "kate to kill the orphaned process", func() bool { return len(kate2.Local.Procs.List()) == 1 })
}
