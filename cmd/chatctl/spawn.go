package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/wire"
)

// spawnCommand is `chatctl spawn [--detach] NODE FUNCTION [ARGS...]`, the
// lesson's Node.spawn_link/2.
func spawnCommand() *cli.Command {
	return &cli.Command{
		Name:      "spawn",
		Usage:     "run FUNCTION as a process on NODE, linked to this node's shell; print its output",
		ArgsUsage: "NODE FUNCTION [ARGS...]",
		Description: "Starts FUNCTION with ARGS as an unsupervised process on NODE, linked to this\n" +
			"node's shell. What it prints appears here, one line each as it arrives (Go-quoted\n" +
			"if it holds control characters); when it ends, its pid is the last line. It\n" +
			"exits 0 when the process ended normally; otherwise \"process PID exited: REASON\"\n" +
			"goes to stderr (exit 1). A node that goes away before the process ends is an\n" +
			"error too (exit 1). The global --timeout bounds only the wait for the pid: the\n" +
			"output is streamed until the process ends, however long it runs. Ctrl-C or\n" +
			"SIGTERM stops streaming (exit 1); the process keeps running, linked to this\n" +
			"node's shell, and its later output goes to this node's log.\n\n" +
			"--detach prints only the pid and returns at once, within --timeout; send to it\n" +
			"with `chatctl send PID TEXT`, read its answers with `chatctl flush`.\n\n" +
			"--json prints the POST /v1/spawn events as NDJSON, one compact line each:\n" +
			"{\"event\":\"pid\",\"pid\":...}, {\"event\":\"output\",\"pid\":...,\"text\":...},\n" +
			"{\"event\":\"exit\",\"pid\":...,\"reason\":...}; with --detach the pid event alone,\n" +
			"indented. The exit status is the same as without --json. `chatctl functions`\n" +
			"lists FUNCTION names.\n\n" +
			"Example:\n   $ chatctl --node alex spawn kate@localhost say_name\n" +
			"   Hi, my name is kate\n   <kate@localhost.42.7>\n" +
			"   $ pid=$(chatctl --node alex spawn --detach kate@localhost reply 'sup?')\n" +
			"   $ chatctl --node alex send \"$pid\" hi && sleep 1 && chatctl --node alex flush\n" +
			"   sent to <kate@localhost.43.7> from <alex@localhost.1.9>\n" +
			"   <kate@localhost.43.7> sup?",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "print the pid and return at once instead of streaming the output"},
		},
		Action: func(c *cli.Context) error {
			fc, err := functionArgs(c)
			if err != nil {
				return err
			}
			req := wire.SpawnRequest{Node: fc.typed, Function: fc.function, Args: fc.args, Detach: c.Bool("detach")}
			if req.Detach {
				return spawnDetached(c, fc.node.Name, req)
			}
			return spawnAttached(c, fc.node.Name, req)
		},
	}
}

// spawnDetached is `spawn --detach`: one request bounded by --timeout, whose
// answer is the pid.
func spawnDetached(c *cli.Context, target string, req wire.SpawnRequest) error {
	return withClient(c, target, func(ctx context.Context, cl *client.Client) error {
		return cl.Spawn(ctx, req, func(ev wire.SpawnEvent) error {
			if jsonOutput(c) {
				return printJSON(c.App.Writer, ev)
			}
			return printLine(c.App.Writer, "%s", printable(ev.Pid))
		})
	})
}

// errNoPid is the cause of an attached spawn's context ending because the
// daemon sent nothing within --timeout.
var errNoPid = errors.New("no pid within --timeout")

// spawnAttached is `spawn` without --detach: it streams the process's output
// until its exit event. The global --timeout bounds the wait for the first
// event only; SIGINT or SIGTERM (or the end of c.Context) stops streaming
// and leaves the process running.
func spawnAttached(c *cli.Context, target string, req wire.SpawnRequest) error {
	ctx, stop := interruptible(c)
	defer stop()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	timeout := globalTimeout(c)
	timer := time.AfterFunc(timeout, func() { cancel(errNoPid) })
	defer timer.Stop()

	sock, err := selected(c, target).resolve(ctx)
	if ctx.Err() != nil {
		if errors.Is(context.Cause(ctx), errNoPid) {
			return &timeoutError{command: "spawn", after: timeout, limit: globalLimit(timeout), err: context.DeadlineExceeded}
		}
		return errors.New("spawn: interrupted before the request was sent; nothing was spawned")
	}
	if err != nil {
		return err
	}
	cl := newClient(c, sock)
	defer cl.CloseIdleConnections()

	run := &spawnRun{w: c.App.Writer, json: jsonOutput(c), answered: func() { timer.Stop() }}
	err = cl.Spawn(ctx, req, run.event)
	switch {
	case err == nil && run.exit != nil:
		return run.result()
	case errors.Is(context.Cause(ctx), errNoPid):
		return &spawnRunningError{pid: run.pid, socket: sock, timeout: timeout}
	case ctx.Err() != nil:
		return &spawnRunningError{pid: run.pid, socket: sock}
	case errors.Is(err, client.ErrNoExit):
		return &spawnCutError{pid: run.pid, socket: sock, err: err}
	}
	return err
}

