# Shared by tests/bench/run.sh, profile.sh and compare.sh (sourced).

# A free loopback port in 10000..30000 outside the kernel's ephemeral
# range: an unrelated outgoing connection can hold an ephemeral port, and a
# mapper's listen on it would fail.
port_free() {
	if command -v python3 >/dev/null; then
		python3 -c 'import socket,sys; socket.socket().bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
	else
		! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
	fi
}
private_port() {
	local lo hi p
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
	for _ in $(seq 200); do
		p=$((10000 + RANDOM % 20001))
		((p >= lo && p <= hi)) && continue
		port_free "$p" && { echo "$p"; return; }
	done
	echo "no free port in 10000..30000 outside the ephemeral range $lo..$hi" >&2
	return 1
}

# wait_socket NODE: wait (bounded) until a chatd node answers; $out holds
# chatctl, $work the node logs.
wait_socket() {
	for _ in $(seq 200); do "$out/chatctl" --node "$1" status >/dev/null 2>&1 && return; sleep 0.05; done
	echo "node $1 did not start: $(tail -5 "$work/$1.log")" >&2
	exit 1
}

# The build tags of the installed binaries (the Makefile's BUILDTAGS).
buildtags=urfave_cli_no_docs

# log MESSAGE...: a timestamped line on stderr.
log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }

# stop_started: stop every process whose pid was added to the pids array
# (each script declares pids=() and adds what it starts), and reap them.
stop_started() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
}

# with_work NAME: a private work directory in $work and an empty pids
# array; when the script exits, the processes in pids are stopped and the
# directory removed.
with_work() {
	work=$(mktemp -d -t "chatd-$1.XXXXXX")
	pids=()
	trap 'set +e; stop_started; rm -rf "$work"' EXIT
}
