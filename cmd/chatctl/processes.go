package main

import (
	"io"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/wire"
)

// processesCommand is `chatctl processes`: the node's local processes, the
// lesson's Process.list/0.
func processesCommand() *cli.Command {
	return &cli.Command{
		Name:      "processes",
		Usage:     "list the processes running on this node, its shell among them",
		ArgsUsage: " ",
		Description: "Prints a table PID FUNCTION ARGS LINKED-TO MAILBOX AGE, by pid id: the shell\n" +
			"(FUNCTION shell), and the processes peers spawned here with LINKED-TO the pid\n" +
			"of the shell that spawned them. MAILBOX counts the messages waiting; AGE is the\n" +
			"time since the process started. --json prints GET /v1/processes as is.\n\n" +
			"Example:\n   $ chatctl --node alex spawn --detach kate@localhost reply 'sup?'\n" +
			"   <kate@localhost.42.7>\n" +
			"   $ chatctl --node kate processes\n" +
			"   PID                    FUNCTION  ARGS  LINKED-TO             MAILBOX  AGE\n" +
			"   <kate@localhost.1.7>   shell     -     -                     0        1h2m3s\n" +
			"   <kate@localhost.42.7>  reply     sup?  <alex@localhost.1.9>  0        12s",
		Action: queryAction((*client.Client).Processes, asOfNow(printProcesses)),
	}
}

// printProcesses writes the processes as a table, PID FUNCTION ARGS
// LINKED-TO MAILBOX AGE; with no processes, the header alone.
func printProcesses(w io.Writer, resp wire.ProcessesResponse, now time.Time) error {
	return printTable(w, "PID FUNCTION ARGS LINKED-TO MAILBOX AGE", resp.Processes, func(p wire.ProcessInfo) []string {
		return []string{printable(p.Pid), printable(p.Function), orDash(printable(p.Args)), orDash(printable(p.LinkedTo)),
			strconv.Itoa(p.Mailbox), age(now, p.Started)}
	})
}
