/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_snapshot.c - libFuzzer harness for the broker's fleet-state snapshot
 * parser: any input parses or fails cleanly (no leak, *out NULL on
 * failure), and in what parses every "device" line is found again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rampart/broker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rp_broker_snapshot *s = (rp_broker_snapshot *)1;
	enum rp_broker_role role;
	enum rp_broker_state st;
	char id[RP_BROKER_ID_MAX + 1];
	size_t line = 0, i, n;
	rp_err rc;

	rc =
	    rp_broker_snapshot_parse((const char *)data, size, NULL, &s, &line);
	if (rc != RP_OK) {
		if (s != NULL)
			abort();
		return 0;
	}
	if (size < 3 || line != 0)
		abort();
	/* Every "device X STATE" line of the input is found with STATE. */
	for (i = 0; i + 7 < size; i++) {
		if ((i > 0 && data[i - 1] != '\n') ||
		    memcmp(data + i, "device ", 7) != 0)
			continue;
		for (n = 0; n < RP_BROKER_ID_MAX && i + 7 + n < size &&
		            data[i + 7 + n] != ' ';
		     n++)
			id[n] = (char)data[i + 7 + n];
		id[n] = '\0';
		rp_broker_snapshot_lookup(s, id, &role, &st);
		if (role != RP_BROKER_ROLE_DEVICE || st == RP_BROKER_UNKNOWN)
			abort();
	}
	rp_broker_snapshot_free(s);
	return 0;
}
