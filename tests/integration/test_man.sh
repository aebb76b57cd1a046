#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_man.sh - the manual pages (issue 11): every program whose command
# line is a lib/tool table has a section-1 page, made at build time from
# that table (man/CMakeLists.txt, lib/tool/generate.c), that lints clean
# with mandoc at warning level, names every command of the table, and is
# what the program generates now; the hand-written pages lint clean too;
# and the lint step is shown to catch a broken page.
set -u
BIN=${RP_BIN_DIR:?RP_BIN_DIR not set}
BUILD=${RP_BUILD_DIR:?RP_BUILD_DIR not set}
SRC=${RP_SRC_DIR:?RP_SRC_DIR not set}
T=$(mktemp -d /tmp/rp-man.XXXXXX)
trap 'rm -rf "$T"' EXIT
command -v mandoc >/dev/null || { echo "FAIL: mandoc not installed (scripts/deps.sh)"; exit 1; }
bad=0 n=0
fail() { echo "FAIL: $*"; bad=$((bad + 1)); }
# Programs not on a table yet: no page. Must be exactly those, so that the
# list shrinks as each is converted and none is left out unseen.
KNOWN_NO_TABLE=""
no_table=

lint() { # FILE: mandoc's warnings (and worse) on it, exit status kept
	mandoc -T lint -W warning "$1" >"$T/lint" 2>&1
}

for prog in rampart rampart-agent rampartd rampart-sim rampart-boot; do
	if ! "$BIN/$prog" --generate list >"$T/list" 2>/dev/null; then
		no_table="$no_table${no_table:+ }$prog"
		continue
	fi
	page=$BUILD/man/man1/$prog.1
	n=$((n + 1))
	[ -s "$page" ] || { fail "$prog: no page at $page"; continue; }
	lint "$page" || fail "$prog.1 does not lint clean: $(cat "$T/lint")"
	# the page is the table as the program has it now (the date aside)
	"$BIN/$prog" --generate man | grep -v '^\.TH ' >"$T/now"
	grep -v '^\.TH ' "$page" | diff -u - "$T/now" >"$T/diff" ||
		fail "$prog.1 is not what '$prog --generate man' prints: $(head -20 "$T/diff")"
	# every runnable command of the table has its heading
	mandoc -T utf8 "$page" | col -b >"$T/text"
	while IFS=$'\t' read -r path _; do
		[ "$path" = "$prog" ] && continue
		grep -qF -- "$path" "$T/text" || fail "$prog.1 does not name '$path'"
	done <"$T/list"
	# and every option of it
	tr '\t' '\n' <"$T/list" | sed -n 's/^opt=\(--[^:]*\):.*/\1/p' | sort -u |
		while read -r opt; do
			grep -qF -- "$opt" "$T/text" || echo "$opt"
		done >"$T/missing"
	[ ! -s "$T/missing" ] || fail "$prog.1 lacks options: $(tr '\n' ' ' <"$T/missing")"
	echo "ok - $prog.1: lints clean, from the table, $(wc -l <"$T/list") commands"
done
[ "$no_table" = "$KNOWN_NO_TABLE" ] ||
	fail "programs without a table are now '$no_table': update KNOWN_NO_TABLE"

for page in "$SRC"/man/*.[0-9]; do
	n=$((n + 1))
	lint "$page" || fail "$(basename "$page") does not lint clean: $(cat "$T/lint")"
done

# the check itself: a page with an unknown macro and a missing title
# must not pass
printf '.XX nothing\n.SH NAME\nbroken \\- a page\n' >"$T/broken.1"
if lint "$T/broken.1"; then
	fail "mandoc -T lint passed a broken page: the lint step checks nothing"
fi
echo "$n pages checked, $bad failed; no table yet: $no_table"
[ "$bad" = 0 ]
