#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# 91-download: a device's firmware download from rampartd
# (docs/updates.md "The download") against nginx serving the same file,
# both over TLS on loopback, in the same run:
#   - the throughput of one GET of a DL_MIB (default 256) MiB image
#     (curl to /dev/null; rampartd with the device's certificate, nginx
#     without one), the best of DL_RUNS (default 3) each;
#   - the peak RSS growth (VmHWM after minus before) of rampartd, and of
#     nginx's one worker, over DL_PAR (default 50) parallel downloads of
#     the image, next to each other; and the image's size, which a server
#     that held the file in memory would add.
# nginx is Debian's, started here on a port the kernel picked (127.0.0.1)
# with one worker, a self-signed P-256 certificate and sendfile off (TLS
# reads the file into user space anyway), and stopped after. The release
# is a row and a file (content-addressed, as release_add leaves them):
# the download does not verify images, so none is signed here.
# Under AddressSanitizer rampartd runs with quarantine_size_mb=0, as in
# 85-release-upload.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

BIN=${RP_BIN_DIR:?}
MIB=${DL_MIB:-256}
RUNS=${DL_RUNS:-3}
PAR=${DL_PAR:-50}
NGINX=${NGINX:-/usr/sbin/nginx}
[ -x "$NGINX" ] || { echo "91-download: no $NGINX (apt-get install nginx: scripts/deps.sh)" >&2; exit 1; }
T=$(mktemp -d /tmp/rp-bench-dl.XXXXXX)
trap 'bench_stop; rm -rf "$T"' EXIT

