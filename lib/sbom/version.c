/* SPDX-License-Identifier: Apache-2.0 */
/*
 * version.c - version ordering for vulnerability matching (sbom.h):
 * Debian's (Debian Policy 5.6.12: epoch, upstream version, revision, each
 * compared by dpkg's alternating non-digit/digit rule with '~' before
 * everything) and SemVer 2.0.0's precedence (semver.org section 11).
 * Written here rather than taken from libdpkg: its parser (parseversion)
 * is in the volatile internal API, reports errors through dpkg's
 * longjmp handler and allocates from its own never-freed pool
 * (docs/dependencies.md); the unit test checks every vector against
 * dpkg --compare-versions itself.
 * No allocation; numbers of any length are compared as digit strings.
 */
#include <string.h>

#include "sbom.h"

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(int c)
{
	return is_digit(c) || is_alpha(c);
}

/* dpkg's weight of a character in a non-digit run ('\0' ends a part). */
static int order(int c)
{
	if (is_digit(c))
		return 0;
	if (is_alpha(c))
		return c;
	if (c == '~')
		return -1;
	if (c != 0)
		return c + 256;
	return 0;
}

/* Compare two digit strings [a, ae) and [b, be) as numbers. */
static int numcmp(const char *a, const char *ae, const char *b, const char *be)
{
	while (a < ae && *a == '0')
		a++;
	while (b < be && *b == '0')
		b++;
	if (ae - a != be - b)
		return ae - a < be - b ? -1 : 1;
	for (; a < ae; a++, b++) {
		if (*a != *b)
			return *a < *b ? -1 : 1;
	}
	return 0;
}

/* dpkg's verrevcmp on [a, ae) and [b, be). */
static int verrevcmp(const char *a, const char *ae, const char *b,
                     const char *be)
{
	while (a < ae || b < be) {
		const char *da, *db;
		int r;

		while ((a < ae && !is_digit(*a)) || (b < be && !is_digit(*b))) {
			int ac = order(a < ae ? *a : 0);
			int bc = order(b < be ? *b : 0);

			if (ac != bc)
				return ac - bc;
			a++;
			b++;
		}
		da = a;
		db = b;
		while (a < ae && is_digit(*a))
			a++;
		while (b < be && is_digit(*b))
			b++;
		r = numcmp(da, a, db, b);
		if (r != 0)
			return r;
	}
	return 0;
}

struct debver {
	const char *ep, *epe, *up, *upe, *rev, *reve;
};

/* Split v into epoch, upstream and revision (empty parts when absent). */
static void deb_split(const char *v, struct debver *d)
{
	const char *end = v + strlen(v), *colon = strchr(v, ':'), *dash;

	d->ep = d->epe = v;
	d->up = v;
	if (colon != NULL) {
		d->epe = colon;
		d->up = colon + 1;
	}
	dash = strrchr(d->up, '-');
	d->upe = dash != NULL ? dash : end;
	d->rev = d->reve = end;
	if (dash != NULL)
		d->rev = dash + 1;
}

bool rp_ver_deb_valid(const char *v)
{
	struct debver d;
	const char *p;

	if (v == NULL || *v == '\0' || strlen(v) > RP_SBOM_MAX_STR)
		return false;
	deb_split(v, &d);
	if (d.up != v && d.ep == d.epe)
		return false; /* ":1.0" */
	for (p = d.ep; p < d.epe; p++) {
		if (!is_digit(*p))
			return false;
	}
	if (d.up == d.upe || !is_digit(*d.up))
		return false;
	for (p = d.up; p < d.upe; p++) {
		if (!is_alnum(*p) && strchr(".+~-:", *p) == NULL)
			return false;
	}
	if (d.rev != d.reve || d.upe != d.reve) {
		if (d.rev == d.reve)
			return false; /* "1.0-" */
		for (p = d.rev; p < d.reve; p++) {
			if (!is_alnum(*p) && strchr(".+~", *p) == NULL)
				return false;
		}
	}
	return true;
}

int rp_ver_deb_cmp(const char *a, const char *b)
{
	struct debver x, y;
	int r;

	deb_split(a, &x);
	deb_split(b, &y);
	r = numcmp(x.ep, x.epe, y.ep, y.epe);
	if (r == 0)
		r = verrevcmp(x.up, x.upe, y.up, y.upe);
	if (r == 0)
		r = verrevcmp(x.rev, x.reve, y.rev, y.reve);
	return r < 0 ? -1 : r > 0;
}

