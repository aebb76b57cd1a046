#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Signed images end to end through the rampart CLI: keygen (modes,
# passphrases), sign, verify (each refusal with its exit code and rp_err
# name), inspect, key-set rotation and revocation; signatures checked with
# plain openssl by the snippet in docs/image-format.md (run as written
# there); and signing inside softhsm2 (P-256, and Ed25519 on its own token)
# checked by openssl and by rampart verify.
set -euo pipefail
R=${RP_BIN_DIR:?}/rampart
src=${RP_SRC_DIR:?}
t=$(mktemp -d "${TMPDIR:-/tmp}/rp-image-cli-XXXXXX")
trap 'rm -rf "$t"' EXIT
cd "$t"
# softhsm2 2.6.1 leaks in C_SignInit for EdDSA; it is not ours.
echo "leak:libsofthsm2.so" >lsan.supp
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0
export LSAN_OPTIONS=suppressions=$t/lsan.supp

. "${RP_SRC_DIR:?}/tests/integration/cli_lib.sh"

# The openssl-only check, exactly as docs/image-format.md shows it.
sed -n '/openssl-check:begin/,/openssl-check:end/p' \
	"$src/docs/image-format.md" | sed '/^```/d; /^<!--/d' >check.sh
[ "$(wc -l <check.sh)" -gt 10 ] || bad "no openssl snippet in the docs"
openssl_check() { # IMG PUB N -> output of the snippet
	(img=$1 pub=$2 n=$3 && . ./check.sh) 2>&1
}

# --- keygen
$R keygen --alg ed25519 --out ed >keygen.out
$R keygen --alg p256 --out ec >/dev/null
printf 'correct horse\n' >pass
$R keygen --alg p256 --out enc --passphrase-file pass >/dev/null
for k in ed ec enc; do
	[ "$(stat -c %a $k)" = 600 ] || bad "$k mode $(stat -c %a $k)"
	openssl pkey -pubin -in $k.pub -noout || bad "$k.pub not PEM"
done
grep -q 'ENCRYPTED PRIVATE KEY' enc || bad "enc not encrypted PKCS#8"
grep -q 'ENCRYPTED' ed && bad "ed encrypted without a passphrase"
openssl pkey -in ed -noout || bad "ed is not PKCS#8 openssl reads"
# The printed key id is SHA-256(alg || raw key), computed by openssl here.
id=$( (printf '\001'; openssl pkey -pubin -in ed.pub -outform DER |
	tail -c 32) | openssl dgst -sha256 -r | cut -d' ' -f1)
grep -q "key id: *$id" keygen.out || bad "keygen key id != openssl's"
expect 2 "already exists" $R keygen --alg ed25519 --out ed
expect 2 - $R keygen --alg rsa --out x

# --- sign
head -c 300000 /dev/urandom >fw.bin
$R sign --key ed --key ec --hw board-a --version 1.4.2 --counter 9 \
	fw.bin fw.img >/dev/null
expect 2 "key enc is encrypted: give its passphrase with --passphrase-file FILE" \
	$R sign --key enc --hw b --version 1.0.0 --counter 1 fw.bin x.img
# the errors name the file and say what to do
expect 2 "rampart sign: --key missing.key: No such file or directory" \
	$R sign --key missing.key --hw b --version 1.0.0 --counter 1 fw.bin x.img
expect 2 "rampart sign: --key ed.pub is a public key; sign with the private key" \
	$R sign --key ed.pub --hw b --version 1.0.0 --counter 1 fw.bin x.img
# a public key is 0644 by right: no warning about its mode first; a
# private key readable by others is warned about
out=$($R sign --key ed.pub --hw b --version 1.0.0 --counter 1 fw.bin x.img 2>&1 || true)
grep -q "readable by others" <<<"$out" && bad "sign warned about ed.pub's mode: $out"
cp ed loose && chmod 644 loose
expect 0 "key file loose is readable by others (mode 644); it should be 0600" \
	$R sign --key loose --hw b --version 1.0.0 --counter 1 fw.bin x.img
rm -f loose x.img
expect 2 "rampart sign: cannot read the payload no-such.bin: No such file or directory" \
	$R sign --key ed --hw b --version 1.0.0 --counter 1 no-such.bin x.img
echo wrong >wrongpass
expect 2 RP_E_PASSPHRASE $R sign --key enc --passphrase-file wrongpass \
	--hw b --version 1.0.0 --counter 1 fw.bin x.img
$R sign --key enc --passphrase-file pass --hw board-a --version 1.4.3 \
	--counter 10 fw.bin enc.img >/dev/null
expect 2 - $R sign --key ed --hw "" --version 1.0.0 --counter 1 fw.bin x.img
expect 2 - $R sign --key ed --hw b --version 1.0 --counter 1 fw.bin x.img
expect 2 - $R sign --key ed --hw b --version 1.0.0 --counter -1 fw.bin x.img
[ ! -e x.img ] || bad "a failed sign left x.img"

