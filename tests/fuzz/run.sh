#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Run one libFuzzer target for FUZZ_SECONDS (default 20) on a scratch copy
# of its corpus, so the committed corpus only changes on purpose.
# usage: run.sh FUZZER CORPUS_DIR [DICT]
set -eu
fuzzer=$1 corpus=$2 dict=${3:-}
secs=${FUZZ_SECONDS:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/rampart-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cp -R "$corpus"/. "$work"/
set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="${FUZZ_ARTIFACTS:-$work/}"
[ -n "$dict" ] && set -- "$@" -dict="$dict"
echo "fuzz: $(basename "$fuzzer") for ${secs}s"
"$fuzzer" "$@" "$work"
