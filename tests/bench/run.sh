#!/usr/bin/env bash
# make bench: chatd against the lesson's BEAM system and the machine's TCP
# floor, in one run on one machine. Prints the table and writes
# docs/BENCHMARKS.md. Loopback only; every process it starts is stopped.
set -euo pipefail
cd "$(dirname "$0")/../.."
repeats=${BENCH_REPEATS:-3}
secs=${BENCH_SECONDS:-10}
calls=${BENCH_CALLS:-5000}
out=bin/bench
mkdir -p "$out"
work=$(mktemp -d -t chatd-bench.XXXXXX)
results=$out/results.txt
: >"$results"
pids=()

cleanup() {
	set +e
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	[ -n "${ERL_EPMD_PORT:-}" ] && epmd -port "$ERL_EPMD_PORT" -kill >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }

if ! command -v elixir >/dev/null || ! command -v erl >/dev/null; then
	log "installing erlang and elixir (Debian packages)"
	[ "$(id -u)" = 0 ] || { echo "run as root, or: sudo apt-get install erlang-nox elixir" >&2; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq erlang-nox elixir >/dev/null
fi

log "building"
go build -o "$out/chatd" ./cmd/chatd
go build -o "$out/chatctl" ./cmd/chatctl
go build -o "$out/chatbench" ./tests/bench/chatbench

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
	echo $((20000 + RANDOM % 20000)); }
export CHATD_RUNTIME_DIR=$work/run STATE_DIRECTORY=$work/state CHATD_MAPPER_PORT=$(free_port)
export ERL_EPMD_PORT=$(free_port)

{
	echo "kernel: $(uname -sr)"
	echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') x $(nproc)"
	echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
	echo "go: $(go version | cut -d' ' -f3-)"
	echo "chatd: $(git describe --always --dirty 2>/dev/null)"
	echo "erlang: $(erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().') (Debian $(dpkg-query -W -f '${Version}' erlang-base 2>/dev/null))"
	echo "elixir: $(elixir --version 2>/dev/null | tail -1)"
} >"$out/machine.txt"

wait_socket() { # wait (bounded) until a chatd node answers
	for _ in $(seq 200); do "$out/chatctl" --node "$1" status >/dev/null 2>&1 && return; sleep 0.05; done
	echo "node $1 did not start" >&2; exit 1
}

log "chatd: kate (sink to a file) and alex"
"$out/chatd" --name kate >"$work/kate.messages" 2>"$work/kate.log" & pids+=($!)
"$out/chatd" --name alex >/dev/null 2>"$work/alex.log" & pids+=($!)
wait_socket kate
wait_socket alex

for rep in $(seq "$repeats"); do
	log "repeat $rep/$repeats: chatd calls, the TCP floor, the CLI"
	"$out/chatbench" calls -peer kate@localhost -n "$calls" -c 1,8,64 -d "${secs}s" | sed 's/^/chatd /' >>"$results"
	"$out/chatbench" floor -n 20000 >>"$results"
	"$out/chatbench" cli -chatctl "$out/chatctl" -socket "$CHATD_RUNTIME_DIR/alex/control.sock" -peer kate@localhost -n 100 | sed 's/^/chatd /' >>"$results"
done

log "BEAM: the lesson's Chat on kate@localhost"
elixir --sname kate@localhost --cookie chatdbench tests/bench/beam/chat.exs >"$work/beam-kate.out" 2>"$work/beam-kate.err" & pids+=($!)
for _ in $(seq 300); do grep -q ready "$work/beam-kate.err" 2>/dev/null && break; sleep 0.05; done
for rep in $(seq "$repeats"); do
	log "repeat $rep/$repeats: BEAM calls"
	elixir --sname "bench$rep@localhost" --cookie chatdbench tests/bench/beam/bench.exs kate@localhost "$calls" 1,8,64 "$secs" |
		sed 's/^/beam /' >>"$results"
done

log "scale: idle nodes, meshes of 50 and 100, 10,000 in-flight tasks"
for rep in $(seq "$repeats"); do
	"$out/chatbench" idle -chatd "$out/chatd" -n 5 | sed 's/^/chatd /' >>"$results"
	"$out/chatbench" beam-idle -n 5 | sed 's/^beam_idle/beam beam_idle/' >>"$results"
done
for rep in $(seq "$repeats"); do
	CHATD_MAPPER_PORT=$(free_port) "$out/chatbench" scale -chatd "$out/chatd" -nodes 50,100 -tasks 10000 | sed 's/^/chatd /' >>"$results"
done

log "Go micro benchmarks"
go test -run '^$' -bench . -benchmem -count 6 -benchtime 1s ./wire ./daemon/link ./daemon/rpc >"$out/micro.txt"
# benchstat (pinned) summarises them; compare two runs with: benchstat old.txt new.txt
GOFLAGS=-mod=mod go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da "$out/micro.txt" >"$out/micro-summary.txt" 2>&1 ||
	log "benchstat unavailable; raw numbers in $out/micro.txt"

mkdir -p docs
"$out/chatbench" report -in "$results" -machine "$out/machine.txt" -micro "$out/micro-summary.txt" -out docs/BENCHMARKS.md
echo
echo "micro benchmarks: $out/micro.txt; raw results: $results; written: docs/BENCHMARKS.md"
