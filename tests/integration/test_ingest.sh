#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_ingest.sh - rampartd's MQTT service client against a real Mosquitto
# with the rampart plugin (configured by `rampart broker-config`), devices
# enrolled over EST with openssl + curl and talking with mosquitto_pub/_sub
# and their own certificates:
#   - valid telemetry reaches the store (sqlite3) and `rampart device
#     list/show` (firmware, last seen, online, ports, counts);
#   - malformed telemetry is rejected, not stored, and counted (per device
#     and in the ingest counters); an event lands in the events table;
#   - ping: the command reaches the device's cmd topic, its result lands in
#     the store and in `device show`; a quarantined device gets no ping
#     but its events are still stored;
#   - a refusal of the broker (a cross-device publish) becomes a refusals
#     row (route mqtt/publish);
#   - `rampart device revoke` cuts the device's open session through the
#     reload notification (the plugin's file poll is switched off, and the
#     broker's status message says trigger "notify");
#   - the broker killed with -9 and started again on the same port:
#     rampartd reconnects and ingest continues;
#   - SIGTERM: messages rampartd received but had not written yet (a long
#     batch_ms) are in the store after the clean exit.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"
. "$here/mq_lib.sh"

on_exit() {
	local st=$?
	mq_stop_all
	if [ $st -ne 0 ] && [ -f "$T/mosquitto.out" ]; then
		echo "--- mosquitto log (last 30 lines)" >&2
		tail -30 "$D/broker/mosquitto.log" >&2 || true
		tail -5 "$T/mosquitto.out" >&2 || true
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
# tel SEQ FW: a valid telemetry message (docs/telemetry.md).
tel() {
	printf '{"v":1,"seq":%s,"ts":%s,"uptime_s":86400,"cpu_permille":125,"mem_total_kb":1024000,"mem_avail_kb":512000,"tcp":[22,8883],"udp":[68,123],"fw_version":"%s","fw_sha256":"%s","msgs_sent":%s,"dropped":0,"interval_s":60,"log_seq":3,"log_head":"%s"}' \
		"$1" "$(date +%s)" "$2" "$SHA" "$1" "$HEAD"
}
q() { sql "$DB" "$1"; }
is() { [ "$(q "$1")" = "$2" ]; }
connected_n() { [ "$(grep -c 'mqtt: connected to the broker' "$T/rd.log")" -ge "$1" ]; }

# --- a fleet: SN-A, SN-B enrolled, SN-C only allowlisted
start_rd "$D"
enroll_devices line-a SN-A SN-B
cli allowlist import <(printf 'serial,hw_type,hw_token,group,tags\nSN-C,tpm2,,line-b,\n') \
	>/dev/null || fail "allowlist SN-C"
cli device list >"$T/out" || fail "device list"
grep -q '^SN-A  *enrolled  *offline  *-  *never  *line-a$' "$T/out" ||
	fail "list before any telemetry: $(cat "$T/out")"
grep -q '^SN-C  *allowlisted  *offline ' "$T/out" || fail "list: SN-C"
cli device ingest >"$T/out" || fail "device ingest"
grep -q '"broker": null' "$T/out" || fail "ingest without a broker: $(cat "$T/out")"
st=0
cli device ping SN-A >"$T/out" 2>&1 || st=$?
[ $st = 2 ] || fail "ping without a broker connection: exit $st"
ok "without [mqtt] broker: no client; list shows never-seen devices; ping is refused"

# --- the broker (file poll off: a revocation can only arrive by notify)
mq_config "$D" "plugin_opt_poll_ms 0"
mq_start
stop_rd
for bad in localhost:1883 127.0.0.1 127.0.0.1:0 127.0.0.1:70000; do
	st=0
	"$BIN/rampartd" --foreground --data-dir "$D" --port 0 --broker "$bad" \
		>"$T/bad.log" 2>&1 || st=$?
	[ $st = 2 ] || fail "--broker $bad: exit $st"
	grep -q "is not a numeric HOST:PORT" "$T/bad.log" || fail "--broker $bad: $(cat "$T/bad.log")"
done
start_rd "$D" --broker "127.0.0.1:$MP"
wait_until "rampartd connected to the broker" connected_n 1
ok "a --broker that is not a numeric HOST:PORT: exit 2; a good one: connected with the service certificate"

# --- valid telemetry into the store and the inventory
mq mosquitto_pub SN-A SN-A -q 1 -t rampart/v1/d/SN-A/telemetry \
	-m "$(tel 1 1.4.2)" || fail "publish telemetry"
wait_until "SN-A's telemetry stored" is \
	"SELECT fw_version || '|' || n_telemetry FROM device_status WHERE serial='SN-A'" "1.4.2|1"
is "SELECT COUNT(*) FROM telemetry WHERE serial='SN-A'" 1 || fail "no history row"
is "SELECT tcp || '|' || udp || '|' || fw_sha256 FROM device_status WHERE serial='SN-A'" \
	"22,8883|68,123|$SHA" || fail "telemetry facts"
cli device list >"$T/out" || fail "device list"
grep -Eq '^SN-A +enrolled +online +1\.4\.2 +([0-9]+ s ago|now) +line-a$' "$T/out" ||
	fail "list after telemetry: $(cat "$T/out")"
cli device show SN-A >"$T/out" || fail "device show"
grep -q "fw sha256     $SHA" "$T/out" || fail "show: $(cat "$T/out")"
grep -q 'tcp 22,8883  udp 68,123' "$T/out" || fail "show ports: $(cat "$T/out")"
grep -q '1 telemetry, 0 events, 0 command results; 0 rejected' "$T/out" ||
	fail "show counts: $(cat "$T/out")"
cli device show SN-A --json >"$T/out" || fail "device show --json"
grep -q '"log_head": "'$HEAD'"' "$T/out" || fail "show --json: $(cat "$T/out")"
ok "valid telemetry: in the store; device list (online, 1.4.2, seconds ago) and show (sha256, ports, counts)"

# --- the online rule: a message within 3 telemetry periods (60 s here)
seen_ago() { q "UPDATE device_status SET last_seen = strftime('%s','now') - $1 WHERE serial='SN-A'"; }
seen_ago 200
cli device list >"$T/out" || fail "device list"
grep -Eq '^SN-A +enrolled +offline +1\.4\.2 +3 min ago ' "$T/out" ||
	fail "200 s after its last message: $(cat "$T/out")"
seen_ago 150
cli device list >"$T/out" || fail "device list"
grep -Eq '^SN-A +enrolled +online +1\.4\.2 +2 min ago ' "$T/out" ||
	fail "150 s after its last message: $(cat "$T/out")"
seen_ago 0
ok "online: a message within 3 periods of 60 s (150 s ago: online, 200 s ago: offline)"

# --- malformed telemetry (and an empty payload): rejected, counted, not stored
for bad in '{"v":1,"seq":' '{"v":2}' "$(tel 2 1.4.2 | sed 's/"dropped":0/"dropped":-1/')" \
	"$(printf 'not json\001\033[31m')" ''; do
	mq mosquitto_pub SN-B SN-B -q 1 -t rampart/v1/d/SN-B/telemetry -m "$bad" ||
		fail "publish malformed"
done
wait_until "SN-B's rejections counted" is \
	"SELECT n_rejected FROM device_status WHERE serial='SN-B'" 5
is "SELECT COUNT(*) FROM telemetry WHERE serial='SN-B'" 0 || fail "malformed stored"
is "SELECT n_telemetry FROM device_status WHERE serial='SN-B'" 0 || fail "counted as telemetry"
wait_until "rejected counter" is "SELECT value FROM ingest_counters WHERE name='rejected'" 5
grep -q 'malformed telemetry from SN-B rejected' "$T/rd.log" || fail "no log line"
! grep -q $'\033' "$T/rd.log" || fail "a control character reached the log"
cli device ingest >"$T/out" || fail "device ingest"
grep -q '"rejected": 5' "$T/out" || fail "ingest counters: $(cat "$T/out")"
ok "malformed telemetry: rejected, not stored, counted per device and in total, logged escaped"

# --- an event
mq mosquitto_pub SN-A SN-A -q 1 -t rampart/v1/d/SN-A/events \
	-m '{"v":1,"seq":2,"ts":1767225601,"type":"auth_failure","severity":"warning","count":3,"detail":"Failed password for root"}' ||
	fail "publish event"
wait_until "event stored" is \
	"SELECT type || '|' || severity || '|' || count || '|' || detail FROM events WHERE serial='SN-A'" \
	"auth_failure|warning|3|Failed password for root"
cli device show SN-A >"$T/out" || fail "device show"
grep -q 'warning  auth_failure   x3  Failed password for root' "$T/out" ||
	fail "show events: $(cat "$T/out")"
ok "an event lands in the events table and in device show"

# --- rampart device watch: plain lines when not a terminal (the counts
# when they change, each event once), a redrawn screen on one, Ctrl-C
# ends it with exit 0
"$BIN/rampart" device watch --interval 1 --server "$URL" --token-file "$T/token" \
	--ca "$CA" >"$T/watch" 2>"$T/watch.err" &
WATCH=$!
wait_until "watch's first look" grep -Eq '^[0-9]+ devices: .*; [0-9]+ online$' "$T/watch"
grep -Eq 'Z \(.*\)  SN-A  warning auth_failure x3  Failed password for root$' "$T/watch" ||
	fail "watch: the newest events at start: $(cat "$T/watch")"
mq mosquitto_pub SN-A SN-A -q 1 -t rampart/v1/d/SN-A/events \
	-m '{"v":1,"seq":9,"ts":1767225609,"type":"config_change","severity":"info","count":1,"detail":"watched \\ live"}' ||
	fail "publish event"
wait_until "the new event in watch" grep -q 'SN-A  info config_change x1  watched \\x5c live$' "$T/watch"
kill -INT "$WATCH"
st=0
wait "$WATCH" || st=$?
[ $st = 0 ] || fail "watch after Ctrl-C: exit $st ($(cat "$T/watch.err"))"
[ "$(grep -c 'watched' "$T/watch")" = 1 ] || fail "an event shown twice: $(cat "$T/watch")"
! grep -q $'\033' "$T/watch" || fail "a control sequence in watch's plain output"
script -qec "$BIN/rampart device watch --count 1 --server $URL --token-file $T/token --ca $CA" \
	/dev/null >"$T/watch.tty" || fail "watch on a terminal: $(cat "$T/watch.tty")"
grep -q $'\033\[H\033\[2J' "$T/watch.tty" || fail "watch on a terminal: no redraw"
grep -Eq '^SERIAL +STATE +ONLINE +FIRMWARE +LAST SEEN' "$T/watch.tty" ||
	fail "watch on a terminal: no device table: $(cat -v "$T/watch.tty")"
grep -q 'SN-A  info config_change x1  watched \\x5c live' "$T/watch.tty" ||
	fail "watch on a terminal: the newest events: $(cat -v "$T/watch.tty")"
ok "device watch: counts and each new event once as plain lines (escaped), a redrawn table on a terminal, Ctrl-C exits 0"

# --- ping: command to the device, result back into the store
mq_args SN-A SN-A
mosquitto_sub "${MQA[@]}" -q 1 -t rampart/v1/d/SN-A/cmd -C 1 >"$T/cmd.out" 2>&1 &
CMD_PID=$!
SUBS+=("$CMD_PID")
sub_on() { [ "$(grep -c 'as SN-A' "$D/broker/mosquitto.log")" -gt "$1" ]; }
n=$(grep -c 'as SN-A' "$D/broker/mosquitto.log" || true)
wait_until "SN-A's command subscription" sub_on "$n"
# the connection line comes before SUBSCRIBE: retry until one arrives
ping_arrives() {
	cli device ping SN-A --json >"$T/ping.json" || return 1
	poll_for 2 test -s "$T/cmd.out"
}
wait_until "a ping command delivered to SN-A" ping_arrives
cid=$(sed -n 's/.*"id":"\([^"]*\)".*/\1/p' "$T/cmd.out")
[ -n "$cid" ] || fail "no command id in $(cat "$T/cmd.out")"
grep -q '"type":"ping"' "$T/cmd.out" || fail "command: $(cat "$T/cmd.out")"
mq mosquitto_pub SN-A SN-A -q 1 -t rampart/v1/d/SN-A/cmd/result \
	-m "{\"v\":1,\"id\":\"$cid\",\"status\":\"ok\",\"seq\":3,\"ts\":1767225603,\"detail\":\"pong\"}" ||
	fail "publish result"
wait_until "the command completed" is \
	"SELECT status || '|' || detail FROM commands WHERE id='$cid'" "ok|pong"
is "SELECT COUNT(*) FROM command_results WHERE cmd_id='$cid'" 1 || fail "result row"
cli device show SN-A >"$T/out" || fail "device show"
grep -q "ping $cid: ok pong" "$T/out" || fail "show commands: $(cat "$T/out")"
ok "ping: the command reaches SN-A's cmd topic, the result completes it in the store"

# --- quarantine: no ping; events still come through and are stored
cli device quarantine SN-A --reason "odd traffic" >/dev/null || fail "quarantine"
st=0
cli device ping SN-A >"$T/out" 2>&1 || st=$?
[ $st = 1 ] || fail "ping of a quarantined device: exit $st"
grep -q 'device is quarantined' "$T/out" || fail "ping: $(cat "$T/out")"
cli device list >"$T/out" || fail "device list"
grep -Eq '^SN-A +quarantined +online ' "$T/out" || fail "list: $(cat "$T/out")"
# strings shown as text are escaped for the terminal (ESC, C1 CSI)
cli device release SN-A >/dev/null || fail "release"
cli device quarantine SN-A --reason $'odd\e[2J\xc2\x9b31mtraffic' >/dev/null ||
	fail "quarantine (reason with control characters)"
cli device show SN-A >"$T/out" || fail "device show"
LC_ALL=C grep -q $'[\x1b\x9b]' "$T/out" && fail "raw control characters in device show"
grep -qF 'odd\x1b[2J\xc2\x9b31mtraffic' "$T/out" || fail "show: $(cat "$T/out")"
cli device show SN-A --json >"$T/out" || fail "device show --json"
LC_ALL=C grep -q $'[\x1b\x9b]' "$T/out" && fail "raw control characters in show --json"
grep -qF 'odd\u001B[2J\u009B31mtraffic' "$T/out" || fail "show --json: $(cat "$T/out")"
ev_q() {
	mq mosquitto_pub SN-A SN-A -q 1 -t rampart/v1/d/SN-A/events \
		-m '{"v":1,"seq":9,"ts":1767225609,"type":"config_change","severity":"info","count":1,"detail":"while quarantined"}' &&
		poll_for 3 is "SELECT COUNT(*) FROM events WHERE detail='while quarantined'" 1
}
# (the plugin applies the quarantine at its reload: retried until then)
wait_until "an event of the quarantined device stored" ev_q
cli device release SN-A >/dev/null || fail "release"
ok "quarantined SN-A: ping refused (409), listed as quarantined, its events still stored"

# --- a broker refusal becomes a refusals row
mq mosquitto_pub SN-A SN-A -q 1 -t rampart/v1/d/SN-B/telemetry -m spoof >/dev/null 2>&1 || true
wait_until "the ACL refusal recorded" is \
	"SELECT route || '|' || subject || '|' || reason FROM refusals WHERE route LIKE 'mqtt/%' ORDER BY id DESC LIMIT 1" \
	"mqtt/publish|SN-A|RP_E_PERM"
q "SELECT detail FROM refusals WHERE route='mqtt/publish' ORDER BY id DESC LIMIT 1" |
	grep -q 'broker: acl rampart/v1/d/SN-B/telemetry' || fail "refusal detail"
# a row that is not UTF-8 (cut inside a sequence) neither breaks the
# refusal list nor hides the rows older than it
sqlite3 -batch -cmd '.timeout 5000' "$DB" "INSERT INTO refusals (at, route, peer, subject, reason, code, detail) VALUES (1, 'mqtt/publish', '', '', 'RP_E_PERM', 0, 'broker: acl ' || CAST(X'c3' AS TEXT))"
cli device refusals --limit 1000 --json >"$T/out" || fail "device refusals"
grep -q '"detail": "(not UTF-8)"' "$T/out" || fail "refusals: $(head -30 "$T/out")"
grep -q 'broker: acl rampart/v1/d/SN-B/telemetry' "$T/out" ||
	fail "older refusals hidden: $(head -30 "$T/out")"
ok "a cross-device publish refused by the broker is in the refusals table (mqtt/publish, RP_E_PERM)"

# --- revocation cuts the open session through the reload notification
mq_args SN-B SN-B
mosquitto_sub "${MQA[@]}" -V mqttv5 -t rampart/v1/d/SN-B/cmd >"$T/b.out" 2>&1 &
B_PID=$!
SUBS+=("$B_PID")
n=$(grep -c 'as SN-B' "$D/broker/mosquitto.log" || true)
b_on() { [ "$(grep -c 'as SN-B' "$D/broker/mosquitto.log")" -gt "$n" ]; }
wait_until "SN-B's session" b_on
cli device revoke SN-B --reason keyCompromise >/dev/null || fail "revoke SN-B"
seq=$(sed -n 's/^seq //p' "$SNAP")
within 5 "SN-B's open session cut" gone "$B_PID"
wait_until "the broker's status for seq $seq" has "$T/rd.log" \
	"broker: reloaded snapshot seq $seq (trigger notify"
cli device ingest >"$T/out" || fail "device ingest"
grep -q '"trigger": "notify"' "$T/out" || fail "ingest status: $(cat "$T/out")"
# every SUBSCRIBE of the service role was granted (a refusal is counted)
grep -q '"subscriptions_refused": 0' "$T/out" || fail "SUBACK: $(cat "$T/out")"
cli device list >"$T/out" || fail "device list"
grep -q '^SN-B  *revoked  *offline ' "$T/out" || fail "list after revoke: $(cat "$T/out")"
ok "revoke SN-B: its session is cut via the reload notification (poll off, trigger notify)"

# --- the broker dies (kill -9) and comes back on the same port
mq_kill9
mq_start
wait_until "rampartd reconnected" connected_n 2
grep -q 'mqtt: connection lost to .*; retrying in [0-9]* ms' "$T/rd.log" ||
	fail "loss not logged"
published_2() {
	mq mosquitto_pub SN-A SN-A -q 1 -t rampart/v1/d/SN-A/telemetry -m "$(tel 5 1.4.3)" &&
		poll_for 3 is "SELECT seq FROM device_status WHERE serial='SN-A'" 5
}
# rampartd's SUBSCRIBE may still be on its way: publish until one lands
wait_until "telemetry after the broker restart" published_2
is "SELECT fw_version FROM device_status WHERE serial='SN-A'" 1.4.3 || fail "fw after restart"
ok "broker killed and restarted: rampartd reconnects (backoff) and ingest continues"

# --- SIGTERM flushes what was received but not yet written
stop_rd
printf '[mqtt]\nbatch_ms = 10000\nbatch_max = 1000\n' >"$T/rd.conf"
start_rd "$D" --broker "127.0.0.1:$MP" --config "$T/rd.conf"
wait_until "rampartd connected again" connected_n 3
before=$(q "SELECT COUNT(*) FROM telemetry WHERE serial='SN-A'")
received() {
	cli device ingest >"$T/ing.json" &&
		python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))
