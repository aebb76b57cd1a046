#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Makes the PKI of tests/integration/test_broker.c in DIR with openssl:
# a root and an issuing CA laid out as rampartd's DIR/pki, a broker server
# certificate, device and service certificates (DIR/certs/NAME.{pem,key}),
# one from another CA, an expired one, and a CRL already past its
# nextUpdate at DIR/pki/crl.pem (where rampartd keeps its CRL).
# usage: broker_pki.sh DIR
set -eu
d=$1
mkdir -p "$d/pki" "$d/certs" "$d/ca"
cd "$d"
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes"
printf '[v3_ca]\nbasicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign,cRLSign\n' >ca/ca.ext
printf 'basicConstraints=CA:false\nextendedKeyUsage=clientAuth\n' >ca/client.ext
printf 'basicConstraints=CA:false\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n' >ca/server.ext

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
for id in SN1 SN2 SNQ SNR SND SNU SNK SNS rampartd rampartd-watch \
	rampart-monitor; do
	leaf "$id" "$id" ca/client.ext
done
leaf SNS-new SNS ca/client.ext
leaf nocn "" ca/client.ext 2>/dev/null || true

# Another CA, same CN as a good device.
openssl req -x509 $ec -keyout ca/other.key -out ca/other.pem -days 30 \
	-subj "/CN=Other CA" 2>/dev/null
leaf other SN1 ca/client.ext ca/other

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
	-enddate 20200201000000Z -extfile ca/client.ext 2>/dev/null
openssl ca -batch -config ca/ca.cnf -gencrl -out pki/crl.pem \
	-crl_lastupdate 20200101000000Z -crl_nextupdate 20200102000000Z \
	2>/dev/null
# Serials the test revokes through the snapshot.
for n in SN1 SNS SNK; do
	openssl x509 -in "certs/$n.pem" -noout -serial | cut -d= -f2 |
		tr A-F a-f | sed 's/^0*//' >"certs/$n.serial"
done
