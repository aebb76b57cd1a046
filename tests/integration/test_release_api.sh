#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_release_api.sh - releases through a real rampartd and the rampart
# CLI (rd_lib.sh, cli_lib.sh; docs/releases.md): the release key set
# (first install, rotation, a refused rotation, an old epoch), adds
# refused for an unknown key, below threshold, a revoked key, a tampered
# payload, a bad SBOM (its JSON path named); list, show, sbom, rm; the
# upload protocol (a chunk at the wrong offset gets 409 and the offset,
# an add resumes an upload cut short from the server's offset, and after
# a connection a proxy (cut_proxy.py) drops in the middle of a chunk;
# the size limit); another request answered while an add is held on its worker
# thread (a FIFO, no sleeps); kill -9 of rampartd during an upload and
# during an add leaves no release and no file after the restart's sweep;
# an abandoned upload is removed after [releases] upload_idle.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"
. "$here/cli_lib.sh"

R=$BIN/rampart
cd "$T"

# --- keys and images, made as image_cli.sh makes them
for k in ed ec k3 enc; do $R keygen --alg ed25519 --out $k >/dev/null; done
$R keyset create --pub ed.pub --pub ec.pub --pub k3.pub --threshold 2 \
	--epoch 1 --key ed --key ec gen.rpks >/dev/null
# the rotation revokes ec: signed by ed and k3 of the current set
$R keyset create --prev gen.rpks --pub ed.pub --pub k3.pub --pub enc.pub \
	--threshold 2 --revoke ec.pub --key ed --key k3 next.rpks >/dev/null
# a rotation signed by keys the server does not trust
$R keyset create --pub enc.pub --threshold 1 --epoch 7 --key enc \
	rogue.rpks >/dev/null
head -c 300000 /dev/urandom >fw.bin
sign() { # OUT VERSION KEYS...
	local out=$1 v=$2 a=()
	shift 2
	for k in "$@"; do a+=(--key "$k"); done
	$R sign "${a[@]}" --hw board-a --version "$v" --counter 3 fw.bin \
		"$out" >/dev/null
}
sign fw.img 1.0.0 ed ec
sign ed.img 1.0.1 ed
sign enc.img 1.0.2 enc
sign ec-ed.img 1.0.3 ec ed
sign k3-ed.img 1.0.4 k3 ed
cp fw.img tampered.img
printf 'X' | dd of=tampered.img bs=1 seek=$(($(stat -c %s fw.img) - 1000)) \
	conv=notrunc status=none
id_of() { sha256sum "$1" | cut -d' ' -f1; }
printf '%s\n' 'name,version,purl,licence,hashes' \
	'openssl,3.0.11-1~deb12u1,pkg:deb/debian/openssl@3.0.11-1~deb12u1,Apache-2.0,' \
	'curl,7.88.1-10+deb12u5,pkg:deb/debian/curl@7.88.1-10+deb12u5,curl,' >c.csv
$R sbom generate --csv c.csv --name fw --version 1.0.0 -o fw.cdx.json \
	>/dev/null
jq '.components[0].purl = "nope"' fw.cdx.json >bad.cdx.json

D=$T/data
mkfifo "$T/hold"
RAMPARTD_TEST_RELEASE_HOLD= start_rd "$D"
TOKEN=$(cat "$T/token")
DB=$D/rampart.db
api() { # METHOD PATH [CURL ARGS]: the status; the body in $T/o
	local m=$1 p=$2
	shift 2
	curl -s --cacert "$CA" -o "$T/o" -w '%{http_code}' -X "$m" \
		-H "Authorization: Bearer $TOKEN" "$@" "$URL$p"
}

# --- the key set
expect 1 "no release key set is installed" cli release add fw.img
[ -z "$(ls "$D/releases" | grep -v '^$' || true)" ] &&
	ok "a refused add left no file" || bad "files left: $(ls "$D/releases")"
expect 1 "no release key set is installed" cli release keys show
expect 0 "installed the release key set of epoch 1" cli release keys set gen.rpks
expect 0 '"threshold": 2' cli release keys show --json
expect 1 "not signed by 2 unrevoked keys of the current set" \
	cli release keys set rogue.rpks
expect 1 "epoch is not above the current set's 1" cli release keys set gen.rpks
grep -q 'trusting this first one AS GIVEN' "$T/rd.log" &&
	ok "first install logged as trust on first install" ||
	bad "no trust-on-first-install warning"

# --- adds refused
expect 1 "signed by unknown key" cli release add enc.img
expect 1 "1 valid signature(s) by keys of the release key set, it needs 2" \
	cli release add ed.img
expect 1 "the payload does not match the SHA-256" cli release add tampered.img
expect 1 'the SBOM is refused: $.components[0].purl' \
	cli release add fw.img --sbom bad.cdx.json
