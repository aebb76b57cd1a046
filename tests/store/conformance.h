/* SPDX-License-Identifier: Apache-2.0 */
/*
 * conformance.h - the store conformance suite (conformance.c): every
 * function of server/store/store.h against its written contract, through
 * that interface only. An engine's test binary (test_store_conformance
 * for SQLite) describes how to make an empty store and runs the suite;
 * docs/store.md says what an engine must pass.
 */
#ifndef RAMPART_TEST_STORE_CONFORMANCE_H
#define RAMPART_TEST_STORE_CONFORMANCE_H

#include <stddef.h>

struct store_target {
	const char *engine; /* what store_engine_name() must say */
	/* Write into spec (cap bytes) the spec of a new, empty store; two
	 * store_open()s of one spec are two connections to one store. */
	void (*fresh)(char *spec, size_t cap);
};

/* Run every case against t; the cmocka exit status (0: all passed). */
int store_conformance_run(const struct store_target *t);

#endif
