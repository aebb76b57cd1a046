#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Makes the PKI of the broker tests (test_mqtt_broker.c, test_mqloop.c,
# test_agent_session.c, bench/40-connect-storm.sh) in DIR with openssl: a
# root and an issuing CA laid out as rampartd's DIR/pki, a broker server
# certificate, client certificates DIR/certs/NAME.{pem,key} with the
# profiles of include/rampart/broker.h (device: EKU clientAuth + SAN
# urn:rampart:device:CN; service and monitor: EKU clientAuth + their OID +
# their URI), the pin of each client key in DIR/certs/NAME.pin (64 hex, as
# the snapshot's service/monitor lines carry it), one certificate from
# another CA, an expired one, a CRL already past its nextUpdate at
# DIR/pki/crl.pem (where rampartd keeps its CRL), and the certificates an
# attacker with the issuing CA's key (a mis-issuance) would mint: atk-*.
# usage: broker_pki.sh DIR
set -eu
d=$1
mkdir -p "$d/pki" "$d/certs" "$d/ca"
cd "$d"
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
arc=2.25.137553760100012191238587036453560585111
printf '[v3_ca]\nbasicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n' >ca/ca.ext
printf 'basicConstraints=CA:false\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' >ca/server.ext
# An old-style client certificate (before issue 9): EKU clientAuth, no SAN.
printf 'basicConstraints=CA:false\nextendedKeyUsage=clientAuth\n' >ca/old.ext

# ext PROFILE ID: the extension file of that profile for that id.
ext() {
	f=ca/$1-$2.ext
	case $1 in
	device) eku=clientAuth ;;
	service) eku=clientAuth,$arc.3 ;;
	monitor) eku=clientAuth,$arc.4 ;;
	esac
	printf 'basicConstraints=CA:false\nextendedKeyUsage=%s\nsubjectAltName=URI:urn:rampart:%s:%s\n' \
		"$eku" "$1" "$2" >"$f"
	echo "$f"
}

openssl req -x509 $ec -keyout pki/root.key -out pki/root.pem -days 30 \
	-subj "/CN=Test root" -addext basicConstraints=critical,CA:true \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req $ec -keyout pki/issuing.key -out ca/issuing.csr \
	-subj "/CN=Test issuing" 2>/dev/null
openssl x509 -req -in ca/issuing.csr -CA pki/root.pem -CAkey pki/root.key \
	-CAcreateserial -out pki/issuing.pem -days 30 -extfile ca/ca.ext \
	-extensions v3_ca 2>/dev/null

# leaf NAME CN EXTFILE [CA-PREFIX]: NAME.{pem,key} signed by the issuing CA
leaf() {
	ca=${4:-pki/issuing}
	openssl req $ec -keyout "certs/$1.key" -out "ca/$1.csr" \
		-subj "/CN=$2" 2>/dev/null
	openssl x509 -req -in "ca/$1.csr" -CA "$ca.pem" -CAkey "$ca.key" \
		-CAcreateserial -out "certs/$1.pem" -days 10 -extfile "$3" \
		2>/dev/null
}
leaf server localhost ca/server.ext
cp certs/server.pem pki/server.pem
cp certs/server.key pki/server.key
for id in SN1 SN2 SNQ SNR SND SNU SNK SNS; do
	leaf "$id" "$id" "$(ext device "$id")"
done
leaf SNS-new SNS "$(ext device SNS)"
# No CN at all (the SAN names what it would be).
leaf nocn "" "$(ext device nocn)" 2>/dev/null || true
# rampartd's own identities and the operator's monitor.
leaf rampartd rampartd "$(ext service rampartd)"
leaf rampartd-watch rampartd-watch "$(ext service rampartd-watch)"
leaf rampart-monitor rampart-monitor "$(ext monitor rampart-monitor)"
# rampartd's next key (a renewal): pinned only once the snapshot says so.
leaf rampartd-new rampartd "$(ext service rampartd)"

# Mis-issued, signed by the real issuing CA: what issue 9 was about.
# A device certificate for the reserved ids (device profile, reserved CN).
leaf atk-dev-rampartd rampartd "$(ext device rampartd)"
leaf atk-dev-monitor rampart-monitor "$(ext device rampart-monitor)"
# The service profile for rampartd, with a key the snapshot does not pin.
leaf atk-svc-unpinned rampartd "$(ext service rampartd)"
# The service profile for an unreserved id (a device's).
leaf atk-svc-SN1 SN1 "$(ext service SN1)"
# Old-style (pre-profile) certificates: EKU clientAuth only, no SAN.
leaf atk-old-rampartd rampartd ca/old.ext
leaf atk-old-SN1 SN1 ca/old.ext

# Another CA, same CN as a good device.
openssl req -x509 $ec -keyout ca/other.key -out ca/other.pem -days 30 \
	-subj "/CN=Other CA" 2>/dev/null
leaf other SN1 "$(ext device SN1)" ca/other

# An expired certificate for SN1 and a CRL past its nextUpdate: openssl ca.
mkdir -p ca/db
: >ca/db/index.txt
cat >ca/ca.cnf <<CNF
[ca]
default_ca = c
[c]
database = $d/ca/db/index.txt
new_certs_dir = $d/ca/db
serial = $d/ca/db/serial
certificate = $d/pki/issuing.pem
private_key = $d/pki/issuing.key
default_md = sha256
policy = p
copy_extensions = none
[p]
commonName = supplied
CNF
echo 01 >ca/db/serial
openssl req $ec -keyout certs/expired.key -out ca/expired.csr \
	-subj "/CN=SN1" 2>/dev/null
openssl ca -batch -config ca/ca.cnf -in ca/expired.csr \
	-out certs/expired.pem -startdate 20200101000000Z \
	-enddate 20200201000000Z -extfile ca/device-SN1.ext 2>/dev/null
openssl ca -batch -config ca/ca.cnf -gencrl -out pki/crl.pem \
	-crl_lastupdate 20200101000000Z -crl_nextupdate 20200102000000Z \
	2>/dev/null
# Serials the test revokes through the snapshot.
for n in SN1 SNS SNK; do
	openssl x509 -in "certs/$n.pem" -noout -serial | cut -d= -f2 |
		tr A-F a-f | sed 's/^0*//' >"certs/$n.serial"
done
# Key pins (SHA-256 of the DER SubjectPublicKeyInfo, docs/transport.md).
for c in certs/*.pem; do
	openssl x509 -in "$c" -pubkey -noout | openssl pkey -pubin -outform DER |
		sha256sum | cut -d' ' -f1 >"${c%.pem}.pin"
done
