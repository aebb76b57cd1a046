#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_rampartd.sh - rampartd's first run and start-up: the one-time setup
# token goes to the console (stdout) only, is stored as a hash, works as
# the admin bearer token and can be replaced; a restart keeps the CA and
# prints no token; the configuration is strict; a root CA can be imported
# (its key is then not stored). A store holding devices with reserved ids
# (an old data directory; rows inserted with sqlite3) is refused at start
# with the ids, their states and the command that clears them;
# --decommission clears them (certificates revoked in the CRL, never in
# the snapshot), and an unknown --decommission id stops start-up. A
# half-built pki/ (a crash during the first run) is removed, temp files too.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"

D=$T/data
# start_console DIR [ARGS]: like start_rd but the token goes to stdout.
start_console() {
	local dir=$1 n
	shift
	n=$(grep -c 'listening on' "$T/rd.log" 2>/dev/null || true)
	"$BIN/rampartd" --foreground --data-dir "$dir" --port 0 "$@" \
		>>"$T/stdout" 2>>"$T/rd.log" &
	RD_PID=$!
	wait_until "rampartd listening" listening_more_than "${n:-0}"
	PORT=$(grep 'listening on' "$T/rd.log" | tail -1 |
		sed 's|.*https://[^:]*:\([0-9]*\)/.*|\1|')
	URL=https://127.0.0.1:$PORT
	CA=$dir/pki/root.pem
}

api() { # api TOKEN -> HTTP status of GET /api/v1/allowlist
	curl -s --cacert "$CA" -o /dev/null -w '%{http_code}' \
		-H "Authorization: Bearer $1" "$URL/api/v1/allowlist"
}

