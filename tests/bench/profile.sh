#!/usr/bin/env bash
# make profile: what one call costs each process on its way, in counts
# that a loaded machine does not change: allocations, goroutine wake-ups
# (hand-offs), goroutines started and system calls per call, on the
# node-to-node path (a node embedded in chatbench calls kate) and on the
# control path (POST /v1/call and /v1/send on alex, which calls kate).
# Starts kate and alex on a private mapper; every process it starts is
# stopped. Prints the counts and writes them to bin/bench/profile.txt,
# the wake-up sites and system calls by name to bin/bench/profile-detail.txt
# and CPU profiles under 64 callers to bin/bench/cpu/ (PROFILE_CPU=1).
# PROFILE_CHATD=PATH profiles another chatd build (to compare two).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
calls=${PROFILE_CALLS:-2000}
out=bin/bench
mkdir -p "$out"
with_work profile

if ! command -v strace >/dev/null; then
	log "installing strace (counts system calls)"
	[ "$(id -u)" = 0 ] || { echo "run as root, or: sudo apt-get install strace" >&2; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace >/dev/null
fi

log "building"
go build -tags "$buildtags" -o "$out/chatd" ./cmd/chatd
go build -tags "$buildtags" -o "$out/chatctl" ./cmd/chatctl
chatd=${PROFILE_CHATD:-$out/chatd}
go build -tags "$buildtags" -o "$out/chatbench" ./tests/bench/chatbench

head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/cookie"
chmod 600 "$work/cookie"
export CHATD_RUNTIME_DIR=$work/run STATE_DIRECTORY=$work/state CHATD_COOKIE_FILE=$work/cookie
CHATD_MAPPER_PORT=$(private_port)
export CHATD_MAPPER_PORT

"$chatd" --name kate >"$work/kate.messages" 2>"$work/kate.log" & pids+=($!)
wait_socket kate
"$chatd" --name alex >/dev/null 2>"$work/alex.log" & pids+=($!)
wait_socket alex

cpu=()
[ "${PROFILE_CPU:-0}" = 1 ] && cpu=(-cpu "$out/cpu")
log "profiling $calls calls per path (counters, an execution trace, strace)"
"$out/chatbench" profile -socket "$CHATD_RUNTIME_DIR/alex/control.sock" -peer-socket "$CHATD_RUNTIME_DIR/kate/control.sock" \
	-peer kate@localhost -n "$calls" ${PROFILE_PATHS:+-paths "$PROFILE_PATHS"} -detail "$out/profile-detail.txt" "${cpu[@]}" | tee "$out/profile.txt"
echo
echo "counts: $out/profile.txt; wake-up sites and system calls by name: $out/profile-detail.txt${cpu:+; CPU profiles: $out/cpu (go tool pprof -top FILE)}"
