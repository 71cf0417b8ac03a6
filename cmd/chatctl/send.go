package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/wire"
)

// sendCommand is `chatctl send TARGET TEXT...`, the lesson's
// Chat.send_message/2 (and, for a pid, Kernel.send/2).
func sendCommand() *cli.Command {
	return &cli.Command{
		Name:      "send",
		Usage:     "send a chat message to TARGET; it appears in TARGET's journal",
		ArgsUsage: "TARGET TEXT...",
		Description: "TARGET is a node, NAME or NAME@HOST, or a pid like <kate@localhost.42.0>, which\n" +
			"is passed to the daemon as typed. The TEXT words are joined with single spaces;\n" +
			"everything after TARGET is text, so chatctl's flags go before the command.\n" +
			"Success (exit 0) means TARGET's sink accepted the message; when TARGET answers\n" +
			"every message (a [responder] node), only after its reply reached this node.\n" +
			"Prints \"sent to NODE (id ID)\"; --json prints POST /v1/send's response.\n" +
			"Without --node, chatctl speaks as the running local node that is not TARGET.\n\n" +
			"Example:\n   $ chatctl send kate@localhost hi there\n   sent to kate@localhost (id 3f2a9c01)",
		OnUsageError: commandUsageError,
		Action: func(c *cli.Context) error {
			if err := minArgs(c, "TARGET", "TEXT..."); err != nil {
				return err
			}
			to := c.Args().First()
			target, err := sendTarget(c, to)
			if err != nil {
				return err
			}
			text := strings.Join(c.Args().Tail(), " ")
			return withClient(c, target, func(ctx context.Context, cl *client.Client) error {
				resp, err := cl.Send(ctx, to, text)
				if err != nil {
					return err
				}
				if jsonOutput(c) {
					return printJSON(c.App.Writer, resp)
				}
				return printLine(c.App.Writer, "sent to %s (id %s)", resp.To, resp.ID)
			})
		},
	}
}

// sendTarget returns the name part of the node send's TARGET lives on, for
// node selection: of the node itself, or of a pid's node. A pid is not
// checked here; the daemon answers for it, so its node is only a guess ("" if
// none can be read).
func sendTarget(c *cli.Context, to string) (string, error) {
	if pid, ok := strings.CutPrefix(to, "<"); ok {
		name, _, ok := strings.Cut(pid, "@")
		if ok && wire.ValidateName(name) == nil {
			return name, nil
		}
		return "", nil
	}
	node, err := wire.ParseNodeName(to, "")
	if err != nil {
		return "", &usageError{
			msg: fmt.Sprintf("%s: %v", c.Command.Name, err),
			usage: commandUsage(c, "TARGET is a node, NAME or NAME@HOST (NAME is 1 to 64 letters, digits, '_' or '-'),\n"+
				"or a pid like <kate@localhost.42.0>."),
		}
	}
	return node.Name, nil
}
