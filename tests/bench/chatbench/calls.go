package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"time"

	"chatd/config"
	"chatd/daemon"
	"chatd/wire"
)

// runCalls embeds a node named bench and measures its calls to -peer, a
// chatd node: echo (no I/O) and receive_message (the chat path); and, with
// -beam, to a BEAM node running the lesson's Chat: receive_message (a task
// on its Chat.TaskSupervisor, the lesson's protocol) and erpc (an erpc
// call of :chatd.echo). Lines: "chatd rtt KIND ...", "chatd tput KIND C
// RATE"; toward the BEAM node "chatd_beam rtt ..." and so on.
func runCalls(args []string) error {
	fs := newFlags("calls")
	peer := fs.String("peer", "kate@localhost", "the chatd node to call")
	beam := fs.String("beam", "", "a BEAM node running tests/bench/beam/chat.exs to call too")
	loadFlags := addLoadFlags(fs, 5000, "sequential calls per kind", "1,8,64", "concurrent callers for throughput to -peer")
	beamConc := fs.String("beam-c", "64", "concurrent callers for throughput to -beam")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the throughput runs to this file")
	_ = fs.Parse(args)
	ld, err := loadFlags()
	if err != nil {
		return err
	}
	ctx := context.Background()
	chatdSet, err := callSet("chatd", *peer, ld.concs, []callKind{
		{"echo", wire.Call{Function: "echo", Args: []string{"x"}}},
		{"receive_message", wire.Call{Function: "receive_message", Args: []string{"hi"}}},
	})
	if err != nil {
		return err
	}
	sets := []calls{chatdSet}
	if *beam != "" {
		beamConcs, err := parseInts(*beamConc)
		if err != nil {
			return err
		}
		beamSet, err := callSet("chatd_beam", *beam, beamConcs, []callKind{
			{"receive_message", wire.Call{Function: "receive_message", Args: []string{"hi"}}},
			{"erpc", wire.Call{Function: ":chatd.echo", Args: []string{"x"}}},
		})
		if err != nil {
			return err
		}
		sets = append(sets, beamSet)
	}
	node, err := startBenchNode(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = node.Stop() }()
	for _, s := range sets {
		if err := s.latencies(ctx, node, ld.n); err != nil {
			return err
		}
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	for _, s := range sets {
		if err := s.rates(ctx, node, ld.d); err != nil {
			return err
		}
	}
	return nil
}

// startCPUProfile starts a CPU profile written to path; stop ends it.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile %s: %w", path, err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// callKind is one call a benchmark repeats.
type callKind struct {
	name string
	call wire.Call
}

// calls is what runCalls measures toward one node.
type calls struct {
	label  string // the result lines' first word
	target wire.NodeName
	concs  []int
	kinds  []callKind
}

func callSet(label, peer string, concs []int, kinds []callKind) (calls, error) {
	target, err := wire.ParseNodeName(peer, "")
	if err != nil {
		return calls{}, err
	}
	return calls{label: label, target: target, concs: concs, kinds: kinds}, nil
}

func (s calls) op(node *daemon.Node, k callKind) func(context.Context) error {
	return func(ctx context.Context) error { _, err := node.Core().Call(ctx, s.target, k.call); return err }
}

// latencies prints the round trips of n sequential calls of each kind.
func (s calls) latencies(ctx context.Context, node *daemon.Node, n int) error {
	for _, k := range s.kinds {
		ds, err := sequential(ctx, n, s.op(node, k))
		if err != nil {
			return fmt.Errorf("%s to %s: %w", k.name, s.target, err)
		}
		percentiles(s.label+" rtt "+k.name, ds)
	}
	return nil
}

// rates prints the calls per second of each kind with each concurrency.
func (s calls) rates(ctx context.Context, node *daemon.Node, d time.Duration) error {
	for _, k := range s.kinds {
		for _, c := range s.concs {
			rate, err := throughput(ctx, c, d, s.op(node, k))
			if err != nil {
				return fmt.Errorf("%s to %s with %d callers: %w", k.name, s.target, c, err)
			}
			fmt.Printf("%s tput %s %d %.0f\n", s.label, k.name, c, rate)
		}
	}
	return nil
}

// startBenchNode starts the embedded caller node with the environment's
// settings (CHATD_MAPPER_PORT, CHATD_COOKIE_FILE, CHATD_RUNTIME_DIR).
func startBenchNode(ctx context.Context) (*daemon.Node, error) {
	cfg, err := config.Load("", config.Overrides{Name: "bench"}, os.Getenv)
	if err != nil {
		return nil, err
	}
	cookie, err := config.LoadCookie(cfg, os.Getenv, os.Getuid())
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return daemon.Start(ctx, cfg, cookie, daemon.Options{
		Version: "bench", Logger: log, Getenv: os.Getenv, UID: os.Getuid(), GID: os.Getgid(),
		Messages: io.Discard,
	})
}
