#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_agent_est.sh BACKEND - rampart-agent end to end against a real
# rampartd, with the key in one keystore back-end: file, pkcs11 (softhsm2)
# or tpm (swtpm behind tpm2-abrmd on a private D-Bus). Enrollment with a
# claim certificate (chain checked by openssl verify), a second enrollment
# refused, renewal not yet due, renewal inside the window over mTLS with
# the keystore's key, renewal that rides out a server outage with backoff,
# and erase. Uses rd_lib.sh (rampartd, waits with deadlines, cleanup).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"

BACKEND=${1:?usage: test_agent_est.sh file|pkcs11|tpm}
AGENT=$BIN/rampart-agent
KS=$T/ks
MINE=()

# Stop what this script started (swtpm, dbus-daemon, tpm2-abrmd, agents),
# then rd_lib's cleanup (rampartd, temporary folder).
stop_mine() {
	local p
	for p in "${MINE[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}
trap 'st=$?; stop_mine; set +e; (exit $st); cleanup' EXIT

free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

setup_pkcs11() {
	mkdir -m 700 "$T/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$T/tokens" >"$T/softhsm2.conf"
	export SOFTHSM2_CONF=$T/softhsm2.conf
	softhsm2-util --init-token --free --label rampart --pin 1234 \
		--so-pin 5678 >/dev/null
	# The PIN from a 0600 file (pin-source), not on the command line.
	(umask 077 && printf '1234\n' >"$T/pin")
	SPEC="pkcs11:token=rampart;object=device?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:$T/pin&x-dir=$KS"
}

setup_tpm() {
	local p tries=0
	# The swtpm TCTI finds the control channel at port + 1.
	while :; do
		p=$(free_port)
		port_open $((p + 1)) || break
		tries=$((tries + 1))
		[ $tries -lt 50 ] || fail "no free port pair for swtpm"
	done
	mkdir -m 700 "$T/tpmstate"
	swtpm socket --tpm2 --tpmstate dir="$T/tpmstate" \
		--server type=tcp,port=$p,bindaddr=127.0.0.1 \
		--ctrl type=tcp,port=$((p + 1)),bindaddr=127.0.0.1 \
		--flags not-need-init,startup-clear >"$T/swtpm.log" 2>&1 &
	MINE+=($!)
	wait_until "swtpm listening" port_open "$p"
	dbus-daemon --session --nofork --address="unix:path=$T/bus" \
		>"$T/dbus.log" 2>&1 &
	MINE+=($!)
	wait_until "dbus socket" test -S "$T/bus"
	export DBUS_SESSION_BUS_ADDRESS=unix:path=$T/bus
	tpm2-abrmd --session --allow-root \
		--tcti="swtpm:host=127.0.0.1,port=$p" >"$T/abrmd.log" 2>&1 &
	MINE+=($!)
	wait_until "tpm2-abrmd answering" \
		tpm2_getrandom -T tabrmd:bus_type=session --hex 4
	export TSS2_LOG=all+none
	SPEC="tpm:handle=0x81000020;dir=$KS;tcti=tabrmd:bus_type=session"
}

case $BACKEND in
file) SPEC="file:$KS" ;;
pkcs11) setup_pkcs11 ;;
tpm) setup_tpm ;;
*) fail "unknown back-end $BACKEND" ;;
esac

D=$T/data
printf '[pki]\nrenew_window = 100d\n' >"$T/rd.conf"
start_rd "$D" --config "$T/rd.conf"
TOKEN=
ENROLL_TOKEN=()
if [ "$BACKEND" = tpm ]; then
	# The hardware token: SHA-256 of the EK's SubjectPublicKeyInfo, made
	# here by tpm2-tools + openssl and by the agent; they must agree.
	tpm2_createek -T tabrmd:bus_type=session -c "$T/ek.ctx" -G ecc \
		-u "$T/ek.pem" -f pem >/dev/null
	tpm2_flushcontext -T tabrmd:bus_type=session "$T/ek.ctx" 2>/dev/null || true
	TOKEN=$(openssl pkey -pubin -in "$T/ek.pem" -outform DER | sha256sum |
		cut -c1-64)
	got=$("$AGENT" hw-token --keystore "$SPEC")
	[ "$got" = "$TOKEN" ] || fail "agent EK hash $got, tpm2-tools $TOKEN"
	ok "tpm: the agent's EK hash equals tpm2_createek + openssl's"
	ENROLL_TOKEN=(--hw-token-from-tpm)