free_port() {
	python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
started() { # LOG PATTERN: wait until PATTERN is in LOG
	local end=$((SECONDS + 30))
	until grep -q "$2" "$1" 2>/dev/null; do
		[ $SECONDS -lt $end ] || { echo "91-download: not started: $1" >&2; exit 1; }
		sleep 0.05
	done
}
hwm() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

# --- rampartd with one device SN-1 whose update is to release R
printf '[firmware]\nmax_downloads_per_device = %d\n' "$((PAR + 1))" >"$T/rd.conf"
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0 \
	"$BIN/rampartd" --foreground --data-dir "$T/d" --port 0 --config "$T/rd.conf" \
	--setup-token-file "$T/token" >"$T/log" 2>&1 &
rd=$!
pids+=("$rd")
started "$T/log" 'listening on'
port=$(grep 'listening on' "$T/log" | sed 's|.*https://[^:]*:\([0-9]*\)/.*|\1|')
url=https://127.0.0.1:$port
ca=$T/d/pki/root.pem
cli() { "$BIN/rampart" "$@" --server "$url" --token-file "$T/token" --ca "$ca"; }
printf 'serial,hw_type,hw_token,group,tags\nSN-1,bench,,bench,\n' >"$T/allow.csv"
cli allowlist import "$T/allow.csv" >/dev/null
cli claim create --group bench --expires 1d --out "$T/claim" >/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$T/dev.key"
openssl req -new -key "$T/dev.key" -subj /CN=SN-1 -outform DER | base64 >"$T/csr"
curl -sf --cacert "$ca" --cert "$T/claim.pem" --key "$T/claim.key" \
	-H 'Content-Type: application/pkcs10' --data-binary "@$T/csr" \
	-o "$T/p7" "$url/.well-known/est/simpleenroll"
base64 -d "$T/p7" | openssl pkcs7 -inform DER -print_certs -out "$T/dev.pem"

head -c $((MIB * 1024 * 1024)) /dev/urandom >"$T/img"
R=$(sha256sum "$T/img" | cut -c1-64)
size=$(stat -c %s "$T/img")
mkdir -p -m 0700 "$T/d/releases"
ln "$T/img" "$T/d/releases/$R.img"
sq() { sqlite3 -batch "$T/d/rampart.db" "$1"; }
sq "INSERT INTO releases (id, hw_type, ver_major, ver_minor, ver_patch, counter, kind, payload_size, file_size, build_time, created_at) VALUES ('$R', 'bench', 1, 0, 0, 1, 0, $size - 192, $size, 1767225600, strftime('%s','now'))"
sq "INSERT INTO updates (cmd_id, serial, release_id, state, size, created_at, updated_at) VALUES ('bench-1', 'SN-1', '$R', 'accepted', $size, strftime('%s','now'), strftime('%s','now'))"

# --- nginx serving the same file
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 1 \
	-keyout "$T/ng.key" -out "$T/ng.pem" 2>/dev/null
nport=$(free_port)
mkdir "$T/www" "$T/ngtmp"
ln "$T/img" "$T/www/img"
cat >"$T/nginx.conf" <<NG
daemon off;
master_process on;
worker_processes 1;
user $(id -un);
pid $T/nginx.pid;
error_log $T/nginx.err notice;
events { worker_connections 256; }
http {
	access_log off;
	sendfile off;
	client_body_temp_path $T/ngtmp;
	proxy_temp_path $T/ngtmp;
	fastcgi_temp_path $T/ngtmp;
	uwsgi_temp_path $T/ngtmp;
	scgi_temp_path $T/ngtmp;
	server {
		listen 127.0.0.1:$nport ssl;
		ssl_certificate $T/ng.pem;
		ssl_certificate_key $T/ng.key;
		ssl_protocols TLSv1.2 TLSv1.3;
		root $T/www;
	}
}
NG
"$NGINX" -c "$T/nginx.conf" -p "$T" >"$T/nginx.out" 2>&1 &
pids+=("$!")
end=$((SECONDS + 30))
until [ -s "$T/nginx.pid" ] && curl -sk -o /dev/null "https://127.0.0.1:$nport/"; do
	[ $SECONDS -lt $end ] || { echo "91-download: nginx did not start: $(cat "$T/nginx.err")" >&2; exit 1; }
	sleep 0.05
done
worker=$(pgrep -P "$(cat "$T/nginx.pid")" | head -1)

get_rd() {
	curl -sf --cacert "$ca" --cert "$T/dev.pem" --key "$T/dev.key" \
		-o /dev/null -w '%{size_download} %{speed_download}\n' "$url/fw/v1/$R"
}
get_ng() {
	curl -sf --cacert "$T/ng.pem" -o /dev/null \
		-w '%{size_download} %{speed_download}\n' "https://127.0.0.1:$nport/img"
}
# best (highest) speed of RUNS downloads, in MiB/s; every one whole
best() {
	local i out speed=0
	for i in $(seq "$RUNS"); do
		out=$("$1")
		[ "${out%% *}" = "$size" ] || { echo "91-download: $1 got ${out%% *} of $size bytes" >&2; exit 1; }
		speed=$(awk -v a="$speed" -v b="${out#* }" 'BEGIN{print (b > a ? b : a)}')
	done
	awk -v s="$speed" 'BEGIN{printf "%.1f", s / 1048576}'
}
ours=$(best get_rd)
theirs=$(best get_ng)
bench_report "download ${MIB} MiB over TLS (MiB/s)" "$ours" "$theirs" MiB/s "nginx" higher

# --- PAR parallel downloads: peak RSS growth
par() { # FN: PAR downloads at once, each checked whole
	local i w=()
	for i in $(seq "$PAR"); do
		"$1" >"$T/par.$i" &
		w+=("$!")
	done
	for i in "${w[@]}"; do wait "$i" || true; done
	for i in $(seq "$PAR"); do
		[ "$(cut -d' ' -f1 "$T/par.$i")" = "$size" ] || { echo "91-download: $1: a parallel download was cut" >&2; exit 1; }
	done
}
rb=$(hwm "$rd")
t0=$(date +%s.%N)
par get_rd
t1=$(date +%s.%N)
ra=$(hwm "$rd")
nb=$(hwm "$worker")
n0=$(date +%s.%N)
par get_ng
n1=$(date +%s.%N)
na=$(hwm "$worker")
agg() { awk -v a="$1" -v b="$2" -v n="$PAR" -v m="$MIB" 'BEGIN{printf "%.1f", n * m / (b - a)}'; }
bench_report "RSS growth, $PAR parallel (KiB)" "$((ra - rb))" "$((na - nb))" KiB "nginx worker" lower
bench_report "RSS growth vs image (KiB)" "$((ra - rb))" "$((MIB * 1024))" KiB "image size" lower
bench_report "$PAR parallel, aggregate (MiB/s)" "$(agg "$t0" "$t1")" "$(agg "$n0" "$n1")" MiB/s "nginx" higher
echo "rampartd VmHWM $rb -> $ra KiB, nginx worker $nb -> $na KiB"
