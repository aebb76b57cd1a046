#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The seeds of fuzz_delta: real patches (rampart delta create) from the
# harness's fixed old image (the same lines as make_old() in fuzz_delta.c)
# to a few new ones: an edit, an insertion, a deletion, appended binary
# bytes, a new image sharing nothing, an empty one, and the smallest
# dictionary.
# usage: make-delta-seeds.sh RAMPART OUT_DIR
set -euo pipefail
R=$1 out=$2
t=$(mktemp -d "${TMPDIR:-/tmp}/rp-delta-seeds-XXXXXX")
trap 'rm -rf "$t"' EXIT
mkdir -p "$out"
for i in $(seq 0 127); do printf 'rampart delta fuzz base %04d\n' "$i"; done >"$t/old"
sed 's/base 0042/edited!!!/' "$t/old" >"$t/edit"
sed '64a inserted line' "$t/old" >"$t/insert"
sed '10,20d' "$t/old" >"$t/delete"
{ cat "$t/old"; head -c 300 /dev/zero | tr '\0' '\001'; printf '\x00\xff\x7f'; } >"$t/append"
seq 1 500 >"$t/other"
: >"$t/empty"
for n in edit insert delete append other empty; do
	"$R" delta create "$t/old" "$t/$n" "$out/$n.rpdl" >/dev/null
done
"$R" delta create --dict 12 "$t/old" "$t/edit" "$out/edit-dict12.rpdl" >/dev/null
