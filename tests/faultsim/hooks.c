/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hooks.c - the libraries' allocators through rampart/alloc.h (faultsim.h).
 */
#include <jansson.h>
#include <openssl/crypto.h>

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
