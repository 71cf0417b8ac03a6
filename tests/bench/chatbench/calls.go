package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"chatd/config"
	"chatd/daemon"
	"chatd/wire"
)

// runCalls embeds a node named bench and measures its calls to -peer:
// echo (no I/O) and receive_message (the chat path).
func runCalls(args []string) error {
	fs := newFlags("calls")
	peer := fs.String("peer", "kate@localhost", "the node to call")
	n := fs.Int("n", 5000, "sequential calls per kind")
	conc := fs.String("c", "1,8,64", "concurrent callers for throughput")
	dur := fs.Duration("d", 10*time.Second, "time per throughput run")
	_ = fs.Parse(args)
	concs, err := parseInts(*conc)
	if err != nil {
		return err
	}
	target, err := wire.ParseNodeName(*peer, "")
	if err != nil {
		return err
	}
	ctx := context.Background()
	node, err := startBenchNode(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = node.Stop() }()

	kinds := []struct {
		name string
		call wire.Call
	}{
		{"echo", wire.Call{Function: "echo", Args: []string{"x"}}},
		{"receive_message", wire.Call{Function: "receive_message", Args: []string{"hi"}}},
	}
	for _, k := range kinds {
		op := func(ctx context.Context) error { _, err := node.Core().Call(ctx, target, k.call); return err }
		ds, err := sequential(ctx, *n, op)
		if err != nil {
			return fmt.Errorf("%s: %w", k.name, err)
		}
		percentiles("rtt "+k.name, ds)
	}
	for _, k := range kinds {
		for _, c := range concs {
			op := func(ctx context.Context) error { _, err := node.Core().Call(ctx, target, k.call); return err }
			rate, err := throughput(ctx, c, *dur, op)
			if err != nil {
				return fmt.Errorf("%s with %d callers: %w", k.name, c, err)
			}
			fmt.Printf("tput %s %d %.0f\n", k.name, c, rate)
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