sys.exit(0 if j["ingest"]["since_start"]["received"] >= int(sys.argv[2]) else 1)' \
			"$T/ing.json" "$1"
}
publish_burst() {
	local i
	for i in $(seq 100 119); do tel "$i" 1.4.4; echo; done |
		mq mosquitto_pub SN-A SN-A -q 1 -t rampart/v1/d/SN-A/telemetry -l
}
# as above: publish until rampartd's subscription is in place
burst_received() {
	publish_burst && poll_for 5 received 20
}
wait_until "a burst of 20 received by rampartd" burst_received
got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ingest"]["since_start"]["received"])' "$T/ing.json")
[ "$(q "SELECT COUNT(*) FROM telemetry WHERE serial='SN-A'")" = "$before" ] ||
	fail "the batch was written early (batch_ms 10000)"
byes=$(grep -c 'Client rampartd disconnected\.' "$D/broker/mosquitto.log" || true)
stop_rd
bye() { [ "$(grep -c 'Client rampartd disconnected\.' "$D/broker/mosquitto.log")" -gt "$byes" ]; }
wait_until "the broker logs rampartd's DISCONNECT" bye
grep -q 'mqtt: ingest queue flushed' "$T/rd.log" || fail "no flush at shutdown"
after=$(q "SELECT COUNT(*) FROM telemetry WHERE serial='SN-A'")
[ $((after - before)) = "$got" ] ||
	fail "SIGTERM lost messages: received $got, stored $((after - before))"
ok "SIGTERM: the $got received messages still queued are stored, then a clean DISCONNECT and exit 0"

mq_stop
