#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build the boot stage for a Cortex-M4 (boot/mcu/CMakeLists.txt with the
# arm-none-eabi toolchain file) into OUT, check that the freestanding
# objects call nothing outside themselves but memcpy/memset/memmove/memcmp
# and the compiler's ARM helpers, and print the size of each firmware.
# usage: build.sh OUT            (ctest mcu_build; bench/20-boot.sh)
# Output lines (stable, for scripts):
#   size ELF TEXT DATA KEYSET   (KEYSET: bytes of text that are the
#                                trusted key set, struct rp_keyset)
#                               ELF: boot-core.elf (no crypto),
#                               boot-sha256.elf (+ SHA-256),
#                               boot-ed25519.elf (+ SHA-256 + Ed25519)
#   stack FUNC BYTES            the five largest frames of all objects
#   vstack FUNC BYTES           the largest frame of the Ed25519 verifier
#   vstack-depth BYTES          the deepest chain of frames from
#                               rpb_ed25519_rp_verify down (gcc
#                               -fcallgraph-info=su; newlib's memcpy/memset
#                               leaves not counted): the verifier's stack
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUT}
command -v arm-none-eabi-gcc >/dev/null || {
	echo "mcu: arm-none-eabi-gcc missing (scripts/deps.sh installs it)" >&2
	exit 1
}
cmake -S "$here" -B "$out" -DCMAKE_TOOLCHAIN_FILE="$here/arm-none-eabi.cmake" \
	-DCMAKE_BUILD_TYPE=MinSizeRel >/dev/null
cmake --build "$out" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

# Every freestanding object: what it needs must come from the set itself.
objs=$(find "$out/CMakeFiles/rpb_core.dir" "$out/CMakeFiles/rpb_sha256.dir" \
	"$out/CMakeFiles/rpb_ed25519.dir" -name '*.obj' | sort)
defined=$(arm-none-eabi-nm --defined-only $objs | awk 'NF==3{print $3}' | sort -u)
undef=$(arm-none-eabi-nm -u $objs | awk 'NF==2{print $2}' | sort -u)
bad=$(comm -23 <(echo "$undef") <(echo "$defined") |
	grep -Ev '^(memcpy|memset|memmove|memcmp|__aeabi_[a-z0-9_]+)$' || true)
if [ -n "$bad" ]; then
	echo "mcu: the freestanding core calls outside itself:" >&2
	echo "$bad" | sed 's/^/  /' >&2
	exit 1
fi
# Nor does anything of the C library beyond those come into a firmware.
for elf in boot-core.elf boot-sha256.elf boot-ed25519.elf; do
	syms=$(arm-none-eabi-nm "$out/$elf" | awk '{print $NF}')
	if grep -Ex '(malloc|free|calloc|realloc|_sbrk|_malloc_r|printf|sprintf|snprintf|puts|fopen|_write|_read|abort|exit)' \
		<<<"$syms" >/dev/null; then
		echo "mcu: $elf links heap or stdio" >&2
		exit 1
	fi
done
for elf in boot-core.elf boot-sha256.elf boot-ed25519.elf; do
	ks=$(arm-none-eabi-nm -S "$out/$elf" | awk '$4=="rpb_trust"{print $2}')
	ks=$((16#${ks:-0}))
	arm-none-eabi-size "$out/$elf" |
		awk -v n="$elf" -v k="$ks" 'NR==2{print "size", n, $1, $2, k}'
done
# The largest stack frames (-fstack-usage), for sizing the boot stack.
# (awk, not head: head would close the pipe early, and pipefail fail.)
find "$out" -name "*.su" -exec cat {} + | sort -u | sort -t$'\t' -k2 -nr |
	awk -F'\t' 'NR <= 5 {sub(/.*\//, "", $1); print "stack", $1, $2}'
# The verifier's frames: the largest, and the deepest chain of them (the
# call graph is a tree of static calls without recursion).
su=$(find "$out/CMakeFiles/rpb_ed25519.dir" -name "ed25519_verify.c.su")
ci=$(find "$out/CMakeFiles/rpb_ed25519.dir" -name "ed25519_verify.c.ci")
if [ -z "$su" ] || [ -z "$ci" ]; then
	echo "mcu: no stack usage or call graph for ed25519_verify.c" >&2
	exit 1
fi
sort -t$'\t' -k2 -nr "$su" |
	awk -F'\t' 'NR == 1 {n = split($1, f, ":"); print "vstack", f[n], $2}'
awk -v root=rpb_ed25519_rp_verify '
function title(s) { sub(/.*title: "/, "", s); sub(/".*/, "", s); return s }
function depth(n,    i, d, best) {
	if (n in memo) return memo[n]
	best = 0
	for (i = 1; i <= ne[n]; i++) {
		d = depth(e[n, i])
		if (d > best) best = d
	}
	memo[n] = sz[n] + best
	return memo[n]
}
/^node:/ {
	t = title($0); b = $0; sz[t] = 0
	if (b ~ /[0-9]+ bytes/) {
		sub(/ bytes.*/, "", b); sub(/.*\\n/, "", b); sz[t] = b + 0
	}
}
/^edge:/ {
	s = $0; sub(/.*sourcename: "/, "", s); sub(/".*/, "", s)
	d = $0; sub(/.*targetname: "/, "", d); sub(/".*/, "", d)
	e[s, ++ne[s]] = d
}
END {
	for (t in sz) if (t == root || t ~ (":" root "$")) r = t
	if (r == "") exit 1
	print "vstack-depth", depth(r)
}' "$ci"
