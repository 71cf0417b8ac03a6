package main

import (
	"fmt"
	"strings"
)

// writeTables writes the comparison tables and the targets.
func writeTables(b *strings.Builder, r results) {
	us := 1e3
	b.WriteString("## Round trip, node to node (µs)\n\n| path | p50 | p90 | p99 | max |\n| --- | --- | --- | --- | --- |\n")
	for _, row := range []struct{ name, key string }{
		{"chatd echo", "chatd rtt echo"},
		{"chatd receive_message (sink to a file)", "chatd rtt receive_message"},
		{"BEAM no-op", "beam rtt noop"},
		{"BEAM IO.puts", "beam rtt puts"},
		{"TCP 1-byte ping-pong (floor)", "floor"},
	} {
		fmt.Fprintf(b, "| %s |", row.name)
		for i := range 4 {
			s, ok := r.get(row.key, i)
			fmt.Fprintf(b, " %s |", cell(s, ok, us, ""))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## Throughput (round trips/s)\n\n| path | 1 caller | 8 callers | 64 callers |\n| --- | --- | --- | --- |\n")
	for _, row := range []struct{ name, key string }{
		{"chatd echo", "chatd tput echo"},
		{"chatd receive_message", "chatd tput receive_message"},
		{"BEAM no-op", "beam tput noop"},
		{"BEAM IO.puts", "beam tput puts"},
	} {
		fmt.Fprintf(b, "| %s |", row.name)
		for _, c := range []string{"1", "8", "64"} {
			s, ok := r.get(row.key+" "+c, 0)
			fmt.Fprintf(b, " %s |", cell(s, ok, 1, ""))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## Through the CLI, and scale\n\n| measurement | chatd | BEAM |\n| --- | --- | --- |\n")
	row := func(name, key string, field int, scale float64, unit, beamKey string, beamField int) {
		s, ok := r.get(key, field)
		bs, bok := r.get(beamKey, beamField)
		fmt.Fprintf(b, "| %s | %s | %s |\n", name, cell(s, ok, scale, unit), cell(bs, bok, scale, unit))
	}
	row("`chatctl send kate@localhost hi`, p50", "chatd cli chatctl_send", 0, 1e6, "ms", "", 0)
	row("`POST /v1/send`, kept-alive connection, p50", "chatd cli api_send", 0, 1e3, "µs", "", 0)
	row("idle node RSS", "chatd idle", 1, 1<<20, "MiB", "beam beam_idle", 1)
	row("start-up to ready", "chatd idle", 0, 1e6, "ms", "beam beam_idle", 0)
	row("50-node mesh formed", "chatd mesh 50", 0, 1, "s", "", 0)
	row("100-node mesh formed", "chatd mesh 100", 0, 1, "s", "", 0)
	row("RSS per node, 100-node mesh", "chatd mesh 100", 1, 1<<20, "MiB", "", 0)
	row("memory per idle link, 100-node mesh", "chatd mesh 100", 2, 1<<10, "KiB", "", 0)
	row("memory per in-flight task (RSS; noisy), 10,000 tasks", "chatd tasks10k 10000", 0, 1<<10, "KiB", "", 0)
	row("memory per in-flight task (live Go heap + stacks, after a GC), 10,000 tasks", "chatd tasks10k 10000", 1, 1<<10, "KiB", "", 0)
	writeTargets(b, r)
}

func cell(s stat, ok bool, scale float64, unit string) string {
	if !ok {
		return "–"
	}
	return strings.TrimSpace(s.fmt(scale, unit))
}

// writeTargets compares the medians with the targets of the benchmark issue.
func writeTargets(b *strings.Builder, r results) {
	b.WriteString("\n## Targets\n\n| target | measured | met |\n| --- | --- | --- |\n")
	ratio := func(name string, aKey string, af int, bKey string, bf int, limit float64, atMost bool) {
		a, aok := r.get(aKey, af)
		c, cok := r.get(bKey, bf)
		if !aok || !cok || c.med == 0 {
			fmt.Fprintf(b, "| %s | – | – |\n", name)
			return
		}
		v := a.med / c.med
		fmt.Fprintf(b, "| %s | %.2f× | %s |\n", name, v, yes(atMost && v <= limit || !atMost && v >= limit))
	}
	abs := func(name, key string, f int, scale float64, unit string, limit float64) {
		a, ok := r.get(key, f)
		if !ok {
			fmt.Fprintf(b, "| %s | – | – |\n", name)
			return
		}
		fmt.Fprintf(b, "| %s | %.3g %s | %s |\n", name, a.med/scale, unit, yes(a.med/scale <= limit))
	}
	ratio("p50 echo ≤ 0.5 × BEAM no-op", "chatd rtt echo", 0, "beam rtt noop", 0, 0.5, true)
	ratio("p50 echo ≤ 1.5 × TCP floor", "chatd rtt echo", 0, "floor", 0, 1.5, true)
	ratio("64 callers, echo ≥ 3 × BEAM no-op", "chatd tput echo 64", 0, "beam tput noop 64", 0, 3, false)
	ratio("64 callers, chat ≥ 3 × BEAM IO.puts", "chatd tput receive_message 64", 0, "beam tput puts 64", 0, 3, false)
	abs("idle node ≤ 15 MB RSS", "chatd idle", 1, 1e6, "MB", 15)
	abs("exec to READY ≤ 50 ms", "chatd idle", 0, 1e6, "ms", 50)
	abs("`chatctl send` p50 ≤ 10 ms", "chatd cli chatctl_send", 0, 1e6, "ms", 10)
	abs("100-node mesh ≤ 10 s", "chatd mesh 100", 0, 1, "s", 10)
	abs("memory per idle link ≤ 100 KB", "chatd mesh 100", 2, 1e3, "KB", 100)
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
