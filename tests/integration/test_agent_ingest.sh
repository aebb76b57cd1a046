#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_agent_ingest.sh - the whole chain with no hand-made message:
# `rampart-agent run --broker` (enrolled with `rampart-agent enroll`, file
# keystore) -> Mosquitto + rampart_auth.so (configured by `rampart
# broker-config`) -> rampartd --broker -> its store. Checked with sqlite3
# and the CLI: the agent's telemetry (firmware, period) and its events
# (agent_start, a failed login from its auth log) are stored, `rampart
# device list` shows it online with its firmware, `rampart device ping
# --wait` gets the agent's answer; the broker killed with -9 and restarted
# is survived by both (a failed login during the outage arrives after it,
# telemetry continues); SIGTERM stops agent and rampartd cleanly.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"
. "$here/mq_lib.sh"

AGENT=$BIN/rampart-agent
AG_PID=
on_exit() {
	local st=$?
	if [ -n "$AG_PID" ]; then
		kill "$AG_PID" 2>/dev/null || true
		wait "$AG_PID" 2>/dev/null || true
	fi
	mq_stop_all
	if [ $st -ne 0 ]; then
		echo "--- agent (last 20 lines)" >&2
		tail -20 "$T/agent.err" >&2 2>/dev/null || true
		echo "--- mosquitto log (last 20 lines)" >&2
		tail -20 "$D/broker/mosquitto.log" >&2 2>/dev/null || true
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
ag_alive() { kill -0 "$AG_PID" || die "agent exited: $(tail -5 "$T/agent.err")"; }

start_rd "$D"
printf 'serial,hw_type,hw_token,group,tags\nSN-A,file,,line-a,\n' >"$T/allow.csv"
cli allowlist import "$T/allow.csv" >/dev/null || fail "allowlist import"
cli claim create --group line-a --expires 1d --out "$T/claim" >/dev/null ||
	fail "claim create"
SPEC=file:$T/ks
"$AGENT" enroll --server "$URL" --claim "$T/claim.pem,$T/claim.key" \
	--keystore "$SPEC" --serial SN-A --ca-file "$CA" >"$T/out" 2>&1 ||
	fail "enroll: $(cat "$T/out")"
mq_config "$D"
mq_start
stop_rd
start_rd "$D" --broker "127.0.0.1:$MP"
wait_until "rampartd connected to the broker" connected_n 1

: >"$T/auth.log"
"$AGENT" run --server "$URL" --keystore "$SPEC" --ca-file "$CA" \
	--broker "127.0.0.1:$MP" --broker-ca "$CAF" --telemetry-interval 1 \
	--log "$T/events.log" --auth-log "$T/auth.log" --fw-version 2.0.1 \
	--reconnect-base-ms 200 --reconnect-cap-ms 1000 \
	>"$T/agent.out" 2>"$T/agent.err" &
AG_PID=$!
tel_stored() { ag_alive && is "SELECT fw_version || '|' || interval_s FROM device_status WHERE serial='SN-A'" "2.0.1|1"; }
wait_until "the agent's telemetry in the store" tel_stored
wait_until "the agent_start event in the store" is \
	"SELECT COUNT(*) > 0 FROM events WHERE serial='SN-A' AND type='agent_start'" 1
# (no boot slot to hash here: fw_sha256 is empty; the log head is there)
is "SELECT (log_seq > 0) || '|' || length(log_head) || '|' || (mem_total_kb > 0) FROM device_status WHERE serial='SN-A'" \
	'1|64|1' || fail "telemetry facts: $(q "SELECT * FROM device_status")"
cli device list >"$T/out" || fail "device list"
grep -Eq '^SN-A +enrolled +online +2\.0\.1 +([0-9]+ s ago|now) +line-a$' "$T/out" ||
	fail "list: $(cat "$T/out")"
ok "the agent's telemetry and agent_start event reach rampartd's store; list: online, 2.0.1"

echo "Dec  1 10:00:00 dev sshd[42]: Failed password for user0 from 10.0.0.9 port 22 ssh2" >>"$T/auth.log"
wait_until "the auth_failure event in the store" is \
	"SELECT COUNT(*) FROM events WHERE serial='SN-A' AND type='auth_failure' AND detail LIKE '%user0 from 10.0.0.9%'" 1
ok "a failed login on the device is an auth_failure row in rampartd's events table"

cli device ping SN-A --wait 30 >"$T/out" || fail "ping: $(cat "$T/out")"
grep -q '^SN-A: ok' "$T/out" || fail "ping: $(cat "$T/out")"
is "SELECT COUNT(*) FROM commands WHERE serial='SN-A' AND status='ok'" 1 ||
	fail "the command's result is not in the store"
ok "rampart device ping --wait: the agent answers ok, the result is in the store"

# --- the broker dies and comes back: agent and rampartd reconnect
seq0=$(q "SELECT seq FROM device_status WHERE serial='SN-A'")
mq_kill9
echo "Dec  1 10:00:01 dev sshd[42]: Failed password for down1 from 10.0.0.9 port 22 ssh2" >>"$T/auth.log"
logged() { ag_alive && grep -qF "down1 from" "$T/events.log"; }
wait_until "the outage's failed login in the agent's log" logged
# A restarted broker has no sessions: what the agent sends before rampartd
# has subscribed again would reach nobody. Hold the agent until rampartd's
# subscriptions are back (the plugin's status answers its reload, which it
# sends after SUBSCRIBE).
kill -STOP "$AG_PID"
n=$(grep -c 'broker: reloaded snapshot' "$T/rd.log")
mq_start
wait_until "rampartd reconnected" connected_n 2
resubscribed() { [ "$(grep -c 'broker: reloaded snapshot' "$T/rd.log")" -gt "$n" ]; }
wait_until "rampartd subscribed again" resubscribed
kill -CONT "$AG_PID"
wait_until "the outage's event in the store" is \
	"SELECT COUNT(*) FROM events WHERE serial='SN-A' AND detail LIKE '%down1 from%'" 1
tel_after() { ag_alive && [ "$(q "SELECT seq FROM device_status WHERE serial='SN-A'")" -gt "$seq0" ]; }
wait_until "telemetry after the restart" tel_after
ok "broker killed and restarted: both reconnect, the event queued by the agent is stored, telemetry continues"

kill -TERM "$AG_PID"
st=0
wait "$AG_PID" || st=$?
AG_PID=
[ $st = 0 ] || fail "agent exited $st after SIGTERM"
! grep -q Sanitizer "$T/agent.err" || fail "sanitizer report in the agent"
stop_rd
mq_stop
n=$(q "SELECT n_telemetry FROM device_status WHERE serial='SN-A'")
[ "$n" -ge 2 ] || fail "telemetry count $n"
ok "SIGTERM: agent and rampartd exit 0; $n telemetry messages of the agent stored"
