package main

import (
	"context"
	"fmt"
	"io"
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
		Usage:     "send a chat message to TARGET's message sink (its journal or stdout), or to a process",
		ArgsUsage: "TARGET TEXT...",
		Description: "TARGET is a node, NAME or NAME@HOST, or a pid (what `chatctl spawn --detach`\n" +
			"prints): " + wire.PidFormat + ". A malformed pid is a usage\n" +
			"error (exit 2). The TEXT words are joined with single spaces. chatctl's flags go\n" +
			"before TEXT; one of them among the TEXT words is refused (exit 2), and after --\n" +
			"every word is text: chatctl send kate -- hi --json sends \"hi --json\".\n" +
			"To a node, success (exit 0) means TARGET's sink accepted the message; when TARGET\n" +
			"answers every message (a [responder] node), only after its reply reached this\n" +
			"node. It prints \"sent to NODE (id ID)\", then each reply that came back as part\n" +
			"of the send, \"NODE: TEXT\" (moebi's chicken?), and when tasks.placement ran it\n" +
			"here instead, where and why. To a pid, success means the message is\n" +
			"in the process's mailbox, sent from this node's shell, whose pid it prints:\n" +
			"\"sent to PID from SHELL\"; answers land in the shell's mailbox (`chatctl flush`).\n" +
			"A pid whose process ended is an error (exit 1). --json prints POST /v1/send's\n" +
			"response. Without --node, chatctl speaks as the running local node that is not\n" +
			"TARGET (for a pid, not the pid's node).\n\n" +
			"Example:\n   $ chatctl --node alex send kate@localhost hi there\n   sent to kate@localhost (id 3f2a9c014b7d2e8a)\n" +
			"   $ pid=$(chatctl --node alex spawn --detach kate@localhost reply 'sup?')\n" +
			"   $ chatctl --node alex send \"$pid\" hi\n" +
			"   sent to <kate@localhost.42.7> from <alex@localhost.1.9>",
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
			human := printSent
			if wire.LooksLikePid(to) {
				human = printSentToPid
			}
			return ask(c, target, func(cl *client.Client, ctx context.Context) (wire.SendResponse, error) {
				return cl.Send(ctx, to, text)
			}, human)
		},
	}
}

// printSent prints a send to a node: where it went, where it ran when
// that was here instead, and the replies that came back as part of it
// (moebi's chicken?, as the lesson's prompt shows it), one line each.
func printSent(w io.Writer, resp wire.SendResponse) error {
	if err := printLine(w, "sent to %s (id %s)%s", resp.To, resp.ID, ranHere(resp.RanOn, resp.To, resp.Local)); err != nil {
		return err
	}
	for _, m := range resp.Replies {
		if err := printLine(w, "%s: %s", printable(m.From), printable(m.Text)); err != nil {
			return err
		}
	}
	return nil
}

// printSentToPid prints a send to a pid: where it went, from which shell.
func printSentToPid(w io.Writer, resp wire.SendResponse) error {
	return printLine(w, "sent to %s from %s", printable(resp.To), printable(resp.From))
}

// sendTarget returns the name part of the node send's TARGET lives on, for
// node selection: of the node itself, or of a pid's node. A malformed node
// name or pid is a usage error, found before the daemon is asked anything.
func sendTarget(c *cli.Context, to string) (string, error) {
	if wire.LooksLikePid(to) {
		pid, err := wire.ParsePid(to)
		if err != nil {
			return "", &usageError{
				msg:   fmt.Sprintf("%s: %v", c.Command.Name, err),
				usage: commandUsage(c, "A pid TARGET is "+wire.PidFormat+"."),
			}
		}
		return pid.Node.Name, nil
	}
	node, err := wire.ParseNodeName(to, "")
	if err != nil {
		return "", &usageError{
			msg: fmt.Sprintf("%s: %v", c.Command.Name, err),
			usage: commandUsage(c, "TARGET is a node, NAME or NAME@HOST (NAME is 1 to 64 letters, digits, '_' or '-'),\n"+
				"or a pid "+wire.PidFormat+"."),
		}
	}
	return node.Name, nil
}
