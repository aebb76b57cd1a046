#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Check the test vectors: every line of expected.txt with rampart (verdict
# and exit code), and the signatures of valid.img with plain openssl
# through the snippet of docs/image-format.md. Needs RP_BIN_DIR.
set -euo pipefail
R=${RP_BIN_DIR:?}/rampart
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d "${TMPDIR:-/tmp}/rp-vectors-XXXXXX")
trap 'rm -rf "$t"' EXIT
cp -R "$here"/. "$t"/
cd "$t"
fails=0 n=0
while read -r want cmd; do
	case $want in '#'* | '') continue ;; esac
	n=$((n + 1))
	read -r -a args <<<"$cmd"
	sub=("${args[0]}")
	[ "${args[0]}" = keyset ] && sub=(keyset "${args[1]}") && args=("${args[@]:1}")
	set +e
	out=$($R "${sub[@]}" --json "${args[@]:1}" 2>&1)
	rc=$?
	set -e
	code=1
	[ "$want" = RP_OK ] && code=0
	if [ "$rc" -ne "$code" ] || ! grep -q "\"error\":\"$want\"" <<<"$out"; then
		echo "FAIL: $cmd: exit $rc, want $code $want"$'\n'"$out" >&2
		fails=$((fails + 1))
	fi
done <expected.txt
sed -n '/openssl-check:begin/,/openssl-check:end/p' \
	"$here/../image-format.md" | sed '/^```/d; /^<!--/d' >snippet.sh
out=$(img=valid.img pub=ed25519.key.pub n=1 && . ./snippet.sh 2>&1) || true
grep -q 'Signature Verified Successfully' <<<"$out" &&
	grep -q 'payload hash OK' <<<"$out" ||
	{ echo "FAIL: openssl Ed25519: $out" >&2; fails=$((fails + 1)); }
out=$(img=valid.img pub=p256.key.pub n=2 && . ./snippet.sh 2>&1) || true
grep -q 'Verified OK' <<<"$out" ||
	{ echo "FAIL: openssl P-256: $out" >&2; fails=$((fails + 1)); }
if [ "$fails" -ne 0 ]; then
	echo "vectors: $fails of $((n + 2)) checks failed" >&2
	exit 1
fi
echo "vectors: all $((n + 2)) checks passed"
