package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"chatd/wire"
)

// Output rules: results go to the app's Writer (stdout), errors to its
// ErrWriter (stderr) through report, never the other way round. With --json
// a command prints the daemon's response type from package wire, indented,
// as its whole stdout; the exit status is the same as without --json.

// jsonOutput reports whether --json was given.
func jsonOutput(c *cli.Context) bool { return c.Bool("json") }

// printJSON writes v as indented JSON and a newline.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// printLine writes one line of human output.
func printLine(w io.Writer, format string, args ...any) error {
	if _, err := fmt.Fprintf(w, format+"\n", args...); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// age formats how long before now t was, to the second, as "3m12s"; a t in
// the future (clock skew) is "0s".
func age(now, t time.Time) string {
	d := now.Sub(t)
	if d < 0 {
		d = 0
	}
	return d.Truncate(time.Second).String()
}

// printStatus writes the human form of a status: one "key  value" line each.
func printStatus(w io.Writer, st wire.StatusResponse, now time.Time) error {
	mapper := "external"
	if st.MapperLocal {
		mapper = "embedded"
	}
	rows := []struct{ key, value string }{
		{"node", st.Node},
		{"version", st.Version},
		{"protocol", strconv.Itoa(st.Protocol)},
		{"pid", strconv.Itoa(st.PID)},
		{"env", st.Environment},
		{"uptime", age(now, st.Started)},
		{"listen", st.Listen},
		{"mapper", fmt.Sprintf("127.0.0.1:%d (%s)", st.MapperPort, mapper)},
		{"links", strconv.Itoa(st.Links)},
	}
	for _, r := range rows {
		if err := printLine(w, "%-9s %s", r.key, r.value); err != nil {
			return err
		}
	}
	return nil
}

// printNodes writes the links as a table, NODE ADDRESS DIRECTION SINCE; with
// no links, the header alone.
func printNodes(w io.Writer, nodes wire.NodesResponse, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tADDRESS\tDIRECTION\tSINCE")
	for _, l := range nodes.Links {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.Node, l.Address, l.Direction, age(now, l.Since))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