fi
printf 'serial,hw_type,hw_token,group,tags\nSN-A,%s,%s,line-a,\nSN-B,%s,%s,line-a,\n' \
	"$BACKEND" "$TOKEN" "$BACKEND" "${TOKEN:+0000$(echo "$TOKEN" | cut -c5-)}" \
	>"$T/allow.csv"
cli allowlist import "$T/allow.csv" >/dev/null || fail "allowlist import"
cli claim create --group line-a --expires 1d --out "$T/claim" >/dev/null ||
	fail "claim create"
CLAIM=$T/claim.pem,$T/claim.key

# --- enroll
if [ "$BACKEND" = tpm ]; then
	# SN-B's allowlisted token is not this TPM's: refused, and recorded.
	st=0
	"$AGENT" enroll --server "$URL" --claim "$CLAIM" \
		--keystore "tpm:handle=0x81000021;dir=$T/ks-b;tcti=tabrmd:bus_type=session" \
		--serial SN-B --ca-file "$CA" --hw-token-from-tpm >"$T/out" 2>&1 ||
		st=$?
	[ $st = 1 ] || fail "wrong token: exit $st ($(cat "$T/out"))"
	last_refusal "$D/rampart.db" | grep -q '^RP_E_HWTOKEN|SN-B' ||
		fail "refusal not recorded: $(last_refusal "$D/rampart.db")"
	"$AGENT" erase --keystore "tpm:handle=0x81000021;dir=$T/ks-b;tcti=tabrmd:bus_type=session" \
		>/dev/null || fail "erase ks-b"
	ok "tpm: another TPM's token is refused (RP_E_HWTOKEN recorded)"
fi
"$AGENT" enroll --server "$URL" --claim "$CLAIM" --keystore "$SPEC" \
	--serial SN-A --ca-file "$CA" "${ENROLL_TOKEN[@]}" >"$T/out" 2>&1 ||
	fail "enroll: $(cat "$T/out")"
grep -q 'enrolled SN-A' "$T/out" || fail "enroll said: $(cat "$T/out")"
openssl verify -CAfile "$CA" -untrusted "$KS/chain.pem" -purpose sslclient \
	"$KS/cert.pem" >/dev/null || fail "stored chain does not verify"
openssl x509 -in "$KS/cert.pem" -noout -subject | grep -q 'CN = SN-A' ||
	fail "CN is not the serial"
serial1=$(openssl x509 -in "$KS/cert.pem" -noout -serial)
pub1=$(openssl x509 -in "$KS/cert.pem" -noout -pubkey)
[ "$(sql "$D/rampart.db" "SELECT count(*) FROM certs WHERE kind='device' AND subject='SN-A'")" = 1 ] ||
	fail "the store does not hold exactly one certificate"
ok "$BACKEND: enrolled through EST; chain verifies; CN is the serial"

st=0
"$AGENT" enroll --server "$URL" --claim "$CLAIM" --keystore "$SPEC" \
	--serial SN-A --ca-file "$CA" "${ENROLL_TOKEN[@]}" >"$T/out" 2>&1 ||
	st=$?
[ $st = 2 ] || fail "second enroll: exit $st"
grep -q 'already holds a certificate' "$T/out" || fail "$(cat "$T/out")"
ok "$BACKEND: a second enrollment is refused by the agent"

if [ "$BACKEND" = file ]; then
	st=0
	"$AGENT" enroll --server "$URL" --claim "$CLAIM" \
		--keystore "file:$T/other" --serial SN-Z --ca-file "$CA" \
		>"$T/out" 2>&1 || st=$?
	[ $st = 1 ] || fail "unknown serial: exit $st ($(cat "$T/out"))"
	grep -q 'server answered 403' "$T/out" || fail "$(cat "$T/out")"
	last_refusal "$D/rampart.db" | grep -q '^RP_E_NOT_ALLOWLISTED|SN-Z' ||
		fail "refusal not recorded: $(last_refusal "$D/rampart.db")"
	ok "file: a serial not on the allowlist is refused (exit 1, recorded)"
fi

