#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_role_binding.sh - issue 9 replayed end to end against the real
# system: rampartd --broker ingesting, a real Mosquitto with rampart_auth.so
# configured by `rampart broker-config`, and only openssl, curl, sqlite3
# and the mosquitto clients on the attacker's side. A device enrolled as
# `rampartd` or `rampart-monitor` once got the server's or the monitor's
# rights at the broker (the plugin decided roles by the CN). Each step of
# that attack must now fail, and the real identities must still work:
#   1. `rampart allowlist import` refuses the reserved serials (the error
#      names the id) and imports none of them;
#   2. an allowlist row `rampartd` already in an old store (inserted with
#      sqlite3 while rampartd runs): EST enrollment with a valid claim and a
#      CSR CN=rampartd is refused, no certificate issued;
#   3. certificates forged with the fleet issuing CA's key (as a mis-issued
#      certificate would be): CN=rampartd and CN=rampart-monitor with the
#      device profile, CN=rampartd with the service profile but another
#      key. Each is refused at CONNACK ("not authorised"), publishes no
#      command and subscribes to nothing; the broker's refusal events (read
#      with the real monitor identity) say bad_profile / unpinned;
#   4. no takeover of rampartd's session, ingest keeps running after the
#      attacks, and the victim's cmd subscriber got only rampartd's real
#      pings (a ping after the attacks is the ordering marker);
#   5. the real monitor identity reads device telemetry;
#   6. the certificates rampartd issued carry their profiles, and the
#      snapshot's pins are the SHA-256 of service.pem's / monitor.pem's key;
#   7. a store holding a reserved device: rampartd refuses to start and
#      names it; started with --decommission ID it retires the row.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"
. "$here/mq_lib.sh"

on_exit() {
	local st=$?
	mq_stop_all
	if [ $st -ne 0 ]; then
		echo "--- mosquitto log (last 40 lines)" >&2
		tail -40 "$D/broker/mosquitto.log" >&2 2>/dev/null || true
		tail -5 "$T/mosquitto.out" >&2 2>/dev/null || true
		echo "--- monitor subscriber" >&2
		tail -20 "$T/mon.log" >&2 2>/dev/null || true
		echo "--- victim SN-A's cmd subscriber" >&2
		cat "$T/victim.log" >&2 2>/dev/null || true
		echo "--- snapshot" >&2
		cat "$SNAP" >&2 2>/dev/null || true
	fi
	set +e # else "(exit $st)" ends the trap before cleanup
	(exit $st)
	cleanup
}
trap on_exit EXIT

D=$T/data
DB=$D/rampart.db
SNAP=$D/broker/fleet.snapshot
SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
HEAD=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
# tel SEQ: a valid telemetry message (docs/telemetry.md).
tel() {
	printf '{"v":1,"seq":%s,"ts":%s,"uptime_s":86400,"cpu_permille":125,"mem_total_kb":1024000,"mem_avail_kb":512000,"tcp":[22,8883],"udp":[68,123],"fw_version":"1.4.2","fw_sha256":"%s","msgs_sent":%s,"dropped":0,"interval_s":60,"log_seq":3,"log_head":"%s"}' \
		"$1" "$(date +%s)" "$SHA" "$1" "$HEAD"
}
q() { sql "$DB" "$1"; }
is() { [ "$(q "$1")" = "$2" ]; }
# w QUERY: a write to the store while rampartd holds it (WAL, busy wait).
w() { sqlite3 -batch -cmd '.timeout 5000' "$DB" "$1" >/dev/null; }
connected_n() { [ "$(grep -c 'mqtt: connected to the broker' "$T/rd.log")" -ge "$1" ]; }
count() { grep -cF -- "$2" "$1" 2>/dev/null || true; }
more_than() { [ "$(count "$1" "$2")" -gt "$3" ]; }
# pin CERT: pin-sha256 of the certificate's key, as docs/transport.md says.
pin() {
	openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER |
		sha256sum | cut -d' ' -f1
}
# exts CERT: the extended key usage and subject alternative names, one
# value per line (openssl's text form).
exts() {
	openssl x509 -in "$1" -noout -ext extendedKeyUsage,subjectAltName |
		grep -v '^X509v3 ' | tr ',' '\n' | sed 's/^ *//'
}
# forge NAME CN EKU SAN: $T/NAME.{key,pem}, a fresh key and a certificate
# for it signed with the fleet issuing CA's own key, the extensions of
# rampartd's profiles (server/pki/ca.c) but chosen by the attacker.
forge() {
	local name=$1 cn=$2 eku=$3 san=$4
	new_key "$T/$name.key"
	openssl req -new -key "$T/$name.key" -subj "/CN=$cn" -out "$T/$name.csr"
	printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
		'keyUsage=critical,digitalSignature' "extendedKeyUsage=$eku" \
		'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid:always' \
		"subjectAltName=$san" >"$T/$name.ext"
	openssl x509 -req -in "$T/$name.csr" -CA "$D/pki/issuing.pem" \
		-CAkey "$D/pki/issuing.key" -set_serial "0x7$(openssl rand -hex 15)" \
		-days 1 -sha256 -extfile "$T/$name.ext" -out "$T/$name.pem" \
		2>"$T/$name.err" || fail "forging $name: $(cat "$T/$name.err")"
	# a chain that verifies: any refusal is the plugin's, not TLS's
	openssl verify -CAfile "$CA" -untrusted "$D/pki/issuing.pem" \
		-purpose sslclient "$T/$name.pem" >/dev/null ||
		fail "the forged $name does not verify as a TLS client"
}

