package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

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
// for a usage error) and returns the exit status for it. With jsonOut it
// also prints err to stdout as the control API's error object, compact on
// one line (so that it also ends an NDJSON stream; see errorResponse),
// unless stdout already holds the daemon's answer that describes the
// failure (a pang, a process's exit event, a watch's end event) or the
// user interrupted a spawn's stream.
func report(stdout, stderr io.Writer, jsonOut bool, err error) int {
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
	if sh, ok := errors.AsType[shownError](err); jsonOut && (!ok || !sh.shown()) {
		_ = printJSONLine(stdout, errorResponse(err)) // stderr has the error already
	}
	return exitCode(err)
}

// shownError is a failure --json may have told in the output already.
type shownError interface {
	error
	// shown reports whether the output told it.
	shown() bool
}

func (*pangError) shown() bool        { return true } // the ping response
func (*processExitError) shown() bool { return true } // the exit event
func (*watchEndedError) shown() bool  { return true } // the end event

// shown is true for an interrupted spawn: its stream stopped, as a follow
// stops when interrupted, and there is no failure to tell.
func (e *spawnRunningError) shown() bool { return e.timeout == 0 }

// errorResponse is err as --json prints it: the daemon's own error object
// when the daemon refused the request; otherwise the same shape with the
// message chatctl prints and the kind that fits: bad_request for a usage
// error, unavailable for a daemon chatctl cannot reach (or that ended a
// stream), timeout for chatctl's --timeout, forbidden for a socket this
// user may not use, internal for anything else.
func errorResponse(err error) wire.ErrorResponse {
	if ae, ok := errors.AsType[*client.APIError](err); ok {
		return wire.ErrorResponse{Error: ae.Message, Code: ae.Kind}
	}
	resp := wire.ErrorResponse{Error: err.Error(), Code: wire.CodeOf(err)}
	if _, ok := errors.AsType[*usageError](err); ok {
		resp.Code = wire.CodeBadRequest
	}
	if isType[*client.UnreachableError](err) || isType[*noNodeError](err) || isType[*notRunningError](err) ||
		isType[*streamEndedError](err) || isType[*spawnCutError](err) {
		resp.Code = wire.CodeUnavailable
	}
	if errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) {
		resp.Code = wire.CodeForbidden
	}
	return resp
}

// isType reports whether err's chain holds an error of type T.
func isType[T error](err error) bool {
	_, ok := errors.AsType[T](err)
	return ok
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
	if _, ok := errors.AsType[*notRunningError](err); ok {
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
