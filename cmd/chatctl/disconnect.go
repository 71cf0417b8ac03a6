package main

import (
	"context"

	"github.com/urfave/cli/v2"

	"chatd/client"
)

// disconnectCommand is `chatctl disconnect NODE`, Erlang's
// Node.disconnect/1.
func disconnectCommand() *cli.Command {
	return &cli.Command{
		Name:      "disconnect",
		Usage:     "close this node's link to NODE",
		ArgsUsage: "NODE",
		Description: "Prints \"disconnected from NODE\", or \"not linked to NODE\" when there was no\n" +
			"link; both exit 0. Pending calls to NODE fail with no_connection. NODE is NAME\n" +
			"or NAME@HOST. --json prints POST /v1/disconnect's response.\n\n" +
			"Example:\n   $ chatctl disconnect kate@localhost\n   disconnected from kate@localhost",
		OnUsageError: commandUsageError,
		Action: func(c *cli.Context) error {
			arg, target, err := nodeArg(c)
			if err != nil {
				return err
			}
			return withClient(c, target.Name, func(ctx context.Context, cl *client.Client) error {
				resp, err := cl.Disconnect(ctx, arg)
				if err != nil {
					return err
				}
				if jsonOutput(c) {
					return printJSON(c.App.Writer, resp)
				}
				if resp.WasLinked {
					return printLine(c.App.Writer, "disconnected from %s", resp.Node)
				}
				return printLine(c.App.Writer, "not linked to %s", resp.Node)
			})
		},
	}
}