# --- rampartd's data directory, the broker, rampartd --broker
start_rd "$D"
stop_rd
mq_config "$D"
mq_start
start_rd "$D" --broker "127.0.0.1:$MP"
wait_until "rampartd connected to the broker" connected_n 1

# --- 1. the allowlist refuses the reserved ids
allow_csv() { printf 'serial,hw_type,hw_token,group,tags\n%s,tpm2,,line-a,\n' "$1"; }
for id in rampartd rampart-monitor RAMPART-x; do
	allow_csv "$id" >"$T/reserved.csv"
	st=0
	cli allowlist import "$T/reserved.csv" >"$T/out" 2>&1 || st=$?
	[ $st -ne 0 ] || fail "allowlist import of '$id' succeeded: $(cat "$T/out")"
	{ grep -qF "'$id'" "$T/out" && grep -q reserved "$T/out"; } ||
		fail "allowlist import of '$id': the error does not name the reserved id: $(cat "$T/out")"
done
# a reserved id among good ones: the file is refused as a whole
printf 'serial,hw_type,hw_token,group,tags\nSN-Z,tpm2,,line-a,\nrampartd,tpm2,,line-a,\n' >"$T/mixed.csv"
st=0
cli allowlist import "$T/mixed.csv" >"$T/out" 2>&1 || st=$?
[ $st -ne 0 ] || fail "a CSV with rampartd on line 3 was imported: $(cat "$T/out")"
grep -q 'line 3' "$T/out" || fail "the error does not name line 3: $(cat "$T/out")"
cli allowlist list --json >"$T/list.json" || fail "allowlist list"
! grep -qi '"serial": *"rampart' "$T/list.json" ||
	fail "a reserved id is in the allowlist: $(cat "$T/list.json")"
is "SELECT COUNT(*) FROM devices WHERE lower(serial) LIKE 'rampart%'" 0 ||
	fail "a reserved id is in the store"
enroll_devices line-a SN-A
grep -qx 'device SN-A active' "$SNAP" || fail "SN-A not active: $(cat "$SNAP")"
ok "allowlist import refuses rampartd, rampart-monitor, RAMPART-x (the error names the id), imports none; SN-A enrolled"

# The forged certificates (step 3), made now: (d) is also tried at EST.
forge dev-svc rampartd clientAuth URI:urn:rampart:device:rampartd
forge dev-mon rampart-monitor clientAuth URI:urn:rampart:device:rampart-monitor
forge svc-key rampartd "clientAuth,$OID_ARC.3" URI:urn:rampart:service:rampartd

# --- 2. an old store with a 'rampartd' allowlist row: EST refuses it
now=$(date +%s)
w "INSERT INTO devices (serial, hw_type, hw_token, grp, tags, state, created_at, updated_at) VALUES ('rampartd', 'tpm2', '', 'line-a', '', 0, $now, $now)"
new_key "$T/est-svc.key"
csr_b64 "$T/est-svc.key" rampartd >"$T/est-svc.b64"
code=$(est POST simpleenroll "$T/claim-line-a.pem" "$T/claim-line-a.key" \
	"$T/est-svc.b64" "$T/est-svc.p7")
