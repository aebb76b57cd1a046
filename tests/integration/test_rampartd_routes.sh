#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_rampartd_routes.sh - rampartd's route table and its refusals
# against a real rampartd with curl and openssl s_client (rd_lib.sh):
# unknown paths are 404, known paths with another method 405 with Allow;
# a Content-Length over its route's limit is answered 413 from the
# headers while the client has sent no byte of the body (and a chunk over
# the limit from the chunk's size line), recorded as RP_E_BODY_TOO_BIG;
# each request of a kept-alive connection gets its own route's limit; a
# flood of unauthenticated requests from one peer stores at most
# burst + rate x elapsed refusal rows (the bound computed from the
# configured rate and the measured time), counts the rest (the API's
# counters, the summary rows and log line at shutdown), and a real
# device's EST enrollment succeeds while the flood runs.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"

RATE=5
BURST=20
FLOOD_N=${FLOOD_N:-600}
printf '[server]\nrefusal_rate = %d\nrefusal_burst = %d\n' "$RATE" "$BURST" \
	>"$T/rd.conf"
D=$T/data
start_rd "$D" --config "$T/rd.conf"
DB=$D/rampart.db
TOKEN=$(cat "$T/token")

# status METHOD PATH [CURL ARGS...]: the HTTP status; headers in $T/h,
# body in $T/o
status() {
	local m=$1 p=$2
	shift 2
	curl -s --cacert "$CA" -X "$m" -D "$T/h" -o "$T/o" -w '%{http_code}' \
		--max-time 20 "$@" "$URL$p" || true
}
allow_is() { # allow_is WANT: the Allow header of $T/h
	local got
	got=$(tr -d '\r' <"$T/h" | sed -n 's/^Allow: //Ip')
	[ "$got" = "$1" ] || fail "Allow '$got', want '$1'"
}
admin_h=(-H "Authorization: Bearer $TOKEN")

# --- 404 and 405
[ "$(status GET /nowhere)" = 404 ] || fail "GET /nowhere: not 404"
[ "$(status GET /api/v1/nowhere "${admin_h[@]}")" = 404 ] ||
	fail "GET /api/v1/nowhere: not 404"
grep -q '"no such API route"' "$T/o" || fail "API 404 body: $(cat "$T/o")"
[ "$(status PUT /api/v1/allowlist "${admin_h[@]}")" = 405 ] ||
	fail "PUT /api/v1/allowlist: not 405"
allow_is "GET, POST"
grep -q '"method not allowed"' "$T/o" || fail "API 405 body: $(cat "$T/o")"
[ "$(status DELETE /api/v1/devices/SN-1/revoke)" = 405 ] ||
	fail "DELETE devices/ID/revoke: not 405"
allow_is "POST"
[ "$(status POST /pki/crl)" = 405 ] || fail "POST /pki/crl: not 405"
allow_is "GET"
[ "$(status GET /.well-known/est/simpleenroll)" = 405 ] ||
	fail "GET simpleenroll: not 405"
allow_is "POST"
[ "$(status PATCH /api/v1/devices/SN-1 "${admin_h[@]}")" = 405 ] ||
	fail "PATCH devices/ID: not 405"
allow_is "GET, DELETE"
[ "$(status GET /api/v1/devices/SN-1/nothing "${admin_h[@]}")" = 404 ] ||
	fail "GET devices/ID/nothing: not 404"
[ "$(status GET /.well-known/est/cacerts)" = 200 ] || fail "cacerts"
ok "unknown paths 404; known paths with another method 405 with the Allow list (API and EST)"

