#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# 40-connect-storm: new mutual-TLS connections per second, each a full
# handshake plus MQTT CONNECT/CONNACK/DISCONNECT (bench/connect_storm.c,
# STORM_WORKERS client processes with their own certificates), through
#   - Mosquitto + rampart_auth.so, configured by `rampart broker-config`;
#   - the same Mosquitto without the plugin (the usual mTLS setup:
#     use_identity_as_username true), the anchor the plugin must stay
#     within 5 % of;
# and, with the same certificates, raw TLS handshakes against
# `openssl s_server`: `openssl s_time -new` (STORM_WORKERS processes) and
# connect_storm's TLS-only mode. Both brokers run side by side and the
# load alternates between them in short slices (STORM_ROUNDS pairs of
# STORM_SECONDS): medians are reported, and the broker's own CPU time per
# connection (from /proc), which other load on the machine disturbs far
# less than a wall-clock rate does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

BIN=${RP_BIN_DIR:?}
SRC=${RP_SRC_DIR:-$(dirname "$here")}
W=${STORM_WORKERS:-2}
D=${STORM_SECONDS:-2}
ROUNDS=${STORM_ROUNDS:-7}
ST=${STORM_STIME_SECONDS:-10} # s_time counts whole seconds: not too short
T=$(mktemp -d /tmp/rp-bench-storm.XXXXXX)
trap 'bench_stop; [ -n "${STORM_KEEP:-}" ] || rm -rf "$T"' EXIT

used_ports=
free_port() { # VAR: a loopback port nothing listens on, none given out yet
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		case " $used_ports " in *" $p "*) continue ;; esac
		(exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || break
	done
	used_ports="$used_ports $p"
	printf -v "$1" '%s' "$p"
}
wait_port() {
	local end=$((SECONDS + 20))
	until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
		[ $SECONDS -lt $end ] || { echo "nothing on port $1" >&2; exit 1; }
		sleep 0.05
	done
}

# PKI (root, issuing CA, server) as in the tests, plus one device per worker
# with the device profile (include/rampart/broker.h; the plugin refuses any
# other as bad_profile) and a format-2 snapshot (the service line pins the
# test PKI's rampartd key).
sh "$SRC/tests/integration/broker_pki.sh" "$T" >/dev/null
ca=$T/pki/root.pem
{
	printf 'rampart-broker-snapshot 2\nseq 1\nservice rampartd %s\n' \
		"$(cat "$T/certs/rampartd.pin")"
	for i in $(seq 0 $((W - 1))); do
		printf 'basicConstraints=CA:false\nextendedKeyUsage=clientAuth\nsubjectAltName=URI:urn:rampart:device:bench%d\n' \
			"$i" >"$T/c$i.ext"
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout "$T/certs/bench$i.key" \
			-out "$T/bench$i.csr" -subj "/CN=bench$i" 2>/dev/null
		openssl x509 -req -in "$T/bench$i.csr" -CA "$T/pki/issuing.pem" \
			-CAkey "$T/pki/issuing.key" -CAcreateserial -days 2 \
			-extfile "$T/c$i.ext" -out "$T/certs/bench$i.pem" 2>/dev/null
		echo "device bench$i active"
	done
	echo "end $((W + 1))"
} >"$T/fleet.snapshot"
cert="$T/certs/bench%d.pem" key="$T/certs/bench%d.key"

free_port pport
free_port bport
"$BIN/rampart" broker-config --data-dir "$T" --out "$T/plugin.conf" \
	--port "$pport" --plugin "$BIN/rampart_auth.so" \
	--snapshot "$T/fleet.snapshot" --user "$(id -un)" \
	--log "$T/plugin.log"
# The anchor: the same broker, no plugin, identity from the certificate.
grep -v '^plugin' "$T/plugin.conf" |
	sed -e 's/^use_identity_as_username false/use_identity_as_username true/' \
		-e "s|^log_dest file .*|log_dest file $T/bare.log|" \
		-e "s|^listener $pport |listener $bport |" >"$T/bare.conf"

# Sanitizer builds: the instrumented plugin needs the runtime in the broker.
env_broker=()
if nm -D "$BIN/rampart_auth.so" | grep -q __asan_init; then
	rt=$(clang-14 -print-file-name=libclang_rt.asan-x86_64.so)
	env_broker=(env LD_PRELOAD="$rt" ASAN_OPTIONS=detect_leaks=0)
	echo "note: sanitizer build, figures are not representative" >&2
