#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# rampart sbom generate | check | vulns end to end: this machine's own
# dpkg status file becomes an SBOM whose components are exactly the
# packages dpkg-query calls installed (names, versions and architectures
# compared), read back by rampart sbom check and by jq; the same
# SOURCE_DATE_EPOCH gives the same bytes; a components CSV; refused
# inputs exit 1 naming the JSON path or the line, unreadable ones exit 2;
# vulns against the unit tests' OSV feed prints the expected findings
# (table and --json) and exits 1, 0 for an SBOM without any.
set -euo pipefail
R=${RP_BIN_DIR:?}/rampart
src=${RP_SRC_DIR:?}
fx=$src/tests/unit/fixtures/sbom
status=/var/lib/dpkg/status
t=$(mktemp -d "${TMPDIR:-/tmp}/rp-sbom-cli-XXXXXX")
trap 'rm -rf "$t"' EXIT
cd "$t"

. "${RP_SRC_DIR:?}/tests/integration/cli_lib.sh"

[ -r "$status" ] || { echo "FAIL: no $status on this machine" >&2; exit 1; }

# generate from the real status file
export SOURCE_DATE_EPOCH=1764763200
expect 0 "components from $status" "$R" sbom generate --dpkg-status "$status" \
	--name gateway --version 2.4.0 --out fw.cdx.json
[ "$(stat -c %a fw.cdx.json)" = 644 ] && ok "mode 0644" || bad "mode $(stat -c %a fw.cdx.json)"
ls fw.cdx.json.tmp.* >/dev/null 2>&1 && bad "a temp file left" || ok "no temp file left"
expect 0 "valid CycloneDX 1.6 SBOM of gateway 2.4.0" "$R" sbom check fw.cdx.json
[ "$(jq -r '.bomFormat + " " + .specVersion + " " + .metadata.component.type' fw.cdx.json)" = \
	"CycloneDX 1.6 firmware" ] && ok "jq: CycloneDX 1.6, firmware" || bad "jq: header"
[ "$(jq -r .metadata.timestamp fw.cdx.json)" = 2025-12-03T12:00:00Z ] &&
	ok "timestamp from SOURCE_DATE_EPOCH" || bad "timestamp"
# the installed packages, as dpkg-query sees them, sorted
dpkg-query -W -f '${db:Status-Status} ${Package} ${Version} ${Architecture}\n' |
	awk '$1 == "installed" { print $2, $3, $4 }' | sort >want.txt
jq -r '.components[] | .name + " " + .version + " " +
	(.purl | capture("arch=(?<a>[^&]+)").a)' fw.cdx.json | sort >got.txt
n=$(wc -l <want.txt)
[ "$n" -gt 10 ] || bad "only $n installed packages?"
if cmp -s want.txt got.txt; then
	ok "$n components = dpkg-query's installed packages"
else
	bad "components differ from dpkg-query:"$'\n'"$(diff want.txt got.txt | head)"
fi
[ "$(jq '[.components[].purl | select(startswith("pkg:deb/debian/"))] | length' fw.cdx.json)" = "$n" ] &&
	ok "every purl pkg:deb/debian/" || bad "purls"
v=$(dpkg-query -W -f '${Version}' dpkg | sed 's/+/%2B/g')
jq -e --arg p "pkg:deb/debian/dpkg@$v?arch=" '[.components[].purl | select(startswith($p))] | length == 1' \
	fw.cdx.json >/dev/null && ok "dpkg's purl" || bad "no purl for dpkg $v"
"$R" sbom generate --dpkg-status "$status" --name gateway --version 2.4.0 >again.json
cmp -s fw.cdx.json again.json && ok "same SOURCE_DATE_EPOCH, same bytes (stdout = --out)" ||
	bad "not reproducible"
unset SOURCE_DATE_EPOCH

# the CSV
expect 0 - "$R" sbom generate --csv "$fx/components.csv" --out csv.json
[ "$(jq -r '.components[1].name + "|" + .components[1].licenses[0].license.name + "|" + .components[1].hashes[1].alg' csv.json)" = \
	"vendor blob, rev B|Acme Proprietary Licence|SHA-1" ] && ok "CSV components" || bad "CSV components"
