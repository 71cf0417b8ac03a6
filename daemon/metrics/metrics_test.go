package metrics

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"chatd/daemon/peer"
	"chatd/daemon/proc"
	"chatd/internal/testkit"
	"chatd/wire"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var kate = wire.NodeName{Name: "kate", Host: "localhost"}

// fakeLocal runs every call at once: ok, or failing with fail's kind.
type fakeLocal struct {
	peer.Local
	fail error // returned by StartCall itself when set
}

func (f fakeLocal) StartCall(_ context.Context, _ wire.NodeName, c wire.Call, done func(string, error)) (func(), error) {
	if f.fail != nil {
		return nil, f.fail
	}
	if c.Function == "crash" {
		done("", wire.Errorf(wire.CodeTaskFailed, "panic"))
	} else {
		done("ok", nil)
	}
	return func() {}, nil
}

func (f fakeLocal) RunCall(_ context.Context, _ wire.NodeName, c wire.Call) (string, error) {
	if f.fail != nil {
		return "", f.fail
	}
	if c.Function == "crash" {
		return "", wire.Errorf(wire.CodeTaskFailed, "panic")
	}
	return "ok", nil
}

// TestLocalCountsCallsIn: calls peers make are counted by function and
// result, those that could not start too.
func TestLocalCountsCallsIn(t *testing.T) {
	m := New(Sources{})
	for _, tc := range []struct {
		local peer.Local
		fn    string
	}{
		{fakeLocal{}, "echo"}, {fakeLocal{}, "echo"}, {fakeLocal{}, "crash"},
		{fakeLocal{fail: wire.Errorf(wire.CodeNotFound, "no function")}, "nope"},
	} {
		_, _ = m.Local(tc.local).StartCall(t.Context(), kate, wire.Call{Function: tc.fn}, func(string, error) {})
		_, _ = m.Local(tc.local).RunCall(t.Context(), kate, wire.Call{Function: tc.fn})
	}
	want := `
# HELP chatd_calls_total Calls (supervised tasks) that ended, by direction (in: a peer's call run here; out: this node's call to another node; local: its call run here), function and result (ok or the failure kind).
# TYPE chatd_calls_total counter
chatd_calls_total{direction="in",function="crash",result="task_failed"} 2
chatd_calls_total{direction="in",function="echo",result="ok"} 4
chatd_calls_total{direction="in",function="nope",result="not_found"} 2
`
	if err := testutil.CollectAndCompare(m.calls, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.callSeconds); n != 3 {
		t.Errorf("%d duration series, want 3", n)
	}
}

// TestCallCountsChat: the core's calls count as out or local; chat
// messages and responder replies among them count as such.
func TestCallCountsChat(t *testing.T) {
	m := New(Sources{})
	noConn := &peer.ConnectError{Node: kate, Err: peer.ErrNotRegistered}
	m.Call(kate, wire.Call{Function: "receive_message"}, true, nil, time.Millisecond)
	m.Call(kate, wire.Call{Function: "receive_message"}, true, noConn, time.Millisecond)
	m.Call(kate, wire.Call{Function: "receive_message", Flags: wire.FlagResponderReply}, true, nil, time.Millisecond)
	m.Call(kate, wire.Call{Function: "echo"}, false, nil, time.Millisecond)
	for _, tc := range []struct {
		got  float64
		want float64
		what string
	}{
		{testutil.ToFloat64(m.messagesSent.WithLabelValues("ok")), 1, "messages sent ok"},
		{testutil.ToFloat64(m.messagesSent.WithLabelValues("no_connection")), 1, "messages sent no_connection"},
		{testutil.ToFloat64(m.replies.WithLabelValues("ok")), 1, "responder replies"},
		{testutil.ToFloat64(m.calls.WithLabelValues("out", "receive_message", "ok")), 2, "calls out"},
		{testutil.ToFloat64(m.calls.WithLabelValues("local", "echo", "ok")), 1, "calls local"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.what, tc.got, tc.want)
		}
	}
}

// TestSources: what is read at scrape time, links by protocol with every
// known protocol shown.
func TestSources(t *testing.T) {
	m := New(Sources{
		Version:   "1.2.3",
		Protocols: []string{"chatd", "erlang"},
		Links: func() []wire.LinkInfo {
			return []wire.LinkInfo{{Node: "kate@localhost", Protocol: "chatd"}, {Node: "moebi@localhost", Protocol: "chatd"}}
		},
		TasksRunning:        func() int { return 3 },
		Processes:           func() proc.Stats { return proc.Stats{Processes: 4, Queued: 5, Deepest: 2} },
		MessagesReceived:    func() uint64 { return 7 },
		MapperRegistrations: func() uint64 { return 2 },
		MapperEmbedded:      func() bool { return true },
	})
	want := `
# HELP chatd_links_up Links up now, by protocol.
# TYPE chatd_links_up gauge
chatd_links_up{protocol="chatd"} 2
chatd_links_up{protocol="erlang"} 0
# HELP chatd_mailbox_messages Messages waiting in all mailboxes now.
# TYPE chatd_mailbox_messages gauge
chatd_mailbox_messages 5
# HELP chatd_mailbox_messages_max Messages waiting in the fullest mailbox now.
# TYPE chatd_mailbox_messages_max gauge
chatd_mailbox_messages_max 2
# HELP chatd_mapper_embedded 1 while this node runs the embedded port mapper, else 0.
# TYPE chatd_mapper_embedded gauge
chatd_mapper_embedded 1
# HELP chatd_mapper_registrations_total Registrations with the port mapper: one at the start, one more each time the mapper was lost.
# TYPE chatd_mapper_registrations_total counter
chatd_mapper_registrations_total 2
# HELP chatd_messages_received_total Chat messages this node's sink delivered (journal or stdout).
# TYPE chatd_messages_received_total counter
chatd_messages_received_total 7
# HELP chatd_processes Processes alive now, the shell included.
# TYPE chatd_processes gauge
chatd_processes 4
# HELP chatd_tasks_running Supervised tasks running now.
# TYPE chatd_tasks_running gauge
chatd_tasks_running 3
`
	names := []string{"chatd_links_up", "chatd_mailbox_messages", "chatd_mailbox_messages_max", "chatd_mapper_embedded",
		"chatd_mapper_registrations_total", "chatd_messages_received_total", "chatd_processes", "chatd_tasks_running"}
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(m.Registry(), "go_goroutines", "process_open_fds"); err != nil || n != 2 {
		t.Errorf("Go runtime and process collectors: %d series, %v", n, err)
	}
	if problems, err := testutil.GatherAndLint(m.Registry()); err != nil || len(problems) > 0 {
		t.Errorf("promlint: %v %+v", err, problems)
	}
}

// TestFunctionLabelIsBounded: past maxFunctions distinct names, calls
// count under "other".
func TestFunctionLabelIsBounded(t *testing.T) {
	m := New(Sources{})
	for i := range maxFunctions + 10 {
		m.Call(kate, wire.Call{Function: fmt.Sprintf("f%d", i)}, true, errors.New("x"), 0)
	}
	if n := testutil.CollectAndCount(m.calls); n != maxFunctions+1 {
		t.Errorf("%d series, want %d", n, maxFunctions+1)
	}
	if v := testutil.ToFloat64(m.calls.WithLabelValues("out", otherFunction, "internal")); v != 10 {
		t.Errorf("other = %v, want 10", v)
	}
}
