#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# 85-release-upload: adding a large release through the admin API
# (docs/releases.md "Uploading an image").
#   - the time of `rampart release add` of a RELEASE_MIB (default 256)
#     MiB image (upload in 4 MiB chunks, then the verification on
#     rampartd's worker thread), next to the floor: `rampart verify` of
#     the same file on the same machine;
#   - rampartd's peak RSS growth over the add (VmHWM after minus before),
#     next to the image's size, which an upload held in one request body
#     would cost;
#   - the latency of GET /api/v1/releases while the add runs (the worst
#     of the requests made meanwhile), next to its median when idle.
# Under AddressSanitizer rampartd runs with quarantine_size_mb=0: the
# quarantine keeps every freed chunk (256 MiB by default), which would
# be counted as growth.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

BIN=${RP_BIN_DIR:?}
MIB=${RELEASE_MIB:-256}
T=$(mktemp -d /tmp/rp-bench-release.XXXXXX)
trap 'bench_stop; rm -rf "$T"' EXIT
R=$BIN/rampart

"$R" keygen --alg ed25519 --out "$T/k" >/dev/null
"$R" keyset create --pub "$T/k.pub" --threshold 1 --epoch 1 --key "$T/k" \
	"$T/ks.rpks" >/dev/null
head -c $((MIB * 1024 * 1024)) /dev/urandom >"$T/fw.bin"
"$R" sign --key "$T/k" --hw bench --version 1.0.0 --counter 1 "$T/fw.bin" \
	"$T/fw.img" >/dev/null
rm -f "$T/fw.bin"

ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 \
	"$BIN/rampartd" --foreground --data-dir "$T/d" --port 0 \
	--setup-token-file "$T/token" >"$T/log" 2>&1 &
rd=$!
pids+=("$rd")
end=$((SECONDS + 30))
until grep -q 'listening on' "$T/log"; do
	[ $SECONDS -lt $end ] || { echo "rampartd did not start" >&2; exit 1; }
	sleep 0.05
done
port=$(grep 'listening on' "$T/log" | sed 's|.*https://[^:]*:\([0-9]*\)/.*|\1|')
url=https://127.0.0.1:$port
ca=$T/d/pki/root.pem
cli() { "$R" "$@" --server "$url" --token-file "$T/token" --ca "$ca"; }
get() {
	curl -s -o /dev/null -w '%{time_total}\n' --cacert "$ca" \
		-H "Authorization: Bearer $(cat "$T/token")" "$url/api/v1/releases"
}
hwm() { awk '/VmHWM/ {print $2}' "/proc/$rd/status"; }

cli release keys set "$T/ks.rpks" >/dev/null
idle=$(for _ in $(seq 20); do get; done | median)
before=$(hwm)
floor=$(bench_secs "$R" verify --trust "$T/ks.rpks" "$T/fw.img")
t0=$(date +%s.%N)
cli release add "$T/fw.img" >"$T/add.out" &
add=$!
: >"$T/lat"
while kill -0 "$add" 2>/dev/null; do get >>"$T/lat"; done
wait "$add"
t1=$(date +%s.%N)
after=$(hwm)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
worst=$(sort -n "$T/lat" | tail -1)
n=$(wc -l <"$T/lat")
bench_report "release add ${MIB} MiB (s)" "$secs" "$floor" s "rampart verify" lower
bench_report "rampartd RSS growth (KiB)" "$((after - before))" "$((MIB * 1024))" KiB "image size" lower
bench_report "GET /releases during add (s)" "$worst" "$idle" s "idle median, $n asked" lower
