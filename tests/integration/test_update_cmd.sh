#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_update_cmd.sh - rampartd's side of a firmware update
# (docs/updates.md) with a real rampartd, a real Mosquitto with the
# rampart plugin, and devices enrolled over EST that talk with
# mosquitto_pub/_sub and their own certificates:
#   - `rampart device update SN-A RELEASE` publishes exactly the documented
#     update command on SN-A's cmd topic (received by mosquitto_sub with
#     SN-A's certificate; its JSON checked member by member, the URL from
#     [http] public_url), and records the update "sent";
#   - a second update while one is unfinished: 409; a release of another
#     hardware type: 409; an unknown release: 404; a removal of the
#     release in use: 409;
#   - the command's result and the device's update events (mosquitto_pub
#     with SN-A's certificate) move the state that `rampart device show
#     --json` and `device show` display; a late or backward report changes
#     nothing and is counted (update_ignored);
#   - `device update --wait` follows to the end: exit 0 confirmed, exit 1
#     for a rejection (final "failed" with the detail's reason code);
#   - `device update-cancel` publishes a cancel command naming the
#     release (the device ends the update), and ends at once an update
#     the device never answered or one of a device that cannot connect;
#     once the trial is marked it is refused (409) and sends nothing;
#   - the percent of a report near 2^63 bytes, without overflow;
#   - --check-config refuses a wildcard listen address without
#     [http] public_url;
#   - GET devices/SN-A/update: the current update and the history.
# That a device cannot publish on another device's (or its own) cmd topic
# is the broker's ACL, tested in test_mqtt_broker.c
# (test_device_cannot_reach_others, test_refused_client_will_not_published).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"
. "$here/mq_lib.sh"

WAITP=
on_exit() {
	local st=$?
	[ -z "$WAITP" ] || kill "$WAITP" 2>/dev/null || true
	mq_stop_all
	if [ $st -ne 0 ] && [ -f "$T/mosquitto.out" ]; then
		echo "--- mosquitto log (last 20 lines)" >&2
		tail -20 "$D/broker/mosquitto.log" >&2 || true
	fi
	set +e # else "(exit $st)" ends the trap before cleanup
	(exit $st)
	cleanup
}
trap on_exit EXIT

D=$T/data
DB=$D/rampart.db
q() { sql "$DB" "$1"; }
is() { [ "$(q "$1")" = "$2" ]; }
connected_n() { [ "$(grep -c 'mqtt: connected to the broker' "$T/rd.log")" -ge "$1" ]; }
# code METHOD PATH [BODY]: the HTTP status of an admin API call.
code() {
	curl -s --cacert "$CA" -o "$T/code.out" -w '%{http_code}' --max-time 20 \
		-H "Authorization: Bearer $(cat "$T/token")" -X "$1" \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"} \
		"$URL$2" || true
}
# a release row as rampartd's release store writes it (the release API is
# another part's: the row is all an update needs)
R1=$(printf 'r1' | sha256sum | cut -c1-64)
R2=$(printf 'r2' | sha256sum | cut -c1-64)
R9=$(printf 'r9' | sha256sum | cut -c1-64)
add_release() { # ID HW MAJOR MINOR PATCH COUNTER SIZE
	q "INSERT INTO releases (id, hw_type, ver_major, ver_minor, ver_patch, counter, kind, payload_size, file_size, build_time, created_at) VALUES ('$1', '$2', $3, $4, $5, $6, 0, $7 - 192, $7, 1767225600, strftime('%s','now'))"
}
# show_field SERIAL PY_EXPR: a value of `rampart device show --json`.
show_field() {
	cli device show "$1" --json >"$T/show.json" || return 1
	python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$T/show.json"
}
state_is() { [ "$(show_field SN-A "j['update']['state']")" = "$1" ]; }
# sub_cmd N: SN-A's next N commands into $T/cmd.out, one a line; then
# sub_ready: a ping (retried: the subscription is granted after the
# connection line the log shows) is the first of them. The subscriber
# has SN-A's client id (= its CN): it must have ended before SN-A
# publishes, which would take its session over.
sub_on() { [ "$(grep -c 'as SN-A' "$D/broker/mosquitto.log")" -gt "$1" ]; }
sub_cmd() {
	local n
	: >"$T/cmd.out"
	n=$(grep -c 'as SN-A' "$D/broker/mosquitto.log" || true)
	mq_args SN-A SN-A
	mosquitto_sub "${MQA[@]}" -q 1 -t rampart/v1/d/SN-A/cmd -C "$1" >"$T/cmd.out" 2>&1 &
	SUB_PID=$!
	SUBS+=("$SUB_PID")
	wait_until "SN-A's command subscription" sub_on "$n"
	wait_until "a ping delivered to SN-A" sub_ready
}
sub_ready() {
	cli device ping SN-A >/dev/null || return 1
	poll_for 2 test -s "$T/cmd.out"
}
sub_done() { wait "$SUB_PID" || fail "mosquitto_sub: $(cat "$T/cmd.out")"; }
# cmd_of TYPE: the command of that type SN-A received, in $T/TYPE.json.
cmd_of() { grep -F "\"type\":\"$1\"" "$T/cmd.out" >"$T/$1.json" || fail "no $1 command in $(cat "$T/cmd.out")"; }
pub() { mq mosquitto_pub SN-A SN-A -q 1 "$@"; }
result() { # CMD STATUS DETAIL
	pub -t rampart/v1/d/SN-A/cmd/result \
		-m "{\"v\":1,\"id\":\"$1\",\"status\":\"$2\",\"seq\":$((SEQ += 1)),\"ts\":1767225700,\"detail\":\"$3\"}"
}
SEQ=100
event() { # CMD RELEASE STATE OFFSET SIZE [CODE]
	pub -t rampart/v1/d/SN-A/events \
		-m "{\"v\":1,\"seq\":$((SEQ += 1)),\"ts\":1767225700,\"type\":\"update\",\"severity\":\"info\",\"count\":1,\"detail\":\"\",\"update\":{\"release\":\"$2\",\"cmd\":\"$1\",\"state\":\"$3\",\"offset\":$4,\"size\":$5,\"code\":\"${6:-}\"}}"
}

