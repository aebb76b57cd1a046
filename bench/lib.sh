# SPDX-License-Identifier: Apache-2.0
# Helpers sourced by bench/*.sh.

# bench_report NAME OURS BASELINE UNIT BASELINE_NAME [higher|lower]
# Prints our figure, the baseline's, and ours/baseline ("higher" is better
# by default; for "lower" the ratio is baseline/ours, so > 1 means faster).
bench_report() {
	local name=$1 ours=$2 base=$3 unit=$4 bname=$5 better=${6:-higher}
	local ratio
	if [ "$better" = higher ]; then
		ratio=$(awk -v a="$ours" -v b="$base" 'BEGIN{printf "%.3f", (b>0 ? a/b : 0)}')
	else
		ratio=$(awk -v a="$ours" -v b="$base" 'BEGIN{printf "%.3f", (a>0 ? b/a : 0)}')
	fi
	printf '%-34s ours %12s %-8s baseline (%s) %12s %-8s ratio %s\n' \
		"$name" "$ours" "$unit" "$bname" "$base" "$unit" "$ratio"
}

# median: the median of the numbers on stdin, one a line.
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# bench_secs CMD...: wall-clock seconds of one run of CMD (stdout dropped).
bench_secs() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.6f", b-a}'
}

# The background processes a bench started: add each $! to pids, and
# bench_stop (from the EXIT trap) kills and reaps them all.
pids=()
bench_stop() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
}