case $code in 4??) ;; *) fail "EST simpleenroll CN=rampartd with a valid claim: HTTP $code" ;; esac
! p7_to_pem "$T/est-svc.p7" "$T/est-svc.pem" 2>/dev/null ||
	fail "EST returned a certificate for rampartd"
refusal=$(last_refusal "$DB")
case $refusal in RP_E_RESERVED\|*) ;; *) fail "EST refusal recorded as '$refusal', not RP_E_RESERVED" ;; esac
is "SELECT COUNT(*) FROM certs WHERE kind='device' AND subject LIKE '%rampart%'" 0 ||
	fail "a certificate for a reserved id is in the store"
is "SELECT state FROM devices WHERE serial='rampartd'" 0 || fail "the row of rampartd changed state"
# renewal with the forged device certificate CN=rampartd
code=$(est POST simplereenroll "$T/dev-svc.pem" "$T/dev-svc.key" \
	"$T/est-svc.b64" "$T/est-re.p7")
case $code in 4??) ;; *) fail "EST simplereenroll with a forged CN=rampartd device certificate: HTTP $code" ;; esac
refusal_re=$(last_refusal "$DB")
case $refusal_re in RP_E_RESERVED\|*simplereenroll) ;; *) fail "EST renewal refusal recorded as '$refusal_re', not RP_E_RESERVED" ;; esac
! grep -qi '^device rampart' "$SNAP" || fail "the snapshot lists rampartd as a device: $(cat "$SNAP")"
w "DELETE FROM devices WHERE serial='rampartd'"
ok "EST: an existing 'rampartd' row with a valid claim: HTTP 4xx ($refusal), no certificate; renewal with a forged one: HTTP 4xx ($refusal_re)"

# --- the watchers: the real monitor (telemetry, refusals), the victim
mosquitto_sub -h 127.0.0.1 -p "$MP" --cafile "$CAF" --cert "$D/pki/monitor.pem" \
	--key "$D/pki/monitor.key" -i rampart-monitor -v -q 1 \
	-t 'rampart/v1/d/+/telemetry' -t rampart/v1/svc/broker/refusals \
	>"$T/mon.log" 2>&1 &
MON_PID=$!
SUBS+=("$MON_PID")
seq_n=1
probe_seen() {
	kill -0 "$MON_PID" || die "the monitor's subscriber exited: $(cat "$T/mon.log")"
	seq_n=$((seq_n + 1))
	mq mosquitto_pub SN-A SN-A -q 1 -t rampart/v1/d/SN-A/telemetry -m "$(tel $seq_n)" &&
		poll_for 2 has "$T/mon.log" "\"seq\":$seq_n,"
}
wait_until "the monitor sees SN-A's telemetry" probe_seen

n=$(count "$D/broker/mosquitto.log" 'as SN-A')
mq_args SN-A SN-A
mosquitto_sub "${MQA[@]}" -v -q 1 -t rampart/v1/d/SN-A/cmd >"$T/victim.log" 2>&1 &
VICTIM_PID=$!
SUBS+=("$VICTIM_PID")
wait_until "the victim's session" more_than "$D/broker/mosquitto.log" 'as SN-A' "$n"
# the connection line comes before SUBSCRIBE: ping until one arrives
ping_arrives() {
	kill -0 "$VICTIM_PID" || die "the victim's subscriber exited: $(cat "$T/victim.log")"
	cli device ping SN-A --json >"$T/ping.json" || return 1
	poll_for 2 test -s "$T/victim.log"
}
wait_until "a first ping delivered to SN-A" ping_arrives
ok "the real monitor reads SN-A's telemetry; SN-A's cmd subscriber gets rampartd's ping"