printf 'not json' >nojson.cdx.json
expect 2 "the SBOM nojson.cdx.json is not a JSON object" \
	cli release add fw.img --sbom nojson.cdx.json
expect 1 "is for hardware type 'board-a', not 'board-b'" \
	cli release add fw.img --hw board-b
[ "$(sql "$DB" 'SELECT count(*) FROM releases')" = 0 ] &&
	ok "no release after the refusals" || bad "a refused add stored a row"

# --- add, list, show, sbom
expect 0 "added release $(id_of fw.img)" cli release add fw.img \
	--sbom fw.cdx.json --notes "first build" --progress
expect 0 "uploading k3-ed.img: 300400 of 300400 bytes (100%)" cli release add k3-ed.img --progress \
	--chunk-size 65536
expect 1 "is release $(id_of fw.img) already" cli release add fw.img
[ "$(cli release list --json | jq -r '.releases | length')" = 2 ] &&
	ok "list: 2 releases" || bad "list: $(cli release list --json)"
[ "$(cli release list --json --hw board-x | jq -r '.releases | length')" = 0 ] &&
	ok "list --hw filters" || bad "list --hw board-x not empty"
expect 0 "first build" cli release show "$(id_of fw.img)"
[ "$(cli release show --json "$(id_of fw.img)" | jq -r '.version, .sbom' | tr '\n' ' ')" = "1.0.0 true " ] &&
	ok "show --json" || bad "show --json: $(cli release show --json "$(id_of fw.img)")"
cli release sbom "$(id_of fw.img)" | jq -e '.components[0].name == "openssl"' \
	>/dev/null && ok "sbom: as given" || bad "sbom not returned"
expect 1 "the release has no SBOM" cli release sbom "$(id_of k3-ed.img)"
expect 2 "a release ID is the 64 hex digits" cli release show nope
[ -f "$D/releases/$(id_of fw.img).img" ] && cmp -s "$D/releases/$(id_of fw.img).img" fw.img &&
	ok "stored content-addressed" || bad "no DATA/releases/ID.img"

# --- rotation: ec is revoked
expect 0 "installed the release key set of epoch 2" cli release keys set next.rpks
expect 1 "signed by revoked key" cli release add ec-ed.img
expect 1 "epoch is not above the current set's 2" cli release keys set gen.rpks

# --- the upload protocol
sign fw4.img 1.3.0 ed k3
SIZE=$(stat -c %s fw4.img)
[ "$(api POST /api/v1/uploads -d '{"size": 999999999999}')" = 413 ] &&
	grep -q 'max_image_size' "$T/o" && ok "size over the limit: 413" ||
	bad "size limit: $(cat "$T/o")"
