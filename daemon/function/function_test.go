package function_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"chatd/daemon/function"
	"chatd/daemon/sink"
	"chatd/internal/testkit"
	"chatd/wire"
)

var hexID = regexp.MustCompile(`^[0-9a-f]{16}$`)

func mustName(t *testing.T, s string) wire.NodeName {
	t.Helper()
	n, err := wire.ParseNodeName(s, "")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// lookup returns the builtin named name.
func lookup(t *testing.T, name string) function.Func {
	t.Helper()
	f, err := function.Builtins().Lookup(name)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", name, err)
	}
	return f
}

// testEnv is kate's environment for a call from alex: a memory sink, no
// responder reply, and a Call that fails the test if used.
type testEnv struct {
	env     *function.Env
	sink    *sink.Sink // received messages: Recent lists them
	printed []string   // what the function printed
}

func newEnv(t *testing.T) *testEnv {
	t.Helper()
	received := sink.New(sink.Config{Writer: sink.NewStdout(io.Discard)})
	te := &testEnv{
		sink: received,
		env: &function.Env{
			Node:           mustName(t, "kate@localhost"),
			Caller:         mustName(t, "alex@localhost"),
			Sink:           received,
			ResponderReply: func() string { return "" },
			Call: func(context.Context, wire.NodeName, wire.Call) (string, error) {
				t.Error("the function made a call it should not have")
				return "", errors.New("unexpected call")
			},
		},
	}
	te.env.Print = func(line string) { te.printed = append(te.printed, line) }
	return te
}

// run runs f with a context bounded by testkit.Wait.
func run(t *testing.T, f function.Func, env *function.Env, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Wait)
	defer cancel()
	return f.Run(ctx, env, args)
}

func TestEcho(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"none", nil, ""},
		{"one", []string{"hi"}, "hi"},
		{"several joined by spaces", []string{"a", "b c", "d"}, "a b c d"},
		{"empty args kept", []string{"a", "", "b"}, "a  b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := run(t, lookup(t, "echo"), newEnv(t).env, tc.args...)
			if err != nil || got != tc.want {
				t.Fatalf("echo = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestSleep(t *testing.T) {
	for _, tc := range []struct {
		name    string
		arg     string
		want    string
		wantErr error
	}{
		{"zero", "0s", "slept 0s", nil},
		{"a millisecond", "1ms", "slept 1ms", nil},
		{"not a duration", "soon", "", function.ErrBadArgs},
		{"no unit", "3", "", function.ErrBadArgs},
		{"empty", "", "", function.ErrBadArgs},
		{"negative", "-1s", "", function.ErrBadArgs},
		{"over the limit", (function.MaxSleep + time.Second).String(), "", function.ErrBadArgs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := run(t, lookup(t, "sleep"), newEnv(t).env, tc.arg)
			if !errors.Is(err, tc.wantErr) || got != tc.want {
				t.Fatalf("sleep %q = %q, %v; want %q, %v", tc.arg, got, err, tc.want, tc.wantErr)
			}
			if tc.wantErr != nil && !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.arg)) {
				t.Errorf("error %q does not quote the argument", err)
			}
		})
	}
}

func TestSleepEndsWithItsContext(t *testing.T) {
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Millisecond)
		}, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			f, env := lookup(t, "sleep"), newEnv(t).env
			done := make(chan error, 1)
			go func() {
				_, err := f.Run(ctx, env, []string{"1h"})
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, tc.want) {
					t.Fatalf("sleep 1h = %v, want %v", err, tc.want)
				}
			case <-time.After(testkit.Wait):
				t.Fatal("sleep 1h did not end with its context")
			}
		})
	}
}

func TestCrash(t *testing.T) {
	te := newEnv(t)
	defer func() {
		v := recover()
		if v == nil {
			t.Fatal("crash did not panic")
		}
		if msg := fmt.Sprint(v); !strings.Contains(msg, "crash requested by alex@localhost") {
			t.Fatalf("panic %q does not name the caller", msg)
		}
	}()
	_, _ = run(t, lookup(t, "crash"), te.env)
}

