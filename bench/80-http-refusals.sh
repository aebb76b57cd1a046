#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# 80-http-refusals: what a flood of unauthenticated HTTPS requests costs
# rampartd, and what it does to EST enrollment meanwhile.
#   - requests per second: GET /api/v1/devices without a token (401, a
#     refusal: recorded or, past the peer's rate, counted) against
#     rampartd, next to `openssl s_server -www` (its status page) on the
#     same server certificate and key (P-256), the same TLS 1.3, the same
#     client: one curl process, REFUSAL_N requests, REFUSAL_CLIENTS at a
#     time, each on a fresh TLS connection (Connection: close; s_server
#     -www closes after each answer anyway), in REFUSAL_ROUNDS alternating
#     slices, medians reported. Also each server's CPU time per request
#     (from /proc), which other load on the machine disturbs less;
#   - EST enrollment latency (median, p95 of REFUSAL_ENROLL sequential
#     simpleenrolls, each a fresh connection with a claim certificate)
#     without and with such a flood running; the anchor is the latency
#     without it.
# Runs against any rampartd build (RP_BIN_DIR), so that the figures of an
# older tree can be measured the same way.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

BIN=${RP_BIN_DIR:?}
N=${REFUSAL_N:-500}
ROUNDS=${REFUSAL_ROUNDS:-5}
P=${REFUSAL_CLIENTS:-4}
M=${REFUSAL_ENROLL:-40}
T=$(mktemp -d /tmp/rp-bench-refusals.XXXXXX)
trap 'bench_stop; rm -rf "$T"' EXIT

"$BIN/rampartd" --foreground --data-dir "$T/d" --port 0 \
	--setup-token-file "$T/token" >"$T/log" 2>&1 &
rd=$!
pids+=("$rd")
end=$((SECONDS + 30))
until grep -q 'listening on' "$T/log"; do
	[ $SECONDS -lt $end ] || { echo "rampartd did not start" >&2; exit 1; }
	sleep 0.05
done
port=$(grep 'listening on' "$T/log" | sed 's|.*https://[^:]*:\([0-9]*\)/.*|\1|')
url=https://127.0.0.1:$port
ca=$T/d/pki/root.pem
cli() { "$BIN/rampart" "$@" --server "$url" --token-file "$T/token" --ca "$ca"; }

# the anchor: s_server on rampartd's own certificate, key and chain
sport=$((20000 + RANDOM % 30000))
while (exec 3<>"/dev/tcp/127.0.0.1/$sport") 2>/dev/null; do
	sport=$((20000 + RANDOM % 30000))
done
openssl s_server -quiet -www -accept "127.0.0.1:$sport" \
	-cert "$T/d/pki/server.pem" -key "$T/d/pki/server.key" \
	-cert_chain "$T/d/pki/issuing.pem" </dev/null >"$T/s_server.out" 2>&1 &
ss=$!
pids+=("$ss")
end=$((SECONDS + 20))
until (exec 3<>"/dev/tcp/127.0.0.1/$sport") 2>/dev/null; do
	[ $SECONDS -lt $end ] || { echo "s_server did not start" >&2; exit 1; }
	sleep 0.05
done