# --- 413 from the headers: the client holds its connection open and has
# sent no byte of the body when the answer arrives
# headers_only NAME REQUEST...: send the request head on a fresh TLS
# connection, keep it open, wait for the status line into $T/NAME.out
headers_only() {
	local name=$1 pid
	shift
	rm -f "$T/$name.in"
	mkfifo "$T/$name.in"
	openssl s_client -quiet -connect "127.0.0.1:$PORT" -CAfile "$CA" \
		<"$T/$name.in" >"$T/$name.out" 2>/dev/null &
	pid=$!
	exec 3>"$T/$name.in"
	printf '%s\r\n' "$@" "" >&3
	wait_until "$name: an answer with the body unsent" \
		grep -q '^HTTP/1.1 ' "$T/$name.out"
	exec 3>&-
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	head -1 "$T/$name.out" | tr -d '\r'
}
n0=$(sql "$DB" "SELECT count(*) FROM refusals WHERE reason='RP_E_BODY_TOO_BIG'")
line=$(headers_only est "POST /.well-known/est/simpleenroll HTTP/1.1" \
	"Host: x" "Content-Type: application/pkcs10" "Content-Length: 16385")
[ "$line" = "HTTP/1.1 413 Request Entity Too Large" ] ||
	fail "simpleenroll, Content-Length 16385: '$line'"
line=$(headers_only csv "POST /api/v1/allowlist HTTP/1.1" "Host: x" \
	"Authorization: Bearer $TOKEN" "Content-Type: text/csv" \
	"Content-Length: 4194305")
[ "$line" = "HTTP/1.1 413 Request Entity Too Large" ] ||
	fail "allowlist, Content-Length 4 MiB + 1: '$line'"
line=$(headers_only claims "POST /api/v1/claims HTTP/1.1" "Host: x" \
	"Authorization: Bearer $TOKEN" "Content-Type: application/json" \
	"Content-Length: 65537")
[ "$line" = "HTTP/1.1 413 Request Entity Too Large" ] ||
	fail "claims, Content-Length 64 KiB + 1: '$line'"
line=$(headers_only nobody "POST /pki/crl HTTP/1.1" "Host: x" \
	"Content-Length: 1")
[ "$line" = "HTTP/1.1 413 Request Entity Too Large" ] ||
	fail "a body for a route that takes none: '$line'"
# chunked: the size line of a chunk over the limit is enough
line=$(headers_only chunk "POST /api/v1/claims HTTP/1.1" "Host: x" \
	"Authorization: Bearer $TOKEN" "Transfer-Encoding: chunked" "" \
	"10001")
[ "$line" = "HTTP/1.1 413 Request Entity Too Large" ] ||
	fail "claims, a chunk of 64 KiB + 1: '$line'"
sync_refusals # the 413s are written with the next batch, not one by one
n1=$(sql "$DB" "SELECT count(*) FROM refusals WHERE reason='RP_E_BODY_TOO_BIG'")
[ $((n1 - n0)) -eq 5 ] ||
	fail "$((n1 - n0)) RP_E_BODY_TOO_BIG rows for the 5 refusals"
for r in /.well-known/est/simpleenroll /api/v1/allowlist /api/v1/claims /pki/crl; do
	[ "$(sql "$DB" "SELECT count(*) FROM refusals WHERE reason='RP_E_BODY_TOO_BIG' AND route='$r' AND detail LIKE '%refused from its headers'")" -ge 1 ] ||
		fail "no refusal row for the 413 of $r"
done
# at the limit: read and handled (here: not JSON, 400)
head -c 65536 /dev/zero | tr '\0' x >"$T/64k"
[ "$(status POST /api/v1/claims "${admin_h[@]}" -H 'Content-Type: application/json' --data-binary @"$T/64k")" = 400 ] ||
	fail "a body of exactly the limit: not read and answered 400"
ok "413 from the headers, the body unsent: EST 16 KiB, allowlist 4 MiB, claims 64 KiB, a body where none is taken, a chunk over the limit; each recorded as RP_E_BODY_TOO_BIG; a body at the limit is read"

