#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cmake -DRP_VERIFY_ONLY=ON gives a device build without signing code: in a
# scratch tree it configures no target that signs (rampart_sign, the rampart
# CLI, rampart-sim), builds the device's artifacts (librampart.so,
# rampart-agent, rampart-boot), and nm finds no signing symbol in them nor
# in any library of that tree, while it does find the device's verifier.
# The forbidden names are checked against this build's rampart_sign first:
# a pattern that matches no real signing code would prove nothing.
# usage: verify_only.sh SRC_DIR CC SIGN_ARCHIVE FORBID_ERE
set -euo pipefail
src=$1 cc=$2 sign_ar=$3 forbid=$4
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rampart-verify-only-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

syms() { nm "$1" 2>/dev/null | awk 'NF >= 3 && $2 != "U" {print $3}'; }

n=$(syms "$sign_ar" | grep -Excm1 "$forbid" || true)
[ "$n" = 1 ] || {
	echo "the forbidden names match nothing in $sign_ar"
	exit 1
}

# -O1: the fastest build _FORTIFY_SOURCE accepts.
cmake -S "$src" -B "$tmp/b" -DRP_VERIFY_ONLY=ON -DCMAKE_C_COMPILER="$cc" \
	-DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE=-O1 >"$tmp/log" 2>&1 ||
	{ cat "$tmp/log"; exit 1; }
targets=$(cmake --build "$tmp/b" --target help | sed -n 's/^\.\.\. //p' |
	awk '{print $1}')
for t in rampart_sign rampart-cli rampart-sim; do
	if grep -qx "$t" <<<"$targets"; then
		echo "RP_VERIFY_ONLY still configures $t"
		exit 1
	fi
done
cmake --build "$tmp/b" -j2 --target rampart rampart-agent rampart-boot \
	>"$tmp/log" 2>&1 || { tail -40 "$tmp/log"; exit 1; }

bad=""
checked=0
while IFS= read -r f; do
	checked=$((checked + 1))
	hits=$(syms "$f" | grep -Ex "$forbid" | sort -u || true)
	[ -z "$hits" ] || bad+="$(basename "$f"): $(echo $hits)"$'\n'
done < <(find "$tmp/b" -type f \( -name '*.a' -o -name 'librampart.so*' \
	-o -name rampart-agent -o -name rampart-boot \) ! -type l)
lib=$(find "$tmp/b" -name 'librampart.so.*.*' -type f | head -1)
if [ -z "$lib" ] || ! syms "$lib" | grep -x rp_image_verify >/dev/null; then
	echo "no librampart.so with rp_image_verify in the verify-only build"
	exit 1
fi
if [ -n "$bad" ]; then
	echo "signing code in the verify-only build:"
	printf '%s' "$bad"
	exit 1
fi
echo "verify-only: no signing target, $checked artifacts without signing" \
	"symbols, rp_image_verify in $(basename "$lib")"
