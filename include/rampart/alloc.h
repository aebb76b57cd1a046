/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloc.h - the one allocation hook of the host code (lib/base/alloc.c):
 * every heap allocation of librampart, rampartd, the agent and the tools
 * goes through rp_malloc and its siblings, so that a faultsim build can
 * make allocation number N fail (SQLite's sqlite3FaultSim, curl's
 * memdebug). Memory from these functions is plain malloc memory: free()
 * and rp_free() are interchangeable, and memory from libraries (strdup'd
 * by OpenSSL, json_dumps) may be given to rp_free().
 * Not part of the device SDK's API (not installed, not exported).
 *
 * The fault switch (rp_alloc_fail_at, rp_alloc_count) exists only when
 * the build has RP_FAULTSIM (cmake -DRP_FAULTSIM=ON; on in the asan
 * preset): without it there is no counter and no test on the way to
 * malloc. tests/faultsim/ drives it; docs/testing.md.
 */
#ifndef RAMPART_ALLOC_H
#define RAMPART_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

/* malloc(n); NULL on failure (n == 0 may give NULL or a pointer). */
void *rp_malloc(size_t n);
/* calloc(count, size): NULL when count * size overflows or on failure. */
void *rp_calloc(size_t count, size_t size);
/* realloc(p, n); on failure NULL and p untouched (still the caller's). */
void *rp_realloc(void *p, size_t n);
/* strdup(s) / strndup(s, n): a copy the caller frees; NULL on failure. */
char *rp_strdup(const char *s);
char *rp_strndup(const char *s, size_t n);
/* free(p); NULL is fine. */
void rp_free(void *p);

/*
 * How many allocations through the functions above have failed in this
 * thread since it started (a NULL for n > 0, whether the system refused
 * or a faultsim fault did), in every build. A parser that hands its
 * allocations to a library reads it before and after the call: when it
 * grew, the result is out of memory whatever the library answered
 * (jansson 2.14 can drop a byte of a token it could not grow and still
 * succeed; rp_json_load_object).
 */
unsigned long rp_alloc_refused(void);

#ifdef RP_FAULTSIM
/*
 * Make the n-th allocation from now fail (n == 1: the next one); 0 turns
 * the fault off. Persistent: when persist is true every allocation after
 * the n-th fails too, otherwise only the n-th one. Counting and failing
 * are process-wide (atomic; threads share the count).
 */
void rp_alloc_fail_at(unsigned long n, bool persist);
/* Allocations attempted since the process started (failed ones too). */
unsigned long rp_alloc_count(void);
/* How many allocations the fault made fail since rp_alloc_fail_at. */
unsigned long rp_alloc_failures(void);
#endif

#endif
