package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/wire"
)

// versionOutput is `chatctl version --json`: chatctl's own version and
// that of each node asked.
type versionOutput struct {
	Client clientVersion `json:"client"`
	Nodes  []nodeVersion `json:"nodes"`
}

// clientVersion is chatctl's build and the control API it speaks.
type clientVersion struct {
	Version string `json:"version"`
	API     string `json:"api"`
}

// nodeVersion is one node's build and link protocol, from GET /v1/status.
type nodeVersion struct {
	Node     string `json:"node"`
	Version  string `json:"version"`
	Protocol int    `json:"protocol"`
}

// versionCommand is `chatctl version`, like `ctr version`: the client's
// version and the daemons'.
func versionCommand() *cli.Command {
	return &cli.Command{
		Name:      "version",
		Usage:     "print chatctl's version and that of the nodes it talks to",
		ArgsUsage: " ",
		Description: "Prints chatctl's version and control API, then the version and link protocol of\n" +
			"the node --node, CHATCTL_NODE or --socket names, or else of every running local\n" +
			"node. With no node running it prints chatctl's part, then the error (exit 3).\n" +
			"--json prints {\"client\":{\"version\",\"api\"},\"nodes\":[{\"node\",\"version\",\"protocol\"}]},\n" +
			"or on a failure the error object alone.\n\n" +
			"Example:\n   $ chatctl version\n" +
			"   Client:\n     Version:   1.4.0\n     API:       v1\n" +
			"   Node alex@localhost:\n     Version:   1.4.0\n     Protocol:  1\n" +
			"   Node kate@localhost:\n     Version:   1.4.0\n     Protocol:  1",
		Action: noArgs(func(c *cli.Context) error {
			timeout := globalTimeout(c)
			ctx, cancel := context.WithTimeout(c.Context, timeout)
			defer cancel()
			out := versionOutput{Client: clientVersion{Version: version, API: wire.APIVersion[1:]}}
			sel := selected(c, "")
			sockets, err := versionSockets(ctx, sel)
			for _, sock := range sockets {
				cl := client.New(sock) // no version warning: the versions are the output
				st, serr := cl.Status(ctx)
				cl.CloseIdleConnections()
				if serr != nil {
					err = inUserTerms(ctx, "version", sock, sel.who(sock), timeout, globalLimit(timeout), serr)
					break
				}
				out.Nodes = append(out.Nodes, nodeVersion{Node: st.Node, Version: st.Version, Protocol: st.Protocol})
			}
			if err != nil && jsonOutput(c) {
				return err // its error object is the whole output
			}
			if perr := printVersions(c, out); perr != nil {
				return perr
			}
			return err
		}),
	}
}

// versionSockets returns the control sockets version asks: the one sel
// names, else every live one under the runtime root.
func versionSockets(ctx context.Context, sel selection) ([]string, error) {
	if sel.socket != "" || sel.node != "" {
		sock, err := sel.resolve(ctx)
		if err != nil {
			return nil, err
		}
		return []string{sock}, nil
	}
	probes, err := probeRoot(ctx, sel.root)
	if err != nil {
		return nil, &noNodeError{root: sel.root, rootErr: err}
	}
	var live []string
	for _, p := range probes {
		if p.err == nil {
			live = append(live, p.socket)
		}
	}
	if len(live) == 0 {
		return nil, &noNodeError{root: sel.root, probes: probes}
	}
	return live, nil
}

// printVersions writes out as JSON with --json, else as ctr version does.
func printVersions(c *cli.Context, out versionOutput) error {
	if jsonOutput(c) {
		return printJSON(c.App.Writer, out)
	}
	w := c.App.Writer
	if _, err := fmt.Fprintf(w, "Client:\n  Version:   %s\n  API:       %s\n", out.Client.Version, out.Client.API); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	for _, n := range out.Nodes {
		if _, err := fmt.Fprintf(w, "Node %s:\n  Version:   %s\n  Protocol:  %d\n", n.Node, n.Version, n.Protocol); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	return nil
}
