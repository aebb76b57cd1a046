#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_rampartd_crash.sh - kill -9 of rampartd in the middle of parallel
# enrollments, then restart: the store passes PRAGMA integrity_check, no
# serial was issued twice, no device is half-enrolled (enrolled without a
# certificate or a certificate without an enrolled device), every client
# that got its certificate finds it recorded, and the devices that did not
# finish enroll after the restart exactly once.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"

N=60
WORKERS=4
D=$T/data
DB=$D/rampart.db
start_rd "$D"

{
	echo "serial,hw_type,hw_token,group,tags"
	for i in $(seq 1 $N); do echo "CR-$i,tpm2,,crash,"; done
} >"$T/allow.csv"
cli allowlist import "$T/allow.csv" >/dev/null || fail "import"
cli claim create --group crash --expires 1d --out "$T/claim" >/dev/null ||
	fail "claim"
new_key "$T/k"
for i in $(seq 1 $N); do csr_b64 "$T/k" "CR-$i" >"$T/csr-$i"; done

# worker W enrolls serials W, W+WORKERS, ... and notes each HTTP status
worker() {
	local w=$1 i code
	for ((i = w; i <= N; i += WORKERS)); do
		code=$(est POST simpleenroll "$T/claim.pem" "$T/claim.key" \
			"$T/csr-$i" "$T/p7-$i")
		echo "$i $code" >>"$T/codes-$w"
	done
}
enrolled() { sql "$DB" "SELECT count(*) FROM certs WHERE kind='device'"; }
at_least_5() { [ "$(enrolled)" -ge 5 ]; }

pids=()
for w in $(seq 1 $WORKERS); do
	worker "$w" &
	pids+=($!)
done
wait_until "5 enrollments" at_least_5
kill -9 "$RD_PID"
wait "$RD_PID" 2>/dev/null || true
RD_PID=
for p in "${pids[@]}"; do wait "$p"; done
k=$(enrolled)
echo "killed rampartd with $k of $N enrolled"
[ "$k" -lt "$N" ] || echo "note: all enrollments finished before the kill"

[ "$(sql "$DB" 'PRAGMA integrity_check')" = ok ] ||
	fail "integrity_check after kill -9"
ok "store passes integrity_check after kill -9"

start_rd "$D"
check_consistent() {
	[ "$(sql "$DB" "SELECT count(*) - count(DISTINCT serial) FROM certs")" = 0 ] ||
		fail "a serial was issued twice"
	[ -z "$(sql "$DB" "SELECT d.serial FROM devices d WHERE d.state = 1 AND (SELECT count(*) FROM certs c WHERE c.subject = d.serial AND c.kind = 'device') != 1")" ] ||
		fail "an enrolled device without exactly one certificate"
	[ -z "$(sql "$DB" "SELECT c.subject FROM certs c JOIN devices d ON d.serial = c.subject WHERE c.kind = 'device' AND d.state != 1")" ] ||
		fail "a certificate for a device not marked enrolled"
}
check_consistent
# every 200 the clients saw is a certificate the store knows
for f in "$T"/codes-*; do
	while read -r i code; do
		[ "$code" = 200 ] || continue
		p7_to_pem "$T/p7-$i" "$T/c.pem"
		s=$(openssl x509 -in "$T/c.pem" -noout -serial | cut -d= -f2 |
			tr 'A-F' 'a-f')
		[ "$(sql "$DB" "SELECT subject FROM certs WHERE serial='$s'")" = "CR-$i" ] ||
			fail "CR-$i got certificate $s that the store lost"
	done <"$f"
done
ok "after restart: no serial twice, no half-enrolled device, no lost certificate"

# the rest enroll now, the finished ones are refused as enrolled
issued=0
for i in $(seq 1 $N); do
	code=$(est POST simpleenroll "$T/claim.pem" "$T/claim.key" \
		"$T/csr-$i" "$T/p7-$i")
	case $code in
	200) issued=$((issued + 1)) ;;
	403) [ "$(last_refusal "$DB" | cut -d'|' -f1,2)" = "RP_E_ENROLLED|CR-$i" ] ||
		fail "CR-$i refused for $(last_refusal "$DB")" ;;
	*) fail "CR-$i: HTTP $code after restart" ;;
	esac
done
[ $((issued + k)) -eq $N ] || fail "$issued issued now + $k before != $N"
check_consistent
[ "$(sql "$DB" "SELECT count(*) FROM devices WHERE state = 1")" = $N ] ||
	fail "not all devices enrolled"
stop_rd
[ "$(sql "$DB" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
ok "the unfinished devices enroll once after restart; the others are refused"
echo "test_rampartd_crash: all $CHECKS checks passed"
