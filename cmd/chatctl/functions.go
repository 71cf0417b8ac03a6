package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/wire"
)

// functionsCommand is `chatctl functions`: the builtin functions call runs.
func functionsCommand() *cli.Command {
	return &cli.Command{
		Name:      "functions",
		Usage:     "list the builtin functions peers may run on this node with call",
		ArgsUsage: " ",
		Description: "Prints a table NAME ARGS SUMMARY, sorted by name; --json prints GET /v1/functions\n" +
			"as is. The builtins are the same on every chatd node, so without --node any running\n" +
			"node answers, however many run.\n\n" +
			"Example:\n   $ chatctl functions\n" +
			"   NAME             ARGS       SUMMARY\n" +
			"   crash            -          panic (the task fails; the node keeps running)\n" +
			"   echo             [ARGS...]  return the arguments, joined by spaces\n" +
			"   receive_message  TEXT       write TEXT to this node's message sink (the chat)\n" +
			"   reply            TEXT       wait for one message, then send TEXT back to its sender\n" +
			"   say_name         -          print \"Hi, my name is <node name>\"\n" +
			"   sleep            DURATION   wait for DURATION (like 3s), then return",
		OnUsageError: commandUsageError,
		Action: func(c *cli.Context) error {
			if err := checkArgs(c, 0); err != nil {
				return err
			}
			return withAnyNode(c, func(ctx context.Context, cl *client.Client) error {
				resp, err := cl.Functions(ctx)
				if err != nil {
					return err
				}
				if jsonOutput(c) {
					return printJSON(c.App.Writer, resp)
				}
				return printFunctions(c.App.Writer, resp)
			})
		},
	}
}

// printFunctions writes the functions as a table, NAME ARGS SUMMARY; ARGS is
// "-" for a function that takes none.
func printFunctions(w io.Writer, resp wire.FunctionsResponse) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tARGS\tSUMMARY")
	for _, f := range resp.Functions {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", printable(f.Name), orDash(printable(f.Args)), printable(f.Summary))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
