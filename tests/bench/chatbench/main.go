// Command chatbench drives chatd's benchmarks (make bench): node-to-node
// round trips and throughput from a node embedded in this process (to a
// chatd node and to a BEAM node), the floors under them (a TCP and a yamux
// 1-byte ping-pong), the control API next to a trivial HTTP server, the
// CLI path, and scale. Every measurement prints one line, its key words
// first and its numbers after:
//
//	chatd rtt KIND p50_ns p90_ns p99_ns max_ns
//	chatd tput KIND CONCURRENCY calls_per_second
//	chatd_beam rtt|tput ...              the same toward a BEAM node
//	floor rtt tcp|yamux p50_ns p90_ns p99_ns max_ns
//	floor tput yamux CONCURRENCY round_trips_per_second
//	api rtt trivial|call|send p50_ns p90_ns p99_ns max_ns
//	api tput trivial|call|send CONCURRENCY requests_per_second
//	cli chatctl_send p50_ns p90_ns p99_ns max_ns
//
// Usage:
//
//	chatbench calls -peer kate@localhost -beam beamkate@localhost -n 5000 -c 1,8,64 -d 10s
//	chatbench floor -n 20000 -c 64 -d 10s
//	chatbench api -socket PATH -peer kate@localhost -n 5000 -c 64 -d 10s
//	chatbench cli -chatctl PATH -socket PATH -peer kate@localhost -n 200
//	chatbench scale -chatd PATH -nodes 50,100 -tasks 10000
//	chatbench idle -chatd PATH -n 5
//	chatbench beam-idle -n 5
//	chatbench profile -socket PATH -peer-socket PATH -peer kate@localhost -n 2000 -detail FILE
//	chatbench report -in RESULTS -machine FILE -micro FILE -out docs/BENCHMARKS.md
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: chatbench calls|floor|api|cli|scale|idle|beam-idle|profile|report [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "calls":
		err = runCalls(os.Args[2:])
	case "floor":
		err = runFloor(os.Args[2:])
	case "floor-server":
		err = runFloorServer(os.Args[2:])
	case "yamux-server":
		err = runYamuxServer(os.Args[2:])
	case "api":
		err = runAPI(os.Args[2:])
	case "http-server":
		err = runHTTPServer(os.Args[2:])
	case "cli":
		err = runCLI(os.Args[2:])
	case "scale":
		err = runScale(os.Args[2:])
	case "idle":
		err = runIdle(os.Args[2:])
	case "beam-idle":
		err = runBeamIdle(os.Args[2:])
	case "profile":
		err = runProfile(os.Args[2:])
	case "report":
		err = runReport(os.Args[2:])
	default:
		err = fmt.Errorf("unknown benchmark %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatbench:", err)
		os.Exit(1)
	}
}

// percentiles prints "label p50 p90 p99 max" in nanoseconds.
func percentiles(label string, ds []time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(p float64) int64 { return int64(ds[min(len(ds)-1, int(p*float64(len(ds))))]) }
	fmt.Printf("%s %d %d %d %d\n", label, at(0.5), at(0.9), at(0.99), int64(ds[len(ds)-1]))
}

// sequential times n runs of op after a warm-up.
func sequential(ctx context.Context, n int, op func(context.Context) error) ([]time.Duration, error) {
	for range min(n/10+1, 200) {
		if err := op(ctx); err != nil {
			return nil, err
		}
	}
	ds := make([]time.Duration, n)
	for i := range ds {
		t0 := time.Now()
		if err := op(ctx); err != nil {
			return nil, err
		}
		ds[i] = time.Since(t0)
	}
	return ds, nil
}

// throughput runs op from c goroutines for d and returns completed ops/s.
func throughput(ctx context.Context, c int, d time.Duration, op func(context.Context) error) (float64, error) {
	return throughputWorkers(ctx, c, d, func() func(context.Context) error { return op })
}

// throughputWorkers runs c goroutines for d, each repeating an op of its
// own (newOp is called once per goroutine, before any starts), and returns
// the ops completed per second.
func throughputWorkers(ctx context.Context, c int, d time.Duration, newOp func() func(context.Context) error) (float64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ops := make([]func(context.Context) error, c)
	for i := range ops {
		ops[i] = newOp()
	}
	deadline := time.Now().Add(d)
	counts := make([]int, c)
	errs := make(chan error, c)
	for i, op := range ops {
		go func() {
			n := 0
			for time.Now().Before(deadline) {
				if err := op(ctx); err != nil {
					errs <- err
					return
				}
				n++
			}
			counts[i] = n
			errs <- nil
		}()
	}
	var first error
	for range c {
		if err := <-errs; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	return float64(total) / d.Seconds(), first
}

// load is how a latency and throughput benchmark runs: n sequential
// operations for the round trips, then, for each c of concs, c at once for
// d for the rate.
type load struct {
	n     int
	concs []int
	d     time.Duration
}

// addLoadFlags adds -n, -c (a comma-separated list) and -d to fs, with
// the given defaults and usages; the function returned reads them once fs
// is parsed.
func addLoadFlags(fs *flag.FlagSet, n int, nUsage, conc, concUsage string) func() (load, error) {
	nf := fs.Int("n", n, nUsage)
	cf := fs.String("c", conc, concUsage)
	df := fs.Duration("d", 10*time.Second, "time per throughput run")
	return func() (load, error) {
		concs, err := parseInts(*cf)
		return load{n: *nf, concs: concs, d: *df}, err
	}
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("bad count %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func newFlags(name string) *flag.FlagSet { return flag.NewFlagSet(name, flag.ExitOnError) }
