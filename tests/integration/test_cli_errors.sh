#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_cli_errors.sh - the admin commands say what went wrong and what to
# try (issue 11), against a real rampartd and real failures: nothing
# listening on the port (connection refused), a port that accepts and
# closes (no HTTPS answer), no --ca (the fleet root is not in the system
# store), a --ca of another fleet, an unreadable --ca, an http:// URL, a
# URL that is no URL, a wrong token (401: one line naming the file, no
# blank line). Each: the exit code docs/cli.md gives and one message that
# names the server, the file or the remedy.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"

D=$T/data
start_rd "$D"
RP=$BIN/rampart
unset RAMPART_SERVER RAMPART_TOKEN_FILE RAMPART_CA

# expect WANT_EXIT MESSAGE CMD...: exit WANT_EXIT, stderr holds MESSAGE
# (fixed string) and is exactly one line
expect() {
	local want=$1 msg=$2 st=0
	shift 2
	"$@" >"$T/out" 2>"$T/err" || st=$?
	[ "$st" = "$want" ] || fail "$*: exit $st, want $want: $(cat "$T/err")"
	grep -qF -- "$msg" "$T/err" || fail "$*: no '$msg' in: $(cat "$T/err")"
	[ "$(wc -l <"$T/err")" = 1 ] || fail "$*: not one line: $(cat -A "$T/err")"
}
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# nothing listens
p=$(free_port)
expect 2 "cannot reach rampartd at https://127.0.0.1:$p: is it running? (Connection refused)" \
	"$RP" device list --server "https://127.0.0.1:$p" --token-file "$T/token" --ca "$CA"
ok "server down: 'cannot reach rampartd at URL: is it running? (Connection refused)', exit 2"

# a port that takes the connection and closes it
python3 - "$T/closer.port" <<'PY' &
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, _ = s.accept(); c.close()
PY
CLOSER=$!
trap 'st=$?; kill $CLOSER 2>/dev/null; (exit $st); cleanup' EXIT
wait_until "the closing listener" test -s "$T/closer.port"
cp=$(cat "$T/closer.port")
expect 2 "it takes connections but gave no HTTPS answer: is it rampartd, and is this its port?" \
	"$RP" device list --server "https://127.0.0.1:$cp" --token-file "$T/token" --ca "$CA"
ok "a port that is not rampartd's: says it takes connections but gives no HTTPS answer, exit 2"

# TLS: no --ca, another fleet's root, an unreadable --ca
expect 2 "the server's certificate is not trusted; give the fleet root (rampartd's DATA_DIR/pki/root.pem) with --ca or RAMPART_CA" \
	"$RP" device list --server "$URL" --token-file "$T/token"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/other.key" -out "$T/other.pem" -subj /CN=other-fleet -days 1 2>/dev/null
expect 2 "the server's certificate does not verify against $T/other.pem" \
	"$RP" device list --server "$URL" --token-file "$T/token" --ca "$T/other.pem"
expect 2 "--ca $T/missing.pem: cannot read it" \
	"$RP" device list --server "$URL" --token-file "$T/token" --ca "$T/missing.pem"
ok "TLS: no --ca names the fleet root and --ca/RAMPART_CA; another fleet's root is named; a missing --ca file is named"

# URLs
expect 2 "rampartd speaks HTTPS only; use https://" \
	"$RP" device list --server "http://127.0.0.1:$PORT" --token-file "$T/token" --ca "$CA"
expect 2 "--server wants a URL such as https://rampart.example:8443, not '127.0.0.1:$PORT'" \
	"$RP" device list --server "127.0.0.1:$PORT" --token-file "$T/token" --ca "$CA"
ok "an http:// URL and a bare host:port are refused with the form wanted"

# a wrong token: 401 in one line, naming the file
printf 'not-the-token\n' >"$T/wrong"
expect 1 "rampartd refused the token in $T/wrong (401): is it this rampartd's setup token?" \
	"$RP" device list --server "$URL" --token-file "$T/wrong" --ca "$CA"
ok "a wrong token: exit 1, one line naming the token file"

# a device that does not exist is named
expect 1 "rampart: no device 'SN-77777' (404)" \
	"$RP" device show SN-77777 --server "$URL" --token-file "$T/token" --ca "$CA"
expect 1 "rampart: no device 'SN-77777' (404)" \
	"$RP" device revoke SN-77777 --reason keyCompromise --server "$URL" --token-file "$T/token" --ca "$CA"
expect 1 "rampart: no device 'SN-77777' (404)" \
	"$RP" allowlist remove SN-77777 --server "$URL" --token-file "$T/token" --ca "$CA"
ok "an unknown device: exit 1, 'no device ID (404)' (show, revoke, allowlist remove)"

# a reader that goes away: watch stops (it used to ask rampartd forever)
st=0
timeout 30 sh -c "'$RP' device watch --interval 1 --server '$URL' --token-file '$T/token' --ca '$CA' | head -1" >"$T/out" 2>&1 || st=$?
[ $st = 0 ] || fail "watch | head -1 did not end: exit $st"
[ "$(cat "$T/out")" = "no devices" ] || fail "watch's first line: $(cat "$T/out")"
ok "device watch | head -1: watch ends when its reader does; an empty fleet reads 'no devices'"
