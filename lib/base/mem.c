/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mem.c - library start-up (libsodium) and secret-memory helpers, on
 * libsodium (sodium_memzero, sodium_memcmp, sodium_malloc). libmosquitto
 * is started by the port when it makes the first client (mqloop.h).
 */
#include <sodium.h>

#include "rampart/mem.h"

rp_err rp_init(void)
{
	/* sodium_init: 0 first time, 1 when already done, -1 on failure. */
	if (sodium_init() < 0)
		return RP_E_CRYPTO;
	return RP_OK;
}

void rp_wipe(void *p, size_t len)
{
	if (p != NULL && len > 0)
		sodium_memzero(p, len);
}

bool rp_memeq(const void *a, const void *b, size_t len)
{
	if (len == 0)
		return true;
	return sodium_memcmp(a, b, len) == 0;
}

void *rp_secret_alloc(size_t len)
{
	return sodium_malloc(len);
}

void rp_secret_free(void *p)
{
	sodium_free(p);
}
