#!/usr/bin/env bash
# The lesson's nodes, for real: starts alex, kate and moebi on a private
# port mapper and runtime directory, shows them finding and linking to each
# other, and stops them. Usage: scripts/demo.sh BINDIR
set -euo pipefail
bin=${1:?usage: demo.sh BINDIR}
work=$(mktemp -d -t chatd-demo.XXXXXX)
pids=()

stop_nodes() {
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$work"
}
trap stop_nodes EXIT

# A private mapper port: probe random high ports until one does not answer.
port=$(( 20000 + RANDOM % 20000 ))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$(( 20000 + RANDOM % 20000 )); done

export CHATD_RUNTIME_DIR="$work/run" STATE_DIRECTORY="$work/state" CHATD_MAPPER_PORT=$port
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
ctl() { say "chatctl $*"; "$bin/chatctl" "$@" || true; }

for name in alex kate moebi; do
	"$bin/chatd" --name "$name" >"$work/$name.out" 2>"$work/$name.log" &
	pids+=("$!")
	for _ in $(seq 200); do
		"$bin/chatctl" --node "$name" status >/dev/null 2>&1 && break
		sleep 0.05
	done
	"$bin/chatctl" --node "$name" status >/dev/null
done
echo "started alex, kate and moebi (mapper on 127.0.0.1:$port, runtime $CHATD_RUNTIME_DIR)"

ctl --node alex status
ctl --node alex ping kate@localhost
ctl --node alex ping moebi@localhost
ctl --node alex nodes
ctl --node kate nodes
ctl --node alex ping nobody@localhost
if command -v epmd >/dev/null; then say "epmd -port $port -names"; epmd -port "$port" -names; fi

say "kate's log"
cat "$work/kate.log"
echo
echo "stopping the nodes"
