package main

import (
	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/wire"
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
			"Example:\n   $ chatctl --node alex connect kate@localhost\n   linked to kate@localhost\n" +
			"   $ chatctl --node alex disconnect kate@localhost\n   disconnected from kate@localhost\n" +
			"   $ chatctl --node alex disconnect kate\n   not linked to kate@localhost",
		Action: linkAction((*client.Client).Disconnect, func(resp wire.DisconnectResponse) string {
			return choose(resp.WasLinked, "disconnected from ", "not linked to ") + resp.Node
		}),
	}
}
