package link

import (
	"crypto/rand"
	"encoding/binary"
	"log/slog"
	"net"
	"testing"
	"time"

	"chatd/internal/testkit"
	"chatd/wire"
)

const benchCookie = "secret-cookie-0123456789"

// BenchmarkHandshake runs both sides of a handshake over a fresh net.Pipe
// per iteration: two HMACs each way, five messages, no TCP.
func BenchmarkHandshake(b *testing.B) {
	alex := benchIdentity(b, "alex@localhost")
	kate := benchIdentity(b, "kate@localhost")
	admit := func(peerHello) (wire.RefuseReason, string) { return 0, "" }
	accepted := make(chan error, 1)
	b.ReportAllocs()
	for b.Loop() {
		c, a := net.Pipe()
		go func() {
			_, err := accept(a, kate, admit, nil)
			if err != nil {
				_ = a.Close() // unblocks the connector
			}
			accepted <- err
		}()
		inc, err := connect(c, alex, kate.self)
		if err != nil {
			_ = c.Close() // unblocks the acceptor
		}
		aerr := <-accepted
		_ = c.Close()
		_ = a.Close()
		if err != nil || aerr != nil {
			b.Fatalf("connect: %v; accept: %v", err, aerr)
		}
		if inc != kate.incarnation {
			b.Fatalf("connect learned incarnation %x, want %x", inc, kate.incarnation)
		}
	}
}

// BenchmarkLinkPing makes ping round trips, each on a fresh stream, over a
// loopback link between two managers.
func BenchmarkLinkPing(b *testing.B) {
	r := newResolver()
	alex := startBenchNode(b, r, "alex@localhost")
	kate := startBenchNode(b, r, "kate@localhost")
	ctx := b.Context()
	l, err := alex.link(ctx, kate.name)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Ping(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func benchIdentity(b *testing.B, name string) identity {
	var inc [8]byte
	_, _ = rand.Read(inc[:])
	return identity{self: testkit.Name(b, name), incarnation: binary.BigEndian.Uint64(inc[:]), cookie: []byte(benchCookie)}
}

// startBenchNode is startNode for benchmarks: it discards the logs (a
// debug line per stream would be measured too) and allows more streams, so
// the server's lag in closing finished ones never refuses a new one. The
// node is stopped when the benchmark ends.
func startBenchNode(tb testing.TB, r *staticResolver, name string) *testNode {
	tb.Helper()
	return serveNode(tb, r, name, Config{
		Cookie: []byte(benchCookie), Tick: 5 * time.Second, HandshakeTimeout: 2 * time.Second,
		MaxFrame: wire.DefaultMaxFrame, MaxStreams: 1024, Logger: slog.New(slog.DiscardHandler),
	})
}