expect 0 "3 components" "$R" sbom check csv.json
printf 'name,version,purl,licence,hashes\nok,1,,,\nbad,1,npm/bad,,\n' >bad.csv
expect 1 "line 3: \$.components[1].purl: not a package URL" "$R" sbom generate --csv bad.csv --out x.json
[ -e x.json ] && bad "refused input wrote x.json" || ok "refused input wrote nothing"
printf 'Package: a1\nStatus: install ok installed\nArchitecture: all\nVersion: one\n' >bad.status
expect 1 "line 1: 'a1' 'one' is not a Debian package name and version" \
	"$R" sbom generate --dpkg-status bad.status
expect 2 "give one of --dpkg-status and --csv" "$R" sbom generate --csv bad.csv --dpkg-status bad.status
expect 2 "cannot read" "$R" sbom generate --csv missing.csv
expect 2 "cannot write" "$R" sbom generate --csv "$fx/components.csv" --out /nonexistent/dir/x.json

# check: refusals name the JSON path
jq '.components[3].purl = "curl@1"' fw.cdx.json >bad1.json
expect 1 'refused: $.components[3].purl: not a package URL (no '"'pkg:'"' scheme)' "$R" sbom check bad1.json
jq '.specVersion = "1.4"' fw.cdx.json >bad2.json
expect 1 'refused: $.specVersion: CycloneDX 1.4 is not accepted' "$R" sbom check bad2.json
jq '.components[0].hashes = [{"alg":"SHA-256","content":"abcd"}]' fw.cdx.json >bad3.json
expect 1 'refused: $.components[0].hashes[0].content: not 64 hex digits' "$R" sbom check bad3.json
printf '{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"library","name":"x","\\u001b[2J":1}]}' >bad4.json
out=$("$R" sbom check bad4.json || true)
grep -qF '\x1b[2J' <<<"$out" && ok "a control byte of the input is escaped" || bad "not escaped: $out"
set +e
j=$("$R" sbom check --json bad1.json)
rc=$?
set -e
[ $rc = 1 ] && [ "$(jq -r '.valid, .error, .message' <<<"$j" | tr '\n' ' ')" = \
	"false RP_E_SYNTAX \$.components[3].purl: not a package URL (no 'pkg:' scheme) " ] &&
	ok "check --json refusal" || bad "check --json: $rc $j"
[ "$("$R" sbom check --json fw.cdx.json | jq -r '.valid, .components' | tr '\n' ' ')" = "true $n " ] &&
	ok "check --json valid" || bad "check --json valid"
expect 2 "cannot read" "$R" sbom check missing.json

# vulns: the unit tests' feed against the matching fixture
set +e
out=$("$R" sbom vulns "$fx/match.json" --osv "$fx/osv")
rc=$?
set -e
[ $rc = 1 ] && grep -q '^libssl3 *3.0.11-1~deb12u1 *DSA-5532-1 *CVE-2023-5363 *3.0.11-1~deb12u2$' <<<"$out" &&
	grep -q '^5 findings in 12 components, 9 OSV records$' <<<"$out" &&
	ok "vulns table" || bad "vulns table ($rc):"$'\n'"$out"
set +e
j=$("$R" sbom vulns --json "$fx/match.json" --osv "$fx/osv")
rc=$?
set -e
[ $rc = 1 ] && [ "$(jq -r '[.findings[] | .id + "=" + (.fixed // "unknown")] | join(" ")' <<<"$j")" = \
	"DSA-5532-1=3.0.11-1~deb12u2 GHSA-35jh-r3h4-6jhm=4.17.21 RUSTSEC-2099-0001=unknown PYSEC-2021-99=unknown DSA-tar-epoch=1:1.0-1" ] &&
	ok "vulns --json" || bad "vulns --json ($rc): $j"
expect 0 "no known vulnerabilities" "$R" sbom vulns "$fx/valid-1.5.json" --osv "$fx/osv/GHSA-lodash.json"
mkdir feed && cp "$fx"/osv/*.json feed/ && echo '{"id":"X"}' >feed/zz.json
expect 2 "the OSV feed refused: feed/zz.json: \$.modified: missing" "$R" sbom vulns fw.cdx.json --osv feed
expect 2 "refused: \$.components[3].purl" "$R" sbom vulns bad1.json --osv "$fx/osv"
expect 2 "missing --osv" "$R" sbom vulns fw.cdx.json

if [ "$fails" -ne 0 ]; then
	echo "test_sbom_cli: $fails failed" >&2
	exit 1
fi
echo "test_sbom_cli: all passed"
