#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_est.sh - EST (RFC 7030) against a real rampartd with an independent
# client made of openssl + curl: enrollment, chain verified by
# openssl verify, every refusal the issue lists (each with its reason in
# the store's refusals table and a generic message on the wire), renewal
# (window, operator-forced, SIGHUP reload), revocation visible in the CRL
# (file for the broker and GET /pki/crl), the TLS floor, and a clean
# SIGTERM shutdown. Reserved ids (beginning with "rampart") are no
# device's: refused by the allowlist import, by simpleenroll and
# simplereenroll even when an old data directory has them on the
# allowlist or enrolled (rows inserted with sqlite3), and by the admin
# API's device actions (409), which still show and retire them.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"

D=$T/data
start_rd "$D"
DB=$D/rampart.db

# --- first run: CA files, modes, token never logged
for f in root.key issuing.key claim-ca.key server.key; do
	[ "$(stat -c %a "$D/pki/$f")" = 600 ] || fail "$f is not 0600"
done
[ "$(stat -c %a "$T/token")" = 600 ] || fail "token file is not 0600"
! grep -qF "$(cat "$T/token")" "$T/rd.log" || fail "setup token in the log"
ok "first run: CA keys and token file 0600, token not in the log"

# --- cacerts
code=$(est GET cacerts - - - "$T/cacerts.b64")
[ "$code" = 200 ] || fail "cacerts: HTTP $code"
p7_to_pem "$T/cacerts.b64" "$T/cacerts.pem"
[ "$(grep -c 'BEGIN CERTIFICATE' "$T/cacerts.pem")" = 2 ] ||
	fail "cacerts: expected issuing + root"
ct=$(curl -s --cacert "$CA" -o /dev/null -w '%{content_type}' \
	"$URL/.well-known/est/cacerts")
[[ "$ct" == application/pkcs7-mime* ]] || fail "cacerts content type $ct"
ok "cacerts: base64 PKCS#7 certs-only with issuing and root CA"

# --- a new fleet: the lists say they are empty (a head alone reads as a
# broken table), and --json is an empty array
for l in "allowlist list:no allowlist entries" "device list:no devices" \
	"claim list:no claims"; do
	# shellcheck disable=SC2086 # the command's words
	out=$(cli ${l%%:*}) || fail "${l%%:*} on a new fleet"
	[ "$out" = "${l#*:}" ] || fail "${l%%:*} on a new fleet: '$out'"
	# shellcheck disable=SC2086
	[ "$(cli ${l%%:*} --json | jq -c .)" = "[]" ] || fail "${l%%:*} --json"
done
ok "a new fleet: 'no allowlist entries', 'no devices', 'no claims'; --json []"

# --- allowlist and claims through the CLI
TOKEN_HASH=$(printf '%s' "$(cat "$T/token")" | sha256sum | cut -c1-64)
cat >"$T/allow.csv" <<EOF
serial,hw_type,hw_token,group,tags
SN-1,tpm2,,line-a,eu;lab
SN-2,tpm2,$TOKEN_HASH,line-a,
SN-3,se050,,line-a,
SN-4,tpm2,,line-b,
SN-5,tpm2,,line-a,
EOF
cli allowlist import "$T/allow.csv" >"$T/out" || fail "allowlist import"
grep -q 'imported 5' "$T/out" || fail "import count: $(cat "$T/out")"
printf 'serial,hw_type,hw_token,group,tags\nSN-9,tpm2,,line-a,\nSN 10,x,,g,\n' \
	>"$T/bad.csv"
st=0
cli allowlist import "$T/bad.csv" >"$T/out" 2>&1 || st=$?
[ $st = 1 ] || fail "bad CSV: exit $st"
grep -q 'line 3' "$T/out" || fail "bad CSV error lacks the line: $(cat "$T/out")"
[ -z "$(sql "$DB" "SELECT serial FROM devices WHERE serial='SN-9'")" ] ||
	fail "a refused CSV import left rows behind"
ok "allowlist import: 5 entries; a bad line is named and nothing is kept"

# --- reserved ids are never a device's: the whole import is refused
for bad in rampartd rampart-monitor RAMPARTx; do
	printf 'serial,hw_type,hw_token,group,tags\nSN-8,tpm2,,line-a,\n%s,tpm2,,line-a,\n' \
		"$bad" >"$T/res.csv"
	st=0
	cli allowlist import "$T/res.csv" >"$T/out" 2>&1 || st=$?
	[ $st = 1 ] || fail "import of reserved serial $bad: exit $st"
	grep -q 'line 3' "$T/out" && grep -qF "'$bad'" "$T/out" &&
		grep -q reserved "$T/out" ||
		fail "reserved $bad: error lacks the line, the id or why: $(cat "$T/out")"
