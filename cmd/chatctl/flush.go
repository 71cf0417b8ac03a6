package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/wire"
)

// flushCommand is `chatctl flush`, the lesson's flush/0: it prints and
// empties this node's shell mailbox.
func flushCommand() *cli.Command {
	return &cli.Command{
		Name:      "flush",
		Usage:     "print and empty this node's shell mailbox: answers and exit notices",
		ArgsUsage: " ",
		Description: "The shell is the process that `chatctl send PID` sends from and that\n" +
			"`chatctl spawn` links to. flush prints what waits in its mailbox, one line per\n" +
			"entry, oldest first, and empties it: a message as \"PID TEXT\", an exit notice from\n" +
			"a linked process as \"PID EXIT REASON\" (text Go-quoted if it holds control\n" +
			"characters). An empty mailbox prints nothing (exit 0). --json prints POST\n" +
			"/v1/flush's response.\n\n" +
			"Example:\n   $ pid=$(chatctl --node alex spawn --detach kate@localhost reply 'sup?')\n" +
			"   $ chatctl --node alex send \"$pid\" hi && sleep 1\n" +
			"   sent to <kate@localhost.42.7> from <alex@localhost.1.9>\n" +
			"   $ chatctl --node alex flush\n" +
			"   <kate@localhost.42.7> sup?",
		Action: queryAction((*client.Client).Flush, printMailbox),
	}
}

// printMailbox writes the entries of a flushed mailbox, one line each.
func printMailbox(w io.Writer, resp wire.FlushResponse) error {
	return printLines(w, resp.Messages, mailboxLine)
}

// mailboxLine is the human form of a mailbox entry, a message or an exit
// notice:
//
//	<kate@localhost.42.7> sup?
//	<kate@localhost.42.7> EXIT noconnection
func mailboxLine(m wire.MailboxMessage) string {
	if m.Exit {
		return fmt.Sprintf("%s EXIT %s", printable(m.From), printable(m.Reason))
	}
	return fmt.Sprintf("%s %s", printable(m.From), printable(m.Text))
}
