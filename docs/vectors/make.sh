#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The recipe that made the test vectors in this folder. Keys are made once
# (kept if present: they are public test keys, never use them for anything
# else); images and key sets are rebuilt from them. ECDSA signatures are
# randomised, so a rerun gives other bytes but the same verdicts
# (expected.txt, checked by check.sh).
# usage: docs/vectors/make.sh BUILD_BIN_DIR
set -euo pipefail
R=$(cd "$1" && pwd)/rampart
cd "$(dirname "$0")"
export SOURCE_DATE_EPOCH=1767225600 # 2026-01-01
[ -e ed25519.key ] || $R keygen --alg ed25519 --out ed25519.key >/dev/null
[ -e p256.key ] || $R keygen --alg p256 --out p256.key >/dev/null
[ -e other.key ] || $R keygen --alg ed25519 --out other.key >/dev/null
chmod 600 ./*.key
cat ed25519.key.pub p256.key.pub >both.pub
# The payload: 4096 bytes anyone can regenerate.
openssl dgst -sha256 -binary /dev/null >/dev/null # openssl is present
for i in $(seq 0 127); do printf 'rampart test vector payload %03d\n' "$i"; done |
	head -c 4096 >payload.bin
sign() { $R sign --hw vec-board --version 1.2.3 --counter 5 "$@" >/dev/null; }
sign --key ed25519.key --key p256.key payload.bin valid.img
sign --key ed25519.key payload.bin ed25519-only.img
sign --key other.key payload.bin other-key.img
sign --key p256.key payload.bin p256-only.img
# Damaged copies of valid.img.
cp valid.img bad-sig.img # counter 5 -> 6: the header no longer matches
printf '\x06' | dd of=bad-sig.img bs=1 seek=12 conv=notrunc 2>/dev/null
cp valid.img bad-hash.img # one payload byte
printf '\x00' | dd of=bad-hash.img bs=1 seek=1000 conv=notrunc 2>/dev/null
cp valid.img format2.img # format version 2
printf '\x02' | dd of=format2.img bs=1 seek=4 conv=notrunc 2>/dev/null
head -c 2000 valid.img >truncated.img
cp valid.img trailing.img && printf 'garbage' >>trailing.img
# Key sets: genesis {ed25519, p256} 1 of 2, self-signed; epoch 2 revokes
# p256 and adds other, signed by ed25519.
$R keyset create --pub both.pub --threshold 1 --epoch 1 --key ed25519.key \
	genesis.rpks >/dev/null
$R keyset create --prev genesis.rpks --pub ed25519.key.pub \
	--pub other.key.pub --threshold 1 --revoke p256.key.pub \
	--key ed25519.key epoch2.rpks >/dev/null
$R keyset create --pub both.pub --threshold 1 --epoch 3 --key ed25519.key \
	unrevoke.rpks >/dev/null
$R keyset create --prev genesis.rpks --pub both.pub --threshold 1 \
	--epoch 1 --key ed25519.key replay.rpks >/dev/null
echo "vectors rebuilt in $(pwd)"
