#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_cli_docs.sh - docs/cli.md cannot drift from the program: every
# ```sh block of it is run as written, line by line, in one scratch
# folder, against a real rampartd (rd_lib.sh) with RAMPART_SERVER,
# RAMPART_TOKEN_FILE and RAMPART_CA set and the binaries on PATH; a line
# must exit 0, or N when it ends in "# exit N". A payload fw.bin is there
# for the firmware examples.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"

DOC=${RP_SRC_DIR:?}/docs/cli.md
start_rd "$T/data"
export RAMPART_SERVER=$URL RAMPART_TOKEN_FILE=$T/token RAMPART_CA=$CA
export PATH=$BIN:$PATH
W=$T/work
mkdir -p "$W"
cd "$W" || fail "no scratch folder"
head -c 4096 /dev/urandom >fw.bin

# the lines of every ```sh block, in order
awk '/^```sh$/ { on = 1; next } /^```/ { on = 0 } on' "$DOC" >"$T/lines"
n=$(grep -cv '^[[:space:]]*\(#.*\)\?$' "$T/lines" || true)
[ "$n" -ge 10 ] || fail "only $n example lines in $DOC"
ran=0
while IFS= read -r line; do
	case $line in '' | '#'*) continue ;; esac
	want=0
	if [[ $line =~ \#\ exit\ ([0-9]+)[[:space:]]*$ ]]; then
		want=${BASH_REMATCH[1]}
	fi
	st=0
	bash -c "$line" >"$T/out" 2>&1 </dev/null || st=$?
	[ "$st" = "$want" ] ||
		fail "docs/cli.md: '$line' exited $st, the page says $want: $(cat "$T/out")"
	ran=$((ran + 1))
done <"$T/lines"
ok "docs/cli.md: all $ran example lines ran as the page says"
