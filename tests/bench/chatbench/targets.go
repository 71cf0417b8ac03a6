package main

import (
	"fmt"
	"strings"
)

// Figures the targets compare.
var (
	echoP50     = figure{"chatd rtt echo", 0}
	chatP50     = figure{"chatd rtt receive_message", 0}
	yamuxP50    = figure{"floor rtt yamux", 0}
	beamNoopP50 = figure{"beam rtt noop", 0}
	beamPutsP50 = figure{"beam rtt puts", 0}
	beamErpcP50 = figure{"beam rtt erpc", 0}
	trivialP50  = figure{"api rtt trivial", 0}
	trivial64   = figure{"api tput trivial 64", 0}
	beamPuts64  = figure{"beam tput puts 64", 0}
	beamErpc64  = figure{"beam tput erpc 64", 0}
)

// apiSlack is what the control API may add to a request beyond HTTP's
// and the link's own costs (issue 13).
const apiSlack = 50e3 // ns

// target is one line of the targets table: a ratio of same-repeat
// figures, num / den, that must be at most (or at least) limit.
type target struct {
	name     string
	num, den []figure // summed within a repeat
	denPlus  float64  // added to the sum of den
	limit    float64
	atMost   bool
	shown    bool    // no limit: the ratio is only shown
	scale    float64 // of the figures, for display
	unit     string
}

// writeTargets compares chatd's figures with their references of the same
// repeat (the median of the per-repeat ratios, with their range), and
// the absolute targets with the medians.
func writeTargets(b *strings.Builder, r results) {
	b.WriteString("\n## Targets\n\nRatios are taken within each repeat (chatd's figure over the reference measured in the same\n" +
		"repeat, minutes apart at most) and their median is shown, with the range over the repeats. The\n" +
		"baseline is chatd as it was when issue 13 began (`BENCH_BASELINE`, named under Machine and versions),\n" +
		"built from git and measured in the same run.\n\n" +
		"| target | chatd | reference | ratio | met |\n| --- | --- | --- | --- | --- |\n")
	for _, t := range []target{
		{name: "node-to-node echo p50 ≤ one yamux stream's ping-pong p50", num: []figure{echoP50}, den: []figure{yamuxP50}, limit: 1, atMost: true, scale: 1e3, unit: "µs"},
		{name: "node-to-node echo p50 ≤ 0.5 × BEAM's (no-op task)", num: []figure{echoP50}, den: []figure{beamNoopP50}, limit: 0.5, atMost: true, scale: 1e3, unit: "µs"},
		{name: "64 callers, echo ≥ 5 × BEAM's (no-op task)", num: []figure{{"chatd tput echo 64", 0}}, den: []figure{{"beam tput noop 64", 0}}, limit: 5, scale: 1, unit: "/s"},
		{name: "64 callers: one yamux stream per caller (the floor), over BEAM's no-op task", num: []figure{{"floor tput yamux 64", 0}}, den: []figure{{"beam tput noop 64", 0}}, shown: true, scale: 1, unit: "/s"},
		{name: "64 callers, chat path ≥ 5 × BEAM's (receive_message vs IO.puts task)", num: []figure{{"chatd tput receive_message 64", 0}}, den: []figure{beamPuts64}, limit: 5, scale: 1, unit: "/s"},
		{name: "control API `POST /v1/call`, 64 clients ≥ 0.6 × the trivial HTTP server", num: []figure{{"api tput call 64", 0}}, den: []figure{trivial64}, limit: 0.6, scale: 1, unit: "/s"},
		{name: "64 clients: the API's ceiling over the trivial server's rate when its HTTP work and its link call share the cores, echo / (trivial + echo)", num: []figure{{"chatd tput echo 64", 0}}, den: []figure{trivial64, {"chatd tput echo 64", 0}}, shown: true, scale: 1, unit: "/s"},
		{name: "control API `POST /v1/send`, 64 clients ≥ 0.6 × the trivial HTTP server", num: []figure{{"api tput send 64", 0}}, den: []figure{trivial64}, limit: 0.6, scale: 1, unit: "/s"},
		{name: "`POST /v1/call`, 1 client, p50 ≤ trivial p50 + echo p50 + 50 µs", num: []figure{{"api rtt call", 0}}, den: []figure{trivialP50, echoP50}, denPlus: apiSlack, limit: 1, atMost: true, scale: 1e3, unit: "µs"},
		{name: "`POST /v1/send`, 1 client, p50 ≤ trivial p50 + receive_message p50 + 50 µs", num: []figure{{"api rtt send", 0}}, den: []figure{trivialP50, chatP50}, denPlus: apiSlack, limit: 1, atMost: true, scale: 1e3, unit: "µs"},
		{name: "chatd → BEAM task p50 ≤ BEAM → BEAM's", num: []figure{{"chatd_beam rtt receive_message", 0}}, den: []figure{beamPutsP50}, limit: 1, atMost: true, scale: 1e3, unit: "µs"},
		{name: "chatd → BEAM task, 64 callers ≥ BEAM → BEAM's", num: []figure{{"chatd_beam tput receive_message 64", 0}}, den: []figure{beamPuts64}, limit: 1, scale: 1, unit: "/s"},
		{name: "chatd → BEAM erpc p50 ≤ BEAM → BEAM's", num: []figure{{"chatd_beam rtt erpc", 0}}, den: []figure{beamErpcP50}, limit: 1, atMost: true, scale: 1e3, unit: "µs"},
		{name: "chatd → BEAM erpc, 64 callers ≥ BEAM → BEAM's", num: []figure{{"chatd_beam tput erpc 64", 0}}, den: []figure{beamErpc64}, limit: 1, scale: 1, unit: "/s"},
		{name: "BEAM → chatd task p50 ≤ BEAM → BEAM's", num: []figure{{"beam_chatd rtt puts", 0}}, den: []figure{beamPutsP50}, limit: 1, atMost: true, scale: 1e3, unit: "µs"},
		{name: "BEAM → chatd task, 64 callers ≥ BEAM → BEAM's", num: []figure{{"beam_chatd tput puts 64", 0}}, den: []figure{beamPuts64}, limit: 1, scale: 1, unit: "/s"},
		{name: "BEAM → chatd erpc p50 ≤ BEAM → BEAM's", num: []figure{{"beam_chatd rtt erpc", 0}}, den: []figure{beamErpcP50}, limit: 1, atMost: true, scale: 1e3, unit: "µs"},
		{name: "BEAM → chatd erpc, 64 callers ≥ BEAM → BEAM's", num: []figure{{"beam_chatd tput erpc 64", 0}}, den: []figure{beamErpc64}, limit: 1, scale: 1, unit: "/s"},
	} {
		t.write(b, r)
	}
	for _, a := range []absTarget{
		{name: "`chatctl send` p50 ≤ 5 ms", fig: figure{"chatd cli chatctl_send", 0}, scale: 1e6, unit: "ms", limit: 5},
		{name: "exec to READY ≤ 20 ms", fig: figure{"chatd idle", 0}, scale: 1e6, unit: "ms", limit: 20,
			ref: figure{"beam beam_idle", 0}, refName: "BEAM"},
		{name: "100-node mesh formed ≤ 10 s", fig: figure{"chatd mesh 100", 0}, scale: 1, unit: "s", limit: 10},
		{name: "idle node RSS no worse than at the issue's start", fig: figure{"chatd idle", 1}, scale: 1 << 20, unit: "MiB",
			ref: figure{"baseline idle", 1}, refName: "baseline", ratioAtMost: 1},
		{name: "idle node RSS, BEAM's", fig: figure{"chatd idle", 1}, scale: 1 << 20, unit: "MiB",
			ref: figure{"beam beam_idle", 1}, refName: "BEAM"},
		{name: "memory per idle link, 100-node mesh, no worse than at the issue's start", fig: figure{"chatd mesh 100", 2}, scale: 1 << 10, unit: "KiB",
			ref: figure{"baseline mesh 100", 2}, refName: "baseline", ratioAtMost: 1},
	} {
		a.write(b, r)
	}
}

