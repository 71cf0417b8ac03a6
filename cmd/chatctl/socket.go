package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/cmd/internal/cmdline"
	"chatd/paths"
	"chatd/wire"
)

// probeTimeout bounds the connect that tells a live control socket from a
// stale one left by a daemon that died.
const probeTimeout = 250 * time.Millisecond

// nodeEnv names the variable that selects the node when --node is absent.
const nodeEnv = "CHATCTL_NODE"

// selection holds what decides which local daemon chatctl talks to.
type selection struct {
	socket string // --socket: wins over everything
	node   string // --node, else $CHATCTL_NODE
	source string // where node came from, for messages: "--node" or "CHATCTL_NODE"
	root   string // the runtime root holding <name>/control.sock
	target string // the name part of the command's target node; never chosen by discovery
	// command names the command for messages ("send").
	command string
	// anyNode says any running node will do (functions: the builtins are
	// the same on every node): discovery picks the first of several.
	anyNode bool
}

// newSelection reads the global flags of c and the environment.
func newSelection(c *cli.Context, getenv paths.Getenv, uid int, target string) selection {
	s := selection{
		socket:  c.String("socket"),
		node:    c.String("node"),
		source:  "--node",
		root:    paths.ClientRuntimeRoot(getenv, uid),
		target:  target,
		command: c.Command.Name,
	}
	if s.node == "" {
		s.node, s.source = getenv(nodeEnv), nodeEnv
	}
	return s
}

// selected is newSelection from the process's environment and user.
func selected(c *cli.Context, target string) selection {
	return newSelection(c, os.Getenv, os.Getuid(), target)
}

// resolve returns the control socket to use: --socket; else the socket of
// --node or $CHATCTL_NODE; else the one live local node other than the
// target.
func (s selection) resolve(ctx context.Context) (string, error) {
	if s.socket != "" {
		return s.socket, nil
	}
	if s.node != "" {
		return s.named(ctx)
	}
	return s.discover(ctx)
}

// who names the daemon at sock, which s chose, for messages: the node's
// name, or with --socket the socket.
func (s selection) who(sock string) string {
	if s.socket != "" {
		return "chatd at " + sock
	}
	return filepath.Base(filepath.Dir(sock)) // <root>/<name>/control.sock
}

// named returns the control socket of the node --node or $CHATCTL_NODE
// names. One with no socket is a *notRunningError naming the nodes that
// do run; a host part that is not the node's is a usage error, since
// chatctl reaches only this machine's nodes.
func (s selection) named(ctx context.Context) (string, error) {
	n, err := wire.ParseNodeName(s.node, "")
	if err != nil {
		return "", &usageError{
			msg:   fmt.Sprintf("%s %q: %v", s.source, s.node, err),
			usage: "usage: " + globalUsage + " COMMAND [ARGS...]\n" + strings.Replace(nodeFormat, "NODE", "N", 1) + ".",
		}
	}
	sock := paths.SocketPath(s.root, n.Name)
	if _, err := os.Stat(sock); errors.Is(err, fs.ErrNotExist) {
		probes, _ := probeRoot(ctx, s.root)
		return "", &notRunningError{source: s.source, node: s.node, name: n.Name, root: s.root, probes: probes}
	}
	if strings.Contains(s.node, "@") {
		if err := checkHost(ctx, sock, n, s.source); err != nil {
			return "", err
		}
	}
	return sock, nil
}

// checkHost fails with a usage error when the node answering on sock is
// not n: a --node alex@otherhost would otherwise talk to alex@localhost.
// When it does not answer, the command's own request says so.
func checkHost(ctx context.Context, sock string, n wire.NodeName, source string) error {
	cl := client.New(sock)
	defer cl.CloseIdleConnections()
	st, err := cl.Status(ctx)
	if err != nil || st.Node == n.String() {
		return nil
	}
	return &usageError{
		msg: fmt.Sprintf("%s %s: the local node %s is %s; chatctl reaches only the nodes of this machine, through their control sockets",
			source, n, n.Name, st.Node),
		usage: fmt.Sprintf("use --node %s, or run chatctl on %s", n.Name, n.Host),
	}
}

