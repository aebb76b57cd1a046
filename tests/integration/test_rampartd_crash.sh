#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_rampartd_crash.sh - rampartd killed (SIGKILL) in the middle of
# parallel enrollments, twice, at points chosen so that the kill always
# lands mid-work, then restarted:
#   1. just after the store COMMIT of the K-th enrollment, before its HTTP
#      answer (the client gets none): that device is enrolled in the store
#      with the certificate serial the fault point saw, is refused as
#      enrolled when it retries, and enrolls again once the operator allows
#      re-provisioning;
#   2. just before the COMMIT of an enrollment: nothing of it is in the
#      store (not its certificate's serial, not the enrolled state) and the
#      device enrolls at once after the restart.
# The kill comes from fault_commit.c, preloaded into rampartd only
# (RP_FAULT_COMMIT_LIB; the shipped binary has no fault code). Each time
# the test checks that rampartd died of that SIGKILL and not otherwise,
# that exactly the committed enrollments are in the store, that the store
# passes PRAGMA integrity_check, no serial was issued twice, no device is
# half-enrolled (enrolled without a certificate or a certificate without
# an enrolled device), and every client that got its certificate finds it
# recorded; at the end every device is enrolled exactly once (the
# re-provisioned one twice).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"

FAULT_LIB=${RP_FAULT_COMMIT_LIB:?RP_FAULT_COMMIT_LIB not set (the fault point)}
[ -f "$FAULT_LIB" ] || fail "no fault point library at $FAULT_LIB"
N=24
WORKERS=4
K=5 # phase 1 kills after the 5th enrollment's commit
D=$T/data
DB=$D/rampart.db
REAL_BIN=$BIN

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
stop_rd

# start_faulted WHEN NTH: rampartd with the fault point armed by every
# enrollment's certificate insert, killing it WHEN (before-commit or
# after-commit) the NTH such commit. A wrapper in its own bin directory
# gives the preload to rampartd alone (not to the test's own tools).
mkdir "$T/fbin"
ln -s "$REAL_BIN/rampart" "$T/fbin/rampart"
start_faulted() {
	cat >"$T/fbin/rampartd" <<EOF
#!/bin/sh
exec env LD_PRELOAD="$FAULT_LIB" RP_FAULT_AT=$1 RP_FAULT_NTH=$2 \\
	RP_FAULT_SQL="INSERT INTO certs *'device'*" "$REAL_BIN/rampartd" "\$@"
EOF
	chmod +x "$T/fbin/rampartd"
	BIN=$T/fbin
	start_rd "$D"
	BIN=$REAL_BIN
}

# worker PHASE W LIST: enroll every WORKERS-th serial of LIST (one index a
# line) from the W-th on; note "INDEX HTTP_STATUS" in codes-PHASE-W.
worker() {
	local phase=$1 w=$2 list=$3 i code
	awk -v n=$WORKERS -v w="$w" 'NR % n == w % n' "$list" |
		while read -r i; do
			code=$(est POST simpleenroll "$T/claim.pem" \
				"$T/claim.key" "$T/csr-$i" "$T/p7-$i")
			echo "$i $code" >>"$T/codes-$phase-$w"
		done
}
enrolled() { sql "$DB" "SELECT count(*) FROM certs WHERE kind='device'"; }
rd_gone() { ! kill -0 "$RD_PID" 2>/dev/null; }

