// Command chatctl is the operator's client of a running chatd: it talks to
// the local daemon's control socket and prints human output, or JSON with
// --json.
//
//	chatctl [--node N | --socket PATH] [--json] [--timeout D] COMMAND [ARGS]
//
// Without --node or --socket it speaks as the one running local node that is
// not the command's target (see socket.go). Exit status: 0 success, 1 the
// operation failed, 2 usage error, 3 daemon unreachable or refusing this user.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"chatd/cmd/internal/clidoc"
	"chatd/cmd/internal/cmdline"
)

// version is the build's version, stamped with
// -ldflags "-X main.version=...".
var version = "dev"

// defaultTimeout bounds a whole command unless --timeout says otherwise.
const defaultTimeout = 10 * time.Second

func main() {
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// run runs chatctl with args (args[0] is the program name), writing results
// to stdout and errors to stderr, and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdout, stderr)
}

// runContext is run under ctx: its end interrupts a follow, a watch or an
// attached spawn as SIGINT does, and bounds every other command as --timeout
// does.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	line, err := cmdline.Parse(app, args, textCommands(), "docs", "__complete")
	if err == nil {
		err = app.RunContext(ctx, line.Args)
	}
	return report(stdout, stderr, line.Global["json"] == "true", commandLineError(app, err))
}

// textCommands are the commands that end in free text, and how many
// arguments come before it: a chatctl flag among its words is refused
// (-- before the text sends it as is).
func textCommands() cmdline.TextCommands {
	return cmdline.TextCommands{"send": 1, "call": 2, "spawn": 2}
}

// commands are chatctl's own commands, in the order --help lists them;
// a flag one of them does not take is a usage error (commandUsageError).
func commands() []*cli.Command {
	cmds := []*cli.Command{
		sendCommand(),
		chatCommand(),
		spawnCommand(),
		callCommand(),
		flushCommand(),
		processesCommand(),
		pingCommand(),
		nodesCommand(),
		connectCommand(),
		disconnectCommand(),
		tasksCommand(),
		messagesCommand(),
		functionsCommand(),
		statusCommand(),
		versionCommand(),
	}
	for _, cmd := range cmds {
		cmd.OnUsageError = commandUsageError
	}
	return cmds
}

// newApp builds the command-line application.
func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:    "chatctl",
		Usage:   "control a running chatd node",
		Version: version,
		UsageText: "chatctl [--node N | --socket PATH] [--json] [--timeout D] COMMAND [ARGS...]\n\n" +
			"Without --node, CHATCTL_NODE or --socket, chatctl speaks as the one running\n" +
			"local node that is not the command's target.",
		Description: "Exit status: 0 success, 1 the operation failed, 2 usage error, 3 daemon unreachable\nor refusing this user.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "node", Usage: "speak as local node `N` (name or name@host; default $CHATCTL_NODE)"},
			&cli.StringFlag{Name: "socket", Usage: "use the control socket at `PATH` (overrides --node)"},
			&cli.BoolFlag{Name: "json", Usage: "print the daemon's JSON response instead of human output"},
			&cli.DurationFlag{Name: "timeout", Value: defaultTimeout, Usage: "give up on the whole command after `D` (a --watch or --follow runs until interrupted, a spawn until its process ends)"},
		},
		Commands: append(commands(), clidoc.Command(manPage()), clidoc.CompleteCommand(completeValues)),
		Before: func(c *cli.Context) error {
			if d := c.Duration("timeout"); d <= 0 {
				return &usageError{msg: fmt.Sprintf("--timeout must be positive, not %s", d)}
			}
			return nil
		},
		// With commands and no Action, urfave/cli treats an unknown command
		// as a help topic and fails with its own exit code; own it instead.
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return unknownCommand(c.App, c.Args().First())
			}
			return &usageError{msg: "missing command"}
		},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return &usageError{msg: err.Error()}
		},
		Writer:    stdout,
		ErrWriter: stderr,
		// Errors are reported and mapped to exit codes by run, never by
		// urfave/cli calling os.Exit.
		ExitErrHandler: func(*cli.Context, error) {},
	}
}
