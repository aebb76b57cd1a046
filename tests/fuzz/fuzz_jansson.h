/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_jansson.h - for the harnesses whose parser calls json_loadb
 * (fuzz_telemetry.c, fuzz_mqtt_msg.c) under faultsim (tests/faultsim/):
 * jansson's allocations fail through rampart/alloc.h like ours, except
 * the one kind jansson 2.14 cannot survive failing.
 *
 * jansson's lexer keeps the token it reads in a strbuffer (16 bytes at
 * first, doubled by a new block, a copy and a free of the old one) and
 * lex_save() ignores a failed growth (load.c; akheron/jansson issue
 * #362, open): the byte is dropped and the parse goes on. A string then
 * silently loses one character and json_loadb succeeds; a lost closing
 * quote makes lex_scan_string() copy past both buffers (the SEGV of
 * fuzz_mqtt_msg's seed refusal-escapes, allocation 13: the growth from
 * 16 to 32 bytes at its 16-byte token); a number hits assert(c == d).
 * No caller can repair that, so this guard never fails the growth: from
 * the json_loadb that fuzz_jansson_arm() announces, it takes jansson's
 * first allocation (the 16-byte buffer) as the lexer's, gives every
 * request of exactly twice its size plain malloc memory (not counted, never
 * failed; a jansson string or pair of that size is spared too), and
 * follows the buffer when jansson frees the old one. Everything else of
 * jansson's goes to rp_malloc. A first allocation of another size means a
 * jansson this guard does not know: abort, loudly.
 *
 * Without RP_FAULTSIM these do nothing.
 */
#ifndef RP_FUZZ_JANSSON_H
#define RP_FUZZ_JANSSON_H

#ifdef RP_FAULTSIM
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "rampart/alloc.h"

#define FJ_LEX_FIRST 16 /* jansson 2.14: STRBUFFER_MIN_SIZE */

static struct {
	bool armed;            /* the next allocation is the lexer's buffer */
	void *buf, *grown;     /* the lexer's buffer; its last growth */
	size_t size, grown_sz; /* their sizes */
} fj;

static void *fj_malloc(size_t n)
{
	void *p;

	if (fj.armed) {
		fj.armed = false;
		if (n != FJ_LEX_FIRST) {
			fprintf(stderr, "fuzz_jansson: jansson's first "
			                "allocation is not its 16-byte lexer "
			                "buffer: not jansson 2.14's lexer\n");
			abort();
		}
		p = rp_malloc(n); /* may fail: lex_init checks it */
		fj.buf = p;
		fj.size = n;
		return p;
	}
	if (fj.buf != NULL && n == 2 * fj.size) {
		p = malloc(n);
		fj.grown = p;
		fj.grown_sz = n;
		return p;
	}
	return rp_malloc(n);
}

static void fj_free(void *p)
{
	if (p != NULL && p == fj.buf) {
		/* a growth frees the old buffer right after its malloc; with
		 * none pending this is lex_close() */
		fj.buf = fj.grown;
		fj.size = fj.grown_sz;
		fj.grown = NULL;
		fj.grown_sz = 0;
	}
	free(p);
}

/* Route jansson through the guard (after the driver's hook) and announce
 * one json_loadb: call right before each call that may parse. */
static void fuzz_jansson_arm(void)
{
	static bool set;

	if (!set) {
		json_set_alloc_funcs(fj_malloc, fj_free);
		set = true;
	}
	fj.armed = true;
	fj.buf = fj.grown = NULL;
	fj.size = fj.grown_sz = 0;
}
#else
static inline void fuzz_jansson_arm(void)
{
}
#endif

#endif
