#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Regenerate the seed corpus of fuzz_broker_cert (corpus/broker_cert) with
# the openssl command line: a throw-away CA, then DER client certificates
# of each profile of include/rampart/broker.h (device, service, monitor),
# the issue 9 attack certificate (device profile, CN rampartd) and one of
# each kind of mismatch that rp_broker_peer_from_der refuses. Keys and
# dates are new at every run, so the files change; what they hold does
# not. usage: make-broker-cert-seeds.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$here/corpus/broker_cert
arc=2.25.137553760100012191238587036453560585111
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t"
mkdir -p "$out"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout ca.key -out ca.pem -subj /CN=seed-ca -days 3650 \
	-addext basicConstraints=critical,CA:TRUE 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.key
openssl genpkey -algorithm ED25519 -out ed.key

# leaf NAME KEY SERIAL SUBJECT EXTENSION...: one DER certificate.
leaf() {
	local name=$1 key=$2 serial=$3 subj=$4
	shift 4
	printf '%s\n' '[x]' "$@" >ext.cnf
	openssl req -new -key "$key" -subj "$subj" -out leaf.csr
	openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key \
		-set_serial "$serial" -days 365 -extfile ext.cnf -extensions x \
		-outform DER -out "$out/$name" 2>/dev/null
}
dev_eku=extendedKeyUsage=clientAuth
svc_eku=extendedKeyUsage=clientAuth,$arc.3
mon_eku=extendedKeyUsage=clientAuth,$arc.4
uri() { echo "subjectAltName=URI:urn:rampart:$1:$2"; }

# Each profile, accepted.
leaf device ec.key 0x1f3a /CN=SN-0001 "$dev_eku" "$(uri device SN-0001)"
leaf device-ca-false ed.key 0x00ff /CN=SN-0002 basicConstraints=CA:FALSE \
	"$dev_eku" "$(uri device SN-0002)"
leaf service ec.key 2 /CN=rampartd "$svc_eku" "$(uri service rampartd)"
leaf service-ed25519 ed.key 0x0abc /CN=rampartd "$svc_eku" \
	"$(uri service rampartd)"
leaf monitor ec.key 3 /CN=rampart-monitor "$mon_eku" \
	"$(uri monitor rampart-monitor)"
# Issue 9: a device certificate for a reserved id (refused).
leaf attack-rampartd ec.key 0x1f3b /CN=rampartd "$dev_eku" \
	"$(uri device rampartd)"
leaf attack-monitor ec.key 0x1f3c /CN=rampart-monitor "$dev_eku" \
	"$(uri device rampart-monitor)"
# Mismatches (refused).
leaf no-eku ec.key 4 /CN=SN-0001 "$(uri device SN-0001)"
leaf eku-serverauth ec.key 4 /CN=SN-0001 extendedKeyUsage=clientAuth,serverAuth \
	"$(uri device SN-0001)"
leaf eku-claim ec.key 4 /CN=SN-0001 "extendedKeyUsage=clientAuth,$arc.1" \
	"$(uri device SN-0001)"
leaf eku-both-roles ec.key 4 /CN=rampartd \
	"extendedKeyUsage=clientAuth,$arc.3,$arc.4" "$(uri service rampartd)"
leaf service-device-uri ec.key 4 /CN=rampartd "$svc_eku" \
	"$(uri device rampartd)"
leaf service-unreserved ec.key 4 /CN=SN-0001 "$svc_eku" \
	"$(uri service SN-0001)"
leaf no-san ec.key 5 /CN=SN-0001 "$dev_eku"
leaf two-san ec.key 5 /CN=SN-0001 "$dev_eku" \
	"subjectAltName=URI:urn:rampart:device:SN-0001,URI:urn:rampart:device:SN-0001"
leaf dns-san ec.key 5 /CN=SN-0001 "$dev_eku" subjectAltName=DNS:SN-0001
leaf other-cn-uri ec.key 5 /CN=SN-0001 "$dev_eku" "$(uri device SN-0002)"
leaf two-cn ec.key 6 /CN=SN-0001/CN=SN-0002 "$dev_eku" "$(uri device SN-0001)"
leaf no-cn ec.key 6 /O=rampart "$dev_eku" "$(uri device SN-0001)"
leaf cn-space ec.key 6 "/CN=SN 1" "$dev_eku" "subjectAltName=URI:urn:x"
leaf ca-true ec.key 7 /CN=SN-0001 basicConstraints=critical,CA:TRUE \
	"$dev_eku" "$(uri device SN-0001)"
leaf long-serial ec.key 0x0102030405060708090a0b0c0d0e0f101112131415 \
	/CN=SN-0001 "$dev_eku" "$(uri device SN-0001)"
# Not one DER certificate.
cp "$out/device" "$out/trailing" && printf '\0' >>"$out/trailing"
head -c 200 "$out/device" >"$out/truncated"
ls "$out" | wc -l
