package proc

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"chatd/internal/testkit"
	"chatd/internal/testlog"
	"chatd/wire"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// testNode is the node every test table runs on.
var testNode = wire.NodeName{Name: "kate", Host: "localhost"}

// testCreation is the creation of every test table.
const testCreation = 7

// newTestTable returns a table on testNode that is closed when the test
// ends.
func newTestTable(t *testing.T, mailbox, max int) *Table {
	t.Helper()
	tb := NewTable(Config{Node: testNode, Creation: testCreation, Mailbox: mailbox, Max: max, Logger: testLogger(t)})
	t.Cleanup(tb.Close)
	return tb
}

// mustAttach attaches a process running function to tb, fails the test if
// that fails, and releases it when the test ends.
func mustAttach(t *testing.T, tb *Table, function string) *Process {
	t.Helper()
	p, release, err := tb.Attach(function, nil)
	if err != nil {
		t.Fatalf("Attach(%q): %v", function, err)
	}
	t.Cleanup(release)
	return p
}

// mustSpawn spawns spec and fails the test if that fails.
func mustSpawn(t *testing.T, tb *Table, spec Spec) *Process {
	t.Helper()
	if spec.Function == "" {
		spec.Function = "test"
	}
	if spec.Run == nil {
		spec.Run = untilKilled
	}
	p, err := tb.Spawn(spec)
	if err != nil {
		t.Fatalf("Spawn(%q): %v", spec.Function, err)
	}
	return p
}

// waitDone waits for p to end and returns its reason.
func waitDone(t *testing.T, p *Process) string {
	t.Helper()
	select {
	case <-p.Done():
		return p.Reason()
	case <-time.After(testkit.Wait):
		t.Fatalf("process %s did not end", p.Pid())
		return ""
	}
}

// isDone reports whether p has ended, without waiting.
func isDone(p *Process) bool {
	select {
	case <-p.Done():
		return true
	default:
		return false
	}
}

// untilKilled is a process body that runs until its context ends.
func untilKilled(ctx context.Context, _ *Process) error {
	<-ctx.Done()
	return ctx.Err()
}

// msg is a message from the shell of testNode.
func msg(text string) Message {
	return Message{From: wire.Pid{Node: testNode, ID: 1, Creation: testCreation}, Text: text}
}

// texts returns the texts of ms.
func texts(ms []Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Text
	}
	return out
}

// output collects what processes print.
type output struct {
	mu    sync.Mutex
	lines []string // guarded by mu
}

func (o *output) print(line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.lines = append(o.lines, line)
}

func (o *output) get() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.lines...)
}

func testLogger(t testing.TB) *slog.Logger { return testlog.New(t) }
