#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_least_privilege.sh - rampartd needs no privilege (docs/deploy.md):
#  1. started unprivileged as systemd's rampartd.service starts it (setpriv
#     to nobody:nogroup, no groups, no_new_privs, empty bounding set), a
#     device enrolls over EST (openssl + curl) and is revoked (CRL and
#     snapshot rewritten); every file of the data directory is nobody's,
#     with the modes docs/rampartd.md promises;
#  2. started as root with --user nobody on a port below 1024 it binds
#     the port, then runs with uid/gid nobody, no capabilities and
#     no_new_privs (read from /proc), creates its data directory for
#     nobody, and a device enrolls;
#     The same as nobody with an ambient CAP_NET_BIND_SERVICE (systemd's
#     AmbientCapabilities=): dropped once the port is bound;
#  3. the refusals: root without --user on nobody's data directory (and
#     nothing there touched), an unknown user, --user without root, a data
#     directory of another user, a data directory its group or every
#     user may write; root on its own directory only warns.
#  4. (part of 1) under strace, every system call rampartd makes is in
#     the SystemCallFilter of rampartd.service.
# Needs root (setpriv, --user); without it the test says so and is
# reported as skipped (exit 77).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to run rampartd as nobody (setpriv, --user)"
	exit 77
fi
NB_UID=$(id -u nobody)
NB_GID=$(getent group nogroup | cut -d: -f3)
[ -n "$NB_UID" ] && [ -n "$NB_GID" ] || fail "no user nobody or group nogroup"
chmod 0711 "$T" # nobody reaches its own folder below, nothing else
U=$T/nb
install -d -o nobody -g nogroup -m 0700 "$U"

# wait_start: until rampartd listens or has exited; 0 when it listens.
started() {
	! kill -0 "$RD_PID" 2>/dev/null ||
		[ "$(grep -c 'listening on' "$T/rd.log")" -gt "$1" ]
}
wait_start() {
	wait_until "rampartd listening or gone" started "$1"
	kill -0 "$RD_PID" 2>/dev/null
}

# status_field PID NAME: a line of /proc/PID/status without its name.
status_field() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s '[:space:]' ' ' |
		sed 's/ $//'
}

# check_unprivileged PID [BOUNDING]: every id nobody/nogroup, no
# capability (the bounding set BOUNDING, default none), no_new_privs.
check_unprivileged() {
	local pid=$1 bnd=${2:-0000000000000000} f v
	[ "$(status_field "$pid" Uid)" = "$NB_UID $NB_UID $NB_UID $NB_UID" ] ||
		fail "uids: $(status_field "$pid" Uid)"
	[ "$(status_field "$pid" Gid)" = "$NB_GID $NB_GID $NB_GID $NB_GID" ] ||
		fail "gids: $(status_field "$pid" Gid)"
	for v in $(status_field "$pid" Groups); do
		[ "$v" = "$NB_GID" ] || fail "supplementary group $v"
	done
	for f in CapInh CapPrm CapEff CapAmb; do
		[ "$(status_field "$pid" $f)" = 0000000000000000 ] ||
			fail "$f is $(status_field "$pid" $f)"
	done
	[ "$(status_field "$pid" CapBnd)" = "$bnd" ] ||
		fail "CapBnd is $(status_field "$pid" CapBnd)"
	[ "$(status_field "$pid" NoNewPrivs)" = 1 ] || fail "no_new_privs not set"
}

# enroll_one SERIAL: allowlist SERIAL, a claim, simpleenroll with openssl
# req + curl; the certificate verifies under the fleet root.
enroll_one() {
	local sn=$1 code
	printf 'serial,hw_type,hw_token,group,tags\n%s,tpm2,,line-a,\n' "$sn" \
		>"$T/$sn.csv"
	cli allowlist import "$T/$sn.csv" >"$T/out" || fail "allowlist import $sn"
	cli claim create --group line-a --expires 1d --out "$T/claim-$sn" \
		>/dev/null || fail "claim create"
	new_key "$T/$sn.key"
	csr_b64 "$T/$sn.key" "$sn" >"$T/$sn.b64"
	code=$(est POST simpleenroll "$T/claim-$sn.pem" "$T/claim-$sn.key" \
		"$T/$sn.b64" "$T/$sn.p7")
	[ "$code" = 200 ] || fail "simpleenroll $sn: HTTP $code"
	p7_to_pem "$T/$sn.p7" "$T/$sn.pem"
	openssl verify -CAfile "$CA" -untrusted "$DIR/pki/issuing.pem" \
		-purpose sslclient "$T/$sn.pem" >/dev/null ||
		fail "openssl verify refused $sn's certificate"
}

