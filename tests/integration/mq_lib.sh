# SPDX-License-Identifier: Apache-2.0
# mq_lib.sh - sourced after rd_lib.sh by the scripts that run a real
# Mosquitto with the rampart plugin next to rampartd (test_ingest.sh,
# bench/50-ingest.sh): a free port, the broker configured by `rampart
# broker-config` from rampartd's data directory and started (under
# sanitizers with the runtime preloaded, as test_broker_rampartd.sh does),
# and mosquitto_pub/_sub with a device's or the service's certificate.
# Background clients are started as `mosquitto_sub "${MQA[@]}" ... &` so
# that $! is the client itself; add it to SUBS to have it stopped.

MQ_PID=
MP=
SUBS=()
# die MSG: fail from inside a wait_until condition (whose output is muted).
exec 9>&2
die() {
	echo "FAIL: $*" >&9
	exit 1
}

free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# within SECONDS DESCRIPTION CMD...: like wait_until with its own deadline.
within() {
	local secs=$1 what=$2 end
	shift 2
	end=$(($(date +%s%N) + secs * 1000000000))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$end" ] ||
			die "not within ${secs}s: $what"
		sleep 0.05
	done
}

# poll_for SECONDS CMD...: poll CMD for at most SECONDS; its status (1 on
# the deadline), for conditions retried from an outer wait_until.
poll_for() {
	local secs=$1 end
	shift
	end=$(($(date +%s%N) + secs * 1000000000))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

has() { grep -qF -- "$2" "$1"; }
gone() { ! kill -0 "$1" 2>/dev/null; }

# mq_config DATA_DIR [EXTRA LINE...]: write $T/mosquitto.conf for a broker
# on $MP (picked here once) with the plugin; extra lines are appended.
mq_config() {
	local d=$1
	shift
	[ -n "$MP" ] || MP=$(free_port)
	"$BIN/rampart" broker-config --data-dir "$d" --out "$T/mosquitto.conf" \
		--port "$MP" --plugin "$BIN/rampart_auth.so" --user "$(id -un)" \
		>"$T/bc.out" 2>&1 || fail "broker-config: $(cat "$T/bc.out")"
	local l
	for l in "$@"; do echo "$l" >>"$T/mosquitto.conf"; done
	CAF=$d/broker/ca.pem
	MQ_DATA=$d
}

mq_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$MP") 2>/dev/null; }
mq_alive() { kill -0 "$MQ_PID" || die "mosquitto exited: $(tail -5 "$T/mosquitto.out")"; }
mq_up() { mq_alive && mq_port_open; }

# mq_start: start the broker of $T/mosquitto.conf, wait until it listens.
mq_start() {
	(
		if [ -n "${RP_PLUGIN_PRELOAD:-}" ]; then
			export LD_PRELOAD=$RP_PLUGIN_PRELOAD
			export ASAN_OPTIONS=detect_leaks=0
		fi
		exec mosquitto -c "$T/mosquitto.conf"
	) >>"$T/mosquitto.out" 2>&1 &
	MQ_PID=$!
	wait_until "mosquitto listening" mq_up
}

# mq_kill9: the broker dies without a goodbye.
mq_kill9() {
	kill -9 "$MQ_PID" 2>/dev/null || true
	wait "$MQ_PID" 2>/dev/null || true
	MQ_PID=
}

# mq_stop: SIGTERM, a clean exit and no sanitizer report expected.
mq_stop() {
	local st=0
	kill -TERM "$MQ_PID"
	wait "$MQ_PID" || st=$?
	MQ_PID=
	[ $st = 0 ] || fail "mosquitto exited with $st after SIGTERM"
	! grep -q Sanitizer "$T/mosquitto.out" || fail "sanitizer report (plugin)"
}

# mq_args NAME ID: set MQA to the options of a client with the certificate
# $T/NAME.{pem,key}, or "svc" for rampartd's service certificate.
mq_args() {
	local cert=$T/$1.pem key=$T/$1.key
	if [ "$1" = svc ]; then
		cert=$MQ_DATA/pki/service.pem key=$MQ_DATA/pki/service.key
	fi
	MQA=(-h 127.0.0.1 -p "$MP" --cafile "$CAF" --cert "$cert" --key "$key"
		-i "$2")
}

# mq TOOL NAME ID ARGS...: run a client in the foreground.
mq() {
	local tool=$1
	mq_args "$2" "$3"
	shift 3
	"$tool" "${MQA[@]}" "$@"
}

mq_stop_all() {
	local p
	for p in "${SUBS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	SUBS=()
	if [ -n "$MQ_PID" ] && kill -0 "$MQ_PID" 2>/dev/null; then
		kill -9 "$MQ_PID" 2>/dev/null || true
		wait "$MQ_PID" 2>/dev/null || true
	fi
	MQ_PID=
}

# enroll_devices CLAIM_GROUP ID...: allowlist, claim, and enroll each ID
# over EST with openssl + curl: $T/ID.key and $T/ID.pem.
enroll_devices() {
	local group=$1 id code
	shift
	{
		echo 'serial,hw_type,hw_token,group,tags'
		for id in "$@"; do echo "$id,tpm2,,$group,"; done
	} >"$T/allow-$group.csv"
	cli allowlist import "$T/allow-$group.csv" >/dev/null ||
		fail "allowlist import"
	cli claim create --group "$group" --expires 1d --out "$T/claim-$group" \
		>/dev/null || fail "claim create"
	for id in "$@"; do
		new_key "$T/$id.key"
		csr_b64 "$T/$id.key" "$id" >"$T/$id.b64"
		code=$(est POST simpleenroll "$T/claim-$group.pem" \
			"$T/claim-$group.key" "$T/$id.b64" "$T/$id.p7")
		[ "$code" = 200 ] || fail "simpleenroll $id: HTTP $code"
		p7_to_pem "$T/$id.p7" "$T/$id.pem"
	done
}
