#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every program answers --version with "NAME VERSION" on stdout, exit 0,
# and --help with its usage on stdout, exit 0 (issue 11).
# usage: versions.sh BIN_DIR VERSION
set -euo pipefail
bin=$1 version=$2 fail=0
for p in rampart rampartd rampart-agent rampart-sim rampart-boot; do
	out=$("$bin/$p" --version 2>&1) || { echo "$p --version: exit $?: $out"; fail=1; continue; }
	[ "$out" = "$p $version" ] || { echo "$p --version: '$out', want '$p $version'"; fail=1; }
	out=$("$bin/$p" --help 2>/dev/null) || { echo "$p --help: exit $?"; fail=1; continue; }
	grep -qi "usage" <<<"$out" || { echo "$p --help: no usage on stdout"; fail=1; }
done
[ $fail = 0 ] && echo "ok: --version and --help of every program"
exit $fail