done
cli allowlist list >"$T/list" || fail "allowlist list"
! grep -qi '^SN-8 \|^rampart' "$T/list" || fail "a refused import left rows: $(cat "$T/list")"
[ -z "$(sql "$DB" "SELECT serial FROM devices WHERE serial='SN-8' OR lower(serial) LIKE 'rampart%'")" ] ||
	fail "a refused import left rows in the store"
ok "allowlist import: serials rampartd, rampart-monitor, RAMPARTx refused with the line, the id and 'reserved'; nothing imported"

cli claim create --group line-a --expires 1d --out "$T/claim-a" >/dev/null ||
	fail "claim create"
cli claim create --group line-b --expires 1d --out "$T/claim-b" >/dev/null ||
	fail "claim create b"
[ "$(stat -c %a "$T/claim-a.key")" = 600 ] || fail "claim key not 0600"
openssl x509 -in "$T/claim-a.pem" -noout -ext extendedKeyUsage |
	grep -q "$OID_ARC.1" || fail "claim lacks the claim EKU"
! openssl verify -CAfile "$CA" "$T/claim-a.pem" >/dev/null 2>&1 ||
	fail "a claim certificate verifies against the fleet root"
ok "claim create: key 0600, claim EKU, not under the fleet root"

# --- enrollment with openssl req + curl
new_key "$T/d1.key"
csr_b64 "$T/d1.key" SN-1 >"$T/d1.b64"
code=$(est POST simpleenroll "$T/claim-a.pem" "$T/claim-a.key" "$T/d1.b64" \
	"$T/d1.p7")
[ "$code" = 200 ] || fail "simpleenroll SN-1: HTTP $code"
p7_to_pem "$T/d1.p7" "$T/d1.pem"
openssl verify -CAfile "$CA" -untrusted "$D/pki/issuing.pem" \
	-purpose sslclient "$T/d1.pem" >/dev/null ||
	fail "openssl verify refused the issued certificate"
openssl x509 -in "$T/d1.pem" -noout -subject | grep -q 'CN = SN-1' ||
	fail "CN is not the serial"
openssl x509 -in "$T/d1.pem" -noout -ext subjectAltName |
	grep -q 'URI:urn:rampart:device:SN-1' || fail "SAN missing"
openssl x509 -in "$T/d1.pem" -noout -ext extendedKeyUsage |
	grep -q 'TLS Web Client Authentication' || fail "no clientAuth"
