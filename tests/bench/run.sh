#!/usr/bin/env bash
# make bench: chatd against the lesson's BEAM system, the floors under it
# (TCP, one yamux stream, a trivial HTTP server) and chatd and BEAM nodes
# calling each other, in one run on one machine. Every repeat runs every
# measurement, in a rotating order, so that a noisy minute lands on both
# sides of a comparison. Prints the table and writes docs/BENCHMARKS.md.
# Loopback only; every process it starts is stopped.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
repeats=${BENCH_REPEATS:-3}
secs=${BENCH_SECONDS:-5}
calls=${BENCH_CALLS:-5000}
big_mesh=${BENCH_BIG_MESH-200} # nodes of the mesh past what 2 cores hold; empty: none
micro_count=${BENCH_MICRO_COUNT:-6}
out=bin/bench
mkdir -p "$out"
work=$(mktemp -d -t chatd-bench.XXXXXX)
results=$out/results.txt
: >"$results"
pids=()
started=$SECONDS

cleanup() {
	set +e
	stop_started
	# Only a stray epmd (never started on purpose) could still answer.
	for port in "${mapper_ports[@]}"; do epmd -port "$port" -names >/dev/null 2>&1 && epmd -port "$port" -kill >/dev/null 2>&1; done
	mkdir -p "$out/logs" && cp "$work"/*.log "$work"/*.err "$out/logs/" 2>/dev/null
	rm -rf "$work"
}
mapper_ports=()
trap cleanup EXIT

if ! command -v elixir >/dev/null || ! command -v erl >/dev/null; then
	log "installing erlang and elixir (Debian packages)"
	[ "$(id -u)" = 0 ] || { echo "run as root, or: sudo apt-get install erlang-nox elixir" >&2; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq erlang-nox elixir >/dev/null
fi

log "building"
go build -tags "$buildtags" -o "$out/chatd" ./cmd/chatd
go build -tags "$buildtags" -o "$out/chatctl" ./cmd/chatctl
go build -tags "$buildtags" -o "$out/chatbench" ./tests/bench/chatbench
# Issue 13's "idle RSS and memory per link no worse than now" compares
# with chatd as it was when the issue began, built from git and measured
# in the same run (BENCH_BASELINE=COMMIT; empty: no baseline).
baseline=${BENCH_BASELINE-5186279}
if [ -n "$baseline" ] && ! git cat-file -e "$baseline^{commit}" 2>/dev/null; then
	log "baseline $baseline is not in this clone (a shallow one?): no baseline figures"
	baseline=
fi
if [ -n "$baseline" ]; then
	log "building the baseline chatd at $baseline"
	top=$PWD
	mkdir "$work/baseline"
	git archive "$baseline" | tar -x -C "$work/baseline"
	# With today's build tags unless the baseline's code predates them.
	(cd "$work/baseline" && { go build -tags "$buildtags" -o "$top/$out/chatd-baseline" ./cmd/chatd 2>/dev/null ||
		go build -o "$top/$out/chatd-baseline" ./cmd/chatd; })
fi

# One port mapper for every node of the run: chatd's embedded one, which
# the BEAM nodes use too (ERL_EPMD_PORT, -start_epmd false). One cookie.
mapper=$(private_port)
mapper_ports+=("$mapper")
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/cookie"
chmod 600 "$work/cookie"
cookie=$(cat "$work/cookie")
export CHATD_RUNTIME_DIR=$work/run STATE_DIRECTORY=$work/state CHATD_COOKIE_FILE=$work/cookie
export CHATD_MAPPER_PORT=$mapper ERL_EPMD_PORT=$mapper
erl_flags="-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}"

{
	echo "kernel: $(uname -sr)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') x $(nproc)"
	echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
	echo "go: $(go version | cut -d' ' -f3-)"
	echo "chatd: $(git describe --always --dirty 2>/dev/null)"
	echo "erlang: $(erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().') (Debian $(dpkg-query -W -f '${Version}' erlang-base 2>/dev/null))"
	echo "elixir: $(elixir --version 2>/dev/null | tail -1)"
	[ -z "$baseline" ] || echo "baseline: chatd at $(git log -1 --format='%h (%cs)' "$baseline")"
	echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/machine.txt"

log "chatd kate (sink to a file) and alex; BEAM beamkate (the lesson's Chat)"
"$out/chatd" --name kate >"$work/kate.messages" 2>"$work/kate.log" & pids+=($!)
wait_socket kate # kate embeds the mapper
"$out/chatd" --name alex >/dev/null 2>"$work/alex.log" & pids+=($!)
wait_socket alex
elixir --sname beamkate@localhost --cookie "$cookie" --erl "$erl_flags" tests/bench/beam/chat.exs \
	>"$work/beamkate.out" 2>"$work/beamkate.err" & pids+=($!)
for _ in $(seq 300); do grep -q ready "$work/beamkate.err" 2>/dev/null && break; sleep 0.05; done
grep -q ready "$work/beamkate.err" || { echo "beamkate did not start: $(tail -5 "$work/beamkate.err")" >&2; exit 1; }

# The measurements of one repeat; each appends its lines to the results.
measure_calls() { # an embedded chatd node calling kate (chatd) and beamkate (BEAM)
	"$out/chatbench" calls -peer kate@localhost -beam beamkate@localhost -n "$calls" -c 1,8,64 -beam-c 64 -d "${secs}s"
}
measure_beam() { # an Elixir node calling beamkate (BEAM) and kate (chatd)
	elixir --sname "beambench$1@localhost" --cookie "$cookie" --erl "$erl_flags" tests/bench/beam/bench.exs "$calls" "$secs" \
		beam=beamkate@localhost:noop,puts:1,8,64 beam=beamkate@localhost:erpc:64 beam_chatd=kate@localhost:puts,erpc:64
}
measure_floor() { # TCP and yamux ping-pong
	"$out/chatbench" floor -n 20000 -c 64 -d "${secs}s"
}
measure_api() { # the control API next to a trivial HTTP server, and chatctl
	"$out/chatbench" api -socket "$CHATD_RUNTIME_DIR/alex/control.sock" -peer kate@localhost -n "$calls" -c 64 -d "${secs}s"
	"$out/chatbench" cli -chatctl "$out/chatctl" -socket "$CHATD_RUNTIME_DIR/alex/control.sock" -peer kate@localhost -n 100 | sed 's/^/chatd /'
}
measure_idle() { # start-up and idle RSS, chatd and BEAM
	"$out/chatbench" idle -chatd "$out/chatd" -n 5 | sed 's/^/chatd /'
	[ -z "$baseline" ] || "$out/chatbench" idle -chatd "$out/chatd-baseline" -n 5 | sed 's/^/baseline /'
	"$out/chatbench" beam-idle -n 5 | sed 's/^beam_idle/beam beam_idle/'
}
order=(calls beam floor api idle)
for rep in $(seq "$repeats"); do
	echo "repeat $rep" >>"$results"
	for i in "${!order[@]}"; do
		m=${order[(i + rep - 1) % ${#order[@]}]}
		log "repeat $rep/$repeats: $m"
		"measure_$m" "$rep" >>"$results"
	done
done

# Scale has no BEAM side: meshes of 50, 100 and 200 chatd nodes and 10,000
# in-flight tasks, on their own mapper and runtime directory.
for rep in $(seq "$repeats"); do
	log "repeat $rep/$repeats: scale (meshes of 50, 100${big_mesh:+ and $big_mesh}, the baseline's of 100, 10,000 in-flight tasks)"
	port=$(private_port)
	mapper_ports+=("$port")
	echo "repeat $rep" >>"$results"
	# The baseline's 100-node mesh (memory per link) goes first in every
	# other repeat, so that neither side always runs on a warmer machine.
	baseline_mesh() {
		[ -z "$baseline" ] || CHATD_MAPPER_PORT=$port CHATD_RUNTIME_DIR=$work/scale$rep \
			"$out/chatbench" scale -chatd "$out/chatd-baseline" -nodes 100 -tasks 0 2>"$out/baseline-mesh.err" | sed 's/^/baseline /' >>"$results" ||
			log "repeat $rep/$repeats: the baseline's 100-node mesh failed: $(tail -1 "$out/baseline-mesh.err")"
	}
	[ $((rep % 2)) = 1 ] || baseline_mesh
	CHATD_MAPPER_PORT=$port CHATD_RUNTIME_DIR=$work/scale$rep \
		"$out/chatbench" scale -chatd "$out/chatd" -nodes 50,100 -tasks 10000 | sed 's/^/chatd /' >>"$results"
	[ $((rep % 2)) = 0 ] || baseline_mesh
	# 200 nodes on 2 cores is past what the machine holds: the formed
	# links' keepalives take most of it (docs/PERFORMANCE.md), and a busy
	# minute can make a mapper lookup miss its 2 s bound. A failure is
	# logged and leaves the row empty rather than ending the run.
	[ -z "$big_mesh" ] || CHATD_MAPPER_PORT=$port CHATD_RUNTIME_DIR=$work/scale$rep \
		"$out/chatbench" scale -chatd "$out/chatd" -nodes "$big_mesh" -tasks 0 2>"$out/mesh$big_mesh.err" | sed 's/^/chatd /' >>"$results" ||
		log "repeat $rep/$repeats: the $big_mesh-node mesh failed: $(tail -1 "$out/mesh$big_mesh.err")"
done

# Per-call counts (allocations, wake-ups, system calls): once, since a
# loaded machine does not change them (make profile runs only these).
log "per-call counts (chatbench profile)"
strace_flag=-strace=true
if ! command -v strace >/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace >/dev/null; } || strace_flag=-strace=false
	else
		log "strace missing (sudo apt-get install strace): no system call counts"
		strace_flag=-strace=false
	fi
fi
"$out/chatbench" profile -socket "$CHATD_RUNTIME_DIR/alex/control.sock" -peer-socket "$CHATD_RUNTIME_DIR/kate/control.sock" \
	-peer kate@localhost -n 2000 "$strace_flag" -detail "$out/profile-detail.txt" >>"$results"

log "Go micro benchmarks"
mapfile -t micro < <(grep -rl --include='*_test.go' '^func Benchmark' . | xargs -n1 dirname | sort -u)
go test -run '^$' -bench . -benchmem -count "$micro_count" -benchtime 1s "${micro[@]}" >"$out/micro.txt"
# benchstat (pinned) summarises them; compare two runs with: benchstat old.txt new.txt
GOFLAGS=-mod=mod go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da "$out/micro.txt" >"$out/micro-summary.txt" 2>&1 ||
	log "benchstat unavailable; raw numbers in $out/micro.txt"

elapsed=$((SECONDS - started))
{
	echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "run: $repeats repeats, ${secs} s per rate, $calls sequential calls per round trip; took $((elapsed / 60)) min $((elapsed % 60)) s"
} >>"$out/machine.txt"
mkdir -p docs
"$out/chatbench" report -in "$results" -machine "$out/machine.txt" -micro "$out/micro-summary.txt" \
	-findings docs/PERFORMANCE.md -out docs/BENCHMARKS.md
echo
echo "micro benchmarks: $out/micro.txt; raw results: $results; node logs: $out/logs; written: docs/BENCHMARKS.md; took $((elapsed / 60)) min $((elapsed % 60)) s"
