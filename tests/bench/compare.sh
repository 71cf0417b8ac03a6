#!/usr/bin/env bash
# tests/bench/compare.sh THEN [NOW]: chatd at commit NOW (default: this
# tree) against chatd at commit THEN, in one run on one machine:
# node-to-node calls (echo, receive_message; 1, 8 and 64 callers),
# `chatctl send`, start-up and idle RSS. Each side is built from git with
# its own chatbench and runs on its own mapper port and runtime directory;
# the sides alternate within each repeat, so a noisy minute lands on both.
# Prints each figure's median and range for both sides, and the median
# and range of the ratio now/then taken within each repeat. Loopback
# only; every process it starts is stopped.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
[ $# = 1 ] || [ $# = 2 ] || { echo "usage: $0 THEN [NOW] (commits; NOW defaults to this tree)" >&2; exit 2; }
then_rev=$(git rev-parse --verify "$1^{commit}") || { echo "$1 is not a commit in this clone" >&2; exit 2; }
now_rev=
if [ $# = 2 ]; then
	now_rev=$(git rev-parse --verify "$2^{commit}") || { echo "$2 is not a commit in this clone" >&2; exit 2; }
fi
describe_now() { if [ -n "$now_rev" ]; then git log -1 --format='%h (%cs)' "$now_rev"; else git describe --always --dirty; fi; }
repeats=${BENCH_REPEATS:-3}
secs=${BENCH_SECONDS:-5}
calls=${BENCH_CALLS:-5000}
out=bin/compare
top=$PWD
with_work compare

# build SIDE DIR: the three binaries of the tree in DIR into $out/SIDE,
# with the build tags of today's binaries unless that tree's code predates
# them (then without, as it was installed then).
build() {
	mkdir -p "$out/$1"
	local tags=$buildtags
	(cd "$2" && go build -tags "$tags" -o /dev/null ./cmd/chatctl 2>/dev/null) || {
		log "$1: the tree does not build with -tags $tags; built without"
		tags=
	}
	(cd "$2" && go build -tags "$tags" -o "$top/$out/$1/chatd" ./cmd/chatd && go build -tags "$tags" -o "$top/$out/$1/chatctl" ./cmd/chatctl &&
		go build -tags "$tags" -o "$top/$out/$1/chatbench" ./tests/bench/chatbench)
}
log "building chatd now: $(describe_now), and then: $(git log -1 --format='%h (%cs)' "$then_rev")"
if [ -n "$now_rev" ]; then
	mkdir "$work/src-now"
	git archive "$now_rev" | tar -x -C "$work/src-now"
	build now "$work/src-now"
else
	build now .
fi
mkdir "$work/src"
git archive "$then_rev" | tar -x -C "$work/src"
build then "$work/src"

# start SIDE: kate and alex of that side, on a mapper and runtime of its own.
start() {
	local side=$1 dir=$work/$1 port
	port=$(private_port)
	mkdir -p "$dir"
	head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/cookie"
	chmod 600 "$dir/cookie"
	for n in kate alex; do
		env CHATD_RUNTIME_DIR="$dir/run" STATE_DIRECTORY="$dir/state" CHATD_COOKIE_FILE="$dir/cookie" CHATD_MAPPER_PORT="$port" \
			"$out/$side/chatd" --name "$n" >/dev/null 2>"$dir/$n.log" &
		pids+=($!)
		local i
		for i in $(seq 200); do
			CHATD_RUNTIME_DIR="$dir/run" "$out/$side/chatctl" --node "$n" status >/dev/null 2>&1 && break
			sleep 0.05
		done
		[ "$i" != 200 ] || { echo "$side $n did not start: $(tail -3 "$dir/$n.log")" >&2; exit 1; }
	done
	echo "$port" >"$dir/port"
}
start now
start then

# measure SIDE: one repeat's figures, as "SIDE NAME VALUE" lines.
measure() {
	local side=$1 dir=$work/$1 bin=$out/$1
	local env=(CHATD_RUNTIME_DIR="$dir/run" STATE_DIRECTORY="$dir/state" CHATD_COOKIE_FILE="$dir/cookie" CHATD_MAPPER_PORT="$(cat "$dir/port")")
	env "${env[@]}" "$bin/chatbench" calls -peer kate@localhost -n "$calls" -c 1,8,64 -d "${secs}s" |
		awk -v s="$side" '{ sub(/^chatd /, "") }
			$1 == "rtt" { print s, $2 "_p50_us", $3 / 1000; print s, $2 "_p99_us", $5 / 1000 }
			$1 == "tput" { print s, $2 "_" $3 "_callers_per_s", $4 }'
	env "${env[@]}" "$bin/chatbench" cli -chatctl "$bin/chatctl" -socket "$dir/run/alex/control.sock" -peer kate@localhost -n 100 |
		awk -v s="$side" '$1 == "cli" { print s, $2 "_p50_ms", $3 / 1e6 }'
	env "${env[@]}" CHATD_MAPPER_PORT="$(private_port)" "$bin/chatbench" idle -chatd "$bin/chatd" -n 5 |
		awk -v s="$side" '{ print s, "exec_to_ready_ms", $2 / 1e6; print s, "idle_rss_MiB", $3 / 1048576 }'
}
results=$work/results
for rep in $(seq "$repeats"); do
	sides=(now then)
	[ $((rep % 2)) = 1 ] || sides=(then now)
	for side in "${sides[@]}"; do
		log "repeat $rep/$repeats: $side"
		measure "$side" | sed "s/^/$rep /" >>"$results"
	done
done

echo
echo "chatd now, $(describe_now), against chatd then, $(git log -1 --format='%h (%cs)' "$then_rev"); medians of $repeats repeats"
# Lines are "REPEAT SIDE NAME VALUE". The ratio is taken within each
# repeat (the two sides minutes apart at most), and its median shown with
# the range over the repeats, as make bench does.
awk '{ v[$3, $2] = v[$3, $2] " " $4; r[$3, $1, $2] = $4; names[$3] = 1; if ($1 > reps) reps = $1 }
	function sorted(list, a,   n, i, j, t) {
		n = split(list, a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return n
	}
	function median(list,   a, n) {
		n = sorted(list, a)
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function num(x) { return x >= 1000 ? sprintf("%.0f", x) : sprintf("%.3g", x) }
	function spread(list,   a, n) { n = sorted(list, a); return num(a[1]) "–" num(a[n]) }
	END {
		printf "%-34s %22s %22s %18s\n", "figure", "now", "then", "now/then"
		for (k in names) {
			if (!((k, "now") in v) || !((k, "then") in v)) continue # measured on one side only
			ratios = ""
			for (i = 1; i <= reps; i++) if ((k, i, "now") in r && (k, i, "then") in r && r[k, i, "then"] != 0) ratios = ratios " " r[k, i, "now"] / r[k, i, "then"]
			printf "%-34s %22s %22s %18s\n", k, num(median(v[k, "now"])) " (" spread(v[k, "now"]) ")",
				num(median(v[k, "then"])) " (" spread(v[k, "then"]) ")", sprintf("%.2f", median(ratios)) " (" spread(ratios) ")"
		}
	}' "$results" | { IFS= read -r head; echo "$head"; sort; }
