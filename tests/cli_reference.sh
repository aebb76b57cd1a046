#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cli_reference.sh - docs/cli-reference.md is what the programs say about
# themselves now (scripts/cli-reference.sh over the built binaries): a
# changed option, help text or command without a regenerated reference
# fails here, with the difference and the command that fixes it. The
# hand-written guides (docs/*.md, README.md) may name only options their
# commands have (doc_options.py).
set -u
BIN=${RP_BIN_DIR:?RP_BIN_DIR not set}
SRC=${RP_SRC_DIR:?RP_SRC_DIR not set}
T=$(mktemp -d /tmp/rp-cliref.XXXXXX)
trap 'rm -rf "$T"' EXIT
bash "$SRC/scripts/cli-reference.sh" "$BIN" >"$T/ref.md" ||
	{ echo "FAIL: scripts/cli-reference.sh failed"; exit 1; }
grep -q '^### `rampart sign`$' "$T/ref.md" ||
	{ echo "FAIL: the generated reference lacks rampart sign"; exit 1; }
if ! diff -u "$SRC/docs/cli-reference.md" "$T/ref.md" >"$T/diff"; then
	head -60 "$T/diff"
	echo "FAIL: docs/cli-reference.md is stale; regenerate it with"
	echo "  scripts/cli-reference.sh >docs/cli-reference.md"
	exit 1
fi
echo "ok - docs/cli-reference.md matches the programs ($(grep -c '^### `' "$T/ref.md") commands)"
python3 "$SRC/tests/doc_options.py" "$BIN" "$SRC"/docs/*.md "$SRC/README.md" ||
	exit 1
