#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_rampartd_lifecycle.sh - one device through its whole life against
# a real rampartd (docs/lifecycle.md), by the CLI and the admin API: CSV import,
# first enrollment (openssl req + curl, with a claim), quarantine,
# release, forced renewal and renewal, revocation, re-provisioning and a
# second enrollment, decommissioning, re-provisioning back to the
# allowlist, removal. At every step the JSON "state" (GET /devices/ID),
# the state in `rampart device list` and in `rampart allowlist list`
# agree; refused transitions (quarantine, force renewal, release, ping
# and removal of a revoked device, removal of a decommissioned one)
# answer 409 naming the state and the CLI exits 1, changing nothing; and
# the audit hook (its log line) saw each transition exactly once, with
# the right actor and the states before and after.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"

D=$T/data
start_rd "$D"
ID=SN-L

admin() { # admin METHOD PATH [BODY] -> HTTP status; body in $T/o
	curl -s --cacert "$CA" -H "Authorization: Bearer $(cat "$T/token")" \
		-X "$1" ${3:+-d "$3"} -o "$T/o" -w '%{http_code}' "$URL/api/v1/$2"
}

# expect STATE: the three views agree on STATE.
expect() {
	local want=$1 got
	[ "$(admin GET "devices/$ID")" = 200 ] || fail "GET devices/$ID: $(cat "$T/o")"
	got=$(jq -r .state "$T/o")
	[ "$got" = "$want" ] || fail "JSON state $got, want $want"
	got=$(jq -r .inventory_state "$T/o")
	[ "$got" = "$want" ] || fail "JSON inventory_state $got, want $want"
	cli device list >"$T/dl" || fail "device list"
	got=$(awk -v id="$ID" '$1 == id {print $2}' "$T/dl")
	[ "$got" = "$want" ] || fail "device list: $got, want $want: $(cat "$T/dl")"
	cli allowlist list >"$T/al" || fail "allowlist list"
	got=$(awk -v id="$ID" '$1 == id {print $2}' "$T/al")
	[ "$got" = "$want" ] || fail "allowlist list: $got, want $want: $(cat "$T/al")"
	[ "$(admin GET allowlist)" = 200 ] || fail "GET allowlist"
	got=$(jq -r --arg id "$ID" '.[] | select(.serial == $id) | .state' "$T/o")
	[ "$got" = "$want" ] || fail "GET allowlist state $got, want $want"
}

# audited N KIND:NAME TRANSITION FROM TO: the hook's line for it, N
# times in the whole log.
N_AUDIT=0
audited() {
	local n=$1 who=$2 t=$3 from=$4 to=$5 got
	got=$(grep -cF "[audit actor=$who device=$ID transition=$t from=$from to=$to]" \
		"$T/rd.log" || true)
	[ "$got" = "$n" ] || fail "audit of $t $from -> $to by $who: $got lines, want $n"
}

# refused WHAT CMD...: the CLI exits 1, rampartd said 409 and the state.
refused() {
	local what=$1 st=0
	shift
	cli "$@" >"$T/out" 2>&1 || st=$?
	[ $st = 1 ] || fail "$what: exit $st: $(cat "$T/out")"
	grep -q "(409)" "$T/out" || fail "$what: not a 409: $(cat "$T/out")"
}

printf 'serial,hw_type,hw_token,group,tags\n%s,tpm2,,line-a,\n' "$ID" >"$T/a.csv"
cli allowlist import "$T/a.csv" >/dev/null || fail "allowlist import"
expect allowlisted
audited 1 operator:admin add absent allowlisted
refused "quarantine of an allowlisted device" \
	device quarantine "$ID" --reason x
grep -qF "device $ID is allowlisted" "$T/out" || fail "quarantine: $(cat "$T/out")"
ok "CSV import: allowlisted in all three views, one audit line by operator:admin; quarantine refused (409, exit 1)"

cli claim create --group line-a --expires 1d --out "$T/claim" >/dev/null ||
	fail "claim create"
new_key "$T/k1"
csr_b64 "$T/k1" "$ID" >"$T/c1"
code=$(est POST simpleenroll "$T/claim.pem" "$T/claim.key" "$T/c1" "$T/p1")
[ "$code" = 200 ] || fail "simpleenroll: HTTP $code"
p7_to_pem "$T/p1" "$T/cert1"
expect enrolled
audited 1 "device:$ID" enroll allowlisted enrolled
ok "simpleenroll: enrolled everywhere, audited once as the device"

