#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_agent_renew_slow.sh - `rampart-agent run --broker` keeps its MQTT
# session while its EST renewal waits on a slow server (issue 10): rampartd
# (enrollment, the fleet snapshot, the service certificate), a real
# Mosquitto with the plugin, a device enrolled with `rampart-agent enroll`,
# and as the agent's --server a python3 ssl server presenting rampartd's
# own TLS certificate that reads the simplereenroll request and answers
# (503) only when the test releases it. While the request is held,
# telemetry with increasing seq reaches the service subscriber; once
# released, the renewal fails with its backoff logged, telemetry keeps
# flowing, and the broker saw a single connection of the device. SIGTERM
# with a renewal in flight cancels it and exits 0 (ASan: nothing leaked).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"

AGENT=$BIN/rampart-agent
MQ_PID=
AG_PID=
SVC_PID=
EST_PID=
exec 9>&2
die() {
	echo "FAIL: $*" >&9
	exit 1
}
stop_pid() {
	if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
		kill -9 "$1" 2>/dev/null || true
		wait "$1" 2>/dev/null || true
	fi
}
on_exit() {
	local st=$?
	stop_pid "$AG_PID"
	stop_pid "$SVC_PID"
	stop_pid "$EST_PID"
	stop_pid "$MQ_PID"
	if [ $st -ne 0 ]; then
		for f in "$T/agent.err" "$T/est.log" "$T/svc.log"; do
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
port_up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

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

# --- the broker (sanitizer runtime preloaded for the ASan plugin)
MP=$(free_port)
"$BIN/rampart" broker-config --data-dir "$D" --out "$T/mosquitto.conf" \
	--port "$MP" --plugin "$BIN/rampart_auth.so" --user "$(id -un)" \
	>"$T/bc.out" 2>&1 || fail "broker-config: $(cat "$T/bc.out")"
CAF=$D/broker/ca.pem
(
	if [ -n "${RP_PLUGIN_PRELOAD:-}" ]; then
		export LD_PRELOAD=$RP_PLUGIN_PRELOAD
		export ASAN_OPTIONS=detect_leaks=0
	fi
	exec mosquitto -c "$T/mosquitto.conf"
) >>"$T/mosquitto.out" 2>&1 &
MQ_PID=$!
mq_up() {
	kill -0 "$MQ_PID" || die "mosquitto exited: $(cat "$T/mosquitto.out")"
	port_up "$MP"
}
wait_until "mosquitto listening" mq_up
MLOG=$D/broker/mosquitto.log
mosquitto_sub -h 127.0.0.1 -p "$MP" --cafile "$CAF" \
	--cert "$D/pki/service.pem" --key "$D/pki/service.key" -i rampartd \
	-v -q 1 -t 'rampart/v1/d/+/telemetry' >>"$T/svc.log" 2>&1 &
SVC_PID=$!
svc_on() {
	kill -0 "$SVC_PID" || die "subscriber exited: $(cat "$T/svc.log")"
	has "$MLOG" "as rampartd"
}
wait_until "the service subscriber connected" svc_on

# --- the slow EST server: rampartd's certificate, answers when released
cat "$D/pki/server.pem" "$D/pki/issuing.pem" >"$T/est-chain.pem"
cat >"$T/slow_est.py" <<'PY'
import os, socket, ssl, sys, time
port, chain, key, mark, release = sys.argv[1:6]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(chain, key)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(port)))
ls.listen(8)
while True:
    c, _ = ls.accept()
    try:
        s = ctx.wrap_socket(c, server_side=True)
        data = b""
        while b"\r\n\r\n" not in data:
            b = s.recv(4096)
            if not b:
                raise OSError("closed")
            data += b
        head, body = data.split(b"\r\n\r\n", 1)
        n = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                n = int(line.split(b":")[1])
        while len(body) < n:
            body += s.recv(4096)
        with open(mark, "a") as f:
            f.write(head.split(b"\r\n")[0].decode() + "\n")
        while not os.path.exists(release):  # the test's hand, not a clock
            time.sleep(0.05)
        s.sendall(b"HTTP/1.1 503 Service Unavailable\r\n"
                  b"Content-Length: 0\r\nConnection: close\r\n\r\n")
        s.close()
    except (OSError, ssl.SSLError) as e:
        print("connection:", e, flush=True)
        c.close()
