#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_agent_est.sh BACKEND - rampart-agent end to end against a real
# rampartd, with the key in one keystore back-end: file, pkcs11 (softhsm2)
# or tpm (swtpm behind tpm2-abrmd on a private D-Bus). Enrollment with a
# claim certificate (chain checked by openssl verify), a second enrollment
# refused, renewal not yet due, renewal inside the window over mTLS with
# the keystore's key, renewal that rides out a server outage with backoff,
# `run --broker` over MQTT/TLS with the keystore's key against a real
# Mosquitto with the rampart plugin (telemetry seen by rampartd's service
# identity, the session authenticated as the device's CN, SIGTERM: a clean
# DISCONNECT), and erase. Uses rd_lib.sh (rampartd, waits with deadlines,
# cleanup) and mq_lib.sh (the broker, its clients).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"
. "$here/mq_lib.sh"

BACKEND=${1:?usage: test_agent_est.sh file|pkcs11|tpm}
AGENT=$BIN/rampart-agent
KS=$T/ks
MINE=()

# Stop what this script started (agents, swtpm, dbus-daemon, tpm2-abrmd;
# Mosquitto and its subscribers), then rd_lib's cleanup (rampartd,
# temporary folder).
stop_mine() {
	local p
	for p in "${MINE[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	mq_stop_all
	if [ "$1" != 0 ]; then
		for p in "$T/mq-run.log" "$T/data/broker/mosquitto.log"; do
			[ -f "$p" ] || continue
			echo "--- $p (last 20 lines)" >&2
			tail -20 "$p" >&2
		done
	fi
}
trap 'st=$?; stop_mine $st; set +e; (exit $st); cleanup' EXIT

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# free_pair: a port P such that P and P + 1 could both be bound just now.
free_pair() {
	python3 -c 'import socket
while True:
    a = socket.socket()
    a.bind(("127.0.0.1", 0))
    p = a.getsockname()[1]
    try:
        socket.socket().bind(("127.0.0.1", p + 1))
    except (OSError, OverflowError):
        continue
    print(p)
    break'
}
# swtpm_settled PID PORT: swtpm listens on PORT, or it has exited.
swtpm_settled() { port_open "$2" || ! kill -0 "$1" 2>/dev/null; }

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
	local p sw tries=0
	mkdir -m 700 "$T/tpmstate"
	# The swtpm TCTI finds the control channel at port + 1. P + 1 is
	# not the kernel's choice: it may be held by a TIME_WAIT socket of a
	# busy machine (bind fails, swtpm exits), or taken after the check:
	# then another pair.
	while :; do
		p=$(free_pair)
		swtpm socket --tpm2 --tpmstate dir="$T/tpmstate" \
			--server type=tcp,port="$p",bindaddr=127.0.0.1 \
			--ctrl type=tcp,port=$((p + 1)),bindaddr=127.0.0.1 \
			--flags not-need-init,startup-clear >"$T/swtpm.log" 2>&1 &
		sw=$!
		MINE+=("$sw")
		poll_for "$DEADLINE_S" swtpm_settled "$sw" "$p" ||
			fail "timed out waiting for: swtpm listening"
		port_open "$p" && break
		tries=$((tries + 1))
		[ $tries -lt 10 ] || fail "swtpm: $(cat "$T/swtpm.log")"
	done
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
# A reserved serial is refused by the agent itself, with the reason,
# before a key is made or the server is asked (issue 9).
st=0
"$AGENT" enroll --server "$URL" --claim "$CLAIM" --keystore "file:$T/ks-r" \
	--serial rampartd --ca-file "$CA" >"$T/out" 2>&1 || st=$?
[ $st = 2 ] || fail "reserved serial: exit $st ($(cat "$T/out"))"
grep -q "serial: 'rampartd' is reserved for the server" "$T/out" ||
	fail "reserved serial said: $(cat "$T/out")"
[ -z "$(ls -A "$T/ks-r" 2>/dev/null)" ] ||
	fail "reserved serial: the keystore was written: $(ls "$T/ks-r")"
ok "$BACKEND: a reserved serial is refused by the agent before anything"
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
grep -Eq '^renewal not due for [0-9]+ days [0-9]+ h$' "$T/out" || fail "renew said: $(cat "$T/out")"
# status: times for people (ISO 8601 UTC with their distance)
"$AGENT" status --keystore "$SPEC" >"$T/out" 2>&1 || fail "status: $(cat "$T/out")"
grep -Eq '^certificate: CN=SN-A, expires 20[0-9-]+ [0-9:]{8}Z \(in (89|90) days\)$' "$T/out" ||
	fail "status certificate line: $(cat "$T/out")"
grep -Eq '^renewal: due 20[0-9-]+ [0-9:]{8}Z \(in [0-9]+ days\)$' "$T/out" ||
	fail "status renewal line: $(cat "$T/out")"
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

# --- MQTT: run --broker with this keystore's key (TLS client key in the
# file, the token or the TPM) against a real Mosquitto with the plugin
mq_config "$D"
mq_start
MQLOG=$D/broker/mosquitto.log
count() { grep -cF -- "$2" "$1" 2>/dev/null || true; }
mq_args svc rampartd
mosquitto_sub "${MQA[@]}" -v -t rampart/v1/d/SN-A/telemetry \
	>"$T/svc.log" 2>&1 &
SUBS+=($!)
svc_on() { mq_alive && has "$MQLOG" "as rampartd"; }
wait_until "the service subscriber connected" svc_on
t0=$(date +%s%N)
"$AGENT" run --server "$URL" --keystore "$SPEC" --ca-file "$CA" \
	--broker "127.0.0.1:$MP" --telemetry-interval 1 >"$T/mq-run.log" 2>&1 &
AG=$!
MINE+=("$AG")
ag_alive() { kill -0 "$AG" || die "agent exited: $(cat "$T/mq-run.log")"; }
# The plugin pins the username to the certificate's CN: u'SN-A'.
authed() { ag_alive && grep -qF "as SN-A (p5, c1, k60, u'SN-A')" "$MQLOG"; }
wait_until "the agent's session, authenticated as SN-A" authed
ms=$((($(date +%s%N) - t0) / 1000000))
tel_seen() { ag_alive && has "$T/svc.log" "rampart/v1/d/SN-A/telemetry {"; }
wait_until "the agent's telemetry" tel_seen
grep -F "rampart/v1/d/SN-A/telemetry {" "$T/svc.log" | tail -1 |
	cut -d' ' -f2- >"$T/tel.json"
python3 -c 'import json, sys
t = json.load(open(sys.argv[1]))
assert t["v"] == 1 and t["interval_s"] == 1 and t["seq"] >= 1, t' \
	"$T/tel.json" || fail "telemetry: $(cat "$T/tel.json")"
n=$(count "$MQLOG" "Client SN-A disconnected.")
kill -TERM "$AG"
st=0
wait "$AG" || st=$?
[ $st = 0 ] || fail "run --broker exited $st on SIGTERM ($(cat "$T/mq-run.log"))"
! grep -q Sanitizer "$T/mq-run.log" || fail "sanitizer report in the agent"
clean_bye() { [ "$(count "$MQLOG" "Client SN-A disconnected.")" -gt "$n" ]; }
wait_until "the broker logs a clean DISCONNECT" clean_bye
for p in "${SUBS[@]}"; do
	kill "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
done
SUBS=()
mq_stop
ok "$BACKEND: run --broker: MQTT over TLS with the keystore key, authenticated as SN-A (session in ${ms} ms from start), telemetry seen by the service, clean DISCONNECT on SIGTERM"

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
