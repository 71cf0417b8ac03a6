package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// results holds every repeat of every measurement: key → samples. A key
// is a result line's leading words, e.g. "chatd rtt echo" or "beam tput
// noop 64"; a line "repeat N" says which repeat the lines after it belong
// to, so that two measurements of the same repeat can be compared.
type results map[string][]sample

// sample is one result line's numbers and its repeat.
type sample struct {
	rep  int
	nums []float64
}

// readResults parses "SYSTEM KIND ... numbers" lines; the words before the
// first number form the key.
func readResults(r io.Reader) (results, error) {
	res := results{}
	rep := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "repeat" {
			n, err := strconv.Atoi(f[1])
			if err != nil {
				return nil, fmt.Errorf("line %q: %w", sc.Text(), err)
			}
			rep = n
			continue
		}
		i := 0
		for i < len(f) {
			if _, err := strconv.ParseFloat(f[i], 64); err == nil && !isConcurrency(f, i) {
				break
			}
			i++
		}
		if i == 0 || i == len(f) {
			continue
		}
		var nums []float64
		for _, s := range f[i:] {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("line %q: %w", sc.Text(), err)
			}
			nums = append(nums, v)
		}
		key := strings.Join(f[:i], " ")
		res[key] = append(res[key], sample{rep: rep, nums: nums})
	}
	return res, sc.Err()
}

// isConcurrency tells a number that belongs to the key from the first
// measurement: the concurrency of "chatd tput echo 64 35000", the node
// count of "mesh 50 1.5 ...", the task count of "tasks10k 10000 7100 2800".
func isConcurrency(f []string, i int) bool {
	if i+1 >= len(f) {
		return false
	}
	switch {
	case i >= 2 && f[i-2] == "tput":
		return true
	case i >= 1 && (f[i-1] == "mesh" || f[i-1] == "tasks10k"):
		return true
	}
	return false
}

// stat is the median and range of a figure over the repeats.
type stat struct{ med, lo, hi float64 }

