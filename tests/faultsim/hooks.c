/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hooks.c - the libraries' allocators through rampart/alloc.h (faultsim.h):
 * jansson's, OpenSSL's and SQLite's.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <string.h>

#include "faultsim.h"
#include "rampart/alloc.h"

static void *ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return rp_malloc(n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return rp_realloc(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	rp_free(p);
}

bool rp_faultsim_hook_libraries(void)
{
	json_set_alloc_funcs(rp_malloc, rp_free);
	return CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) ==
	       1;
}

/*
 * SQLite's allocator (SQLITE_CONFIG_MALLOC): each block carries its size
 * in a header before it, since SQLite asks for it (xSize); the header is
 * 16 bytes, so the block keeps malloc's 16-byte alignment.
 */
#define SQ_HDR 16

static void *sq_malloc(int n)
{
	unsigned char *p;

	if (n < 0)
		return NULL;
	p = rp_malloc((size_t)n + SQ_HDR);
	if (p == NULL)
		return NULL;
	memcpy(p, &(size_t){(size_t)n}, sizeof(size_t));
	return p + SQ_HDR;
}

static void sq_free(void *p)
{
	if (p != NULL)
		rp_free((unsigned char *)p - SQ_HDR);
}

static int sq_size(void *p)
{
	size_t n;

	if (p == NULL)
		return 0;
	memcpy(&n, (unsigned char *)p - SQ_HDR, sizeof n);
	return (int)n;
}

static void *sq_realloc(void *p, int n)
{
	unsigned char *q;

	if (p == NULL)
		return sq_malloc(n);
	if (n < 0)
		return NULL;
	q = rp_realloc((unsigned char *)p - SQ_HDR, (size_t)n + SQ_HDR);
	if (q == NULL)
		return NULL;
	memcpy(q, &(size_t){(size_t)n}, sizeof(size_t));
	return q + SQ_HDR;
}

static int sq_roundup(int n)
{
	return (n + 7) & ~7;
}

static int sq_init(void *arg)
{
	(void)arg;
	return SQLITE_OK;
}

static void sq_shutdown(void *arg)
{
	(void)arg;
}

bool rp_faultsim_hook_sqlite(void)
{
	static const sqlite3_mem_methods m = {
	    .xMalloc = sq_malloc,
	    .xFree = sq_free,
	    .xRealloc = sq_realloc,
	    .xSize = sq_size,
	    .xRoundup = sq_roundup,
	    .xInit = sq_init,
	    .xShutdown = sq_shutdown,
	    .pAppData = NULL,
	};

	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK)
		return false;
	/* no lookaside: every allocation of a connection is one of ours */
	return sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0) == SQLITE_OK;
}
