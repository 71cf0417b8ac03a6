package link

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"chatd/daemon/peer"
	"chatd/wire"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// linktestLocal is the core of a test node that serves no calls or
// processes: link tests exercise pings and the links themselves.
type linktestLocal struct{ self wire.NodeName }

func (l linktestLocal) Self() wire.NodeName { return l.self }

func (l linktestLocal) StartCall(context.Context, wire.NodeName, wire.Call, func(string, error)) (func(), error) {
	return nil, wire.Errorf(wire.CodeNotFound, "this test node runs no calls")
}

func (l linktestLocal) RunCall(context.Context, wire.NodeName, wire.Call) (string, error) {
	return "", wire.Errorf(wire.CodeNotFound, "this test node runs no calls")
}

func (l linktestLocal) StartProcess(wire.NodeName, wire.Spawn, func(string)) (peer.Process, error) {
	return nil, wire.Errorf(wire.CodeNotFound, "this test node runs no processes")
}

func (l linktestLocal) Deliver(_, to wire.Pid, _ string) error {
	return wire.Errorf(wire.CodeNoProcess, "no such process %s", to)
}