// notRunningError is a node named with --node or $CHATCTL_NODE that has no
// control socket. It maps to exitUnreachable.
type notRunningError struct {
	source, node string  // the flag or variable, and its value
	name         string  // the node's name part
	root         string  // the runtime root
	probes       []probe // the sockets found under root
}

func (e *notRunningError) Error() string {
	var running []string
	for _, p := range e.probes {
		if p.err == nil {
			running = append(running, p.name)
		}
	}
	msg := fmt.Sprintf("%s %s: no node %s is running under %s (no %s)", e.source, e.node, e.name, e.root, paths.SocketPath(e.root, e.name))
	if len(running) == 0 {
		return msg + fmt.Sprintf("; no node is running there: start it with `chatd --name %s` or `systemctl start chatd@%s`"+
			" (CHATD_RUNTIME_DIR sets the runtime root)", e.name, e.name)
	}
	msg += "; running: " + strings.Join(running, ", ")
	if s := cmdline.Suggest(e.name, running); s != "" {
		msg += fmt.Sprintf("; did you mean %s?", s)
	}
	return msg
}

// probe is one <root>/<name>/control.sock that exists, and whether it
// accepted a connection (err nil).
type probe struct {
	name   string
	socket string
	err    error
}

// discover returns the control socket of the one live node under the root
// other than the target (with anyNode, the first of several). None is a
// *noNodeError, or a usage error when the target is the only one running
// (speaking as the target needs --node); several is a usage error listing
// them, since --node must pick one.
func (s selection) discover(ctx context.Context) (string, error) {
	root := s.root
	probes, err := probeRoot(ctx, root)
	if err != nil {
		return "", &noNodeError{root: root, rootErr: err}
	}
	var live []probe
	targetLive := false
	for _, p := range probes {
		switch {
		case p.err != nil:
		case p.name == s.target:
			targetLive = true
		default:
			live = append(live, p)
		}
	}
	switch {
	case len(live) == 0 && targetLive:
		return "", &usageError{
			msg: fmt.Sprintf("%s: %s is the only running chatd node, and it is the command's target; chatctl speaks as"+
				" a node other than the target unless told otherwise", s.command, s.target),
			usage: fmt.Sprintf("to speak as %s itself, pass --node %s (chatctl --node %s %s ...), or start another node",
				s.target, s.target, s.target, s.command),
		}
	case len(live) == 0:
		return "", &noNodeError{root: root, probes: probes}
	case len(live) == 1 || s.anyNode:
		return live[0].socket, nil
	}
	names := make([]string, len(live))
	for i, p := range live {
		names[i] = p.name
	}
	return "", &usageError{
		msg: fmt.Sprintf("several chatd nodes are running under %s: %s", root, strings.Join(names, ", ")),
		usage: fmt.Sprintf("choose one with --node NAME (e.g. chatctl --node %s ...) or set %s",
			names[0], nodeEnv),
	}
}

// probeRoot connects to <root>/<name>/control.sock for every sub-directory
// whose name is a valid node name, in name order.
func probeRoot(ctx context.Context, root string) ([]probe, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var probes []probe
	for _, e := range entries { // ReadDir sorts by name
		if wire.ValidateName(e.Name()) != nil {
			continue
		}
		sock := paths.SocketPath(root, e.Name())
		fi, err := os.Stat(sock)
		if err != nil || fi.Mode().Type() != os.ModeSocket {
			continue // not a node's runtime directory, or one without a socket
		}
		probes = append(probes, probe{name: e.Name(), socket: sock, err: dialProbe(ctx, sock)})
	}
	return probes, nil
}

// dialProbe reports whether something accepts connections on sock.
func dialProbe(ctx context.Context, sock string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return err
	}
	return conn.Close()
}

// noNodeError means discovery found no local node to speak as. It maps to
// exitUnreachable.
type noNodeError struct {
	root    string
	rootErr error   // reading root failed
	probes  []probe // the sockets found under root
}

