package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/wire"
)

// tasksCommand is `chatctl tasks [--all] [--watch]`: the node's supervised
// tasks, the lesson's Task.Supervisor.children/1.
func tasksCommand() *cli.Command {
	return &cli.Command{
		Name:      "tasks",
		Usage:     "list the tasks this node's supervisor runs, or watch them change",
		ArgsUsage: " ",
		Description: "Prints a table ID FUNCTION ARGS CALLER STATE DURATION of the running tasks, and\n" +
			"with --all the finished ones after them, newest first. STATE is running, ok,\n" +
			"failed, timeout or cancelled; DURATION is the time so far for a running task,\n" +
			"the total for a finished one. --json prints GET /v1/tasks as is.\n\n" +
			"--watch prints one line per change of state as it happens, with the local time\n" +
			"of the change, until interrupted (Ctrl-C or SIGTERM: exit 0); the global\n" +
			"--timeout does not apply. With --json each change is one JSON line (NDJSON) in\n" +
			"the form of a GET /v1/tasks entry.\n\n" +
			"Example:\n   $ chatctl --node alex call kate@localhost echo hi\n   hi\n" +
			"   $ chatctl --node kate tasks --all\n" +
			"   ID  FUNCTION  ARGS  CALLER          STATE  DURATION\n" +
			"   42  echo      hi    alex@localhost  ok     0.1ms\n" +
			"   $ chatctl --node kate tasks --watch\n" +
			"   17:02:03.123  #42 receive_message hi  alex@localhost  running\n" +
			"   17:02:03.124  #42 receive_message hi  alex@localhost  ok 0.4ms",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "all", Usage: "list finished tasks too"},
			&cli.BoolFlag{Name: "watch", Usage: "print each change of state as it happens, until interrupted"},
		},
		Action: noArgs(func(c *cli.Context) error {
			if c.Bool("watch") {
				if c.Bool("all") {
					return &usageError{
						msg:   "tasks: --all lists finished tasks; --watch shows changes from now on: use one",
						usage: commandUsage(c),
					}
				}
				return watchTasks(c)
			}
			return ask(c, "", func(cl *client.Client, ctx context.Context) (wire.TasksResponse, error) {
				return cl.Tasks(ctx, c.Bool("all"))
			}, asOfNow(printTasks))
		}),
	}
}

// watchTasks is `tasks --watch`.
func watchTasks(c *cli.Context) error {
	return withStream(c, "", "tasks --watch", func(ctx context.Context, cl *client.Client) error {
		return cl.WatchTasks(ctx, func(ti wire.TaskInfo) error {
			if jsonOutput(c) {
				return printJSONLine(c.App.Writer, ti)
			}
			return printLine(c.App.Writer, "%s", taskEvent(ti))
		})
	})
}

// printTasks writes the tasks as a table, ID FUNCTION ARGS CALLER STATE
// DURATION; with no tasks, the header alone.
func printTasks(w io.Writer, resp wire.TasksResponse, now time.Time) error {
	return printTable(w, "ID FUNCTION ARGS CALLER STATE DURATION", resp.Tasks, func(ti wire.TaskInfo) []string {
		dur := millis(ti.DurationMs)
		if ti.State == wire.TaskRunning {
			dur = since(now, ti.Started)
		}
		return []string{strconv.FormatUint(ti.ID, 10), printable(ti.Function), orDash(printable(ti.Args)),
			orDash(printable(ti.Caller)), string(ti.State), dur}
	})
}

// taskEvent is the --watch line for a change of state: the local time it
// happened, the task (its function, then its arguments as the ARGS column
// of tasks shows them), the caller and its new state; a finished task adds
// its duration, and its error when it did not succeed.
//
//	17:02:03.123  #42 receive_message hi  alex@localhost  running
//	17:02:03.124  #42 receive_message hi  alex@localhost  ok 0.4ms
//	17:02:04.001  #43 crash  alex@localhost  failed 0.3ms: panic: crash
func taskEvent(ti wire.TaskInfo) string {
	at := ti.Started
	state := ti.State
	if ti.State != wire.TaskRunning {
		at = at.Add(time.Duration(ti.DurationMs * float64(time.Millisecond)))
		state += " " + millis(ti.DurationMs)
		if ti.Error != "" {
			state += ": " + printable(ti.Error)
		}
	}
	task := printable(ti.Function)
	if ti.Args != "" {
		task += " " + printable(ti.Args)
	}
	return fmt.Sprintf("%s  #%d %s  %s  %s", at.Local().Format("15:04:05.000"), ti.ID,
		task, orDash(printable(ti.Caller)), state)
}
