/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alloc.c - the one allocation hook (rampart/alloc.h): thin wrappers of
 * the C library's allocator, so that memory stays free()-compatible, plus
 * in RP_FAULTSIM builds a counter and a switch that makes allocation N
 * fail. This file is the only product code allowed to call malloc and its
 * siblings (tests/checksrc.sh).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rampart/alloc.h"

#ifdef RP_FAULTSIM
#include <stdatomic.h>

static atomic_ulong n_done;  /* allocations attempted */
static atomic_ulong fail_at; /* the n_done value that fails; 0 = off */
static atomic_bool fail_persist;
static atomic_ulong n_failed;

void rp_alloc_fail_at(unsigned long n, bool persist)
{
	atomic_store(&n_failed, 0);
	atomic_store(&fail_persist, persist);
	atomic_store(&fail_at, n == 0 ? 0 : atomic_load(&n_done) + n);
}

unsigned long rp_alloc_count(void)
{
	return atomic_load(&n_done);
}

unsigned long rp_alloc_failures(void)
{
	return atomic_load(&n_failed);
}

/* true when this allocation is to fail (and counts it either way). */
static bool fault(void)
{
	unsigned long k = atomic_fetch_add(&n_done, 1) + 1;
	unsigned long at = atomic_load(&fail_at);

	if (at == 0 || k < at || (k > at && !atomic_load(&fail_persist)))
		return false;
	atomic_fetch_add(&n_failed, 1);
	return true;
}
#define FAULT() fault()
#else
#define FAULT() false
#endif

/* Failed allocations of this thread (rp_alloc_refused). */
static _Thread_local unsigned long refused;

unsigned long rp_alloc_refused(void)
{
	return refused;
}

/* p, counted as refused when it is NULL for a non-empty request. */
static void *counted(void *p, size_t n)
{
	if (p == NULL && n > 0)
		refused++;
	return p;
}

void *rp_malloc(size_t n)
{
	if (FAULT())
		return counted(NULL, n);
	return counted(malloc(n), n);
}

void *rp_calloc(size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size)
		return counted(NULL, 1);
	if (FAULT())
		return counted(NULL, count * size);
	return counted(calloc(count, size), count * size);
}

void *rp_realloc(void *p, size_t n)
{
	if (FAULT())
		return counted(NULL, n);
	return counted(realloc(p, n), n);
}

char *rp_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = rp_malloc(n);

	if (d != NULL)
		memcpy(d, s, n);
	return d;
}

char *rp_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = rp_malloc(len + 1);

	if (d != NULL) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

void rp_free(void *p)
{
	free(p);
}