# check_files DIR TOKEN: every file under DIR (and DIR) is nobody:nogroup
# with its documented mode; a file the table does not know fails.
check_files() {
	local dir=$1 tok=$2 f rel want n=0
	[ "$(stat -c '%U:%G %a' "$tok")" = "nobody:nogroup 600" ] ||
		fail "token file: $(stat -c '%U:%G %a' "$tok")"
	while IFS= read -r -d '' f; do
		rel=${f#"$dir"}
		rel=${rel#/}
		case $rel in
		"") want=700 ;;
		rampart.db | rampart.db-wal | rampart.db-shm) want=600 ;;
		pki) want=700 ;;
		pki/*.key) want=600 ;;
		pki/*.pem | pki/crl.der) want=644 ;;
		broker) want=750 ;;
		broker/fleet.snapshot) want=640 ;;
		releases) want=700 ;;
		releases/*.img) want=600 ;;
		*) fail "undocumented file in the data directory: $rel" ;;
		esac
		[ "$(stat -c '%U:%G %a' "$f")" = "nobody:nogroup $want" ] ||
			fail "$rel: $(stat -c '%U:%G %a' "$f"), want nobody:nogroup $want"
		n=$((n + 1))
	done < <(find "$dir" -print0)
	[ $n -ge 18 ] || fail "only $n files checked in $dir"
	for f in rampart.db pki/root.key pki/issuing.key pki/claim-ca.key \
		pki/server.key pki/service.key pki/monitor.key pki/crl.pem \
		broker/fleet.snapshot releases; do
		[ -e "$dir/$f" ] || fail "$f missing"
	done
}

# --- 1. unprivileged from the start, as rampartd.service runs it
DIR=$U/data
install -d -o nobody -g nogroup -m 0700 "$DIR"
setpriv --reuid="$NB_UID" --regid="$NB_GID" --clear-groups --no-new-privs \
	--bounding-set=-all --inh-caps=-all \
	"$BIN/rampartd" --foreground --data-dir "$DIR" --port 0 \
	--setup-token-file "$U/token" >>"$T/rd.log" 2>&1 &
RD_PID=$!
wait_start 0 || fail "rampartd as nobody did not start"
PORT=$(grep 'listening on' "$T/rd.log" | tail -1 |
	sed 's|.*https://[^:]*:\([0-9]*\)/.*|\1|')
URL=https://127.0.0.1:$PORT
CA=$DIR/pki/root.pem
cp "$U/token" "$T/token"
check_unprivileged "$RD_PID"
! grep -q 'running as root' "$T/rd.log" || fail "an unprivileged start warned about root"
ok "started by setpriv as nobody (as rampartd.service): uid/gid nobody, no capabilities, no_new_privs"

enroll_one SN-1
cli device revoke SN-1 --reason keyCompromise >"$T/out" || fail "revoke SN-1"
wait_until "the snapshot after the revocation" \
	grep -q 'written after a revocation' "$T/rd.log"
ok "as nobody: SN-1 enrolled over EST (openssl + curl), revoked (CRL, snapshot)"
stop_rd
check_files "$DIR" "$U/token"
ok "as nobody: every file of the data directory is nobody's, with the documented modes"

# --- 1b. the system calls it makes are all in rampartd.service's filter
# (SystemCallFilter=@system-service, then ~@privileged @resources): the
# same start, an enrollment, a revocation, SIGHUP and SIGTERM under strace
# (leak checking off: it would ptrace the process at exit)
expand() { # the system calls of a systemd set, subsets expanded
	systemd-analyze syscall-filter "$1" | sed -n '2,$s/^ *//p' |
		grep -v '^#' | grep -v '^$' | while read -r n; do
		case $n in
		@*) expand "$n" ;;
		*) echo "$n" ;;
		esac
	done
}
expand @system-service | sort -u >"$T/allowed"
{ expand @privileged; expand @resources; } | sort -u >"$T/denied"
comm -23 "$T/allowed" "$T/denied" >"$T/filter"
grep -qx openat "$T/filter" && ! grep -qx setuid "$T/filter" ||
	fail "cannot read systemd's system call sets"
n=$(grep -c 'listening on' "$T/rd.log")
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -f -qq -o "$T/trace" \
	setpriv --reuid="$NB_UID" --regid="$NB_GID" --clear-groups \
	--no-new-privs --bounding-set=-all --inh-caps=-all \
	"$BIN/rampartd" --foreground --data-dir "$DIR" --port 0 \
	>>"$T/rd.log" 2>&1 &
