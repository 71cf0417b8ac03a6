package main

import (
	"context"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/wire"
)

// messagesCommand is `chatctl messages [--follow] [-n N]`: the chat messages
// this node received, the lesson's journal lines.
func messagesCommand() *cli.Command {
	return &cli.Command{
		Name:      "messages",
		Usage:     "print the chat messages this node received, or follow them",
		ArgsUsage: " ",
		Description: "Prints one line per message, oldest first: the local time it arrived, the\n" +
			"sender and the text (Go-quoted if it holds control characters). -n N prints the\n" +
			"last N only; by default all the daemon keeps. --json prints GET /v1/messages.\n\n" +
			"--follow prints the last N messages if -n is given, then each new one as it\n" +
			"arrives, until interrupted (Ctrl-C or SIGTERM: exit 0); the global --timeout\n" +
			"does not apply. Like tail -F it outlives the node: when the node stops or\n" +
			"restarts, it says so on stderr, tries its control socket every 0.5s, says when\n" +
			"it reconnected, and prints the messages that arrived meanwhile, none twice. (The\n" +
			"first connection failing is an error, as for any command.) With --json each\n" +
			"message is one JSON line (NDJSON) in the form of a GET /v1/messages entry.\n\n" +
			"Example:\n   $ chatctl --node alex send kate@localhost hi\n   sent to kate@localhost (id 3f2a9c014b7d2e8a)\n" +
			"   $ chatctl --node alex send kate@localhost 'how are you?'\n   sent to kate@localhost (id 8e1b0c55d2a94f07)\n" +
			"   $ chatctl --node kate messages -n 2\n" +
			"   15:04:05 alex@localhost: hi\n   15:04:07 alex@localhost: how are you?",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep printing new messages until interrupted"},
			&cli.IntFlag{Name: "n", Usage: "print only the last `N` messages (with --follow: then the new ones)", DefaultText: "all"},
		},
		Action: noArgs(func(c *cli.Context) error {
			n := c.Int("n")
			if c.IsSet("n") && n < 1 {
				return &usageError{msg: fmt.Sprintf("messages: -n must be at least 1, not %d", n), usage: commandUsage(c)}
			}
			if c.Bool("follow") {
				return followMessages(c, n)
			}
			return ask(c, "", func(cl *client.Client, ctx context.Context) (wire.MessagesResponse, error) {
				return cl.Messages(ctx, n)
			}, printMessages)
		}),
	}
}

// printMessages writes the messages, one line each.
func printMessages(w io.Writer, resp wire.MessagesResponse) error {
	return printLines(w, resp.Messages, messageLine)
}

// messageLine is the human form of a received message:
//
//	15:04:05 alex@localhost: hi
func messageLine(m wire.Message) string {
	return fmt.Sprintf("%s %s: %s", m.Time.Local().Format("15:04:05"), printable(m.From), printable(m.Text))
}
