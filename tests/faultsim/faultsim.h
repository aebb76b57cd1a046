/* SPDX-License-Identifier: Apache-2.0 */
/*
 * faultsim.h - what the faultsim drivers share (hooks.c): routing the
 * libraries' allocators through rampart/alloc.h, so that their
 * allocations count and fail like ours; and, for the fuzz harnesses
 * (tests/fuzz/), whether the fault made an allocation fail.
 */
#ifndef RP_FAULTSIM_H
#define RP_FAULTSIM_H

#include <stdbool.h>

#include "rampart/alloc.h"

/*
 * jansson (json_set_alloc_funcs) and OpenSSL (CRYPTO_set_mem_functions)
 * allocate through rp_malloc/rp_realloc/rp_free from now on. Call first
 * in main: OpenSSL refuses once it has allocated. false if it refused.
 */
bool rp_faultsim_hook_libraries(void);

/*
 * How many allocations the fault has made fail so far (rp_alloc_failures);
 * always 0 in a build without RP_FAULTSIM, where nothing fails. A harness
 * reads it before and after a call: a refusal that a failed allocation
 * explains (RP_E_NOMEM, or what a library makes of its NULL) is an answer
 * only when the count grew during that call; otherwise its invariants
 * hold as in a normal run.
 */
static inline unsigned long rp_faultsim_failures(void)
{
#ifdef RP_FAULTSIM
	return rp_alloc_failures();
#else
	return 0;
#endif
}

#endif
