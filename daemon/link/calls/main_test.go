package calls_test

import (
	"testing"

	"go.uber.org/goleak"

	"chatd/daemon/link"
	"chatd/internal/linktest"
	"chatd/internal/testkit"
	"chatd/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// pair is alex calling kate over a link.
type pair struct {
	c          *linktest.Cluster
	alex, kate *linktest.Node
}

// newPair starts alex and kate, whose supervisor runs at most maxRunning
// tasks (0: no limit).
func newPair(t *testing.T, maxRunning int) *pair {
	t.Helper()
	c := linktest.New(t)
	return &pair{c: c, alex: c.Start("alex@localhost", 0), kate: c.Start("kate@localhost", maxRunning)}
}

// link returns alex's link to kate.
func (p *pair) link(t *testing.T) *link.Link {
	t.Helper()
	return p.alex.Link(t, p.kate)
}

// call makes one call from alex to kate with a testkit.Wait timeout.
func (p *pair) call(t *testing.T, fn string, args ...string) (string, error) {
	t.Helper()
	return p.link(t).Call(testkit.Ctx(t, testkit.Wait), wire.Call{Function: fn, Args: args, Timeout: testkit.Wait})
}
