#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The chain-log test vector must agree three ways: the independent recipe
# (tests/vectors/chainlog.sh, coreutils sha256sum), the committed file
# tests/vectors/chainlog.log with docs/chainlog.md, and the head that
# tests/unit/test_chainlog.c checks librampart against. With the path of
# rampart-agent as $1, also `rampart-agent log verify` on the vector and on
# a broken, a torn and a missing copy (exit 0, 1, 1, 2).
set -eu
src=${RP_SRC_DIR:?}
want=$("$src/tests/vectors/chainlog.sh")
head=$("$src/tests/vectors/chainlog.sh" head)
file=$(cat "$src/tests/vectors/chainlog.log")
doc=$(sed -n '/^## Test vector/,$p' "$src/docs/chainlog.md" |
	awk '/^```$/ { n++; next } n == 1')
dochead=$(sed -n '/^## Test vector/,$p' "$src/docs/chainlog.md" |
	awk '/^```$/ { n++; next } n == 3')
[ "$want" = "$file" ] || { echo "tests/vectors/chainlog.log differs"; exit 1; }
[ "$want" = "$doc" ] || { echo "docs/chainlog.md log differs: $doc"; exit 1; }
[ "$head" = "$dochead" ] || { echo "docs/chainlog.md head differs"; exit 1; }
grep -q "\"$head\"" "$src/tests/unit/test_chainlog.c" ||
	{ echo "tests/unit/test_chainlog.c lacks head $head"; exit 1; }
agent=${1:-}
if [ -n "$agent" ]; then
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/rampart-chainlog-XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	expect() { # CODE PATTERN FILE
		set +e
		out=$("$agent" log verify "$3" 2>&1)
		got=$?
		set -e
		if [ "$got" != "$1" ] || ! printf '%s\n' "$out" | grep -q "$2"; then
			echo "log verify $3: exit $got: $out"
			exit 1
		fi
	}
	expect 0 "intact, 4 records, head $head" "$src/tests/vectors/chainlog.log"
	sed 3d "$src/tests/vectors/chainlog.log" >"$tmp/deleted.log"
	expect 1 "broken at line 3: sequence number out of order" "$tmp/deleted.log"
	sed 's/slot=a/slot=b/' "$src/tests/vectors/chainlog.log" >"$tmp/edited.log"
	expect 1 "broken at line 4: previous hash" "$tmp/edited.log"
	head -c -3 "$src/tests/vectors/chainlog.log" >"$tmp/torn.log"
	expect 1 "torn at line 4" "$tmp/torn.log"
	expect 2 "cannot read" "$tmp/missing.log"
fi
echo "chainlog vector: recipe, file, docs and unit test agree (head $head)"
