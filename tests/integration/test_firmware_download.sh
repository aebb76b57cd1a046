#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_firmware_download.sh - the download of a release's image
# (docs/updates.md "The download") from a real rampartd over real TLS,
# with device certificates enrolled over EST (openssl + curl) and curl or
# a Python TLS client as the device:
#   - SN-A, whose update to release R is unfinished, gets the image whole
#     (SHA-256 equal to the file's), with the strong ETag "R", Accept-Ranges
#     and Content-Length; HEAD gets the same headers and no body;
#   - ranges: bytes=S-E, S-, -N give 206 with Content-Range and exactly
#     those bytes; a past-the-end range or bytes=-0 is 416 with "bytes
#     */LEN"; several ranges or a malformed one are ignored (200 whole);
#     If-Range with R's tag serves the range, another tag or a date the
#     whole image;
#   - refused and recorded: a claim certificate (403, RP_E_CLAIM), no
#     certificate (401), SN-B without an update (403, RP_E_PERM), SN-A
#     asking another release (403), SN-A once its update is final (403);
#   - [firmware] max_downloads_per_device: with 2 downloads held open by
#     clients that stopped reading, a third is 429 with Retry-After and
#     recorded (RP_E_QUEUE_FULL); a held client that disconnects ends its
#     download (rampartd's log) and frees its place; the image file
#     removed during a held download is still sent whole (the descriptor
#     was opened once);
#   - a download running when rampartd is stopped: clean exit, and no
#     sanitizer report in rampartd's log at any point (stop_rd).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"
. "$here/mq_lib.sh"

HOLDS=()
on_exit() {
	local st=$? p
	for p in "${HOLDS[@]}"; do kill "$p" 2>/dev/null || true; done
	set +e
	(exit $st)
	cleanup
}
trap on_exit EXIT

D=$T/data
DB=$D/rampart.db
q() { sql "$DB" "$1"; }

# fw CERT|- KEY|- PATH [CURL ARGS...]: GET (or what ARGS say) $URL$PATH,
# body in $T/body, headers in $T/hdr; prints the status.
fw() {
	local cert=$1 key=$2 path=$3
	shift 3
	local args=(-s --cacert "$CA" -o "$T/body" -D "$T/hdr" -w '%{http_code}'
		--max-time 60)
	[ "$cert" = - ] || args+=(--cert "$cert" --key "$key")
	curl "${args[@]}" "$@" "$URL$path" || true
}
hdr() { # NAME: the value of a response header in $T/hdr
	grep -i "^$1:" "$T/hdr" | tail -1 | cut -d: -f2- | sed 's/^ //; s/\r$//'
}
body_sha() { sha256sum "$T/body" | cut -c1-64; }
A() { fw "$T/SN-A.pem" "$T/SN-A.key" "$@"; }
refusal_is() { # REASON SUBJECT ROUTE: the newest refusal before
	local got want # sync_refusals' own; the route as the store keeps it
	sync_refusals
	got=$(q "SELECT reason || '|' || ifnull(subject, '') || '|' || route FROM refusals ORDER BY id DESC LIMIT 1 OFFSET 1")
	want="$1|$2|${3:0:56}"
	[ "${got:0:${#want}}" = "$want" ] || fail "refusal: $got, wanted $want"
}

# A TLS client with a device certificate that sends one GET, reads the
# headers and the first bytes, says "held STATUS" and stops reading until
# its control FIFO says "close" (it drops the connection) or "read" (it
# reads the rest and says "sha BODY_SHA256").
cat >"$T/hold.py" <<'PY'
import hashlib, socket, ssl, sys
host, port, cert, key, ca, path, ctl = sys.argv[1:8]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
ctx.load_cert_chain(cert, key)
s = ctx.wrap_socket(socket.create_connection((host, int(port))))
s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
buf = b""
while b"\r\n\r\n" not in buf:
    d = s.recv(4096)
    if not d:
        sys.exit("closed before the headers")
    buf += d
head, body = buf.split(b"\r\n\r\n", 1)
print("held", head.split(b" ")[1].decode(), flush=True)
with open(ctl) as c:
    cmd = c.readline().strip()
if cmd == "close":
    s.close()
    sys.exit(0)
