# SPDX-License-Identifier: Apache-2.0
# rd_lib.sh - sourced by the rampartd/EST integration scripts: a private
# temporary directory, rampartd started on a kernel-chosen port (read back
# from its log), waits on conditions with deadlines (never a bare sleep as
# synchronisation), an independent EST client made of openssl + curl, and
# queries of the store with sqlite3. Everything started is stopped on exit.
set -euo pipefail

BIN=${RP_BIN_DIR:?RP_BIN_DIR not set}
T=$(mktemp -d /tmp/rp-rd.XXXXXX)
RD_PID=
PORT=
DEADLINE_S=${RD_DEADLINE_S:-30}
OID_ARC=2.25.137553760100012191238587036453560585111
CHECKS=0

cleanup() {
	local rc=$?
	if [ -n "$RD_PID" ] && kill -0 "$RD_PID" 2>/dev/null; then
		kill -9 "$RD_PID" 2>/dev/null || true
		wait "$RD_PID" 2>/dev/null || true
	fi
	if [ $rc -ne 0 ] && [ -f "$T/rd.log" ]; then
		echo "--- rampartd log (last 40 lines)" >&2
		tail -40 "$T/rd.log" >&2
	fi
	rm -rf "$T"
	exit $rc
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

ok() {
	CHECKS=$((CHECKS + 1))
	echo "ok $CHECKS - $*"
}

# wait_until DESCRIPTION CMD...: poll CMD until it succeeds or the deadline.
wait_until() {
	local what=$1 end=$((SECONDS + DEADLINE_S))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || fail "timed out waiting for: $what"
		sleep 0.05
	done
}

listening_more_than() {
	kill -0 "$RD_PID" || fail "rampartd exited early"
	[ "$(grep -c 'listening on' "$T/rd.log")" -gt "$1" ]
}

# start_rd DATA_DIR [ARGS...]: start rampartd in the foreground (on a port
# the kernel picks unless ARGS hold --port), set RD_PID and PORT (the
# bound port, from the "listening on" log line).
start_rd() {
	local dir=$1 n port=(--port 0) a
	shift
	# rampartd refuses an option given twice: a caller's --port replaces ours
	for a in "$@"; do case $a in --port | --port=*) port=() ;; esac; done
	n=$(grep -c 'listening on' "$T/rd.log" 2>/dev/null || true)
	"$BIN/rampartd" --foreground --data-dir "$dir" "${port[@]}" \
		--setup-token-file "$T/token" "$@" >>"$T/rd.log" 2>&1 &
	RD_PID=$!
	wait_until "rampartd listening" listening_more_than "${n:-0}"
	PORT=$(grep 'listening on' "$T/rd.log" | tail -1 |
		sed 's|.*https://[^:]*:\([0-9]*\)/.*|\1|')
	URL=https://127.0.0.1:$PORT
	CA=$dir/pki/root.pem
}

# stop_rd: SIGTERM, expect a clean exit 0 and no sanitizer report.
stop_rd() {
	local st=0
	kill -TERM "$RD_PID"
	wait "$RD_PID" || st=$?
	RD_PID=
	[ $st -eq 0 ] || fail "rampartd exited with $st after SIGTERM"
	if grep -q 'Sanitizer' "$T/rd.log"; then
		fail "sanitizer report in the rampartd log"
	fi
}

# new_key FILE: a P-256 key.
new_key() {
	openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null
}

# csr_b64 KEY CN [EXTRA openssl req ARGS...]: base64 DER PKCS#10 on stdout.
csr_b64() {
	local key=$1 cn=$2
	shift 2
	openssl req -new -key "$key" -subj "/CN=$cn" -outform DER "$@" |
		base64
}

# devprof_cert DATA_DIR CN KEY OUT SERIAL: a certificate OUT for KEY with
# CN in the device profile (EKU clientAuth, SAN urn:rampart:device:CN),
# signed outside rampartd with DATA_DIR's issuing CA key, serial SERIAL
# (0x...), valid 80 days (past the default renew_window): what an old
# rampartd issued to a device "rampartd" or as its own identities.
devprof_cert() {
	local d=$1 cn=$2 key=$3 out=$4 serial=$5
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectAltName=URI:urn:rampart:device:%s\n' \
		"$cn" >"$out.ext"
	openssl req -new -key "$key" -subj "/CN=$cn" -out "$out.csr"
	openssl x509 -req -in "$out.csr" -CA "$d/pki/issuing.pem" \
		-CAkey "$d/pki/issuing.key" -set_serial "$serial" -days 80 \
		-extfile "$out.ext" -out "$out" 2>/dev/null
}

# est POST|GET ROUTE CERT KEY BODYFILE OUT: curl as an EST client; prints
# the HTTP status. CERT/KEY may be "-" for none.
est() {
	local method=$1 route=$2 cert=$3 key=$4 body=$5 out=$6
	local args=(-s --cacert "$CA" -o "$out" -w '%{http_code}'
		--max-time 20)
	[ "$cert" = - ] || args+=(--cert "$cert" --key "$key")
	if [ "$method" = POST ]; then
		args+=(-H 'Content-Type: application/pkcs10' --data-binary "@$body")
	fi
	curl "${args[@]}" "$URL/.well-known/est/$route" || true
}

# p7_to_pem IN OUT: the certificates of a base64 certs-only PKCS#7.
p7_to_pem() {
	base64 -d "$1" | openssl pkcs7 -inform DER -print_certs -out "$2"
}

# sql DB QUERY: one query against the store (read while rampartd runs).
sql() {
	sqlite3 -batch -noheader "$1" "$2"
}

# last_refusal DB [SKIP]: "reason|subject|route" of the newest refusal
# (with SKIP, of the one SKIP rows older).
last_refusal() {
	sql "$1" "SELECT reason || '|' || subject || '|' || route FROM refusals ORDER BY id DESC LIMIT 1 OFFSET ${2:-0}"
}

# sync_refusals: returns once every refusal rampartd has answered so far
# is in the store. A 413 that evhttp answers from the headers is queued
# and written with the next batch, a few ms later; a refused request (no
# token here) is answered only after its own batch is written, which
# holds every row queued before it. Its own row is then the newest.
sync_refusals() {
	curl -s --cacert "$CA" -o /dev/null --max-time 20 "$URL/api/v1/devices" || true
}

# cli ARGS...: the rampart CLI against the running rampartd.
cli() {
	"$BIN/rampart" "$@" --server "$URL" --token-file "$T/token" --ca "$CA"
}