fi
"${env_broker[@]}" mosquitto -c "$T/plugin.conf" >"$T/plugin.out" 2>&1 &
ppid_=$!
pids+=("$ppid_")
"${env_broker[@]}" mosquitto -c "$T/bare.conf" >"$T/bare.out" 2>&1 &
bpid=$!
pids+=("$bpid")
wait_port "$pport"
wait_port "$bport"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
storm() { # PORT PID -> "conn/s broker-ms-per-connection"
	local t0 t1 out
	t0=$(cpu_ticks "$2")
	out=$("$BIN/connect_storm" mqtt 127.0.0.1 "$1" "$ca" "$cert" "$key" \
		'bench%d' "$D" "$W")
	t1=$(cpu_ticks "$2")
	awk -v o="$out" -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" \
		'BEGIN {split(o, f, " "); printf "%s %.3f\n", f[1],
		 (f[2] > 0 ? (b - a) * 1000 / hz / f[2] : 0)}'
}
: >"$T/a" && : >"$T/b"
for _ in $(seq 1 "$ROUNDS"); do
	storm "$pport" "$ppid_" >>"$T/a"
	storm "$bport" "$bpid" >>"$T/b"
done
# Where the plugin broker's CPU goes during a slice: the plugin's own share
# of the samples is the cost the wall-clock figures above try to show.
share=n/a
if command -v perf >/dev/null 2>&1; then
	perf record -q -F 1999 -o "$T/perf.data" -p "$ppid_" -- sleep "$D" \
		>/dev/null 2>&1 &
	perfpid=$!
	storm "$pport" "$ppid_" >/dev/null
	wait "$perfpid" || true
	share=$(perf report -q -i "$T/perf.data" --no-children --sort dso \
		-g none 2>/dev/null | awk '/rampart_auth/ {s += $1}
		END {printf "%.2f", s}')
fi
bench_stop
a=$(cut -d' ' -f1 "$T/a" | median)
b=$(cut -d' ' -f1 "$T/b" | median)
acpu=$(cut -d' ' -f2 "$T/a" | median)
bcpu=$(cut -d' ' -f2 "$T/b" | median)
ratio=$(paste -d' ' "$T/a" "$T/b" | awk '{print $1 / $3}' | median)

# Raw TLS: openssl s_server with the same server and client certificates.
free_port sport
openssl s_server -quiet -www -accept "127.0.0.1:$sport" \
	-cert "$T/pki/server.pem" -key "$T/pki/server.key" \
	-CAfile "$T/broker/ca.pem" -Verify 2 </dev/null >"$T/s_server.out" 2>&1 &
pids+=($!)
wait_port "$sport"
tpids=()
for i in $(seq 0 $((W - 1))); do
	openssl s_time -connect "127.0.0.1:$sport" -new -time "$ST" \
		-cert "$T/certs/bench$i.pem" -key "$T/certs/bench$i.key" \
		-CAfile "$ca" >"$T/s_time.$i" 2>&1 &
	tpids+=($!)
done
wait "${tpids[@]}" || true
c=$(cat "$T"/s_time.* | awk '/connections in [0-9.]+ real seconds/ {
	for (i = 1; i <= NF; i++) if ($i == "real") s += $1 / $(i - 1) }
	END {printf "%.1f", s}')
d=$("$BIN/connect_storm" tls 127.0.0.1 "$sport" "$ca" "$cert" "$key" x "$ST" \
	"$W" | cut -d' ' -f1)
bench_stop

echo "workers $W, $ROUNDS alternating ${D}s slices; conn/s and broker CPU" \
	"ms/conn: plugin [$(tr '\n' ',' <"$T/a")] bare [$(tr '\n' ',' <"$T/b")]"
bench_report "connect storm: plugin vs bare" "$a" "$b" conn/s \
	"mosquitto, no plugin"
echo "  median of paired slice ratios (plugin/bare): $ratio (target >= 0.95)"
bench_report "connect storm: broker CPU per conn" "$acpu" "$bcpu" ms \
	"mosquitto, no plugin" lower
echo "  rampart_auth.so's share of the plugin broker's CPU samples" \
	"(perf): $share %"
bench_report "connect storm: mosquitto+plugin" "$a" "$c" conn/s \
	"s_time->s_server"
bench_report "connect storm: raw TLS, our client" "$d" "$c" conn/s \
	"s_time->s_server"
