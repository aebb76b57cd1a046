#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_broker_rampartd.sh - rampartd and the Mosquitto plugin together,
# with no hand-written snapshot: rampartd writes DATA_DIR/broker/
# fleet.snapshot from its store, `rampart broker-config` configures a real
# Mosquitto with the plugin, two devices enrolled over EST with openssl +
# curl talk MQTT with mosquitto_pub/_sub, and a subscriber holding
# rampartd's service certificate (DATA_DIR/pki/service.*) watches.
# Revocation cuts an open session (the plugin's 1 s file poll: rampartd
# runs without its MQTT client here; test_ingest.sh covers the reload
# notification) and keeps the device out; quarantine
# stops telemetry but not events; release lets telemetry flow again.
# rampartd's own identities carry their role's certificate profile (EKU
# OID and SAN URI, read with openssl) and the snapshot pins their keys;
# a device-profile certificate with CN rampartd (how rampartd issued its
# own before) gets nothing at the broker, and a data directory holding
# one has it reissued at start.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"
. "$here/mq_lib.sh" # die, free_port, within, has, gone; MQ_PID, SUBS

stop_mine() {
	local p
	for p in "${SUBS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if [ -n "$MQ_PID" ] && kill -0 "$MQ_PID" 2>/dev/null; then
		kill -9 "$MQ_PID" 2>/dev/null || true
		wait "$MQ_PID" 2>/dev/null || true
	fi
}
on_exit() {
	local st=$?
	stop_mine
	if [ $st -ne 0 ] && [ -f "$D/broker/mosquitto.log" ]; then
		echo "--- mosquitto log (last 30 lines)" >&2
		tail -30 "$D/broker/mosquitto.log" >&2
		echo "--- service subscriber" >&2
		tail -20 "$T/svc.log" >&2 || true
	fi
	set +e # else "(exit $st)" ends the trap before cleanup
	(exit $st)
	cleanup
}
trap on_exit EXIT

snap_seq() { sed -n 's/^seq //p' "$SNAP"; }
# pin CERT: SHA-256 of its DER SubjectPublicKeyInfo (the snapshot's pin).
pin() {
	openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform DER |
		sha256sum | cut -c1-64
}
# profile CERT ROLE OID: the certificate's EKU is exactly clientAuth plus
# OID and its SAN exactly the URI urn:rampart:ROLE:CN (openssl -text).
profile() {
	local txt cn
	txt=$(openssl x509 -in "$1" -noout -text)
	cn=$(openssl x509 -in "$1" -noout -subject -nameopt multiline |
		sed -n 's/^ *commonName *= *//p')
	grep -A1 'X509v3 Extended Key Usage' <<<"$txt" | tail -1 |
		grep -qx " *TLS Web Client Authentication, $2" ||
		fail "$1: EKU is not clientAuth + $2: $txt"
	grep -A1 'X509v3 Subject Alternative Name' <<<"$txt" | tail -1 |
		grep -qx " *URI:urn:rampart:$3:$cn" ||
		fail "$1: SAN is not exactly URI:urn:rampart:$3:$cn"
	grep -A1 'X509v3 Basic Constraints: critical' <<<"$txt" | tail -1 |
		grep -qx ' *CA:FALSE' || fail "$1: not CA:FALSE (critical)"
	grep -A1 'X509v3 Key Usage: critical' <<<"$txt" | tail -1 |
		grep -qx ' *Digital Signature' ||
		fail "$1: key usage not digitalSignature (critical)"
}
# reloaded SEQ: the plugin announced it loaded the snapshot of that seq.
reloaded() { has "$T/svc.log" "\"event\":\"reloaded\",\"trigger\":\"poll\",\"seq\":$1,"; }

D=$T/data
SNAP=$D/broker/fleet.snapshot
start_rd "$D"

