#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Delta patches (docs/delta.md) on the real version pairs of
# ../shared/data/delta-pairs (mosquitto, libcrypto, libexpat; N -> N+1):
# per pair, our patch size against bsdiff 4.3 (target: at most 1.05 x),
# xdelta3 -9 -S djw and zstd -19 --patch-from; create time and peak RSS
# against bsdiff; apply peak RSS and time against bspatch (both whole
# processes, /usr/bin/time), and the apply's own heap (rp_delta_apply's
# counting allocator, what a device pays besides its ~8 KiB of stack).
# Every patch is applied and compared with the new file first.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
R=$RP_BIN_DIR/rampart
pairs=${RP_DELTA_PAIRS:-$RP_SRC_DIR/../shared/data/delta-pairs}
t=$(mktemp -d "${TMPDIR:-/tmp}/rp-bench-delta-XXXXXX")
trap 'rm -rf "$t"' EXIT
for tool in bsdiff bspatch xdelta3 zstd /usr/bin/time; do
	command -v "$tool" >/dev/null || {
		echo "90-delta: $tool missing (scripts/deps.sh installs it)" >&2
		exit 1
	}
done

# measure CMD...: "SECONDS MAX_RSS_KIB" of one run (stdout dropped).
measure() {
	/usr/bin/time -f '%e %M' -o "$t/time" "$@" >/dev/null 2>"$t/err" || {
		cat "$t/err" >&2
		return 1
	}
	cat "$t/time"
}
size() { stat -c %s "$1"; }
same() { cmp -s "$1" "$2" || { echo "90-delta: $3 output differs" >&2; exit 1; }; }

for p in mosquitto:mosquitto-2.0.11-deb12u1:mosquitto-2.0.11-deb12u2 \
	libcrypto:libcrypto-3.0.20:libcrypto-3.0.22 \
	libexpat:libexpat-2.5.0-deb12u2:libexpat-2.5.0-deb12u5; do
	IFS=: read -r name o n <<<"$p"
	old=$pairs/$o new=$pairs/$n
	read -r c_s c_kb < <(measure "$R" delta create "$old" "$new" "$t/ours")
	read -r b_s b_kb < <(measure bsdiff "$old" "$new" "$t/bsdiff")
	measure xdelta3 -e -9 -S djw -f -s "$old" "$new" "$t/xdelta" >/dev/null
	measure zstd -q -19 -f --patch-from="$old" "$new" -o "$t/zstd" >/dev/null
	read -r a_s a_kb < <(measure "$R" delta apply "$old" "$t/ours" "$t/out")
	same "$t/out" "$new" "rampart delta apply"
	read -r p_s p_kb < <(measure bspatch "$old" "$t/bout" "$t/bsdiff")
	same "$t/bout" "$new" bspatch
	heap=$("$R" delta apply --json "$old" "$t/ours" "$t/out" |
		sed -n 's/.*"heap_peak":\([0-9]*\).*/\1/p')
	ours=$(size "$t/ours")
	bench_report "$name patch" "$ours" "$(size "$t/bsdiff")" B bsdiff lower
	bench_report "$name patch" "$ours" "$(size "$t/xdelta")" B \
		"xdelta3 -9 -S djw" lower
	bench_report "$name patch" "$ours" "$(size "$t/zstd")" B \
		"zstd -19 --patch-from" lower
	bench_report "$name create time" "$c_s" "$b_s" s bsdiff lower
	bench_report "$name create peak RSS" "$c_kb" "$b_kb" KiB bsdiff lower
	bench_report "$name apply time" "$a_s" "$p_s" s bspatch lower
	bench_report "$name apply peak RSS" "$a_kb" "$p_kb" KiB bspatch lower
	bench_report "$name apply heap (in process)" "$heap" \
		$((p_kb * 1024)) B "bspatch RSS" lower
done
