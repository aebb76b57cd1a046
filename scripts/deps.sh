#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The one list of Debian 12 packages Rampart needs to build, run and test.
# Installs what is missing with apt-get; does nothing (fast) when all are
# present; as a non-root user it names what is missing and how to get it.
# Each part that needs a package adds it here, with why.
set -euo pipefail

packages=(
	# build
	build-essential cmake pkg-config clang-14 libclang-rt-14-dev
	clang-format git
	# librampart and the programs
	libsodium-dev      # Ed25519, AEAD, Argon2id, secure memory, codecs
	libssl-dev openssl # TLS, X.509, CSR/CRL, ECDSA, SHA-256
	libjansson-dev     # JSON
	libevent-dev       # rampartd's loop and HTTPS
	libsqlite3-dev sqlite3 # the store
	libcap-ng-dev      # rampartd --user: change user, keep one capability until bound
	libzstd-dev        # delta images
	libdivsufsort-dev  # delta patches: the suffix array of create (rampartd, the CLI)
	liblzma-dev        # delta patches: LZMA2, a decoder that fits the device's 64 KiB
	liboath-dev oathtool # TOTP (oathtool: independent test vectors)
	mosquitto mosquitto-dev libmosquitto-dev mosquitto-clients # MQTT
	# tests: real peers and hardware stand-ins
	mandoc             # lints the manual pages (test_man)
	zsh                # its completion is tested in a real zsh (test_completion)
	libcmocka-dev
	curl
	jq                 # reads the admin API's JSON in the shell tests
	bsdiff xdelta3 time # make bench: the baselines of bench/90-delta.sh, /usr/bin/time
	nginx              # make bench: the anchor of bench/91-download.sh
	systemd strace     # systemd-analyze/-sysusers on the units; rampartd's system calls
	python3 python3-cryptography # independent recipes for test vectors, test helpers
	python3-jsonschema # telemetry_doc: the JSON Schemas of docs/telemetry.md
	softhsm2 opensc libengine-pkcs11-openssl # HSM (PKCS#11)
	libp11-kit-dev     # pkcs11.h: image signing calls PKCS#11 directly
	swtpm swtpm-tools tpm2-tools tpm2-openssl tpm2-abrmd libtss2-dev dbus # TPM 2.0
	libtss2-tcti-tabrmd0 # TCTI "tabrmd": keystore tests reach swtpm via abrmd
	# rampart-boot for a Cortex-M4 (CI builds it; make bench sizes it)
	gcc-arm-none-eabi libnewlib-arm-none-eabi
)

# One dpkg-query for all: "installed" means "install ok installed".
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" \
	2>/dev/null | awk '$4 == "installed" {print $1}' || true)
missing=()
for p in "${packages[@]}"; do
	grep -qxF "$p" <<<"$installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#packages[@]} packages present"
	exit 0
fi

echo "deps: missing ${#missing[@]} package(s): ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: run as root to install them, e.g.:" >&2
	echo "  sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${missing[*]}"
