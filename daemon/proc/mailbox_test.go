package proc

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"chatd/internal/testkit"
	"chatd/wire"
)

func TestMailboxBound(t *testing.T) {
	tb := newTestTable(t, 3, 10)
	p := mustAttach(t, tb, "inbox")
	for _, text := range []string{"one", "two", "three"} {
		if err := tb.Send(p.Pid(), msg(text)); err != nil {
			t.Fatalf("Send(%q): %v", text, err)
		}
	}
	err := tb.Send(p.Pid(), msg("four"))
	if !errors.Is(err, ErrMailboxFull) {
		t.Fatalf("fourth Send: %v, want ErrMailboxFull", err)
	}
	for _, want := range []string{p.Pid().String(), "3 messages waiting", "processes.mailbox"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("fourth Send: %q does not say %q", err, want)
		}
	}
	if err := p.Deliver(Message{Exit: true, Reason: "x"}); !errors.Is(err, ErrMailboxFull) {
		t.Fatalf("Deliver to a full mailbox: %v, want ErrMailboxFull", err)
	}
	if n := tb.List()[1].Mailbox; n != 3 {
		t.Fatalf("List: mailbox %d, want 3", n)
	}
	if got, want := texts(p.Drain()), []string{"one", "two", "three"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Drain = %q, want %q", got, want)
	}
	// Room again once drained.
	if err := tb.Send(p.Pid(), msg("five")); err != nil {
		t.Fatalf("Send after Drain: %v", err)
	}
	if got, want := texts(p.Drain()), []string{"five"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Drain = %q, want %q", got, want)
	}
}

func TestReceiveFIFO(t *testing.T) {
	tb := newTestTable(t, 100, 10)
	p := mustAttach(t, tb, "inbox")
	before := time.Now()
	from := wire.Pid{Node: wire.NodeName{Name: "alex", Host: "box"}, ID: 9, Creation: 2}
	var want []string
	for i := range 10 {
		text := fmt.Sprintf("m%d", i)
		want = append(want, text)
		if err := tb.Send(p.Pid(), Message{From: from, Text: text}); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Wait)
	defer cancel()
	var got []string
	var last time.Time
	for range want {
		m, err := p.Receive(ctx)
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		if m.From != from || m.Exit {
			t.Fatalf("Receive = %#v, want a message from %s", m, from)
		}
		if m.Time.Before(before) || m.Time.Before(last) {
			t.Fatalf("message %q has time %v, before %v or the previous %v", m.Text, m.Time, before, last)
		}
		last = m.Time
		got = append(got, m.Text)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("received %q, want %q", got, want)
	}
	if n := len(p.Drain()); n != 0 {
		t.Fatalf("Drain after receiving everything returned %d messages", n)
	}
}

func TestReceiveWaitsForSend(t *testing.T) {
	tb := newTestTable(t, 10, 10)
	p := mustAttach(t, tb, "inbox")
	got := make(chan Message, 1)
	errc := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testkit.Wait)
		defer cancel()
		m, err := p.Receive(ctx)
		got <- m
		errc <- err
	}()
	if err := tb.Send(p.Pid(), msg("late")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if m := <-got; m.Text != "late" {
		t.Fatalf("Receive = %q, want late", m.Text)
	}
}

