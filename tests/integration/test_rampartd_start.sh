#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_rampartd_start.sh - rampartd's start-up (docs/rampartd.md "Start-up,
# pidfile and log"):
#  1. a port another process listens on: exit 2, the reason and the flag
#     named, and nothing created (no data directory, no CA, no token);
#  2. detached: the pidfile (0644, the daemon's pid) and the log file
#     (0600, the lines of rp_log) in the data directory; a second start
#     on it refuses, naming the pid; SIGHUP after the log was moved away
#     (logrotate) writes a new log file; SIGTERM removes the pidfile;
#  3. a stale pidfile (a pid that is gone) is replaced;
#  4. --pidfile and --log-file elsewhere, relative paths included;
#  5. --check-config: the examples/ file and a good file pass (exit 0, no
#     data directory needed), a bad key fails naming it (exit 2);
#  6. as root with --user nobody: pidfile and log are nobody's;
#  7. a directory above the data directory that others may write (and is
#     not sticky), or (as root) that another user owns: refused, exit 1,
#     naming it and the chmod/chown; a sticky one (like /tmp) is fine.
# Every rampartd's ASan/UBSan reports (a detached one's stderr is
# /dev/null) go to files under the test directory: any one fails it.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rd_lib.sh"
top=$(cd "$here/../.." && pwd)

# A detached rampartd's stderr is /dev/null: its sanitizer reports go to
# files in $T/san (ASan's and UBSan's log_path, added to the options the
# caller set), and any file there fails the test (san_clean).
mkdir -m 0700 "$T/san"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$T/san/asan
export UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$T/san/ubsan
san_clean() {
	[ -z "$(ls -A "$T/san")" ] ||
		fail "sanitizer report of rampartd ($1): $(cat "$T"/san/*)"
}

HOLD_PID=
trap 'rc=$?; [ -z "$HOLD_PID" ] || kill "$HOLD_PID" 2>/dev/null; (exit $rc); cleanup' EXIT

gone() { ! kill -0 "$1" 2>/dev/null; }
has() { [ -s "$1" ] && grep -q -- "$2" "$1"; }
mode() { stat -c %a "$1"; }

# --- 1. the port is taken: say so before creating anything
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
open(sys.argv[1] + ".tmp", "w").write("%d\n" % s.getsockname()[1])
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True: time.sleep(3600)  # holds the port until killed
' "$T/held" &
HOLD_PID=$!
wait_until "a port held" test -s "$T/held"
HELD=$(cat "$T/held")
st=0
"$BIN/rampartd" --data-dir "$T/d1" --port "$HELD" \
	--setup-token-file "$T/tok1" >"$T/o1" 2>&1 || st=$?
[ $st -eq 2 ] || fail "port in use: exit $st, not 2"
grep -q "cannot listen on 127.0.0.1:$HELD: address already in use (another rampartd? see --listen and --port)" "$T/o1" ||
	fail "port in use: no reason given: $(cat "$T/o1")"
[ ! -e "$T/d1" ] && [ ! -e "$T/tok1" ] || fail "port in use, yet something was created"
mkdir -m 0700 "$T/d1"
"$BIN/rampartd" --foreground --data-dir "$T/d1" --port "$HELD" >"$T/o1" 2>&1 && fail "started on a held port"
[ -z "$(ls -A "$T/d1")" ] || fail "port in use, yet the data directory has $(ls -A "$T/d1")"
grep -q "one-time setup token" "$T/o1" && fail "a setup token was printed for a rampartd that cannot start"
ok "a port in use: exit 2, 'address already in use (another rampartd?...', nothing created"
kill "$HOLD_PID"
wait "$HOLD_PID" 2>/dev/null || true
HOLD_PID=

# --- 2. detached: pidfile and log file in the data directory
D=$T/d2
"$BIN/rampartd" --data-dir "$D" --port 0 --setup-token-file "$T/tok2" >"$T/o2" 2>&1 ||
	fail "detached start: $(cat "$T/o2")"
