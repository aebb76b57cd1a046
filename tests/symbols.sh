#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# An exported library's symbols, one test per library (docs/architecture.md):
# its dynamic exports must equal the committed list, so that an API change
# is a deliberate, reviewed edit of that list. Options add what else the
# library promises:
#   --headers DIR      the list is also every RP_API function declared in
#                      DIR/*.h (the installed headers) ...
#   --skip-header H    ... but H (repeatable: headers not installed)
#   --forbid ERE       no symbol nm finds in it (exported or local) matches
#                      ERE: code that must not be inside
#   --needed ERE       every DT_NEEDED entry matches ERE
# A check that reads nothing proves nothing: an unreadable library, one that
# exports nothing, or headers that declare nothing fail.
# usage: symbols.sh [--headers DIR [--skip-header H]...] [--forbid ERE]
#                   [--needed ERE] LIB LIST
set -euo pipefail
hdrdir="" skip=() forbid="" needed=""
while [ $# -gt 2 ]; do
	case $1 in
	--headers) hdrdir=$2 ;;
	--skip-header) skip+=("$2") ;;
	--forbid) forbid=$2 ;;
	--needed) needed=$2 ;;
	*) echo "symbols.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift 2
done
lib=$1 list=$2
fail=0
dyn=$(nm -D --defined-only "$lib") || { echo "nm cannot read $lib"; exit 1; }
actual=$(awk '$2 ~ /^[TDBRVW]$/ {print $3}' <<<"$dyn" | sed 's/@.*//' |
	grep -v '^RAMPART_' | LC_ALL=C sort -u || true)
expected=$(grep -v '^#' "$list" | LC_ALL=C sort -u)
if [ -z "$actual" ] || [ -z "$expected" ]; then
	echo "$lib exports nothing, or $list lists nothing"
	exit 1
fi
if [ "$actual" != "$expected" ]; then
	echo "exported symbols differ from $list (< listed, > exported):"
	diff <(echo "$expected") <(echo "$actual") || true
	fail=1
fi
if [ -n "$hdrdir" ]; then
	# Each RP_API declaration up to its '(' (declarations span lines).
	declared=$(for h in "$hdrdir"/*.h; do
		for s in "${skip[@]}"; do
			[ "$(basename "$h")" = "$s" ] && continue 2
		done
		awk '/RP_API/ {f = 1; d = ""}
		     f {d = d " " $0; if (index($0, "(")) {print d; f = 0}}' "$h"
	done | grep -oE '\brp_[a-z0-9_]+[[:space:]]*\(' | tr -d ' (' |
		LC_ALL=C sort -u || true)
	if [ -z "$declared" ]; then
		echo "no RP_API function declared in $hdrdir"
		exit 1
	fi
	if [ "$declared" != "$expected" ]; then
		echo "$list differs from the RP_API functions of $hdrdir" \
			"(< listed, > declared):"
		diff <(echo "$expected") <(echo "$declared") || true
		fail=1
	fi
fi
if [ -n "$forbid" ]; then
	all=$(nm "$lib") || { echo "nm cannot read $lib"; exit 1; }
	hits=$(awk 'NF >= 3 {print $3}' <<<"$all" | sed 's/@.*//' |
		grep -Ex "$forbid" | sort -u || true)
	if [ -n "$hits" ]; then
		echo "$lib holds code it must not:" $hits
		fail=1
	fi
fi
if [ -n "$needed" ]; then
	deps=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	[ -n "$deps" ] || { echo "readelf found no NEEDED in $lib"; exit 1; }
	bad=$(grep -Exv "$needed" <<<"$deps" || true)
	if [ -n "$bad" ]; then
		echo "$lib needs libraries it must not:" $bad
		fail=1
	fi
fi
[ $fail -eq 0 ] || exit 1
msg="$(echo "$actual" | wc -l) exported, as listed"
[ -z "$hdrdir" ] || msg+=" and declared"
[ -z "$forbid" ] || msg+=", nothing forbidden inside"
[ -z "$needed" ] || msg+=", needs only $(echo $deps)"
echo "symbols: $(basename "$lib"): $msg"
