#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The chain-log test vector must agree three ways: the independent recipe
# (tests/vectors/chainlog.sh, coreutils sha256sum), the committed file
# tests/vectors/chainlog.log with docs/chainlog.md, and the head that
# tests/unit/test_chainlog.c checks librampart against.
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
echo "chainlog vector: recipe, file, docs and unit test agree (head $head)"
