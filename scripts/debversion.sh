#!/bin/sh
# Prints a Debian version for the tree, from git describe:
#   v1.2.3              -> 1.2.3
#   v1.2.3-4-gabc1234   -> 1.2.3+git4.abc1234
#   abc1234 (no tag)    -> 0.0~git<commits>.abc1234
# with +dirty for uncommitted changes. <commits> counts the commits to HEAD,
# so that a later build of a branch sorts after an earlier one; a version
# from a tag sorts after every untagged build.
set -eu
d=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
dirty=
case $d in *-dirty) dirty=+dirty; d=${d%-dirty} ;; esac
case $d in
v[0-9]*-[0-9]*-g[0-9a-f]*)
	base=${d%-*-g*}; rest=${d#"$base"-}
	v="${base#v}+git${rest%%-*}.${rest#*-g}" ;;
v[0-9]*) v=${d#v} ;;
*) v="0.0~git$(git rev-list --count HEAD 2>/dev/null || echo 0).$d" ;;
esac
# Only what a Debian version may hold: a hyphen (v1.2-rc1) sorts before.
printf '%s%s\n' "$v" "$dirty" | tr -- '-_' '~~' | tr -cd '0-9A-Za-z.+~\n'