: >"$T/stdout"
start_console "$D"
tok=$(grep -A2 'one-time setup token' "$T/stdout" | awk 'NF==1 {print $1}')
[ ${#tok} -eq 43 ] || fail "no 43-character token on stdout: $(cat "$T/stdout")"
! grep -qF "$tok" "$T/rd.log" || fail "token in the log"
! grep -qaF "$tok" "$D"/rampart.db* || fail "token in clear in the store"
[ "$(api "$tok")" = 200 ] || fail "setup token refused"
[ "$(api "${tok%?}x")" = 401 ] || fail "a wrong token accepted"
[ "$(curl -s --cacert "$CA" -o /dev/null -w '%{http_code}' "$URL/api/v1/allowlist")" = 401 ] ||
	fail "no token accepted"
ok "first run: token on stdout only, stored hashed, accepted as bearer"

cp "$D/pki/root.pem" "$T/root1.pem"
stop_rd
: >"$T/stdout"
start_console "$D"
! grep -q 'setup token' "$T/stdout" || fail "a restart printed a new token"
cmp -s "$T/root1.pem" "$D/pki/root.pem" || fail "restart changed the root"
[ "$(api "$tok")" = 200 ] || fail "token lost on restart"
stop_rd
start_console "$D" --new-setup-token
tok2=$(grep -A2 'one-time setup token' "$T/stdout" | awk 'NF==1 {print $1}')
[ -n "$tok2" ] && [ "$tok2" != "$tok" ] || fail "--new-setup-token printed none"
[ "$(api "$tok")" = 401 ] || fail "the replaced token still works"
[ "$(api "$tok2")" = 200 ] || fail "the new token is refused"
stop_rd
ok "restart keeps CA and token; --new-setup-token replaces it"

# strict configuration
printf '[server]\nport = 8443\nbogus = 1\n' >"$T/bad.conf"
st=0
"$BIN/rampartd" --foreground --config "$T/bad.conf" --data-dir "$D" \
	>"$T/o" 2>&1 || st=$?
[ $st = 2 ] || fail "unknown key: exit $st"
grep -q 'bad.conf:3' "$T/o" || fail "unknown key not located: $(cat "$T/o")"
printf '[pki]\ndevice_lifetime = 10y\n' >"$T/bad.conf"
st=0
"$BIN/rampartd" --foreground --config "$T/bad.conf" --data-dir "$D" \
	>"$T/o" 2>&1 || st=$?
[ $st = 2 ] || fail "bad duration: exit $st"
st=0
"$BIN/rampartd" --foreground >"$T/o" 2>&1 || st=$?
[ $st = 2 ] || fail "no data dir: exit $st"
ok "configuration: unknown key and bad value refused with file:line"

# imported root: its key signs the issuing CA once and is not stored
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/myroot.key" -subj "/O=Acme/CN=Acme offline root" \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign -days 3650 \
	-out "$T/myroot.pem" 2>/dev/null
D2=$T/data2
: >"$T/stdout"
start_console "$D2" --import-root "$T/myroot.pem" \
	--import-root-key "$T/myroot.key"
cmp -s "$T/myroot.pem" "$D2/pki/root.pem" || fail "imported root not used"
[ ! -e "$D2/pki/root.key" ] || fail "the imported root key was stored"
openssl verify -CAfile "$T/myroot.pem" "$D2/pki/issuing.pem" >/dev/null ||
	fail "issuing CA not signed by the imported root"
code=$(curl -s --cacert "$T/myroot.pem" -o /dev/null -w '%{http_code}' \
	"$URL/.well-known/est/cacerts")
[ "$code" = 200 ] || fail "TLS under the imported root: $code"
stop_rd
st=0
"$BIN/rampartd" --foreground --data-dir "$D2" --port 0 \
	--import-root "$T/myroot.pem" --import-root-key "$T/myroot.key" \
	>"$T/o" 2>&1 || st=$?
[ $st != 0 ] || fail "a root was imported over an existing CA"
ok "imported root: used for the issuing CA, key not stored, only on first run"
# root key kept in an HSM (softhsm2): the issuing CA is signed inside the
# token through librampart's PKCS#11 keystore; no root key file appears
mkdir -m 700 "$T/tokens" "$T/x"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$T/tokens" >"$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf
MOD=/usr/lib/softhsm/libsofthsm2.so
softhsm2-util --init-token --free --label fleetroot --pin Xq7pinZw \
	--so-pin 5678 >/dev/null
pkcs11-tool --module "$MOD" --token-label fleetroot --login --pin Xq7pinZw \
	--keypairgen --key-type EC:prime256v1 --label root --id 01 >/dev/null
openssl req -x509 -engine pkcs11 -keyform engine \
	-key "pkcs11:token=fleetroot;object=root;type=private;pin-value=Xq7pinZw" \
	-subj "/O=Acme/CN=Acme HSM root" -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign -days 3650 \
	-out "$T/hsmroot.pem" >/dev/null 2>&1 || fail "root certificate in the HSM"
(umask 077 && printf 'Xq7pinZw\n' >"$T/pin")
D3=$T/data3
start_console "$D3" --import-root "$T/hsmroot.pem" --import-root-key \
	"pkcs11:token=fleetroot;object=root?module-path=$MOD&pin-source=file:$T/pin&x-dir=$T/x"
openssl verify -CAfile "$T/hsmroot.pem" "$D3/pki/issuing.pem" >/dev/null ||
	fail "issuing CA not signed by the HSM root"
[ ! -e "$D3/pki/root.key" ] || fail "a root key file appeared"
! grep -q Xq7pinZw "$T/rd.log" || fail "the PIN is in the log"
stop_rd
ok "root key in a PKCS#11 token (softhsm2): signs the issuing CA, never leaves"
# --- start-up refusal: devices with reserved ids in an old data directory
D4=$T/data4
: >"$T/stdout"
start_console "$D4"
stop_rd
DB4=$D4/rampart.db
SNAP4=$D4/broker/fleet.snapshot
sql "$DB4" "INSERT INTO devices (serial, hw_type, grp, state, created_at, updated_at) VALUES ('rampartd', 'tpm2', 'g', 1, 0, 0), ('rampart-x', 'tpm2', 'g', 0, 0, 0), ('rampart-old', 'tpm2', 'g', 2, 0, 0), ('SN-1', 'tpm2', 'g', 1, 0, 0)"
now=$(date +%s)
sql "$DB4" "INSERT INTO certs (serial, subject, kind, not_before, not_after, pem) VALUES ('7e5702', 'rampartd', 'device', $((now - 60)), $((now + 86400)), 'PEM')"
snap_before=$(sha256sum <"$SNAP4")
# (under timeout: a rampartd that wrongly starts fails the test at once)
st=0
timeout "$DEADLINE_S" "$BIN/rampartd" --foreground --data-dir "$D4" --port 0 \
	>"$T/o" 2>&1 || st=$?
[ $st = 1 ] || fail "reserved ids in the store: exit $st, want 1: $(cat "$T/o")"
grep -q 'refusing to start: the store holds devices whose ids are reserved' "$T/o" ||
	fail "no refusal message: $(cat "$T/o")"
grep -q ' rampartd (enrolled)$' "$T/o" || fail "rampartd not listed: $(cat "$T/o")"
grep -q ' rampart-x (allowlisted)$' "$T/o" || fail "rampart-x not listed"
! grep -q 'rampart-old' "$T/o" || fail "a decommissioned reserved id was listed"
grep -qF "rampartd --data-dir $D4 --decommission rampart-x --decommission rampartd" "$T/o" ||
	fail "no --decommission hint: $(cat "$T/o")"
! grep -q 'listening on' "$T/o" || fail "rampartd listened"
[ "$(sha256sum <"$SNAP4")" = "$snap_before" ] || fail "a snapshot was written"
st=0
timeout "$DEADLINE_S" "$BIN/rampartd" --foreground --data-dir "$D4" --port 0 \
	--decommission rampartd --decommission SN-404 >"$T/o" 2>&1 || st=$?
[ $st = 1 ] || fail "--decommission of an unknown id: exit $st"
grep -q -- '--decommission SN-404: no such device in the store' "$T/o" ||
	fail "unknown --decommission id: $(cat "$T/o")"
! grep -q 'listening on' "$T/o" || fail "rampartd listened after a bad --decommission"
[ "$(sql "$DB4" "SELECT state FROM devices WHERE serial='rampartd'")" = 1 ] ||
	fail "a refused --decommission changed the store"
ok "start refused (exit 1, nothing listens, no snapshot) while the store holds reserved ids, listing each with its state and the --decommission command"

start_console "$D4" --decommission rampartd --decommission rampart-x
[ "$(sql "$DB4" "SELECT group_concat(serial || '=' || state, ' ') FROM (SELECT * FROM devices ORDER BY serial)")" = \
	"SN-1=1 rampart-old=2 rampart-x=2 rampartd=2" ] ||
	fail "states after --decommission: $(sql "$DB4" 'SELECT serial, state FROM devices')"
[ "$(sql "$DB4" "SELECT reason FROM certs WHERE serial='7e5702' AND revoked_at > 0")" = 5 ] ||
	fail "rampartd's certificate not revoked (cessationOfOperation)"
openssl crl -in "$D4/pki/crl.pem" -noout -text >"$T/crl4.txt"
grep -qi 'Serial Number: 7E5702' "$T/crl4.txt" || fail "7e5702 not in the CRL"
grep -q 'Cessation Of Operation' "$T/crl4.txt" || fail "CRL reason"
grep -qx 'device SN-1 active' "$SNAP4" || fail "SN-1 not in the snapshot"
! grep -qi 'device rampart' "$SNAP4" || fail "a reserved id in the snapshot: $(cat "$SNAP4")"
grep -q -- '--decommission: decommissioned rampartd: revoked 1 certificate' "$T/rd.log" ||
	fail "the decommission is not logged"
stop_rd
: >"$T/stdout"
start_console "$D4"
! grep -qi 'device rampart' "$SNAP4" || fail "a reserved id in the snapshot"
stop_rd
ok "--decommission: both retired in the store, the certificate revoked in the CRL, the snapshot never lists them, the next start is normal"

# A first run killed while writing the CAs leaves pki.new/ with the files
# written so far and a temp file of the atomic write (NAME.tmp.XXXXXX, a
# part of a private key): the next first run removes all of it.
D5=$T/data5
mkdir -p "$D5/pki.new"
echo partial >"$D5/pki.new/root.key"
echo partial >"$D5/pki.new/issuing.key.tmp.Ab12Cd"
: >"$T/stdout"
start_console "$D5"
stop_rd
[ -s "$D5/pki/root.pem" ] || fail "no CA after a half-built pki.new"
[ ! -e "$D5/pki.new" ] || fail "pki.new left behind"
[ -z "$(find "$D5/pki" -name '*.tmp*')" ] ||
	fail "a crash's temp file kept in pki/: $(ls "$D5/pki")"
ok "first run after a crash during the CA setup: the half-built pki.new and its temp files removed"
echo "test_rampartd: all $CHECKS checks passed"
