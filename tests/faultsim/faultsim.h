/* SPDX-License-Identifier: Apache-2.0 */
/*
 * faultsim.h - what the faultsim drivers share (hooks.c): routing the
 * libraries' allocators through rampart/alloc.h, so that their
 * allocations count and fail like ours.
 */
#ifndef RP_FAULTSIM_H
#define RP_FAULTSIM_H

#include <stdbool.h>

/*
 * jansson (json_set_alloc_funcs) and OpenSSL (CRYPTO_set_mem_functions)
 * allocate through rp_malloc/rp_realloc/rp_free from now on. Call first
 * in main: OpenSSL refuses once it has allocated. false if it refused.
 */
bool rp_faultsim_hook_libraries(void);

#endif