func TestReceiveContextEnds(t *testing.T) {
	tb := newTestTable(t, 10, 10)
	p := mustAttach(t, tb, "inbox")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if m, err := p.Receive(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Receive with a cancelled context = %#v, %v; want context.Canceled", m, err)
	}
	dctx, dcancel := context.WithDeadline(context.Background(), time.Now())
	defer dcancel()
	if _, err := p.Receive(dctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Receive past a deadline: %v, want context.DeadlineExceeded", err)
	}
	// A message already waiting is returned even so.
	if err := tb.Send(p.Pid(), msg("waiting")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if m, err := p.Receive(ctx); err != nil || m.Text != "waiting" {
		t.Fatalf("Receive = %#v, %v; want the waiting message", m, err)
	}
}

func TestDrain(t *testing.T) {
	tb := newTestTable(t, 10, 10)
	sh := tb.Shell()
	if ms := sh.Drain(); len(ms) != 0 {
		t.Fatalf("Drain of an empty mailbox = %#v", ms)
	}
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	child := wire.Pid{Node: testNode, ID: 5, Creation: testCreation}
	if err := tb.Send(sh.Pid(), msg("first")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := sh.Deliver(Message{From: child, Exit: true, Reason: "boom", Time: at}); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if err := tb.Send(sh.Pid(), msg("third")); err != nil {
		t.Fatalf("Send: %v", err)
	}
	ms := sh.Drain()
	if got, want := texts(ms), []string{"first", "", "third"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Drain = %q, want %q", got, want)
	}
	if !ms[1].Exit || ms[1].Reason != "boom" || ms[1].From != child || !ms[1].Time.Equal(at) {
		t.Fatalf("exit notice = %#v", ms[1])
	}
	if ms[0].Time.IsZero() || ms[2].Time.IsZero() {
		t.Fatalf("Send left a zero time: %v, %v", ms[0].Time, ms[2].Time)
	}
	if ms := sh.Drain(); len(ms) != 0 {
		t.Fatalf("second Drain = %#v, want nothing", ms)
	}
	if n := tb.List()[0].Mailbox; n != 0 {
		t.Fatalf("List: shell mailbox %d after Drain", n)
	}
	// A Receive after a Drain waits for a new message rather than
	// returning a stale one.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if m, err := sh.Receive(ctx); err == nil {
		t.Fatalf("Receive after Drain = %#v, want the context's error", m)
	}
}

func TestMessageInfo(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	from := wire.Pid{Node: testNode, ID: 3, Creation: testCreation}
	for _, tc := range []struct {
		name string
		m    Message
		want wire.MailboxMessage
	}{
		{"message", Message{From: from, Text: "hi", Time: at}, wire.MailboxMessage{From: "<kate@localhost.3.7>", Text: "hi", Time: at}},
		{"exit notice", Message{From: from, Exit: true, Reason: "noconnection", Time: at},
			wire.MailboxMessage{From: "<kate@localhost.3.7>", Exit: true, Reason: "noconnection", Time: at}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.m.Info(); got != tc.want {
				t.Fatalf("Info() = %#v, want %#v", got, tc.want)
			}
		})
	}
}

// TestManySendersOneReceiver runs under -race: senders on many goroutines,
// one receiver, every message arrives once and each sender's messages in
// the order it sent them. The small mailbox makes senders meet
// ErrMailboxFull and retry.
func TestManySendersOneReceiver(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mailbox int
	}{
		{"roomy mailbox", 10000},
		{"mailbox of 4", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const senders, each = 16, 200
			tb := newTestTable(t, tc.mailbox, 10)
			received := make(chan []Message, 1)
			recv := mustSpawn(t, tb, Spec{Function: "receiver", Run: func(ctx context.Context, p *Process) error {
				var ms []Message
				for len(ms) < senders*each {
					m, err := p.Receive(ctx)
					if err != nil {
						return err
					}
					ms = append(ms, m)
				}
				received <- ms
				return nil
			}})
			var wg sync.WaitGroup
			errs := make(chan error, senders)
			for s := range senders {
				wg.Go(func() {
					from := wire.Pid{Node: testNode, ID: uint64(1000 + s), Creation: testCreation}
					for i := 0; i < each; {
						err := tb.Send(recv.Pid(), Message{From: from, Text: fmt.Sprint(i)})
						switch {
						case err == nil:
							i++
						case errors.Is(err, ErrMailboxFull):
							runtime.Gosched() // the receiver is behind; try again
						default:
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("Send: %v", err)
			}
			if reason := waitDone(t, recv); reason != wire.ExitNormal {
				t.Fatalf("receiver ended with %q", reason)
			}
			next := make(map[uint64]int)
			for _, m := range <-received {
				if want := fmt.Sprint(next[m.From.ID]); m.Text != want {
					t.Fatalf("from %s: got %q, want %q", m.From, m.Text, want)
				}
				next[m.From.ID]++
			}
			for s := range senders {
				if n := next[uint64(1000+s)]; n != each {
					t.Errorf("sender %d: %d messages arrived, want %d", s, n, each)
				}
			}
		})
	}
}
