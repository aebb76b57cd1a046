/* SPDX-License-Identifier: Apache-2.0 */
/* items.c - the ingest items of items.h. */
#include <stdio.h>
#include <string.h>

#include "items.h"

struct store_in store_test_tel(const char *serial, uint64_t seq, int64_t at)
{
	struct store_in it;

	memset(&it, 0, sizeof it);
	it.kind = STORE_IN_TELEMETRY;
	snprintf(it.serial, sizeof it.serial, "%s", serial);
	it.received_at = at;
	it.u.tel.seq = seq;
	it.u.tel.ts = at - 1;
	it.u.tel.uptime_s = 100 + seq;
	it.u.tel.cpu_permille = 250;
	it.u.tel.mem_total_kb = 1024;
	it.u.tel.mem_avail_kb = 512;
	it.u.tel.n_tcp = 2;
	it.u.tel.tcp[0] = 22;
	it.u.tel.tcp[1] = 8883;
	it.u.tel.n_udp = 1;
	it.u.tel.udp[0] = 53;
	snprintf(it.u.tel.fw_version, sizeof it.u.tel.fw_version, "1.4.%llu",
	         (unsigned long long)seq);
	memset(it.u.tel.fw_sha256, 'a', 64);
	it.u.tel.msgs_sent = seq;
	it.u.tel.dropped = 3;
	it.u.tel.interval_s = 10;
	it.u.tel.log_seq = 7;
	memset(it.u.tel.log_head, 'b', 64);
	return it;
}