func TestSayName(t *testing.T) {
	te := newEnv(t)
	got, err := run(t, lookup(t, "say_name"), te.env)
	if err != nil || got != "" || len(te.printed) != 1 || te.printed[0] != "Hi, my name is kate" {
		t.Fatalf("say_name = %q, %v; printed %q", got, err, te.printed)
	}
}

func TestReply(t *testing.T) {
	te := newEnv(t)
	from := wire.Pid{Node: mustName(t, "alex@localhost"), ID: 1, Creation: 9}
	var sentTo wire.Pid
	var sent string
	te.env.Receive = func(context.Context) (wire.Pid, string, error) { return from, "hi", nil }
	te.env.SendPid = func(_ context.Context, to wire.Pid, text string) error {
		sentTo, sent = to, text
		return nil
	}
	got, err := run(t, lookup(t, "reply"), te.env, "sup?")
	if err != nil || sentTo != from || sent != "sup?" || !strings.Contains(got, "sup?") {
		t.Fatalf("reply = %q, %v; sent %q to %s", got, err, sent, sentTo)
	}
	te.env.Receive = nil
	if _, err := run(t, lookup(t, "reply"), te.env, "sup?"); err == nil || !strings.Contains(err.Error(), "mailbox") {
		t.Fatalf("reply without a mailbox: %v", err)
	}
}

func TestReceiveMessageDelivers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		msgID  string
		text   string
		wantID string // empty: a generated one
	}{
		{"with the caller's id", "feedc0de00000001", "hi", "feedc0de00000001"},
		{"id generated when empty", "", "hi", ""},
		{"empty text", "0000000000000002", "", "0000000000000002"},
		{"multi-line text kept", "0000000000000003", "a\nb", "0000000000000003"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			te := newEnv(t)
			te.env.MsgID = tc.msgID
			before := time.Now()
			got, err := run(t, lookup(t, "receive_message"), te.env, tc.text)
			if err != nil || got != "delivered" {
				t.Fatalf("receive_message = %q, %v; want delivered", got, err)
			}
			msgs := te.sink.Recent(0)
			if len(msgs) != 1 {
				t.Fatalf("sink has %d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if m.From != "alex@localhost" || m.To != "kate@localhost" || m.Text != tc.text {
				t.Errorf("message = %+v", m)
			}
			if tc.wantID != "" && m.ID != tc.wantID {
				t.Errorf("id = %q, want %q", m.ID, tc.wantID)
			}
			if tc.wantID == "" && !hexID.MatchString(m.ID) {
				t.Errorf("generated id %q is not 16 hex digits", m.ID)
			}
			if m.Time.Before(before.Add(-time.Second)) || m.Time.After(time.Now().Add(time.Second)) {
				t.Errorf("time %v is not now", m.Time)
			}
		})
	}
}

// deliverFunc adapts a function to function.Deliverer.
type deliverFunc func(wire.Message) error

func (f deliverFunc) Deliver(m wire.Message) error { return f(m) }

func TestReceiveMessageSinkFailure(t *testing.T) {
	diskFull := errors.New("disk full")
	te := newEnv(t)
	te.env.Sink = deliverFunc(func(wire.Message) error { return diskFull })
	te.env.ResponderReply = func() string { return "chicken?" } // no reply for an undelivered message
	got, err := run(t, lookup(t, "receive_message"), te.env, "hi")
	if !errors.Is(err, diskFull) || !strings.Contains(err.Error(), "message sink") || got != "" {
		t.Fatalf("receive_message = %q, %v; want a message sink error wrapping %v", got, err, diskFull)
	}
}

// recordedCall is one call a responder made through Env.Call.
type recordedCall struct {
	node wire.NodeName
	call wire.Call
}

