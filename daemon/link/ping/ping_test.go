package ping

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"chatd/daemon/peer"
	"chatd/internal/testkit"
	"chatd/wire"
)

var kate = wire.NodeName{Name: "kate", Host: "localhost"}

// pipe returns both ends of an in-memory stream, closed when the test ends.
func pipe(t *testing.T) (net.Conn, net.Conn) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestPingPong(t *testing.T) {
	caller, server := pipe(t)
	served := make(chan error, 1)
	go func() { served <- Serve(server, wire.NewFrameReader(server, 0)) }()
	for range 3 {
		if rtt, err := Ping(testkit.Ctx(t, testkit.Wait), kate, caller, 0); err != nil || rtt <= 0 {
			t.Fatalf("Ping = %v, %v", rtt, err)
		}
	}
	caller.Close()
	if err := <-served; err != nil {
		t.Fatalf("Serve after the caller closed = %v, want nil", err)
	}
}

// TestPingFailures: a wrong answer is a protocol error, no answer a
// timeout, a closed stream a dead link.
func TestPingFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer func(s net.Conn)
		want   error
	}{
		{"pong with another payload", func(s net.Conn) {
			_, _ = wire.NewFrameReader(s, 0).ReadFrame()
			_ = wire.WriteFrame(s, wire.FramePong, []byte("12345678"))
		}, peer.ErrProtocol},
		{"a ping for an answer", func(s net.Conn) {
			f, _ := wire.NewFrameReader(s, 0).ReadFrame()
			_ = wire.WriteFrame(s, wire.FramePing, f.Payload)
		}, peer.ErrProtocol},
		{"silence", func(s net.Conn) { _, _ = wire.NewFrameReader(s, 0).ReadFrame() }, peer.ErrTimeout},
		{"stream closed", func(s net.Conn) { _, _ = wire.NewFrameReader(s, 0).ReadFrame(); s.Close() }, peer.ErrLinkDown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			caller, server := pipe(t)
			go tc.answer(server)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			if _, err := Ping(ctx, kate, caller, 0); !errors.Is(err, tc.want) {
				t.Fatalf("Ping = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestServeRefusesOtherFrames(t *testing.T) {
	caller, server := pipe(t)
	served := make(chan error, 1)
	go func() { served <- Serve(server, wire.NewFrameReader(server, 0)) }()
	if err := wire.WriteFrame(caller, wire.FrameCall, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, peer.ErrProtocol) {
		t.Fatalf("Serve = %v, want a protocol error", err)
	}
}