wait_until "pidfile" test -s "$D/rampartd.pid"
RD_PID=$(cat "$D/rampartd.pid")
[[ $RD_PID =~ ^[0-9]+$ ]] || fail "pidfile holds '$RD_PID'"
kill -0 "$RD_PID" || fail "pid $RD_PID of the pidfile is not running"
[ "$(cat "/proc/$RD_PID/comm")" = rampartd ] || fail "pid $RD_PID is not rampartd"
[ "$(mode "$D/rampartd.pid")" = 644 ] || fail "pidfile mode $(mode "$D/rampartd.pid")"
wait_until "log file: listening" has "$D/rampartd.log" "listening on"
[ "$(mode "$D/rampartd.log")" = 600 ] || fail "log file mode $(mode "$D/rampartd.log")"
grep -q "rampartd\[$RD_PID\]: info: listening on https://127.0.0.1:" "$D/rampartd.log" ||
	fail "the daemon's lines are not in the log file"
grep -q "detaching: log in $D/rampartd.log, pid in $D/rampartd.pid" "$T/o2" ||
	fail "the terminal was not told where the log and pid go: $(cat "$T/o2")"
ok "detached: pidfile (0644, pid $RD_PID) and log file (0600) in the data directory"

st=0
"$BIN/rampartd" --data-dir "$D" --port 0 >"$T/o3" 2>&1 || st=$?
[ $st -eq 2 ] || fail "second start on a live pidfile: exit $st"
grep -q "already running as pid $RD_PID (pidfile $D/rampartd.pid)" "$T/o3" ||
	fail "second start does not name the pid: $(cat "$T/o3")"
[ "$(cat "$D/rampartd.pid")" = "$RD_PID" ] || fail "the live pidfile was changed"
ok "a second start while the first runs: exit 2, names pid $RD_PID"

mv "$D/rampartd.log" "$D/rampartd.log.1"
kill -HUP "$RD_PID"
wait_until "a new log file after SIGHUP" has "$D/rampartd.log" "SIGHUP"
grep -q SIGHUP "$D/rampartd.log.1" && fail "SIGHUP line went to the moved log"
ok "SIGHUP reopens the log file (logrotate)"

kill -TERM "$RD_PID"
wait_until "rampartd gone" gone "$RD_PID"
[ ! -e "$D/rampartd.pid" ] || fail "pidfile left after a clean exit"
grep -q "info: stopped" "$D/rampartd.log" || fail "no 'stopped' in the log"
grep -q Sanitizer "$D/rampartd.log" "$D/rampartd.log.1" && fail "sanitizer report"
san_clean "detached, after SIGTERM"
RD_PID=
ok "SIGTERM: clean exit, pidfile removed"

# --- 3. a stale pidfile: its process is gone
true &
dead=$!
wait "$dead"
echo "$dead" >"$D/rampartd.pid"
"$BIN/rampartd" --data-dir "$D" --port 0 >"$T/o4" 2>&1 || fail "stale pidfile: $(cat "$T/o4")"
grep -q "pidfile $D/rampartd.pid: pid $dead is gone; replacing it" "$T/o4" ||
	fail "stale pidfile not reported: $(cat "$T/o4")"
wait_until "pidfile replaced" bash -c "[ \"\$(cat '$D/rampartd.pid')\" != $dead ]"
RD_PID=$(cat "$D/rampartd.pid")
kill -0 "$RD_PID" || fail "replaced pidfile names no live process"
kill -TERM "$RD_PID"
wait_until "rampartd gone" gone "$RD_PID"
RD_PID=
ok "a stale pidfile (pid $dead gone) is replaced"

# --- 3b. the pidfile is a lock: whoever holds it wins, whatever its pid
# is (here this shell, not a rampartd: a check of the pid alone would
# call it stale and start a second server on the same data)
exec 9>>"$D/rampartd.pid"
flock -n 9 || fail "could not lock the pidfile for the test"
echo $$ >"$D/rampartd.pid"
st=0
"$BIN/rampartd" --data-dir "$D" --port 0 >"$T/o4b" 2>&1 || st=$?
[ $st -eq 2 ] || fail "a held pidfile: exit $st: $(cat "$T/o4b")"
grep -q "already running as pid $$ (pidfile $D/rampartd.pid)" "$T/o4b" ||
	fail "a held pidfile: the pid is not named: $(cat "$T/o4b")"
