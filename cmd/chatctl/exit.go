package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/cmd/internal/cmdline"
	"chatd/wire"
)

// Exit statuses; scripts rely on them.
const (
	exitOK          = 0 // success (a pong, a link, a status)
	exitFailure     = 1 // the daemon answered but the operation failed (pang, no_connection, ...)
	exitUsage       = 2 // the command line was wrong; nothing was asked of the daemon
	exitUnreachable = 3 // no daemon to talk to, or one that refuses this user
)

// globalUsage is the synopsis printed after a usage error.
const globalUsage = "chatctl [--node N | --socket PATH] [--json] [--timeout D]"

// usageError is a command line chatctl cannot act on. It maps to exitUsage.
type usageError struct {
	msg string
	// usage is printed after msg: the command's synopsis and where to read
	// more. Empty means the general hint.
	usage string
}

func (e *usageError) Error() string { return e.msg }

// report prints err to stderr as "chatctl: <message>" (plus the usage hint
// for a usage error) and returns the exit status for it.
func report(stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(stderr, "chatctl: %v\n", err)
	if ue, ok := errors.AsType[*usageError](err); ok {
		hint := ue.usage
		if hint == "" {
			hint = "usage: " + globalUsage + " COMMAND [ARGS...]\nRun 'chatctl --help' for the commands."
		}
		fmt.Fprintln(stderr, hint)
	}
	return exitCode(err)
}

// exitCode maps an error from the app to the exit status.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	if _, ok := errors.AsType[*usageError](err); ok {
		return exitUsage
	}
	if _, ok := errors.AsType[cli.ExitCoder](err); ok {
		// urfave/cli's own errors, e.g. "No help topic for 'x'".
		return exitUsage
	}
	if _, ok := errors.AsType[*client.UnreachableError](err); ok {
		return exitUnreachable
	}
	if _, ok := errors.AsType[*noNodeError](err); ok {
		return exitUnreachable
	}
	if wire.CodeOf(err) == wire.CodeForbidden {
		// The daemon's SO_PEERCRED check refused this user: the same fix
		// as a socket file it may not open (EACCES), so the same status.
		return exitUnreachable
	}
	return exitFailure
}

// commandUsage is the synopsis of c's command, then notes, then where to
// read more; printed after the command's usage errors.
func commandUsage(c *cli.Context, notes ...string) string {
	return usageOf(c.Command, notes...)
}

// usageOf is commandUsage for cmd.
func usageOf(cmd *cli.Command, notes ...string) string {
	lines := []string{"usage: " + strings.TrimSpace(globalUsage+" "+cmd.Name+" "+cmd.ArgsUsage)}
	lines = append(lines, notes...)
	lines = append(lines, fmt.Sprintf("Run 'chatctl %s --help' for details.", cmd.Name))
	return strings.Join(lines, "\n")
}

// commandLineError turns a *cmdline.Error into a usage error with the
// usage of the command it is about; other errors pass through.
func commandLineError(app *cli.App, err error) error {
	ce, ok := errors.AsType[*cmdline.Error](err)
	if !ok {
		return err
	}
	ue := &usageError{msg: ce.Error()}
	if cmd := app.Command(ce.Command); cmd != nil {
		ue.usage = usageOf(cmd)
	}
	return ue
}

// unknownCommand is the usage error for name, no command of app's, with
// the command meant when name looks like a typo of one.
func unknownCommand(app *cli.App, name string) error {
	msg := fmt.Sprintf("unknown command %q", name)
	var names []string
	for _, cmd := range app.Commands {
		if !cmd.Hidden {
			names = append(names, cmd.Name)
		}
	}
	if s := cmdline.Suggest(name, names); s != "" {
		msg += fmt.Sprintf("; did you mean %s?", s)
	}
	return &usageError{msg: msg}
}

// commandUsageError is the OnUsageError of every command: a flag the command
// does not know, or a bad flag value.
func commandUsageError(c *cli.Context, err error, _ bool) error {
	return &usageError{msg: fmt.Sprintf("%s: %v", c.Command.Name, err), usage: commandUsage(c)}
}