# --- a fleet of SN-A, SN-B (hw tpm2), a broker, and releases
start_rd "$D"
enroll_devices line-a SN-A SN-B
mq_config "$D"
mq_start
stop_rd
# bad_conf WHAT MESSAGE: --check-config of $T/bad.conf exits 2 with it
bad_conf() {
	local st=0
	"$BIN/rampartd" --check-config --config "$T/bad.conf" >"$T/bad.out" 2>&1 || st=$?
	[ $st = 2 ] || fail "$1: exit $st"
	grep -qF "$2" "$T/bad.out" || fail "$1: $(cat "$T/bad.out")"
}
for bad in http://fw.example.test https://fw.example.test/ "https://a b" https://; do
	printf '[http]\npublic_url = %s\n' "$bad" >"$T/bad.conf"
	bad_conf "public_url '$bad'" 'public_url must be https://HOST[:PORT][/PATH] without a trailing'
done
# a wildcard listen address is no URL devices reach: public_url needed
for any in 0.0.0.0 :: 0:0::0; do
	printf '[server]\nlisten = %s\n' "$any" >"$T/bad.conf"
	bad_conf "listen '$any' without public_url" \
		'listen is a wildcard address: set [http] public_url to the URL devices reach rampartd at'
	printf '[server]\nlisten = %s\n[http]\npublic_url = https://fw.example.test\n' "$any" >"$T/any.conf"
	"$BIN/rampartd" --check-config --config "$T/any.conf" >"$T/any.out" 2>&1 ||
		fail "listen '$any' with a public_url: $(cat "$T/any.out")"
done
# --listen 0.0.0.0 without public_url: refused before anything is created
st=0
"$BIN/rampartd" --foreground --data-dir "$T/any-data" --listen 0.0.0.0 --port 0 >"$T/any.out" 2>&1 || st=$?
[ $st = 2 ] || fail "--listen 0.0.0.0 without public_url: exit $st: $(cat "$T/any.out")"
grep -qF 'listen is a wildcard address: set [http] public_url to the URL devices reach rampartd at' "$T/any.out" ||
	fail "--listen 0.0.0.0: $(cat "$T/any.out")"
[ ! -e "$T/any-data" ] || fail "--listen 0.0.0.0 created its data directory"
printf '[http]\npublic_url = https://fw.example.test:8443/base\n' >"$T/rd.conf"
start_rd "$D" --broker "127.0.0.1:$MP" --config "$T/rd.conf"
wait_until "rampartd connected to the broker" connected_n 1
add_release "$R1" tpm2 1 4 3 10 1048768
add_release "$R2" other-hw 2 0 0 1 4096