serial=$(openssl x509 -in "$T/d1.pem" -noout -serial | cut -d= -f2)
[ ${#serial} -ge 30 ] || fail "serial $serial is not ~128 bits"
nb=$(date -d "$(openssl x509 -in "$T/d1.pem" -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in "$T/d1.pem" -noout -enddate | cut -d= -f2)" +%s)
days=$(((na - nb) / 86400))
[ $days -eq 90 ] || fail "lifetime $days days, expected 90"
[ "$(sql "$DB" "SELECT state FROM devices WHERE serial='SN-1'")" = 1 ] ||
	fail "SN-1 not marked enrolled"
[ "$(sql "$DB" "SELECT upper(serial) FROM certs WHERE subject='SN-1'")" = "$serial" ] ||
	fail "issued serial not recorded"
ok "simpleenroll: openssl verify accepts it; CN/SAN/clientAuth/90 days/128-bit serial; recorded"

# --- refusals: (name, expected HTTP, expected reason) with a generic wire
expect_refusal() {
	local what=$1 want_code=$2 want_reason=$3 code=$4 out=$5
	[ "$code" = "$want_code" ] || fail "$what: HTTP $code, want $want_code"
	local got skip=0
	# SYNC=1: the refusal is a 413 from the headers (sync_refusals)
	if [ "${SYNC:-0}" = 1 ]; then
		sync_refusals
		skip=1
	fi
	got=$(last_refusal "$DB" $skip)
	[ "${got%%|*}" = "$want_reason" ] ||
		fail "$what: recorded '$got', want $want_reason"
	if grep -q 'SN-\|RP_E_\|serial' "$out"; then
		fail "$what: the wire answer leaks details: $(cat "$out")"
	fi
	ok "refused: $what ($want_code, $want_reason recorded)"
}

new_key "$T/x.key"
csr_b64 "$T/x.key" SN-404 >"$T/x.b64"
code=$(est POST simpleenroll "$T/claim-a.pem" "$T/claim-a.key" "$T/x.b64" "$T/o")
expect_refusal "serial not allowlisted" 403 RP_E_NOT_ALLOWLISTED "$code" "$T/o"

code=$(est POST simpleenroll "$T/claim-a.pem" "$T/claim-a.key" "$T/d1.b64" "$T/o")
expect_refusal "second enrollment of the same serial" 403 RP_E_ENROLLED "$code" "$T/o"

csr_b64 "$T/x.key" SN-4 >"$T/x4.b64"
code=$(est POST simpleenroll "$T/claim-a.pem" "$T/claim-a.key" "$T/x4.b64" "$T/o")
expect_refusal "claim of another group" 403 RP_E_CLAIM_GROUP "$code" "$T/o"

cli device decommission SN-3 >/dev/null || fail "decommission SN-3"
csr_b64 "$T/x.key" SN-3 >"$T/x3.b64"
code=$(est POST simpleenroll "$T/claim-a.pem" "$T/claim-a.key" "$T/x3.b64" "$T/o")
expect_refusal "decommissioned serial" 403 RP_E_DECOMMISSIONED "$code" "$T/o"

# a CSR whose signature does not match: flip the last byte of s
csr_b64 "$T/x.key" SN-5 | base64 -d >"$T/bad.der"
sz=$(stat -c %s "$T/bad.der")
last=$(od -An -tu1 -j $((sz - 1)) -N1 "$T/bad.der" | tr -d ' ')
printf "\\$(printf %03o $((last ^ 1)))" |
	dd of="$T/bad.der" bs=1 seek=$((sz - 1)) conv=notrunc 2>/dev/null
base64 "$T/bad.der" >"$T/bad.b64"
code=$(est POST simpleenroll "$T/claim-a.pem" "$T/claim-a.key" "$T/bad.b64" "$T/o")
expect_refusal "CSR signature does not match" 400 RP_E_CSR_SIG "$code" "$T/o"

csr_b64 "$T/x.key" SN-2 -addext "$OID_ARC.2=ASN1:UTF8String:0000wrong" >"$T/x2.b64"
code=$(est POST simpleenroll "$T/claim-a.pem" "$T/claim-a.key" "$T/x2.b64" "$T/o")
expect_refusal "wrong hardware token" 403 RP_E_HWTOKEN "$code" "$T/o"
csr_b64 "$T/x.key" SN-2 >"$T/x2n.b64"
code=$(est POST simpleenroll "$T/claim-a.pem" "$T/claim-a.key" "$T/x2n.b64" "$T/o")
expect_refusal "missing hardware token" 403 RP_E_HWTOKEN "$code" "$T/o"

printf 'MIIB!!!not base64\n' >"$T/junk.b64"
code=$(est POST simpleenroll "$T/claim-a.pem" "$T/claim-a.key" "$T/junk.b64" "$T/o")
expect_refusal "malformed base64" 400 RP_E_ENCODING "$code" "$T/o"
head -c 300 /dev/urandom | base64 >"$T/junk2.b64"
code=$(est POST simpleenroll "$T/claim-a.pem" "$T/claim-a.key" "$T/junk2.b64" "$T/o")
expect_refusal "malformed DER" 400 RP_E_CSR "$code" "$T/o"

head -c 30000 /dev/zero | base64 >"$T/big.b64"
code=$(est POST simpleenroll "$T/claim-a.pem" "$T/claim-a.key" "$T/big.b64" "$T/o")
SYNC=1 expect_refusal "oversized body" 413 RP_E_BODY_TOO_BIG "$code" "$T/o"

openssl req -new -newkey rsa:2048 -nodes -keyout "$T/rsa.key" -subj /CN=SN-5 \
	-outform DER 2>/dev/null | base64 >"$T/rsa.b64"
code=$(est POST simpleenroll "$T/claim-a.pem" "$T/claim-a.key" "$T/rsa.b64" "$T/o")
expect_refusal "RSA key" 400 RP_E_CSR_KEY "$code" "$T/o"

code=$(est POST simpleenroll - - "$T/x.b64" "$T/o")
expect_refusal "no client certificate" 401 RP_E_NO_CLIENT_CERT "$code" "$T/o"

# an expired claim from the right CA, and a fresh claim from another CA
# with the same name: both signed by openssl ca, outside rampartd
mkdir -p "$T/ca"
: >"$T/ca/index.txt"
echo 01 >"$T/ca/serial"
cat >"$T/ca/ca.cnf" <<EOF
[ca]
default_ca = d
[d]
dir = $T/ca
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
default_md = sha256
policy = p
unique_subject = no
email_in_dn = no
[p]
commonName = supplied
[claim_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,$OID_ARC.1
EOF
new_key "$T/old.key"
openssl req -new -key "$T/old.key" -subj /CN=line-a -out "$T/old.csr"
openssl ca -config "$T/ca/ca.cnf" -batch -notext -in "$T/old.csr" \
	-cert "$D/pki/claim-ca.pem" -keyfile "$D/pki/claim-ca.key" \
	-startdate 20200101000000Z -enddate 20200201000000Z \
	-extensions claim_ext -out "$T/old.pem" 2>/dev/null
csr_b64 "$T/x.key" SN-5 >"$T/x5.b64"
code=$(est POST simpleenroll "$T/old.pem" "$T/old.key" "$T/x5.b64" "$T/o")
expect_refusal "expired claim" 401 RP_E_CLAIM_EXPIRED "$code" "$T/o"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/fca.key" -subj "/O=Rampart/CN=Rampart claim CA" \
	-addext basicConstraints=critical,CA:TRUE -days 10 -out "$T/fca.pem" \
	2>/dev/null
openssl ca -config "$T/ca/ca.cnf" -batch -notext -in "$T/old.csr" \
	-cert "$T/fca.pem" -keyfile "$T/fca.key" -days 1 \
	-extensions claim_ext -out "$T/foreign.pem" 2>/dev/null
code=$(est POST simpleenroll "$T/foreign.pem" "$T/old.key" "$T/x5.b64" "$T/o")
expect_refusal "claim from another CA" 401 RP_E_CERT_UNTRUSTED "$code" "$T/o"

# a claim for anything but simpleenroll
code=$(est POST simplereenroll "$T/claim-a.pem" "$T/claim-a.key" "$T/x5.b64" "$T/o")
expect_refusal "claim used for simplereenroll" 403 RP_E_CLAIM "$code" "$T/o"
code=$(curl -s --cacert "$CA" --cert "$T/claim-a.pem" --key "$T/claim-a.key" \
	-H "Authorization: Bearer $(cat "$T/token")" -o "$T/o" -w '%{http_code}' \
	"$URL/api/v1/allowlist")
expect_refusal "claim used on the admin API" 403 RP_E_CLAIM "$code" "$T/o"
code=$(curl -s --cacert "$CA" --cert "$T/claim-a.pem" --key "$T/claim-a.key" \
	-o "$T/o" -w '%{http_code}' "$URL/pki/crl")
expect_refusal "claim used to fetch the CRL" 403 RP_E_CLAIM "$code" "$T/o"

echo wrong >"$T/badtoken"
code=$(curl -s --cacert "$CA" -H "Authorization: Bearer wrong" -o "$T/o" \
	-w '%{http_code}' "$URL/api/v1/allowlist")
expect_refusal "wrong admin token" 401 RP_E_AUTH "$code" "$T/o"

# a claim signed with the claim CA key but never issued by rampartd, and
# a revoked claim
openssl ca -config "$T/ca/ca.cnf" -batch -notext -in "$T/old.csr" \
	-cert "$D/pki/claim-ca.pem" -keyfile "$D/pki/claim-ca.key" -days 1 \
	-extensions claim_ext -out "$T/rogue.pem" 2>/dev/null
code=$(est POST simpleenroll "$T/rogue.pem" "$T/old.key" "$T/x5.b64" "$T/o")
expect_refusal "claim not issued by rampartd" 401 RP_E_CERT_UNTRUSTED "$code" "$T/o"
cli claim create --group line-a --expires 1h --out "$T/claim-r" >/dev/null
rs=$(openssl x509 -in "$T/claim-r.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
cli claim revoke "$rs" >/dev/null || fail "claim revoke"
code=$(est POST simpleenroll "$T/claim-r.pem" "$T/claim-r.key" "$T/x5.b64" "$T/o")
expect_refusal "revoked claim" 401 RP_E_CERT_REVOKED "$code" "$T/o"

# --- a reserved id on the allowlist of an old data directory (inserted
# with sqlite3, as the import refuses it): simpleenroll refuses the CSR
sql "$DB" "INSERT INTO devices (serial, hw_type, grp, created_at, updated_at) VALUES ('rampartd', 'tpm2', 'line-a', 0, 0)"
new_key "$T/r.key"
csr_b64 "$T/r.key" rampartd >"$T/r.b64"
code=$(est POST simpleenroll "$T/claim-a.pem" "$T/claim-a.key" "$T/r.b64" "$T/o")
expect_refusal "simpleenroll of a reserved id (CN rampartd)" 403 RP_E_RESERVED "$code" "$T/o"
! grep -qi 'reserved\|rampartd' "$T/o" || fail "the wire answer names why: $(cat "$T/o")"
sql "$DB" "SELECT detail FROM refusals ORDER BY id DESC LIMIT 1" |
	grep -qF "'rampartd' is reserved for the server" ||
	fail "the refusal row does not say why: $(last_refusal "$DB")"
grep -q "refused /.well-known/est/simpleenroll .* for rampartd: RP_E_RESERVED ('rampartd' is reserved" "$T/rd.log" ||
	fail "the log does not say why"
[ "$(sql "$DB" "SELECT count(*) FROM certs WHERE subject='rampartd'")" = 0 ] ||
	fail "a certificate was issued for rampartd"

# ... and simplereenroll: a device certificate CN rampartd (the device
# profile, signed with the issuing CA's key as an old rampartd did) that
# the store records as issued to an enrolled "rampartd" with a forced
# renewal: refused for its id, before anything else
devprof_cert "$D" rampartd "$T/r.key" "$T/r.pem" 0x7e5701
rnb=$(date -d "$(openssl x509 -in "$T/r.pem" -noout -startdate | cut -d= -f2)" +%s)
rna=$(date -d "$(openssl x509 -in "$T/r.pem" -noout -enddate | cut -d= -f2)" +%s)
sql "$DB" "INSERT INTO certs (serial, subject, kind, not_before, not_after, pem) VALUES ('7e5701', 'rampartd', 'device', $rnb, $rna, 'PEM')"
sql "$DB" "UPDATE devices SET state = 1, force_renew = 1 WHERE serial = 'rampartd'"
code=$(est POST simplereenroll "$T/r.pem" "$T/r.key" "$T/r.b64" "$T/o")
expect_refusal "simplereenroll of a reserved id (CN rampartd)" 401 RP_E_RESERVED "$code" "$T/o"
sql "$DB" "SELECT detail FROM refusals ORDER BY id DESC LIMIT 1" |
	grep -qF "'rampartd' is reserved for the server" ||
	fail "the renewal refusal row does not say why: $(last_refusal "$DB")"
# rampartd's own service certificate (same CA, service profile) neither
code=$(est POST simplereenroll "$D/pki/service.pem" "$D/pki/service.key" "$T/r.b64" "$T/o")
expect_refusal "simplereenroll with rampartd's service certificate" 401 RP_E_RESERVED "$code" "$T/o"
[ "$(sql "$DB" "SELECT count(*) FROM certs WHERE subject='rampartd'")" = 1 ] ||
	fail "a certificate was issued for rampartd"
ok "EST: CN rampartd refused at simpleenroll (allowlisted) and simplereenroll (enrolled, forced); the row and the log say 'reserved', the wire does not"

# --- the admin API: what acts on a device answers 409 with why; show,
# revoke and decommission still work on a reserved id (and remove, below)
admin() { # admin METHOD PATH [BODY] -> HTTP status; body in $T/o
	curl -s --cacert "$CA" -H "Authorization: Bearer $(cat "$T/token")" \
		-X "$1" ${3:+-d "$3"} -o "$T/o" -w '%{http_code}' "$URL/api/v1/$2"
}
for act in reprovision renew release ping; do
	code=$(admin POST "devices/rampartd/$act")
	[ "$code" = 409 ] || fail "POST devices/rampartd/$act: HTTP $code"
	grep -qF "'rampartd' is reserved for the server" "$T/o" ||
		fail "$act: the answer does not say why: $(cat "$T/o")"
done
code=$(admin POST devices/rampartd/quarantine '{"reason":"x"}')
[ "$code" = 409 ] || fail "quarantine of rampartd: HTTP $code"
code=$(admin POST devices/Rampart-New/reprovision)
[ "$code" = 409 ] || fail "reprovision of Rampart-New: HTTP $code"
grep -qF "'Rampart-New' is reserved" "$T/o" || fail "Rampart-New: $(cat "$T/o")"
[ "$(sql "$DB" "SELECT quarantined || force_renew FROM devices WHERE serial='rampartd'")" = 01 ] ||
	fail "a refused admin action changed rampartd's row"
code=$(admin GET devices/rampartd)
[ "$code" = 200 ] || fail "GET devices/rampartd: HTTP $code"
code=$(admin POST devices/rampartd/revoke)
[ "$code" = 200 ] || fail "revoke of rampartd: HTTP $code"
grep -q '"7e5701"' "$T/o" || fail "revoke did not list the serial: $(cat "$T/o")"
code=$(admin POST devices/rampartd/decommission)
[ "$code" = 200 ] || fail "decommission of rampartd: HTTP $code"
[ "$(sql "$DB" "SELECT state FROM devices WHERE serial='rampartd'")" = 2 ] ||
	fail "rampartd not decommissioned"
sql "$DB" "INSERT INTO devices (serial, hw_type, grp, created_at, updated_at) VALUES ('rampart-x', 'tpm2', 'line-a', 0, 0)"
code=$(admin DELETE allowlist/rampart-x)
[ "$code" = 200 ] || fail "DELETE allowlist/rampart-x: HTTP $code"
ok "admin API: reprovision/renew/quarantine/release/ping of a reserved id are 409 with why; show, revoke, decommission and remove still work"

# the hardware token that matches is accepted
csr_b64 "$T/x.key" SN-2 -addext "$OID_ARC.2=ASN1:UTF8String:$TOKEN_HASH" >"$T/x2ok.b64"
code=$(est POST simpleenroll "$T/claim-a.pem" "$T/claim-a.key" "$T/x2ok.b64" "$T/o")
[ "$code" = 200 ] || fail "enrollment with the right hardware token: $code"
ok "the registered hardware token is accepted"
ca_serial=$(openssl x509 -in "$T/claim-a.pem" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
[ "$(sql "$DB" "SELECT uses FROM certs WHERE serial='$ca_serial'")" = 2 ] ||
	fail "claim uses not counted"
cli claim list --json >"$T/claims.json" || fail "claim list --json"
grep -q "\"uses\": 2" "$T/claims.json" || fail "claim list lacks uses: $(cat "$T/claims.json")"
# for a person: a table, the expiry as a UTC time with its distance
cli claim list >"$T/claims.txt" || fail "claim list"
head -1 "$T/claims.txt" | grep -Eq '^SERIAL +GROUP +EXPIRES +USES +LAST USED +STATE$' ||
	fail "claim list heading: $(head -1 "$T/claims.txt")"
grep -Eq "^$ca_serial +line-a +20[0-9]{2}-[0-9]{2}-[0-9]{2} [0-9:]{8}Z \(in 2[34] h\) +2 +20[0-9-]+ [0-9:]{8}Z \(([0-9]+ (s|min) ago|now)\) +valid$" "$T/claims.txt" ||
	fail "claim list row: $(cat "$T/claims.txt")"
[ "$(sql "$DB" 'PRAGMA user_version')" -ge 3 ] || fail "schema below 3"
ok "claim uses counted (migration 2); claim list shows them"

# --- renewal: too early, then forced, then by the window after SIGHUP
new_key "$T/d1b.key"
csr_b64 "$T/d1b.key" SN-1 >"$T/d1b.b64"
code=$(est POST simplereenroll "$T/d1.pem" "$T/d1.key" "$T/d1b.b64" "$T/o")
expect_refusal "renewal before the window" 403 RP_E_RENEW_EARLY "$code" "$T/o"
csr_b64 "$T/d1b.key" SN-2 >"$T/d1x.b64"
code=$(est POST simplereenroll "$T/d1.pem" "$T/d1.key" "$T/d1x.b64" "$T/o")
expect_refusal "renewal for another subject" 403 RP_E_CSR_SUBJECT "$code" "$T/o"

cli device renew SN-1 >/dev/null || fail "device renew"
code=$(est POST simplereenroll "$T/d1.pem" "$T/d1.key" "$T/d1b.b64" "$T/d1b.p7")
[ "$code" = 200 ] || fail "forced renewal: HTTP $code"
p7_to_pem "$T/d1b.p7" "$T/d1b.pem"
s2=$(openssl x509 -in "$T/d1b.pem" -noout -serial | cut -d= -f2)
[ "$s2" != "$serial" ] || fail "renewal reused the serial"
openssl verify -CAfile "$CA" -untrusted "$D/pki/issuing.pem" "$T/d1b.pem" \
	>/dev/null || fail "renewed certificate does not verify"
[ "$(sql "$DB" "SELECT revoked_at FROM certs WHERE upper(serial)='$serial'")" = 0 ] ||
	fail "renewal revoked the old certificate"
code=$(est POST simplereenroll "$T/d1.pem" "$T/d1.key" "$T/d1b.b64" "$T/o")
expect_refusal "second renewal without force" 403 RP_E_RENEW_EARLY "$code" "$T/o"
ok "forced renewal: new key, new serial, old certificate still valid"

cat >"$T/rd.conf" <<EOF
[pki]
renew_window = 100d
EOF
# rampartd was started without --config: restart with one, then SIGHUP
stop_rd
start_rd "$D" --config "$T/rd.conf"
code=$(est POST simplereenroll "$T/d1b.pem" "$T/d1b.key" "$T/d1b.b64" "$T/o")
[ "$code" = 200 ] || fail "renewal inside a 100-day window: HTTP $code"
# rampartd's MQTT identities, renewed at this start (inside the window),
# are issued past the window, or every tick would renew them again
for f in service monitor; do
	end=$(date -d "$(openssl x509 -in "$D/pki/$f.pem" -noout -enddate | cut -d= -f2)" +%s)
	[ $((end - $(date +%s))) -gt $((100 * 86400)) ] ||
		fail "$f.pem issued inside the 100-day renewal window"
done
printf '[pki]\nrenew_window = 1d\n' >"$T/rd.conf"
kill -HUP "$RD_PID"
wait_until "SIGHUP re-read" grep -q 'configuration re-read' "$T/rd.log"
! grep -q 'only on restart' "$T/rd.log" || fail "SIGHUP warned about flags"
code=$(est POST simplereenroll "$T/d1b.pem" "$T/d1b.key" "$T/d1b.b64" "$T/o")
expect_refusal "renewal after SIGHUP shrank the window" 403 RP_E_RENEW_EARLY "$code" "$T/o"
ok "renewal window from the configuration, re-read on SIGHUP"

# --- revocation and the CRL
cli device revoke SN-1 --reason keyCompromise >"$T/out" || fail "revoke"
s1=$(echo "$serial" | tr 'A-F' 'a-f')
openssl crl -in "$D/pki/crl.pem" -noout -text >"$T/crl.txt"
grep -qi "Serial Number: $serial" "$T/crl.txt" ||
	fail "revoked serial not in crl.pem"
grep -q 'Key Compromise' "$T/crl.txt" || fail "reason not in the CRL"
openssl crl -in "$D/pki/crl.pem" -noout -CAfile "$D/pki/issuing.pem" 2>&1 |
	grep -q 'verify OK' || fail "CRL signature does not verify"
curl -s --cacert "$CA" -o "$T/crl.der" "$URL/pki/crl"
openssl crl -inform DER -in "$T/crl.der" -noout -text | grep -qi "$serial" ||
	fail "revoked serial not in GET /pki/crl"
cat "$D/pki/issuing.pem" "$CA" >"$T/chain.pem"
! openssl verify -crl_check -CAfile "$T/chain.pem" -CRLfile "$D/pki/crl.pem" \
	"$T/d1.pem" >/dev/null 2>&1 || fail "openssl verify accepts a revoked cert"
[ "$(sql "$DB" "SELECT reason FROM certs WHERE serial='$s1'")" = 1 ] ||
	fail "revocation not recorded"
code=$(est POST simplereenroll "$T/d1b.pem" "$T/d1b.key" "$T/d1b.b64" "$T/o")
[ "$code" != 200 ] || fail "revoked device renewed"
code=$(est POST simplereenroll "$T/d1.pem" "$T/d1.key" "$T/d1b.b64" "$T/o")
expect_refusal "renewal with a revoked certificate" 401 RP_E_CERT_REVOKED "$code" "$T/o"
ok "revoke: openssl crl shows the serial and reason; CRL file and HTTPS agree"

# --- re-provisioning and the remaining CLI views
cli device reprovision SN-1 >/dev/null || fail "reprovision"
new_key "$T/d1c.key"
csr_b64 "$T/d1c.key" SN-1 >"$T/d1c.b64"
code=$(est POST simpleenroll "$T/claim-a.pem" "$T/claim-a.key" "$T/d1c.b64" "$T/o")
[ "$code" = 200 ] || fail "enrollment after reprovision: HTTP $code"
code=$(est POST simpleenroll "$T/claim-a.pem" "$T/claim-a.key" "$T/d1c.b64" "$T/o")
expect_refusal "enrollment after the re-provisioning was used" 403 RP_E_ENROLLED "$code" "$T/o"
cli allowlist list >"$T/list" || fail "allowlist list"
grep -q '^SN-1 .*enrolled' "$T/list" || fail "list: SN-1 not enrolled"
grep -q '^SN-3 .*decommissioned' "$T/list" || fail "list: SN-3 state"
grep -q '^SN-5 .*allowlisted' "$T/list" || fail "list: SN-5 state"
cli allowlist show SN-1 --json >"$T/show" || fail "allowlist show --json"
[ "$(grep -c '"serial": "' "$T/show")" -ge 4 ] || fail "show lacks certificates"
# for a person: the key/value block of device show, its certificates counted
cli allowlist show SN-1 >"$T/show" || fail "allowlist show"
n=$(jq '.certificates | length' <(cli allowlist show SN-1 --json))
grep -q "^  certificates  $n\$" "$T/show" && grep -q '^  state  *enrolled' "$T/show" ||
	fail "allowlist show is not device show's block: $(cat "$T/show")"
st=0
cli allowlist remove SN-1 >/dev/null 2>&1 || st=$?
[ $st = 1 ] || fail "removing an enrolled device: exit $st"
cli allowlist remove SN-5 >/dev/null || fail "remove SN-5"
[ -z "$(sql "$DB" "SELECT serial FROM devices WHERE serial='SN-5'")" ] ||
	fail "SN-5 still on the allowlist"
cli device refusals --limit 3 --json >"$T/ref" || fail "device refusals --json"
grep -q '"reason": "RP_E_ENROLLED"' "$T/ref" || fail "refusals view (JSON)"
cli device refusals --limit 3 >"$T/ref" || fail "device refusals"
head -1 "$T/ref" | grep -Eq '^AT +ROUTE +PEER +SUBJECT +REASON +DETAIL$' ||
	fail "refusals heading: $(head -1 "$T/ref")"
[ "$(wc -l <"$T/ref")" = 4 ] || fail "refusals --limit 3: $(cat "$T/ref")"
grep -Eq '^20[0-9-]+ [0-9:]{8}Z \(([0-9]+ (s|min) ago|now)\) +/\.well-known/est/simpleenroll +127\.0\.0\.1:[0-9]+ +SN-[0-9]+ +RP_E_ENROLLED ' "$T/ref" ||
	fail "refusals view: $(cat "$T/ref")"
ok "reprovision allows exactly one more enrollment; list/show/remove/refusals"

# --- the CLI's HTTPS client checks the server: another CA is refused
st=0
"$BIN/rampart" allowlist list --server "$URL" --token-file "$T/token" \
	--ca "$T/fca.pem" >"$T/out" 2>&1 || st=$?
[ $st = 2 ] || fail "CLI trusted a server outside its CA: exit $st"
grep -q 'TLS' "$T/out" || fail "CLI error does not name TLS: $(cat "$T/out")"
ok "rampart CLI refuses a server certificate from another CA"

# --- TLS floor
tls() { openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$CA" "$@" \
	</dev/null >/dev/null 2>&1; }
tls -tls1_3 || fail "TLS 1.3 refused"
tls -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 || fail "TLS 1.2 AEAD refused"
# refused by the server (its alert), not merely by the client
tls_alert() {
	local out
	out=$(openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$CA" "$@" \
		</dev/null 2>&1 || true)
	grep -q 'alert' <<<"$out"
}
tls_alert -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA || fail "TLS 1.2 CBC accepted"
tls_alert -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' || fail "TLS 1.1 accepted"
ok "TLS: 1.3 and 1.2 ECDHE+AEAD accepted; 1.2 CBC and 1.1 refused"

# --- store and shutdown
stop_rd
[ "$(sql "$DB" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
[ "$(sql "$DB" 'PRAGMA journal_mode')" = wal ] || fail "not WAL"
[ "$(sql "$DB" 'PRAGMA user_version')" -ge 1 ] || fail "no migration"
ok "clean SIGTERM shutdown; store in WAL mode passes integrity_check"
echo "test_est: all $CHECKS checks passed"