/* ---- SemVer 2.0.0 ---- */

struct semver {
	const char *num[3], *nume[3]; /* major, minor, patch */
	const char *pre, *pree;       /* pre-release, empty if none */
};

/* One numeric identifier at *p: digits, no leading zero; *p moves. */
static bool sv_number(const char **p, const char **s, const char **e)
{
	const char *q = *p;

	*s = q;
	while (is_digit(*q))
		q++;
	if (q == *s || (q - *s > 1 && **s == '0'))
		return false;
	*e = q;
	*p = q;
	return true;
}

/* Dot-separated identifiers up to '+' or the end; numeric ones without a
 * leading zero when numeric_rule. */
static bool sv_idents(const char **p, bool numeric_rule)
{
	const char *q = *p;

	for (;;) {
		const char *s = q;
		bool digits = true;

		while (is_alnum(*q) || *q == '-') {
			if (!is_digit(*q))
				digits = false;
			q++;
		}
		if (q == s)
			return false;
		if (numeric_rule && digits && q - s > 1 && *s == '0')
			return false;
		if (*q != '.')
			break;
		q++;
	}
	*p = q;
	return true;
}

static bool sv_parse(const char *v, struct semver *sv)
{
	const char *p = v;
	int i;

	if (v == NULL || strlen(v) > RP_SBOM_MAX_STR)
		return false;
	for (i = 0; i < 3; i++) {
		if (!sv_number(&p, &sv->num[i], &sv->nume[i]))
			return false;
		if (i < 2 && *p++ != '.')
			return false;
	}
	sv->pre = sv->pree = p;
	if (*p == '-') {
		p++;
		sv->pre = p;
		if (!sv_idents(&p, true))
			return false;
		sv->pree = p;
	}
	if (*p == '+') {
		p++;
		if (!sv_idents(&p, false))
			return false;
	}
	return *p == '\0';
}

bool rp_ver_semver_valid(const char *v)
{
	struct semver sv;

	return sv_parse(v, &sv);
}

static bool all_digits(const char *s, const char *e)
{
	for (; s < e; s++) {
		if (!is_digit(*s))
			return false;
	}
	return true;
}

/* Pre-release precedence of [a, ae) and [b, be), both non-empty. */
static int pre_cmp(const char *a, const char *ae, const char *b, const char *be)
{
	for (;;) {
		const char *x = a, *y = b;
		bool nx, ny;
		int r;

		while (x < ae && *x != '.')
			x++;
		while (y < be && *y != '.')
			y++;
		nx = all_digits(a, x);
		ny = all_digits(b, y);
		if (nx && ny) {
			r = numcmp(a, x, b, y);
		} else if (nx != ny) {
			r = nx ? -1 : 1; /* numeric below alphanumeric */
		} else {
			size_t la = (size_t)(x - a), lb = (size_t)(y - b);

			r = memcmp(a, b, la < lb ? la : lb);
			if (r == 0 && la != lb)
				r = la < lb ? -1 : 1;
		}
		if (r != 0)
			return r < 0 ? -1 : 1;
		a = x < ae ? x + 1 : x;
		b = y < be ? y + 1 : y;
		if (x == ae || y == be)
			return (x == ae) == (y == be) ? 0 : x == ae ? -1 : 1;
	}
}

int rp_ver_semver_cmp(const char *a, const char *b)
{
	struct semver x, y;
	int i, r;

	if (!sv_parse(a, &x) || !sv_parse(b, &y))
		return strcmp(a, b) < 0 ? -1 : strcmp(a, b) > 0;
	for (i = 0; i < 3; i++) {
		r = numcmp(x.num[i], x.nume[i], y.num[i], y.nume[i]);
		if (r != 0)
			return r;
	}
	if (x.pre == x.pree || y.pre == y.pree) {
		if (x.pre == x.pree && y.pre == y.pree)
			return 0;
		return x.pre == x.pree ? 1 : -1; /* a release is above */
	}
	return pre_cmp(x.pre, x.pree, y.pre, y.pree);
}
