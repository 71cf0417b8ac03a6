package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// results holds every repeat of every measurement: key → field → values.
// A key is a result line's leading words, e.g. "chatd rtt echo" or
// "beam tput noop 64".
type results map[string][][]float64

// readResults parses "SYSTEM KIND ... numbers" lines; the words before the
// first number form the key.
func readResults(r io.Reader) (results, error) {
	res := results{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
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
		res[key] = append(res[key], nums)
	}
	return res, sc.Err()
}

// isConcurrency tells a number that belongs to the key from the first
// measurement: the concurrency of "tput echo 64 35000", the node count of
// "mesh 50 1.5 ...", the task count of "tasks10k 10000 7100 2800".
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

// stat is the median and range of one field over the repeats.
type stat struct{ med, lo, hi float64 }

func (r results) get(key string, field int) (stat, bool) {
	var vs []float64
	for _, rep := range r[key] {
		if field < len(rep) {
			vs = append(vs, rep[field])
		}
	}
	if len(vs) == 0 {
		return stat{}, false
	}
	sort.Float64s(vs)
	return stat{med: vs[len(vs)/2], lo: vs[0], hi: vs[len(vs)-1]}, true
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
	_ = fs.Parse(args)
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
		". Each figure is the median of the repeats, with the range in brackets.\n\n" +
		"## Machine and versions\n\n```\n" + string(m) + "```\n\n" + b.String() +
		"\n## Go micro benchmarks (benchstat)\n\n```\n" + string(mb) + "```\n" + reproduce
	return os.WriteFile(*out, []byte(doc), 0o644)
}

const reproduce = `
## How to reproduce

` + "```sh\nmake bench        # installs erlang and elixir with apt-get when missing; about 10 minutes\n```" + `

The run builds chatd, starts kate as a chatd process (its message sink to a file) and an
embedded caller node in ` + "`chatbench`" + ` (tests/bench/chatbench), and, the same way, two BEAM
nodes running the lesson's Chat (tests/bench/beam/chat.exs) measured from a third with
` + "`Task.Supervisor.async({Chat.TaskSupervisor, node}, ...) |> Task.await()`" + `
(tests/bench/beam/bench.exs). Every measurement repeats three times in one run on the same
machine; throughput runs last 10 s each. Raw results: ` + "`bin/bench/results.txt`" + `; Go micro
benchmarks: ` + "`bin/bench/micro.txt`" + ` (compare runs with benchstat).
`
