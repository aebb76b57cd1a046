#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# rampart-boot: (1) boot-time verification of a 4 MiB slot through the host
# program (signature + SHA-256 of the whole image, every boot, no cache),
# against `openssl dgst -sha256` of the same slot bytes in the same run
# (process start included on both sides; median of 5); target: ratio near
# 1, the boot being bound by hashing. (2) The boot core's footprint on a
# Cortex-M4 (arm-none-eabi-gcc -Os, linked with --gc-sections), three
# named figures: without crypto; with our small SHA-256; with SHA-256 and
# our Ed25519 verifier (crypto included; ECDSA P-256 not on the MCU); and
# the verifier's stack (largest frame, deepest chain). Not run on a
# Cortex-M4: no cycle counts.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
bin=${RP_BIN_DIR:?}
src=${RP_SRC_DIR:-$(dirname "$here")}
work=$(mktemp -d "${TMPDIR:-/tmp}/rampart-bench-boot-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# A signed image filling a 4 MiB slot (payload 4 MiB - 4 KiB).
"$bin/rampart" keygen --alg ed25519 --out "$work/rel.key" >/dev/null
head -c $((4 * 1024 * 1024 - 4096)) /dev/urandom >"$work/fw.bin"
"$bin/rampart" sign --key "$work/rel.key" --hw bench-board --version 1.0.0 \
	--counter 1 "$work/fw.bin" "$work/fw.rpi" >/dev/null
flash=$work/flash.bin
"$bin/rampart-boot" create "$flash" --slot-size 4M >/dev/null
"$bin/rampart-boot" install "$flash" "$work/fw.rpi" >/dev/null
boot() {
	"$bin/rampart-boot" boot "$flash" --trust "$work/rel.key.pub" \
		--hw bench-board
}
boot >/dev/null # first boot records the state; later boots only read
grep -q '^boot: slot A' <(boot) || { echo "bench: boot failed" >&2; exit 1; }
# The slot's bytes, for the baseline: slot A starts after two sectors.
dd if="$flash" of="$work/slot.bin" bs=4096 skip=2 count=1024 status=none

ours=$(for i in 1 2 3 4 5; do bench_secs boot; done | median)
base=$(for i in 1 2 3 4 5; do
	bench_secs openssl dgst -sha256 "$work/slot.bin"
done | median)
core=$(for i in 1 2 3 4 5; do boot | awk '/^time:/{print $2}'; done | median)
ms() { awk -v s="$1" 'BEGIN{printf "%.2f", s * 1000}'; }
bench_report "boot: verify 4 MiB slot" "$(ms "$ours")" "$(ms "$base")" ms \
	"openssl dgst -sha256" lower
printf '%-34s ours %12s %-8s (rp_boot_run alone, no process start)\n' \
	"boot: decision + verification" "$core" ms

# Cortex-M4 footprint.
if command -v arm-none-eabi-gcc >/dev/null; then
	sizes=$("$src/boot/mcu/build.sh" "${RP_BUILD_DIR:?}/mcu-bench")
	echo "$sizes" | awk '$1=="size" {
		name = $2 == "boot-core.elf" ? "boot core M4, no crypto" : \
			$2 == "boot-sha256.elf" ? "boot core M4 + SHA-256" : \
			$2 == "boot-ed25519.elf" ? \
			"boot core M4 + SHA-256 + Ed25519" : $2
		printf "%-34s ours %12d %-8s (text+data; of which the trusted key set %d)\n", \
			name, $3 + $4, "bytes", $5
	}
	$1=="vstack" { frame = $3; fn = $2 }
	$1=="vstack-depth" { depth = $2 }
	END {
		printf "%-34s ours %12d %-8s (deepest call chain; largest frame %s %d)\n", \
			"Ed25519 verify stack M4", depth, "bytes", fn, frame
	}'
else
	echo "boot: arm-none-eabi-gcc missing, no Cortex-M4 footprint" >&2
fi
