#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_cmdline_all.sh - every command of every program whose command line
# is a lib/tool table (cmdline.h) names its own mistakes (issue 11). The
# commands are enumerated from the tables themselves (the hidden
# "PROG --generate list"), so a new command is covered without editing
# this file. For each: a wrong option, a missing required option or
# argument (where it has one) and a malformed value for each typed (uint,
# enum) option: exit 2, and stderr names the option or argument and ends
# with "try 'PATH --help'".
set -u
BIN=${RP_BIN_DIR:?RP_BIN_DIR not set}
T=$(mktemp -d /tmp/rp-cmdline.XXXXXX)
trap 'rm -rf "$T"' EXIT
unset RAMPART_SERVER RAMPART_TOKEN_FILE RAMPART_CA
n=0 bad=0

# expect NAME CMD...: exit 2, stderr holds NAME and the try line
expect() {
	local name=$1 st=0 cmd
	shift
	cmd="$*"
	n=$((n + 1))
	"$@" </dev/null >"$T/out" 2>"$T/err" || st=$?
	if [ "$st" != 2 ]; then
		echo "FAIL: $cmd: exit $st, want 2: $(cat "$T/err")"
		bad=$((bad + 1))
	elif ! grep -qF -- "$name" "$T/err"; then
		echo "FAIL: $cmd: stderr does not name '$name': $(cat "$T/err")"
		bad=$((bad + 1))
	elif ! grep -qF -- "try '" "$T/err"; then
		echo "FAIL: $cmd: no try line: $(cat "$T/err")"
		bad=$((bad + 1))
	fi
}

for prog in rampart rampart-agent rampartd rampart-sim rampart-boot; do
	"$BIN/$prog" --generate list >"$T/list" ||
		{ echo "FAIL: $prog --generate list"; exit 1; }
	[ -s "$T/list" ] || { echo "FAIL: $prog lists no command"; exit 1; }
	while IFS=$'\t' read -r -a f; do
		read -r -a path <<<"${f[0]}"
		path[0]=$BIN/${path[0]}
		expect "--no-such-option" "${path[@]}" --no-such-option
		for fld in "${f[@]:1}"; do
			case $fld in
			need=--*)
				expect "missing ${fld#need=}" "${path[@]}"
				;;
			need=*)
				expect "missing argument ${fld#need=}" \
					"${path[@]}"
				;;
			opt=*:uint | opt=*:enum)
				o=${fld#opt=}
				o=${o%%:*}
				expect "$o" "${path[@]}" "$o" not-a-value
				;;
			esac
		done
	done <"$T/list"
done
echo "$n checks, $bad failed"
[ "$bad" = 0 ]