# --- verify
cat ed.pub ec.pub >both.pem
expect 0 valid $R verify --trust ed.pub fw.img
expect 0 RP_OK $R verify --json --trust both.pem --threshold 2 \
	--hw board-a --min-counter 9 fw.img
expect 0 valid $R verify --trust enc.pub enc.img
expect 1 RP_E_SIG_THRESHOLD $R verify --json --trust both.pem \
	--trust enc.pub --threshold 3 fw.img
expect 1 RP_E_SIG_UNKNOWN_KEY $R verify --json --trust enc.pub fw.img
expect 1 RP_E_IMAGE_HW $R verify --json --trust ed.pub --hw board-b fw.img
expect 1 RP_E_IMAGE_COUNTER $R verify --json --trust ed.pub \
	--min-counter 10 fw.img
cp fw.img tampered.img
printf '\x5a' | dd of=tampered.img bs=1 seek=5000 conv=notrunc 2>/dev/null
expect 1 RP_E_IMAGE_HASH $R verify --json --trust ed.pub tampered.img
cp fw.img hdr.img
printf '\x0a' | dd of=hdr.img bs=1 seek=12 conv=notrunc 2>/dev/null
expect 1 RP_E_SIG_BAD $R verify --json --trust ed.pub hdr.img
head -c 1000 fw.img >short.img
expect 1 RP_E_IMAGE_TRUNCATED $R verify --json --trust ed.pub short.img
cp fw.img long.img && printf 'x' >>long.img
expect 1 RP_E_IMAGE_TRAILING $R verify --json --trust ed.pub long.img
expect 0 valid $R verify --slot --trust ed.pub long.img
cp fw.img v2.img
printf '\x02' | dd of=v2.img bs=1 seek=4 conv=notrunc 2>/dev/null
expect 1 RP_E_IMAGE_VERSION $R verify --json --trust ed.pub v2.img
expect 1 RP_E_IMAGE_MAGIC $R verify --json --trust ed.pub fw.bin
expect 2 - $R verify --trust ed.pub missing.img
expect 2 - $R verify --trust nothing.pem fw.img
expect 2 - $R verify --trust ed.pub --threshold 2 fw.img
expect 2 - $R verify fw.img

# --- inspect
expect 0 board-a $R inspect fw.img
expect 0 '"version":"1.4.2"' $R inspect --json fw.img
expect 1 RP_E_IMAGE_TRUNCATED $R inspect --json short.img
expect 2 - $R inspect missing.img

# --- plain openssl, as documented
out=$(openssl_check fw.img ed.pub 1)
grep -q 'Signature Verified Successfully' <<<"$out" &&
	grep -q 'payload hash OK' <<<"$out" && ok "openssl: Ed25519" ||
	bad "openssl Ed25519 check: $out"
out=$(openssl_check fw.img ec.pub 2)
grep -q 'Verified OK' <<<"$out" && grep -q 'payload hash OK' <<<"$out" &&
	ok "openssl: P-256" || bad "openssl P-256 check: $out"
out=$(openssl_check hdr.img ed.pub 1) || true
grep -q 'Signature Verified Successfully' <<<"$out" &&
	bad "openssl accepted a changed header" || ok "openssl: refuses hdr.img"
out=$(openssl_check tampered.img ec.pub 2) || true
grep -q 'payload hash OK' <<<"$out" &&
	bad "openssl snippet accepted a changed payload" ||
	ok "openssl: payload change seen"

# --- key sets: genesis, rotation, revocation
$R keygen --alg ed25519 --out k3 >/dev/null
$R keyset create --pub ed.pub --pub ec.pub --pub k3.pub --threshold 2 \
	--epoch 1 --key ed --key ec gen.rpks >/dev/null
expect 0 accepted $R keyset verify gen.rpks
expect 0 '"threshold":2' $R keyset show --json gen.rpks
# fw.img (signed by ed and ec) meets 2 of 3.
expect 0 valid $R verify --trust gen.rpks fw.img
expect 1 RP_E_SIG_UNKNOWN_KEY $R verify --json --trust gen.rpks enc.img
$R sign --key ed --hw board-a --version 1.4.2 --counter 9 fw.bin ed.img \
	>/dev/null
expect 1 RP_E_SIG_THRESHOLD $R verify --json --trust gen.rpks ed.img
# ec is stolen: a new set revokes it, signed by ed alone first...
$R keyset create --prev gen.rpks --pub ed.pub --pub k3.pub --pub enc.pub \
	--threshold 2 --revoke ec.pub --key ed next.rpks >next.out
grep -q 'not yet accepted' next.out || bad "1 of 2 reported as accepted"
expect 1 RP_E_SIG_THRESHOLD $R keyset verify --json --current gen.rpks \
	next.rpks
