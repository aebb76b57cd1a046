#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_man.sh - the manual pages (issue 11): every program whose command
# line is a lib/tool table has a section-1 page, made at build time from
# that table (man/CMakeLists.txt, lib/tool/generate.c), that lints clean
# with mandoc at warning level, names every command of the table, and is
# what the program generates now; so is PROG.conf(5) of a program with a
# configuration file, with every key; the hand-written pages lint clean,
# rampartd.conf(5) has exactly server/config.c's keys and
# rampart-image(5) image.h's sizes and magics; and the lint step is shown
# to catch a broken page.
set -u
BIN=${RP_BIN_DIR:?RP_BIN_DIR not set}
BUILD=${RP_BUILD_DIR:?RP_BUILD_DIR not set}
SRC=${RP_SRC_DIR:?RP_SRC_DIR not set}
T=$(mktemp -d /tmp/rp-man.XXXXXX)
trap 'rm -rf "$T"' EXIT
command -v mandoc >/dev/null || { echo "FAIL: mandoc not installed (scripts/deps.sh)"; exit 1; }
bad=0 n=0
fail() { echo "FAIL: $*"; bad=$((bad + 1)); }

lint() { # FILE: mandoc's warnings (and worse) on it, exit status kept
	mandoc -T lint -W warning "$1" >"$T/lint" 2>&1
}

for prog in rampart rampart-agent rampartd rampart-sim rampart-boot; do
	"$BIN/$prog" --generate list >"$T/list" ||
		{ fail "$prog --generate list"; continue; }
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

# section 5 of a program with a configuration file (TOOL_CONFIG): made
# from the table too, and every option of the command is a key in it
for prog in rampart rampart-agent rampartd rampart-sim rampart-boot; do
	if ! "$BIN/$prog" --generate man5 >"$T/now5" 2>/dev/null; then
		# rampart-agent reads --config: it must have its page
		[ "$prog" != rampart-agent ] || fail "rampart-agent --generate man5 failed"
		continue
	fi
	page=$BUILD/man/man5/$prog.conf.5
	n=$((n + 1))
	[ -s "$page" ] || { fail "$prog: no page at $page"; continue; }
	lint "$page" || fail "$prog.conf.5 does not lint clean: $(cat "$T/lint")"
	grep -v '^\.TH ' "$T/now5" >"$T/now"
	grep -v '^\.TH ' "$page" | diff -u - "$T/now" >"$T/diff" ||
		fail "$prog.conf.5 is not what '$prog --generate man5' prints: $(head -20 "$T/diff")"
	mandoc -T utf8 "$page" | col -b >"$T/text"
	"$BIN/$prog" --generate list | grep -m1 'opt=--config:' | tr '\t' '\n' |
		sed -n 's/^opt=--\([^:]*\):.*/\1/p' | grep -vx config | tr - _ |
		while read -r key; do
			grep -qE -- "^ *$key = " "$T/text" || echo "$key"
		done >"$T/missing"
	[ ! -s "$T/missing" ] || fail "$prog.conf.5 lacks keys: $(tr '\n' ' ' <"$T/missing")"
	echo "ok - $prog.conf.5: lints clean, from the table"
done

# rampartd.conf.5 (by hand) has exactly the keys of server/config.c
sed -n 's/^ *{"\([a-z]*\)", "\([a-z_]*\)", RP_CONFIG_.*/\1 \2/p' \
	"$SRC/server/config.c" | sort >"$T/code-keys"
[ "$(wc -l <"$T/code-keys")" -gt 20 ] ||
	fail "could not read the keys of server/config.c: $(cat "$T/code-keys")"
awk '/^\.SS "\[/ { sec = $2; gsub(/[]["]/, "", sec) }
     /^\.TP/ { getline; if ($1 == ".B" && sec != "") print sec, $2 }' \
	"$SRC/man/rampartd.conf.5" | sort >"$T/page-keys"
diff -u "$T/code-keys" "$T/page-keys" >"$T/diff" ||
	fail "rampartd.conf.5 and server/config.c disagree (- code, + page): $(cat "$T/diff")"
n=$((n + 1))

# rampart-image.5 (by hand) states include/rampart/image.h's numbers
img=$SRC/include/rampart/image.h
for pair in "RP_IMAGE_HDR_SIZE:192-byte header" "RP_IMAGE_MAX_SIGS:a count of 1 to" \
	"RP_KEYSET_MAX_KEYS:(1 to" "RP_KEYSET_MAX_REVOKED:up to"; do
	sym=${pair%%:*} text=${pair#*:}
	val=$(sed -n "s/^#define $sym  *\([0-9][0-9]*\).*/\1/p" "$img")
	[ -n "$val" ] || { fail "no $sym in image.h"; continue; }
	case $text in
	*header) want="$val${text#192}" ;;
	*) want="$text $val" ;;
	esac
	tr '\n' ' ' <"$SRC/man/rampart-image.5" | grep -qF -- "$want" ||
		fail "rampart-image.5 does not say '$want' ($sym = $val)"
done
for m in RP_IMAGE_MAGIC:RPIM RP_SIGSEC_MAGIC:RPSG RP_KEYSET_MAGIC:RPKS; do
	# the value, as the 4 bytes it is on disk (little-endian)
	hex=$(sed -n "s/^#define ${m%%:*}  *0x\([0-9a-fA-F]\{8\}\)u.*/\1/p" "$img")
	[ -n "$hex" ] || { fail "no ${m%%:*} in image.h"; continue; }
	word=$(printf "\\x${hex:6:2}\\x${hex:4:2}\\x${hex:2:2}\\x${hex:0:2}")
	[ "$word" = "${m#*:}" ] || fail "image.h's ${m%%:*} is '$word', not ${m#*:}"
	grep -q "magic ${m#*:}" "$SRC/man/rampart-image.5" ||
		fail "rampart-image.5 does not give the magic ${m#*:}"
done
n=$((n + 1))

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
echo "$n pages checked, $bad failed"
[ "$bad" = 0 ]