// spawnRun prints the events of an attached spawn as they arrive and keeps
// what the end of the run needs.
type spawnRun struct {
	w        io.Writer
	json     bool
	answered func()           // called at the first event: the daemon answered
	pid      string           // from the pid event, else ""
	exit     *wire.SpawnEvent // the exit event, once it came
}

// event handles one spawn event: with --json it prints it as an NDJSON
// line; otherwise it prints an output's text, and at the exit the pid.
// Events of kinds it does not know are printed with --json only.
func (r *spawnRun) event(ev wire.SpawnEvent) error {
	if r.answered != nil {
		r.answered()
		r.answered = nil
	}
	switch ev.Event {
	case wire.SpawnEventPid:
		r.pid = ev.Pid
	case wire.SpawnEventExit:
		if ev.Pid == "" {
			ev.Pid = r.pid
		}
		r.pid, r.exit = ev.Pid, &ev
	}
	if r.json {
		return printJSONLine(r.w, ev)
	}
	switch ev.Event {
	case wire.SpawnEventOutput:
		return printLine(r.w, "%s", printable(ev.Text))
	case wire.SpawnEventExit:
		return printLine(r.w, "%s", printable(ev.Pid))
	}
	return nil
}

// result is the outcome of a run that saw its exit event: nil for a normal
// exit, else a *processExitError.
func (r *spawnRun) result() error {
	if r.exit.Reason == wire.ExitNormal {
		return nil
	}
	return &processExitError{pid: r.exit.Pid, reason: r.exit.Reason}
}

// processExitError is a spawned process that ended for a reason other than
// "normal". It maps to exitFailure.
type processExitError struct {
	pid    string
	reason string
}

func (e *processExitError) Error() string {
	reason := e.reason
	if reason == "" {
		reason = "no reason given"
	}
	return fmt.Sprintf("process %s exited: %s", printable(e.pid), printable(reason))
}

// spawnRunningError means chatctl stopped streaming an attached spawn
// while the process may still run: on SIGINT or SIGTERM, or because the
// daemon sent nothing within --timeout. It maps to exitFailure.
type spawnRunningError struct {
	pid     string        // "" when the pid event had not come
	socket  string        // the daemon's control socket
	timeout time.Duration // the --timeout that passed; 0 when interrupted
}

func (e *spawnRunningError) Error() string {
	where := fmt.Sprintf("linked to the shell of the node at %s, and its later output goes to that node's log", e.socket)
	switch {
	case e.timeout > 0:
		return fmt.Sprintf("spawn: timed out after %s with no answer (%s); if the process started, it keeps running, %s",
			e.timeout, globalLimit(e.timeout), where)
	case e.pid == "":
		return "spawn: interrupted before the process's pid came; if it started, it keeps running, " + where
	}
	return fmt.Sprintf("spawn: interrupted; process %s keeps running, %s", printable(e.pid), where)
}

// Unwrap returns context.DeadlineExceeded for a timeout, else nil.
func (e *spawnRunningError) Unwrap() error {
	if e.timeout > 0 {
		return context.DeadlineExceeded
	}
	return nil
}

// spawnCutError means the daemon ended an attached spawn's stream before
// the process's exit event: the node went away. It maps to exitFailure.
type spawnCutError struct {
	pid    string // "" when the pid event had not come
	socket string // the daemon's control socket
	err    error  // wraps client.ErrNoExit
}

func (e *spawnCutError) Error() string {
	what := "the process started"
	if e.pid != "" {
		what = "process " + printable(e.pid) + " exited"
	}
	return fmt.Sprintf("spawn: the node went away: chatd at %s ended the stream before %s (it is stopping, or it crashed)",
		e.socket, what)
}

// Unwrap returns the client's error, which wraps client.ErrNoExit.
func (e *spawnCutError) Unwrap() error { return e.err }