: >"$D/rampartd.pid" # held, no pid yet: a rampartd still starting
st=0
"$BIN/rampartd" --data-dir "$D" --port 0 >"$T/o4b" 2>&1 || st=$?
[ $st -eq 2 ] && grep -q "another rampartd is starting (pidfile $D/rampartd.pid is locked)" "$T/o4b" ||
	fail "a held empty pidfile: exit $st: $(cat "$T/o4b")"
exec 9>&-
ok "a locked pidfile refuses the start (exit 2, its pid named, or 'starting' when empty)"

# --- 4. --pidfile and --log-file, relative to where it was started
mkdir -m 0700 "$T/run"
(cd "$T/run" && "$BIN/rampartd" --data-dir ../d4 --port 0 --pidfile rd.pid \
	--log-file rd.log --setup-token-file ../tok4) >"$T/o5" 2>&1 || fail "--pidfile: $(cat "$T/o5")"
wait_until "--pidfile" test -s "$T/run/rd.pid"
RD_PID=$(cat "$T/run/rd.pid")
wait_until "--log-file: listening" has "$T/run/rd.log" "listening on"
[ ! -e "$T/d4/rampartd.pid" ] && [ ! -e "$T/d4/rampartd.log" ] ||
	fail "--pidfile/--log-file given, yet files in the data directory"
kill -TERM "$RD_PID"
wait_until "rampartd gone" gone "$RD_PID"
RD_PID=
[ ! -e "$T/run/rd.pid" ] || fail "--pidfile left after a clean exit"
# in the foreground: the log file only with --log-file, no pidfile
"$BIN/rampartd" --foreground --data-dir "$T/d5" --port 0 --log-file "$T/fg.log" \
	--setup-token-file "$T/tok5" >>"$T/rd.log" 2>&1 &
RD_PID=$!
wait_until "foreground --log-file" has "$T/fg.log" "listening on"
[ ! -e "$T/d5/rampartd.pid" ] || fail "a pidfile in the foreground without --pidfile"
[ ! -e "$T/d5/rampartd.log" ] || fail "a log file in the data directory in the foreground"
stop_rd
ok "--pidfile and --log-file (relative paths), foreground --log-file"

# --- 5. --check-config
out=$("$BIN/rampartd" --check-config --config "$top/examples/rampartd.conf") ||
	fail "examples/rampartd.conf: $out"
[ "$out" = "rampartd: $top/examples/rampartd.conf: configuration is valid" ] ||
	fail "--check-config said: $out"
printf '[server]\nport = 9443\nlog_level = debug\n' >"$T/good.conf"
"$BIN/rampartd" --check-config --config "$T/good.conf" >/dev/null || fail "good.conf refused"
printf '[server]\nport = 9443\nlisten_on = 0.0.0.0\n' >"$T/bad.conf"
st=0
"$BIN/rampartd" --check-config --config "$T/bad.conf" >"$T/o6" 2>&1 || st=$?
[ $st -eq 2 ] && grep -q listen_on "$T/o6" || fail "bad.conf: exit $st: $(cat "$T/o6")"
printf '[server]\nlog_level = loud\n' >"$T/bad2.conf"
st=0
"$BIN/rampartd" --check-config --config "$T/bad2.conf" >"$T/o7" 2>&1 || st=$?
[ $st -eq 2 ] && grep -q "bad log level 'loud'" "$T/o7" || fail "bad2.conf: exit $st: $(cat "$T/o7")"
ok "--check-config: examples/rampartd.conf and a good file pass, a bad key and a bad level exit 2"

