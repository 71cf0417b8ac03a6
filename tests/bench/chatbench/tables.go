package main

import (
	"fmt"
	"strings"
)

// row is a table row: its name and the key of its measurement.
type row struct{ name, key string }

// writeTables writes the comparison tables and the targets.
func writeTables(b *strings.Builder, r results) {
	b.WriteString("## Round trip, node to node (µs)\n\n1 caller, sequential calls.\n\n" +
		"| path | p50 | p90 | p99 | max |\n| --- | --- | --- | --- | --- |\n")
	latencyRows(b, r, []row{
		{"chatd echo", "chatd rtt echo"},
		{"chatd receive_message (sink to a file)", "chatd rtt receive_message"},
		{"BEAM no-op task (`Task.Supervisor.async` + `Task.await`)", "beam rtt noop"},
		{"BEAM IO.puts task (the lesson's chat)", "beam rtt puts"},
		{"BEAM `:erpc.call`", "beam rtt erpc"},
		{"one yamux stream, 1-byte ping-pong (floor)", "floor rtt yamux"},
		{"TCP 1-byte ping-pong (floor)", "floor rtt tcp"},
	})
	b.WriteString("\n## Throughput (round trips/s)\n\n| path | 1 caller | 8 callers | 64 callers |\n| --- | --- | --- | --- |\n")
	for _, rw := range []row{
		{"chatd echo", "chatd tput echo"},
		{"chatd receive_message", "chatd tput receive_message"},
		{"BEAM no-op task", "beam tput noop"},
		{"BEAM IO.puts task", "beam tput puts"},
		{"BEAM `:erpc.call`", "beam tput erpc"},
		{"yamux streams, 1-byte ping-pong (floor; one stream per caller)", "floor tput yamux"},
	} {
		fmt.Fprintf(b, "| %s |", rw.name)
		for _, c := range []string{"1", "8", "64"} {
			s, ok := r.get(rw.key+" "+c, 0)
			fmt.Fprintf(b, " %s |", cell(s, ok, 1, ""))
		}
		b.WriteString("\n")
	}

	b.WriteString("\n## chatd and BEAM nodes in one cluster\n\n" +
		"Each chatd ↔ BEAM path next to the BEAM ↔ BEAM path with the same BEAM end; chatd speaks Erlang\n" +
		"distribution to the BEAM nodes. Round trips in µs (1 caller), rates with 64 callers.\n\n" +
		"| path | p50 | p99 | 64 callers/s |\n| --- | --- | --- | --- |\n")
	for _, rw := range []row{
		{"chatd → BEAM: receive_message, a task on its `Chat.TaskSupervisor`", "chatd_beam %s receive_message"},
		{"BEAM → BEAM: the same (IO.puts task)", "beam %s puts"},
		{"BEAM → chatd: `Task.Supervisor.async({Chat.TaskSupervisor, chatd}, Chat, :receive_message, …)`", "beam_chatd %s puts"},
		{"chatd → BEAM: `:erpc.call` of `:chatd.echo`", "chatd_beam %s erpc"},
		{"BEAM → BEAM: the same", "beam %s erpc"},
		{"BEAM → chatd: `:erpc.call(chatd, :chatd, :echo, [\"x\"])`", "beam_chatd %s erpc"},
	} {
		rtt, rok := r.get(fmt.Sprintf(rw.key, "rtt"), 0)
		p99, pok := r.get(fmt.Sprintf(rw.key, "rtt"), 2)
		tput, tok := r.get(fmt.Sprintf(rw.key, "tput")+" 64", 0)
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", rw.name, cell(rtt, rok, 1e3, ""), cell(p99, pok, 1e3, ""), cell(tput, tok, 1, ""))
	}

	b.WriteString("\n## Control API (µs; rates with 64 clients)\n\n" +
		"HTTP/1.1 over the Unix socket with kept-alive connections, one per client, the same client code for\n" +
		"chatd and for the trivial server.\n\n" +
		"| path | p50 | p90 | p99 | max | 64 clients/s |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, rw := range []row{
		{"trivial Go HTTP server on a Unix socket (decodes the body, answers JSON)", "api %s trivial"},
		{"`POST /v1/call` echo to kate (a peer node)", "api %s call"},
		{"`POST /v1/send` to kate", "api %s send"},
	} {
		fmt.Fprintf(b, "| %s |", rw.name)
		for i := range 4 {
			s, ok := r.get(fmt.Sprintf(rw.key, "rtt"), i)
			fmt.Fprintf(b, " %s |", cell(s, ok, 1e3, ""))
		}
		s, ok := r.get(fmt.Sprintf(rw.key, "tput")+" 64", 0)
		fmt.Fprintf(b, " %s |\n", cell(s, ok, 1, ""))
	}

	b.WriteString("\n## Through the CLI, and scale\n\n| measurement | chatd | BEAM |\n| --- | --- | --- |\n")
	pair := func(name, key string, field int, scale float64, unit, beamKey string, beamField int) {
		s, ok := r.get(key, field)
		bs, bok := r.get(beamKey, beamField)
		fmt.Fprintf(b, "| %s | %s | %s |\n", name, cell(s, ok, scale, unit), cell(bs, bok, scale, unit))
	}
	pair("`chatctl send kate@localhost hi`, p50", "chatd cli chatctl_send", 0, 1e6, "ms", "", 0)
	pair("idle node RSS", "chatd idle", 1, 1<<20, "MiB", "beam beam_idle", 1)
	pair("start-up to ready", "chatd idle", 0, 1e6, "ms", "beam beam_idle", 0)
	pair("memory per in-flight task (RSS; noisy), 10,000 tasks", "chatd tasks10k 10000", 0, 1<<10, "KiB", "", 0)
	pair("memory per in-flight task (live Go heap + stacks, after a GC), 10,000 tasks", "chatd tasks10k 10000", 1, 1<<10, "KiB", "", 0)
	writeMesh(b, r)
	writeProfile(b, r)
	writeTargets(b, r)
}

