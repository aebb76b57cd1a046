/* SPDX-License-Identifier: Apache-2.0 */
/*
 * backoff.h - the retry schedule shared by rampart-agent's EST renewal
 * (lib/device/renew.c) and the MQTT session's reconnect (agent.h): exponential
 * with "equal jitter". Pure: the caller passes the random number.
 */
#ifndef RAMPART_BACKOFF_H
#define RAMPART_BACKOFF_H

#include <stdint.h>

#include "rampart/export.h"

/*
 * Delay before retry number attempt (0 = the first retry):
 * e = min(cap, base * 2^attempt), delay = e/2 + rnd % (e/2 + 1). So the
 * delay lies in [e/2, e]: it grows exponentially until the cap, and a
 * fleet that lost its server together does not come back in step. No
 * overflow for any attempt. base 0 gives 0; cap below base gives cap.
 */
RP_API uint64_t rp_backoff_ms(unsigned attempt, uint64_t base_ms,
                              uint64_t cap_ms, uint32_t rnd);

#endif
