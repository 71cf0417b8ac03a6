package rpc

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"chatd/daemon/link"
	"chatd/daemon/task"
	"chatd/wire"
)

// benchEcho is the call every benchmark makes, and benchEchoed its result.
var (
	benchEcho   = wire.Call{Function: "echo", Args: []string{"hello", "world"}, Timeout: testWait}
	benchEchoed = "hello world"
)

// BenchmarkCallSequential is one caller making echo calls, one at a time,
// from alex to kate: a round trip over the link plus a task on kate's
// supervisor.
func BenchmarkCallSequential(b *testing.B) {
	c := benchClient(b)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		if got, err := c.Call(ctx, benchEcho); err != nil || got != benchEchoed {
			b.Fatalf("echo = %q, %v", got, err)
		}
	}
	reportCallRate(b)
}

// BenchmarkCallParallel is 32 callers per CPU making echo calls at once on
// the same client, so on the same calls stream.
func BenchmarkCallParallel(b *testing.B) {
	c := benchClient(b)
	ctx := b.Context()
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if got, err := c.Call(ctx, benchEcho); err != nil || got != benchEchoed {
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

// benchClient starts alex and kate and returns the pool client for alex's
// link to kate; all of it stops when the benchmark ends.
func benchClient(b *testing.B) *Client {
	b.Helper()
	r := newResolver()
	alex := startBenchNode(b, r, "alex@localhost")
	kate := startBenchNode(b, r, "kate@localhost")
	pool := NewPool(wire.DefaultMaxFrame)
	b.Cleanup(pool.Close) // before the nodes stop: cleanups run last first
	ctx := b.Context()
	l, err := alex.mgr.Link(ctx, kate.name)
	if err != nil {
		b.Fatal(err)
	}
	c, err := pool.Get(ctx, l)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// startBenchNode is startNode for benchmarks: no task limit, and the logs
// discarded, since a debug line per task would be measured too. The node
// is stopped when the benchmark ends.
func startBenchNode(tb testing.TB, r *staticResolver, name string) *testNode {
	tb.Helper()
	n := mustName(tb, name)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	sup := task.New(task.Config{Logger: log})
	srv := &Server{Sup: sup, Prepare: testPrepare, Log: log}
	mgr := link.NewManager(link.Config{
		Self: n, Cookie: []byte(testCookie), Tick: 5 * time.Second, HandshakeTimeout: 2 * time.Second,
		MaxFrame: wire.DefaultMaxFrame, MaxStreams: 64, Resolver: r, Logger: log,
		Handlers: map[wire.StreamKind]link.StreamHandler{wire.KindCalls: srv.Handle},
	})
	tn := &testNode{name: n, mgr: mgr, sup: sup, ln: ln, served: make(chan struct{})}
	go func() {
		defer close(tn.served)
		_ = mgr.Serve(ln)
	}()
	r.set(n, ln.Addr().String())
	tb.Cleanup(func() {
		_ = tn.ln.Close()
		<-tn.served
		_ = tn.mgr.Close()
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		defer cancel()
		if err := tn.sup.Close(ctx); err != nil {
			tb.Errorf("close %s's supervisor: %v", tn.name, err)
		}
	})
	return tn
}
