#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_sim.sh - rampart-sim against real parts: rampartd (EST) and a real
# Mosquitto with the rampart plugin configured by `rampart broker-config`.
# 20 simulated devices are allowlisted from `rampart-sim allowlist`,
# enrolled over EST by the sim (certificates in the store), all connect
# (broker log), each sends telemetry whose fw_sha256 is the SHA-256 of the
# image the sim installed (computed here with sha256sum from
# STATE_DIR/firmware.img) and a boot event; SIGTERM stops the sim with exit
# 0; a second run finds every keystore enrolled and enrolls nothing, and
# with --churn and --auth-fail-rate drops and brings back sessions and
# sends auth_failure events; --duration ends a run by itself.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"
. "$here/mq_lib.sh" # die, free_port, has, gone; MQ_PID, SUBS

N=20
SIM_PID=
stop_mine() {
	local p
	for p in $SIM_PID "${SUBS[@]}"; do
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
	if [ $st -ne 0 ]; then
		echo "--- rampart-sim (last 30 lines)" >&2
		tail -30 "$T/sim.err" >&2 2>/dev/null || true
		echo "--- mosquitto log (last 20 lines)" >&2
		tail -20 "$D/broker/mosquitto.log" >&2 2>/dev/null || true
	fi
	set +e
	(exit $st)
	cleanup
}
trap on_exit EXIT

D=$T/data
S=$T/sim
start_rd "$D"

# --- allowlist from the sim itself, and a claim
# A prefix that makes reserved ids is refused up front (issue 9).
st=0
"$BIN/rampart-sim" allowlist --devices 2 --prefix rampart- >"$T/out" 2>&1 ||
	st=$?
[ $st = 2 ] || fail "reserved prefix: exit $st"
grep -q "'rampart-00001' is reserved" "$T/out" ||
	fail "reserved prefix said: $(head -3 "$T/out")"
"$BIN/rampart-sim" allowlist --devices $N --prefix SIM- --group line-s \
	>"$T/allow.csv" || fail "rampart-sim allowlist"
[ "$(wc -l <"$T/allow.csv")" = $((N + 1)) ] || fail "allowlist: $(cat "$T/allow.csv")"
head -2 "$T/allow.csv" | tail -1 | grep -qx 'SIM-00001,rampart-sim,,line-s,sim' ||
	fail "allowlist row: $(head -2 "$T/allow.csv")"
cli allowlist import "$T/allow.csv" >/dev/null || fail "allowlist import"
cli claim create --group line-s --expires 1d --out "$T/claim" >/dev/null ||
	fail "claim create"
ok "rampart-sim allowlist: $N rows imported by rampart allowlist import"

# --- a --broker that is not a numeric HOST:PORT: refused before anything
for b in localhost:8883 127.0.0.1: '[::1]' 127.0.0.1:0; do
	st=0
	"$BIN/rampart-sim" run --broker "$b" --broker-ca "$T/none.pem" \
		--dir "$T/bad" >"$T/out" 2>&1 || st=$?
	[ $st = 2 ] || fail "--broker $b: exit $st"
	grep -q 'numeric address' "$T/out" || fail "--broker $b: $(cat "$T/out")"
	[ ! -e "$T/bad" ] || fail "--broker $b: state made before the check"
done
ok "rampart-sim run: a --broker that is not a numeric HOST:PORT exits 2 before preparing"

# --- the broker
MP=$(free_port)
"$BIN/rampart" broker-config --data-dir "$D" --out "$T/mosquitto.conf" \
	--port "$MP" --plugin "$BIN/rampart_auth.so" --user "$(id -un)" \
	>"$T/bc.out" 2>&1 || fail "broker-config: $(cat "$T/bc.out")"
(
	if [ -n "${RP_PLUGIN_PRELOAD:-}" ]; then
		export LD_PRELOAD=$RP_PLUGIN_PRELOAD
		export ASAN_OPTIONS=detect_leaks=0
	fi
	exec mosquitto -c "$T/mosquitto.conf"
) >"$T/mosquitto.out" 2>&1 &
MQ_PID=$!
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$MP") 2>/dev/null; }
mq_up() {
	kill -0 "$MQ_PID" || die "mosquitto exited: $(cat "$T/mosquitto.out")"
	port_open
}
wait_until "mosquitto listening" mq_up
CAF=$D/broker/ca.pem
MLOG=$D/broker/mosquitto.log