# run_phase PHASE WHEN NTH LIST: the workers against a faulted rampartd;
# rampartd must die of the fault point's SIGKILL at that commit. Sets
# VSERIAL and VSUBJECT: the certificate the killed transaction inserted.
run_phase() {
	local phase=$1 when=$2 nth=$3 list=$4 w st=0 pids=() line from
	from=$(($(wc -l <"$T/rd.log") + 1))
	start_faulted "$when" "$nth"
	for w in $(seq 1 $WORKERS); do
		: >"$T/codes-$phase-$w"
		worker "$phase" "$w" "$list" &
		pids+=($!)
	done
	for w in "${pids[@]}"; do wait "$w"; done
	# the workers are done: the ones after the kill failed to connect
	wait_until "rampartd killed by the fault point" rd_gone
	wait "$RD_PID" || st=$?
	RD_PID=
	[ $st -eq 137 ] ||
		fail "phase $phase: rampartd ended with status $st, not the fault point's SIGKILL (did every enrollment finish first?)"
	line=$(tail -n "+$from" "$T/rd.log" |
		grep "rp_fault_commit: SIGKILL ${when%-commit} COMMIT $nth of: ") ||
		fail "phase $phase: the fault point did not say it fired $when commit $nth"
	VSERIAL=$(sed -n "s/.*VALUES ('\([0-9a-f]*\)','\(CR-[0-9]*\)','device'.*/\1/p" <<<"$line")
	VSUBJECT=$(sed -n "s/.*VALUES ('\([0-9a-f]*\)','\(CR-[0-9]*\)','device'.*/\2/p" <<<"$line")
	[ -n "$VSERIAL" ] && [ -n "$VSUBJECT" ] ||
		fail "phase $phase: no serial and subject in: $line"
	echo "phase $phase: rampartd killed ${when%-commit} the commit of $VSUBJECT's certificate $VSERIAL ($(enrolled) of $N enrolled)"
	[ "$(sql "$DB" 'PRAGMA integrity_check')" = ok ] ||
		fail "phase $phase: integrity_check after the kill"
}

check_consistent() {
	[ "$(sql "$DB" "SELECT count(*) - count(DISTINCT serial) FROM certs")" = 0 ] ||
		fail "a serial was issued twice"
	[ -z "$(sql "$DB" "SELECT d.serial FROM devices d WHERE d.state = 1 AND (SELECT count(*) FROM certs c WHERE c.subject = d.serial AND c.kind = 'device') != 1")" ] ||
		fail "an enrolled device without exactly one certificate"
	[ -z "$(sql "$DB" "SELECT c.subject FROM certs c JOIN devices d ON d.serial = c.subject WHERE c.kind = 'device' AND d.state != 1")" ] ||
		fail "a certificate for a device not marked enrolled"
}

# serial_of P7: the serial (lower-case hex) of the certificate in P7.
serial_of() {
	p7_to_pem "$1" "$T/c.pem"
	openssl x509 -in "$T/c.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f'
}

# check_answers PHASE: every status is 200 or no answer (000); every 200
# is a certificate the store holds for that device; the victim got none.
check_answers() {
	local f i code s
	for f in "$T/codes-$1-"*; do
		while read -r i code; do
			case $code in
			000) continue ;;
			200) ;;
			*) fail "phase $1: CR-$i got HTTP $code" ;;
			esac
			[ "CR-$i" != "$VSUBJECT" ] ||
				fail "phase $1: $VSUBJECT got an answer from a rampartd killed before answering it"
			s=$(serial_of "$T/p7-$i")
			[ "$(sql "$DB" "SELECT subject FROM certs WHERE serial='$s'")" = "CR-$i" ] ||
				fail "CR-$i got certificate $s that the store lost"
		done <"$f"
	done
}

# Phase 1: killed just after the K-th enrollment's commit.
seq 1 $N >"$T/list-1"
run_phase 1 after-commit $K "$T/list-1"
[ "$(enrolled)" = $K ] ||
	fail "phase 1: $(enrolled) enrollments in the store, $K were committed"
check_consistent
check_answers 1
[ "$(sql "$DB" "SELECT subject || ' ' || kind FROM certs WHERE serial='$VSERIAL'")" = "$VSUBJECT device" ] ||
	fail "phase 1: the committed certificate $VSERIAL of $VSUBJECT is not in the store"