// writeProfile writes the per-call counts of chatbench profile: what one
// sequential call costs each process on its way, next to the floors.
func writeProfile(b *strings.Builder, r results) {
	rows := []struct{ name, path, side string }{
		{"one yamux stream's ping-pong (floor): client", "yamux", "bench"},
		{"one yamux stream's ping-pong (floor): server", "yamux", "yamux"},
		{"node to node, echo: the caller", "link", "bench"},
		{"node to node, echo: the peer (kate)", "link", "kate"},
		{"trivial HTTP server (floor)", "trivial", "trivial"},
		{"`POST /v1/call` echo: the API node (alex)", "call", "alex"},
		{"`POST /v1/call` echo: the peer (kate)", "call", "kate"},
		{"`POST /v1/send`: the API node (alex)", "send", "alex"},
		{"`POST /v1/send`: the peer (kate)", "send", "kate"},
	}
	if _, ok := r.get("profile link bench allocs", 0); !ok {
		return
	}
	b.WriteString("\n## Per call: allocations, wake-ups, system calls\n\n" +
		"`make profile` (chatbench profile): 2000 sequential calls, counted in each process on the way. These\n" +
		"counts hardly move on a loaded machine; CPU time does. Wake-ups are goroutines made runnable by\n" +
		"another goroutine or the network poller (hand-offs), from an execution trace; system calls are\n" +
		"strace's, I/O ones apart from the runtime's own (futex, nanosleep, ...), whose number depends on timing. What they show and what was removed: [Where the time goes](#where-the-time-goes), below.\n\n" +
		"| process | allocations | bytes | wake-ups | goroutines started | I/O system calls | all system calls | CPU µs |\n" +
		"| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, rw := range rows {
		fmt.Fprintf(b, "| %s |", rw.name)
		for _, m := range []string{"allocs", "bytes", "wakeups", "goroutines", "io_syscalls", "syscalls", "cpu_us"} {
			s, ok := r.get(fmt.Sprintf("profile %s %s %s", rw.path, rw.side, m), 0)
			fmt.Fprintf(b, " %s |", cell(s, ok, 1, ""))
		}
		b.WriteString("\n")
	}
}

// writeMesh writes the mesh table: how forming a full mesh grows with the
// number of nodes (every node pings every other one, 64 pings at a time).
func writeMesh(b *strings.Builder, r results) {
	b.WriteString("\n## Full mesh\n\nEvery node pings every other one (64 pings at a time), so that every pair links. " +
		"CPU per link is what all the nodes spent while the mesh formed, divided by the links made; " +
		"idle is the cores the formed mesh keeps busy doing nothing but keepalives (see [the mesh](#the-mesh-what-bounds-it-and-how-it-grows), below).\n\n" +
		"| nodes | formed in | RSS per node | memory per link | CPU per link made | idle mesh, cores |\n" +
		"| --- | --- | --- | --- | --- | --- |\n")
	for _, n := range []string{"50", "100", "200"} {
		key := "chatd mesh " + n
		if _, ok := r.get(key, 0); !ok {
			continue
		}
		fmt.Fprintf(b, "| %s |", n)
		for _, f := range []struct {
			field int
			scale float64
			unit  string
		}{{0, 1, "s"}, {1, 1 << 20, "MiB"}, {2, 1 << 10, "KiB"}, {3, 1, "ms"}, {4, 1, ""}} {
			s, ok := r.get(key, f.field)
			fmt.Fprintf(b, " %s |", cell(s, ok, f.scale, f.unit))
		}
		b.WriteString("\n")
	}
}

// latencyRows writes p50, p90, p99 and max in µs for each row.
func latencyRows(b *strings.Builder, r results, rows []row) {
	for _, rw := range rows {
		fmt.Fprintf(b, "| %s |", rw.name)
		for i := range 4 {
			s, ok := r.get(rw.key, i)
			fmt.Fprintf(b, " %s |", cell(s, ok, 1e3, ""))
		}
		b.WriteString("\n")
	}
}

func cell(s stat, ok bool, scale float64, unit string) string {
	if !ok {
		return "–"
	}
	return strings.TrimSpace(s.fmt(scale, unit))
}
