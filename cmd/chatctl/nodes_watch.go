package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/wire"
)

// watchHelp is the --watch part of `chatctl nodes --help`.
const watchHelp = "--watch prints each node event as it happens, until interrupted (Ctrl-C or SIGTERM:\n" +
	"exit 0), like Erlang's :net_kernel.monitor_nodes/1: a node up, or down with the reason:\n" +
	"closed, tick_timeout, connection_lost, or, for a link that never came up,\n" +
	"cookie_mismatch, refused, timed_out, failed. When the daemon ends the watch (it is\n" +
	"stopping, or chatctl fell behind) chatctl says why and exits 1. With --json each event\n" +
	"is one JSON line (NDJSON) as GET /v1/nodes?watch=1 sends it, the last one an\n" +
	"\"end\" event with the reason.\n\n" +
	"Example:\n   $ chatctl --node alex nodes --watch\n" +
	"   15:04:05 up   kate@localhost (chatd, out, 127.0.0.1:41235)\n" +
	"   15:04:31 down kate@localhost: tick_timeout (no keepalive reply within the tick)"

func watchFlag() cli.Flag {
	return &cli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Usage: "print nodes coming up and going down until interrupted"}
}

// watchNodes is `nodes --watch`.
func watchNodes(c *cli.Context) error {
	return withStream(c, "", "nodes --watch", func(ctx context.Context, cl *client.Client) error {
		return cl.WatchNodes(ctx, func(ev wire.NodeEvent) error {
			var err error
			if jsonOutput(c) {
				err = printJSONLine(c.App.Writer, ev)
			} else if ev.Event != wire.NodeWatchEnd {
				err = printLine(c.App.Writer, "%s", nodeEventLine(ev))
			}
			if err != nil {
				return err
			}
			if ev.Event == wire.NodeWatchEnd {
				return &watchEndedError{socket: cl.Socket(), reason: ev.Reason, detail: ev.Detail}
			}
			return nil
		})
	})
}

// nodeEventLine is the human form of a node event:
//
//	15:04:05 up   kate@localhost (chatd, out, 127.0.0.1:41235)
//	15:04:31 down kate@localhost: tick_timeout (no keepalive reply within the tick)
func nodeEventLine(ev wire.NodeEvent) string {
	at := ev.Time.Local().Format("15:04:05")
	node := orDash(printable(ev.Node))
	if ev.Event == wire.NodeUp {
		return fmt.Sprintf("%s up   %s (%s, %s, %s)", at, node, ev.Protocol, ev.Direction, orDash(ev.Address))
	}
	line := fmt.Sprintf("%s %-4s %s: %s", at, ev.Event, node, ev.Reason)
	if ev.Detail != "" {
		line += " (" + printable(ev.Detail) + ")"
	}
	return line
}

// watchEndedError is the daemon ending a node watch, with why. It maps to
// exitFailure: events after it are not seen.
type watchEndedError struct {
	socket string
	reason wire.NodeReason
	detail string
}

func (e *watchEndedError) Error() string {
	msg := fmt.Sprintf("nodes --watch: chatd at %s ended the watch: %s", e.socket, e.reason)
	if e.detail != "" {
		msg += " (" + e.detail + ")"
	}
	return msg
}