# --- rampartd's own files: service identity and the first snapshot
[ "$(stat -c %a "$D/pki/service.key")" = 600 ] || fail "service.key not 0600"
openssl verify -CAfile "$CA" -untrusted "$D/pki/issuing.pem" \
	-purpose sslclient "$D/pki/service.pem" >/dev/null ||
	fail "the service certificate does not verify as a TLS client"
openssl x509 -in "$D/pki/service.pem" -noout -subject |
	grep -q 'CN = rampartd' || fail "service certificate CN"
[ "$(stat -c %a "$D/broker")" = 750 ] || fail "broker/ not 0750"
[ "$(stat -c %a "$SNAP")" = 640 ] || fail "snapshot not 0640"
profile "$D/pki/service.pem" "$OID_ARC.3" service
grep -qx "service rampartd $(pin "$D/pki/service.pem")" "$SNAP" ||
	fail "no service line with the service key's pin: $(cat "$SNAP")"
# the operator's read-only monitor identity
[ "$(stat -c %a "$D/pki/monitor.key")" = 600 ] || fail "monitor.key not 0600"
openssl verify -CAfile "$CA" -untrusted "$D/pki/issuing.pem" \
	-purpose sslclient "$D/pki/monitor.pem" >/dev/null ||
	fail "the monitor certificate does not verify as a TLS client"
openssl x509 -in "$D/pki/monitor.pem" -noout -subject |
	grep -q 'CN = rampart-monitor' || fail "monitor certificate CN"
profile "$D/pki/monitor.pem" "$OID_ARC.4" monitor
grep -qx "monitor rampart-monitor $(pin "$D/pki/monitor.pem")" "$SNAP" ||
	fail "no monitor line with the monitor key's pin: $(cat "$SNAP")"
ok "start: service and monitor certificates in their profiles (keys 0600), pinned in a snapshot (0640 in 0750)"

# --- two devices enrolled with openssl req + curl
printf 'serial,hw_type,hw_token,group,tags\nSN-A,tpm2,,line-a,\nSN-B,tpm2,,line-a,\nSN-C,tpm2,,line-a,\n' \
	>"$T/allow.csv"
cli allowlist import "$T/allow.csv" >/dev/null || fail "allowlist import"
cli claim create --group line-a --expires 1d --out "$T/claim" >/dev/null ||
	fail "claim create"
for id in A B; do
	new_key "$T/$id.key"
	csr_b64 "$T/$id.key" "SN-$id" >"$T/$id.b64"
	code=$(est POST simpleenroll "$T/claim.pem" "$T/claim.key" \
		"$T/$id.b64" "$T/$id.p7")
	[ "$code" = 200 ] || fail "simpleenroll SN-$id: HTTP $code"
	p7_to_pem "$T/$id.p7" "$T/$id.pem"
done
grep -qx 'device SN-A active' "$SNAP" || fail "SN-A not active: $(cat "$SNAP")"
grep -qx 'device SN-B active' "$SNAP" || fail "SN-B not active"
! grep -q 'SN-C' "$SNAP" || fail "an allowlisted-only device is listed"
ok "enrollment: both devices active in the snapshot, SN-C (allowlisted) not"

# --- the broker, configured by rampart broker-config
MP=$(free_port)
"$BIN/rampart" broker-config --data-dir "$D" --out "$T/mosquitto.conf" \
	--port "$MP" --plugin "$BIN/rampart_auth.so" --user "$(id -un)" \
	>"$T/bc.out" 2>&1 || fail "broker-config: $(cat "$T/bc.out")"
grep -q "plugin_opt_snapshot $SNAP" "$T/mosquitto.conf" ||
	fail "broker-config does not point at rampartd's snapshot"
