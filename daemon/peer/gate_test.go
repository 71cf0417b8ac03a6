package peer

import (
	"context"
	"errors"
	"testing"

	"chatd/wire"
)

// gateLocal is a Local whose calls finish when the test says so.
type gateLocal struct {
	Local
	refuse error
	dones  []func(string, error)
	during func() // RunCall calls it while the call runs
}

func (l *gateLocal) RunCall(context.Context, wire.NodeName, wire.Call) (string, error) {
	if l.refuse != nil {
		return "", l.refuse
	}
	l.during()
	return "ok", nil
}

func (l *gateLocal) Self() wire.NodeName { return wire.NodeName{Name: "kate", Host: "localhost"} }

func (l *gateLocal) StartCall(_ context.Context, _ wire.NodeName, _ wire.Call, done func(string, error)) (func(), error) {
	if l.refuse != nil {
		return nil, l.refuse
	}
	l.dones = append(l.dones, done)
	return func() {}, nil
}

func TestGateCountsCallsUntilTheirResultIsOut(t *testing.T) {
	alex := wire.NodeName{Name: "alex", Host: "localhost"}
	moebi := wire.NodeName{Name: "moebi", Host: "localhost"}
	tests := []struct {
		name      string
		calls     []wire.NodeName // callers, in order
		finish    []int           // indexes of the calls that finish
		refuse    error           // the core's answer to every call
		closed    bool            // the gate closes before the calls
		owed      map[wire.NodeName]bool
		wantErr   error
		wantToken bool
	}{
		{name: "none", owed: map[wire.NodeName]bool{alex: false}},
		{name: "one running", calls: []wire.NodeName{alex}, owed: map[wire.NodeName]bool{alex: true, moebi: false}},
		{name: "one finished", calls: []wire.NodeName{alex}, finish: []int{0},
			owed: map[wire.NodeName]bool{alex: false}, wantToken: true},
		{name: "two of alex, one finished", calls: []wire.NodeName{alex, alex, moebi}, finish: []int{1},
			owed: map[wire.NodeName]bool{alex: true, moebi: true}, wantToken: true},
		{name: "refused by the core", calls: []wire.NodeName{alex}, refuse: errors.New("overloaded"),
			owed: map[wire.NodeName]bool{alex: false}, wantErr: errors.New("overloaded"), wantToken: true},
		{name: "closed", calls: []wire.NodeName{alex}, closed: true,
			owed: map[wire.NodeName]bool{alex: false}, wantErr: ErrStopping},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := &gateLocal{refuse: tc.refuse}
			g := NewGate(l)
			if tc.closed {
				g.Close()
			}
			for _, caller := range tc.calls {
				_, err := g.StartCall(context.Background(), caller, wire.Call{Function: "sleep"}, func(string, error) {})
				if tc.wantErr == nil && err != nil || tc.wantErr != nil && err == nil {
					t.Fatalf("StartCall: %v, want %v", err, tc.wantErr)
				}
				if errors.Is(tc.wantErr, ErrStopping) && (!errors.Is(err, ErrStopping) || wire.CodeOf(err) != wire.CodeUnavailable) {
					t.Fatalf("StartCall on a closed gate: %v (code %s), want ErrStopping, unavailable", err, wire.CodeOf(err))
				}
			}
			for _, i := range tc.finish {
				l.dones[i]("ok", nil)
			}
			for node, want := range tc.owed {
				if got := g.Owed(node); got != want {
					t.Errorf("Owed(%s) = %v, want %v", node, got, want)
				}
			}
			select {
			case <-g.Changed():
				if !tc.wantToken {
					t.Error("Changed has a token, though no call ended")
				}
			default:
				if tc.wantToken {
					t.Error("Changed has no token after a call ended")
				}
			}
		})
	}
}

// A call is owed while done runs: the link protocol writes the result in
// done, and the link must stay up until it has.
func TestGateOwesTheCallWhileDoneRuns(t *testing.T) {
	alex := wire.NodeName{Name: "alex", Host: "localhost"}
	l := &gateLocal{}
	g := NewGate(l)
	var owedInDone bool
	if _, err := g.StartCall(context.Background(), alex, wire.Call{Function: "echo"}, func(string, error) { owedInDone = g.Owed(alex) }); err != nil {
		t.Fatal(err)
	}
	l.dones[0]("", nil)
	if !owedInDone || g.Owed(alex) {
		t.Fatalf("owed while done ran: %v, after: %v; want true, false", owedInDone, g.Owed(alex))
	}
}

// RunCall's call is owed while it runs, not after; a closed gate refuses
// it with ErrStopping, as it refuses StartCall.
func TestGateOwesARunCallWhileItRuns(t *testing.T) {
	alex := wire.NodeName{Name: "alex", Host: "localhost"}
	l := &gateLocal{}
	g := NewGate(l)
	var owedDuring bool
	l.during = func() { owedDuring = g.Owed(alex) }
	if v, err := g.RunCall(context.Background(), alex, wire.Call{Function: "echo"}); v != "ok" || err != nil {
		t.Fatalf("RunCall = %q, %v", v, err)
	}
	if !owedDuring || g.Owed(alex) {
		t.Fatalf("owed while it ran: %v, after: %v; want true, false", owedDuring, g.Owed(alex))
	}
	g.Close()
	if _, err := g.RunCall(context.Background(), alex, wire.Call{Function: "echo"}); !errors.Is(err, ErrStopping) {
		t.Fatalf("RunCall on a closed gate: %v, want ErrStopping", err)
	}
}
