/* SPDX-License-Identifier: Apache-2.0 */
/*
 * renew.h - when rampart-agent renews its certificate and how long it
 * waits between attempts when the server is away. Pure functions: the
 * caller passes the clock and the random numbers, so tests can pin them.
 */
#ifndef RAMPART_AGENT_RENEW_H
#define RAMPART_AGENT_RENEW_H

#include <stdint.h>

/* Defaults (docs/agent.md): 30-day window, 5 s first retry, 1 h cap. */
#define AGENT_RENEW_WINDOW_S  (30LL * 86400)
#define AGENT_BACKOFF_BASE_MS 5000ULL
#define AGENT_BACKOFF_CAP_MS  3600000ULL

/*
 * Delay before retry number attempt (0 = the first retry), "equal jitter":
 * e = min(cap, base * 2^attempt), delay = e/2 + rnd % (e/2 + 1). So the
 * delay lies in [e/2, e]: it grows exponentially until the cap, and a
 * fleet that lost its server together does not come back in step. No
 * overflow for any attempt. base 0 gives 0; cap below base gives cap.
 */
uint64_t agent_backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t cap_ms,
                          uint32_t rnd);

enum agent_renew_state {
	AGENT_RENEW_WAIT,    /* not yet: *wait_s says how long */
	AGENT_RENEW_NOW,     /* inside the renewal window */
	AGENT_RENEW_EXPIRED, /* past notAfter: only a new enrollment helps */
};

/*
 * Decide about a certificate valid [not_before, not_after] at time now
 * (seconds since the epoch). The window opens window_s before not_after
 * (the server's renew_window; a certificate shorter-lived than the window
 * is due from its first second); rnd spreads the start over the first
 * tenth of the window so that devices enrolled together renew apart.
 * *wait_s gets the seconds until the attempt is due (0 unless WAIT).
 */
enum agent_renew_state agent_renew_due(int64_t now, int64_t not_before,
                                       int64_t not_after, int64_t window_s,
                                       uint32_t rnd, int64_t *wait_s);

#endif
