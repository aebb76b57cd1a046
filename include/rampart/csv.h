/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csv.h - splitting one CSV line into its fields (lib/base/csv.c), for
 * the host programs' CSV inputs: rampartd's allowlist
 * (server/registry/csv.c) and the SBOM components list
 * (lib/sbom/inputs.c). Each caller checks what its fields mean and says
 * its faults in its own words. Not part of the device SDK's API (not
 * installed).
 */
#ifndef RAMPART_CSV_H
#define RAMPART_CSV_H

#include <stddef.h>

#include "rampart/err.h"

/* Where a field goes: dst gets at most cap - 1 bytes and a NUL. */
struct rp_csv_field {
	char *dst;
	size_t cap;
};

enum rp_csv_fault {
	RP_CSV_TOO_MANY = 1, /* more fields than nf */
	RP_CSV_TOO_FEW,      /* fewer fields than nf (count: how many) */
	RP_CSV_UNTERMINATED, /* a quoted field without its closing quote */
	RP_CSV_AFTER_QUOTE,  /* text after a closing quote */
	RP_CSV_QUOTE_INSIDE, /* a quote inside an unquoted field */
	RP_CSV_TOO_LONG,     /* a field longer than its cap - 1 */
};

/* What was wrong, and where: field is the index of the field concerned
 * (TOO_MANY, TOO_FEW: the number of fields seen). */
struct rp_csv_error {
	enum rp_csv_fault fault;
	size_t field;
};

/*
 * Split line t[0..n) (without its line end) into exactly nf fields,
 * RFC 4180 quoting ("..." with "" for a quote; no line end inside a
 * field): each copied into f[k], NUL-terminated; a trailing comma opens
 * an empty last field. RP_OK, or RP_E_CSV with *e saying what and where
 * (e may be NULL), f's contents then unspecified; RP_E_INVAL for a NULL
 * t with n > 0, a NULL f or nf == 0. Allocates nothing.
 */
rp_err rp_csv_split(const char *t, size_t n, struct rp_csv_field *f, size_t nf,
                    struct rp_csv_error *e);

#endif
