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

pid="" mqpid="" subpid=""
cleanup() {
	local p
	for p in $subpid $mqpid $pid; do
		if kill -0 "$p" 2>/dev/null; then
			kill "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	[ -n "$pid" ] && echo "demo: rampartd and mosquitto stopped"
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

step "MQTT: Mosquitto with the rampart plugin, configured by rampart broker-config"
# The agents above keep their keys sealed; rampart-agent's MQTT session is
# a coming part. For the broker, one more device enrolls with plain openssl
# + curl (any EST client works) so that mosquitto_pub can use its key.
mkdir -p -m 700 "$demo/mqtt"
printf 'serial,hw_type,hw_token,group,tags\nSN-0100,demo-board,,line-a,mqtt\n' >"$demo/mqtt/allow.csv"
"$bin/rampart" allowlist import "$demo/mqtt/allow.csv"
openssl ecparam -name prime256v1 -genkey -noout -out "$demo/mqtt/SN-0100.key" 2>/dev/null
openssl req -new -key "$demo/mqtt/SN-0100.key" -subj /CN=SN-0100 -outform DER |
	base64 >"$demo/mqtt/SN-0100.csr.b64"
curl -s --cacert "$RAMPART_CA" --cert "$demo/claim.pem" --key "$demo/claim.key" \
	-H 'Content-Type: application/pkcs10' --data-binary "@$demo/mqtt/SN-0100.csr.b64" \
	"$server/.well-known/est/simpleenroll" | base64 -d |
	openssl pkcs7 -inform DER -print_certs -out "$demo/mqtt/SN-0100.pem"
echo "SN-0100 enrolled with openssl req + curl"
mqport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/rampart" broker-config --data-dir "$demo/data" --out "$demo/mqtt/mosquitto.conf" \
	--port "$mqport" --plugin "$bin/rampart_auth.so" --user "$(id -un)" \
	--log "$demo/mqtt/mosquitto.log" >/dev/null
mosquitto -c "$demo/mqtt/mosquitto.conf" >"$demo/mqtt/mosquitto.out" 2>&1 &
mqpid=$!
wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$mqport" ||
	{ cat "$demo/mqtt/mosquitto.out"; exit 1; }
echo "mosquitto on 127.0.0.1:$mqport (TLS only, client certificates required)"
caf=$demo/data/broker/ca.pem
svc=(-h 127.0.0.1 -p "$mqport" --cafile "$caf" --cert "$demo/data/pki/service.pem"
	--key "$demo/data/pki/service.key" -i rampartd)
dev=(-h 127.0.0.1 -p "$mqport" --cafile "$caf" --cert "$demo/mqtt/SN-0100.pem"
	--key "$demo/mqtt/SN-0100.key" -i SN-0100)
mosquitto_sub "${svc[@]}" -v -t 'rampart/v1/d/+/telemetry' \
	-t rampart/v1/svc/broker/refusals >"$demo/mqtt/service.log" 2>&1 &
subpid=$!
seen() { grep -q "$1" "$demo/mqtt/service.log"; }
send_probe() {
	mosquitto_pub "${dev[@]}" -t rampart/v1/d/SN-0100/telemetry -m '{"seq":1}' &&
		seen 'SN-0100/telemetry'
}
wait_for 10 send_probe && echo "SN-0100 -> its own telemetry topic: delivered to rampartd's service subscriber"
mosquitto_pub "${dev[@]}" -V mqttv5 -t rampart/v1/d/SN-0002/telemetry -m forged 2>&1 |
	sed 's/^/  /' || true
wait_for 5 seen '"reason":"acl"' &&
	echo "SN-0100 -> another device's topic: refused, and reported on the refusal topic"

step "revoke SN-0001 and SN-0100: a fresh CRL, and the broker shuts SN-0100 out"
"$bin/rampart" device revoke SN-0001 --reason keyCompromise >/dev/null
"$bin/rampart" device revoke SN-0100 --reason keyCompromise >/dev/null
curl -s --cacert "$demo/data/pki/root.pem" "$server/pki/crl" |
	openssl crl -inform DER -noout -text | grep -c 'Serial Number' |
	sed 's/^/revoked serials in the CRL: /'
refused() {
	! mosquitto_pub "${dev[@]}" -V mqttv5 -t rampart/v1/d/SN-0100/telemetry -m again 2>/dev/null
}
wait_for 10 refused && echo "SN-0100 can no longer connect (the plugin re-read rampartd's fleet snapshot)"

step "the fleet now"
"$bin/rampart" device list
"$bin/rampart" device refusals --limit 5

cat <<TXT

rampartd is running on $server (log: $demo/rampartd.log), Mosquitto with
the rampart plugin on 127.0.0.1:$mqport (log: $demo/mqtt/mosquitto.log). Try:
  export RAMPART_SERVER=$server RAMPART_TOKEN_FILE=$demo/token RAMPART_CA=$demo/data/pki/root.pem
  $bin/rampart device list
  $bin/rampart device show SN-0002
  openssl verify -CAfile $demo/data/pki/root.pem -untrusted $demo/devices/SN-0002/chain.pem $demo/devices/SN-0002/cert.pem

  mosquitto_sub -h 127.0.0.1 -p $mqport --cafile $demo/data/broker/ca.pem --cert $demo/data/pki/service.pem --key $demo/data/pki/service.key -i rampartd -v -t 'rampart/v1/svc/#'

Also built: signed firmware images and rampart-boot (README, docs/boot.md).
Not yet in the demo: rampart-agent's MQTT session and telemetry, and a
simulated fleet (rampart-sim).
Ctrl-C stops rampartd and Mosquitto.
TXT
if [ -t 0 ] && [ -z "${RAMPART_DEMO_NOWAIT:-}" ]; then
	wait "$pid"
fi