func (e *noNodeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "no running chatd node found under %s", e.root)
	switch {
	case errors.Is(e.rootErr, fs.ErrNotExist):
		b.WriteString(" (the directory does not exist)")
	case e.rootErr != nil:
		fmt.Fprintf(&b, " (%v)", errnoOr(e.rootErr))
	case len(e.probes) == 0:
		fmt.Fprintf(&b, " (no %s exists)", paths.SocketPath(e.root, "*"))
	default:
		var tried []string
		for _, p := range e.probes {
			tried = append(tried, fmt.Sprintf("%s: %s", p.socket, errnoOr(p.err)))
		}
		fmt.Fprintf(&b, " (tried %s)", strings.Join(tried, "; "))
	}
	for _, p := range e.probes {
		if errors.Is(p.err, syscall.EACCES) {
			b.WriteString("; permission denied: join the group that owns the socket (chatd) or run as the daemon's user")
			break
		}
	}
	b.WriteString("; start a node with `chatd --name NAME` or `systemctl start chatd@NAME`," +
		" or pass --socket PATH (CHATD_RUNTIME_DIR sets the runtime root)")
	return b.String()
}

// errnoOr returns the errno inside err when there is one ("connection
// refused" reads better than a net.OpError repeating the path), else err.
func errnoOr(err error) error {
	if errno, ok := errors.AsType[syscall.Errno](err); ok {
		return errno
	}
	return err
}

// withClient runs fn with a client for the selected daemon, under a context
// bounded by the global --timeout. target is the name part of the command's
// target node ("" when it has none); discovery never picks it.
func withClient(c *cli.Context, target string, fn func(context.Context, *client.Client) error) error {
	timeout := globalTimeout(c)
	return withDeadline(c, target, timeout, globalLimit(timeout), fn)
}

// globalLimit names the global --timeout in errors.
func globalLimit(timeout time.Duration) string { return "chatctl --timeout " + timeout.String() }

// withAnyNode is withClient for a command any running node can answer.
func withAnyNode(c *cli.Context, fn func(context.Context, *client.Client) error) error {
	sel := selected(c, "")
	sel.anyNode = true
	timeout := globalTimeout(c)
	return withSelection(c, sel, timeout, globalLimit(timeout), fn)
}

// withDeadline is withClient under a bound of the command's own choosing:
// timeout, which limit describes in the error when it passes first.
func withDeadline(c *cli.Context, target string, timeout time.Duration, limit string, fn func(context.Context, *client.Client) error) error {
	return withSelection(c, selected(c, target), timeout, limit, fn)
}

// withSelection is withDeadline with the daemon chosen by sel.
func withSelection(c *cli.Context, sel selection, timeout time.Duration, limit string, fn func(context.Context, *client.Client) error) error {
	ctx, cancel := context.WithTimeout(c.Context, timeout)
	defer cancel()

	sock, err := sel.resolve(ctx)
	if err != nil {
		return err
	}
	cl := newClient(c, sock)
	defer cl.CloseIdleConnections()
	return inUserTerms(ctx, c.Command.Name, sock, sel.who(sock), timeout, limit, fn(ctx, cl))
}

// globalTimeout returns the global --timeout. It reads it from chatctl's
// own flags because a command flag of the same name (call's --timeout, the
// await timeout) shadows the global one in c.
func globalTimeout(c *cli.Context) time.Duration {
	lineage := c.Lineage()
	for i := len(lineage) - 1; i >= 0; i-- {
		if lineage[i].Command != nil { // the outermost command is the app's root
			return lineage[i].Duration("timeout")
		}
	}
	return c.Duration("timeout")
}

// newClient returns a client for sock that warns once on stderr when the
// daemon's version differs from chatctl's.
func newClient(c *cli.Context, sock string) *client.Client {
	cl := client.New(sock)
	cl.WarnOnVersionMismatch(version, func(daemon string) {
		fmt.Fprintf(c.App.ErrWriter, "chatctl: warning: chatctl %s is talking to chatd %s at %s; use matching versions\n", version, daemon, sock)
	})
	return cl
}