# --- the update command, exactly as documented
sub_cmd 2
cli device update SN-A "$R1" --json >"$T/upd.json" || fail "device update: $(cat "$T/upd.json")"
sub_done
cmd_of update
python3 - "$T/update.json" "$T/upd.json" "$R1" <<'EOF' || fail "the update command: $(cat "$T/cmd.out")"
import json, re, sys
c = json.load(open(sys.argv[1]))
a = json.load(open(sys.argv[2]))
r = sys.argv[3]
assert sorted(c) == ["arg", "id", "ts", "type", "update", "v"], sorted(c)
assert c["v"] == 1 and c["type"] == "update" and c["arg"] == "", c
assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", c["id"]), c["id"]
assert c["update"] == {"release": r, "hw": "tpm2", "version": "1.4.3",
                       "counter": 10, "size": 1048768,
                       "url": "https://fw.example.test:8443/base/fw/v1/" + r}, c["update"]
u = a["update"]
assert a["device"] == "SN-A" and u["command"] == c["id"], a
assert u["state"] == "sent" and u["final"] is False and u["release"] == r, u
assert u["size"] == 1048768 and u["offset"] == 0 and u["percent"] == 0, u
assert u["version"] == "1.4.3" and a["url"] == c["update"]["url"], a
EOF
CID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/update.json")
is "SELECT state || '|' || release_id || '|' || final FROM updates WHERE cmd_id='$CID' AND serial='SN-A'" "sent|$R1|0" ||
	fail "the update row: $(q 'SELECT * FROM updates')"
is "SELECT type FROM commands WHERE id='$CID'" update || fail "the command row"
ok "device update: the documented update command on SN-A's cmd topic (url from [http] public_url); the update recorded 'sent'"

