package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/wire"
)

// ranHere says that work naming node ran on ranOn instead, and why
// (local, from the daemon); "" when it ran where it was sent.
func ranHere(ranOn, node, local string) string {
	if local == "" {
		return ""
	}
	return fmt.Sprintf(": ran here on %s, not on %s (%s)", ranOn, node, local)
}

// callMargin is how much longer than the await timeout chatctl waits for the
// daemon's answer, so that the daemon's own timeout error, which names the
// node and says the task was cancelled, arrives before chatctl gives up.
const callMargin = 5 * time.Second

// callCommand is `chatctl call NODE FUNCTION [ARGS...]`, the lesson's
// Task.Supervisor.async({Chat.TaskSupervisor, node}, ...) |> Task.await().
func callCommand() *cli.Command {
	return &cli.Command{
		Name:      "call",
		Usage:     "run FUNCTION as a supervised task on NODE and print its result",
		ArgsUsage: "NODE FUNCTION [ARGS...]",
		Description: "Starts FUNCTION with ARGS on NODE's task supervisor, awaits the result and prints\n" +
			"it (exit 0). A task that fails or does not finish within the await timeout is\n" +
			"an error naming NODE and the reason (exit 1); on timeout the task is cancelled.\n" +
			"The await timeout is this command's --timeout D (alias --await D), placed after\n" +
			"`call`; without it the daemon's tasks.await_timeout applies (5s by default).\n" +
			"chatctl's global --timeout, before `call`, bounds the whole command and is raised\n" +
			"to the await timeout plus 5s when that is longer. `chatctl functions` lists\n" +
			"FUNCTION names. --json prints POST /v1/call's response.\n\n" +
			"Example:\n   $ chatctl --node alex call kate@localhost say_name\n   Hi, my name is kate\n" +
			"   $ chatctl --node alex call kate@localhost echo a b\n   a b\n" +
			"   $ chatctl --node alex call --timeout 1s kate@localhost sleep 3s\n" +
			"   chatctl: kate@localhost: sleep timed out after 1s (the task was cancelled)",
		Flags: []cli.Flag{
			&cli.DurationFlag{
				Name:        "timeout",
				Aliases:     []string{"await"},
				Usage:       "await the result for `D`, then cancel the task",
				DefaultText: "the daemon's tasks.await_timeout",
			},
		},
		Action: func(c *cli.Context) error {
			fc, err := functionArgs(c)
			if err != nil {
				return err
			}
			req := wire.CallRequest{Node: fc.typed, Function: fc.function, Args: fc.args}
			var await time.Duration
			if c.IsSet("timeout") {
				if await = c.Duration("timeout"); await <= 0 {
					return &usageError{
						msg:   fmt.Sprintf("call: --timeout must be positive, not %s", await),
						usage: commandUsage(c),
					}
				}
				req.Timeout = await.String()
			}
			deadline, limit := callDeadline(globalTimeout(c), await)
			return withDeadline(c, fc.node.Name, deadline, limit, func(ctx context.Context, cl *client.Client) error {
				resp, err := cl.Call(ctx, req)
				return printAnswer(c, resp, err, func(w io.Writer, resp wire.CallResponse) error {
					if resp.Local != "" {
						fmt.Fprintf(c.App.ErrWriter, "chatctl: %s%s\n", resp.Function, ranHere(resp.RanOn, resp.Node, resp.Local))
					}
					return printLine(w, "%s", resp.Result)
				})
			})
		},
	}
}

// callDeadline returns how long chatctl waits for a call's answer: the
// global --timeout, raised to the await timeout plus callMargin when that is
// longer (await 0: the daemon's default, unknown here), and how to name that
// limit in an error.
func callDeadline(global, await time.Duration) (time.Duration, string) {
	if await > 0 && await+callMargin > global {
		d := await + callMargin
		return d, fmt.Sprintf("call --timeout %s plus %s", await, callMargin)
	}
	return global, globalLimit(global)
}
