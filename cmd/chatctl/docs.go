package main

// chatctl's manual page beyond its commands, and the values its shell
// completion offers.

import (
	"context"
	"os"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/cmd/internal/clidoc"
	"chatd/paths"
)

// manPage is chatctl(1)'s sections after COMMANDS.
func manPage() clidoc.Page {
	return clidoc.Page{Program: "chatctl", Section: 1, Sections: []clidoc.Section{
		{Title: "Exit status", Body: "0 success. 1 the daemon answered but the operation failed (pang, no\n" +
			"connection, a task that failed or timed out, a process that exited abnormally).\n" +
			"2 usage error: the command line was wrong, and nothing was asked of the daemon.\n" +
			"3 no daemon to talk to, or one that refuses this user.\n\n" +
			"With --json a failure also prints the control API's error object on stdout,\n" +
			"{\"error\":...,\"code\":...} on one line; chatctl's own failures have the codes\n" +
			"bad_request (usage), unavailable (unreachable), forbidden and timeout."},
		{Title: "Environment", Body: "CHATCTL_NODE\n   the node to speak as when --node is not given.\n" +
			"CHATD_RUNTIME_DIR\n   the runtime root holding NAME/control.sock; else /run/chatd as root, else\n" +
			"   $XDG_RUNTIME_DIR/chatd.\n" +
			"NO_COLOR\n   set: chatctl chat prints no colours."},
		{Title: "Files", Body: "/run/chatd/NAME/control.sock, $XDG_RUNTIME_DIR/chatd/NAME/control.sock\n" +
			"   the control socket of node NAME (HTTP and JSON; see chatd(8))."},
		{Title: "See also", Body: "chatd(8)"},
	}}
}

// completeValues is what chatctl's completion offers: running node names
// for --node and for a command's NODE or TARGET, the builtin functions for
// call's and spawn's FUNCTION.
func completeValues(cmd *cli.Command, flag string, arg int) []string {
	switch {
	case flag == "node":
		return runningNodes()
	case flag != "" || cmd == nil:
		return nil
	case arg == 0 && slices.Contains([]string{"send", "chat", "spawn", "call", "ping", "connect", "disconnect"}, cmd.Name):
		return runningNodes()
	case arg == 1 && (cmd.Name == "call" || cmd.Name == "spawn"):
		return builtinFunctions()
	}
	return nil
}

// completeTimeout bounds what completion asks of the nodes: a Tab must
// not hang.
const completeTimeout = time.Second

// runningNodes names the local nodes whose control socket answers.
func runningNodes() []string {
	ctx, cancel := context.WithTimeout(context.Background(), completeTimeout)
	defer cancel()
	probes, _ := probeRoot(ctx, paths.ClientRuntimeRoot(os.Getenv, os.Getuid()))
	var names []string
	for _, p := range probes {
		if p.err == nil {
			names = append(names, p.name)
		}
	}
	return names
}

// builtinFunctions asks the first running node for the functions call runs.
func builtinFunctions() []string {
	ctx, cancel := context.WithTimeout(context.Background(), completeTimeout)
	defer cancel()
	nodes := runningNodes()
	if len(nodes) == 0 {
		return nil
	}
	cl := client.New(paths.SocketPath(paths.ClientRuntimeRoot(os.Getenv, os.Getuid()), nodes[0]))
	defer cl.CloseIdleConnections()
	resp, err := cl.Functions(ctx)
	if err != nil {
		return nil
	}
	var names []string
	for _, f := range resp.Functions {
		names = append(names, f.Name)
	}
	return names
}
