/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_authwatch.c - libFuzzer harness for the auth-log watcher
 * (rp_authwatch_*, lib/port/posix/sysinfo.c): log lines carry text an
 * attacker chooses (user names, client versions). The input after its
 * first byte is appended to a watched file in up to four pieces (the
 * first byte picks where it is cut), with a poll after each; the failures
 * counted must equal those of the complete lines judged one by one with
 * rp_authwatch_line_is_failure, and the last line reported must be
 * printable and at most RP_DETAIL_MAX long. Under faultsim
 * (tests/faultsim/) open may answer RP_E_NOMEM, and only when an
 * allocation failed during it.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../faultsim/faultsim.h"
#include "rampart/sysinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void cleanup(void)
{
	if (path[0] != '\0')
		unlink(path);
}

static void append(const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "ab");

	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		abort();
}

/* Failures among the complete lines of p[0..n) (all shorter than the
 * watcher's 64 KiB chunk: the input is smaller). */
static uint64_t reference(const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n, *lf;
	uint64_t count = 0;

	while (p < end && (lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		count += rp_authwatch_line_is_failure((const char *)p,
		                                      (size_t)(lf - p)) != 0;
		p = lf + 1;
	}
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char last[RP_DETAIL_MAX + 1];
	rp_authwatch *w = NULL;
	uint64_t n, total = 0;
	size_t cut[4], i, at = 0, k;
	unsigned long failed;
	rp_err rc;
	int fd;

	if (size < 1 || size > 60000)
		return 0;
	if (path[0] == '\0') {
		snprintf(path, sizeof path, "/tmp/rp-fuzz-authwatch-XXXXXX");
		fd = mkstemp(path);
		if (fd < 0)
			abort();
		close(fd);
		atexit(cleanup);
	}
	if (truncate(path, 0) != 0)
		abort();
	/* Open on the empty file: everything appended is news. */
	failed = rp_faultsim_failures();
	rc = rp_authwatch_open(path, &w);
	if (rc == RP_E_NOMEM && rp_faultsim_failures() != failed && w == NULL)
		return 0;
	if (rc != RP_OK)
		abort();
	data++;
	size--;
	for (i = 0; i < 3; i++)
		cut[i] = size * (size_t)((data[-1] >> (2 * i)) & 3) / 4;
	cut[3] = size;
	for (i = 0; i < 4; i++) {
		if (cut[i] < at)
			cut[i] = at;
		append(data + at, cut[i] - at);
		at = cut[i];
		if (rp_authwatch_poll(w, &n, last) != RP_OK)
			abort();
		total += n;
		if (n > 0) {
			if (strlen(last) > RP_DETAIL_MAX)
				abort();
			for (k = 0; last[k] != '\0'; k++) {
				if (last[k] < 0x20 || last[k] > 0x7e)
					abort();
			}
		}
	}
	rp_authwatch_free(w);
	if (total != reference(data, size))
		abort();
	return 0;
}