func TestReceiveMessageResponder(t *testing.T) {
	te := newEnv(t)
	te.env.MsgID = "1111111111111111"
	te.env.ResponderReply = func() string { return "chicken?" }
	entered := make(chan recordedCall, 1)
	release := make(chan struct{})
	var callReturned atomic.Bool
	te.env.Call = func(ctx context.Context, node wire.NodeName, c wire.Call) (string, error) {
		if n := len(te.sink.Recent(0)); n != 1 {
			t.Errorf("replying with %d messages in the sink, want the original delivered first", n)
		}
		entered <- recordedCall{node, c}
		select {
		case <-release:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		callReturned.Store(true)
		return "delivered", nil
	}
	type result struct {
		v   string
		err error
	}
	f := lookup(t, "receive_message")
	done := make(chan result, 1)
	go func() {
		v, err := run(t, f, te.env, "hi")
		done <- result{v, err}
	}()

	var rc recordedCall
	select {
	case rc = <-entered:
	case <-time.After(testkit.Wait):
		t.Fatal("the responder did not call back")
	}
	if rc.node != te.env.Caller {
		t.Errorf("reply goes to %s, want the caller %s", rc.node, te.env.Caller)
	}
	c := rc.call
	if c.Function != "receive_message" || len(c.Args) != 1 || c.Args[0] != "chicken?" ||
		c.Flags&wire.FlagResponderReply == 0 {
		t.Errorf("reply call = %+v, want receive_message [chicken?] with FlagResponderReply", c)
	}
	if !hexID.MatchString(c.MsgID) || c.MsgID == te.env.MsgID {
		t.Errorf("reply message id %q: want a fresh 16-hex-digit id", c.MsgID)
	}
	if err := wire.ValidateCall(c); err != nil {
		t.Errorf("reply call does not validate: %v", err)
	}
	select {
	case r := <-done:
		t.Fatalf("receive_message returned %q, %v before its reply call returned", r.v, r.err)
	default:
	}
	close(release)
	select {
	case r := <-done:
		if r.err != nil || r.v != "delivered, replied chicken?" {
			t.Fatalf("receive_message = %q, %v", r.v, r.err)
		}
		if !callReturned.Load() {
			t.Fatal("receive_message returned before the reply call did")
		}
	case <-time.After(testkit.Wait):
		t.Fatal("receive_message did not return after its reply landed")
	}
}

func TestReceiveMessageNoReply(t *testing.T) {
	for _, tc := range []struct {
		name   string
		reply  string
		flags  wire.CallFlags
		caller string
	}{
		{"not a responder", "", 0, "alex@localhost"},
		{"the message is itself a reply", "chicken?", wire.FlagResponderReply, "alex@localhost"},
		{"reply flag among unknown flags", "chicken?", wire.FlagResponderReply | 0x80, "alex@localhost"},
		{"the caller is this node", "chicken?", 0, "kate@localhost"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			te := newEnv(t) // its Call fails the test
			te.env.ResponderReply = func() string { return tc.reply }
			te.env.Flags = tc.flags
			te.env.Caller = mustName(t, tc.caller)
			got, err := run(t, lookup(t, "receive_message"), te.env, "hi")
			if err != nil || got != "delivered" {
				t.Fatalf("receive_message = %q, %v; want delivered", got, err)
			}
			if n := len(te.sink.Recent(0)); n != 1 {
				t.Fatalf("sink has %d messages, want 1", n)
			}
		})
	}
}

func TestReceiveMessageReplyFails(t *testing.T) {
	noConn := errors.New("no connection to alex@localhost: link went down")
	te := newEnv(t)
	te.env.ResponderReply = func() string { return "chicken?" }
	te.env.Call = func(context.Context, wire.NodeName, wire.Call) (string, error) { return "", noConn }
	got, err := run(t, lookup(t, "receive_message"), te.env, "hi")
	if got != "" || !errors.Is(err, noConn) {
		t.Fatalf("receive_message = %q, %v; want an error wrapping %v", got, err, noConn)
	}
	if want := "delivered, but the reply to alex@localhost failed"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not say %q", err, want)
	}
	if n := len(te.sink.Recent(0)); n != 1 {
		t.Fatalf("sink has %d messages, want the original delivered", n)
	}
}
