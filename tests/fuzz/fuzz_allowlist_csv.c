/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_allowlist_csv.c - libFuzzer harness for rampartd's allowlist CSV
 * parser: every accepted row must satisfy the documented character sets
 * and lengths, and its serial the device-id rule (never a reserved id);
 * every error must name a line inside the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "est/csr.h"
#include "rampart/broker.h"
#include "registry/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int row(void *arg, unsigned line, const struct store_device *d)
{
	unsigned *lines = arg;

	if (line == 0 || line > *lines || !csr_id_valid(d->serial) ||
	    rp_broker_device_id_check(d->serial, strlen(d->serial), NULL, 0) !=
	        RP_OK ||
	    !csr_id_valid(d->hw_type) || !csr_id_valid(d->group) ||
	    (d->hw_token[0] && !csr_token_valid(d->hw_token)) ||
	    strlen(d->tags) > STORE_TAGS_MAX)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256];
	size_t rows = 0, i;
	unsigned lines = 1, at;
	rp_err rc;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	rc = allowlist_csv_parse((const char *)data, size, row, &lines, &rows,
	                         why, sizeof why);
	if (rc != RP_OK) {
		if (rc != RP_E_CSV || sscanf(why, "line %u:", &at) != 1 ||
		    at == 0 || at > lines)
			abort();
	}
	return 0;
}