# --- refusals
[ "$(code POST /api/v1/devices/SN-A/update "{\"release\":\"$R1\"}")" = 409 ] ||
	fail "a second update: $(cat "$T/code.out")"
grep -q "unfinished update (command $CID, state sent)" "$T/code.out" || fail "409: $(cat "$T/code.out")"
st=0
cli device update SN-A "$R1" >"$T/out" 2>&1 || st=$?
[ $st = 1 ] || fail "a second update from the CLI: exit $st"
grep -q 'unfinished update' "$T/out" || fail "the CLI's refusal: $(cat "$T/out")"
[ "$(code POST /api/v1/devices/SN-B/update "{\"release\":\"$R2\"}")" = 409 ] ||
	fail "another hw: $(cat "$T/code.out")"
grep -q "release is for hardware 'other-hw', the device is 'tpm2'" "$T/code.out" ||
	fail "hw 409: $(cat "$T/code.out")"
[ "$(code POST /api/v1/devices/SN-B/update "{\"release\":\"$R9\"}")" = 404 ] ||
	fail "an unknown release: $(cat "$T/code.out")"
[ "$(code POST /api/v1/devices/SN-Z/update "{\"release\":\"$R1\"}")" = 404 ] ||
	fail "an unknown device: $(cat "$T/code.out")"
[ "$(code POST /api/v1/devices/SN-B/update '{"release":"x"}')" = 400 ] ||
	fail "a malformed body: $(cat "$T/code.out")"
[ "$(code DELETE "/api/v1/releases/$R1")" = 409 ] ||
	fail "removing the release in use: $(cat "$T/code.out")"
is "SELECT COUNT(*) FROM releases WHERE id='$R1'" 1 || fail "the release in use was removed"
is "SELECT COUNT(*) FROM updates" 1 || fail "a refused update left a row"
ok "refused: a second update (409), another hardware type (409), an unknown release or device (404), a bad body (400), removing the release in use (409)"

# --- the device answers; its events move the state
result "$CID" ok accepted
wait_until "accepted" state_is accepted
event "$CID" "$R1" downloading 524384 1048768
wait_until "downloading" state_is downloading
[ "$(show_field SN-A "j['update']['percent'], j['update']['offset'], j['update']['version']")" = "50 524384 1.4.3" ] ||
	fail "progress: $(cat "$T/show.json")"
cli device show SN-A >"$T/out" || fail "device show"
grep -q '^  update        1.4.3 downloading, 50 % (524384 of 1048768 bytes)$' "$T/out" ||
	fail "device show: $(cat "$T/out")"
# the largest offset and size a device may report (the store admits up
# to 2^63-1): the percent is computed without overflow (offset * 100
# would overflow int64: UBSan aborts the asan build), 99 until offset
# reaches size
event "$CID" "$R1" downloading 4611686018427387904 4611686018427387905
wait_until "the huge report stored" is "SELECT size FROM updates WHERE cmd_id='$CID'" 4611686018427387905
[ "$(show_field SN-A "j['update']['percent'], j['update']['offset']")" = "99 4611686018427387904" ] ||
	fail "percent of a huge report: $(cat "$T/show.json")"
# a reordered report (lower offset) then a newer one: only the newer moves
event "$CID" "$R1" downloading 1000 1048768
event "$CID" "$R1" downloaded 1048768 1048768
wait_until "downloaded" state_is downloaded
is "SELECT value FROM ingest_counters WHERE name='update_ignored'" 1 ||
	fail "the ignored report was not counted: $(q 'SELECT * FROM ingest_counters')"
for s in verified trial_marked rebooting trial_running confirmed; do
	event "$CID" "$R1" "$s" 1048768 1048768
done
wait_until "confirmed" state_is confirmed
[ "$(show_field SN-A "j['update']['final'], j['update']['percent']")" = "True 100" ] ||
	fail "final: $(cat "$T/show.json")"
event "$CID" "$R1" failed 0 1048768 late
result "$CID" ok accepted
wait_until "two late reports counted" is \
	"SELECT value FROM ingest_counters WHERE name='update_ignored'" 3
state_is confirmed || fail "a late report moved a confirmed update"
is "SELECT COUNT(*) FROM release_uses" 0 || fail "a finished update still uses: $(q 'SELECT * FROM release_uses')"
ok "result ok -> accepted, events -> downloading 50 % (device show, --json), 99 % of 2^62+1 bytes (no overflow) ... confirmed; reordered and late reports ignored and counted; the release is free again"

# --- --wait: confirmed exits 0, a rejection exits 1
follow() { # EXPECTED_EXIT then drive the device with the rest
	sub_cmd 2
	"$BIN/rampart" device update SN-A "$R1" --wait --timeout 60 --server "$URL" \
		--token-file "$T/token" --ca "$CA" >"$T/wait.out" 2>&1 &
	WAITP=$!
	sub_done
	cmd_of update
	CID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/update.json")
}
follow
result "$CID" ok accepted
event "$CID" "$R1" downloading 262192 1048768
wait_until "--wait shows the progress" grep -q '^SN-A: downloading, 25 % (262192 of 1048768 bytes)$' "$T/wait.out"
event "$CID" "$R1" confirmed 1048768 1048768
st=0
wait "$WAITP" || st=$?
WAITP=
[ $st = 0 ] || fail "--wait on a confirmed update: exit $st: $(cat "$T/wait.out")"
grep -q '^SN-A: confirmed, 100 %' "$T/wait.out" || fail "--wait: $(cat "$T/wait.out")"
follow
result "$CID" rejected "hw_mismatch: devkit-b, not tpm2"
st=0
wait "$WAITP" || st=$?
WAITP=
[ $st = 1 ] || fail "--wait on a rejected update: exit $st: $(cat "$T/wait.out")"
grep -q '^SN-A: failed, 0 % (0 of 1048768 bytes): hw_mismatch$' "$T/wait.out" || fail "--wait: $(cat "$T/wait.out")"
is "SELECT state || '|' || code || '|' || final FROM updates WHERE cmd_id='$CID'" "failed|hw_mismatch|1" ||
	fail "the rejected update: $(q "SELECT * FROM updates WHERE cmd_id='$CID'")"
ok "device update --wait: follows the progress; exit 0 when confirmed, 1 when rejected (failed, code hw_mismatch)"

# --- cancel
st=0
cli device update-cancel SN-A >"$T/out" 2>&1 || st=$?
[ $st = 1 ] || fail "cancel with no update running: exit $st"
grep -q 'no unfinished update' "$T/out" || fail "cancel: $(cat "$T/out")"
# accepted: the cancel command goes out, the device ends the update
sub_cmd 2
cli device update SN-A "$R1" >/dev/null || fail "update to cancel"
sub_done
UCID=$(q "SELECT cmd_id FROM updates WHERE final = 0")
result "$UCID" ok accepted
wait_until "accepted" state_is accepted
sub_cmd 2
cli device update-cancel SN-A >"$T/out" || fail "update-cancel: $(cat "$T/out")"
sub_done
cmd_of cancel
python3 - "$T/cancel.json" "$R1" <<'EOF' || fail "the cancel command: $(cat "$T/cmd.out")"
import json, sys
c = json.load(open(sys.argv[1]))
assert sorted(c) == ["arg", "id", "ts", "type", "v"], sorted(c)
assert c["type"] == "cancel" and c["arg"] == sys.argv[2], c
EOF
grep -q "for update $UCID (the device answers with state cancelled)" "$T/out" || fail "update-cancel: $(cat "$T/out")"
state_is accepted || fail "cancel ended an accepted update before the device did"
event "$UCID" "$R1" cancelled 0 1048768
wait_until "cancelled" state_is cancelled
# still "sent": ended at once (the cancel follows the update on the topic)
cli device update SN-A "$R1" >/dev/null || fail "update to cancel unanswered"
UCID=$(q "SELECT cmd_id FROM updates WHERE final = 0")
cli device update-cancel SN-A >"$T/out" || fail "update-cancel: $(cat "$T/out")"
grep -q "^update $UCID of SN-A cancelled; a cancel command was sent: " "$T/out" || fail "update-cancel: $(cat "$T/out")"
state_is cancelled || fail "an unanswered update not cancelled: $(cat "$T/show.json")"
[ "$(show_field SN-A "j['update']['detail']")" = "cancelled by the operator before the device answered" ] ||
	fail "detail: $(cat "$T/show.json")"
# the trial is marked: 409, no cancel command (the subscriber's second
# command is the ping sent after the refusals, not a cancel)
sub_cmd 2
cli device update SN-A "$R1" >/dev/null || fail "update to mark the trial of"
sub_done
UCID=$(q "SELECT cmd_id FROM updates WHERE final = 0 AND serial = 'SN-A'")
result "$UCID" ok accepted
wait_until "accepted" state_is accepted
event "$UCID" "$R1" trial_marked 1048768 1048768
wait_until "trial_marked" state_is trial_marked
sub_cmd 2
[ "$(code POST /api/v1/devices/SN-A/update/cancel)" = 409 ] || fail "cancel after the trial mark: $(cat "$T/code.out")"
grep -q 'the trial is marked: the update can no longer be cancelled; it ends confirmed or rolled back' "$T/code.out" ||
	fail "409: $(cat "$T/code.out")"
st=0
cli device update-cancel SN-A >"$T/out" 2>&1 || st=$?
[ $st = 1 ] || fail "update-cancel after the trial mark: exit $st: $(cat "$T/out")"
grep -q 'the trial is marked' "$T/out" || fail "update-cancel: $(cat "$T/out")"
cli device ping SN-A >/dev/null || fail "ping"
sub_done
! grep -qF '"type":"cancel"' "$T/cmd.out" || fail "a cancel was sent after the trial mark: $(cat "$T/cmd.out")"
[ "$(grep -cF '"type":"ping"' "$T/cmd.out")" = 2 ] || fail "commands after the trial mark: $(cat "$T/cmd.out")"
state_is trial_marked || fail "the refused cancel moved the update: $(cat "$T/show.json")"
event "$UCID" "$R1" rolled_back 1048768 1048768 boot_failed
wait_until "rolled_back" state_is rolled_back
# a device that cannot connect any more: ended here, no command
cli device update SN-B "$R1" >/dev/null || fail "update of SN-B"
cli device decommission SN-B >/dev/null || fail "decommission SN-B"
is "SELECT COUNT(*) FROM release_uses" 1 || fail "SN-B's update does not hold its release"
cli device update-cancel SN-B >"$T/out" || fail "update-cancel SN-B: $(cat "$T/out")"
grep -q "of SN-B cancelled (no command: the device cannot connect)" "$T/out" || fail "update-cancel SN-B: $(cat "$T/out")"
is "SELECT state || '|' || detail FROM updates WHERE serial='SN-B'" "cancelled|cancelled by the operator: the device is decommissioned" ||
	fail "SN-B's update: $(q "SELECT * FROM updates WHERE serial='SN-B'")"
is "SELECT COUNT(*) FROM release_uses" 0 || fail "a cancelled update still holds its release"
ok "update-cancel: refused with nothing running; an accepted update gets a cancel command naming the release and ends with the device's cancelled event; an unanswered one, or one of a decommissioned device (no command), ends at once and frees its release; after the trial mark: 409, no command"

# --- the history, newest first
[ "$(code GET /api/v1/devices/SN-A/update)" = 200 ] || fail "GET update: $(cat "$T/code.out")"
python3 - "$T/code.out" "$UCID" <<'EOF' || fail "the history: $(cat "$T/code.out")"
import json, sys
j = json.load(open(sys.argv[1]))
h = j["history"]
assert [u["state"] for u in h] == ["rolled_back", "cancelled", "cancelled", "failed", "confirmed", "confirmed"], h
assert all(u["version"] == "1.4.3" and u["final"] for u in h), h
assert j["current"]["command"] == sys.argv[2] == h[0]["command"], j["current"]
EOF
[ "$(code GET /api/v1/devices/SN-Z/update)" = 404 ] || fail "GET update of an unknown device"
ok "GET devices/SN-A/update: the current update and the history, newest first, with their versions"

stop_rd
mq_stop
