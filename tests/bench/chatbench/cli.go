package main

import (
	"context"
	"fmt"
	"os/exec"
)

// runCLI times `chatctl send PEER hi` end to end, process start included:
//
//	cli chatctl_send p50_ns p90_ns p99_ns max_ns
func runCLI(args []string) error {
	fs := newFlags("cli")
	chatctl := fs.String("chatctl", "chatctl", "the chatctl binary")
	socket := fs.String("socket", "", "the sending node's control socket")
	peer := fs.String("peer", "kate@localhost", "the recipient")
	n := fs.Int("n", 200, "sends")
	_ = fs.Parse(args)
	ds, err := sequential(context.Background(), *n, func(ctx context.Context) error {
		out, err := exec.CommandContext(ctx, *chatctl, "--socket", *socket, "send", *peer, "hi").CombinedOutput()
		if err != nil {
			return fmt.Errorf("chatctl send: %v: %s", err, out)
		}
		return nil
	})
	if err != nil {
		return err
	}
	percentiles("cli chatctl_send", ds)
	return nil
}