ST_PID=$!
RD_PID=$ST_PID
wait_start "$n" || fail "rampartd under strace did not start"
RD_PID=$(grep 'listening on' "$T/rd.log" | tail -1 |
	sed 's/.*rampartd\[\([0-9]*\)\].*/\1/')
PORT=$(grep 'listening on' "$T/rd.log" | tail -1 |
	sed 's|.*https://[^:]*:\([0-9]*\)/.*|\1|')
URL=https://127.0.0.1:$PORT
enroll_one SN-3
cli device revoke SN-3 --reason keyCompromise >"$T/out" || fail "revoke SN-3"
kill -HUP "$RD_PID"
wait_until "SIGHUP" grep -q 'SIGHUP: no configuration file' "$T/rd.log"
kill -TERM "$RD_PID"
wait "$ST_PID" || fail "rampartd under strace: exit $?"
RD_PID=
# the calls after setpriv's execve of rampartd
awk '/execve\("[^"]*rampartd"/ { f = 1 } f' "$T/trace" |
	sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' | sort -u >"$T/used"
[ "$(wc -l <"$T/used")" -ge 30 ] || fail "strace saw only $(wc -l <"$T/used") calls"
outside=$(comm -23 "$T/used" "$T/filter" | tr '\n' ' ')
[ -z "$outside" ] || fail "system calls outside rampartd.service's filter: $outside"
check_files "$DIR" "$U/token"
ok "under strace: the $(wc -l <"$T/used") system calls rampartd made are all in rampartd.service's SystemCallFilter"

# --- 3a. root without --user on nobody's data directory: refused, untouched
touch "$T/mark"
n=$(wc -l <"$T/rd.log")
st=0
timeout "$DEADLINE_S" "$BIN/rampartd" --foreground --data-dir "$DIR" --port 0 \
	>>"$T/rd.log" 2>&1 || st=$?
[ $st = 1 ] || fail "root on nobody's data directory: exit $st, want 1"
tail -n +$((n + 1)) "$T/rd.log" | grep -q "refusing to run as root: the data directory $DIR belongs to nobody" ||
	fail "no refusal message: $(tail -n +$((n + 1)) "$T/rd.log")"
tail -n +$((n + 1)) "$T/rd.log" | grep -q -- '--user nobody' ||
	fail "the refusal does not say what to do"
[ -z "$(find "$DIR" -newer "$T/mark")" ] || fail "the refused start wrote: $(find "$DIR" -newer "$T/mark")"
check_files "$DIR" "$U/token"
ok "root without --user on nobody's data directory: refused (exit 1, says --user nobody), nothing written"

# --- 2. root with --user nobody on a port below 1024
DIR=$U/data2 # missing: made for nobody
rm -f "$T/token"
bound=
for p in $(shuf -i 600-1000 -n 10); do
	n=$(grep -c 'listening on' "$T/rd.log" || true)
	"$BIN/rampartd" --foreground --data-dir "$DIR" --port "$p" \
		--user nobody --setup-token-file "$U/token2" >>"$T/rd.log" 2>&1 &
	RD_PID=$!
	if wait_start "$n"; then
		bound=$p
		break
	fi
	wait "$RD_PID" || true
	RD_PID=
	grep -q "cannot listen on 127.0.0.1:$p" "$T/rd.log" ||
		fail "--user nobody on port $p: exited without a bind error"
done
[ -n "$bound" ] || fail "no free port below 1024 in 10 tries"
URL=https://127.0.0.1:$bound
CA=$DIR/pki/root.pem
cp "$U/token2" "$T/token"
check_unprivileged "$RD_PID"
grep -q "running as nobody (uid $NB_UID, gid $NB_GID); CAP_NET_BIND_SERVICE kept until the port is bound" "$T/rd.log" ||
	fail "no log line of the change of user"
grep -q 'port bound: no capabilities left' "$T/rd.log" ||
	fail "no log line of the last capability dropped"
ok "root --user nobody: port $bound bound, then uid/gid nobody, no capabilities, no_new_privs"
enroll_one SN-2
ok "root --user nobody: SN-2 enrolled over EST on port $bound"
stop_rd
check_files "$DIR" "$U/token2"
ok "root --user nobody: the data directory made for nobody, every file nobody's with the documented modes"

