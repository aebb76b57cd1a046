#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make demo: a live simulated fleet on loopback. rampartd with its data
# directory and port kept from the last run (FRESH=1: a new one), Mosquitto with the rampart plugin (rampart broker-config),
# 50 devices of rampart-sim allowlisted, enrolled over EST, booted from
# signed firmware and sending telemetry over mutual TLS; an unknown device
# refused; a revocation cutting a live device out. Then it stays up for you
# to look around; Ctrl-C stops rampartd, Mosquitto and the simulator
# (exit 0). demo/env, to source, puts the binaries on PATH and sets what
# the rampart CLI reads (RAMPART_SERVER, RAMPART_TOKEN_FILE, RAMPART_CA).
# Without a terminal it stops by itself after the tour, unless
# RAMPART_DEMO_WAIT=1 (the test, tests/integration/test_demo.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
bin=$top/build/bin
demo=${RAMPART_DEMO_DIR:-$top/demo}
ndev=${RAMPART_DEMO_DEVICES:-50}

step() { printf '\n== %s\n' "$*"; }

for p in rampartd rampart rampart-agent rampart-sim rampart_auth.so; do
	[ -e "$bin/$p" ] || { echo "demo: $bin/$p missing (run make)" >&2; exit 2; }
done

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
if [ -n "${FRESH:-}" ] || [ ! -s "$demo/ports" ] || [ ! -d "$demo/data" ]; then
	why="a fresh data directory"
	[ -n "${FRESH:-}" ] || [ ! -e "$demo" ] || why="$why (the old one was incomplete)"
	rm -rf "$demo"
	mkdir -p "$demo"
	chmod 700 "$demo"
	port=$(free_port)
	mqport=$(free_port)
	echo "$port $mqport" >"$demo/ports"
	kept=""
else
	read -r port mqport <"$demo/ports"
	why="the data directory and ports of the last run (make demo FRESH=1 for a new one)"
	# what belongs to one run only; the data directory and token stay
	rm -rf "$demo/mqtt"
	kept=1
fi
echo "demo: $why: $demo/data, https://127.0.0.1:$port"
server=https://127.0.0.1:$port

pid="" mqpid="" simpid=""
cleanup() {
	local p
	for p in $simpid $mqpid $pid; do
		if kill -0 "$p" 2>/dev/null; then
			kill "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	[ -n "$pid" ] && echo "demo: rampart-sim, Mosquitto and rampartd stopped"
	return 0
}
# wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds.
wait_for() {
	local n=$(($1 * 20))
	shift
	while ! "$@" 2>/dev/null; do
		n=$((n - 1))
		[ $n -gt 0 ] || return 1
		sleep 0.05 # polling interval of the wait, not synchronisation
	done
}
trap cleanup EXIT
trap 'exit 0' INT TERM # Ctrl-C is how the demo ends: exit 0

if [ -n "$kept" ]; then startword="start again"; else startword="first start"; fi
step "rampartd: $startword on $server (data: $demo/data)"
"$bin/rampartd" --foreground --data-dir "$demo/data" --port "$port" \
	--setup-token-file "$demo/token" --broker "127.0.0.1:$mqport" \
	>"$demo/rampartd.log" 2>&1 &
pid=$!
up() {
	# (wait_for mutes stderr: the log of a rampartd that died goes to stdout)
	kill -0 "$pid" || { echo "demo: rampartd exited:"; cat "$demo/rampartd.log"; exit 1; }
	[ -s "$demo/token" ] && curl -s -o /dev/null --cacert "$demo/data/pki/root.pem" \
		"$server/.well-known/est/cacerts"
}
wait_for 20 up
if [ -n "$kept" ]; then
	echo "fleet CA and setup token ($demo/token) kept from the last run"
else
	echo "fleet CA created; one-time setup token written to $demo/token (0600)"
fi

export RAMPART_SERVER=$server RAMPART_TOKEN_FILE=$demo/token \
	RAMPART_CA=$demo/data/pki/root.pem
cat >"$demo/env" <<ENV
# source this file: the demo's binaries on PATH, and the rampart CLI's server
export PATH="$bin:\$PATH"
export RAMPART_SERVER=$server
export RAMPART_TOKEN_FILE=$demo/token
export RAMPART_CA=$demo/data/pki/root.pem
ENV

step "allowlist: $ndev simulated devices (SN-00001..) in group line-a"
if [ -z "$kept" ]; then
	"$bin/rampart-sim" allowlist --devices "$ndev" --prefix SN- --group line-a \
		>"$demo/allowlist.csv"
	"$bin/rampart" allowlist import "$demo/allowlist.csv"
else
	echo "  kept from the last run"
fi

step "claim certificate for the factory image (enrollment only)"
rm -f "$demo/claim.pem" "$demo/claim.key" # a new one each run
"$bin/rampart" claim create --group line-a --expires 1d --out "$demo/claim"