(
	if [ -n "${RP_PLUGIN_PRELOAD:-}" ]; then
		export LD_PRELOAD=$RP_PLUGIN_PRELOAD
		export ASAN_OPTIONS=detect_leaks=0
	fi
	exec mosquitto -c "$T/mosquitto.conf"
) >"$T/mosquitto.out" 2>&1 &
MQ_PID=$!
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$MP") 2>/dev/null; }
alive() { kill -0 "$MQ_PID" || die "mosquitto exited: $(cat "$T/mosquitto.out")"; }
mq_up() { alive && port_open; }
wait_until "mosquitto listening" mq_up
CAF=$D/broker/ca.pem

# mq_args NAME ID: set MQA to the options of a client with the certificate
# NAME (a device under $T, or "svc" for rampartd's service certificate).
# Background clients are started as `mosquitto_sub "${MQA[@]}" ... &`, so
# that $! is the client itself, not a subshell that would orphan it.
mq_args() {
	local cert=$T/$1.pem key=$T/$1.key
	if [ "$1" = svc ]; then
		cert=$D/pki/service.pem key=$D/pki/service.key
	fi
	MQA=(-h 127.0.0.1 -p "$MP" --cafile "$CAF" --cert "$cert" --key "$key"
		-i "$2")
}
# mq TOOL NAME ID ARGS...: run a client in the foreground.
mq() {
	local tool=$1
	mq_args "$2" "$3"
	shift 3
	"$tool" "${MQA[@]}" "$@"
}

# The service subscriber: device data and the plugin's status/refusals.
mq_args svc rampartd
mosquitto_sub "${MQA[@]}" -v -q 1 -t 'rampart/v1/d/+/telemetry' \
	-t 'rampart/v1/d/+/events' -t rampart/v1/svc/broker/status \
	-t rampart/v1/svc/broker/refusals >"$T/svc.log" 2>&1 &
SVC_PID=$!
SUBS+=("$SVC_PID")
probe_seen() {
	kill -0 "$SVC_PID" || die "service subscriber exited: $(cat "$T/svc.log")"
	mq mosquitto_pub A SN-A -q 1 -t rampart/v1/d/SN-A/telemetry -m probe-A
	has "$T/svc.log" "rampart/v1/d/SN-A/telemetry probe-A"
}
wait_until "the service subscriber sees SN-A's telemetry" probe_seen
mq mosquitto_pub A SN-A -q 1 -t rampart/v1/d/SN-A/telemetry -m hello-A ||
	fail "SN-A publish"
wait_until "hello-A delivered" has "$T/svc.log" "rampart/v1/d/SN-A/telemetry hello-A"
ok "SN-A's telemetry reaches a subscriber holding rampartd's service certificate"

# --- issue 9: a certificate with CN rampartd in the DEVICE profile, as
# rampartd issued its own before (and as an enrolled device "rampartd"
# held), signed by the real issuing CA: no service right, no connection
new_key "$T/oldsvc.key"
devprof_cert "$D" rampartd "$T/oldsvc.key" "$T/oldsvc.pem" 0x5e7701
openssl verify -CAfile "$CA" -untrusted "$D/pki/issuing.pem" \
	-purpose sslclient "$T/oldsvc.pem" >/dev/null ||
	fail "the device-profile rampartd certificate does not chain"
st=0
mq mosquitto_sub oldsvc rampartd -V mqttv5 -t 'rampart/v1/d/+/telemetry' \
	-C 1 -W 5 >"$T/oldsvc.out" 2>&1 || st=$?
[ $st -ne 0 ] || fail "a device-profile certificate with CN rampartd subscribed"
! grep -q 'telemetry' "$T/oldsvc.out" ||
	fail "a device-profile rampartd certificate received device data"
# refused at connect, for its profile (not merely left without messages)
wait_until "the bad_profile refusal of the device-profile rampartd" has \
	"$T/svc.log" '"reason":"bad_profile","action":"connect","id":"rampartd"'

ok "a device-profile certificate with CN rampartd (the old service profile) is refused by the broker"

