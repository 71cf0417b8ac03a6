package nodewatch

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"chatd/daemon/peer"
	"chatd/internal/testkit"
	"chatd/wire"
)

func TestMain(m *testing.M) { testkit.Main(m) }

var (
	kate  = wire.NodeName{Name: "kate", Host: "localhost"}
	epoch = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	info  = wire.LinkInfo{Node: "kate@localhost", Protocol: "chatd", Address: "127.0.0.1:41235", Direction: "out"}
)

func fixedClock() time.Time { return epoch }

// TestEvents: what each report becomes on a watch.
func TestEvents(t *testing.T) {
	tests := []struct {
		name   string
		report func(*Hub)
		want   []wire.NodeEvent // nil: nothing
	}{
		{"up", func(h *Hub) { h.Up(info) },
			[]wire.NodeEvent{{Event: wire.NodeUp, Node: "kate@localhost", Protocol: "chatd", Direction: "out", Address: "127.0.0.1:41235", Time: epoch}}},
		{"down on a tick timeout", func(h *Hub) {
			h.Down(peer.Down{Info: info, Reason: wire.ReasonTickTimeout, Detail: "no keepalive reply within the tick"})
		}, []wire.NodeEvent{{Event: wire.NodeDown, Node: "kate@localhost", Protocol: "chatd", Direction: "out", Address: "127.0.0.1:41235",
			Reason: wire.ReasonTickTimeout, Detail: "no keepalive reply within the tick", Time: epoch}}},
		{"a cookie mismatch is a down", func(h *Hub) {
			h.Handshake(peer.Handshake{Protocol: "erlang", Node: kate, Direction: "in", Address: "127.0.0.1:5000",
				Result: peer.HandshakeCookieMismatch, Err: errors.New("cookie mismatch: kate's proof did not verify")})
		}, []wire.NodeEvent{{Event: wire.NodeDown, Node: "kate@localhost", Protocol: "erlang", Direction: "in", Address: "127.0.0.1:5000",
			Reason: wire.ReasonCookieMismatch, Detail: "cookie mismatch: kate's proof did not verify", Time: epoch}}},
		{"a refused dial is a down", func(h *Hub) {
			h.Handshake(peer.Handshake{Protocol: "chatd", Node: kate, Direction: "out", Result: peer.HandshakeRefused, Err: peer.ErrRefused})
		}, []wire.NodeEvent{{Event: wire.NodeDown, Node: "kate@localhost", Protocol: "chatd", Direction: "out",
			Reason: wire.ReasonRefused, Detail: "connection refused", Time: epoch}}},
		{"a good handshake is no event (the up follows)", func(h *Hub) {
			h.Handshake(peer.Handshake{Protocol: "chatd", Node: kate, Direction: "out", Result: peer.HandshakeOK})
		}, nil},
		{"a stranger that never said its name is no event", func(h *Hub) {
			h.Handshake(peer.Handshake{Protocol: "chatd", Direction: "in", Result: peer.HandshakeFailed, Err: errors.New("garbage")})
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := New(fixedClock)
			ch := h.WatchNodes(t.Context())
			tc.report(h)
			h.Close("test over")
			var got []wire.NodeEvent
			for ev := range ch {
				got = append(got, ev)
			}
			want := append(tc.want, wire.NodeEvent{Event: wire.NodeWatchEnd, Reason: wire.ReasonShutdown, Detail: "test over", Time: epoch})
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("events\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestLaggedWatcherIsEnded: a watcher Buffer events behind gets an end
// event (lagged) after them and nothing more, while another keeps going.
func TestLaggedWatcherIsEnded(t *testing.T) {
	h := New(fixedClock)
	slow := h.WatchNodes(t.Context())
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	fast := h.WatchNodes(ctx)
	for i := range Buffer + 5 {
		h.Up(info)
		if ev := <-fast; ev.Event != wire.NodeUp {
			t.Fatalf("fast watcher, event %d: %+v", i, ev)
		}
	}
	n := 0
	var last wire.NodeEvent
	for ev := range slow {
		n++
		last = ev
	}
	if n != Buffer+1 || last.Event != wire.NodeWatchEnd || last.Reason != wire.ReasonLagged {
		t.Errorf("slow watcher got %d events ending with %+v, want %d ups then end/lagged", n, last, Buffer)
	}
	h.Close("done")
	if ev := <-fast; ev.Reason != wire.ReasonShutdown {
		t.Errorf("fast watcher's last event: %+v, want end/shutdown", ev)
	}
}

// TestWatchEndsWithItsContext: a watcher that goes away is closed without
// an end event and gets nothing more; a watch after Close ends at once.
func TestWatchEndsWithItsContext(t *testing.T) {
	h := New(fixedClock)
	ctx, cancel := context.WithCancel(t.Context())
	ch := h.WatchNodes(ctx)
	cancel()
	select {
	case ev, ok := <-ch:
		if ok {
			t.Fatalf("got %+v after the watcher left", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the channel stayed open after its context ended")
	}
	h.Up(info) // no watcher: nothing to do, nothing blocks
	h.Close("stopping")
	h.Close("again")
	late := h.WatchNodes(t.Context())
	if ev := <-late; ev.Event != wire.NodeWatchEnd || ev.Detail != "stopping" {
		t.Errorf("a watch after Close got %+v", ev)
	}
	if _, ok := <-late; ok {
		t.Error("a watch after Close stayed open")
	}
}
