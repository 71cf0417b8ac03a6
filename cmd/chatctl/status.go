package main

import (
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
		Action: queryAction((*client.Client).Status, asOfNow(printStatus)),
	}
}
