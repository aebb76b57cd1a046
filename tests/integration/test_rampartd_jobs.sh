#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_rampartd_jobs.sh - rampartd's periodic work (server/jobs/) in a real
# rampartd, without waiting for a clock:
#  - SIGHUP moves due times: a longer crl_lifetime puts the CRL past its
#    half-life (re-published at once, in the store's crls table) and a
#    renew_window past the identities' expiry renews them (new keys, read
#    with openssl) and rewrites the snapshot with the new pins, once;
#  - a snapshot write that fails (broker/ replaced by a file) triggers the
#    snapshot job, which retries with backoff, logs the failure once for
#    the whole streak, and writes the snapshot after "a failed write" once
#    broker/ can be written again.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"

D=$T/data
SNAP=$D/broker/fleet.snapshot
# log_level debug: the job's retries are logged at debug only
printf '[server]\nlog_level = debug\n[pki]\ncrl_lifetime = 1h\n' >"$T/rd.conf"
start_rd "$D" --config "$T/rd.conf"
DB=$D/rampart.db
count() { grep -c -- "$1" "$T/rd.log" || true; }
[ "$(count 'published CRL')" = 1 ] || fail "not one CRL at start"
wait_until "the first snapshot" test -s "$SNAP"

# pin KEYFILE: the SHA-256 of its public key (as the snapshot pins it)
pin() {
	openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | sha256sum |
		cut -c1-64
}
svc_pin=$(pin "$D/pki/service.key")
mon_pin=$(pin "$D/pki/monitor.key")
grep -q "$svc_pin" "$SNAP" || fail "the snapshot does not pin service.key"

# --- SIGHUP: CRL past half-life, identities within the window
printf '[server]\nlog_level = debug\n[pki]\ncrl_lifetime = 90d\nrenew_window = 100d\n' \
	>"$T/rd.conf"
kill -HUP "$RD_PID"
wait_until "the CRL re-published" \
	grep -q 'pki: published CRL 2 ' "$T/rd.log"
wait_until "the snapshot after the renewal" \
	grep -q "written after a renewal of rampartd's MQTT identities" \
	"$T/rd.log"
[ "$(sql "$DB" 'SELECT count(*) FROM crls')" = 2 ] || fail "crls rows"
nu=$(sql "$DB" 'SELECT next_update - this_update FROM crls ORDER BY number DESC LIMIT 1')
[ "$nu" = $((90 * 86400)) ] || fail "the new CRL's lifetime is $nu s"
[ "$(pin "$D/pki/service.key")" != "$svc_pin" ] || fail "service key not renewed"
[ "$(pin "$D/pki/monitor.key")" != "$mon_pin" ] || fail "monitor key not renewed"
grep -q "$(pin "$D/pki/service.key")" "$SNAP" ||
	fail "the snapshot does not pin the new service key"
# the renewed identities live renew_window + device_lifetime: not due again
na=$(date -d "$(openssl x509 -in "$D/pki/service.pem" -noout -enddate |
	cut -d= -f2)" +%s)
[ $(((na - $(date +%s)) / 86400)) -ge 189 ] || fail "service.pem too short-lived"
ok "SIGHUP: CRL 2 at once (half-life passed), identities renewed, snapshot with the new pins"

# --- a snapshot write that fails: the job retries with backoff
new_key "$T/d.key"
printf 'serial,hw_type,hw_token,group,tags\nSN-1,tpm2,,line-a,\n' >"$T/a.csv"
cli allowlist import "$T/a.csv" >/dev/null || fail "allowlist import"
cli claim create --group line-a --expires 1d --out "$T/claim" >/dev/null ||
	fail "claim create"
rm -rf "$D/broker"
: >"$D/broker" # a file: the snapshot cannot be written, not even by root
csr_b64 "$T/d.key" SN-1 >"$T/d.b64"
code=$(est POST simpleenroll "$T/claim.pem" "$T/claim.key" "$T/d.b64" "$T/d.p7")
[ "$code" = 200 ] || fail "simpleenroll: HTTP $code (a failed snapshot must not fail it)"
wait_until "the enrollment's failed write" \
	grep -q 'FLEET SNAPSHOT NOT WRITTEN after an enrollment' "$T/rd.log"
wait_until "the snapshot job's first failure" \
	grep -q 'jobs: snapshot failed (input/output error); retrying with backoff' \
	"$T/rd.log"
wait_until "a retry with backoff" \
	grep -q 'jobs: snapshot failed again (input/output error), attempt 2' \
	"$T/rd.log"
rm -f "$D/broker"
wait_until "the snapshot written after the failed write" \
	grep -q 'written after a failed write' "$T/rd.log"
wait_until "the job's recovery" \
	grep -q 'jobs: snapshot succeeded again after [0-9]* failed attempt' \
	"$T/rd.log"
grep -qx 'device SN-1 active' "$SNAP" || fail "SN-1 not in the rewritten snapshot"
[ "$(count 'jobs: snapshot failed (')" = 1 ] ||
	fail "the failure streak was logged $(count 'jobs: snapshot failed (') times"
[ "$(stat -c %a "$D/broker")" = 750 ] || fail "broker/ recreated with another mode"
ok "a failed snapshot write: retried by the snapshot job with backoff, one error line for the streak, written once possible"

# nothing ran again in a loop meanwhile
[ "$(count 'published CRL')" = 2 ] || fail "the CRL job ran again"
[ "$(count 'issued the MQTT service certificate')" = 2 ] ||
	fail "the identities were renewed again"
stop_rd
ok "clean stop; the CRL and identity jobs ran once each"