# --- revocation cuts SN-A's open session and keeps it out
n=$(grep -c 'as SN-A' "$D/broker/mosquitto.log" || true)
mq_args A SN-A
mosquitto_sub "${MQA[@]}" -V mqttv5 -t rampart/v1/d/SN-A/cmd \
	>"$T/a-cmd.log" 2>&1 &
A_PID=$!
SUBS+=($A_PID)
a_connected() { [ "$(grep -c 'as SN-A' "$D/broker/mosquitto.log")" -gt "$n" ]; }
wait_until "SN-A's command session" a_connected
seq0=$(snap_seq)
cli device revoke SN-A --reason keyCompromise >"$T/out" || fail "revoke SN-A"
[ "$(snap_seq)" -gt "$seq0" ] || fail "revoke did not rewrite the snapshot"
serial=$(openssl x509 -in "$T/A.pem" -noout -serial | cut -d= -f2 |
	tr 'A-F' 'a-f' | sed 's/^0*//')
grep -qx "revoked-serial $serial" "$SNAP" ||
	fail "SN-A's serial $serial not in the snapshot"
within 5 "SN-A's open session cut after the revocation" gone "$A_PID"
has "$T/svc.log" '"action":"kick","id":"SN-A"' ||
	fail "no kick refusal event for SN-A"
st=0
mq mosquitto_pub A SN-A -V mqttv5 -q 1 -t rampart/v1/d/SN-A/telemetry \
	-m after-revoke >"$T/out" 2>&1 || st=$?
[ $st -ne 0 ] || fail "revoked SN-A could connect and publish"
ok "revoke SN-A: open session cut within 5 s (file poll), reconnect refused"

# --- quarantine: events yes, telemetry no
mq mosquitto_pub B SN-B -q 1 -t rampart/v1/d/SN-B/telemetry -m tel-B-1 ||
	fail "SN-B publish"
wait_until "tel-B-1 delivered" has "$T/svc.log" "SN-B/telemetry tel-B-1"
st=0
cli device quarantine SN-C --reason x >"$T/out" 2>&1 || st=$?
[ $st = 1 ] || fail "quarantine of an allowlisted-only device: exit $st"
st=0
cli device quarantine SN-B >"$T/out" 2>&1 || st=$?
[ $st = 2 ] || fail "quarantine without --reason: exit $st"
seq0=$(snap_seq)
cli device quarantine SN-B --reason "odd traffic" >"$T/out" ||
	fail "quarantine SN-B"
[ "$(sql "$D/rampart.db" "SELECT quarantined || '|' || quarantine_reason FROM devices WHERE serial='SN-B'")" = "1|odd traffic" ] ||
	fail "quarantine not recorded in the store"
st=0
cli device quarantine SN-B --reason again >/dev/null 2>&1 || st=$?
[ $st = 1 ] || fail "quarantining twice: exit $st"
grep -qx 'SN-B quarantined: odd traffic (events only; commands still reach it)' "$T/out" ||
	fail "quarantine's answer: $(cat "$T/out")"
grep -qx 'device SN-B quarantined' "$SNAP" || fail "SN-B not quarantined in the snapshot"
within 5 "the plugin reloads the quarantine" reloaded "$(snap_seq)"
mq mosquitto_pub B SN-B -V mqttv5 -q 1 -t rampart/v1/d/SN-B/telemetry \
	-m tel-B-quarantined >"$T/out" 2>&1 || true
grep -q 'Not authorized' "$T/out" || fail "quarantined telemetry: $(cat "$T/out")"
mq mosquitto_pub B SN-B -q 1 -t rampart/v1/d/SN-B/events -m ev-B-quarantined ||
	fail "quarantined SN-B cannot publish events"
wait_until "ev-B-quarantined delivered" has "$T/svc.log" "SN-B/events ev-B-quarantined"
! has "$T/svc.log" tel-B-quarantined || fail "quarantined telemetry delivered"
cli device list >"$T/out" || fail "device list"
grep -q '^SN-B  *quarantined ' "$T/out" || fail "list: $(cat "$T/out")"
ok "quarantine SN-B: events delivered, telemetry refused and not delivered"