step "an unknown device is refused (its reason is recorded)"
"$bin/rampart-agent" enroll --server "$server" \
	--claim "$demo/claim.pem,$demo/claim.key" \
	--keystore "file:$demo/SN-99999" --serial SN-99999 \
	--ca-file "$demo/data/pki/root.pem" 2>&1 | sed 's/^/  /' || true

step "Mosquitto with the rampart plugin, configured by rampart broker-config"
mkdir -m 700 "$demo/mqtt"
"$bin/rampart" broker-config --data-dir "$demo/data" --out "$demo/mqtt/mosquitto.conf" \
	--port "$mqport" --plugin "$bin/rampart_auth.so" --user "$(id -un)" \
	--log "$demo/mqtt/mosquitto.log" >/dev/null
mosquitto -c "$demo/mqtt/mosquitto.conf" >"$demo/mqtt/mosquitto.out" 2>&1 &
mqpid=$!
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$mqport" ||
	{ cat "$demo/mqtt/mosquitto.out"; exit 1; }
echo "mosquitto on 127.0.0.1:$mqport (TLS only, client certificates required)"
caf=$demo/data/broker/ca.pem

step "rampart-sim: $ndev devices enroll over EST, boot signed firmware, connect"
"$bin/rampart-sim" run --server "$server" --ca-file "$demo/data/pki/root.pem" \
	--claim "$demo/claim.pem,$demo/claim.key" --broker "127.0.0.1:$mqport" \
	--broker-ca "$caf" --dir "$demo/sim" --devices "$ndev" --prefix SN- \
	--telemetry-interval 5 --jitter 20 --churn 6 --auth-fail-rate 2 \
	--stats-interval 10 >"$demo/sim.out" 2>"$demo/sim.log" &
simpid=$!
# rampartd ingests what the devices send into its store.
seen_devices() {
	sqlite3 -batch -noheader "$demo/data/rampart.db" \
		"SELECT count(*) FROM device_status WHERE telemetry_at > 0"
}
reporting() {
	kill -0 "$simpid" || { tail -5 "$demo/sim.log" >&2; exit 1; }
	[ "$(seen_devices)" -ge "$ndev" ]
}
wait_for 120 reporting || { echo "demo: not every device reported" >&2; exit 1; }
cat "$demo/sim.out"
fw=$(sha256sum "$demo/sim/firmware.img" | cut -d' ' -f1)
echo "telemetry from all $ndev devices; their running firmware: sha256 $fw"

step "a command round trip: rampartd -> broker -> SN-00002 -> result"
"$bin/rampart" device ping SN-00002 --wait 10 | sed 's/^/  /' || true

step "revoke SN-00001: a fresh CRL, and the broker cuts its live session"
"$bin/rampart" device revoke SN-00001 --reason keyCompromise >/dev/null 2>&1 ||
	echo "  (SN-00001 was revoked in an earlier run)"
mqlog=$demo/mqtt/mosquitto.log
kicked() { grep -q '"action":"kick","id":"SN-00001"' "$mqlog"; }
wait_for 10 kicked && echo "SN-00001's live session was cut; its reconnects are refused:"
refused_again() { grep -q '"action":"connect","id":"SN-00001"' "$mqlog"; }
wait_for 30 refused_again || true
grep -o 'refused {.*"id":"SN-00001".*' "$mqlog" | tail -2 | cut -c1-150 |
	sed 's/^/  /'

step "watch the traffic read-only: the monitor identity (pki/monitor.*)"
# Never rampartd's pki/service.*: its client id takes over rampartd's
# session, and its key may command every device. The monitor may only read.
watch="mosquitto_sub -h 127.0.0.1 -p $mqport --cafile $caf"
watch="$watch --cert $demo/data/pki/monitor.pem --key $demo/data/pki/monitor.key"
watch="$watch -i rampart-monitor -v -t rampart/v1/d/+/telemetry"
# shellcheck disable=SC2086 # the command as printed below, word-split
$watch -C 1 -W 15 | cut -c1-120 | sed 's/^/  /' ||
	echo "demo: the monitor received no telemetry" >&2

step "the fleet now"
"$bin/rampart" device list >"$demo/list.txt"
head -8 "$demo/list.txt"
echo "  ... ($ndev devices)"

cat <<TXT

rampartd is running on $server (log: $demo/rampartd.log), Mosquitto with
the rampart plugin on 127.0.0.1:$mqport (log: $demo/mqtt/mosquitto.log),
rampart-sim with $ndev devices (progress: $demo/sim.log). In another shell:

  source $demo/env
  rampart device list
  rampart device show SN-00002

More: rampart device ping SN-00003 --wait 10; rampart device refusals --limit 5;
tail -f $demo/sim.log $mqlog; the read-only monitor: $watch

Ctrl-C stops rampart-sim, Mosquitto and rampartd; make demo again keeps the
data and port (FRESH=1 starts over).
TXT
if { [ -t 0 ] && [ -z "${RAMPART_DEMO_NOWAIT:-}" ]; } || [ -n "${RAMPART_DEMO_WAIT:-}" ]; then
	wait "$pid"
fi