# flood_cfg URL COUNT: a curl config of COUNT requests on new connections
flood_cfg() {
	local i
	for i in $(seq 1 "$2"); do
		printf 'url = "%s"\noutput = "/dev/null"\n' "$1"
	done
}
flood() { # flood CFG: one curl, P transfers at a time
	curl -s --no-progress-meter --cacert "$ca" --parallel \
		--parallel-max "$P" -H 'Connection: close' \
		-w '%{http_code}\n' -K "$1" 2>/dev/null
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# rate PID URL NAME: requests/s and CPU us/request of one flood of N
rate() {
	local pid=$1 c0 c1 t0 t1
	flood_cfg "$2" "$N" >"$T/$3.cfg"
	c0=$(cpu_ticks "$pid")
	t0=$(date +%s.%N)
	flood "$T/$3.cfg" >"$T/$3.codes"
	t1=$(date +%s.%N)
	c1=$(cpu_ticks "$pid")
	awk -v n="$N" -v a="$t0" -v b="$t1" -v c="$c0" -v d="$c1" -v hz="$hz" \
		'BEGIN {printf "%.1f %.0f", n / (b - a), (d - c) / hz * 1e6 / n}'
}

# ROUNDS alternating slices of N requests each; medians
: >"$T/rd.rates"
: >"$T/ss.rates"
for r in $(seq 1 "$ROUNDS"); do
	rate "$rd" "$url/api/v1/devices" rd >>"$T/rd.rates"
	echo >>"$T/rd.rates"
	[ "$(grep -c '^401$' "$T/rd.codes")" -eq "$N" ] ||
		{ echo "80-http-refusals: rampartd answered $(sort "$T/rd.codes" | uniq -c)" >&2; exit 1; }
	rate "$ss" "https://127.0.0.1:$sport/" ss >>"$T/ss.rates"
	echo >>"$T/ss.rates"
	[ "$(grep -c '^200$' "$T/ss.codes")" -eq "$N" ] ||
		{ echo "80-http-refusals: s_server answered $(sort "$T/ss.codes" | uniq -c)" >&2; exit 1; }
done
ours=$(awk '{print $1}' "$T/rd.rates" | median)
ours_cpu=$(awk '{print $2}' "$T/rd.rates" | median)
anchor=$(awk '{print $1}' "$T/ss.rates" | median)
anchor_cpu=$(awk '{print $2}' "$T/ss.rates" | median)
rows=$(sqlite3 "$T/d/rampart.db" "SELECT count(*) FROM refusals WHERE route='/api/v1/devices'")
bench_report "unauthenticated req/s vs s_server" "$ours" "$anchor" "req/s" \
	"s_server -www"
bench_report "server CPU per request" "$ours_cpu" "$anchor_cpu" "us" \
	"s_server -www" lower
echo "($((ROUNDS * N)) refused requests, $rows refusal rows stored)"

# EST latency: M enrollments, without and with a flood
{
	echo "serial,hw_type,hw_token,group,tags"
	for i in $(seq 1 $((2 * M))); do echo "L-$i,tpm2,,bench,"; done
} >"$T/allow.csv"
cli allowlist import "$T/allow.csv" >/dev/null
cli claim create --group bench --expires 1d --out "$T/claim" >/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$T/dev.key"
for i in $(seq 1 $((2 * M))); do
	openssl req -new -key "$T/dev.key" -subj "/CN=L-$i" -outform DER |
		base64 >"$T/csr$i"
done
enroll() { # enroll FIRST: M enrollments from FIRST on; seconds, one a line
	local i code
	for i in $(seq "$1" $(($1 + M - 1))); do
		code=$(curl -s --cacert "$ca" --cert "$T/claim.pem" \
			--key "$T/claim.key" -H 'Content-Type: application/pkcs10' \
			--data-binary "@$T/csr$i" -o /dev/null \
			-w '%{http_code} %{time_total}' \
			"$url/.well-known/est/simpleenroll")
		[ "${code%% *}" = 200 ] ||
			{ echo "80-http-refusals: enrollment $i: ${code%% *}" >&2; return 1; }
		echo "${code#* }"
	done
}
p95() { sort -n | awk '{a[NR]=$1} END {i=int(NR*0.95+0.999); if (i>NR) i=NR; print a[i]}'; }
ms() { awk '{printf "%.1f", $1 * 1000}'; }
enroll 1 >"$T/quiet"
flood_cfg "$url/api/v1/devices" 200000 >"$T/long.cfg"
flood "$T/long.cfg" >/dev/null &
fl=$!
pids+=("$fl")
sleep 1 # the flood under way (a benchmark, not a test: no assertion waits on it)
enroll $((M + 1)) >"$T/loud"
kill "$fl" 2>/dev/null || true
q50=$(median <"$T/quiet" | ms)
q95=$(p95 <"$T/quiet" | ms)
l50=$(median <"$T/loud" | ms)
l95=$(p95 <"$T/loud" | ms)
bench_report "EST enroll median, flood vs none" "$l50" "$q50" "ms" \
	"no flood" lower
bench_report "EST enroll p95, flood vs none" "$l95" "$q95" "ms" \
	"no flood" lower
