#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# 70-revocation-latency: how long a revoked device keeps its open session
# once rampartd has told the broker (Mosquitto + rampart_auth.so,
# configured by `rampart broker-config`; the PKI of the broker tests). The
# figure test_mqtt_broker used to hold to 1 000 ms under ASan; the test now
# only checks that the kick happens.
#   ours:   the device (mosquitto_sub, its SUBACK seen) is revoked in a new
#           snapshot; from the start of `mosquitto_pub` as rampartd on the
#           reload topic to the device's mosquitto_sub exiting on the cut;
#   anchor: on the same broker, in the same rounds, from the start of the
#           same `mosquitto_pub` as rampartd sending a command to the same
#           subscribed device to its `mosquitto_sub -C 1` exiting with it:
#           a plain MQTT round trip, with the same process start and TLS
#           handshake.
# Medians of REVOKE_ROUNDS (15) alternating rounds, in ms; lower is better,
# the ratio is anchor/ours (1: a revocation bites as fast as a message
# arrives). docs/transport.md promises a cut within a second.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SRC=${RP_SRC_DIR:-$(dirname "$here")}
. "$here/lib.sh"
# rd_lib.sh: temporary dir, waits with deadlines; mq_lib.sh: the broker
. "$SRC/tests/integration/rd_lib.sh"
. "$SRC/tests/integration/mq_lib.sh"
ROUNDS=${REVOKE_ROUNDS:-15}
on_exit() {
	local st=$?
	mq_stop_all
	set +e
	(exit $st)
	cleanup
}
trap on_exit EXIT

sh "$SRC/tests/integration/broker_pki.sh" "$T" >/dev/null
mq_config "$T"
SNAP=$(awk '$1 == "plugin_opt_snapshot" {print $2}' "$T/mosquitto.conf")
BLOG=$(awk '$1 == "log_dest" {print $3}' "$T/mosquitto.conf")
PIN=$(cat "$T/certs/rampartd.pin")
seq=0
# snapshot STATE: the next generation, with the device SNK in STATE.
snapshot() {
	seq=$((seq + 1))
	printf 'rampart-broker-snapshot 2\nseq %d\nservice rampartd %s\ndevice SNK %s\nend 2\n' \
		"$seq" "$PIN" "$1" >"$SNAP.tmp"
	mv "$SNAP.tmp" "$SNAP"
}
loaded() { grep -q "rampart: snapshot seq $seq loaded" "$BLOG"; }
snapshot active
mq_start
wait_until "snapshot $seq loaded" loaded
if [ -n "${RP_PLUGIN_PRELOAD:-}" ]; then
	echo "note: sanitizer build, figures are not representative" >&2
fi

# device_sub OUT ARGS...: SNK subscribed to its command topic, output in
# OUT; sets SP to its pid once the broker acknowledged the subscription.
device_sub() {
	local out=$1
	shift
	mq_args certs/SNK SNK
	stdbuf -oL mosquitto_sub "${MQA[@]}" -V mqttv5 -d -t rampart/v1/d/SNK/cmd "$@" \
		>"$out" 2>&1 &
	SP=$!
	SUBS+=("$SP")
	wait_until "SNK subscribed" has "$out" SUBACK
}
ms() { echo $(($(date +%s%N) / 1000000)); }

: >"$T/ours"
: >"$T/anchor"
for _ in $(seq 1 "$ROUNDS"); do
	device_sub "$T/a.out" -C 1
	t0=$(ms)
	mq mosquitto_pub certs/rampartd rampartd -V mqttv5 \
		-t rampart/v1/d/SNK/cmd -m '{"cmd":"ping"}'
	wait "$SP" || fail "the device did not get the command"
	echo $(($(ms) - t0)) >>"$T/anchor"
	grep -q '"cmd":"ping"' "$T/a.out" || fail "no command in $T/a.out"

	device_sub "$T/o.out"
	snapshot revoked
	t0=$(ms)
	mq mosquitto_pub certs/rampartd rampartd -V mqttv5 \
		-t "rampart/v1/svc/broker/reload" -n
	wait "$SP" || true # cut: mosquitto_sub ends with an error
	echo $(($(ms) - t0)) >>"$T/ours"
	wait_until "snapshot $seq loaded" loaded
	snapshot active
	mq mosquitto_pub certs/rampartd rampartd -V mqttv5 \
		-t "rampart/v1/svc/broker/reload" -n
	wait_until "snapshot $seq loaded" loaded
	SUBS=()
done
o=$(median <"$T/ours")
a=$(median <"$T/anchor")
echo "$ROUNDS rounds, ms: revocation [$(tr '\n' ',' <"$T/ours")]" \
	"round trip [$(tr '\n' ',' <"$T/anchor")]"
bench_report "revocation: notification to cut" "$o" "$a" ms \
	"mosquitto_pub round trip" lower
echo "  slowest cut: $(sort -n "$T/ours" | tail -1) ms (promised: within 1000 ms)"
