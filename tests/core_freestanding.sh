#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The freestanding objects (lib/core/*.c as built into rampart_core, and
# the boot core library) must not reference the heap, stdio, or any OS
# call: nm lists what they need from outside, and none of it may be one of
# the names below. (The Cortex-M4 build, boot/mcu/build.sh, checks the
# stricter converse: nothing but mem* and compiler helpers.)
# A check that reads nothing proves nothing: no argument, a file nm cannot
# read (missing, not an object, a format it does not know), or an object or
# archive member that defines no symbol at all (nm read nothing in it, or
# it is empty) fails the test too.
# usage: core_freestanding.sh OBJECT_OR_ARCHIVE...
set -euo pipefail
deny='malloc|calloc|realloc|free|aligned_alloc|posix_memalign|strdup|strndup'
deny+='|printf|fprintf|sprintf|snprintf|vprintf|vfprintf|vsnprintf|puts|fputs'
deny+='|putchar|fopen|fclose|fread|fwrite|fflush|fseek|open|openat|close|read'
deny+='|write|pread|pwrite|lseek|mmap|exit|_exit|abort|getenv|time|clock_gettime'
deny+='|gettimeofday|sleep|usleep|nanosleep|pthread_[a-z_]+|syslog|errno'
deny+='|__errno_location|signal|raise|socket|connect|dlopen|qsort|rand|srand'
if [ $# -eq 0 ]; then
	echo "core_freestanding: no objects given (an empty object list?)" >&2
	exit 1
fi
err=$(mktemp)
trap 'rm -f "$err"' EXIT
unread=""
n=0
bad=""
for f in "$@"; do
	# every object (each member of an archive) defines something; nm's
	# "no symbols" is a warning on stderr with exit 0, so read stderr too
	if ! defs=$(nm -A --defined-only "$f" 2>"$err") || [ -s "$err" ]; then
		unread+="$f: $(tr '\n' ' ' <"$err")"$'\n'
		continue
	fi
	if [[ $f == *.a ]]; then
		members=$(ar t "$f") || {
			unread+="$f: ar cannot list it"$'\n'
			continue
		}
		[ -n "$members" ] || unread+="$f: an archive with no members"$'\n'
		for m in $members; do
			grep -qF "$f:$m:" <<<"$defs" ||
				unread+="$f($m): defines no symbol"$'\n'
			n=$((n + 1))
		done
	else
		[ -n "$defs" ] || unread+="$f: defines no symbol"$'\n'
		n=$((n + 1))
	fi
	undef=$(nm -u "$f" 2>"$err") && [ ! -s "$err" ] || {
		unread+="$f: $(tr '\n' ' ' <"$err")"$'\n'
		continue
	}
	hits=$(awk '{print $NF}' <<<"$undef" | sed 's/@.*//' |
		grep -Ex "($deny)" | sort -u || true)
	[ -z "$hits" ] || bad+="$(basename "$f"): $(echo $hits)"$'\n'
done
status=0
if [ -n "$unread" ]; then
	echo "core_freestanding: objects that could not be checked:"
	printf '%s' "$unread"
	status=1
fi
if [ -n "$bad" ]; then
	echo "freestanding objects use the heap, stdio or the OS:"
	printf '%s' "$bad"
	status=1
fi
[ $status -eq 0 ] || exit $status
echo "freestanding: $n objects, no heap, stdio or OS calls"