# --- a kept-alive connection: each request gets its own route's limit
printf 'serial,hw_type,hw_token,group,tags\n' >"$T/allow.csv"
for i in $(seq 1 800); do printf 'KA-%d,tpm2,,line-a,kept-alive;lab\n' "$i"; done >>"$T/allow.csv"
[ "$(stat -c %s "$T/allow.csv")" -gt 16384 ] || fail "the CSV is too small"
head -c 20000 /dev/zero >"$T/20k"
curl -s --cacert "$CA" -o /dev/null -w '%{http_code} %{num_connects}\n' \
	"$URL/.well-known/est/cacerts" --next \
	--cacert "$CA" -o /dev/null -w '%{http_code} %{num_connects}\n' \
	"${admin_h[@]}" -H 'Content-Type: text/csv' --data-binary @"$T/allow.csv" \
	"$URL/api/v1/allowlist" --next \
	--cacert "$CA" -o /dev/null -w '%{http_code} %{num_connects}\n' \
	-H 'Content-Type: application/pkcs10' --data-binary @"$T/20k" \
	"$URL/.well-known/est/simpleenroll" >"$T/ka" || true
[ "$(cat "$T/ka")" = "$(printf '200 1\n200 0\n413 0\n')" ] ||
	fail "kept-alive GET, POST allowlist (24 KB), POST simpleenroll (20 KB): $(cat "$T/ka")"
# pipelined: the second request is in the input, whole, when the first
# is answered; it gets its own limit (not the GET's 0)
printf 'serial,hw_type,hw_token,group,tags\nPL-1,tpm2,,line-a,\n' >"$T/pl.csv"
{
	printf 'GET /.well-known/est/cacerts HTTP/1.1\r\nHost: x\r\n\r\n'
	printf 'POST /api/v1/allowlist HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n' "$TOKEN"
	printf 'Content-Type: text/csv\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' \
		"$(stat -c %s "$T/pl.csv")"
	cat "$T/pl.csv"
} >"$T/pl.req"
timeout 20 openssl s_client -quiet -ign_eof -connect "127.0.0.1:$PORT" \
	-CAfile "$CA" <"$T/pl.req" 2>/dev/null | tr -d '\r' |
	grep '^HTTP/1.1 ' >"$T/pl.out" || true
[ "$(cat "$T/pl.out")" = "$(printf 'HTTP/1.1 200 OK\nHTTP/1.1 200 OK')" ] ||
	fail "pipelined GET cacerts + POST allowlist: $(cat "$T/pl.out")"
[ "$(sql "$DB" "SELECT count(*) FROM devices WHERE serial='PL-1'")" = 1 ] ||
	fail "the pipelined import did not happen"
ok "one kept-alive connection: GET cacerts, a 24 KB allowlist import (200), then a 20 KB simpleenroll (413: its own limit); a POST pipelined behind a GET gets its own limit"

# --- a request line that arrives a byte per TLS record (CR and LF in
# records of their own) still gets its route's limit: the body is read
# (here: not JSON, 400), not refused 413 from a limit of 0
dribble=$(python3 - "$PORT" "$CA" "$TOKEN" <<'PY'
import socket, ssl, sys
port, ca, token = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), 20))
for b in b"POST /api/v1/claims HTTP/1.1\r\n":
    s.send(bytes([b]))  # one TLS record each
body = b"x" * 1000
s.send(b"Host: x\r\nAuthorization: Bearer " + token.encode() +
       b"\r\nContent-Type: application/json\r\nContent-Length: " +
       str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
print(s.recv(64).split(b"\r\n")[0].decode())
PY
) || fail "the dribbling client failed"
[ "$dribble" = "HTTP/1.1 400 Bad Request" ] ||
	fail "a request line sent a byte a record: '$dribble', want 400 (body read)"
ok "a request line sent one byte per TLS record gets its route's body limit"

# --- the flood: a new TLS connection for each request, from one curl
cli claim create --group line-a --expires 1d --out "$T/claim" >/dev/null ||
	fail "claim create"
