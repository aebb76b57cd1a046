#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The freestanding objects (lib/core/*.c as built into rampart_core, and
# the boot core library) must not reference the heap, stdio, or any OS
# call: nm lists what they need from outside, and none of it may be one of
# the names below. (The Cortex-M4 build, boot/mcu/build.sh, checks the
# stricter converse: nothing but mem* and compiler helpers.)
# usage: core_freestanding.sh OBJECT_OR_ARCHIVE...
set -euo pipefail
deny='malloc|calloc|realloc|free|aligned_alloc|posix_memalign|strdup|strndup'
deny+='|printf|fprintf|sprintf|snprintf|vprintf|vfprintf|vsnprintf|puts|fputs'
deny+='|putchar|fopen|fclose|fread|fwrite|fflush|fseek|open|openat|close|read'
deny+='|write|pread|pwrite|lseek|mmap|exit|_exit|abort|getenv|time|clock_gettime'
deny+='|gettimeofday|sleep|usleep|nanosleep|pthread_[a-z_]+|syslog|errno'
deny+='|__errno_location|signal|raise|socket|connect|dlopen|qsort|rand|srand'
n=0
bad=""
for f in "$@"; do
	n=$((n + 1))
	hits=$(nm -u "$f" 2>/dev/null | awk '{print $NF}' | sed 's/@.*//' |
		grep -Ex "($deny)" | sort -u || true)
	[ -n "$hits" ] && bad+="$(basename "$f"): $(echo $hits)"$'\n'
done
if [ -n "$bad" ]; then
	echo "freestanding objects use the heap, stdio or the OS:"
	printf '%s' "$bad"
	exit 1
fi
echo "freestanding: $n objects, no heap, stdio or OS calls"
