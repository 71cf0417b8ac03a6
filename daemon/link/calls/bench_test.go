package calls_test

import (
	"log/slog"
	"testing"
	"time"

	"chatd/daemon/link"
	"chatd/internal/linktest"
	"chatd/internal/testkit"
	"chatd/wire"
)

// benchEcho is the call every benchmark makes, and benchEchoed its result.
var (
	benchEcho   = wire.Call{Function: "echo", Args: []string{"hello", "world"}, Timeout: testkit.Wait}
	benchEchoed = "hello world"
)

// BenchmarkCallSequential is one caller making echo calls, one at a time,
// from alex to kate: a round trip over the link plus a task on kate's
// supervisor.
func BenchmarkCallSequential(b *testing.B) {
	l := benchLink(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if got, err := l.Call(ctx, benchEcho); err != nil || got != benchEchoed {
			b.Fatalf("echo = %q, %v", got, err)
		}
	}
	reportCallRate(b)
}

// BenchmarkCallParallel is 32 callers per CPU making echo calls at once on
// the same link, so on the same calls stream.
func BenchmarkCallParallel(b *testing.B) {
	l := benchLink(b)
	ctx := b.Context()
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if got, err := l.Call(ctx, benchEcho); err != nil || got != benchEchoed {
				b.Errorf("echo = %q, %v", got, err)
				return
			}
		}
	})
	reportCallRate(b)
}

// reportCallRate reports the calls completed per second of wall time.
func reportCallRate(b *testing.B) {
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "calls/s")
	}
}

// benchLink starts alex and kate with their logs discarded (a debug line
// per task would be measured too) and returns alex's link to kate.
func benchLink(b *testing.B) *link.Link {
	b.Helper()
	quiet := func(cfg *link.Config) { cfg.Logger = slog.New(slog.DiscardHandler); cfg.Tick = 5 * time.Second }
	c := linktest.New(b)
	alex := c.Start("alex@localhost", 0, quiet)
	kate := c.Start("kate@localhost", 0, quiet)
	return alex.Link(b, kate)
}
