#!/usr/bin/env bash
# make test-systemd: boots a Debian bookworm root under a real systemd
# (systemd-nspawn), installs chatd there from its Debian package (make deb;
# apt-get install ./chatd_....deb), and checks the package and the
# installed units: the chatd user and cookie, a start right after the
# install, an upgrade from the previous build that keeps a modified
# conffile and restarts the nodes on the new chatd, notify, STATUS,
# journald records, socket activation, the watchdog, restarts, clean stop,
# reload, node events and metrics, the security exposure, group access,
# and last remove (stops the nodes) and purge (removes the cookie and
# state). The previous build is this tree packaged with a version that
# sorts before it (VERSION~prev). Leaves no container or process behind,
# also when a check fails.
#
# The root is built once with debootstrap and cached as a tarball in
# $CHATD_SYSTEMD_CACHE (default /var/cache/chatd-systemd-test), outside the
# repository. Needs root, systemd-container and debootstrap (installed with
# apt-get when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."

cache=${CHATD_SYSTEMD_CACHE:-/var/cache/chatd-systemd-test}
tarball=$cache/bookworm-systemd.tar
machine=chatd-test-$$
work=$(mktemp -d -t chatd-systemd.XXXXXX)
root=$work/root
nspawn_pid=
leader=
failures=0

log() { printf '%s %s\n' "$(date +%T)" "$*"; }
pass() { log "PASS $*"; }
fail() { log "FAIL $*"; failures=$((failures + 1)); }

[ "$(id -u)" = 0 ] || { echo "test-systemd needs root (systemd-nspawn)" >&2; exit 1; }

teardown() {
	set +e
	if [ -n "$leader" ] && kill -0 "$leader" 2>/dev/null; then
		nsenter -t "$leader" -m -u -i -n -p -C -- systemctl poweroff >/dev/null 2>&1
	fi
	if [ -n "$nspawn_pid" ]; then
		for _ in $(seq 100); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$nspawn_pid" 2>/dev/null
		wait "$nspawn_pid" 2>/dev/null
	fi
	rm -rf "/run/systemd/nspawn/propagate/$machine" "$work"
}
trap teardown EXIT

ensure_tools() {
	command -v systemd-nspawn >/dev/null && command -v debootstrap >/dev/null && return
	log "installing systemd-container and debootstrap"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd-container debootstrap >/dev/null
}

ensure_root() {
	if [ ! -s "$tarball" ]; then
		log "building the bookworm root with debootstrap (once; cached in $tarball)"
		mkdir -p "$cache"
		local build=$cache/build.$$
		debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$build" >"$cache/debootstrap.log" 2>&1
		tar -C "$build" -cf "$tarball.tmp" .
		mv "$tarball.tmp" "$tarball"
		rm -rf "$build"
	fi
	mkdir -p "$root"
	tar -C "$root" -xf "$tarball"
}

# ct runs a command inside the booted container.
ct() { nsenter -t "$leader" -m -u -i -n -p -C -- "$@"; }

boot() {
	systemd-nspawn -D "$root" --register=no --keep-unit --private-network -b -M "$machine" \
		>"$work/console.log" 2>&1 </dev/null &
	nspawn_pid=$!
	# nspawn's first child is a short-lived setup process that forks the
	# container's init and exits; the leader is the child that has become
	# systemd (its own comm), not whichever child ps lists first.
	for _ in $(seq 400); do
		leader=$(ps --ppid "$nspawn_pid" -o pid=,comm= | awk '$2 == "systemd" {print $1; exit}' || true)
		[ -n "$leader" ] && break
		kill -0 "$nspawn_pid" 2>/dev/null || break
		sleep 0.05
	done
	[ -n "$leader" ] || { cat "$work/console.log"; echo "the container did not start (no systemd under nspawn pid $nspawn_pid)" >&2; exit 1; }
	local state=
	for _ in $(seq 300); do
		state=$(ct systemctl is-system-running 2>/dev/null || true)
		case $state in running|degraded) break ;; esac
		if ! kill -0 "$leader" 2>/dev/null; then
			cat "$work/console.log"
			echo "the container's init (pid $leader) exited during boot" >&2
			exit 1
		fi
		sleep 0.1
	done
	case $state in running|degraded) ;; *)
		cat "$work/console.log"
		echo "the container did not finish booting within 30s (state: ${state:-none})" >&2
		exit 1 ;;
	esac
	log "container booted ($state), leader pid $leader"
}

