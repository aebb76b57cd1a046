#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make bench: run every benchmark under bench/ (each bench/NAME.sh, in
# order; only files named NN-*.sh are benchmarks) against the build in BUILD_DIR. Each benchmark measures our figure
# and its baseline in the same run and prints one line per figure through
# bench/lib.sh's bench_report: name, ours, baseline, ratio.
# Benchmarks are never part of make check. See docs/benchmarks.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
export RP_BUILD_DIR=$build RP_BIN_DIR=$build/bin RP_SRC_DIR=$(dirname "$here")
shopt -s nullglob
benches=("$here"/[0-9][0-9]-*.sh)
if [ ${#benches[@]} -eq 0 ]; then
	echo "bench: no benchmarks exist yet"
	exit 0
fi
status=0
for b in "${benches[@]}"; do
	echo "== $(basename "$b" .sh)"
	"$b" || { echo "bench: $(basename "$b") failed" >&2; status=1; }
done
exit $status
