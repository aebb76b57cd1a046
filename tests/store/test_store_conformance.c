/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_store_conformance.c - the store conformance suite (conformance.c)
 * run against the SQLite engine: each case gets a new database file
 * "sqlite:DIR/rampart.db" in a temporary directory.
 */
#include <stdio.h>

#include "conformance.h"
#include "rpt.h"

static void fresh_sqlite(char *spec, size_t cap)
{
	char dir[512];

	rpt_tmpdir(dir, sizeof dir);
	snprintf(spec, cap, "sqlite:%s/rampart.db", dir);
}

int main(void)
{
	static const struct store_target sqlite = {"sqlite", fresh_sqlite};

	return store_conformance_run(&sqlite);
}
