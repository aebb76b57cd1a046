/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mem.h - library start-up and memory helpers for secrets.
 *
 * Secrets (keys, tokens, passphrases) are wiped with rp_wipe() on every
 * path, compared with rp_memeq() (constant time), and where practical live
 * in rp_secret_alloc() memory (guard pages, not swapped, wiped on free).
 */
#ifndef RAMPART_MEM_H
#define RAMPART_MEM_H

#include <stdbool.h>
#include <stddef.h>

#include "rampart/err.h"

/*
 * Initialise librampart (libsodium underneath; libmosquitto is started
 * with the first MQTT client, rp_mqloop_client_new). Call once before any
 * other rp_ function, before starting threads; safe to call again.
 * RP_E_CRYPTO if the RNG is unusable.
 */
RP_API rp_err rp_init(void) RP_WARN_UNUSED;

/* Overwrite len bytes at p with zeros; never optimised away. */
RP_API void rp_wipe(void *p, size_t len);

/*
 * Compare two buffers of len bytes in time that depends only on len.
 * True when equal. Use for MACs, tokens and anything secret.
 */
RP_API bool rp_memeq(const void *a, const void *b, size_t len);

/*
 * Allocate len bytes of guarded, locked memory for a secret. NULL on
 * failure. The caller owns it and releases it with rp_secret_free(), which
 * wipes it.
 */
RP_API void *rp_secret_alloc(size_t len);
RP_API void rp_secret_free(void *p);

#endif
