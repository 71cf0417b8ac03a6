package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/urfave/cli/v2"

	"chatd/client"
	"chatd/wire"
)

// Output rules: results go to the app's Writer (stdout), errors to its
// ErrWriter (stderr) through report, never the other way round. With --json
// a command prints the daemon's response type from package wire, indented,
// as its whole stdout; the exit status is the same as without --json. A
// follow or watch with --json prints NDJSON instead: each streamed wire
// value compact on a line of its own, as the daemon sends them.
//
// Text that came from another node (message text, task arguments) is
// printed as is unless it holds control characters (a newline, a tab, a
// terminal escape); then it is printed Go-quoted, so that one record stays
// one line and cannot drive the operator's terminal.

// jsonOutput reports whether --json was given.
func jsonOutput(c *cli.Context) bool { return c.Bool("json") }

// printJSON writes v as indented JSON and a newline. Like the daemon's
// answers, it leaves <, > and & as they are ("<kate@localhost.42.7>").
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// printJSONLine writes v as compact JSON on one line: one NDJSON record.
func printJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
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

// millis formats a duration given in milliseconds for people: below a
// second to a tenth of a millisecond ("0.4ms", "1.2ms", "250ms"), from a
// second up to the millisecond ("3.004s", "1m2.5s"); what would round to
// 0ms in microseconds ("30µs"). A negative one is "0ms".
func millis(ms float64) string {
	if ms <= 0 || math.IsNaN(ms) {
		return "0ms"
	}
	tenths := math.Round(ms * 10)
	if tenths == 0 {
		return strconv.FormatFloat(math.Round(ms*1000), 'f', -1, 64) + "µs"
	}
	if tenths < 10000 {
		return strconv.FormatFloat(tenths/10, 'f', -1, 64) + "ms"
	}
	return time.Duration(ms * float64(time.Millisecond)).Round(time.Millisecond).String()
}

// since is millis for the time from t to now.
func since(now, t time.Time) string {
	return millis(float64(now.Sub(t)) / float64(time.Millisecond))
}

// printable returns s as is when it holds no control characters, else
// Go-quoted; see the output rules above.
func printable(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// orDash returns s, or "-" when s is empty, for a table cell.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
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

// printNodes writes the links as a table, NODE PROTOCOL ADDRESS DIRECTION
// TLS SINCE; with no links, the header alone.
func printNodes(w io.Writer, nodes wire.NodesResponse, now time.Time) error {
	return printTable(w, "NODE PROTOCOL ADDRESS DIRECTION TLS SINCE", nodes.Links, func(l wire.LinkInfo) []string {
		proto := l.Protocol
		if proto == "" {
			proto = "chatd" // a daemon older than the field
		}
		return []string{l.Node, proto, l.Address, l.Direction, choose(l.TLS, "yes", "no"), age(now, l.Since)}
	})
}

// printAnswer returns err, the failure of the request resp answers; else
// it prints resp as JSON with --json, or as human writes it.
func printAnswer[T any](c *cli.Context, resp T, err error, human func(io.Writer, T) error) error {
	if err != nil {
		return err
	}
	if jsonOutput(c) {
		return printJSON(c.App.Writer, resp)
	}
	return human(c.App.Writer, resp)
}

// ask sends request to the selected daemon (see withClient; target is
// the command's target node's name, or "") and prints the answer (see
// printAnswer).
func ask[T any](c *cli.Context, target string, request func(*client.Client, context.Context) (T, error), human func(io.Writer, T) error) error {
	return withClient(c, target, func(ctx context.Context, cl *client.Client) error {
		resp, err := request(cl, ctx)
		return printAnswer(c, resp, err, human)
	})
}

// queryAction is the action of a command without arguments that asks the
// selected daemon one thing and prints the answer.
func queryAction[T any](request func(*client.Client, context.Context) (T, error), human func(io.Writer, T) error) cli.ActionFunc {
	return noArgs(func(c *cli.Context) error { return ask(c, "", request, human) })
}

// asOfNow turns a printer of state as of a time into one of the state now.
func asOfNow[T any](print func(io.Writer, T, time.Time) error) func(io.Writer, T) error {
	return func(w io.Writer, v T) error { return print(w, v, time.Now()) }
}

// linkAction is the action of a command about its NODE argument: it sends
// request, then prints the response as JSON with --json, else the line
// human makes of it.
func linkAction[T any](request func(*client.Client, context.Context, string) (T, error), human func(T) string) cli.ActionFunc {
	return func(c *cli.Context) error {
		arg, target, err := nodeArg(c)
		if err != nil {
			return err
		}
		send := func(cl *client.Client, ctx context.Context) (T, error) { return request(cl, ctx, arg) }
		return ask(c, target.Name, send, lineOf(human))
	}
}

// lineOf turns line, the human form of an answer, into its printer.
func lineOf[T any](line func(T) string) func(io.Writer, T) error {
	return func(w io.Writer, v T) error { return printLine(w, "%s", line(v)) }
}

// choose returns ifTrue when cond holds, else ifFalse: the two wordings of
// an answer.
func choose(cond bool, ifTrue, ifFalse string) string {
	if cond {
		return ifTrue
	}
	return ifFalse
}

// printTable writes items as a table whose columns header names (separated
// by spaces), one row each as row makes it, two spaces between columns;
// with no items, the header alone.
func printTable[T any](w io.Writer, header string, items []T, row func(T) []string) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(strings.Fields(header), "\t"))
	for _, it := range items {
		fmt.Fprintln(tw, strings.Join(row(it), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// printLines writes one line for each of items, as line makes it.
func printLines[T any](w io.Writer, items []T, line func(T) string) error {
	for _, it := range items {
		if err := printLine(w, "%s", line(it)); err != nil {
			return err
		}
	}
	return nil
}
