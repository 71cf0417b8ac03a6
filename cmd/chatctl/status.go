package main

import (
	"context"
	"time"

	"github.com/urfave/cli/v2"

	"chatd/client"
)

// statusCommand is `chatctl status`: the node's identity and state.
func statusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show the node's name, version, uptime, listen address, mapper and link count",
		ArgsUsage: " ",
		Description: "Prints one \"key value\" line each; --json prints GET /v1/status as is.\n\n" +
			"Example:\n   $ chatctl --node alex status\n   node      alex@localhost\n   ...\n   links     0",
		OnUsageError: commandUsageError,
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, 0); err != nil {
				return err
			}
			return withClient(c, "", func(ctx context.Context, cl *client.Client) error {
				st, err := cl.Status(ctx)
				if err != nil {
					return err
				}
				if jsonOutput(c) {
					return printJSON(c.App.Writer, st)
				}
				return printStatus(c.App.Writer, st, time.Now())
			})
		},
	}
}
