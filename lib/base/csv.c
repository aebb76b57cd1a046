/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csv.c - one CSV line into its fields (rampart/csv.h): the one
 * RFC 4180 splitter of the host programs' CSV inputs. One pass over the
 * line, no allocation, every field bounded by its caller's buffer.
 */
#include <stdbool.h>
#include <string.h>

#include "rampart/csv.h"

static rp_err fail(struct rp_csv_error *e, enum rp_csv_fault what, size_t k)
{
	if (e != NULL) {
		e->fault = what;
		e->field = k;
	}
	return RP_E_CSV;
}

rp_err rp_csv_split(const char *t, size_t n, struct rp_csv_field *f, size_t nf,
                    struct rp_csv_error *e)
{
	size_t i = 0, k = 0, o;

	if ((t == NULL && n > 0) || f == NULL || nf == 0)
		return RP_E_INVAL;
	for (;;) {
		bool quoted = i < n && t[i] == '"';

		if (k == nf)
			return fail(e, RP_CSV_TOO_MANY, k);
		o = 0;
		if (quoted)
			i++;
		for (;;) {
			char c;

			if (i >= n) {
				if (quoted)
					return fail(e, RP_CSV_UNTERMINATED, k);
				break;
			}
			c = t[i];
			if (quoted && c == '"') {
				if (i + 1 < n && t[i + 1] == '"') {
					i += 2;
				} else {
					i++;
					if (i < n && t[i] != ',')
						return fail(
						    e, RP_CSV_AFTER_QUOTE, k);
					break;
				}
			} else if (!quoted && c == ',') {
				break;
			} else if (!quoted && c == '"') {
				return fail(e, RP_CSV_QUOTE_INSIDE, k);
			} else {
				i++;
			}
			if (o + 1 >= f[k].cap)
				return fail(e, RP_CSV_TOO_LONG, k);
			f[k].dst[o++] = c;
		}
		f[k++].dst[o] = '\0';
		if (i >= n)
			break;
		i++; /* the comma */
		if (i == n) {
			/* a trailing comma opens an empty last field */
			if (k == nf)
				return fail(e, RP_CSV_TOO_MANY, k);
			f[k++].dst[0] = '\0';
			break;
		}
	}
	if (k != nf)
		return fail(e, RP_CSV_TOO_FEW, k);
	return RP_OK;
}