[ "$(api POST /api/v1/uploads -d "{\"size\": $SIZE}")" = 201 ] ||
	bad "open: $(cat "$T/o")"
UP=$(jq -r .id "$T/o")
head -c 100000 fw4.img >part1
[ "$(api PUT "/api/v1/uploads/$UP" -H 'Upload-Offset: 0' --data-binary @part1)" = 200 ] &&
	[ "$(jq -r .offset "$T/o")" = 100000 ] && ok "chunk at 0" ||
	bad "chunk: $(cat "$T/o")"
[ "$(api PUT "/api/v1/uploads/$UP" -H 'Upload-Offset: 0' --data-binary @part1)" = 409 ] &&
	[ "$(jq -r .offset "$T/o")" = 100000 ] &&
	ok "a chunk at the wrong offset: 409 with the offset" ||
	bad "wrong offset: $(cat "$T/o")"
[ "$(api GET "/api/v1/uploads/$UP")" = 200 ] &&
	[ "$(jq -r .offset "$T/o")" = 100000 ] && ok "GET: the offset" ||
	bad "GET upload: $(cat "$T/o")"
[ "$(api POST /api/v1/releases -d "{\"upload\": \"$UP\"}")" = 409 ] &&
	grep -q 'send the rest first' "$T/o" && ok "add of an unfinished upload: 409" ||
	bad "unfinished add: $(cat "$T/o")"
[ "$(api POST /api/v1/releases -d "{\"upload\": \"$UP\", \"sbomx\": {}}")" = 400 ] &&
	grep -q 'sbomx' "$T/o" && ok "an unknown member of an add: 400 naming it" ||
	bad "unknown member: $(cat "$T/o")"
# the client that sent part1 lost its connection: the CLI resumes there
out=$(cli release add fw4.img --upload "$UP" --chunk-size 65536 2>&1 || true)
grep -qF "resuming $UP at offset 100000" <<<"$out" &&
	grep -qF "added release $(id_of fw4.img)" <<<"$out" &&
	cmp -s fw4.img "$D/releases/$(id_of fw4.img).img" &&
	ok "add --upload resumes at the server's offset: the image whole" ||
	bad "resume: $out"
expect 1 "no such upload" cli release add fw4.img --upload "$UP"
# a connection lost in the middle of a chunk: the proxy cuts its third
# connection (POST /uploads, the chunk at 0, then the chunk at 65536)
# after 30000 bytes; the CLI asks the server's offset and goes on
sign fw5.img 1.4.0 ed k3
python3 "$here/cut_proxy.py" "$PORT" 3 30000 "$T/proxy.port" &
PROXY=$!
wait_until "the proxy listening" test -s "$T/proxy.port"
out=$("$BIN/rampart" release add fw5.img --chunk-size 65536 \
	--server "https://127.0.0.1:$(cat "$T/proxy.port")" \
	--token-file "$T/token" --ca "$CA" 2>&1 || true)
kill "$PROXY"
wait "$PROXY" 2>/dev/null || true
grep -qE "resuming [0-9a-f]{32} at offset 65536" <<<"$out" &&
	grep -qF "added release $(id_of fw5.img)" <<<"$out" &&
	cmp -s fw5.img "$D/releases/$(id_of fw5.img).img" &&
	ok "a dropped connection mid-chunk: resumed at the server's offset" ||
	bad "resume after a dropped connection: $out"
ls "$D/releases" | grep -q 'tmp' && bad "upload file left: $(ls "$D/releases")" ||
	ok "the consumed upload left no file"

# --- the loop answers while an add is held on its thread
stop_rd
RAMPARTD_TEST_RELEASE_HOLD=$T/hold start_rd "$D"
sign fw2.img 1.1.0 ed k3
cli release add fw2.img >add.out 2>&1 &
ADD=$!
exec 3>"$T/hold" # opens once the add's thread waits on the FIFO
timeout 30 "$BIN/rampart" release list --server "$URL" --token-file "$T/token" \
	--ca "$CA" >list.out && grep -q '1.0.0' list.out &&
	ok "a request answered while an add runs" ||
	bad "no answer while the add ran"
echo go >&3
exec 3>&-
wait $ADD && grep -q "added release $(id_of fw2.img)" add.out &&
	ok "the held add completes" || bad "held add: $(cat add.out)"

# an add that verifies past the client's deadline (held at "verified"):
# the CLI's POST times out, it asks for the release (the image's SHA-256)
# until it is there, and says so
sign fw6.img 1.1.1 ed k3
RAMPART_HTTP_TIMEOUT_MS=2000 cli release add fw6.img >add.out 2>&1 &
ADD=$!
exec 3>"$T/hold"
polling() { grep -q 'still verifying fw6.img' add.out; }
wait_until "the CLI asking for the release" polling
echo go >&3
exec 3>&-
wait $ADD && grep -q "added release $(id_of fw6.img)" add.out &&
	ok "an add past the client's deadline: the CLI waits for the release" ||
	bad "add past the deadline: $(cat add.out)"

# --- kill -9 during an upload and during an add
[ "$(api POST /api/v1/uploads -d "{\"size\": $SIZE}")" = 201 ] || bad "open 2"
UP=$(jq -r .id "$T/o")
api PUT "/api/v1/uploads/$UP?offset=0" --data-binary @part1 >/dev/null
ls "$D/releases" | grep -q 'upload.tmp' && ok "an upload in progress has its temp file" ||
	bad "no temp file while uploading"
kill -9 "$RD_PID"
wait "$RD_PID" 2>/dev/null || true
RD_PID=
sign fw3.img 1.2.0 ed k3
RAMPARTD_TEST_RELEASE_HOLD=$T/hold RAMPARTD_TEST_RELEASE_STEP=renamed start_rd "$D"
ls "$D/releases" | grep -q 'tmp' && bad "the sweep left an upload" ||
	ok "kill -9 during an upload: the sweep removed its file"
cli release add fw3.img >add.out 2>&1 &
ADD=$!
exec 3>"$T/hold" # the add's thread is past the rename, before the row
[ -f "$D/releases/$(id_of fw3.img).img" ] && ok "held after the rename" ||
	bad "not renamed at the hold"
kill -9 "$RD_PID"
wait "$RD_PID" 2>/dev/null || true
RD_PID=
exec 3>&-
wait $ADD && bad "the add answered OK after kill -9" || true
start_rd "$D"
[ ! -e "$D/releases/$(id_of fw3.img).img" ] &&
	[ "$(sql "$DB" "SELECT count(*) FROM releases WHERE id = '$(id_of fw3.img)'")" = 0 ] &&
	ok "kill -9 during an add: no release, no file" ||
	bad "left after the add's kill: $(ls "$D/releases")"
grep -q 'removed 0 unfinished uploads and 1 image files without a release' "$T/rd.log" &&
	ok "the sweep says what it removed" || bad "no sweep line"

# --- known vulnerabilities (tests/data/osv/README.md)
OSV=$here/../data/osv
FW=$(id_of fw.img)
out=$(cli vuln import "$OSV/feed" 2>&1 || true)
grep -qF 'bad-no-introduced.json DSA-T009: $.affected[0].ranges[0].events: no introduced event' <<<"$out" &&
	grep -qF "imported 3, replaced 0, unchanged 0, refused 1" <<<"$out" &&
	ok "vuln import: 3 imported, the bad one refused with its path" ||
	bad "vuln import: $out"
expect 1 "imported 0, replaced 0, unchanged 3, refused 1" cli vuln import "$OSV/feed"
# a wrong token stops the import at its first file, not "N refused"
echo wrong >"$T/bad-token"
out=$("$BIN/rampart" vuln import "$OSV/feed" --server "$URL" --token-file \
	"$T/bad-token" --ca "$CA" 2>&1) && rc=0 || rc=$?
[ $rc = 2 ] && grep -q 'refused the token' <<<"$out" &&
	grep -q 'import stopped at' <<<"$out" && ! grep -q 'refused 4' <<<"$out" &&
	ok "vuln import with a wrong token: stopped, the auth message" ||
	bad "wrong token import ($rc): $out"
set +e
out=$(cli release vulns "$FW")
rc=$?
set -e
[ $rc = 1 ] && grep -q '^openssl .*DSA-T001 .*CVE-2099-1001 .*3.0.11-1~deb12u2$' <<<"$out" &&
	grep -q '^openssl .*DSA-T003 .*3.0.11-1$' <<<"$out" &&
	! grep -q 'DSA-T002' <<<"$out" &&
	grep -q '^2 findings in 2 components, 3 OSV records$' <<<"$out" &&
	ok "release vulns: pkg:deb matched by Debian ordering (~ below all)" ||
	bad "release vulns ($rc):"$'\n'"$out"
expect 0 "imported 0, replaced 1, unchanged 1, refused 0" cli vuln import "$OSV/update"
[ "$(cli release vulns --json "$FW" | jq -r '[.findings[].id] | sort | join(" ")')" = \
	"DSA-T001 DSA-T002 DSA-T003" ] && ok "a newer record replaced the older" ||
	bad "after the update: $(cli release vulns --json "$FW")"
expect 1 "imported 0, replaced 0, unchanged 3, refused 1" cli vuln import "$OSV/feed"
expect 0 "imported 0, replaced 0, unchanged 1, refused 0" cli vuln import "$OSV/feed/DSA-T003.json"
[ "$(api POST /api/v1/vulns --data-binary "[$(cat "$OSV/feed/DSA-T001.json"), {\"id\": \"X\"}]")" = 200 ] &&
	[ "$(jq -r '.refused[0].index' "$T/o")" = 1 ] &&
	jq -r '.refused[0].error' "$T/o" | grep -qF '$[1]: $.modified: missing' &&
	ok "an array's bad record refused with its JSON path" ||
	bad "array import: $(cat "$T/o")"
expect 1 "the release has no SBOM to match" cli release vulns "$(id_of k3-ed.img)"

# --- rm
expect 0 "removed release $(id_of fw2.img)" cli release rm "$(id_of fw2.img)"
[ "$(cli release list --json | jq -r '.releases | length')" = 5 ] &&
	ok "list after rm: 5 releases" || bad "list after rm: $(cli release list)"
expect 1 "no release $(id_of fw2.img)" cli release rm "$(id_of fw2.img)"
[ ! -e "$D/releases/$(id_of fw2.img).img" ] && ok "rm removed the file" ||
	bad "rm left the file"

# --- an abandoned upload is removed after [releases] upload_idle
stop_rd
printf '[releases]\nupload_idle = 1\n' >"$T/idle.conf"
start_rd "$D" --config "$T/idle.conf"
[ "$(api POST /api/v1/uploads -d "{\"size\": $SIZE}")" = 201 ] || bad "open 3"
UP=$(jq -r .id "$T/o")
api PUT "/api/v1/uploads/$UP?offset=0" --data-binary @part1 >/dev/null
idle_gone() { ! ls "$D/releases" | grep -q 'upload.tmp'; }
wait_until "the idle upload removed" idle_gone
[ "$(api GET "/api/v1/uploads/$UP")" = 404 ] && grep -q "idle for" "$T/rd.log" &&
	ok "an idle upload is removed with its file" || bad "idle upload kept"
stop_rd
[ "$fails" -eq 0 ]
