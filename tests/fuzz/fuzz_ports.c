/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_ports.c - libFuzzer harness for the /proc/net/{tcp,udp}[6] table
 * parser (rp_sysinfo_parse_ports, lib/port/posix/sysinfo.c). The first
 * byte picks TCP or UDP and the cap; the rest is the table, merged into a
 * list that already holds ports. A refusal leaves the list as it was; an
 * accepted table leaves it sorted, unique, without 0, within the cap, and
 * keeping every earlier port below the new largest.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rampart/sysinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t seed[] = {22, 443, 8883};
	uint16_t ports[RP_PORTS_MAX], before[RP_PORTS_MAX], n, cap, i, j;
	int tcp;
	rp_err rc;

	if (size < 1)
		return 0;
	tcp = data[0] & 1;
	cap = (uint16_t)(3 + (data[0] >> 1) % (RP_PORTS_MAX - 2));
	memset(ports, 0, sizeof ports);
	memcpy(ports, seed, sizeof seed);
	n = 3;
	memcpy(before, ports, sizeof ports);
	rc = rp_sysinfo_parse_ports((const char *)data + 1, size - 1, tcp,
	                            ports, &n, cap);
	if (rc != RP_OK) {
		if (rc != RP_E_SYNTAX || n != 3 ||
		    memcmp(ports, before, sizeof ports) != 0)
			abort();
		return 0;
	}
	if (n < 3 || n > cap)
		abort();
	for (i = 0; i < n; i++) {
		if (ports[i] == 0 || (i > 0 && ports[i] <= ports[i - 1]))
			abort();
	}
	for (j = 0; j < 3; j++) {
		int found = 0;

		for (i = 0; i < n; i++)
			found |= ports[i] == seed[j];
		if (!found && seed[j] < ports[n - 1])
			abort();
	}
	return 0;
}