[ "$(sql "$DB" "SELECT state FROM devices WHERE serial='$VSUBJECT'")" = 1 ] ||
	fail "phase 1: $VSUBJECT committed but not enrolled"
ok "killed after a commit, before the answer: $VSUBJECT is enrolled with certificate $VSERIAL, all $K commits kept, nothing else"
AFTER_SUBJECT=$VSUBJECT
AFTER_SERIAL=$VSERIAL

# Phase 2: killed just before the 2nd commit, over the devices not
# enrolled yet.
sql "$DB" "SELECT substr(serial, 4) FROM devices WHERE state != 1 ORDER BY rowid" >"$T/list-2"
run_phase 2 before-commit 2 "$T/list-2"
[ "$(enrolled)" = $((K + 1)) ] ||
	fail "phase 2: $(enrolled) enrollments in the store, $((K + 1)) were committed"
check_consistent
check_answers 2
[ -z "$(sql "$DB" "SELECT subject FROM certs WHERE serial='$VSERIAL' OR subject='$VSUBJECT'")" ] ||
	fail "phase 2: the uncommitted certificate $VSERIAL of $VSUBJECT is in the store"
[ "$(sql "$DB" "SELECT state FROM devices WHERE serial='$VSUBJECT'")" = 0 ] ||
	fail "phase 2: $VSUBJECT is not back on the allowlist after an uncommitted enrollment"
ok "killed before a commit: nothing of $VSUBJECT's enrollment ($VSERIAL) is in the store"
BEFORE_SUBJECT=$VSUBJECT

# Restart without the fault point: the same checks on the reopened store,
# then everyone enrolls once.
start_rd "$D"
check_consistent
k=$(enrolled)
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
	if [ "CR-$i" = "$BEFORE_SUBJECT" ]; then
		[ "$code" = 200 ] ||
			fail "$BEFORE_SUBJECT (killed before its commit) not enrolled at once: $code"
	fi
	if [ "CR-$i" = "$AFTER_SUBJECT" ]; then
		[ "$code" = 403 ] ||
			fail "$AFTER_SUBJECT (committed, never answered) enrolled again without re-provisioning: $code"
	fi
done
[ $((issued + k)) -eq $N ] || fail "$issued issued now + $k before != $N"
check_consistent
ok "after restart: no serial twice, no half-enrolled device; the uncommitted device enrolled, the committed one is refused as enrolled"

# The device whose answer was lost enrolls again the operator's way.
cli device reprovision "$AFTER_SUBJECT" >/dev/null ||
	fail "reprovision $AFTER_SUBJECT"
i=${AFTER_SUBJECT#CR-}
code=$(est POST simpleenroll "$T/claim.pem" "$T/claim.key" "$T/csr-$i" \
	"$T/p7-$i")
[ "$code" = 200 ] || fail "$AFTER_SUBJECT after reprovision: HTTP $code"
s=$(serial_of "$T/p7-$i")
[ "$s" != "$AFTER_SERIAL" ] || fail "the lost certificate was issued again"
[ "$(sql "$DB" "SELECT serial FROM certs WHERE subject='$AFTER_SUBJECT' AND kind='device'" | LC_ALL=C sort)" = \
	"$(printf '%s\n' "$s" "$AFTER_SERIAL" | LC_ALL=C sort)" ] ||
	fail "$AFTER_SUBJECT: the store does not hold exactly its lost and its new certificate"
[ "$(sql "$DB" "SELECT count(*) FROM devices WHERE state = 1")" = $N ] ||
	fail "not all devices enrolled"
[ "$(sql "$DB" "SELECT count(*) - count(DISTINCT serial) FROM certs")" = 0 ] ||
	fail "a serial was issued twice"
stop_rd
[ "$(sql "$DB" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
ok "$AFTER_SUBJECT re-provisioned and enrolled again; all $N devices enrolled"
echo "test_rampartd_crash: all $CHECKS checks passed"