# wait_for DESC SECONDS CMD...: polls CMD until it succeeds.
wait_for() {
	local desc=$1 secs=$2; shift 2
	local end=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		if [ $SECONDS -ge $end ]; then fail "$desc (not within ${secs}s)"; return 1; fi
		sleep 0.1
	done
}

mainpid() { ct systemctl show -p MainPID --value "chatd@$1.service"; }
linked() { ct chatctl --node "$1" --json nodes | grep -q "\"node\": \"$2@localhost\""; }
not_linked() { ! linked "$@"; }

# apt_install installs the package files given (paths in the container).
apt_install() { ct env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" </dev/null; }

# build_packages builds the package of the tree and the "previous build"
# (the same tree with a version that sorts before it) into the root's /srv
# (nspawn mounts a fresh /tmp).
build_packages() {
	version=$(scripts/debversion.sh)
	prev=${version}~prev
	deb=$(make -s deb DEB_VERSION="$version" DEB_OUT="$work/debs")
	prevdeb=$(make -s deb DEB_VERSION="$prev" DEB_OUT="$work/debs")
	cp "$deb" "$root/srv/chatd.deb"
	cp "$prevdeb" "$root/srv/chatd-prev.deb"
	log "built chatd $version and the previous build $prev"
}

# check_install installs the previous build and checks what it set up.
check_install() {
	log "check: install the package"
	if apt_install /srv/chatd-prev.deb >"$work/apt.log" 2>&1; then
		pass "apt-get install ./chatd_${prev}_*.deb"
	else
		cat "$work/apt.log"; fail "apt-get install"; return
	fi
	ct getent passwd chatd >/dev/null && ct getent group chatd >/dev/null && pass "the chatd user and group exist" || fail "no chatd user"
	local mode
	mode=$(ct stat -c '%a %U %s' /etc/chatd/cookie 2>/dev/null || true)
	[ "$mode" = "600 root 64" ] && pass "a random owner-only cookie: /etc/chatd/cookie $mode" || fail "cookie: ${mode:-missing}"
	ct dpkg-query -W -f='${Conffiles}\n' chatd | grep -q '/etc/chatd/chatd.toml' && pass "/etc/chatd/chatd.toml is a conffile" || fail "chatd.toml is not a conffile"
	ct test -s /usr/share/man/man8/chatd.8.gz && ct test -s /usr/share/bash-completion/completions/chatctl && pass "man pages and completions installed" || fail "man pages or completions missing"
	if ct systemctl start chatd@alex && [ "$(ct systemctl is-active chatd@alex)" = active ]; then
		pass "systemctl start chatd@alex works right after the install"
	else
		fail "chatd@alex did not start after the install"
	fi
}

# check_upgrade modifies the conffile, upgrades to the tree's build and
# checks the edit survived and alex runs the new chatd.
check_upgrade() {
	log "check: upgrade from the previous build keeps a modified conffile"
	[ -d "$root/etc/chatd" ] || { fail "no /etc/chatd to modify: the install failed"; return; }
	printf '[nodes.moebi]\nresponder.reply = "chicken?"\n[nodes.alex]\nmetrics.listen = "127.0.0.1:9369"\n' >"$root/etc/chatd/chatd.toml"
	local cookie pid
	cookie=$(ct md5sum /etc/chatd/cookie)
	pid=$(mainpid alex)
	if apt_install /srv/chatd.deb >"$work/apt.log" 2>&1; then
		pass "apt-get install ./chatd_${version}_*.deb over $prev"
	else
		cat "$work/apt.log"; fail "upgrade"; return
	fi
	[ "$(ct dpkg-query -W -f='${Version}' chatd)" = "$version" ] && pass "dpkg lists chatd $version" || fail "dpkg lists $(ct dpkg-query -W -f='${Version}' chatd)"
	grep -q 'responder.reply = "chicken?"' "$root/etc/chatd/chatd.toml" && pass "the modified /etc/chatd/chatd.toml survived the upgrade" || fail "the conffile edit was lost"
	[ "$(ct md5sum /etc/chatd/cookie)" = "$cookie" ] && pass "the cookie is unchanged" || fail "the upgrade changed the cookie"
	running_new() { [ "$(mainpid alex)" != "$pid" ] && ct chatctl --node alex --json status | grep -q "\"version\": \"$version\""; }
	wait_for "alex restarted on the new chatd" 20 running_new && pass "alex was restarted and runs chatd $version"
}

# check_remove removes, then purges the package.
check_remove() {
	log "check: remove stops the nodes, purge removes the cookie and state"
	if ct env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q chatd </dev/null >"$work/apt.log" 2>&1; then
		pass "apt-get remove chatd"
	else
		cat "$work/apt.log"; fail "remove"
	fi
	local left
	left=$(ct systemctl list-units --no-legend --plain --state=active 'chatd@*' || true)
	[ -z "$left" ] && pass "no chatd node runs after the remove" || fail "still running after remove: $left"
	ct test ! -e /usr/bin/chatd && ct test -e /etc/chatd/cookie && pass "the binaries are gone, the cookie and config stay until purge" || fail "remove left the wrong things"
	if ct env DEBIAN_FRONTEND=noninteractive apt-get purge -y -q chatd </dev/null >"$work/apt.log" 2>&1; then
		pass "apt-get purge chatd"
	else
		cat "$work/apt.log"; fail "purge"
	fi
	ct test ! -e /etc/chatd && ct test ! -e /var/lib/chatd && pass "purge removed /etc/chatd (cookie, chatd.toml) and /var/lib/chatd" ||
		fail "purge left: $(ct ls -d /etc/chatd /var/lib/chatd 2>/dev/null | tr '\n' ' ')"
}

# check_observability checks node events and metrics on the real units.
check_observability() {
	log "check: node events and metrics"
	ct sh -c 'timeout 10 chatctl --node alex --json nodes --watch >/tmp/watch.out 2>&1 &'
	watching() { ct chatctl --node alex ping kate@localhost && ct chatctl --node alex disconnect kate@localhost && ct grep -q '"event":"up","node":"kate@localhost"' /tmp/watch.out; }
	wait_for "nodes --watch to show kate up" 10 watching && pass "chatctl nodes --watch shows kate up"
	local scrape
	scrape=$(ct bash -c 'exec 3<>/dev/tcp/127.0.0.1/9369 && printf "GET /metrics HTTP/1.0\r\nHost: chatd\r\n\r\n" >&3 && timeout 5 cat <&3' 2>&1 || true)
	if grep -q '^chatd_handshakes_total{direction="out",protocol="chatd",result="ok"} [1-9]' <<<"$scrape" &&
		grep -q '^chatd_links_up{protocol="chatd"} ' <<<"$scrape"; then
		pass "GET /metrics on 127.0.0.1:9369 ([nodes.alex] metrics.listen) counts alex's handshakes"
	else
		fail "metrics scrape: ${scrape:0:300}"
	fi
}

main() {
	ensure_tools
	ensure_root
	build_packages
	boot
	check_install
	check_upgrade

	log "check: start alex, kate, moebi through READY=1"
	all_active() { [ "$(ct systemctl is-active chatd@alex chatd@kate chatd@moebi | sort -u)" = active ]; }
	if ! ct systemctl start chatd@alex chatd@kate chatd@moebi; then
		# Say what happened; Restart=on-failure may still bring them up.
		log "systemctl start failed:"
		ct systemctl status --no-pager chatd@alex chatd@kate chatd@moebi | sed 's/^/    /' | head -60 || true
	fi
	wait_for "alex, kate and moebi active (running)" 20 all_active && pass "three nodes active (running)"
	local status
	status=$(ct systemctl status chatd@kate --no-pager | grep 'Status:' || true)
	[[ $status == *"linked to"*"tasks running"* ]] && pass "systemctl status shows${status#*Status:}" || fail "no STATUS line: $status"

	log "check: send and journald records"
	ct chatctl --node alex send kate@localhost hi >/dev/null && pass "chatctl --node alex send kate@localhost hi exited 0" || fail "send to kate"
	local rec
	rec=$(ct journalctl -u chatd@kate -o verbose --no-pager)
	if grep -q '^    MESSAGE=hi$' <<<"$rec" && grep -q 'CHAT_FROM=alex@localhost' <<<"$rec"; then
		pass "journalctl -u chatd@kate -o verbose: MESSAGE=hi with CHAT_FROM=alex@localhost"
	else
		fail "kate's journal lacks the message"
	fi
	ct journalctl CHAT_FROM=alex@localhost --no-pager | grep -q ' hi$' && pass "journalctl CHAT_FROM=alex@localhost filters by sender" || fail "CHAT_FROM filter"
	ct chatctl --node alex send moebi@localhost hi >/dev/null
	ct journalctl -u chatd@alex --no-pager | grep -q ' chicken?$' && pass "moebi's chicken? is in alex's journal" || fail "no chicken? in alex's journal"

	log "check: socket activation"
	ct systemctl stop chatd@kate
	ct systemctl start chatd@kate.socket
	if [ "$(ct systemctl is-active chatd@kate.service)" = inactive ] && ct chatctl --node kate status >/dev/null &&
		[ "$(ct systemctl is-active chatd@kate.service)" = active ]; then
		pass "with only chatd@kate.socket started, chatctl --node kate status started the service"
	else
		fail "socket activation"
	fi
	ct systemctl stop chatd@kate.socket chatd@kate.service
	ct systemctl start chatd@kate

	log "check: watchdog (WatchdogSec=10s) on a stopped process"
	local pid new start
	pid=$(mainpid kate); start=$SECONDS
	ct sh -c "kill -STOP $pid"
	watchdog_failed() { ct journalctl -u chatd@kate --no-pager | grep -q "Failed with result 'watchdog'"; }
	restarted() { local p; p=$(mainpid kate); [ "$p" != 0 ] && [ "$p" != "$pid" ]; }
	wait_for "systemd to see the watchdog time out" 40 watchdog_failed &&
		wait_for "kate restarted after the watchdog" 15 restarted &&
		pass "kill -STOP: restarted after $((SECONDS - start))s with Result=watchdog"

	log "check: kill -9 is restarted and peers see it down and back"
	wait_for "alex to reach the restarted kate" 15 ct chatctl --node alex ping kate@localhost
	pid=$(mainpid kate)
	ct sh -c "kill -KILL $pid"
	wait_for "alex to see kate down" 5 not_linked alex kate && pass "alex saw kate down after kill -9"
	wait_for "kate restarted" 15 restarted
	wait_for "alex to reach kate again" 10 ct chatctl --node alex ping kate@localhost &&
		pass "kate restarted by Restart=on-failure (NRestarts=$(ct systemctl show -p NRestarts --value chatd@kate)) and answers alex again"

	log "check: systemctl stop"
	wait_for "alex to reach kate" 10 ct chatctl --node alex ping kate@localhost
	local t0 t1
	t0=$(date +%s%N)
	ct systemctl stop chatd@kate
	wait_for "alex to see kate down within 1s" 1 not_linked alex kate && {
		t1=$(date +%s%N); pass "systemctl stop: alex saw kate down $(((t1 - t0) / 1000000)) ms after the stop began"; }
	[ "$(ct systemctl show -p ExecMainStatus --value chatd@kate)" = 0 ] && pass "kate exited with status 0" || fail "kate's exit status"
	[ -z "$(ct ls -A /run/chatd/kate 2>/dev/null)" ] && pass "nothing left in /run/chatd/kate" || fail "left in /run/chatd/kate: $(ct ls -A /run/chatd/kate)"
	ct systemctl start chatd@kate

	log "check: reload"
	local mpid
	mpid=$(mainpid moebi)
	printf '[nodes.moebi]\nresponder.reply = "woof?"\n[nodes.alex]\nmetrics.listen = "127.0.0.1:9369"\n' >"$root/etc/chatd/chatd.toml"
	ct systemctl reload chatd@moebi
	ct chatctl --node alex send moebi@localhost hi >/dev/null
	if ct journalctl -u chatd@alex --no-pager | grep -q ' woof?$' && [ "$(mainpid moebi)" = "$mpid" ]; then
		pass "systemctl reload chatd@moebi: the next reply is woof?, same process"
	else
		fail "reload"
	fi

	log "check: security exposure"
	local exposure
	exposure=$(ct systemd-analyze security --offline=true /usr/lib/systemd/system/chatd@.service 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	if [ -n "$exposure" ] && awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
		pass "systemd-analyze security: exposure $exposure (limit 2.0)"
	else
		fail "exposure ${exposure:-unknown} above 2.0"
	fi

	log "check: the chatd group"
	ct useradd -m -G chatd alice
	ct useradd -m bob
	ct runuser -u alice -- chatctl --node kate status >/dev/null && pass "alice (group chatd) can use chatctl" || fail "alice refused"
	local out
	out=$(ct runuser -u bob -- chatctl --node kate status 2>&1 || true)
	[[ $out == *"permission denied"*"join group chatd"* ]] && pass "bob is refused: $out" || fail "bob: $out"

	check_observability
	check_remove

	if [ "$failures" -gt 0 ]; then
		log "$failures check(s) failed"
		ct journalctl -u 'chatd@*' --no-pager | tail -40
		exit 1
	fi
	log "all systemd checks passed"
}

main "$@"
