#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_agent_mqtt.sh - `rampart-agent run --broker` end to end: rampartd
# (EST, the fleet snapshot, the service certificate), a real Mosquitto
# with the rampart plugin configured by `rampart broker-config`, a device
# enrolled with `rampart-agent enroll` (file keystore). A subscriber
# holding rampartd's service certificate sees the agent's telemetry (valid
# JSON, the device's fields), an auth_failure event for a failed login
# appended to the watched auth log, a config_change event with the new
# SHA-256 when the --watch-config file changes, an ok result for a ping
# command and a
# rejected one for a malformed command (mosquitto_rr, service identity).
# Then the broker is killed (-9): failed logins while it is down are
# queued, the small queue drops telemetry (logged), and after a restart on
# the same port the agent reconnects by itself and the queued events
# arrive in order, none lost, followed by a queue_drop event. The agent's
# hash-chained log verifies; SIGTERM ends it with a clean DISCONNECT. A
# second run renews its certificate over EST (rampart device renew) and
# reconnects to the broker with it. A third run with --boot-flash (a flash
# booted by rampart-boot into a trial image signed by rampart sign) sends
# that image's version and SHA-256 (sha256sum of the .img) and a boot
# event; its event log, edited between the runs, is saved as
# events.log.tampered-<UTC> (mode 0600, still failing log verify), a new
# log verifies, and a critical tamper event names the saved file.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"

AGENT=$BIN/rampart-agent
MQ_PID=
AG_PID=
SVC_PID=
exec 9>&2
die() {
	echo "FAIL: $*" >&9
	exit 1
}
stop_pid() {
	if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
		kill -CONT "$1" 2>/dev/null || true
		kill -9 "$1" 2>/dev/null || true
		wait "$1" 2>/dev/null || true
	fi
}
on_exit() {
	local st=$?
	stop_pid "$AG_PID"
	stop_pid "$SVC_PID"
	stop_pid "$MQ_PID"
	if [ $st -ne 0 ]; then
		for f in "$T/agent.err" "$D/broker/mosquitto.log" "$T/svc.log"; do
			[ -f "$f" ] || continue
			echo "--- $f (last 30 lines)" >&2
			tail -30 "$f" >&2
		done
	fi
	set +e
	(exit $st)
	cleanup
}
trap on_exit EXIT

free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
has() { grep -qF -- "$2" "$1"; }
count() { grep -cF -- "$2" "$1" 2>/dev/null || true; }

D=$T/data
start_rd "$D"
printf 'serial,hw_type,hw_token,group,tags\nSN-A,file,,line-a,\n' \
	>"$T/allow.csv"
cli allowlist import "$T/allow.csv" >/dev/null || fail "allowlist import"
cli claim create --group line-a --expires 1d --out "$T/claim" >/dev/null ||
	fail "claim create"
SPEC=file:$T/ks
"$AGENT" enroll --server "$URL" --claim "$T/claim.pem,$T/claim.key" \
	--keystore "$SPEC" --serial SN-A --ca-file "$CA" >"$T/out" 2>&1 ||
	fail "enroll: $(cat "$T/out")"
grep -qx 'device SN-A active' "$D/broker/fleet.snapshot" ||
	fail "SN-A not active in the snapshot"

# --- the broker (sanitizer runtime preloaded for the ASan plugin)
MP=$(free_port)
"$BIN/rampart" broker-config --data-dir "$D" --out "$T/mosquitto.conf" \
	--port "$MP" --plugin "$BIN/rampart_auth.so" --user "$(id -un)" \
	>"$T/bc.out" 2>&1 || fail "broker-config: $(cat "$T/bc.out")"
