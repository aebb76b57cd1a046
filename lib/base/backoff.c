/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backoff.c - rp_backoff_ms (backoff.h): exponential backoff with equal
 * jitter. No clock, no randomness: both come in as arguments.
 */
#include "rampart/backoff.h"

uint64_t rp_backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t cap_ms,
                       uint32_t rnd)
{
	uint64_t e = base_ms, half;
	unsigned i;

	/* Double until the cap; stops early, so no overflow. */
	for (i = 0; i < attempt && e < cap_ms; i++)
		e = e > cap_ms / 2 ? cap_ms : e * 2;
	if (e > cap_ms)
		e = cap_ms;
	half = e / 2;
	return (e - half) + (uint64_t)rnd % (half + 1);
}