# --- 6. --user: the files are the user's (created after the change)
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chmod 0711 "$T"
	"$BIN/rampartd" --user nobody --data-dir "$T/d6" --port 0 \
		--setup-token-file "$T/d6/token" >"$T/o8" 2>&1 || fail "--user nobody: $(cat "$T/o8")"
	wait_until "--user pidfile" test -s "$T/d6/rampartd.pid"
	RD_PID=$(cat "$T/d6/rampartd.pid")
	wait_until "--user log: listening" has "$T/d6/rampartd.log" "listening on"
	[ "$(stat -c %U "$T/d6/rampartd.pid") $(stat -c %U "$T/d6/rampartd.log")" = "nobody nobody" ] ||
		fail "--user nobody: pidfile/log owned by $(stat -c %U "$T/d6/rampartd.pid" "$T/d6/rampartd.log")"
	kill -TERM "$RD_PID"
	wait_until "rampartd gone" gone "$RD_PID"
	RD_PID=
	[ ! -e "$T/d6/rampartd.pid" ] || fail "--user: pidfile left after a clean exit"
	ok "--user nobody: pidfile and log file are nobody's, removed on exit"
else
	echo "# not root: --user part not run (test_least_privilege covers --user as root)"
fi
# --- 7. the directories above the data directory (OpenSSH's safe_path)
# refused_parent WANT_MSG DATA_DIR: exit 1, WANT_MSG said, nothing made
refused_parent() {
	local st=0
	timeout "$DEADLINE_S" "$BIN/rampartd" --foreground --data-dir "$2" --port 0 \
		--setup-token-file "$T/tok7" >"$T/o9" 2>&1 || st=$?
	[ $st -eq 1 ] || fail "$2: exit $st, not 1: $(cat "$T/o9")"
	grep -qF -- "$1" "$T/o9" || fail "$2: no '$1' in: $(cat "$T/o9")"
	! grep -q Sanitizer "$T/o9" || fail "sanitizer report"
	[ ! -e "$T/tok7" ] || fail "$2 refused, yet a setup token was written"
}
install -d -m 0777 "$T/w7"
install -d -m 0700 "$T/w7/sub/data"
chmod 0777 "$T/w7" # install -d obeys the umask for the parents
refused_parent "refusing the data directory $T/w7/sub/data: $T/w7 above it is writable by every user (mode 0777, not sticky), who could rename it away and put another in its place; chmod go-w $T/w7" \
	"$T/w7/sub/data"
[ -z "$(ls -A "$T/w7/sub/data")" ] || fail "a refused start wrote into $T/w7/sub/data"
chmod 0775 "$T/w7"
refused_parent "$T/w7 above it is writable by its group (mode 0775, not sticky)" "$T/w7/sub/data"
# a data directory not made yet: its parents are checked all the same
refused_parent "refusing the data directory $T/w7/new: $T/w7 above it is writable by its group" "$T/w7/new"
[ ! -e "$T/w7/new" ] || fail "a refused start created $T/w7/new"
# a symbolic link is resolved: the directories really above are checked
ln -s "$T/w7/sub/data" "$T/link7"
refused_parent "refusing the data directory $T/link7: $T/w7 above it" "$T/link7"
ok "refused: a group- or world-writable directory above the data directory (existing, new, through a link)"
chmod 1777 "$T/w7"
start_rd "$T/w7/sub/data"
stop_rd
ok "a sticky world-writable directory above the data directory (like /tmp) is accepted"
# a link in a directory others may write, to a safe data directory: they
# can point the link elsewhere, so its own directory counts too
chmod 0755 "$T/w7"
install -d -m 0777 "$T/w8"
chmod 0777 "$T/w8"
ln -s "$T/w7/sub/data" "$T/w8/lnk"
refused_parent "refusing the data directory $T/w8/lnk: $T/w8 above it is writable by every user" "$T/w8/lnk"
ok "refused: a link to the data directory in a directory every user may write"
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	chmod 0755 "$T/w7"
	chown nobody "$T/w7/sub"
	refused_parent "refusing the data directory $T/w7/sub/data: $T/w7/sub above it belongs to nobody, who could rename it away and put another in its place; chown root $T/w7/sub" \
		"$T/w7/sub/data"
	ok "refused: a directory above the data directory that another user owns"
else
	echo "SKIPPED: not root: the owner part of 7 (it needs chown) did not run" >&2
fi
san_clean "the whole test"
ok "no sanitizer report file in $T/san (detached rampartd's ASan/UBSan log_path)"
echo "all $CHECKS checks passed"
