/* SPDX-License-Identifier: Apache-2.0 */
/* items.c - the rows and ingest items of items.h. */
#include <stdio.h>
#include <string.h>

#include "items.h"

struct store_device store_test_dev(const char *serial, const char *group)
{
	struct store_device d;

	memset(&d, 0, sizeof d);
	snprintf(d.serial, sizeof d.serial, "%s", serial);
	snprintf(d.hw_type, sizeof d.hw_type, "tpm2");
	snprintf(d.group, sizeof d.group, "%s", group);
	return d;
}

struct store_cert store_test_cert(const char *serial, const char *subject,
                                  const char *kind, int64_t not_before,
                                  int64_t not_after)
{
	struct store_cert c;

	memset(&c, 0, sizeof c);
	snprintf(c.serial, sizeof c.serial, "%s", serial);
	snprintf(c.subject, sizeof c.subject, "%s", subject);
	snprintf(c.kind, sizeof c.kind, "%s", kind);
	c.not_before = not_before;
	c.not_after = not_after;
	return c;
}

struct store_in store_test_item(int kind, const char *serial, int64_t at)
{
	struct store_in it;

	memset(&it, 0, sizeof it);
	it.kind = kind;
	snprintf(it.serial, sizeof it.serial, "%s", serial);
	it.received_at = at;
	return it;
}

struct store_in store_test_event(const char *serial, int64_t at, uint64_t seq,
                                 int64_t count, const char *detail)
{
	struct store_in it = store_test_item(STORE_IN_EVENT, serial, at);

	it.u.ev.seq = seq;
	it.u.ev.ts = at - 1;
	it.u.ev.type = RP_EVENT_AUTH_FAILURE;
	it.u.ev.severity = RP_SEV_WARNING;
	it.u.ev.count = count;
	snprintf(it.u.ev.detail, sizeof it.u.ev.detail, "%s", detail);
	return it;
}

struct store_in store_test_tel(const char *serial, uint64_t seq, int64_t at)
{
	struct store_in it = store_test_item(STORE_IN_TELEMETRY, serial, at);

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