PY
EP=$(free_port)
python3 "$T/slow_est.py" "$EP" "$T/est-chain.pem" "$D/pki/server.key" \
	"$T/est.requests" "$T/est.release" >"$T/est.log" 2>&1 &
EST_PID=$!
est_up() {
	kill -0 "$EST_PID" || die "EST server exited: $(cat "$T/est.log")"
	port_up "$EP"
}
wait_until "the slow EST server listening" est_up

# --- the agent, renewal due at once (window longer than any lifetime)
"$AGENT" run --server "https://127.0.0.1:$EP" --keystore "$SPEC" \
	--ca-file "$CA" --window 100000000 --backoff-base-ms 60000 \
	--broker "127.0.0.1:$MP" --broker-ca "$CAF" --telemetry-interval 1 \
	--reconnect-base-ms 200 --reconnect-cap-ms 1000 \
	>"$T/agent.out" 2>"$T/agent.err" &
AG_PID=$!
ag_alive() { kill -0 "$AG_PID" || die "agent exited: $(cat "$T/agent.err")"; }
held() { ag_alive && has "$T/est.requests" "POST /.well-known/est/simplereenroll"; }
wait_until "the renewal request at the slow server" held
seqs() {
	grep -F "rampart/v1/d/SN-A/telemetry {" "$T/svc.log" | cut -d' ' -f2- |
		python3 -c 'import json, sys
print(" ".join(str(json.loads(l)["seq"]) for l in sys.stdin))'
}
n0=$(count "$T/svc.log" "SN-A/telemetry {")
three_more() {
	ag_alive && [ "$(count "$T/svc.log" "SN-A/telemetry {")" -ge $((n0 + 3)) ]
}
wait_until "telemetry while the renewal is held" three_more
# Still held: the server has not answered, the agent logged no end.
[ -e "$T/est.release" ] && fail "released too early"
has "$T/agent.err" "renewal:" && fail "renewal ended while held: $(cat "$T/agent.err")"
python3 -c 'import sys
s = [int(x) for x in sys.argv[1:]]
assert len(s) >= 3 and s == sorted(set(s)), s' $(seqs) ||
	fail "telemetry seq not increasing: $(seqs)"
ok "telemetry flowed during the held renewal: seq $(seqs)"

touch "$T/est.release"
ended() { ag_alive && has "$T/agent.err" "renewal: "; }
wait_until "the renewal's failure" ended
grep -F "renewal: " "$T/agent.err" | grep -q "next attempt in" ||
	fail "no backoff: $(cat "$T/agent.err")"
n1=$(count "$T/svc.log" "SN-A/telemetry {")
after() { ag_alive && [ "$(count "$T/svc.log" "SN-A/telemetry {")" -gt "$n1" ]; }
wait_until "telemetry after the failed renewal" after
[ "$(count "$MLOG" "as SN-A")" = 1 ] ||
	fail "the device reconnected: $(grep -F 'as SN-A' "$MLOG")"
ok "renewal failed with backoff; one MQTT connection throughout"
kill -TERM "$AG_PID"
wait "$AG_PID" || fail "agent exit $?: $(cat "$T/agent.err")"
AG_PID=
# SIGTERM while a renewal is held: the request is cancelled, everything
# freed (the sanitizer's leak check makes the exit status say so), exit 0.
rm -f "$T/est.release"
"$AGENT" run --server "https://127.0.0.1:$EP" --keystore "$SPEC" \
	--ca-file "$CA" --window 100000000 \
	--broker "127.0.0.1:$MP" --broker-ca "$CAF" --telemetry-interval 1 \
	>"$T/agent.out" 2>"$T/agent.err" &
AG_PID=$!
held2() { ag_alive && [ "$(count "$T/est.requests" "simplereenroll")" = 2 ]; }
wait_until "the second renewal request held" held2
kill -TERM "$AG_PID"
wait "$AG_PID" || fail "agent exit $? with a held renewal: $(cat "$T/agent.err")"
AG_PID=
ok "SIGTERM with a renewal in flight: clean exit"
stop_rd