n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0])
h = hashlib.sha256(body)
got = len(body)
while got < n:
    d = s.recv(1 << 16)
    if not d:
        sys.exit(f"closed after {got} of {n}")
    h.update(d)
    got += len(d)
print("sha", h.hexdigest(), flush=True)
PY
# hold NAME PATH: a held download by SN-A in the background ($T/NAME.out,
# control $T/NAME.ctl); returns once its headers arrived.
hold() {
	mkfifo "$T/$1.ctl"
	python3 "$T/hold.py" 127.0.0.1 "$PORT" "$T/SN-A.pem" "$T/SN-A.key" "$CA" \
		"$2" "$T/$1.ctl" >"$T/$1.out" 2>&1 &
	HOLDS+=($!)
	eval "HOLD_$1=$!"
	wait_until "$1's headers" grep -q '^held' "$T/$1.out"
}
ctl() { echo "$2" >"$T/$1.ctl"; }
ended_n() { [ "$(grep -c "download of .* ended after" "$T/rd.log")" -ge "$1" ]; }

# --- a fleet of SN-A and SN-B, and release R (a 24 MiB file, more than
# the loopback socket buffers hold) that SN-A's update installs
start_rd "$D"
enroll_devices line-a SN-A SN-B
IMG=$T/img
head -c $((24 * 1024 * 1024 + 12345)) /dev/urandom >"$IMG"
SIZE=$(stat -c %s "$IMG")
R=$(sha256sum "$IMG" | cut -c1-64)
printf 'other' >"$T/img2"
R2=$(sha256sum "$T/img2" | cut -c1-64)
add_release() { # ID FILE
	q "INSERT INTO releases (id, hw_type, ver_major, ver_minor, ver_patch, counter, kind, payload_size, file_size, build_time, created_at) VALUES ('$1', 'tpm2', 1, 0, 0, 1, 0, 1, $(stat -c %s "$2"), 1767225600, strftime('%s','now'))"
	install -m 0600 "$2" "$D/releases/$1.img"
}
mkdir -p -m 0700 "$D/releases"
add_release "$R" "$IMG"
add_release "$R2" "$T/img2"
q "INSERT INTO updates (cmd_id, serial, release_id, state, size, created_at, updated_at) VALUES ('upd-1', 'SN-A', '$R', 'accepted', $SIZE, strftime('%s','now'), strftime('%s','now'))"

# --- the whole image
[ "$(A "/fw/v1/$R")" = 200 ] || fail "GET: $(cat "$T/hdr")"
[ "$(body_sha)" = "$R" ] || fail "the body is not the image"
[ "$(hdr ETag)" = "\"$R\"" ] || fail "ETag: $(hdr ETag)"
[ "$(hdr Accept-Ranges)" = bytes ] || fail "Accept-Ranges: $(hdr Accept-Ranges)"
[ "$(hdr Content-Length)" = "$SIZE" ] || fail "Content-Length: $(hdr Content-Length)"
[ "$(hdr Content-Type)" = application/octet-stream ] || fail "Content-Type"
grep -qi '^Transfer-Encoding' "$T/hdr" && fail "chunked: $(cat "$T/hdr")"
grep -q "fw: SN-A GET ${R:0:12} bytes 0-$((SIZE - 1)) of $SIZE: 200" "$T/rd.log" ||
	fail "the download's log line"
ok "GET /fw/v1/R with SN-A's certificate: the image whole (SHA-256 = R), ETag \"R\", Accept-Ranges, Content-Length, no chunked encoding"
[ "$(A "/fw/v1/$R" -I)" = 200 ] || fail "HEAD: $(cat "$T/hdr")"
[ "$(hdr Content-Length)" = "$SIZE" ] && [ "$(hdr ETag)" = "\"$R\"" ] ||
	fail "HEAD headers: $(cat "$T/hdr")"