cli device quarantine "$ID" --reason "odd traffic" >/dev/null || fail "quarantine"
expect quarantined
refused "quarantine twice" device quarantine "$ID" --reason again
grep -qF "device $ID is quarantined" "$T/out" || fail "twice: $(cat "$T/out")"
cli device release "$ID" >/dev/null || fail "release"
expect enrolled
refused "release twice" device release "$ID"
audited 1 operator:admin quarantine enrolled quarantined
audited 1 operator:admin release quarantined enrolled
ok "quarantine and release: the views follow, doubles refused, each audited once"

cli device renew "$ID" >/dev/null || fail "force renewal"
expect enrolled
new_key "$T/k2"
csr_b64 "$T/k2" "$ID" >"$T/c2"
code=$(est POST simplereenroll "$T/cert1" "$T/k1" "$T/c2" "$T/p2")
[ "$code" = 200 ] || fail "simplereenroll: HTTP $code"
expect enrolled
audited 1 operator:admin force-renew enrolled enrolled
audited 1 "device:$ID" renew enrolled enrolled
ok "forced renewal and renewal: audited once each (operator, then device)"

cli device revoke "$ID" --reason keyCompromise >"$T/out" || fail "revoke: $(cat "$T/out")"
expect revoked
audited 1 operator:admin revoke enrolled revoked
grep -qF "admin: revoked $ID: revoked 2 certificate(s), reason keyCompromise [audit" \
	"$T/rd.log" || fail "the revocation's log line"
refused "quarantine of a revoked device" device quarantine "$ID" --reason x
grep -qF "device $ID is revoked; re-provision it first" "$T/out" ||
	fail "quarantine of revoked: $(cat "$T/out")"
[ "$(admin POST "devices/$ID/quarantine" '{"reason":"x"}')" = 409 ] ||
	fail "API quarantine of revoked: not 409"
jq -e --arg m "device $ID is revoked; re-provision it first" '.error == $m' \
	"$T/o" >/dev/null || fail "API body: $(cat "$T/o")"
refused "force renewal of a revoked device" device renew "$ID"
refused "release of a revoked device" device release "$ID"
refused "second revocation" device revoke "$ID" --reason keyCompromise
refused "removal of a revoked device" allowlist remove "$ID"
refused "ping of a revoked device" device ping "$ID"
grep -qF "device is revoked, not enrolled" "$T/out" || fail "ping: $(cat "$T/out")"
expect revoked
[ "$(grep -cF "device=$ID transition=quarantine" "$T/rd.log")" = 1 ] ||
	fail "a refused quarantine was audited"
ok "revoke: revoked everywhere; quarantine/renew/release/revoke/remove/ping refused with 409 naming the state, exit 1, nothing changed or audited"

code=$(est POST simpleenroll "$T/claim.pem" "$T/claim.key" "$T/c1" "$T/o")
[ "$code" = 403 ] || fail "enrollment of a revoked device without approval: $code"
cli device reprovision "$ID" >/dev/null || fail "reprovision"
expect revoked
new_key "$T/k3"
csr_b64 "$T/k3" "$ID" >"$T/c3"
code=$(est POST simpleenroll "$T/claim.pem" "$T/claim.key" "$T/c3" "$T/p3")
[ "$code" = 200 ] || fail "re-enrollment: HTTP $code"
expect enrolled
audited 1 operator:admin reprovision revoked revoked
audited 1 "device:$ID" enroll revoked enrolled
ok "re-provisioning: refused before the approval, enrolled after it; audited once each"

cli device decommission "$ID" >/dev/null || fail "decommission"
expect decommissioned
audited 1 operator:admin decommission enrolled decommissioned
refused "removal of a decommissioned device" allowlist remove "$ID"
grep -qF "device $ID is decommissioned" "$T/out" || fail "remove: $(cat "$T/out")"
code=$(est POST simpleenroll "$T/claim.pem" "$T/claim.key" "$T/c3" "$T/o")
[ "$code" = 403 ] || fail "enrollment of a decommissioned device: $code"
cli device reprovision "$ID" >/dev/null || fail "reprovision after decommission"
expect allowlisted
audited 1 operator:admin reprovision decommissioned allowlisted
cli allowlist remove "$ID" >/dev/null || fail "remove"
audited 1 operator:admin remove allowlisted absent
[ "$(admin GET "devices/$ID")" = 404 ] || fail "removed device still shown"
ok "decommission, re-provision back to the allowlist, remove: each audited once"

# every transition above, and nothing else: 12
n=$(grep -cF "device=$ID transition=" "$T/rd.log")
[ "$n" = 12 ] || fail "$n audit lines for $ID, want 12: $(grep -F "device=$ID" "$T/rd.log")"
stop_rd
ok "12 transitions, 12 audit lines; rampartd stopped cleanly"