# ... and ec cannot vote for the set that revokes it.
cp next.rpks byec.rpks
$R keyset sign --key ec byec.rpks >/dev/null
expect 1 RP_E_KEY_REVOKED $R keyset verify --json --current gen.rpks \
	byec.rpks
$R keyset sign --key k3 next.rpks >/dev/null
expect 0 accepted $R keyset verify --current gen.rpks next.rpks
# Replays and downgrades.
expect 1 RP_E_KEYSET_EPOCH $R keyset verify --json --current next.rpks \
	next.rpks
$R keyset create --prev next.rpks --pub ed.pub --pub ec.pub --threshold 1 \
	--key ed --key k3 undo.rpks >/dev/null 2>&1 &&
	bad "created a set trusting a revoked key" || ok "refuses revived key"
$R keyset create --pub ed.pub --threshold 1 --epoch 3 --key ed --key k3 \
	unrev.rpks >/dev/null
expect 1 RP_E_KEYSET_UNREVOKED $R keyset verify --json --current next.rpks \
	unrev.rpks
# Under the new set an image signed with the revoked key no longer counts.
$R sign --key ec --key ed --hw board-a --version 2.0.0 --counter 11 \
	fw.bin ec-ed.img >/dev/null
expect 1 RP_E_KEY_REVOKED $R verify --json --trust next.rpks ec-ed.img
$R sign --key k3 --key ed --hw board-a --version 2.0.0 --counter 11 \
	fw.bin k3-ed.img >/dev/null
expect 0 valid $R verify --trust next.rpks k3-ed.img
expect 2 - $R verify --trust next.rpks --threshold 1 k3-ed.img
head -c 100 next.rpks >cut.rpks
expect 1 RP_E_KEYSET $R keyset verify --json cut.rpks

# --- softhsm2: P-256 on one token, Ed25519 on its own
module=$(dpkg -L libsofthsm2 | grep '/libsofthsm2\.so$' | head -n1)
mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\n' \
	"$t" >softhsm2.conf
export SOFTHSM2_CONF=$t/softhsm2.conf
softhsm2-util --init-token --free --label rel-ec --pin 1234 --so-pin 5678 \
	>/dev/null
softhsm2-util --init-token --free --label rel-ed --pin 1234 --so-pin 5678 \
	>/dev/null
p11() { pkcs11-tool --module "$module" --login --pin 1234 "$@" >/dev/null; }
p11 --token-label rel-ec --keypairgen --key-type EC:prime256v1 \
	--label release --id 01
p11 --token-label rel-ed --keypairgen --key-type EC:edwards25519 \
	--label release --id 02
echo 1234 >pin
uec="pkcs11:token=rel-ec;object=release;type=private?pin-source=file:$t/pin&module-path=$module"
ued="pkcs11:token=rel-ed;id=%02?pin-value=1234&module-path=$module"
# The P-256 public key straight from the token, converted by openssl.
pkcs11-tool --module "$module" --token-label rel-ec --read-object \
	--type pubkey --id 01 -o hsm-ec.der >/dev/null
openssl pkey -pubin -inform DER -in hsm-ec.der -out hsm-ec.pub
$R pubkey "$ued" --out hsm-ed.pub >/dev/null
$R sign --key "$uec" --key "$ued" --hw board-a --version 3.0.0 \
	--counter 12 fw.bin hsm.img >/dev/null
cat hsm-ec.pub hsm-ed.pub >hsm.pem
expect 0 valid $R verify --trust hsm.pem --threshold 2 hsm.img
out=$(openssl_check hsm.img hsm-ec.pub 1)
grep -q 'Verified OK' <<<"$out" && ok "openssl: softhsm2 P-256" ||
	bad "openssl softhsm2 P-256: $out"
out=$(openssl_check hsm.img hsm-ed.pub 2)
grep -q 'Signature Verified Successfully' <<<"$out" &&
	ok "openssl: softhsm2 Ed25519" || bad "openssl softhsm2 Ed25519: $out"
expect 2 RP_E_PASSPHRASE $R sign \
	--key "pkcs11:token=rel-ec;object=release?pin-value=0000&module-path=$module" \
	--hw b --version 1.0.0 --counter 1 fw.bin x.img
expect 2 RP_E_PKCS11_NO_KEY $R sign \
	--key "pkcs11:token=rel-ec;object=nope?pin-value=1234&module-path=$module" \
	--hw b --version 1.0.0 --counter 1 fw.bin x.img
expect 2 RP_E_KEY_FORMAT $R sign \
	--key "pkcs11:token=rel-ec;objekt=release?pin-value=1234&module-path=$module" \
	--hw b --version 1.0.0 --counter 1 fw.bin x.img
# The key never left the token: it is not extractable.
pkcs11-tool --module "$module" --token-label rel-ec --login --pin 1234 \
	--list-objects --type privkey 2>/dev/null | grep -q 'never extractable' ||
	bad "token key extractable"

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed" >&2
	exit 1
fi
echo "image_cli: all checks passed"
