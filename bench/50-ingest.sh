#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# 50-ingest: telemetry messages per second that rampartd receives from a
# real Mosquitto (+ rampart_auth.so, configured by `rampart broker-config`)
# and writes to its store (batched SQLite transactions), against a bare
# `mosquitto_sub` holding the same service identity on the same broker,
# fed by the same load in the same run. The two cannot be connected at
# once (one client id, `rampartd`), so the phases alternate: INGEST_ROUNDS
# pairs, each INGEST_WARM s of warm-up and an INGEST_WINDOW s window;
# medians are reported. Also rampartd's RSS at the end of its phases, and
# connected but idle before the load starts.
#
# The load: INGEST_DEVICES devices (enrolled over EST with openssl + curl)
# publishing INGEST_RATE telemetry messages per second in total (QoS 1),
# by default one `mosquitto_pub -l` per device fed at that rate. Another
# load generator (rampart-sim) plugs in with INGEST_LOADGEN=COMMAND: it is
# run as `COMMAND` for each phase with the environment below, publishes
# until SIGTERM, and may enroll its own devices (INGEST_LOADGEN_ENROLLS=1:
# the bench then only allowlists INGEST_PREFIX00001.. and makes a claim);
# INGEST_LOADGEN_PREPARE=COMMAND runs once before the rounds (enrollment).
# bench/ingest-sim.sh is such a generator made of rampart-sim.
#   INGEST_BROKER_HOST/_PORT, INGEST_CAFILE  the broker and its CA bundle
#   INGEST_DEVICES, INGEST_PREFIX, INGEST_RATE
#   INGEST_CERT_DIR    PREFIXi.pem / PREFIXi.key (when the bench enrolled)
#   INGEST_STATE_DIR   an empty folder kept across phases, for its state
#   RAMPART_SERVER, RAMPART_CA, RAMPART_TOKEN_FILE, INGEST_CLAIM_CERT,
#   INGEST_CLAIM_KEY  rampartd's EST/admin API and a claim for the group
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

BIN=${RP_BIN_DIR:?}
SRC=${RP_SRC_DIR:-$(dirname "$here")}
N=${INGEST_DEVICES:-20}
RATE=${INGEST_RATE:-10000}
ROUNDS=${INGEST_ROUNDS:-3}
WARM=${INGEST_WARM:-2}
WIN=${INGEST_WINDOW:-5}
PFX=${INGEST_PREFIX:-bench-}
# rd_lib.sh: temporary dir, rampartd start/stop, EST client; mq_lib.sh: the
# broker and its clients (the test suite's helpers, stopped on exit).
export RP_BIN_DIR=$BIN RD_DEADLINE_S=60
. "$SRC/tests/integration/rd_lib.sh"
. "$SRC/tests/integration/mq_lib.sh"
LOAD=()
stop_load() {
	local p
	for p in "${LOAD[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${LOAD[@]}"; do wait "$p" 2>/dev/null || true; done
	LOAD=()
}
on_exit() {
	local st=$?
	stop_load
	mq_stop_all
	set +e
	(exit $st)
	cleanup
}
trap on_exit EXIT
now() { date +%s.%N; }

# a descriptor per client in the broker, a few per device in a generator
ulimit -n $((3 * N + 1024)) 2>/dev/null || ulimit -Hn $((3 * N + 1024)) ||
	fail "cannot raise the descriptor limit to $((3 * N + 1024))"
D=$T/data
start_rd "$D"
ids=()
# PREFIX00001, PREFIX00002, ...: rampart-sim's naming (its --first 1)
for i in $(seq 1 "$N"); do ids+=("$(printf '%s%05d' "$PFX" "$i")"); done
if [ "${INGEST_LOADGEN_ENROLLS:-0}" = 1 ]; then
	{
		echo 'serial,hw_type,hw_token,group,tags'
		for id in "${ids[@]}"; do echo "$id,sim,,bench,"; done
	} >"$T/allow.csv"
	cli allowlist import "$T/allow.csv" >/dev/null
	cli claim create --group bench --expires 1d --out "$T/claim-bench" >/dev/null
