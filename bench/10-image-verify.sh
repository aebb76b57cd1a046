#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Image verification throughput of a 64 MiB signed image (page cache warm,
# best of 3): `rampart verify` against `openssl dgst -sha256` of the same
# file, both as processes; then rp_image_verify in process (bench_verify)
# against OpenSSL's in-memory SHA-256 speed, the ceiling for a verifier
# bound by hashing. Also the work-buffer size, and libsodium's SHA-256
# instead of OpenSSL's (why the host port hashes with OpenSSL).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
R=$RP_BIN_DIR/rampart
B=$RP_BIN_DIR/bench_verify
t=$(mktemp -d "${TMPDIR:-/tmp}/rp-bench-image-XXXXXX")
trap 'rm -rf "$t"' EXIT
mib=64
head -c $((mib * 1024 * 1024)) /dev/urandom >"$t/payload"
$R keygen --alg ed25519 --out "$t/k" >/dev/null
$R sign --key "$t/k" --hw bench --version 1.0.0 --counter 1 \
	"$t/payload" "$t/fw.img" >/dev/null
size=$(stat -c %s "$t/fw.img")
cat "$t/fw.img" >/dev/null # warm the page cache for both

best_secs() { # best of 3 wall-clock runs of CMD
	local best=999 s i
	for i in 1 2 3; do
		s=$(bench_secs "$@")
		best=$(awk -v a="$s" -v b="$best" 'BEGIN{print (a<b)?a:b}')
	done
	echo "$best"
}
mbps() { awk -v n="$size" -v s="$1" 'BEGIN{printf "%.1f", n/s/1e6}'; }

# Both as processes, page cache warm: what a user sees.
base=$(mbps "$(best_secs openssl dgst -sha256 "$t/fw.img")")
cli=$(mbps "$(best_secs "$R" verify --trust "$t/k.pub" "$t/fw.img")")
bench_report "rampart verify ${mib} MiB" "$cli" "$base" MB/s \
	"openssl dgst -sha256"
# In process, against OpenSSL's SHA-256 on memory (the upper bound).
raw=$(openssl speed -seconds 2 -bytes 1048576 -evp sha256 2>/dev/null |
	awk '$1 == "sha256" {sub(/k$/, "", $2); printf "%.1f", $2 / 1000}')
ours=$($B "$t/fw.img" "$t/k.pub" 262144 3)
bench_report "rp_image_verify ${mib} MiB, 256 KiB" "$ours" "$raw" MB/s \
	"openssl speed sha256 in memory"
for w in 4096 65536 1048576; do
	v=$($B "$t/fw.img" "$t/k.pub" $w 3)
	bench_report "rp_image_verify, ${w} B buffer" "$v" "$raw" MB/s \
		"openssl speed sha256 in memory"
done
v=$($B "$t/fw.img" "$t/k.pub" 262144 1 sodium)
bench_report "rp_image_verify, libsodium SHA-256" "$v" "$raw" MB/s \
	"openssl speed sha256 in memory"
