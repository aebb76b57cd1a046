/* SPDX-License-Identifier: Apache-2.0 */
/*
 * human.c - the programs' text output (human.h): times, spans,
 * colour, tables.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "human.h"
#include "rampart/alloc.h"
#include "rampart/encode.h"

#define DAY 86400

/* The magnitude of d seconds in one unit: "42 s", "5 min", "3 h",
 * "89 days". */
static void magnitude(int64_t d, char *buf, size_t cap)
{
	if (d < 120)
		snprintf(buf, cap, "%lld s", (long long)d);
	else if (d < 7200)
		snprintf(buf, cap, "%lld min", (long long)(d / 60));
	else if (d < 2 * DAY)
		snprintf(buf, cap, "%lld h", (long long)(d / 3600));
	else
		snprintf(buf, cap, "%lld days", (long long)(d / DAY));
}

const char *human_rel(int64_t t, int64_t now, char *buf, size_t cap)
{
	char m[32];
	uint64_t u;
	int64_t d;

	if (t == now) {
		snprintf(buf, cap, "now");
		return buf;
	}
	/* in unsigned arithmetic: no overflow whatever t is */
	u = t > now ? (uint64_t)t - (uint64_t)now : (uint64_t)now - (uint64_t)t;
	d = u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
	magnitude(d, m, sizeof m);
	if (t > now)
		snprintf(buf, cap, "in %s", m);
	else
		snprintf(buf, cap, "%s ago", m);
	return buf;
}

int64_t human_clamp(long long v, int64_t max)
{
	if (v < 0)
		return 0;
	return (int64_t)v > max ? max : (int64_t)v;
}

int64_t human_percent(int64_t off, int64_t size)
{
	int64_t p;

	if (size <= 0 || off >= size)
		p = 100;
	else if (off <= 0)
		p = 0;
	else if (off <= INT64_MAX / 100)
		p = off * 100 / size;
	else
		p = off / (size / 100);
	return p > 99 && off < size ? 99 : p;
}

const char *human_time(int64_t t, int64_t now, char *buf, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char iso[32], rel[48];

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(iso, sizeof iso, "%Y-%m-%d %H:%M:%SZ", &tm) == 0) {
		snprintf(buf, cap, "-");
		return buf;
	}
	snprintf(buf, cap, "%s (%s)", iso, human_rel(t, now, rel, sizeof rel));
	return buf;
}

const char *human_span(int64_t s, char *buf, size_t cap)
{
	if (s < 0)
		s = 0;
	if (s >= DAY)
		snprintf(buf, cap, "%lld days %lld h", (long long)(s / DAY),
		         (long long)(s % DAY / 3600));
	else if (s >= 3600)
		snprintf(buf, cap, "%lld h %lld min", (long long)(s / 3600),
		         (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(buf, cap, "%lld min %lld s", (long long)(s / 60),
		         (long long)(s % 60));
	else
		snprintf(buf, cap, "%lld s", (long long)s);
	return buf;
}

bool human_color(FILE *f)
{
	const char *term = getenv("TERM");

	if (getenv("NO_COLOR") != NULL)
		return false;
	if (term != NULL && strcmp(term, "dumb") == 0)
		return false;
	return isatty(fileno(f)) == 1;
}

struct human_table {
	size_t ncols, nrows, cap;
	char **cells;  /* (nrows + 1) x ncols, row 0 the heads (owned) */
	size_t *width; /* ncols */
};

static char *cell_copy(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0, cap = n * 4 + 1;
	char *e = rp_malloc(cap);

	if (e != NULL)
		(void)rp_escape(e, cap, s != NULL ? s : "", n);
	return e;
}

static int row_add(struct human_table *t, const char *const *cells)
{
	size_t i, base;
	char **grown;

	if (t->nrows + 1 == t->cap) {
		grown =
		    rp_realloc(t->cells, t->cap * 2 * t->ncols * sizeof *grown);
		if (grown == NULL)
			return -1;
		t->cells = grown;
		t->cap *= 2;
	}
	base = t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		char *c = cell_copy(cells[i]);
		size_t n;

		if (c == NULL) {
			while (i-- > 0)
				free(t->cells[base + i]);
			return -1;
		}
		t->cells[base + i] = c;
		n = strlen(c);
		if (n > t->width[i])
			t->width[i] = n;
	}
	t->nrows++;
	return 0;
}

struct human_table *human_table_new(size_t ncols, const char *const *heads)
{
	struct human_table *t = rp_calloc(1, sizeof *t); /* the caller's */

	if (t == NULL || ncols == 0)
		goto fail;
	t->ncols = ncols;
	t->cap = 16;
	t->cells = rp_calloc(t->cap * ncols, sizeof *t->cells);
	t->width = rp_calloc(ncols, sizeof *t->width);
	if (t->cells == NULL || t->width == NULL || row_add(t, heads) != 0)
		goto fail;
	return t;
fail:
	human_table_free(t);
	return NULL;
}

int human_table_add(struct human_table *t, const char *const *cells)
{
	return t != NULL ? row_add(t, cells) : -1;
}

void human_table_print(const struct human_table *t, const char *none, FILE *f)
{
	size_t r, i;

	if (t == NULL)
		return;
	if (t->nrows <= 1 && none != NULL) { /* the head only */
		fprintf(f, "%s\n", none);
		return;
	}
	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			const char *c = t->cells[r * t->ncols + i];

			if (i + 1 == t->ncols)
				fprintf(f, "%s\n", c);
			else
				fprintf(f, "%-*s  ", (int)t->width[i], c);
		}
	}
}

void human_table_free(struct human_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; t->cells != NULL && i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}
