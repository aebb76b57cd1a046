# SPDX-License-Identifier: Apache-2.0
# cli_lib.sh - what the command-line tests share (image_cli.sh,
# test_delta_cli.sh, test_sbom_cli.sh), sourced: ok and bad count the
# checks, expect runs a command and checks its exit code and output.
# Each test ends with [ "$fails" -eq 0 ].
fails=0
ok() { echo "ok: $*"; }
bad() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}
# expect CODE TEXT CMD...: exit code CODE and, unless TEXT is "-", TEXT
# (a fixed string, such as an error name) in stdout+stderr.
expect() {
	local code=$1 text=$2 out rc
	shift 2
	set +e
	out=$("$@" 2>&1)
	rc=$?
	set -e
	if [ "$rc" -ne "$code" ]; then
		bad "exit $rc (want $code): $*"$'\n'"$out"
	elif [ "$text" != - ] && ! grep -qF -- "$text" <<<"$out"; then
		bad "no '$text' in output of: $*"$'\n'"$out"
	else
		ok "$* -> $code"
	fi
}