else
	enroll_devices bench "${ids[@]}"
fi
# Release builds only ship meaningful figures.
if nm "$BIN/rampartd" 2>/dev/null | grep -q __asan_init; then
	echo "note: sanitizer build, figures are not representative" >&2
fi
mq_config "$D"
export RP_PLUGIN_PRELOAD=
if nm -D "$BIN/rampart_auth.so" | grep -q __asan_init; then
	RP_PLUGIN_PRELOAD=$(clang-14 -print-file-name=libclang_rt.asan-x86_64.so)
fi
mq_start

# The default load: a writer paces JSON lines into one FIFO per device,
# each read by a mosquitto_pub -l with that device's certificate.
cat >"$T/pace.py" <<'EOF'
import os, sys, time
rate, fifos = float(sys.argv[1]), sys.argv[2:]
sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
tmpl = ('{"v":1,"seq":%d,"ts":%d,"uptime_s":%d,"cpu_permille":125,'
        '"mem_total_kb":1024000,"mem_avail_kb":512000,"tcp":[22,8883],'
        '"udp":[68,123],"fw_version":"1.4.2","fw_sha256":"' + sha + '",'
        '"msgs_sent":%d,"dropped":0,"interval_s":1,"log_seq":0,'
        '"log_head":""}\n')
outs = [open(f, "w", buffering=1) for f in fifos]
t0, sent = time.monotonic(), 0
while True:
    due = int((time.monotonic() - t0) * rate)
    while sent < due:
        o = outs[sent % len(outs)]
        s = sent // len(outs) + 1
        o.write(tmpl % (s, int(time.time()), s, s))
        sent += 1
    time.sleep(0.005)  # pacing: the next batch of lines in 5 ms
EOF
export INGEST_BROKER_HOST=127.0.0.1 INGEST_BROKER_PORT=$MP INGEST_CAFILE=$CAF
export INGEST_DEVICES=$N INGEST_PREFIX=$PFX INGEST_RATE=$RATE INGEST_CERT_DIR=$T
export RAMPART_CA=$CA RAMPART_TOKEN_FILE=$T/token
export INGEST_CLAIM_CERT=$T/claim-bench.pem INGEST_CLAIM_KEY=$T/claim-bench.key
export INGEST_STATE_DIR=$T/loadgen
mkdir -p "$INGEST_STATE_DIR"
if [ -n "${INGEST_LOADGEN_PREPARE:-}" ]; then
	# once, before the rounds: e.g. the simulated devices enroll
	RAMPART_SERVER=$URL $INGEST_LOADGEN_PREPARE >>"$T/loadgen.log" 2>&1 ||
		fail "INGEST_LOADGEN_PREPARE failed: $(tail -5 "$T/loadgen.log")"
