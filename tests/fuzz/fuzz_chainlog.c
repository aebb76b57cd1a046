/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_chainlog.c - libFuzzer harness for the event-log verifier and the
 * head recovery of rp_chainlog_open (lib/proto/chainlog.c). The input is a log:
 * rp_chainlog_verify_buf must report consistently (records = bad_line - 1,
 * a reason exactly when it fails), and the same bytes in a file must give
 * rp_chainlog_verify the same answer; where the chain verifies (or is only
 * torn), rp_chainlog_open must succeed and recover the verifier's head,
 * cutting a torn record exactly then, after which the file verifies.
 * Under faultsim (tests/faultsim/) a call may answer RP_E_NOMEM, and
 * only when an allocation failed during it; the run ends there.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../faultsim/faultsim.h"
#include "rampart/chainlog.h"
#include "rampart/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void cleanup(void)
{
	if (path[0] != '\0')
		unlink(path);
}

static void make_path(void)
{
	int fd;

	if (path[0] != '\0')
		return;
	snprintf(path, sizeof path, "/tmp/rp-fuzz-chainlog-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || rp_init() != RP_OK)
		abort();
	close(fd);
	atexit(cleanup);
}

/* rc is a refusal for memory that the fault caused, since failed. */
static bool no_memory(rp_err rc, unsigned long failed)
{
	return rc == RP_E_NOMEM && rp_faultsim_failures() != failed;
}

static void put_file(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
}

/* The file still holds exactly data[0..size). */
static bool file_is(const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "rb");
	size_t i = 0;
	int c;

	if (f == NULL)
		abort();
	while ((c = getc(f)) != EOF && i < size && c == data[i])
		i++;
	fclose(f);
	return c == EOF && i == size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rp_chainlog_report a, b;
	rp_chainlog *l = NULL;
	char head[65];
	uint64_t seq;
	unsigned long failed;
	rp_err rc, rc2;
	int torn = -1;

	make_path();
	failed = rp_faultsim_failures();
	rc = rp_chainlog_verify_buf((const char *)data, size, &a);
	if (no_memory(rc, failed))
		return 0;
	if (rc == RP_OK) {
		if (a.bad_line != 0 || a.reason != NULL ||
		    (size > 0 && data[size - 1] != '\n'))
			abort();
	} else if (rc == RP_E_CHAINLOG || rc == RP_E_CHAINLOG_TORN) {
		if (a.bad_line != a.records + 1 || a.reason == NULL)
			abort();
	} else {
		abort();
	}
	if ((a.records == 0) != (a.head[0] == '\0'))
		abort();

	put_file(data, size);
	failed = rp_faultsim_failures();
	rc2 = rp_chainlog_verify(path, &b);
	if (no_memory(rc2, failed))
		return 0;
	if (rc2 != rc || memcmp(&a, &b, sizeof a) != 0)
		abort();
	if (rc == RP_E_CHAINLOG)
		return 0;
	/* Intact or torn: open recovers the head from the tail. */
	failed = rp_faultsim_failures();
	rc2 = rp_chainlog_open(path, &l, &torn);
	if (no_memory(rc2, failed)) {
		/* refused before anything was cut */
		if (l != NULL || torn != 0 || !file_is(data, size))
			abort();
		return 0;
	}
	if (rc2 != RP_OK)
		abort();
	rp_chainlog_head(l, &seq, head);
	rp_chainlog_close(l);
	if (seq != a.records || strcmp(head, a.head) != 0 ||
	    torn != (rc == RP_E_CHAINLOG_TORN))
		abort();
	failed = rp_faultsim_failures();
	rc2 = rp_chainlog_verify(path, &b);
	if (no_memory(rc2, failed))
		return 0;
	if (rc2 != RP_OK || b.records != a.records)
		abort();
	return 0;
}
