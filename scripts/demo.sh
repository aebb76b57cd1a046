#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make demo: start rampartd on loopback with a fresh data directory, put
# five devices on the allowlist, make a claim certificate, enroll the
# devices with rampart-agent (file keystores), revoke one, and leave
# rampartd running so you can look around. Ctrl-C stops everything.
# It shows only what exists; it grows with each part.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
bin=$top/build/bin
demo=${RAMPART_DEMO_DIR:-$top/demo}
ndev=${RAMPART_DEMO_DEVICES:-5}

step() { printf '\n== %s\n' "$*"; }

for p in rampartd rampart rampart-agent; do
	[ -x "$bin/$p" ] || { echo "demo: $bin/$p missing (run make)" >&2; exit 2; }
done

rm -rf "$demo"
mkdir -p "$demo"
chmod 700 "$demo"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
server=https://127.0.0.1:$port

pid=""
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		echo "demo: rampartd stopped"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step "rampartd: first start on $server (data: $demo/data)"
"$bin/rampartd" --foreground --data-dir "$demo/data" --port "$port" \
	--setup-token-file "$demo/token" >"$demo/rampartd.log" 2>&1 &
pid=$!
for _ in $(seq 1 400); do
	[ -s "$demo/token" ] && curl -s -o /dev/null --cacert "$demo/data/pki/root.pem" \
		"$server/.well-known/est/cacerts" 2>/dev/null && break
	kill -0 "$pid" 2>/dev/null || { cat "$demo/rampartd.log"; exit 1; }
	sleep 0.05 # polling interval while waiting for the port
done
echo "fleet CA created; one-time setup token written to $demo/token (0600)"

export RAMPART_SERVER=$server RAMPART_TOKEN_FILE=$demo/token \
	RAMPART_CA=$demo/data/pki/root.pem

step "allowlist: $ndev devices in group line-a"
{
	echo "serial,hw_type,hw_token,group,tags"
	for i in $(seq 1 "$ndev"); do
		printf 'SN-%04d,demo-board,,line-a,demo\n' "$i"
	done
} >"$demo/allowlist.csv"
"$bin/rampart" allowlist import "$demo/allowlist.csv"

step "claim certificate for the factory image (enrollment only)"
"$bin/rampart" claim create --group line-a --expires 1d --out "$demo/claim"

mkdir -p -m 700 "$demo/devices"
step "enroll each device with rampart-agent (EST, file keystore)"
for i in $(seq 1 "$ndev"); do
	sn=$(printf 'SN-%04d' "$i")
	"$bin/rampart-agent" enroll --server "$server" \
		--claim "$demo/claim.pem,$demo/claim.key" \
		--keystore "file:$demo/devices/$sn" --serial "$sn" \
		--ca-file "$demo/data/pki/root.pem"
done

step "an unknown device is refused (its reason is recorded)"
"$bin/rampart-agent" enroll --server "$server" \
	--claim "$demo/claim.pem,$demo/claim.key" \
	--keystore "file:$demo/devices/SN-9999" --serial SN-9999 \
	--ca-file "$demo/data/pki/root.pem" || true

step "revoke SN-0001: a fresh CRL is published"
"$bin/rampart" device revoke SN-0001 --reason keyCompromise
curl -s --cacert "$demo/data/pki/root.pem" "$server/pki/crl" |
	openssl crl -inform DER -noout -text | grep -A1 'Serial Number' | head -4

step "the fleet now"
"$bin/rampart" device list
"$bin/rampart" device refusals --limit 5

cat <<TXT

rampartd is running on $server (log: $demo/rampartd.log). Try:
  export RAMPART_SERVER=$server RAMPART_TOKEN_FILE=$demo/token RAMPART_CA=$demo/data/pki/root.pem
  $bin/rampart device list
  $bin/rampart device show SN-0002
  openssl verify -CAfile $demo/data/pki/root.pem -untrusted $demo/devices/SN-0002/chain.pem $demo/devices/SN-0002/cert.pem

Also built: signed firmware images and rampart-boot (README, docs/boot.md).
Not yet in the demo: Mosquitto with the rampart plugin, agents on MQTT and a
simulated fleet (rampart-sim).
Ctrl-C stops rampartd.
TXT
if [ -t 0 ] && [ -z "${RAMPART_DEMO_NOWAIT:-}" ]; then
	wait "$pid"
fi
