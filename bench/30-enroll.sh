#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# 30-enroll: EST enrollments per second against rampartd on loopback (P-256
# CSRs, each enrollment on a fresh TLS connection with a claim certificate,
# ENROLL_CLIENTS transfers in parallel from one curl process), next to raw
# signing rates measured in the same run on the same CA key:
#   - openssl x509 -req: one certificate per process, sequential (what a
#     shell-script CA does; includes process start-up, like curl's side);
#   - openssl speed ecdsap256: bare ECDSA P-256 signatures, one core.
# The CSRs are made beforehand (that is the device's work, not the server's).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

N=${ENROLL_N:-300}
P=${ENROLL_CLIENTS:-4}
BIN=${RP_BIN_DIR:?}
T=$(mktemp -d /tmp/rp-bench-enroll.XXXXXX)
pid=
cleanup() {
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
	[ -z "$pid" ] || wait "$pid" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

"$BIN/rampartd" --foreground --data-dir "$T/d" --port 0 \
	--setup-token-file "$T/token" >"$T/log" 2>&1 &
pid=$!
end=$((SECONDS + 30))
until grep -q 'listening on' "$T/log"; do
	[ $SECONDS -lt $end ] || { echo "rampartd did not start" >&2; exit 1; }
	sleep 0.05
done
port=$(grep 'listening on' "$T/log" | sed 's|.*https://[^:]*:\([0-9]*\)/.*|\1|')
url=https://127.0.0.1:$port
ca=$T/d/pki/root.pem
cli() { "$BIN/rampart" "$@" --server "$url" --token-file "$T/token" --ca "$ca"; }

{
	echo "serial,hw_type,hw_token,group,tags"
	for i in $(seq 1 "$N"); do echo "B-$i,tpm2,,bench,"; done
} >"$T/allow.csv"
cli allowlist import "$T/allow.csv" >/dev/null
cli claim create --group bench --expires 1d --out "$T/claim" >/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$T/dev.key"
mkdir "$T/csr" "$T/out"
for i in $(seq 1 "$N"); do
	openssl req -new -key "$T/dev.key" -subj "/CN=B-$i" -outform DER \
		-out "$T/csr/$i.der"
	base64 "$T/csr/$i.der" >"$T/csr/$i"
done

# one curl, N transfers, P at a time, no connection reuse
for i in $(seq 1 "$N"); do
	cat <<EOF
url = "$url/.well-known/est/simpleenroll"
cacert = "$ca"
cert = "$T/claim.pem"
key = "$T/claim.key"
header = "Content-Type: application/pkcs10"
header = "Connection: close"
data-binary = "@$T/csr/$i"
output = "$T/out/$i"
write-out = "%{http_code}\n"
EOF
	[ "$i" -eq "$N" ] || echo next
done >"$T/curl.cfg"
run_curl() {
	curl -s --no-progress-meter --parallel --parallel-max "$P" \
		-K "$T/curl.cfg" 2>/dev/null
}
secs=$(bench_secs run_curl)
ok=$(ls "$T/out" | wc -l)
bad=$(sqlite3 "$T/d/rampart.db" "SELECT count(*) FROM refusals")
if [ "$ok" -ne "$N" ] || [ "$bad" -ne 0 ]; then
	echo "30-enroll: $ok replies, $bad refusals (expected $N, 0)" >&2
	exit 1
fi
ours=$(awk -v n="$N" -v s="$secs" 'BEGIN{printf "%.1f", n/s}')

# baseline 1: openssl x509 -req per certificate, same CA key, same CSRs
M=$((N < 200 ? N : 200))
start=$(date +%s.%N)
for i in $(seq 1 "$M"); do
	openssl x509 -req -inform DER -in "$T/csr/$i.der" \
		-CA "$T/d/pki/issuing.pem" -CAkey "$T/d/pki/issuing.key" \
		-CAserial "$T/serial" -CAcreateserial -days 90 \
		-out /dev/null 2>/dev/null
done
stop=$(date +%s.%N)
x509=$(awk -v n="$M" -v a="$start" -v b="$stop" 'BEGIN{printf "%.1f", n/(b-a)}')

# baseline 2: bare ECDSA P-256 signing
speed=$(openssl speed -seconds 3 ecdsap256 2>/dev/null |
	awk '/256 bits ecdsa/ {print $(NF-1); exit}')

bench_report "EST enroll vs openssl x509 -req" "$ours" "$x509" "certs/s" \
	"x509 -req loop"
bench_report "EST enroll vs ECDSA P-256 sign" "$ours" "$speed" "ops/s" \
	"openssl speed"
