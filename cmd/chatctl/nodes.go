package main

import (
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
		Flags: []cli.Flag{watchFlag()},
		Action: noArgs(func(c *cli.Context) error {
			if c.Bool("watch") {
				return watchNodes(c)
			}
			return ask(c, "", (*client.Client).Nodes, asOfNow(printNodes))
		}),
	}
}
