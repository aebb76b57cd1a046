/* SPDX-License-Identifier: Apache-2.0 */
/*
 * faultsim.h - what the faultsim drivers share: routing the libraries'
 * allocators through rampart/alloc.h, so that their allocations count and
 * fail like ours (hooks.c); one run in a forked child with allocation N
 * failing (run.c: driver.c for the fuzz harnesses, store_faultsim.c); and,
 * for the fuzz harnesses (tests/fuzz/), whether the fault made an
 * allocation fail.
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
 * SQLite (SQLITE_CONFIG_MALLOC, and no lookaside, so that each of its
 * allocations is one of rp_malloc's) allocates through the hook from now
 * on. Call before any other sqlite3 call (SQLite refuses after its
 * initialisation). false if it refused.
 */
bool rp_faultsim_hook_sqlite(void);

/* What a child runs (rp_faultsim_child): 0 when every check held, else
 * non-zero, having said on stderr what did not. */
typedef int (*rp_faultsim_fn)(void *arg);

/*
 * Fork a child that runs fn(arg) with allocation n failing (n == 0: none;
 * persist: and every allocation after it), then turns the fault off and
 * asks LeakSanitizer for leaks. 0 when fn returned 0 and nothing leaked;
 * otherwise 1, with what happened (a failed check, a leak, an exit, a
 * signal) on stderr, labelled what. The fork keeps the runs apart: a
 * library's one-time set-up that fails in one child is not seen by the
 * next. In RP_FAULTSIM builds only (as everything here that fails).
 */
int rp_faultsim_child(rp_faultsim_fn fn, void *arg, unsigned long n,
                      bool persist, const char *what);

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
