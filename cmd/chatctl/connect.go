package main

import (
	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/wire"
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
			"Example:\n   $ chatctl --node alex connect kate@localhost\n   linked to kate@localhost\n" +
			"   $ chatctl --node alex connect kate\n   already linked to kate@localhost",
		Action: linkAction((*client.Client).Connect, func(resp wire.ConnectResponse) string {
			return choose(resp.Already, "already linked to ", "linked to ") + resp.Node
		}),
	}
}
