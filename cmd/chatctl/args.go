package main

// Positional arguments: counting them and reading NODE and FUNCTION.

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"chatd/wire"
)

// nodeFormat says what a NODE argument may be.
const nodeFormat = "NODE is NAME or NAME@HOST; NAME is 1 to 64 letters, digits, '_' or '-'"

// checkArgs fails with a usage error unless c has exactly n positional
// arguments; names says what they are, for the message.
func checkArgs(c *cli.Context, n int, names ...string) error {
	got := c.Args().Len()
	switch {
	case got < n:
		return minArgs(c, names...)
	case got > n:
		msg := fmt.Sprintf("%s: unexpected argument %q", c.Command.Name, c.Args().Get(n))
		return &usageError{msg: msg, usage: commandUsage(c)}
	}
	return nil
}

// noArgs is the action of a command that takes no arguments: a usage
// error when there are some, else action.
func noArgs(action cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		if err := checkArgs(c, 0); err != nil {
			return err
		}
		return action(c)
	}
}

// minArgs fails with a usage error unless c has at least len(names)
// positional arguments; names says what they are, for the message.
func minArgs(c *cli.Context, names ...string) error {
	if got := c.Args().Len(); got < len(names) {
		return &usageError{
			msg:   fmt.Sprintf("%s: missing %s", c.Command.Name, strings.Join(names[got:], " ")),
			usage: commandUsage(c),
		}
	}
	return nil
}

// nodeArg returns the command's one NODE argument as typed (a bare name is
// completed by the daemon with its own host) and parsed, for picking the
// local node to speak as.
func nodeArg(c *cli.Context) (string, wire.NodeName, error) {
	if err := checkArgs(c, 1, "NODE"); err != nil {
		return "", wire.NodeName{}, err
	}
	arg := c.Args().First()
	name, err := parseNodeArg(c, arg)
	return arg, name, err
}

// functionCall is `NODE FUNCTION [ARGS...]`, as call and spawn read it.
type functionCall struct {
	typed    string        // the node as typed: the daemon completes a bare name
	node     wire.NodeName // the node parsed, for picking the local node to speak as
	function string
	args     []string
}

// functionArgs reads c's `NODE FUNCTION [ARGS...]`.
func functionArgs(c *cli.Context) (functionCall, error) {
	if err := minArgs(c, "NODE", "FUNCTION"); err != nil {
		return functionCall{}, err
	}
	typed := c.Args().First()
	node, err := parseNodeArg(c, typed)
	if err != nil {
		return functionCall{}, err
	}
	return functionCall{typed: typed, node: node, function: c.Args().Get(1), args: c.Args().Slice()[2:]}, nil
}

// parseNodeArg parses arg, a NODE argument of c's command; a bad one is a
// usage error saying what a NODE may be.
func parseNodeArg(c *cli.Context, arg string) (wire.NodeName, error) {
	name, err := wire.ParseNodeName(arg, "")
	if err != nil {
		return wire.NodeName{}, &usageError{
			msg:   fmt.Sprintf("%s: %v", c.Command.Name, err),
			usage: commandUsage(c, nodeFormat+"."),
		}
	}
	return name, nil
}
