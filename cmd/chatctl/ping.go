package main

import (
	"cmp"
	"context"
	"fmt"

	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/wire"
)

// pangError is a ping that came back pang: the operation failed (exit 1).
type pangError struct {
	node   string
	reason string
}

func (e *pangError) Error() string {
	return fmt.Sprintf("ping %s: %s", e.node, cmp.Or(e.reason, "pang"))
}

// pingCommand is `chatctl ping NODE`, Erlang's net_adm:ping/1.
func pingCommand() *cli.Command {
	return &cli.Command{
		Name:      "ping",
		Usage:     "check that NODE can be reached from this node (pong) or not (pang)",
		ArgsUsage: "NODE",
		Description: "Links to NODE if needed and prints pong (exit 0), or pang (exit 1) with the\n" +
			"reason on stderr. NODE is NAME or NAME@HOST; a bare NAME gets this node's host.\n" +
			"--json prints POST /v1/ping's response and exits the same way.\n\n" +
			"Example:\n   $ chatctl --node alex ping kate@localhost\n   pong\n" +
			"   $ chatctl --node alex ping moebi@localhost\n   pang\n" +
			"   chatctl: ping moebi@localhost: no connection to moebi@localhost: not registered with the port mapper at 127.0.0.1:4369",
		Action: func(c *cli.Context) error {
			arg, target, err := nodeArg(c)
			if err != nil {
				return err
			}
			return withClient(c, target.Name, func(ctx context.Context, cl *client.Client) error {
				resp, err := cl.Ping(ctx, arg)
				if err := printAnswer(c, resp, err, lineOf(pingLine)); err != nil {
					return err
				}
				if resp.Result != wire.Pong {
					node := resp.Node
					if node == "" {
						node = arg
					}
					return &pangError{node: node, reason: resp.Reason}
				}
				return nil
			})
		},
	}
}

// pingLine is the human form of a ping's answer: pong or pang.
func pingLine(resp wire.PingResponse) string { return string(resp.Result) }