# --- 2b. as systemd with AmbientCapabilities=CAP_NET_BIND_SERVICE (the
# drop-in of docs/deploy.md for a port below 1024): the port is bound,
# then the capability is gone
n=$(grep -c 'listening on' "$T/rd.log")
setpriv --reuid="$NB_UID" --regid="$NB_GID" --clear-groups --no-new-privs \
	--bounding-set=-all,+net_bind_service --inh-caps=-all,+net_bind_service \
	--ambient-caps=+net_bind_service \
	"$BIN/rampartd" --foreground --data-dir "$DIR" --port "$bound" \
	>>"$T/rd.log" 2>&1 &
RD_PID=$!
wait_start "$n" || fail "rampartd with an ambient CAP_NET_BIND_SERVICE did not start on $bound"
check_unprivileged "$RD_PID" 0000000000000400
[ "$(grep -c 'port bound: no capabilities left' "$T/rd.log")" = 2 ] ||
	fail "the ambient capability was not dropped after the bind"
code=$(est GET cacerts - - - "$T/cacerts.b64")
[ "$code" = 200 ] || fail "cacerts on $bound: HTTP $code"
stop_rd
ok "as nobody with an ambient CAP_NET_BIND_SERVICE: port $bound bound, then no capability left (the bounding set cannot shrink without CAP_SETPCAP)"

# --- 3b. the other refusals, each before anything is written
refused() { # WANT_EXIT MESSAGE CMD...: exits WANT_EXIT, logs MESSAGE
	local want=$1 msg=$2 st=0 n
	shift 2
	n=$(wc -l <"$T/rd.log")
	timeout "$DEADLINE_S" "$@" >>"$T/rd.log" 2>&1 || st=$?
	[ "$st" = "$want" ] || fail "$*: exit $st, want $want"
	tail -n +$((n + 1)) "$T/rd.log" | grep -qF -- "$msg" ||
		fail "$*: no '$msg' in: $(tail -n +$((n + 1)) "$T/rd.log")"
	! grep -q Sanitizer "$T/rd.log" || fail "sanitizer report"
}
refused 2 "--user no-such-user-$$: no such user" \
	"$BIN/rampartd" --foreground --data-dir "$U/x" --port 0 \
	--user "no-such-user-$$"
refused 2 "--user root: only root can become another user (rampartd runs as nobody)" \
	setpriv --reuid="$NB_UID" --regid="$NB_GID" --clear-groups \
	"$BIN/rampartd" --foreground --data-dir "$U/x" --port 0 --user root
install -d -m 0700 "$T/rootdir"
refused 1 "--user nobody: the data directory $T/rootdir belongs to root, not to nobody" \
	"$BIN/rampartd" --foreground --data-dir "$T/rootdir" --port 0 \
	--user nobody
[ -z "$(ls -A "$T/rootdir")" ] || fail "the refused start wrote into $T/rootdir"
[ ! -e "$U/x" ] || fail "a refused start created $U/x"
ok "refused: an unknown --user (2), --user without root (2), --user NAME on another user's directory (1)"

# a data directory others may write: refused whoever starts rampartd
install -d -o nobody -g nogroup -m 0770 "$U/gw"
refused 1 "refusing the data directory $U/gw: it is writable by its group (mode 0770)" \
	"$BIN/rampartd" --foreground --data-dir "$U/gw" --port 0 --user nobody
install -d -o nobody -g nogroup -m 0703 "$U/ow"
refused 1 "refusing the data directory $U/ow: it is writable by every user (mode 0703)" \
	setpriv --reuid="$NB_UID" --regid="$NB_GID" --clear-groups \
	"$BIN/rampartd" --foreground --data-dir "$U/ow" --port 0
[ -z "$(find "$U/gw" "$U/ow" -mindepth 1)" ] || fail "a refused start wrote into a writable directory"
ok "refused: a data directory writable by its group (--user nobody) or by every user (as nobody), nothing written"

# root on its own data directory: runs on, with a warning (stopped here
# by an unknown --decommission id, after the store is open)
refused 1 "running as root, which rampartd does not need: give --user NAME" \
	"$BIN/rampartd" --foreground --data-dir "$T/rootdir" --port 0 \
	--decommission no-such
grep -q -- '--decommission no-such: no such device in the store' "$T/rd.log" ||
	fail "root on its own directory did not go on to open the store"
[ "$(stat -c %U "$T/rootdir/rampart.db")" = root ] || fail "store not root's"
ok "root without --user on a root-owned data directory: a warning, then start-up as before"
