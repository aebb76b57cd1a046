#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_cli_hostile.sh - the admin commands print what a lying server says
# without letting it drive the terminal (issue 11): against an HTTPS
# server whose every string carries ESC [2J, a C1 CSI, CR and BS, and
# whose fields are missing or of the wrong type (hostile_server.py), each
# command exits 0, prints no control byte, and shows the text escaped
# (\x1b) where a person reads it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
BIN=${RP_BIN_DIR:?RP_BIN_DIR not set}
T=$(mktemp -d /tmp/rp-hostile.XXXXXX)
SRV=
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
unset RAMPART_SERVER RAMPART_TOKEN_FILE RAMPART_CA

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/key.pem" -out "$T/cert.pem" -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 2>/dev/null || fail "openssl req"
echo "not-a-real-token" >"$T/token"
chmod 600 "$T/token"
python3 "$here/hostile_server.py" "$T/cert.pem" "$T/key.pem" "$T/port" &
SRV=$!
for _ in $(seq 100); do
	[ -s "$T/port" ] && break
	kill -0 "$SRV" 2>/dev/null || fail "the server did not start"
	sleep 0.05
done
[ -s "$T/port" ] || fail "no port from the server"
export RAMPART_SERVER=https://127.0.0.1:$(cat "$T/port")
export RAMPART_TOKEN_FILE=$T/token RAMPART_CA=$T/cert.pem

# clean WHAT CMD...: exit 0; stdout has no byte below 0x20 but newline,
# none from 0x7f up, and shows the escaped ESC
clean() {
	local what=$1 st=0
	shift
	"$BIN/rampart" "$@" >"$T/out" 2>"$T/err" || st=$?
	[ "$st" = 0 ] || fail "$what: exit $st: $(cat "$T/err")"
	if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f-\xff]' "$T/out"; then
		fail "$what: a control byte reached stdout: $(cat -A "$T/out")"
	fi
	grep -qF '\x1b[2J' "$T/out" ||
		fail "$what: the ESC is not shown escaped: $(cat -A "$T/out")"
	ok "$what: the server's control sequences are escaped"
}
clean "allowlist list" allowlist list
clean "claim list" claim list
clean "device list" device list
clean "device show" device show SN1
clean "device watch" device watch --count 1

# the JSON form: escaped by JSON itself (\u001b, \u009b), still no raw byte
st=0
"$BIN/rampart" allowlist list --json >"$T/out" 2>"$T/err" || st=$?
[ "$st" = 0 ] || fail "allowlist list --json: exit $st: $(cat "$T/err")"
LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f-\xff]' "$T/out" &&
	fail "allowlist list --json: a control byte: $(cat -A "$T/out")"
grep -qiF '\u001b[2J\u009b' "$T/out" || fail "no \\u escapes: $(cat "$T/out")"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out" ||
	fail "allowlist list --json is not JSON"
ok "allowlist list --json: JSON with \\u escapes only"

# an error message from the server: escaped too (stderr)
st=0
"$BIN/rampart" allowlist show NOPE >"$T/out" 2>"$T/err" || st=$?
[ "$st" = 1 ] || fail "allowlist show NOPE: exit $st, want 1: $(cat "$T/err")"
LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f-\xff]' "$T/err" &&
	fail "the server's error reached stderr raw: $(cat -A "$T/err")"
grep -qF '\x1b[2J' "$T/err" || fail "the 404's text is not shown escaped: $(cat -A "$T/err")"
ok "a 404's message is escaped on stderr"
echo "1..$n"
