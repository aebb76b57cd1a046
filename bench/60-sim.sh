#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# 60-sim: what a simulated device costs in rampart-sim (docs/sim.md).
# rampartd (EST) and Mosquitto + rampart_auth.so on loopback; SIM_N
# (1000) devices enrolled, booted and connected, telemetry every
# SIM_INTERVAL (1) s. Measured at steady state over SIM_WINDOW (10) s:
#   - RSS per connected device (sim VmRSS / N), against the RSS of one
#     bare libmosquitto client process (mosquitto_sub, connected over
#     mutual TLS): what simulating a device in-process costs next to
#     running a client process per device;
#   - CPU time per message sent, against mosquitto_pub -l publishing
#     SIM_PUB_N messages of the same size at QoS 0 (as the agent sends
#     telemetry) over one TLS session (a bare
#     libmosquitto publisher: no JSON, no per-device state);
#   - the sim's CPU share of one core at that rate (no baseline: printed).
# Everything runs on 127.0.0.1 and stops by itself.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

BIN=${RP_BIN_DIR:?}
N=${SIM_N:-1000}
IV=${SIM_INTERVAL:-1}
WIN=${SIM_WINDOW:-10}
PUBN=${SIM_PUB_N:-20000}
T=$(mktemp -d /tmp/rp-bench-sim.XXXXXX)
trap 'bench_stop; [ -n "${SIM_KEEP:-}" ] || rm -rf "$T"' EXIT
fail() { echo "60-sim: $*" >&2; exit 1; }
wait_until() { # SECONDS CMD...
	local end=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1 # polling interval of the wait
	done
}
free_port() { # below the ephemeral range (32768-): no client holds it
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || break
	done
	echo "$p"
}
# One descriptor per device in the sim (its socket), one per client in the
# broker.
need=$((N + 1024))
ulimit -n "$need" 2>/dev/null ||
	fail "$N devices need $need descriptors; the hard limit is $(ulimit -Hn) (room for $(($(ulimit -Hn) - 1024)) devices: set SIM_N)"

"$BIN/rampartd" --foreground --data-dir "$T/data" --port 0 \
	--setup-token-file "$T/token" >"$T/rd.log" 2>&1 &
pids+=($!)
wait_until 30 grep -q 'listening on' "$T/rd.log" || fail "rampartd did not start"
port=$(grep 'listening on' "$T/rd.log" | tail -1 |
	sed 's|.*https://[^:]*:\([0-9]*\)/.*|\1|')
URL=https://127.0.0.1:$port CA=$T/data/pki/root.pem
cli() { "$BIN/rampart" "$@" --server "$URL" --token-file "$T/token" --ca "$CA"; }
{
	"$BIN/rampart-sim" allowlist --devices "$N" --prefix BS- --group bench
	echo "BENCH-PUB,bench,,bench,"
} >"$T/allow.csv"
cli allowlist import "$T/allow.csv" >/dev/null
cli claim create --group bench --expires 1d --out "$T/claim" >/dev/null

# The baseline client's identity: a plain key, enrolled with openssl + curl.
openssl ecparam -name prime256v1 -genkey -noout -out "$T/pub.key" 2>/dev/null
openssl req -new -key "$T/pub.key" -subj /CN=BENCH-PUB -outform DER |
	base64 >"$T/pub.b64"
curl -s --cacert "$CA" --cert "$T/claim.pem" --key "$T/claim.key" \
	-H 'Content-Type: application/pkcs10' --data-binary "@$T/pub.b64" \
	"$URL/.well-known/est/simpleenroll" | base64 -d |
	openssl pkcs7 -inform DER -print_certs -out "$T/pub.pem"

MP=$(free_port)
"$BIN/rampart" broker-config --data-dir "$T/data" --out "$T/mosquitto.conf" \
	--port "$MP" --plugin "$BIN/rampart_auth.so" --user "$(id -un)" \
	--log "$T/mosquitto.log" >/dev/null
mosquitto -c "$T/mosquitto.conf" >"$T/mosquitto.out" 2>&1 &
pids+=($!)
wait_until 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$MP" ||
	fail "no broker: $(tail -3 "$T/mosquitto.out")"
CAF=$T/data/broker/ca.pem
dev=(-h 127.0.0.1 -p "$MP" --cafile "$CAF" --cert "$T/pub.pem"
	--key "$T/pub.key" -i BENCH-PUB)