# The service subscriber (rampartd's certificate): telemetry and events.
SVC=(-h 127.0.0.1 -p "$MP" --cafile "$CAF" --cert "$D/pki/service.pem"
	--key "$D/pki/service.key" -i rampartd)
# svc_sub: (re)start it; the service identity is one client at a time.
svc_sub() {
	local n
	n=$(grep -c 'as rampartd' "$MLOG" 2>/dev/null || true)
	mosquitto_sub "${SVC[@]}" -v -q 1 -t 'rampart/v1/d/+/telemetry' \
		-t 'rampart/v1/d/+/events' >>"$T/svc.log" 2>&1 &
	SVC_PID=$!
	SUBS+=("$SVC_PID")
	svc_up() { [ "$(grep -c 'as rampartd' "$MLOG")" -gt "${n:-0}" ]; }
	wait_until "the service subscriber connected" svc_up
}
svc_sub

# --- first run: enroll and connect every device
# Started directly (not through a function), so that $! is the sim itself.
SIM=("$BIN/rampart-sim" run --server "$URL" --ca-file "$CA"
	--claim "$T/claim.pem,$T/claim.key" --broker "127.0.0.1:$MP"
	--broker-ca "$CAF" --dir "$S" --prefix SIM-
	--enroll-parallel 4 --telemetry-interval 1 --jitter 10
	--ramp 50 --stats-interval 1)
"${SIM[@]}" --devices "$N" --duration 0 >"$T/sim.out" 2>"$T/sim.err" &
SIM_PID=$!
sim_alive() { kill -0 "$SIM_PID" || die "rampart-sim exited: $(tail -5 "$T/sim.err")"; }
enrolled_rows() {
	sql "$D/rampart.db" "SELECT count(*) FROM certs WHERE kind='device' AND subject LIKE '%SIM-%'"
}
all_enrolled() { sim_alive && [ "$(enrolled_rows)" -ge $N ]; }
wait_until "$N certificates issued" all_enrolled
[ "$(enrolled_rows)" = $N ] || fail "$(enrolled_rows) certificates for $N devices"
wait_until "the sim's summary" has "$T/sim.out" "enrolled $N, already enrolled 0, failed 0, ready $N"
ok "rampart-sim enrolled $N devices over EST (one certificate each in the store)"

connected_ids() {
	grep -o 'as SIM-[0-9]*' "$MLOG" | sort -u | wc -l
}
all_connected() { sim_alive && [ "$(connected_ids)" -ge $N ]; }
wait_until "$N devices connected to the broker" all_connected
ok "all $N devices connected (mTLS, identity from the certificate)"

[ -f "$S/firmware.img" ] || fail "no $S/firmware.img"
FW=$(sha256sum "$S/firmware.img" | cut -d' ' -f1)
telemetry_ids() {
	grep "^rampart/v1/d/SIM-[0-9]*/telemetry .*\"fw_sha256\":\"$FW\"" \
		"$T/svc.log" | cut -d/ -f4 | sort -u | wc -l
}
all_telemetry() { sim_alive && [ "$(telemetry_ids)" -ge $N ]; }
wait_until "telemetry with the firmware hash from every device" all_telemetry
grep '^rampart/v1/d/SIM-[0-9]*/telemetry ' "$T/svc.log" |
	grep -v "\"fw_sha256\":\"$FW\"" | head -1 | grep -q . &&
	fail "telemetry with another firmware hash: $(grep -v "$FW" "$T/svc.log" | head -1)"
grep -q '"fw_version":"1.0.0"' "$T/svc.log" || fail "no fw_version 1.0.0"
ok "telemetry from every device carries fw_sha256 = sha256sum firmware.img"

boot_ids() {
	grep '^rampart/v1/d/SIM-[0-9]*/events .*"type":"boot"' "$T/svc.log" |
		grep '"detail":"ok: ' | cut -d/ -f4 | sort -u | wc -l
}
all_booted() { [ "$(boot_ids)" -ge $N ]; }
wait_until "a boot event from every device" all_booted
ok "every device reported its boot (verified by the boot core) as an event"

# --- a reboot command: the result comes back, the boot core runs again
kill "$SVC_PID"
wait "$SVC_PID" 2>/dev/null || true
up_before=$(grep '^rampart/v1/d/SIM-00001/telemetry ' "$T/svc.log" | tail -1 |
	sed 's/.*"uptime_s":\([0-9]*\).*/\1/')