# --- 3. the forged certificates at the broker
svc_takeovers=$(count "$D/broker/mosquitto.log" 'Client rampartd already connected')
# attack NAME CN REASON TOOL ARGS...: the client connects with the forged
# certificate NAME and client id CN; CONNACK must refuse it, and the
# monitor must see a connect refusal of CN for REASON.
attack() {
	local name=$1 cn=$2 reason=$3 tool=$4 st=0 ev before
	shift 4
	ev="\"reason\":\"$reason\",\"action\":\"connect\",\"id\":\"$cn\""
	before=$(count "$T/mon.log" "$ev")
	mq_args "$name" "$cn"
	timeout 15 "$tool" "${MQA[@]}" "$@" >"$T/$name.out" 2>&1 || st=$?
	[ $st -ne 0 ] || fail "$name ($cn) $tool: exit 0: $(cat "$T/$name.out")"
	grep -q 'not authorised' "$T/$name.out" ||
		fail "$name ($cn) $tool: not refused at CONNACK (exit $st): $(cat "$T/$name.out")"
	within 5 "the refusal event $reason of $name ($cn)" more_than "$T/mon.log" "$ev" "$before"
}
forged_cmd() {
	printf '{"v":1,"id":"FORGED-%s","type":"reboot","ts":%s}' "$1" "$(date +%s)"
}
attack dev-svc rampartd bad_profile mosquitto_pub -q 1 \
	-t rampart/v1/d/SN-A/cmd -m "$(forged_cmd dev-svc)"
ok "device-profile CN=rampartd: CONNACK not authorised, no command published; refusal bad_profile"
attack dev-mon rampart-monitor bad_profile mosquitto_pub -q 1 \
	-t rampart/v1/d/SN-A/cmd -m "$(forged_cmd dev-mon)"
attack dev-mon rampart-monitor bad_profile mosquitto_sub -q 1 \
	-t 'rampart/v1/d/+/telemetry' -C 1 -W 5
ok "device-profile CN=rampart-monitor: publish and subscribe to rampart/v1/d/+/telemetry refused at CONNACK; refusal bad_profile"
attack svc-key rampartd unpinned mosquitto_pub -q 1 \
	-t rampart/v1/d/SN-A/cmd -m "$(forged_cmd svc-key)"
ok "service-profile CN=rampartd with a key the snapshot does not pin: CONNACK not authorised; refusal unpinned"

# --- 4. no takeover, ingest runs, the victim got nothing forged
[ "$(count "$D/broker/mosquitto.log" 'Client rampartd already connected')" = "$svc_takeovers" ] ||
	fail "rampartd's session was taken over: $(grep 'already connected' "$D/broker/mosquitto.log")"
! grep -q 'Client rampart-monitor already connected' "$D/broker/mosquitto.log" ||
	fail "the monitor's session was taken over"
{ connected_n 1 && ! connected_n 2; } || fail "rampartd had to reconnect to the broker"
! grep -q 'mqtt: connection lost' "$T/rd.log" || fail "rampartd lost its broker connection"
kill -0 "$MON_PID" || fail "the monitor's session ended: $(cat "$T/mon.log")"
kill -0 "$VICTIM_PID" || fail "the victim's session ended: $(cat "$T/victim.log")"
# the marker: a real ping sent after every forged attempt
n=$(wc -l <"$T/victim.log")
cli device ping SN-A --json >"$T/ping2.json" || fail "ping after the attacks"
cid=$(sed -n 's/.*"command": *"\([^"]*\)".*/\1/p' "$T/ping2.json")
[ -n "$cid" ] || fail "no command id in $(cat "$T/ping2.json")"
wait_until "the marker ping $cid delivered" has "$T/victim.log" "\"id\":\"$cid\""
[ "$(wc -l <"$T/victim.log")" = $((n + 1)) ] || fail "the victim received more than the marker ping"
! grep -q 'FORGED' "$T/victim.log" || fail "the victim received a forged command"
bad=$(grep -cv '^rampart/v1/d/SN-A/cmd {.*"type":"ping"' "$T/victim.log" || true)
[ "$bad" = 0 ] || fail "the victim received something other than rampartd's pings"
# the client id is the CN: SN-A's publisher below would take over this session
kill "$VICTIM_PID"
wait "$VICTIM_PID" 2>/dev/null || true
ok "the victim's cmd subscriber received only rampartd's $((n + 1)) pings, the marker last; nothing forged"

before=$(q "SELECT n_telemetry FROM device_status WHERE serial='SN-A'")
mq mosquitto_pub SN-A SN-A -q 1 -t rampart/v1/d/SN-A/telemetry -m "$(tel 100)" ||
	fail "SN-A's telemetry after the attacks"
