/* SPDX-License-Identifier: Apache-2.0 */
/*
 * renew.c - the renewal schedule and the retry backoff of rampart-agent
 * (renew.h; the backoff itself is rp_backoff_ms, lib/base/backoff.c). No
 * clock, no randomness, no I/O: all of it comes in as arguments.
 */
#include "renew.h"
#include "rampart/backoff.h"

uint64_t agent_backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t cap_ms,
                          uint32_t rnd)
{
	/* One schedule for renewal and the MQTT reconnect (lib/base/backoff.c).
	 */
	return rp_backoff_ms(attempt, base_ms, cap_ms, rnd);
}

enum agent_renew_state agent_renew_due(int64_t now, int64_t not_before,
                                       int64_t not_after, int64_t window_s,
                                       uint32_t rnd, int64_t *wait_s)
{
	int64_t start, spread;

	*wait_s = 0;
	if (now >= not_after)
		return AGENT_RENEW_EXPIRED;
	if (window_s < 0)
		window_s = 0;
	if (window_s >= not_after - not_before) {
		start = not_before;
		spread = 0;
	} else {
		start = not_after - window_s;
		spread = window_s / 10;
	}
	if (spread > 0)
		start += (int64_t)(rnd % (uint64_t)(spread + 1));
	if (now >= start)
		return AGENT_RENEW_NOW;
	*wait_s = start - now;
	return AGENT_RENEW_WAIT;
}
