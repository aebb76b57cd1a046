#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_examples.sh - every file in examples/ loads:
#  - rampartd.conf: rampartd --check-config (the real parser);
#  - rampart-agent.conf: rampart-agent config --config (the agent's table)
#    gives back its keys and values, and its output loads the same;
#  - mosquitto.conf: it is what broker-config writes, line for line once
#    the ## comments are dropped (so it cannot drift from the program), and
#    a real Mosquitto started on it (paths moved to a test data directory,
#    a test-picked port, the plugin of this build) listens on mutual TLS.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"
ex=$(cd "$here/../../examples" && pwd)
MQ_PID=
trap 'rc=$?; [ -z "$MQ_PID" ] || { kill "$MQ_PID"; wait "$MQ_PID"; } 2>/dev/null; (exit $rc); cleanup' EXIT

out=$("$BIN/rampartd" --check-config --config "$ex/rampartd.conf") || fail "rampartd.conf: $out"
ok "examples/rampartd.conf: $out"

# rampart-agent.conf: read by the agent's table (every key an option,
# every value checked), and 'config' gives back exactly its keys and values
"$BIN/rampart-agent" config --config "$ex/rampart-agent.conf" >"$T/agent.eff" 2>"$T/agent.err" ||
	fail "rampart-agent.conf: $(cat "$T/agent.err")"
grep -v '^#' "$ex/rampart-agent.conf" | grep -v '^$' | sort >"$T/agent.want"
grep -v '^#' "$T/agent.eff" | sort >"$T/agent.got"
diff -u "$T/agent.want" "$T/agent.got" || fail "rampart-agent config does not give back examples/rampart-agent.conf"
# and what it prints loads as a file that gives the same
"$BIN/rampart-agent" config --config "$T/agent.eff" | grep -v '^#' | sort >"$T/agent.again"
diff -u "$T/agent.got" "$T/agent.again" || fail "rampart-agent config's output does not load back the same"
ok "examples/rampart-agent.conf: loads, $(wc -l <"$T/agent.got") keys, round trip through rampart-agent config"
# values the format must quote survive the round trip; a PIN is not shown;
# a control character is refused, not written as a second line
"$BIN/rampart-agent" config --fw-version 'a"b\c' --serial ' sp ' \
	--keystore 'pkcs11:token=t;object=o?module-path=/m&pin-value=s3cr3t&x-dir=/d' \
	>"$T/agent.q" || fail "config with quoted values"
grep -q 's3cr3t' "$T/agent.q" && fail "rampart-agent config printed the pin-value: $(cat "$T/agent.q")"
grep -q '^# keystore = (not shown' "$T/agent.q" || fail "no note for the hidden keystore: $(cat "$T/agent.q")"
"$BIN/rampart-agent" config --config "$T/agent.q" >"$T/agent.q2" || fail "the quoted output does not load: $(cat "$T/agent.q")"
diff -u <(grep -v '^#' "$T/agent.q") <(grep -v '^#' "$T/agent.q2") ||
	fail "quoted values changed in the round trip"
grep -qF 'fw_version = "a\"b\\c"' "$T/agent.q" || fail "fw_version not quoted: $(cat "$T/agent.q")"
st=0
"$BIN/rampart-agent" config --fw-version "$(printf 'a\nserver = https://evil')" >"$T/agent.nl" 2>"$T/agent.nle" || st=$?
[ "$st" = 2 ] || fail "a newline in a value: exit $st, want 2: $(cat "$T/agent.nl")"
grep -q 'evil' "$T/agent.nl" && fail "a newline in a value became a line"
grep -qF -- '--fw-version cannot be written' "$T/agent.nle" || fail "$(cat "$T/agent.nle")"
ok "rampart-agent config: quoting round trip, pin-value hidden, control characters refused"

start_rd "$T/data"
stop_rd
"$BIN/rampart" broker-config --data-dir "$T/data" --out "$T/gen.conf" \
	--plugin /usr/local/lib/rampart/rampart_auth.so >/dev/null || fail "broker-config"
# the example's paths are /var/lib/rampart's; the generated one's ours
sed "s|$T/data|/var/lib/rampart|g" "$T/gen.conf" | grep -v '^#' >"$T/gen.lines"
grep -v '^#' "$ex/mosquitto.conf" | grep -v '^$' >"$T/ex.lines"
grep -v '^$' "$T/gen.lines" >"$T/gen.lines2"
diff -u "$T/gen.lines2" "$T/ex.lines" || fail "examples/mosquitto.conf differs from what broker-config writes"
ok "examples/mosquitto.conf is what broker-config writes (comments aside)"

mqport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -e "s|/var/lib/rampart|$T/data|g" -e "s|^listener 8883 |listener $mqport |" \
	-e "s|^user mosquitto|user $(id -un)|" \
	-e "s|^plugin /usr/local/lib/rampart/rampart_auth.so|plugin $BIN/rampart_auth.so|" \
	"$ex/mosquitto.conf" >"$T/mq.conf"
mkdir -p "$T/data/broker"
(
	if [ -n "${RP_PLUGIN_PRELOAD:-}" ]; then # an ASan plugin in Mosquitto
		export LD_PRELOAD=$RP_PLUGIN_PRELOAD ASAN_OPTIONS=detect_leaks=0
	fi
	exec mosquitto -c "$T/mq.conf"
) >"$T/mq.out" 2>&1 &
MQ_PID=$!
mq_up() { kill -0 "$MQ_PID" || fail "mosquitto exited: $(cat "$T/mq.out")"; grep -q "Opening ipv4 listen socket on port $mqport" "$T/data/broker/mosquitto.log"; }
wait_until "mosquitto listening on the example's configuration" mq_up
ok "mosquitto -c examples/mosquitto.conf (test paths and port) listens on $mqport"
echo "all $CHECKS checks passed"