new_key "$T/dev.key"
csr_b64 "$T/dev.key" KA-1 >"$T/dev.b64"
counter() { # counter NAME: http_refusals.NAME of GET /api/v1/ingest
	curl -s --cacert "$CA" "${admin_h[@]}" "$URL/api/v1/ingest" |
		python3 -c "import json,sys; print(json.load(sys.stdin)['http_refusals']['$1'])"
}
settled() { [ "$(counter queued)" = 0 ]; }
wait_until "the recorder's queue is written" settled
rec0=$(counter recorded)
sup0=$(counter suppressed)
rows0=$(sql "$DB" "SELECT count(*) FROM refusals WHERE route='/api/v1/devices' AND reason='RP_E_AUTH'")
for i in $(seq 1 "$FLOOD_N"); do
	printf 'url = "%s/api/v1/devices"\noutput = "/dev/null"\nheader = "Connection: close"\nwrite-out = "%%{http_code}\\n"\n' "$URL"
done >"$T/flood.cfg"
t0=$EPOCHREALTIME
curl -s --cacert "$CA" -K "$T/flood.cfg" >"$T/flood.out" 2>&1 &
flood=$!
over_burst() { [ "$(counter suppressed)" -gt "$sup0" ]; }
wait_until "the flood past its burst" over_burst
code=$(est POST simpleenroll "$T/claim.pem" "$T/claim.key" "$T/dev.b64" "$T/dev.p7")
kill -0 "$flood" 2>/dev/null ||
	fail "the flood ended before the enrollment did: make FLOOD_N larger"
[ "$code" = 200 ] || fail "EST enrollment during the flood: HTTP $code"
p7_to_pem "$T/dev.p7" "$T/dev.pem"
openssl verify -CAfile "$CA" -untrusted "$D/pki/issuing.pem" "$T/dev.pem" \
	>/dev/null || fail "the certificate issued during the flood"
wait "$flood" || fail "the flood's curl failed"
t1=$EPOCHREALTIME
[ "$(grep -c '^401$' "$T/flood.out")" = "$FLOOD_N" ] ||
	fail "the flood's answers: $(sort "$T/flood.out" | uniq -c)"
wait_until "the recorder's queue is written" settled
rec=$(($(counter recorded) - rec0))
sup=$(($(counter suppressed) - sup0))
rows=$(($(sql "$DB" "SELECT count(*) FROM refusals WHERE route='/api/v1/devices' AND reason='RP_E_AUTH'") - rows0))
bound=$(awk -v b="$BURST" -v r="$RATE" -v a="$t0" -v z="$t1" \
	'BEGIN {printf "%d", b + r * (z - a)}')
echo "# flood: $FLOOD_N requests in $(awk -v a="$t0" -v z="$t1" 'BEGIN {printf "%.2f", z - a}') s, $rows rows, $sup suppressed, bound $bound"
[ "$rows" -le "$bound" ] || fail "$rows refusal rows stored, bound $bound"
[ "$rows" -eq "$rec" ] || fail "$rows rows, the recorder says $rec"
[ $((rec + sup)) -eq "$FLOOD_N" ] ||
	fail "recorded $rec + suppressed $sup != $FLOOD_N requests"
[ "$bound" -lt "$FLOOD_N" ] || fail "the bound $bound does not limit anything"
[ "$(grep -c 'refused /api/v1/devices from 127.0.0.1' "$T/rd.log")" -le $((rows0 + rows)) ] ||
	fail "more refusal log lines than rows"
ok "flood of $FLOOD_N unauthenticated requests: $rows rows <= burst + rate x elapsed = $bound, $sup counted not stored, as many log lines as rows; an EST enrollment during it issued"

# --- shutdown: the summaries say how many, per peer
sup_all=$(counter suppressed)
stop_rd
summ=$(sql "$DB" "SELECT coalesce(sum(CAST(detail AS INTEGER)), 0) FROM refusals WHERE route='(rate limit)' AND peer='127.0.0.1' AND reason='RP_E_RATE_LIMITED'")
[ "$summ" -eq "$sup_all" ] ||
	fail "summary rows count $summ suppressed, the recorder $sup_all"
grep -q 'refused [0-9]* more requests from 127.0.0.1 since .*: not recorded or logged (rate limit)' "$T/rd.log" ||
	fail "no summary log line"
ok "summary rows for 127.0.0.1 add up to the $sup_all suppressed refusals; a summary log line"
echo "1..$CHECKS"