// absTarget is a line of the targets table for one figure: its median
// against a limit of its own, or its ratio to a reference of the same
// repeat against ratioAtMost (0: none), or only shown.
type absTarget struct {
	name        string
	fig         figure
	scale       float64
	unit        string
	limit       float64 // at most, in units of scale; 0: none
	ref         figure  // key "": none
	refName     string  // what the reference is, e.g. "BEAM"
	ratioAtMost float64
}

func (a absTarget) write(b *strings.Builder, r results) {
	s, ok := r.get(a.fig.key, a.fig.field)
	refCell, ratioCell, met := "–", "–", "figure"
	if rs, rok := r.get(a.ref.key, a.ref.field); rok {
		refCell = a.refName + " " + cell(rs, rok, a.scale, a.unit)
		if q, qok := r.perRepeat(func(v []float64) float64 { return v[0] / v[1] }, a.fig, a.ref); qok {
			ratioCell = ratioText(q)
			if a.ratioAtMost > 0 {
				met = yes(q.med <= a.ratioAtMost)
			}
		}
	}
	if a.limit > 0 && ok {
		met = yes(s.med/a.scale <= a.limit)
	}
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", a.name, cell(s, ok, a.scale, a.unit), refCell, ratioCell, met)
}

// write writes t's line: both sides' medians, the median per-repeat ratio
// and whether it meets the limit.
func (t target) write(b *strings.Builder, r results) {
	figs := append(append([]figure{}, t.num...), t.den...)
	q, ok := r.perRepeat(func(v []float64) float64 { return sum(v[:len(t.num)]) / (sum(v[len(t.num):]) + t.denPlus) }, figs...)
	if !ok {
		fmt.Fprintf(b, "| %s | – | – | – | – |\n", t.name)
		return
	}
	a, _ := r.perRepeat(func(v []float64) float64 { return sum(v) }, t.num...)
	ref, _ := r.perRepeat(func(v []float64) float64 { return sum(v) + t.denPlus }, t.den...)
	met := "figure"
	if !t.shown {
		met = yes(t.atMost && q.med <= t.limit || !t.atMost && q.med >= t.limit)
	}
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", t.name,
		strings.TrimSpace(a.fmt(t.scale, t.unit)), strings.TrimSpace(ref.fmt(t.scale, t.unit)), ratioText(q), met)
}

func ratioText(q stat) string {
	if q.lo == q.hi {
		return fmt.Sprintf("%.2f×", q.med)
	}
	return fmt.Sprintf("%.2f× (%.2f–%.2f)", q.med, q.lo, q.hi)
}

func sum(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}
