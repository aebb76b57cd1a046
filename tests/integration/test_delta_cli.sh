#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# rampart delta create | apply | info end to end: the committed vector
# (sha256sum -c, created again byte for byte, applied), the real libexpat
# pair of tests/data/delta-pairs (create, info --json read by jq, apply
# compared with the new file by cmp), and refusals: a damaged or cut patch,
# the wrong base and --max-len exit 1 with the rp_err name and leave OUT
# as it was (the write is atomic); a missing file exits 2.
set -euo pipefail
R=${RP_BIN_DIR:?}/rampart
src=${RP_SRC_DIR:?}
pairs=$src/tests/data/delta-pairs
vec=$src/tests/vectors/delta
t=$(mktemp -d "${TMPDIR:-/tmp}/rp-delta-cli-XXXXXX")
trap 'rm -rf "$t"' EXIT
cd "$t"

. "${RP_SRC_DIR:?}/tests/integration/cli_lib.sh"

# The vector: its sums, made again identically, applied.
(cd "$vec" && sha256sum --quiet -c SHA256SUMS) && ok "vector SHA256SUMS" ||
	bad "vector SHA256SUMS"
expect 0 - "$R" delta create "$vec/old.bin" "$vec/new.bin" v.rpdl
cmp -s v.rpdl "$vec/patch.rpdl" && ok "vector created again byte for byte" ||
	bad "rampart delta create does not make the vector's patch"
expect 0 - "$R" delta apply "$vec/old.bin" "$vec/patch.rpdl" v.out
cmp -s v.out "$vec/new.bin" && ok "vector applied" || bad "vector output differs"

# A real pair.
old=$pairs/libexpat-2.5.0-deb12u2
new=$pairs/libexpat-2.5.0-deb12u5
[ -f "$old" ] && [ -f "$new" ] || { bad "no delta pairs in $pairs"; exit 1; }
expect 0 bytes "$R" delta create "$old" "$new" p.rpdl
expect 0 - "$R" delta create --json "$old" "$new" p2.rpdl
cmp -s p.rpdl p2.rpdl && ok "create is deterministic" || bad "two creates differ"
info=$("$R" delta info --json p.rpdl)
[ "$(jq -r .error <<<"$info")" = RP_OK ] &&
	[ "$(jq -r .new_len <<<"$info")" = "$(stat -c %s "$new")" ] &&
	[ "$(jq -r .old_len <<<"$info")" = "$(stat -c %s "$old")" ] &&
	[ "$(jq -r .new_sha256 <<<"$info")" = "$(sha256sum "$new" | cut -d' ' -f1)" ] &&
	[ "$(jq -r .body_len <<<"$info")" = $(($(stat -c %s p.rpdl) - 112)) ] &&
	ok "info --json: lengths and hash" || bad "info --json: $info"
expect 0 "dictionary 16384" "$R" delta info p.rpdl
expect 0 - "$R" delta apply "$old" p.rpdl out.bin
cmp -s out.bin "$new" && ok "applied = the new file" || bad "apply output differs"
out=$("$R" delta apply --json "$old" p.rpdl out2.bin)
[ "$(jq -r .sha256 <<<"$out")" = "$(sha256sum "$new" | cut -d' ' -f1)" ] &&
	[ "$(jq -r .heap_peak <<<"$out")" -le 65536 ] &&
	ok "apply --json: sha256, heap_peak $(jq -r .heap_peak <<<"$out")" ||
	bad "apply --json: $out"

# Refusals leave OUT as it was.
echo before >keep.bin
size=$(stat -c %s p.rpdl)
cp p.rpdl damaged.rpdl
printf '\x55' | dd of=damaged.rpdl bs=1 seek=$((size / 2)) conv=notrunc status=none
expect 1 RP_E_DELTA "$R" delta apply "$old" damaged.rpdl keep.bin
head -c $((size - 10)) p.rpdl >cut.rpdl
expect 1 RP_E_TRUNCATED "$R" delta apply "$old" cut.rpdl keep.bin
expect 1 RP_E_TRUNCATED "$R" delta info cut.rpdl
expect 1 RP_E_DELTA_BASE "$R" delta apply "$new" p.rpdl keep.bin
expect 1 RP_E_TOO_BIG "$R" delta apply --max-len 1000 "$old" p.rpdl keep.bin
expect 1 RP_E_DELTA "$R" delta info "$old"
[ "$(cat keep.bin)" = before ] && ok "refusals left OUT untouched" ||
	bad "a refused apply changed OUT"
ls ./*.tmp.* >/dev/null 2>&1 && bad "temp files left" || ok "no temp files left"
expect 2 - "$R" delta apply "$old" missing.rpdl x.bin
expect 2 - "$R" delta create missing "$new" x.rpdl
expect 2 - "$R" delta info missing.rpdl
# not a file: its size says nothing of the body (a FIFO, a device)
expect 2 - "$R" delta info /dev/null

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all passed"