# no body after a HEAD's headers: the next answer on the connection follows
cat >"$T/head.py" <<'PY'
import socket, ssl, sys
port, cert, key, ca, path, hpath, hstatus = sys.argv[1:8]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
ctx.load_cert_chain(cert, key)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(port))))
s.sendall(f"HEAD {hpath} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
head, rest = buf.split(b"\r\n\r\n", 1)
s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\nConnection: close\r\n\r\n".encode())
while True:
    d = s.recv(65536)
    if not d:
        break
    rest += d
assert head.startswith(b"HTTP/1.1 " + hstatus.encode()), head
assert rest.startswith(b"HTTP/1.1 206"), rest[:80]
PY
python3 "$T/head.py" "$PORT" "$T/SN-A.pem" "$T/SN-A.key" "$CA" "/fw/v1/$R" "/fw/v1/$R" 200 ||
	fail "HEAD then GET on one connection"
# so does the route table's answer to a HEAD of another route (405)
python3 "$T/head.py" "$PORT" "$T/SN-A.pem" "$T/SN-A.key" "$CA" "/fw/v1/$R" /pki/crl 405 ||
	fail "HEAD /pki/crl then GET on one connection"
ok "HEAD: the same headers, no body (the next answer on the connection follows them; also after a 405 to HEAD /pki/crl)"

# --- ranges
range() { # RANGE FIRST LAST: 206 with exactly those bytes
	[ "$(A "/fw/v1/$R" -H "Range: $1")" = 206 ] || fail "Range $1: $(cat "$T/hdr")"
	[ "$(hdr Content-Range)" = "bytes $2-$3/$SIZE" ] ||
		fail "Range $1: Content-Range $(hdr Content-Range)"
	[ "$(hdr Content-Length)" = $(($3 - $2 + 1)) ] || fail "Range $1: Content-Length"
	[ "$(stat -c %s "$T/body")" = $(($3 - $2 + 1)) ] &&
		cmp -s -i "$2:0" -n $(($3 - $2 + 1)) "$IMG" "$T/body" ||
		fail "Range $1: other bytes"
}
range bytes=0-0 0 0
range bytes=1000-70999 1000 70999
range "bytes=$((SIZE - 5))-" $((SIZE - 5)) $((SIZE - 1))
range bytes=-100000 $((SIZE - 100000)) $((SIZE - 1))
range "bytes=$((SIZE - 10))-99999999999999" $((SIZE - 10)) $((SIZE - 1))
range "bytes=12345678-" 12345678 $((SIZE - 1))
grep -q "fw: SN-A GET ${R:0:12} bytes 12345678-$((SIZE - 1)) of $SIZE: 206" "$T/rd.log" ||
	fail "a range's log line"
ok "ranges bytes=S-E, S-, -N, a last byte past the end: 206, Content-Range, exactly those bytes"
for r in "bytes=$SIZE-" "bytes=$((SIZE + 7))-$((SIZE + 9))" bytes=-0; do
	[ "$(A "/fw/v1/$R" -H "Range: $r")" = 416 ] || fail "Range $r: $(cat "$T/hdr")"
	[ "$(hdr Content-Range)" = "bytes */$SIZE" ] || fail "416's Content-Range: $(hdr Content-Range)"
done
ok "unsatisfiable ranges: 416 with Content-Range bytes */LEN"
for r in bytes=0-1,5-9 "bytes=9-3" bytes=x-1 items=0-1 "bytes=1 -2"; do
	[ "$(A "/fw/v1/$R" -H "Range: $r")" = 200 ] || fail "Range $r: $(cat "$T/hdr")"
	[ "$(body_sha)" = "$R" ] || fail "Range $r: not the whole image"
done
ok "several ranges, a malformed one: ignored, 200 and the image whole"
[ "$(A "/fw/v1/$R" -H 'Range: bytes=5-9' -H "If-Range: \"$R\"")" = 206 ] ||
	fail "If-Range R: $(cat "$T/hdr")"
[ "$(hdr Content-Range)" = "bytes 5-9/$SIZE" ] || fail "If-Range R: Content-Range"
for v in "\"$R2\"" "W/\"$R\"" "Thu, 01 Jan 2026 00:00:00 GMT"; do
	[ "$(A "/fw/v1/$R" -H 'Range: bytes=5-9' -H "If-Range: $v")" = 200 ] ||
		fail "If-Range $v: $(cat "$T/hdr")"
	[ "$(body_sha)" = "$R" ] || fail "If-Range $v: not the whole image"
done
ok "If-Range: R's tag serves the range; another tag, a weak one, a date: the whole image"

# --- refusals
[ "$(fw "$T/claim-line-a.pem" "$T/claim-line-a.key" "/fw/v1/$R")" = 403 ] ||
	fail "claim certificate: $(cat "$T/hdr")"
refusal_is RP_E_CLAIM "" "/fw/v1/$R"
[ "$(fw - - "/fw/v1/$R")" = 401 ] || fail "no certificate: $(cat "$T/hdr")"
refusal_is RP_E_NO_CLIENT_CERT "" "/fw/v1/$R"
[ "$(fw "$T/SN-B.pem" "$T/SN-B.key" "/fw/v1/$R")" = 403 ] ||
	fail "SN-B without an update: $(cat "$T/hdr")"
refusal_is RP_E_PERM SN-B "/fw/v1/$R"
grep -q "the device has no update" "$T/rd.log" || fail "SN-B's reason"
[ "$(A "/fw/v1/$R2")" = 403 ] || fail "SN-A, another release: $(cat "$T/hdr")"
refusal_is RP_E_PERM SN-A "/fw/v1/$R2"
grep -q "the device's update (command upd-1) is to release ${R:0:12}" "$T/rd.log" ||
	fail "SN-A's reason for R2"
[ "$(A /fw/v1/NOT-AN-ID)" = 403 ] || fail "not an id: $(cat "$T/hdr")"
refusal_is RP_E_PERM SN-A /fw/v1/NOT-AN-ID
ok "refused and recorded: a claim certificate (403), none (401), SN-B without an update (403), SN-A asking another release or a non-id (403)"

# --- the per-device limit, a client gone, a file removed meanwhile
hold h1 "/fw/v1/$R"
hold h2 "/fw/v1/$R"
[ "$(A "/fw/v1/$R")" = 429 ] || fail "a third download: $(cat "$T/hdr")"
[ "$(hdr Retry-After)" = 10 ] || fail "Retry-After: $(hdr Retry-After)"
refusal_is RP_E_QUEUE_FULL SN-A "/fw/v1/$R"
grep -q '2 downloads running for the device' "$T/rd.log" || fail "429's reason"
[ "$(A "/fw/v1/$R" -I)" = 200 ] || fail "HEAD while 2 run"
[ "$(fw "$T/SN-B.pem" "$T/SN-B.key" "/fw/v1/$R")" = 403 ] || fail "SN-B"
ok "2 downloads held open: a third is 429 with Retry-After, recorded; HEAD is no download"
ctl h1 close
wait "$HOLD_h1" || fail "h1: $(cat "$T/h1.out")"
wait_until "h1's download ended" ended_n 1
grep -q "SN-A's download of ${R:0:12} ended after .* (the client went away or stalled)" "$T/rd.log" ||
	fail "the end of h1's download"
rm "$D/releases/$R.img"
ctl h2 read
wait "$HOLD_h2" || fail "h2: $(cat "$T/h2.out")"
grep -q "^sha $R\$" "$T/h2.out" || fail "h2 got another body: $(cat "$T/h2.out")"
install -m 0600 "$IMG" "$D/releases/$R.img"
[ "$(A "/fw/v1/$R")" = 200 ] && [ "$(body_sha)" = "$R" ] ||
	fail "after the held ones: $(cat "$T/hdr")"
ok "a held client gone ends its download (logged) and rampartd serves on; the file removed during a download is sent whole"

# --- once the update is final, the release is refused
q "UPDATE updates SET state = 'confirmed', final = 1 WHERE cmd_id = 'upd-1'"
[ "$(A "/fw/v1/$R")" = 403 ] || fail "a final update: $(cat "$T/hdr")"
grep -q "the device's last update (command upd-1, release ${R:0:12}) is confirmed: final" "$T/rd.log" ||
	fail "the final update's reason"
ok "the update final: 403"

# --- stopped with a download running
q "UPDATE updates SET state = 'downloading', final = 0 WHERE cmd_id = 'upd-1'"
hold h3 "/fw/v1/$R"
stop_rd
ok "rampartd stopped during a download: exit 0, no sanitizer report"
echo "all $CHECKS checks passed"
