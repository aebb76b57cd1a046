#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every tracked C file must be as clang-format (.clang-format) writes it.
# 'make format' fixes them.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || true)
[ ${#files[@]} -eq 0 ] && exit 0
bad=()
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -ne 0 ]; then
	echo "format: not clang-formatted (run 'make format'):" >&2
	printf '  %s\n' "${bad[@]}" >&2
	exit 1
fi
echo "format: ${#files[@]} files clean"
