package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"chatd/client"
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
}

// newSelection reads the global flags of c and the environment.
func newSelection(c *cli.Context, getenv paths.Getenv, uid int, target string) selection {
	s := selection{
		socket: c.String("socket"),
		node:   c.String("node"),
		source: "--node",
		root:   paths.ClientRuntimeRoot(getenv, uid),
		target: target,
	}
	if s.node == "" {
		s.node, s.source = getenv(nodeEnv), nodeEnv
	}
	return s
}

// resolve returns the control socket to use: --socket; else the socket of
// --node or $CHATCTL_NODE; else the one live local node other than the
// target.
func (s selection) resolve(ctx context.Context) (string, error) {
	if s.socket != "" {
		return s.socket, nil
	}
	if s.node != "" {
		n, err := wire.ParseNodeName(s.node, "")
		if err != nil {
			return "", &usageError{
				msg:   fmt.Sprintf("%s %q: %v", s.source, s.node, err),
				usage: "usage: " + globalUsage + " COMMAND [ARGS...]\n" + strings.Replace(nodeFormat, "NODE", "N", 1) + ".",
			}
		}
		return paths.SocketPath(s.root, n.Name), nil
	}
	return discover(ctx, s.root, s.target)
}

// probe is one <root>/<name>/control.sock that exists, and whether it
// accepted a connection (err nil).
type probe struct {
	name   string
	socket string
	err    error
}

// discover returns the control socket of the one live node under root other
// than exclude. None is a *noNodeError; several is a usage error listing
// them, since --node must pick one.
func discover(ctx context.Context, root, exclude string) (string, error) {
	probes, err := probeRoot(ctx, root)
	if err != nil {
		return "", &noNodeError{root: root, rootErr: err}
	}
	var live []probe
	for _, p := range probes {
		if p.err == nil && p.name != exclude {
			live = append(live, p)
		}
	}
	switch len(live) {
	case 0:
		return "", &noNodeError{root: root, probes: probes, target: exclude}
	case 1:
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
	target  string  // the name excluded as the command's target
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
			status := "running, but it is the command's target"
			if p.err != nil {
				status = errnoOr(p.err).Error()
			}
			tried = append(tried, fmt.Sprintf("%s: %s", p.socket, status))
		}
		fmt.Fprintf(&b, " (tried %s)", strings.Join(tried, "; "))
	}
	for _, p := range e.probes {
		if p.err == nil && p.name == e.target {
			fmt.Fprintf(&b, "; to speak as %s itself pass --node %s", p.name, p.name)
		}
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
	return withDeadline(c, target, timeout, "--timeout "+timeout.String(), fn)
}

// withDeadline is withClient under a bound of the command's own choosing:
// timeout, which limit describes in the error when it passes first.
func withDeadline(c *cli.Context, target string, timeout time.Duration, limit string, fn func(context.Context, *client.Client) error) error {
	ctx, cancel := context.WithTimeout(c.Context, timeout)
	defer cancel()

	sock, err := newSelection(c, os.Getenv, os.Getuid(), target).resolve(ctx)
	if err != nil {
		return err
	}
	cl := newClient(c, sock)
	defer cl.CloseIdleConnections()
	err = fn(ctx, cl)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		return fmt.Errorf("%s: no answer within %s: %w", c.Command.Name, limit, err)
	}
	return err
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