CAF=$D/broker/ca.pem
start_mq() {
	(
		if [ -n "${RP_PLUGIN_PRELOAD:-}" ]; then
			export LD_PRELOAD=$RP_PLUGIN_PRELOAD
			export ASAN_OPTIONS=detect_leaks=0
		fi
		exec mosquitto -c "$T/mosquitto.conf"
	) >>"$T/mosquitto.out" 2>&1 &
	MQ_PID=$!
	wait_until "mosquitto listening" mq_up
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$MP") 2>/dev/null; }
mq_up() {
	kill -0 "$MQ_PID" || die "mosquitto exited: $(cat "$T/mosquitto.out")"
	port_open
}
start_mq
SVC=(-h 127.0.0.1 -p "$MP" --cafile "$CAF" --cert "$D/pki/service.pem"
	--key "$D/pki/service.key" -i rampartd)
# The service subscriber (QoS 1): device telemetry, events, results.
start_svc() {
	local n
	n=$(count "$D/broker/mosquitto.log" "as rampartd")
	mosquitto_sub "${SVC[@]}" -v -q 1 -t 'rampart/v1/d/+/telemetry' \
		-t 'rampart/v1/d/+/events' -t 'rampart/v1/d/+/cmd/result' \
		>>"$T/svc.log" 2>&1 &
	SVC_PID=$!
	svc_on() {
		kill -0 "$SVC_PID" || die "subscriber exited: $(cat "$T/svc.log")"
		[ "$(count "$D/broker/mosquitto.log" "as rampartd")" -gt "$n" ]
	}
	wait_until "the service subscriber connected" svc_on
}
stop_svc() {
	kill "$SVC_PID" 2>/dev/null || true
	wait "$SVC_PID" 2>/dev/null || true
	SVC_PID=
}
start_svc

# --- the agent
: >"$T/auth.log"
echo "mode=a" >"$T/app.conf"
"$AGENT" run --server "$URL" --keystore "$SPEC" --ca-file "$CA" \
	--broker "127.0.0.1:$MP" --broker-ca "$CAF" --telemetry-interval 1 \
	--queue-max 5 --log "$T/events.log" --auth-log "$T/auth.log" \
	--watch-config "$T/app.conf" \
	--fw-version 1.2.3 --reconnect-base-ms 200 --reconnect-cap-ms 1000 \
	>"$T/agent.out" 2>"$T/agent.err" &
AG_PID=$!
ag_alive() { kill -0 "$AG_PID" || die "agent exited: $(cat "$T/agent.err")"; }
tel_seen() { ag_alive && has "$T/svc.log" "rampart/v1/d/SN-A/telemetry {"; }
wait_until "the agent's telemetry" tel_seen
# (retained in a file: the decoder below reads one message)
grep -F "rampart/v1/d/SN-A/telemetry {" "$T/svc.log" | tail -1 |
	cut -d' ' -f2- >"$T/tel.json"
python3 - "$T/tel.json" <<'PY' || fail "telemetry: $(cat "$T/tel.json")"
import json, sys
t = json.load(open(sys.argv[1]))
assert t["v"] == 1, t
assert t["fw_version"] == "1.2.3", t
assert t["interval_s"] == 1, t
assert t["uptime_s"] > 0 and t["mem_total_kb"] >= t["mem_avail_kb"] > 0, t
assert t["log_seq"] >= 1 and len(t["log_head"]) == 64, t
assert t["seq"] >= 2, t  # the agent_start event came first
PY
has "$T/svc.log" '"type":"agent_start"' || fail "no agent_start event"
ok "telemetry arrives as valid JSON with the device's facts and log head"

# --- a failed login becomes an auth_failure event
echo "Dec  1 10:00:00 dev sshd[42]: Failed password for user0 from 10.0.0.9 port 22 ssh2" >>"$T/auth.log"
ev_seen() { ag_alive && has "$T/svc.log" "$1"; }
wait_until "the auth_failure event" ev_seen 'user0 from 10.0.0.9'
grep -F 'user0 from' "$T/svc.log" | grep -q '"type":"auth_failure"' ||
	fail "not an auth_failure event: $(grep -F user0 "$T/svc.log")"
ok "a failed login in the auth log arrives as an auth_failure event"

# --- a changed configuration file becomes a config_change event
has "$T/svc.log" '"type":"config_change"' &&
	fail "config_change before any change: $(grep -F config_change "$T/svc.log")"
echo "mode=b" >"$T/app.conf"
want=$(sha256sum "$T/app.conf" | cut -d' ' -f1)
wait_until "the config_change event" ev_seen "app.conf sha256 $want"
grep -F "app.conf sha256 $want" "$T/svc.log" |
	grep -q '"type":"config_change","severity":"warning"' ||
	fail "not a config_change event: $(grep -F app.conf "$T/svc.log")"
ok "a changed --watch-config file arrives as a config_change event with its new SHA-256"

# --- commands: ping -> ok, malformed -> rejected (the service identity)
stop_svc
rr() {
	timeout 30 mosquitto_rr "${SVC[@]}" -V mqttv5 -q 1 \
		-t rampart/v1/d/SN-A/cmd -e rampart/v1/d/SN-A/cmd/result -m "$1"
}
now=$(date +%s)
res=$(rr "{\"v\":1,\"id\":\"c-1\",\"type\":\"ping\",\"ts\":$now,\"arg\":\"\"}") ||
	fail "no result for ping"
echo "$res" | grep -q '"id":"c-1"' || fail "ping result: $res"
echo "$res" | grep -q '"status":"ok"' || fail "ping result: $res"
res=$(rr 'not json at all') || fail "no result for a malformed command"
echo "$res" | grep -q '"id":""' || fail "malformed result: $res"
echo "$res" | grep -q '"status":"rejected"' || fail "malformed result: $res"
start_svc
ok "ping answered ok on cmd/result; a malformed command answered rejected"

# --- broker killed: events queue, telemetry drops; restart: all arrive
stop_svc
kill -9 "$MQ_PID"
wait "$MQ_PID" 2>/dev/null || true
MQ_PID=
logged() { ag_alive && [ "$(count "$T/events.log" "$1")" -ge 1 ]; }
for i in 1 2 3; do
	echo "Dec  1 10:00:0$i dev sshd[42]: Failed password for down$i from 10.0.0.9 port 22 ssh2" >>"$T/auth.log"
	wait_until "down$i in the agent's log" logged "down$i from"
done
dropping() { ag_alive && has "$T/agent.err" "dropped"; }
wait_until "the offline queue drops telemetry" dropping
grep 'offline queue' "$T/agent.err" | tail -1 | grep -q ', 0 events' ||
	fail "events were dropped: $(grep 'offline queue' "$T/agent.err")"
# Hold the agent while the broker and the subscriber come back, so that
# nothing it sends can reach the broker before the subscriber is there.
kill -STOP "$AG_PID"
n_conn=$(count "$D/broker/mosquitto.log" "as SN-A")
start_mq
start_svc
kill -CONT "$AG_PID"
reconnected() { ag_alive && [ "$(count "$D/broker/mosquitto.log" "as SN-A")" -gt "$n_conn" ]; }
wait_until "the agent reconnects" reconnected
for i in 1 2 3; do
	wait_until "queued event down$i delivered" ev_seen "down$i from"
done
l1=$(grep -nF 'down1 from' "$T/svc.log" | cut -d: -f1)
l2=$(grep -nF 'down2 from' "$T/svc.log" | cut -d: -f1)
l3=$(grep -nF 'down3 from' "$T/svc.log" | cut -d: -f1)
if [ "$l1" -ge "$l2" ] || [ "$l2" -ge "$l3" ]; then
	fail "queued events out of order: $l1 $l2 $l3"
fi
wait_until "the queue_drop event" ev_seen '"type":"queue_drop"'
grep -F '"type":"queue_drop"' "$T/svc.log" | grep -q '"count":[1-9]' ||
	fail "queue_drop count: $(grep -F queue_drop "$T/svc.log")"
tel_after() { ag_alive && [ "$(count "$T/svc.log" '"dropped":')" -ge 1 ] &&
	grep -F "SN-A/telemetry" "$T/svc.log" | tail -1 | grep -q '"dropped":[1-9]'; }
wait_until "telemetry reporting the drops" tel_after
ok "broker killed and restarted: queued events arrive in order, none lost; dropped telemetry reported"

# --- the event log verifies; SIGTERM: clean DISCONNECT, exit 0
n=$(count "$D/broker/mosquitto.log" "Client SN-A disconnected.")
kill -TERM "$AG_PID"
st=0
wait "$AG_PID" || st=$?
AG_PID=
[ $st = 0 ] || fail "agent exited $st after SIGTERM: $(tail -5 "$T/agent.err")"
! grep -q Sanitizer "$T/agent.err" || fail "sanitizer report in the agent"
clean_bye() { [ "$(count "$D/broker/mosquitto.log" "Client SN-A disconnected.")" -gt "$n" ]; }
wait_until "the broker logs a clean DISCONNECT" clean_bye
"$AGENT" log verify "$T/events.log" >"$T/out" 2>&1 ||
	fail "log verify: $(cat "$T/out")"
[ "$(count "$T/events.log" auth_failure)" -ge 4 ] || fail "auth events not logged"
[ "$(count "$T/events.log" '"type":"command"')" -ge 2 ] || fail "commands not logged"
ok "SIGTERM: clean DISCONNECT, exit 0; the agent's event log verifies"

# --- a renewal inside run: new certificate, the MQTT session reconnects
cli device renew SN-A >/dev/null || fail "rampart device renew"
old_serial=$(openssl x509 -in "$T/ks/cert.pem" -noout -serial)
n_conn=$(count "$D/broker/mosquitto.log" "as SN-A")
n_tel=$(count "$T/svc.log" "SN-A/telemetry")
"$AGENT" run --server "$URL" --keystore "$SPEC" --ca-file "$CA" \
	--window 315360000 --broker "127.0.0.1:$MP" --broker-ca "$CAF" \
	--telemetry-interval 1 --log "$T/events.log" \
	--reconnect-base-ms 200 --reconnect-cap-ms 1000 \
	>"$T/agent.out" 2>"$T/agent.err" &
AG_PID=$!
renewed() { ag_alive && has "$T/agent.err" "renewed"; }
wait_until "the agent renews" renewed
[ "$(openssl x509 -in "$T/ks/cert.pem" -noout -serial)" != "$old_serial" ] ||
	fail "the keystore still holds the old certificate"
new_session() {
	ag_alive && [ "$(count "$D/broker/mosquitto.log" "as SN-A")" -ge $((n_conn + 2)) ] &&
		[ "$(count "$T/svc.log" "SN-A/telemetry")" -gt "$((n_tel + 1))" ]
}
wait_until "a session with the new certificate" new_session
kill -TERM "$AG_PID"
st=0
wait "$AG_PID" || st=$?
AG_PID=
[ $st = 0 ] || fail "agent exited $st after SIGTERM"
! grep -q Sanitizer "$T/agent.err" || fail "sanitizer report in the agent"
"$AGENT" log verify "$T/events.log" >"$T/out" 2>&1 ||
	fail "log verify after the second run: $(cat "$T/out")"
ok "a renewal inside run replaces the certificate and reconnects MQTT; the log still verifies"

# --- --boot-flash: a device booted by rampart-boot into a trial of 1.4.2;
# and the event log edited between two runs is saved, a fresh one started
RP=$BIN/rampart
RB=$BIN/rampart-boot
"$RP" keygen --alg ed25519 --out "$T/rel" >/dev/null || fail "keygen"
head -c 5000 /dev/urandom >"$T/fw1.bin"
head -c 7000 /dev/urandom >"$T/fw2.bin"
"$RP" sign --key "$T/rel" --hw dev-x --version 1.0.0 --counter 1 \
	"$T/fw1.bin" "$T/fw1.img" >/dev/null || fail "sign 1.0.0"
"$RP" sign --key "$T/rel" --hw dev-x --version 1.4.2 --counter 9 \
	"$T/fw2.bin" "$T/fw2.img" >/dev/null || fail "sign 1.4.2"
FL=$T/flash
boot_fl() { "$RB" boot "$FL" --trust "$T/rel.pub" --hw dev-x >"$T/boot.out"; }
{ "$RB" create "$FL" --slot-size 16K && "$RB" install "$FL" "$T/fw1.img" &&
	boot_fl && "$RB" install "$FL" "$T/fw2.img" && "$RB" trial "$FL" &&
	boot_fl; } >/dev/null || fail "rampart-boot: $(cat "$T/boot.out")"
has "$T/boot.out" "boot: slot B" || fail "not a trial boot: $(cat "$T/boot.out")"
want_sha=$(sha256sum "$T/fw2.img" | cut -c1-64)
# Record 2's payload edited: the chain breaks at line 3.
sed -i '2s/"v":1,/"v":7,/' "$T/events.log"
st=0
"$AGENT" log verify "$T/events.log" >"$T/out" 2>&1 || st=$?
if [ $st != 1 ] || ! has "$T/out" "broken at line 3"; then
	fail "the edited log verifies: $(cat "$T/out")"
fi
st=0
"$AGENT" run --server "$URL" --keystore "$SPEC" --ca-file "$CA" \
	--broker "127.0.0.1:$MP" --broker-ca "$CAF" --boot-flash "$FL" \
	--fw-version 9.9.9 >"$T/out" 2>&1 || st=$?
if [ $st != 2 ] || ! has "$T/out" "not both"; then
	fail "--boot-flash with --fw-version: exit $st: $(cat "$T/out")"
fi
n_tel=$(count "$T/svc.log" "SN-A/telemetry")
"$AGENT" run --server "$URL" --keystore "$SPEC" --ca-file "$CA" \
	--broker "127.0.0.1:$MP" --broker-ca "$CAF" --telemetry-interval 1 \
	--log "$T/events.log" --boot-flash "$FL" \
	--reconnect-base-ms 200 --reconnect-cap-ms 1000 \
	>"$T/agent.out" 2>"$T/agent.err" &
AG_PID=$!
tel_fw() {
	ag_alive && [ "$(count "$T/svc.log" "SN-A/telemetry")" -gt "$n_tel" ] &&
		grep -F "SN-A/telemetry" "$T/svc.log" | tail -1 | grep -qF '"1.4.2"'
}
wait_until "telemetry from the booted slot" tel_fw
grep -F "SN-A/telemetry {" "$T/svc.log" | tail -1 | cut -d' ' -f2- >"$T/tel.json"
python3 - "$T/tel.json" "$want_sha" <<'PY' || fail "telemetry: $(cat "$T/tel.json")"
import json, sys
t = json.load(open(sys.argv[1]))
assert t["fw_version"] == "1.4.2", t
assert t["fw_sha256"] == sys.argv[2], (t["fw_sha256"], sys.argv[2])
PY
wait_until "the boot event" ev_seen '"type":"boot"'
grep -F '"type":"boot"' "$T/svc.log" | tail -1 | grep -F '"severity":"info"' |
	grep -qF '"detail":"slot=b version=1.4.2 counter=9 state=trial trials_left=2"' ||
	fail "boot event: $(grep -F '"type":"boot"' "$T/svc.log")"
wait_until "the tamper event" ev_seen '"type":"tamper"'
grep -F '"type":"tamper"' "$T/svc.log" | tail -1 | grep -F '"severity":"critical"' |
	grep -qF 'event log broken at line 3: ' ||
	fail "tamper event: $(grep -F '"type":"tamper"' "$T/svc.log")"
saved=$(grep -F '"type":"tamper"' "$T/svc.log" | tail -1 |
	sed -n 's/.*saved as \([^;]*\);.*/\1/p')
case $saved in events.log.tampered-20[0-9][0-9][01][0-9][0-3][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z) ;;
*) fail "saved as '$saved'" ;; esac
[ -f "$T/$saved" ] || fail "$T/$saved missing: $(ls "$T")"
[ "$(stat -c %a "$T/$saved")" = 600 ] || fail "$saved mode $(stat -c %a "$T/$saved")"
st=0
"$AGENT" log verify "$T/$saved" >"$T/out" 2>&1 || st=$?
if [ $st != 1 ] || ! has "$T/out" "broken at line 3"; then
	fail "the saved log: $(cat "$T/out")"
fi
kill -TERM "$AG_PID"
st=0
wait "$AG_PID" || st=$?
AG_PID=
[ $st = 0 ] || fail "agent exited $st after SIGTERM"
! grep -q Sanitizer "$T/agent.err" || fail "sanitizer report in the agent"
"$AGENT" log verify "$T/events.log" >"$T/out" 2>&1 ||
	fail "the new log: $(cat "$T/out")"
if [ "$(count "$T/events.log" '"type":"tamper"')" != 1 ] ||
	[ "$(count "$T/events.log" '"type":"boot"')" != 1 ]; then
	fail "the new log lacks its events: $(cat "$T/events.log")"
fi
ok "--boot-flash: fw_version and fw_sha256 of the trial slot's signed image, a boot event; an edited log is saved (0600, still broken) and a new one verifies"
stop_svc
kill -TERM "$MQ_PID"
wait "$MQ_PID" || true
MQ_PID=
stop_rd