wait_until "SN-A's telemetry after the attacks stored" is \
	"SELECT seq || '|' || (n_telemetry > $before) FROM device_status WHERE serial='SN-A'" '100|1'
ok "no takeover of rampartd's or the monitor's session; rampartd still ingests SN-A's telemetry (seq 100 stored)"

# --- 5. the real monitor identity still reads device telemetry
wait_until "the monitor sees seq 100" has "$T/mon.log" \
	'rampart/v1/d/SN-A/telemetry {"v":1,"seq":100,'
ok "the real monitor identity (pki/monitor.*) reads SN-A's telemetry after the attacks"

# --- 6. the profiles of the certificates rampartd issued, and the pins
exts "$D/pki/service.pem" >"$T/e"
[ "$(cat "$T/e")" = "$(printf 'TLS Web Client Authentication\n%s.3\nURI:urn:rampart:service:rampartd' "$OID_ARC")" ] ||
	fail "service.pem's profile: $(cat "$T/e")"
exts "$D/pki/monitor.pem" >"$T/e"
[ "$(cat "$T/e")" = "$(printf 'TLS Web Client Authentication\n%s.4\nURI:urn:rampart:monitor:rampart-monitor' "$OID_ARC")" ] ||
	fail "monitor.pem's profile: $(cat "$T/e")"
exts "$T/SN-A.pem" >"$T/e"
[ "$(cat "$T/e")" = "$(printf 'TLS Web Client Authentication\nURI:urn:rampart:device:SN-A')" ] ||
	fail "SN-A's device certificate profile: $(cat "$T/e")"
grep -qx "service rampartd $(pin "$D/pki/service.pem")" "$SNAP" ||
	fail "the service pin is not service.pem's key: $(cat "$SNAP")"
grep -qx "monitor rampart-monitor $(pin "$D/pki/monitor.pem")" "$SNAP" ||
	fail "the monitor pin is not monitor.pem's key: $(cat "$SNAP")"
head -1 "$SNAP" | grep -qx 'rampart-broker-snapshot 2' || fail "snapshot format: $(head -1 "$SNAP")"
ok "service.pem, monitor.pem, SN-A's certificate carry their profiles; the snapshot pins service.pem's and monitor.pem's keys"

# --- 7. a store holding a reserved device: rampartd does not start
stop_rd
now=$(date +%s)
w "INSERT INTO devices (serial, hw_type, hw_token, grp, tags, state, created_at, updated_at) VALUES ('rampartd', 'tpm2', '', 'line-a', '', 0, $now, $now)"
"$BIN/rampartd" --foreground --data-dir "$D" --port 0 \
	--setup-token-file "$T/token" >"$T/refuse.log" 2>&1 &
RD_PID=$!
exited_or_up() { gone "$RD_PID" || grep -q 'listening on' "$T/refuse.log"; }
wait_until "rampartd exits or listens" exited_or_up
gone "$RD_PID" || fail "rampartd started with a 'rampartd' device in its store: $(cat "$T/refuse.log")"
st=0
wait "$RD_PID" || st=$?
RD_PID=
[ $st -ne 0 ] || fail "rampartd with a 'rampartd' device in its store: exit 0: $(cat "$T/refuse.log")"
{ grep -q 'refusing to start' "$T/refuse.log" && grep -q -- '--decommission rampartd' "$T/refuse.log"; } ||
	fail "the refusal to start does not name rampartd: $(cat "$T/refuse.log")"
! grep -q Sanitizer "$T/refuse.log" || fail "sanitizer report: $(cat "$T/refuse.log")"
# the operator's way out that the refusal names
start_rd "$D" --decommission rampartd
is "SELECT state FROM devices WHERE serial='rampartd'" 2 ||
	fail "--decommission rampartd: state $(q "SELECT state FROM devices WHERE serial='rampartd'")"
! grep -qi '^device rampart' "$SNAP" || fail "the snapshot lists rampartd as a device: $(cat "$SNAP")"
grep -q "^service rampartd $(pin "$D/pki/service.pem")\$" "$SNAP" || fail "service pin after restart: $(cat "$SNAP")"
stop_rd
ok "a store holding device 'rampartd': rampartd refuses to start (exit $st) and names it; --decommission rampartd lets it start"

mq_stop