[ -n "$up_before" ] || fail "no uptime in SIM-00001's telemetry"
mosquitto_rr "${SVC[@]}" -q 1 -W 20 -t rampart/v1/d/SIM-00001/cmd \
	-e rampart/v1/d/SIM-00001/cmd/result \
	-m "{\"v\":1,\"id\":\"reboot-1\",\"type\":\"reboot\",\"ts\":$(date +%s),\"arg\":\"\"}" \
	>"$T/rr.out" 2>&1 || fail "no command result: $(cat "$T/rr.out")"
grep -q '"id":"reboot-1","status":"ok"' "$T/rr.out" || fail "result: $(cat "$T/rr.out")"
grep -q '"detail":"rebooting"' "$T/rr.out" || fail "result: $(cat "$T/rr.out")"
svc_sub
# sim_stat NAME: the newest progress line's NAME=value.
sim_stat() { grep -o " $1=[0-9]*" "$T/sim.err" | tail -1 | cut -d= -f2; }
rebooted() { sim_alive && [ "$(sim_stat reboots)" = 1 ] && [ "$(sim_stat connects)" -gt "$N" ]; }
wait_until "SIM-00001 rebooted and back" rebooted
# uptime_s restarts at the reset (the one before is up to a day plus the run)
up_after() {
	local u
	u=$(grep '^rampart/v1/d/SIM-00001/telemetry ' "$T/svc.log" | tail -1 |
		sed 's/.*"uptime_s":\([0-9]*\).*/\1/')
	[ -n "$u" ] && [ "$u" -lt "$up_before" ]
}
wait_until "SIM-00001's uptime restarting" up_after
ok "reboot command: result ok, the device resets, boots again and reports"

wait_until "a progress line" grep -q "connected=$N " "$T/sim.err"
kill -TERM "$SIM_PID"
st=0
wait "$SIM_PID" || st=$?
SIM_PID=
[ $st = 0 ] || fail "rampart-sim exited with $st after SIGTERM"
! grep -q Sanitizer "$T/sim.err" || fail "sanitizer report in rampart-sim"
disconnected() {
	[ "$(grep -c 'SIM-[0-9]* disconnected\|Client SIM-[0-9]* closed' "$MLOG")" -ge $N ]
}
wait_until "every session closed at the broker" disconnected
ok "SIGTERM: rampart-sim disconnects every device and exits 0"

# --- second run: nothing to enroll; churn and failed logins
rows=$(enrolled_rows)
: >"$T/svc.log"
"${SIM[@]}" --devices "$N" --duration 0 --churn 600 --auth-fail-rate 600 \
	>"$T/sim2.out" 2>"$T/sim.err" &
SIM_PID=$!
wait_until "the second run's summary" has "$T/sim2.out" "ready $N"
grep -q "enrolled 0, already enrolled $N, failed 0, ready $N" "$T/sim2.out" ||
	fail "second run: $(cat "$T/sim2.out")"
[ "$(enrolled_rows)" = "$rows" ] || fail "the second run enrolled again"
ok "a second run reuses the keystores: no enrollment, no new certificate"

came_back() {
	sim_alive && [ "$(sim_stat churned)" -ge 1 ] &&
		[ "$(sim_stat connects)" -gt $N ]
}
wait_until "churned devices reconnecting" came_back
auth_seen() {
	grep -q '^rampart/v1/d/SIM-[0-9]*/events .*"type":"auth_failure"' "$T/svc.log"
}
wait_until "an auth_failure event" auth_seen
ok "churn drops sessions that come back (connects > $N); failed logins arrive as auth_failure events"

kill -TERM "$SIM_PID"
st=0
wait "$SIM_PID" || st=$?
SIM_PID=
[ $st = 0 ] || fail "second run exited with $st after SIGTERM"
! grep -q Sanitizer "$T/sim.err" || fail "sanitizer report in rampart-sim"

# --- an option given twice is a mistake (the table's rule), not "last wins"
st=0
"${SIM[@]}" --devices 2 --devices 3 >"$T/sim3.out" 2>"$T/sim3.err" || st=$?
[ $st = 2 ] && grep -q -- "--devices given twice" "$T/sim3.err" ||
	fail "--devices twice: exit $st: $(cat "$T/sim3.err")"

# --- --duration ends a run by itself
st=0
"${SIM[@]}" --devices 2 --duration 1 >"$T/sim3.out" 2>"$T/sim3.err" || st=$?
[ $st = 0 ] || fail "a --duration run exited with $st: $(tail -3 "$T/sim3.err")"
grep -q 'stopping\|final' "$T/sim3.err" || fail "$(cat "$T/sim3.err")"
ok "--duration 1 ends the run by itself with exit 0"

stop_rd
