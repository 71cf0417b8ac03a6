package metrics

import (
	"context"
	"time"

	"chatd/daemon/peer"
	"chatd/wire"
)

// Call directions, the values of the direction label.
const (
	dirIn  = "in"  // a peer's call, run here
	dirOut = "out" // this node's call, over a link
	// dirLocal: this node's call run on its own supervisor (to itself, or
	// with tasks.placement = "local").
	dirLocal = "local"
)

// chatFunction is the function a chat message is sent with; a call of it
// flagged wire.FlagResponderReply is a responder's reply.
const chatFunction = "receive_message"

// observeCall counts a call that ended after took.
func (m *Metrics) observeCall(direction, function string, err error, took time.Duration) {
	fn := m.functions.value(function)
	m.calls.WithLabelValues(direction, fn, result(err)).Inc()
	m.callSeconds.WithLabelValues(direction, fn).Observe(took.Seconds())
}

// Local wraps the core's peer.Local, which every link protocol serves its
// peers from, to count and time the calls peers make here.
func (m *Metrics) Local(l peer.Local) peer.Local { return &local{Local: l, m: m} }

type local struct {
	peer.Local
	m *Metrics
}

// StartCall implements peer.Local: the call is measured from its start to
// its result, or counted at once when it could not start.
func (l *local) StartCall(ctx context.Context, caller wire.NodeName, c wire.Call, done func(string, error)) (func(), error) {
	start := time.Now()
	cancel, err := l.Local.StartCall(ctx, caller, c, func(v string, err error) {
		l.m.observeCall(dirIn, c.Function, err, time.Since(start))
		done(v, err)
	})
	if err != nil {
		l.m.observeCall(dirIn, c.Function, err, time.Since(start))
	}
	return cancel, err
}

// RunCall implements peer.Local: the call is measured from its start to
// its result.
func (l *local) RunCall(ctx context.Context, caller wire.NodeName, c wire.Call) (string, error) {
	start := time.Now()
	v, err := l.Local.RunCall(ctx, caller, c)
	l.m.observeCall(dirIn, c.Function, err, time.Since(start))
	return v, err
}

// Call counts and times a call the core made (core.Config.OnCall): over
// a link when remote ("out"), else on this node's own supervisor
// ("local"); a chat message or a responder's reply among them is counted
// as such too. A call that could not reach its node counts with its
// failure kind (no_connection).
func (m *Metrics) Call(node wire.NodeName, call wire.Call, remote bool, err error, took time.Duration) {
	dir := dirLocal
	if remote {
		dir = dirOut
	}
	m.observeCall(dir, call.Function, err, took)
	if call.Function != chatFunction {
		return
	}
	if call.Flags&wire.FlagResponderReply != 0 {
		m.replies.WithLabelValues(result(err)).Inc()
	} else {
		m.messagesSent.WithLabelValues(result(err)).Inc()
	}
}
