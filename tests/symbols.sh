#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The exported symbols of librampart must equal the committed list
# (lib/rampart.syms): an API change is a deliberate, reviewed edit there.
set -euo pipefail
lib=$1 list=$2
actual=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' |
	sed 's/@.*//' | grep -v '^RAMPART_' | LC_ALL=C sort -u)
expected=$(grep -v '^#' "$list" | LC_ALL=C sort -u)
if [ "$actual" != "$expected" ]; then
	echo "exported symbols differ from $list (< listed, > exported):"
	diff <(echo "$expected") <(echo "$actual") || true
	exit 1
fi
echo "symbols: $(echo "$actual" | wc -l) exported, as listed"