fi
start_load() {
	export RAMPART_SERVER=$URL
	if [ -n "${INGEST_LOADGEN:-}" ]; then
		$INGEST_LOADGEN >>"$T/loadgen.log" 2>&1 &
		LOAD+=($!)
		return
	fi
	local id fifos=()
	for id in "${ids[@]}"; do
		rm -f "$T/$id.fifo"
		mkfifo "$T/$id.fifo"
		mq_args "$id" "$id"
		mosquitto_pub "${MQA[@]}" -q 1 -t "rampart/v1/d/$id/telemetry" -l \
			<"$T/$id.fifo" >>"$T/pub.log" 2>&1 &
		LOAD+=($!)
		fifos+=("$T/$id.fifo")
	done
	python3 "$T/pace.py" "$RATE" "${fifos[@]}" 2>>"$T/pace.log" &
	LOAD+=($!)
}
stored() { sql "$D/rampart.db" "SELECT value FROM ingest_counters WHERE name='stored_telemetry'" | grep . || echo 0; }
connected_n() { [ "$(grep -c 'mqtt: connected to the broker' "$T/rd.log")" -ge "$1" ]; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$RD_PID/status"; }
# cpu_ticks PID: user + system clock ticks the process has used so far
# (/proc/PID/stat fields 14 and 15; the name in field 2 has no spaces here)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TCK=$(getconf CLK_TCK)
# us_per_msg TICKS0 TICKS1 COUNT0 COUNT1: CPU microseconds per message
us_per_msg() {
	awk -v a="$1" -v b="$2" -v c="$3" -v d="$4" -v h="$TCK" \
		'BEGIN {printf "%.1f\n", (d > c ? (b - a) * 1e6 / h / (d - c) : 0)}'
}

: >"$T/a" && : >"$T/b" && : >"$T/rss" && : >"$T/rss0" && : >"$T/ca" && : >"$T/cb"
conn=0
for _ in $(seq 1 "$ROUNDS"); do
	# A: the bare subscriber (rampartd is up, but without its MQTT client)
	mq_args svc rampartd
	: >"$T/sub.out"
	mosquitto_sub "${MQA[@]}" -q 1 -t 'rampart/v1/d/+/telemetry' \
		>"$T/sub.out" 2>"$T/sub.err" &
	SUB=$!
	SUBS+=("$SUB")
	start_load
	sleep "$WARM" # warm-up: connections made, queues at steady state
	c0=$(wc -l <"$T/sub.out") t0=$(now) k0=$(cpu_ticks "$SUB")
	sleep "$WIN" # the measurement window
	c1=$(wc -l <"$T/sub.out") t1=$(now) k1=$(cpu_ticks "$SUB")
	us_per_msg "$k0" "$k1" "$c0" "$c1" >>"$T/ca"
	stop_load
	kill "$SUB" 2>/dev/null || true
	wait "$SUB" 2>/dev/null || true
	SUBS=()
	awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" \
		'BEGIN {printf "%.1f\n", (b - a) / (e - s)}' >>"$T/a"

	# B: rampartd's own client, ingesting into the store
	stop_rd
	start_rd "$D" --broker "127.0.0.1:$MP"
	conn=$((conn + 1))
	wait_until "rampartd connected" connected_n "$conn"
	rss_kb >>"$T/rss0"
	start_load
	sleep "$WARM"
	c0=$(stored) t0=$(now) k0=$(cpu_ticks "$RD_PID")
	sleep "$WIN"
	c1=$(stored) t1=$(now) k1=$(cpu_ticks "$RD_PID")
	us_per_msg "$k0" "$k1" "$c0" "$c1" >>"$T/cb"
	rss_kb >>"$T/rss"
	stop_load
	awk -v a="$c0" -v b="$c1" -v s="$t0" -v e="$t1" \
		'BEGIN {printf "%.1f\n", (b - a) / (e - s)}' >>"$T/b"
	stop_rd
	start_rd "$D"
done

a=$(median <"$T/a")
b=$(median <"$T/b")
rss=$(sort -n "$T/rss" | tail -1)
rss0=$(sort -n "$T/rss0" | tail -1)
echo "offered load: $RATE msg/s from $N devices; per-round stored: $(tr '\n' ' ' <"$T/b")/ bare: $(tr '\n' ' ' <"$T/a")"
bench_report "telemetry ingest (stored/s)" "$b" "$a" "msg/s" "mosquitto_sub"
# CPU per message: what the rate costs, steadier than the rate itself on a
# busy machine (the receivers share two cores with the load)
bench_report "receiver CPU per message" "$(median <"$T/cb")" \
	"$(median <"$T/ca")" "us" "mosquitto_sub" lower
# Per 1000 devices: what the load added to a connected, idle rampartd.
awk -v r="$rss" -v i="$rss0" -v n="$N" 'BEGIN {printf "%-34s %d kB under load, %d kB idle, %d devices: %+.0f kB per 1000 devices\n",
	"rampartd RSS (max of phases)", r, i, n, (r - i) * 1000 / n}'
mq_stop
