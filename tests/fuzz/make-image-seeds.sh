#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Regenerate the seed corpora of fuzz_image and fuzz_keyset with the fixed
# keys of fuzz_keys.h (Ed25519 seeds 0x01.. and 0x02..), through the
# rampart CLI. usage: make-image-seeds.sh BUILD_BIN_DIR
set -euo pipefail
R=$1/rampart
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t"
for i in 1 2; do
	# PKCS#8 DER of an Ed25519 key is a fixed prefix and the 32-byte seed.
	(printf '302e020100300506032b657004220420' | xxd -r -p
	 head -c 32 /dev/zero | tr '\0' "\\00$i") |
		openssl pkey -inform DER -out k$i 2>/dev/null
	chmod 600 k$i
done
img=$here/corpus/image
ks=$here/corpus/keyset
mkdir -p "$img" "$ks"
printf 'hello, fuzzer\n' >p
export SOURCE_DATE_EPOCH=1700000000
$R sign --key k1 --hw fuzz --version 1.0.0 --counter 1 p "$img/one-sig" >/dev/null
$R sign --key k1 --key k2 --hw fuzz --version 1.0.1 --counter 2 p "$img/two-sigs" >/dev/null
$R sign --key k2 --hw other --version 0.0.1 --counter 0 p "$img/other-hw" >/dev/null
: >e
$R sign --key k1 --hw fuzz --version 9.9.9 --counter 9 e "$img/empty-payload" >/dev/null
head -c 150 "$img/one-sig" >"$img/cut-header"
cp "$img/one-sig" "$img/trailing" && printf 'x' >>"$img/trailing"
openssl pkey -in k1 -pubout -out k1.pub
openssl pkey -in k2 -pubout -out k2.pub
$R keyset create --pub k1.pub --pub k2.pub --threshold 1 --epoch 1 \
	--key k1 "$ks/genesis" >/dev/null
$R keyset create --pub k1.pub --pub k2.pub --threshold 2 --epoch 2 \
	--revoke abababababababababababababababababababababababababababababababab \
	--key k1 --key k2 "$ks/rotate" >/dev/null
$R keyset create --pub k2.pub --threshold 1 --epoch 3 --revoke k1.pub \
	--revoke abababababababababababababababababababababababababababababababab \
	--key k2 "$ks/revoke" >/dev/null
ls -l "$img" "$ks"