# --- release: telemetry flows again
cli device release SN-B >"$T/out" || fail "release SN-B"
grep -qx 'device SN-B active' "$SNAP" || fail "SN-B not active after release"
within 5 "the plugin reloads the release" reloaded "$(snap_seq)"
mq mosquitto_pub B SN-B -q 1 -t rampart/v1/d/SN-B/telemetry -m tel-B-released ||
	fail "SN-B publish after release"
wait_until "tel-B-released delivered" has "$T/svc.log" "SN-B/telemetry tel-B-released"
st=0
cli device release SN-B >"$T/out" 2>&1 || st=$?
[ $st = 1 ] || fail "a second release: exit $st"
ok "release SN-B: telemetry delivered again; releasing twice is refused"

# --- everything stops cleanly; a restart rewrites the same fleet
stop_mine_subs() {
	local p
	for p in "${SUBS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	SUBS=()
}
stop_mine_subs
kill -TERM "$MQ_PID"
st=0
wait "$MQ_PID" || st=$?
MQ_PID=
[ $st = 0 ] || fail "mosquitto exited with $st after SIGTERM"
! grep -q Sanitizer "$T/mosquitto.out" || fail "sanitizer report (plugin)"
seq0=$(snap_seq)
svc_before=$(sha256sum <"$D/pki/service.pem")
mon_before=$(sha256sum <"$D/pki/monitor.pem")
stop_rd
start_rd "$D"
[ "$(snap_seq)" -gt "$seq0" ] || fail "no snapshot written at start"
grep -qx "revoked-serial $serial" "$SNAP" || fail "restart lost SN-A's serial"
grep -qx 'device SN-B active' "$SNAP" || fail "restart: SN-B"
[ "$(sha256sum <"$D/pki/service.pem")" = "$svc_before" ] ||
	fail "a valid service certificate was replaced at restart"
[ "$(sha256sum <"$D/pki/monitor.pem")" = "$mon_before" ] ||
	fail "a valid monitor certificate was replaced at restart"
grep -qx "service rampartd $(pin "$D/pki/service.pem")" "$SNAP" ||
	fail "restart: service line"
grep -qx "monitor rampart-monitor $(pin "$D/pki/monitor.pem")" "$SNAP" ||
	fail "restart: monitor line"
stop_rd
ok "broker and rampartd stop cleanly; a restart rewrites the snapshot from the store and keeps the service and monitor certificates"

# --- a data directory from before the profiles: pki/service.pem in the
# device profile (with its matching key) is reissued at start, and only
# the new key is pinned
cp "$T/oldsvc.pem" "$D/pki/service.pem"
cp "$T/oldsvc.key" "$D/pki/service.key"
old_pin=$(pin "$T/oldsvc.pem")
start_rd "$D"
grep -q "service.pem does not have the service profile" "$T/rd.log" ||
	fail "the reissue of the old service certificate is not logged"
grep -q 'reissued the MQTT service certificate' "$T/rd.log" ||
	fail "no 'reissued' line in the log"
profile "$D/pki/service.pem" "$OID_ARC.3" service
new_pin=$(pin "$D/pki/service.pem")
[ "$new_pin" != "$old_pin" ] || fail "the reissued certificate kept the old key"
[ "$(stat -c %a "$D/pki/service.key")" = 600 ] || fail "service.key not 0600"
grep -qx "service rampartd $new_pin" "$SNAP" ||
	fail "the snapshot does not pin the reissued key: $(cat "$SNAP")"
! grep -q "$old_pin" "$SNAP" || fail "the old key is still pinned"
[ "$(sha256sum <"$D/pki/monitor.pem")" = "$mon_before" ] ||
	fail "the valid monitor certificate was replaced with the service's"
stop_rd
ok "an old device-profile service.pem is reissued at start in the service profile with a new key, and only that key is pinned"