# --- renewal: not due with the agent's default 30-day window
"$AGENT" renew --server "$URL" --keystore "$SPEC" --ca-file "$CA" \
	>"$T/out" 2>&1 || fail "renew (not due): $(cat "$T/out")"
grep -q 'renewal not due' "$T/out" || fail "renew said: $(cat "$T/out")"
[ "$(openssl x509 -in "$KS/cert.pem" -noout -serial)" = "$serial1" ] ||
	fail "renewed although not due"
ok "$BACKEND: renewal not due: nothing sent, certificate unchanged"

# --- renewal inside the window (server and agent: 100 days)
"$AGENT" renew --server "$URL" --keystore "$SPEC" --ca-file "$CA" \
	--window 8640000 "${ENROLL_TOKEN[@]}" >"$T/out" 2>&1 ||
	fail "renew: $(cat "$T/out")"
grep -q '^renewed' "$T/out" || fail "renew said: $(cat "$T/out")"
serial2=$(openssl x509 -in "$KS/cert.pem" -noout -serial)
[ "$serial2" != "$serial1" ] || fail "renewal kept the serial"
[ "$(openssl x509 -in "$KS/cert.pem" -noout -pubkey)" = "$pub1" ] ||
	fail "renewal changed the key"
openssl verify -CAfile "$CA" -untrusted "$KS/chain.pem" -purpose sslclient \
	"$KS/cert.pem" >/dev/null || fail "renewed chain does not verify"
ok "$BACKEND: renewed over mTLS with the keystore key (simplereenroll)"

# --- the server is away: the agent retries with backoff until it is back
stop_rd
"$AGENT" renew --server "$URL" --keystore "$SPEC" --ca-file "$CA" \
	--force --retries 200 --backoff-base-ms 50 --backoff-cap-ms 400 \
	"${ENROLL_TOKEN[@]}" >"$T/away.log" 2>&1 &
AG=$!
MINE+=($AG)
wait_until "agent retrying" grep -q 'unreachable; retry 2 ' "$T/away.log"
start_rd "$D" --config "$T/rd.conf" --port "$PORT"
st=0
wait "$AG" || st=$?
[ $st = 0 ] || fail "renew across the outage: exit $st ($(cat "$T/away.log"))"
grep -q '^renewed' "$T/away.log" || fail "$(cat "$T/away.log")"
[ "$(openssl x509 -in "$KS/cert.pem" -noout -serial)" != "$serial2" ] ||
	fail "no new certificate after the outage"
ok "$BACKEND: renewal waited out a server outage with backoff"

# --- run: the long-running upkeep renews by itself, stops on SIGTERM
if [ "$BACKEND" = file ]; then
	serial3=$(openssl x509 -in "$KS/cert.pem" -noout -serial)
	"$AGENT" run --server "$URL" --keystore "$SPEC" --ca-file "$CA" \
		--window 8640000 >"$T/run.log" 2>&1 &
	AG=$!
	MINE+=($AG)
	wait_until "run renewed" grep -q 'info: renewed' "$T/run.log"
	[ "$(openssl x509 -in "$KS/cert.pem" -noout -serial)" != "$serial3" ] ||
		fail "run did not store a new certificate"
	kill -TERM "$AG"
	st=0
	wait "$AG" || st=$?
	[ $st = 0 ] || fail "run exited $st on SIGTERM ($(cat "$T/run.log"))"
	[ "$(grep -c 'info: renewed' "$T/run.log")" = 1 ] ||
		fail "run renewed more than once: $(cat "$T/run.log")"
	ok "file: run renews inside the window once, exits 0 on SIGTERM"
fi

# --- erase: no key, no certificate, renewal impossible
"$AGENT" erase --keystore "$SPEC" >"$T/out" 2>&1 || fail "erase: $(cat "$T/out")"
[ ! -e "$KS/cert.pem" ] || fail "certificate left after erase"
"$AGENT" status --keystore "$SPEC" >"$T/out" 2>&1 || true
grep -q 'key: absent' "$T/out" || fail "status after erase: $(cat "$T/out")"
st=0
"$AGENT" renew --server "$URL" --keystore "$SPEC" --ca-file "$CA" --force \
	>"$T/out" 2>&1 || st=$?
[ $st = 2 ] || fail "renew after erase: exit $st"
ok "$BACKEND: erased; the agent can no longer renew"

stop_rd
echo "test_agent_est $BACKEND: $CHECKS checks passed"
