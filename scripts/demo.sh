#!/usr/bin/env bash
# The lesson, for real: starts alex, kate and moebi (the dog that answers
# everything with "chicken?") on a private port mapper and runtime
# directory, replays the lesson's exchanges with chatctl, prints what each
# node received, and stops them. Usage: scripts/demo.sh BINDIR
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
cat >"$work/chatd.toml" <<'TOML'
[nodes.moebi]
responder.reply = "chicken?"
TOML

bold=; plain=
if [ -t 1 ]; then bold=$'\033[1m'; plain=$'\033[0m'; fi
say() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; }
# ctl shows a chatctl command as one would type it, then runs it.
ctl() {
	local shown=chatctl arg
	for arg in "$@"; do
		case $arg in *[[:space:]?*\<\>]*) shown+=" '$arg'" ;; *) shown+=" $arg" ;; esac
	done
	say "$shown"
	"$bin/chatctl" "$@" || true
}

for name in alex kate moebi; do
	"$bin/chatd" --name "$name" --config "$work/chatd.toml" >"$work/$name.out" 2>"$work/$name.log" &
	pids+=("$!")
	# Wait (bounded) until the node answers on its control socket.
	for _ in $(seq 200); do
		"$bin/chatctl" --node "$name" status >/dev/null 2>&1 && break
		sleep 0.05
	done
	"$bin/chatctl" --node "$name" status >/dev/null
done
echo "started alex, kate and moebi@localhost (mapper on 127.0.0.1:$port)"

# The lesson's first half: spawn_link, pids, send/receive, flush.
ctl --node alex ping kate@localhost
ctl --node alex spawn kate@localhost say_name
say "pid=\$(chatctl --node alex spawn --detach kate@localhost reply 'sup?')"
pid=$("$bin/chatctl" --node alex spawn --detach kate@localhost reply 'sup?')
echo "$pid"
ctl --node alex send "$pid" hi
say "chatctl --node alex flush"
for _ in $(seq 100); do # the reply is asynchronous, as in the lesson
	out=$("$bin/chatctl" --node alex flush)
	[ -n "$out" ] && break
	sleep 0.02
done
echo "$out"

# The second half: the chat on supervised tasks, and moebi.
ctl --node alex call kate@localhost say_name
ctl --node alex send kate@localhost hi
ctl --node kate send alex@localhost "how are you?"
ctl --node alex send moebi@localhost hi
ctl --node alex send nobody@localhost hi
ctl --node alex nodes

for name in alex kate moebi; do
	say "chatctl --node $name messages     # what $name received"
	"$bin/chatctl" --node "$name" messages
done
echo
echo "stopping the nodes"
