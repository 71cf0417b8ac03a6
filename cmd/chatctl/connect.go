package main

import (
	"context"

	"github.com/urfave/cli/v2"

	"chatd/client"
)

// connectCommand is `chatctl connect NODE`, Erlang's Node.connect/1.
func connectCommand() *cli.Command {
	return &cli.Command{
		Name:      "connect",
		Usage:     "link this node to NODE now instead of on first use",
		ArgsUsage: "NODE",
		Description: "Prints \"linked to NODE\", or \"already linked to NODE\" when the link existed;\n" +
			"both exit 0. A node that cannot be reached is an error (exit 1). NODE is NAME\n" +
			"or NAME@HOST. --json prints POST /v1/connect's response.\n\n" +
			"Example:\n   $ chatctl connect kate@localhost\n   linked to kate@localhost",
		OnUsageError: commandUsageError,
		Action: func(c *cli.Context) error {
			arg, target, err := nodeArg(c)
			if err != nil {
				return err
			}
			return withClient(c, target.Name, func(ctx context.Context, cl *client.Client) error {
				resp, err := cl.Connect(ctx, arg)
				if err != nil {
					return err
				}
				if jsonOutput(c) {
					return printJSON(c.App.Writer, resp)
				}
				if resp.Already {
					return printLine(c.App.Writer, "already linked to %s", resp.Node)
				}
				return printLine(c.App.Writer, "linked to %s", resp.Node)
			})
		},
	}
}
