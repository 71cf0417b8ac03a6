package main

import (
	"context"
	"io"

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
		Action: noArgs(func(c *cli.Context) error {
			return withAnyNode(c, func(ctx context.Context, cl *client.Client) error {
				resp, err := cl.Functions(ctx)
				return printAnswer(c, resp, err, printFunctions)
			})
		}),
	}
}

// printFunctions writes the functions as a table, NAME ARGS SUMMARY; ARGS is
// "-" for a function that takes none.
func printFunctions(w io.Writer, resp wire.FunctionsResponse) error {
	return printTable(w, "NAME ARGS SUMMARY", resp.Functions, func(f wire.FunctionInfo) []string {
		return []string{printable(f.Name), orDash(printable(f.Args)), printable(f.Summary)}
	})
}
