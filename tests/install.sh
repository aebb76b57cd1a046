#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# make install DESTDIR=... must give a librampart that a program finds with
# 'pkg-config --cflags --libs rampart', compiles against and runs with; the
# device SDK only: without the tools' and the broker's headers (sign.h,
# broker.h), and a program that calls a signing function does not link.
# usage: install.sh BUILD_DIR [CC] [EXTRA_CFLAGS]
set -euo pipefail
build=$1 cc=${2:-cc} extra=${3:-}
stage=$(mktemp -d "${TMPDIR:-/tmp}/rampart-install-XXXXXX")
trap 'rm -rf "$stage"' EXIT
DESTDIR=$stage cmake --install "$build" --prefix /usr/local >/dev/null
# the manual pages and completion where man, bash-completion and zsh look
for f in share/man/man1/rampart.1 share/man/man1/rampart-agent.1 share/man/man1/rampartd.1 \
	share/man/man1/rampart-sim.1 share/man/man1/rampart-boot.1 \
	share/man/man7/rampart.7 share/man/man5/rampart-agent.conf.5 \
	share/man/man5/rampartd.conf.5 share/man/man5/rampart-image.5 \
	share/bash-completion/completions/rampart \
	share/bash-completion/completions/rampart-agent \
	share/zsh/site-functions/_rampart share/zsh/site-functions/_rampart-agent; do
	[ -s "$stage/usr/local/$f" ] || { echo "install: no $f" >&2; exit 1; }
done
pcdir=$(dirname "$(find "$stage" -name rampart.pc | head -1)")
export PKG_CONFIG_PATH=$pcdir PKG_CONFIG_SYSROOT_DIR=$stage
flags=$(pkg-config --cflags --libs rampart)
echo "pkg-config: $flags"
cat >"$stage/t.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <rampart/encode.h>
#include <rampart/err.h>
#include <rampart/mem.h>
int main(void)
{
	char hex[9];
	if (rp_init() != RP_OK ||
	    rp_hex_encode((const unsigned char *)"\x01\xab\xcd\xef", 4, hex,
			  sizeof hex) != RP_OK || strcmp(hex, "01abcdef") != 0)
		return 1;
	puts(rp_strerror(RP_E_SIG_BAD));
	return 0;
}
C
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Werror $extra "$stage/t.c" -o "$stage/t" $flags
incdir=$(pkg-config --variable=includedir rampart)/rampart
[ -f "$incdir/image.h" ] || { echo "no rampart/image.h in $incdir"; exit 1; }
for h in sign.h broker.h; do
	[ ! -e "$incdir/$h" ] || { echo "the SDK installs $h"; exit 1; }
done
cat >"$stage/sign.c" <<'C'
#include <rampart/err.h>
rp_err rp_signer_open(const char *spec, const char *pass, void **out);
int main(void)
{
	void *s;
	return rp_signer_open("key.pem", 0, &s) == RP_OK;
}
C
# shellcheck disable=SC2086
if "$cc" -std=c11 $extra "$stage/sign.c" -o "$stage/sign" $flags \
	2>"$stage/sign.err"; then
	echo "a program calling rp_signer_open links against the SDK"
	exit 1
fi
grep -q "rp_signer_open" "$stage/sign.err" || {
	cat "$stage/sign.err"
	exit 1
}
libdir=$(pkg-config --variable=libdir rampart)
out=$(LD_LIBRARY_PATH=$libdir "$stage/t")
[ "$out" = "bad signature" ] || { echo "unexpected output: $out"; exit 1; }
echo "install: headers, library and rampart.pc work from DESTDIR; no" \
	"signing in the SDK"
# The systemd units and their users (dist/; tests/systemd_units.sh checks
# them with systemd-analyze): under the prefix, naming it, not DESTDIR.
for u in rampartd rampart-broker; do
	f=$stage/usr/local/lib/systemd/system/$u.service
	[ -f "$f" ] || { echo "$u.service not installed"; exit 1; }
	! grep -qF "$stage" "$f" || { echo "$u.service names DESTDIR"; exit 1; }
done
[ -f "$stage/usr/local/lib/sysusers.d/rampart.conf" ] ||
	{ echo "sysusers.d/rampart.conf not installed"; exit 1; }
echo "install: systemd units in PREFIX/lib/systemd/system, users in PREFIX/lib/sysusers.d"
