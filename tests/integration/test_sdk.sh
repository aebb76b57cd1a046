#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_sdk.sh - the device SDK as shipped is enough to get and keep an
# identity: sdk_enroll (linked with librampart.so alone, nothing else of
# ours: checked with ldd/readelf) enrolls a file keystore against a real
# rampartd with a claim certificate, renews on its own event loop (a
# cancelled renewal beside it never calls back), then renews blocking;
# each certificate is checked here with openssl against the fleet root,
# and rampartd's store holds the three, all for the same device.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"

SDK=$BIN/sdk_enroll
[ -x "$SDK" ] || fail "no $SDK"
readelf -d "$SDK" | grep -q 'NEEDED.*librampart\.so' ||
	fail "sdk_enroll is not linked with librampart.so"
if nm "$SDK" | grep -qE ' [TtDd] rp_'; then
	fail "sdk_enroll carries librampart code of its own: $(nm "$SDK" | grep -E ' [TtDd] rp_' | head -3)"
fi

D=$T/data
printf '[pki]\nrenew_window = 100d\n' >"$T/rd.conf"
start_rd "$D" --config "$T/rd.conf"
printf 'serial,hw_type,hw_token,group,tags\nSDK-1,file,,line-a,\n' >"$T/allow.csv"
cli allowlist import "$T/allow.csv" >/dev/null || fail "allowlist import"
cli claim create --group line-a --expires 1d --out "$T/claim" >/dev/null ||
	fail "claim create"

st=0
"$SDK" "$URL" "$CA" "$T/claim.pem" "$T/claim.key" "$T/ks" SDK-1 >"$T/out" 2>&1 || st=$?
cat "$T/out"
[ $st = 0 ] || fail "sdk_enroll: exit $st"
grep -q '^enrolled SDK-1 serial ' "$T/out" || fail "no enrollment line"
grep -q '^renewal due now$' "$T/out" || fail "no due line"
grep -q '^renewed on the loop: serial ' "$T/out" || fail "no loop renewal"
grep -q '^renewed blocking: serial ' "$T/out" || fail "no blocking renewal"
ok "SDK: rp_enroll, a second rp_enroll refused, rp_renew_when due, rp_renew_start on the caller's loop (a cancelled one never calls back), rp_renew"

# the keystore's certificate: the device's, chained to the fleet root,
# and the newest rampartd issued
[ -f "$T/ks/cert.pem" ] || fail "no certificate in the keystore: $(ls "$T/ks")"
openssl verify -CAfile "$CA" -untrusted "$T/ks/chain.pem" -purpose sslclient "$T/ks/cert.pem" >/dev/null ||
	fail "the renewed certificate does not chain to the fleet root"
openssl x509 -in "$T/ks/cert.pem" -noout -subject | grep -q 'CN *= *SDK-1' ||
	fail "the stored certificate is not SDK-1's"
n=$(sql "$D/rampart.db" "SELECT count(*) FROM certs WHERE kind='device' AND subject='SDK-1'")
[ "$n" = 3 ] || fail "rampartd issued $n certificates, want 3 (enroll + 2 renewals)"
ok "SDK: the stored certificate chains to the fleet root (openssl verify), CN SDK-1; rampartd issued $n"