svc=(-h 127.0.0.1 -p "$MP" --cafile "$CAF" --cert "$T/data/pki/service.pem"
	--key "$T/data/pki/service.key" -i rampartd)

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# --- baseline 1: one bare libmosquitto client process, connected
mosquitto_sub "${dev[@]}" -q 1 -t rampart/v1/d/BENCH-PUB/cmd >"$T/sub.out" 2>&1 &
subpid=$!
pids+=("$subpid")
# Up when a command published by the service role reaches it.
probe() {
	mosquitto_pub "${svc[@]}" -q 1 -t rampart/v1/d/BENCH-PUB/cmd -m probe &&
		grep -q probe "$T/sub.out"
}
wait_until 20 probe || fail "the baseline subscriber got nothing"
base_rss=$(rss_kb "$subpid")
kill "$subpid"
wait "$subpid" 2>/dev/null || true

# --- the simulated fleet
t0=$SECONDS
"$BIN/rampart-sim" run --server "$URL" --ca-file "$CA" \
	--claim "$T/claim.pem,$T/claim.key" --broker "127.0.0.1:$MP" \
	--broker-ca "$CAF" --dir "$T/sim" --devices "$N" --prefix BS- \
	--enroll-parallel 4 --telemetry-interval "$IV" --jitter 10 \
	--ramp 200 --stats-interval 1 >"$T/sim.out" 2>"$T/sim.err" &
simpid=$!
pids+=("$simpid")
all_up() {
	kill -0 "$simpid" || fail "rampart-sim exited: $(tail -3 "$T/sim.err")"
	tail -1 "$T/sim.err" | grep -q " connected=$N "
}
wait_until $((60 + N / 5)) all_up || fail "not all $N devices connected: $(tail -1 "$T/sim.err")"
up_s=$((SECONDS - t0))
# One telemetry message, for the baseline's message size.
mosquitto_sub "${svc[@]}" -C 1 -W 30 -t rampart/v1/d/BS-00001/telemetry \
	>"$T/one.json" 2>/dev/null || fail "no telemetry from BS-00001"
size=$(($(wc -c <"$T/one.json") - 1))
sleep 2 # let the telemetry phases spread (part of the measurement design)
last_sent() { grep -o ' sent=[0-9]*' "$T/sim.err" | tail -1 | cut -d= -f2; }
c0=$(cpu_ticks "$simpid") s0=$(last_sent) w0=$(date +%s.%N)
sleep "$WIN" # the measurement window itself
c1=$(cpu_ticks "$simpid") s1=$(last_sent) w1=$(date +%s.%N)
sim_rss=$(rss_kb "$simpid")
kill -TERM "$simpid"
wait "$simpid" || fail "rampart-sim did not stop cleanly"
msgs=$((s1 - s0))
[ "$msgs" -gt 0 ] || fail "no telemetry sent in the window"

# --- baseline 2: mosquitto_pub -l, messages of the sim's telemetry size
line=$(head -c "$size" /dev/zero | tr '\0' 'x')
for _ in $(seq "$PUBN"); do echo "$line"; done >"$T/lines"
TIMEFORMAT='%U %S'
pubcpu=$({ time mosquitto_pub "${dev[@]}" -q 0 -l \
	-t rampart/v1/d/BENCH-PUB/telemetry <"$T/lines" >/dev/null 2>&1; } 2>&1)

awk -v n="$N" -v r="$sim_rss" -v z="$size" 'BEGIN {printf "sim: %d devices connected, RSS %.0f MiB, telemetry %d bytes\n", n, r / 1024, z}'
echo "sim: ready and connected after ${up_s}s (enroll, boot, ramp at 200/s)"
bench_report "sim RSS per device" \
	"$(awk -v r="$sim_rss" -v n="$N" 'BEGIN {printf "%.1f", r / n}')" \
	"$base_rss" KiB "mosquitto_sub process" lower
ours_us=$(awk -v c=$((c1 - c0)) -v hz="$hz" -v m="$msgs" \
	'BEGIN {printf "%.1f", c / hz / m * 1e6}')
base_us=$(echo "$pubcpu" | awk -v m="$PUBN" '{printf "%.1f", ($1 + $2) / m * 1e6}')
bench_report "sim CPU per telemetry message" "$ours_us" "$base_us" us \
	"mosquitto_pub -l" lower
awk -v c=$((c1 - c0)) -v hz="$hz" -v a="$w0" -v b="$w1" -v m="$msgs" \
	'BEGIN {printf "sim: %.0f messages/s, %.1f %% of one core\n", m / (b - a), c / hz / (b - a) * 100}'
