#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_demo.sh - make demo's promises (scripts/demo.sh): with 3 devices,
# the commands it prints work as printed after `source ENV` (binaries on
# PATH, the CLI's server, token and CA), SIGINT (Ctrl-C) ends it with
# exit 0, and a second run keeps the data directory (the same fleet CA)
# and the port, and says so; and make demo itself at a terminal ends
# with exit 0 and no complaint from make when Ctrl-C is typed.
# RP_TOP: the source tree (its build/bin).
set -euo pipefail
top=${RP_TOP:?RP_TOP not set}
T=$(mktemp -d /tmp/rp-demo.XXXXXX)
DPID=
cleanup() {
	local rc=$?
	# a failure may come while the demo is still starting (its Ctrl-C
	# handling not set up yet): stop its whole process group (set -m)
	[ -z "$DPID" ] || kill -KILL -- "-$DPID" 2>/dev/null || true
	[ -z "$DPID" ] || wait "$DPID" 2>/dev/null || true
	[ $rc -eq 0 ] || tail -30 "$T/out" >&2 || true
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
printed() { grep -q "Ctrl-C stops" "$T/out"; }
wait_printed() {
	local end=$((SECONDS + 300))
	until printed; do
		kill -0 "$DPID" 2>/dev/null || fail "demo exited early"
		[ $SECONDS -lt $end ] || fail "demo did not get to its commands"
		sleep 0.2 # polling a file, not synchronisation
	done
}

# run_demo: demo up to its printed commands, then run them, then SIGINT.
run_demo() {
	# job control on: a background job of a script otherwise starts with
	# SIGINT ignored, and Ctrl-C (SIGINT) is what this test sends
	set -m
	# the last run's output must not be read as this one's (its "Ctrl-C
	# stops" line, before the new demo has truncated the file)
	rm -f "$T/out" "$T/cmds" "$T/cmdout"
	RAMPART_DEMO_DIR=$T/demo RAMPART_DEMO_DEVICES=3 RAMPART_DEMO_WAIT=1 \
		bash "$top/scripts/demo.sh" >"$T/out" 2>&1 </dev/null &
	DPID=$!
	set +m
	wait_printed
	# the three commands exactly as printed, after "In another shell:"
	sed -n '/In another shell:/,/^More:/p' "$T/out" | sed -n 's/^  //p' >"$T/cmds"
	[ "$(wc -l <"$T/cmds")" -eq 3 ] || fail "not three commands: $(cat "$T/cmds")"
	(
		set -e
		# shellcheck disable=SC1090
		while read -r line; do eval "$line"; done <"$T/cmds"
	) >"$T/cmdout" 2>&1 || fail "printed commands failed: $(cat "$T/cmdout")"
	grep -q "SN-00002" "$T/cmdout" || fail "device list/show printed no SN-00002"
	kill -INT "$DPID"
	st=0
	wait "$DPID" || st=$?
	DPID=
	[ $st -eq 0 ] || fail "Ctrl-C: exit $st, not 0"
}

run_demo
grep -q "demo: a fresh data directory" "$T/out" || fail "first run did not say fresh"
port1=$(cat "$T/demo/ports")
ca1=$(sha256sum "$T/demo/data/pki/root.pem")
echo "ok 1 - first run: the printed commands work, Ctrl-C exits 0"
run_demo
grep -q "demo: the data directory and ports of the last run" "$T/out" ||
	fail "second run did not say it kept the data"
[ "$(cat "$T/demo/ports")" = "$port1" ] || fail "port changed"
[ "$(sha256sum "$T/demo/data/pki/root.pem")" = "$ca1" ] || fail "fleet CA changed"
grep -q "https://127.0.0.1:${port1%% *}" "$T/out" || fail "second run on another port"
echo "ok 2 - second run: same data directory (fleet CA) and port, said so"

# make demo at a terminal: Ctrl-C there is SIGINT to make as well as the
# demo (the whole foreground group), not to one chosen process as above.
st=0
unset MAKEFLAGS MFLAGS MAKELEVEL # this make is not the outer make's child
RAMPART_DEMO_DIR=$T/demo RAMPART_DEMO_DEVICES=3 RAMPART_DEMO_WAIT=1 \
	python3 "$top/tests/integration/ctrl_c_pty.py" 300 "Ctrl-C stops" \
	make -C "$top" -s demo >"$T/out" 2>&1 || st=$?
[ $st -eq 0 ] || fail "make demo at a terminal, Ctrl-C: exit $st, not 0"
! grep -qE 'make(\[[0-9]+\])?: \*\*\*|Interrupt' "$T/out" ||
	fail "make demo at a terminal, Ctrl-C: make complained: $(grep -E 'make|Interrupt' "$T/out")"
grep -q "demo: the data directory and ports of the last run" "$T/out" ||
	fail "make demo did not run the demo"
echo "ok 3 - make demo at a terminal: Ctrl-C ends it, exit 0, make says nothing"
