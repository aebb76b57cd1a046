/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csv.c - the strict allowlist CSV parser (csv.h). One pass, no
 * allocation: each line is split by rp_csv_split (rampart/csv.h, the one
 * CSV splitter) into the fixed-size store_device fields, which are
 * checked against their character sets before the callback sees them;
 * the serial by rp_broker_device_id_check, the one device-id rule.
 */
#include <stdio.h>
#include <string.h>

#include "csv.h"
#include "est/csr.h"
#include "rampart/broker.h"
#include "rampart/csv.h"
#include "rampart/id.h"

#define NFIELDS 5

static const char header[] = "serial,hw_type,hw_token,group,tags";

struct field {
	char *dst;
	size_t cap; /* bytes including the NUL */
	const char *name;
};

/* Tags: ids (rampart/id.h) separated by ';'. */
static int tag_char(char c)
{
	return rp_id_char((unsigned char)c) || c == ';';
}

/*
 * Parse one line text[0..len) (no line end) into d. RP_E_CSV with why.
 */
static rp_err parse_line(const char *t, size_t len, unsigned line,
                         struct store_device *d, char *why, size_t cap)
{
	struct field f[NFIELDS] = {
	    {d->serial, sizeof d->serial, "serial"},
	    {d->hw_type, sizeof d->hw_type, "hw_type"},
	    {d->hw_token, sizeof d->hw_token, "hw_token"},
	    {d->group, sizeof d->group, "group"},
	    {d->tags, sizeof d->tags, "tags"},
	};
	struct rp_csv_field cells[NFIELDS];
	struct rp_csv_error e;
	size_t j;
	char idwhy[160];

	memset(d, 0, sizeof *d);
	for (j = 0; j < NFIELDS; j++) {
		cells[j].dst = f[j].dst;
		cells[j].cap = f[j].cap;
	}
	if (rp_csv_split(t, len, cells, NFIELDS, &e) != RP_OK) {
		const char *name = e.field < NFIELDS ? f[e.field].name : "?";

		switch (e.fault) {
		case RP_CSV_TOO_MANY:
			snprintf(why, cap, "line %u: more than %d fields", line,
			         NFIELDS);
			break;
		case RP_CSV_TOO_FEW:
			snprintf(why, cap,
			         "line %u: %zu fields, expected %d (%s)", line,
			         e.field, NFIELDS, header);
			break;
		case RP_CSV_UNTERMINATED:
			snprintf(why, cap,
			         "line %u: unterminated quote in field %s",
			         line, name);
			break;
		case RP_CSV_AFTER_QUOTE:
			snprintf(why, cap,
			         "line %u: text after the closing quote of "
			         "field %s",
			         line, name);
			break;
		case RP_CSV_QUOTE_INSIDE:
			snprintf(why, cap,
			         "line %u: quote inside unquoted field %s",
			         line, name);
			break;
		default: /* RP_CSV_TOO_LONG */
			snprintf(why, cap,
			         "line %u: field %s longer than %zu characters",
			         line, name, f[e.field].cap - 1);
			break;
		}
		return RP_E_CSV;
	}
	/* THE device-id rule: charset and length, and not reserved */
	if (rp_broker_device_id_check(d->serial, strlen(d->serial), idwhy,
	                              sizeof idwhy) != RP_OK) {
		snprintf(why, cap, "line %u: serial %s", line, idwhy);
		return RP_E_CSV;
	}
	if (!csr_id_valid(d->hw_type)) {
		snprintf(why, cap,
		         "line %u: hw_type must be 1..64 of [A-Za-z0-9._-]",
		         line);
		return RP_E_CSV;
	}
	if (d->hw_token[0] != '\0' && !csr_token_valid(d->hw_token)) {
		snprintf(why, cap,
		         "line %u: hw_token must be empty or 1..128 of "
		         "[A-Za-z0-9:+/=._-]",
		         line);
		return RP_E_CSV;
	}
	if (!csr_id_valid(d->group)) {
		snprintf(why, cap,
		         "line %u: group must be 1..64 of [A-Za-z0-9._-]",
		         line);
		return RP_E_CSV;
	}
	for (j = 0; d->tags[j] != '\0'; j++) {
		if (!tag_char(d->tags[j])) {
			snprintf(why, cap,
			         "line %u: tags may hold only [A-Za-z0-9._-] "
			         "and ';'",
			         line);
			return RP_E_CSV;
		}
	}
	d->state = STORE_DEV_ALLOWLISTED;
	return RP_OK;
}

rp_err allowlist_csv_parse(const char *text, size_t len, csv_row_cb cb,
                           void *arg, size_t *rows, char *why, size_t cap)
{
	struct store_device d;
	size_t pos = 0, end, l;
	unsigned line = 0;
	rp_err rc = RP_OK;

	*rows = 0;
	if (cap > 0)
		why[0] = '\0';
	if (len > CSV_MAX_BYTES) {
		snprintf(why, cap, "file larger than %d bytes", CSV_MAX_BYTES);
		return RP_E_CSV;
	}
	if (memchr(text, '\0', len) != NULL) {
		const char *z = memchr(text, '\0', len);
		unsigned zl = 1;
		const char *q;

		for (q = text; q < z; q++)
			zl += *q == '\n';
		snprintf(why, cap, "line %u: NUL byte", zl);
		return RP_E_CSV;
	}
	while (pos < len) {
		line++;
		end = pos;
		while (end < len && text[end] != '\n')
			end++;
		l = end - pos;
		if (l > 0 && text[pos + l - 1] == '\r')
			l--;
		if (memchr(text + pos, '\r', l) != NULL) {
			snprintf(why, cap, "line %u: stray carriage return",
			         line);
			rc = RP_E_CSV;
			break;
		}
		if (l == 0) {
			snprintf(why, cap, "line %u: empty line", line);
			rc = RP_E_CSV;
			break;
		}
		if (text[pos] == '#' || (line == 1 && l == sizeof header - 1 &&
		                         memcmp(text + pos, header, l) == 0)) {
			pos = end + 1;
			continue;
		}
		rc = parse_line(text + pos, l, line, &d, why, cap);
		if (rc != RP_OK)
			break;
		if (cb != NULL && cb(arg, line, &d) != 0) {
			if (why[0] == '\0')
				snprintf(why, cap, "line %u: refused", line);
			rc = RP_E_CSV;
			break;
		}
		(*rows)++;
		pos = end + 1;
	}
	return rc;
}