func statOf(vs []float64) (stat, bool) {
	if len(vs) == 0 {
		return stat{}, false
	}
	sort.Float64s(vs)
	med := vs[len(vs)/2]
	if len(vs)%2 == 0 {
		med = (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2
	}
	return stat{med: med, lo: vs[0], hi: vs[len(vs)-1]}, true
}

// get is one field of key over the repeats.
func (r results) get(key string, field int) (stat, bool) {
	var vs []float64
	for _, s := range r[key] {
		if field < len(s.nums) {
			vs = append(vs, s.nums[field])
		}
	}
	return statOf(vs)
}

// figure names one field of a measurement.
type figure struct {
	key   string
	field int
}

// perRepeat computes f of the figures within each repeat that has all of
// them, and returns the median and range of those values: a same-run
// comparison that a noisy minute can only move on both sides at once.
func (r results) perRepeat(f func(vals []float64) float64, figs ...figure) (stat, bool) {
	byRep := map[int][]float64{}
	for i, fg := range figs {
		for _, s := range r[fg.key] {
			if fg.field >= len(s.nums) {
				continue
			}
			vals, ok := byRep[s.rep]
			if !ok {
				vals = make([]float64, len(figs))
				for j := range vals {
					vals[j] = math.NaN()
				}
				byRep[s.rep] = vals
			}
			vals[i] = s.nums[fg.field]
		}
	}
	var out []float64
	for _, vals := range byRep {
		if !slices.ContainsFunc(vals, math.IsNaN) {
			out = append(out, f(vals))
		}
	}
	return statOf(out)
}

func (s stat) fmt(scale float64, unit string) string {
	v := num(s.med / scale)
	if unit != "" {
		v += " " + unit
	}
	if s.lo == s.hi {
		return v
	}
	return fmt.Sprintf("%s (%s–%s)", v, num(s.lo/scale), num(s.hi/scale))
}

// num prints v with about three significant digits, never in e-notation.
func num(v float64) string {
	if v >= 100 || v <= -100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// runReport turns a results file into the comparison table, on stdout and
// in docs/BENCHMARKS.md with the machine and how to reproduce.
func runReport(args []string) error {
	fs := newFlags("report")
	in := fs.String("in", "", "the results file")
	out := fs.String("out", "docs/BENCHMARKS.md", "the markdown file to write")
	machine := fs.String("machine", "", "a file describing the machine and versions")
	micro := fs.String("micro", "", "benchstat's summary of the Go micro benchmarks")
	findings := fs.String("findings", "docs/PERFORMANCE.md", "the profile findings (kept by hand) to copy in; \"\": none")
	_ = fs.Parse(args)
	found, err := findingsSection(*findings)
	if err != nil {
		return err
	}
	f, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := readResults(f)
	if err != nil {
		return err
	}
	var b strings.Builder
	writeTables(&b, res)
	fmt.Print(b.String())
	var m []byte
	if *machine != "" {
		if m, err = os.ReadFile(*machine); err != nil {
			return err
		}
	}
	var mb []byte
	if *micro != "" {
		mb, _ = os.ReadFile(*micro) // optional: benchstat may be unavailable
	}
	doc := "# Benchmarks\n\nWritten by `make bench` on " + time.Now().UTC().Format("2006-01-02 15:04 MST") +
		". Each figure is the median of the repeats, with the range in brackets. Where the time goes\n" +
		"per call, what was removed and what bounds the mesh: [Where the time goes](#where-the-time-goes),\n" +
		"after the targets (kept by hand in [PERFORMANCE.md](PERFORMANCE.md); `make profile` reproduces its counts).\n\n" +
		"## Machine and versions\n\n```\n" + string(m) + "```\n\n" + b.String() + "\n" + found +
		"\n## Go micro benchmarks (benchstat)\n\n```\n" + string(mb) + "```\n" + reproduce
	return os.WriteFile(*out, []byte(doc), 0o644)
}

const reproduce = `
## How it is measured, and how to reproduce

` + "```sh\nmake bench        # installs erlang and elixir with apt-get when missing; about 13 minutes\n```" + `

The run builds chatd and starts, on one port mapper (chatd's embedded one, which the BEAM nodes
use too) and with one cookie: kate, a chatd process whose message sink is a file; alex, a chatd
process whose control socket the API measurements use; and beamkate, a BEAM node running the
lesson's Chat (tests/bench/beam/chat.exs: ` + "`Chat.TaskSupervisor`" + `, ` + "`Chat.receive_message/1`" + ` doing
IO.puts to a file, ` + "`Chat.noop/1`" + `, and ` + "`:chatd.echo/1`" + ` as chatd names its echo builtin to BEAM
nodes). Then every repeat runs, in an order that rotates from one repeat to the next:

- calls: a chatd node embedded in ` + "`chatbench`" + ` (tests/bench/chatbench) calls kate (echo,
  receive_message) and beamkate (receive_message as the lesson's task on its
  ` + "`Chat.TaskSupervisor`" + `, and an erpc call of ` + "`:chatd.echo`" + `);
- beam: an Elixir node calls beamkate and kate the way the lesson does,
  ` + "`Task.Supervisor.async({Chat.TaskSupervisor, node}, Chat, …) |> Task.await()`" + `, and with
  ` + "`:erpc.call(node, :chatd, :echo, [\"x\"])`" + ` (tests/bench/beam/bench.exs);
- floor: a 1-byte ping-pong with a child process over one loopback TCP connection, and over
  one yamux stream (hashicorp/yamux, default configuration, over loopback TCP; one stream per
  caller for the rate);
- api: ` + "`POST /v1/call`" + ` (echo on kate) and ` + "`POST /v1/send`" + ` (to kate) on alex's control socket, and
  the same requests to a trivial Go HTTP server on a Unix socket (a child process), all with one
  net/http client keeping a connection alive per client; then ` + "`chatctl send`" + `, process start
  included;
- idle: five starts each of chatd, of the baseline chatd (as it was when issue 13 began, built
  from git; ` + "`BENCH_BASELINE`" + `) and of an Erlang node, timed to READY=1 (chatd) or to its first
  line (erl), and their RSS a second later.

Round trips are sequential calls after a warm-up; rates count the calls that callers, each
waiting for its answer before the next, complete in a fixed time. Scale (meshes of 50, 100 and 200
chatd nodes and one of 100 baseline nodes, 10,000 in-flight tasks) runs after the repeats, on a
mapper of its own. Raw results:
` + "`bin/bench/results.txt`" + `; Go micro benchmarks: ` + "`bin/bench/micro.txt`" + ` (compare runs with
benchstat).
`
