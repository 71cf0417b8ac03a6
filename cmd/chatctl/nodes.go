package main

import (
	"context"
	"time"

	"github.com/urfave/cli/v2"

	"chatd/client"
)

// nodesCommand is `chatctl nodes`: the nodes linked now.
func nodesCommand() *cli.Command {
	return &cli.Command{
		Name:      "nodes",
		Usage:     "list the nodes this node is linked to",
		ArgsUsage: " ",
		Description: "Prints a table NODE PROTOCOL ADDRESS DIRECTION TLS SINCE (the header alone when\n" +
			"there are no links); PROTOCOL is \"chatd\" for a chatd node and \"erlang\" for an Erlang\n" +
			"or Elixir node, DIRECTION \"out\" when this node dialled, TLS \"yes\" when the link runs\n" +
			"over TLS ([link.tls]). --json prints GET /v1/nodes as is.\n\n" +
			"Example:\n   $ chatctl --node alex connect kate\n   linked to kate@localhost\n" +
			"   $ chatctl --node alex nodes\n   NODE            PROTOCOL  ADDRESS          DIRECTION  TLS  SINCE\n" +
			"   kate@localhost  chatd     127.0.0.1:41235  out        no   3m12s\n\n" + watchHelp,
		Flags:        []cli.Flag{watchFlag()},
		OnUsageError: commandUsageError,
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, 0); err != nil {
				return err
			}
			if c.Bool("watch") {
				return watchNodes(c)
			}
			return withClient(c, "", func(ctx context.Context, cl *client.Client) error {
				nodes, err := cl.Nodes(ctx)
				if err != nil {
					return err
				}
				if jsonOutput(c) {
					return printJSON(c.App.Writer, nodes)
				}
				return printNodes(c.App.Writer, nodes, time.Now())
			})
		},
	}
}
