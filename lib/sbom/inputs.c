/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inputs.c - what rampart sbom generate reads (sbom.h, docs/sbom.md): a
 * Debian root file system's dpkg status file (deb822 paragraphs; the
 * installed packages become pkg:deb purls) and the components CSV
 * (name,version,purl,licence,hashes). Both strict, naming the line of a
 * fault; each component goes through rp_sbom_add, the parser's checks.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rampart/alloc.h"
#include "rampart/csv.h"
#include "sbom_int.h"

/*
 * The line of text[0..len) at *i (LF or CRLF ended, or the last): *l, *n
 * without its end; *i past it, *line counted. false (why in d) for a NUL.
 */
static bool next_line(const char *text, size_t len, size_t *i, unsigned *line,
                      const char **l, size_t *n, struct rp_sbom_diag *d)
{
	const char *nl;

	*l = text + *i;
	nl = memchr(*l, '\n', len - *i);
	*n = nl != NULL ? (size_t)(nl - *l) : len - *i;
	*i += *n + 1;
	(*line)++;
	if (*n > 0 && (*l)[*n - 1] == '\r')
		(*n)--;
	if (memchr(*l, '\0', *n) != NULL) {
		snprintf(d->msg, sizeof d->msg, "line %u: a NUL byte", *line);
		return false;
	}
	return true;
}

/* Append s percent-encoded for a purl part (unreserved kept) to w. */
static bool enc(char **w, char *end, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    c == '_' || c == '~' || c == ':') {
			if (*w + 1 >= end)
				return false;
			*(*w)++ = (char)c;
		} else {
			if (*w + 3 >= end)
				return false;
			*(*w)++ = '%';
			*(*w)++ = hex[c >> 4];
			*(*w)++ = hex[c & 15];
		}
	}
	**w = '\0';
	return true;
}

/* Append s as it is to w. */
static bool raw(char **w, char *end, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(end - *w) <= n)
		return false;
	memcpy(*w, s, n + 1);
	*w += n;
	return true;
}

/* One installed package of the status file. */
struct pkg {
	char name[256], version[256], arch[64], status[128], source[512];
	unsigned line; /* of its Package field */
};

static bool deb_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 2 ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '+' ||
		      s[i] == '-' || s[i] == '.'))
			return false;
	}
	return true;
}

/* Whether a Status field (WANT FLAG STATUS: "hold ok installed") says the
 * package is installed, whatever is wanted of it (install, hold, deinstall,
 * purge): its third word, as dpkg-query's ${db:Status-Status}. */
static bool installed(const char *status)
{
	const char *w = strrchr(status, ' ');

	return w != NULL && strcmp(w + 1, "installed") == 0 &&
	       strchr(status, ' ') != w;
}

static rp_err add_pkg(struct rp_sbom *s, const struct pkg *p,
                      const char *vendor, struct rp_sbom_diag *d)
{
	struct rp_sbom_component c;
	struct rp_sbom_diag cd;
	char purl[1024], up[600], *w = purl, *end = purl + sizeof purl;
	char *sv;
	rp_err rc;

	if (!installed(p->status))
		return RP_OK;
	if (p->name[0] == '\0' || p->version[0] == '\0' || p->arch[0] == '\0') {
		snprintf(d->msg, sizeof d->msg,
		         "line %u: installed package '%.100s' without "
		         "Package, Version or Architecture",
		         p->line, p->name);
		return RP_E_SYNTAX;
	}
	if (!deb_name_ok(p->name) || !rp_ver_deb_valid(p->version)) {
		snprintf(d->msg, sizeof d->msg,
		         "line %u: '%.100s' '%.100s' is not a Debian package "
		         "name and version",
		         p->line, p->name, p->version);
		return RP_E_SYNTAX;
	}
	/* Source: NAME or NAME (VERSION); upstream=NAME[@VERSION] */
	up[0] = '\0';
	if (p->source[0] != '\0') {
		snprintf(up, sizeof up, "%s", p->source);
		sv = strchr(up, ' ');
		if (sv != NULL) {
			size_t n;

			*sv++ = '\0';
			n = strlen(sv);
			if (n < 3 || sv[0] != '(' || sv[n - 1] != ')') {
				snprintf(d->msg, sizeof d->msg,
				         "line %u: Source '%.100s' is not NAME "
				         "or NAME (VERSION)",
				         p->line, p->source);
				return RP_E_SYNTAX;
			}
			sv[n - 1] = '\0';
			sv++;
			memmove(up + strlen(up) + 1, sv, strlen(sv) + 1);
			up[strlen(up)] = '@';
		}
		if (strcmp(up, p->name) == 0)
			up[0] = '\0';
	}
	if (!raw(&w, end, "pkg:deb/") || !enc(&w, end, vendor) ||
	    !raw(&w, end, "/") || !enc(&w, end, p->name) ||
	    !raw(&w, end, "@") || !enc(&w, end, p->version) ||
	    !raw(&w, end, "?arch=") || !enc(&w, end, p->arch))
		goto long_purl;
	if (up[0] != '\0' && (!raw(&w, end, "&upstream=") || !enc(&w, end, up)))
		goto long_purl;
	memset(&c, 0, sizeof c);
	c.name = p->name;
	c.version = p->version;
	c.purl = purl;
	rc = rp_sbom_add(s, &c, &cd);
	if (rc != RP_OK && rc != RP_E_NOMEM)
		snprintf(d->msg, sizeof d->msg, "line %u: %s", p->line, cd.msg);
	return rc;
long_purl:
	snprintf(d->msg, sizeof d->msg, "line %u: package URL too long",
	         p->line);
	return RP_E_TOO_BIG;
}

/* Copy a field's value (trimmed) into dst[0..cap). */
static bool field(const char *v, size_t n, char *dst, size_t cap)
{
	while (n > 0 && (v[0] == ' ' || v[0] == '\t')) {
		v++;
		n--;
	}
	while (n > 0 &&
	       (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'))
		n--;
	if (n >= cap)
		return false;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return true;
}

rp_err rp_sbom_add_dpkg_status(struct rp_sbom *s, const char *text, size_t len,
                               const char *vendor, struct rp_sbom_diag *d)
{
	static const struct {
		const char *name;
		size_t off, cap;
	} fields[] = {
	    {"Package", offsetof(struct pkg, name),
	     sizeof(((struct pkg *)0)->name)},
	    {"Version", offsetof(struct pkg, version),
	     sizeof(((struct pkg *)0)->version)},
	    {"Architecture", offsetof(struct pkg, arch),
	     sizeof(((struct pkg *)0)->arch)},
	    {"Status", offsetof(struct pkg, status),
	     sizeof(((struct pkg *)0)->status)},
	    {"Source", offsetof(struct pkg, source),
	     sizeof(((struct pkg *)0)->source)},
	};
	struct rp_sbom_diag local;
	struct pkg p;
	size_t i = 0, k;
	unsigned line = 0;
	bool open = false;
	rp_err rc = RP_OK;

	if (d == NULL)
		d = &local;
	d->msg[0] = '\0';
	if (vendor == NULL)
		vendor = "debian";
	memset(&p, 0, sizeof p);
	while (i < len) {
		const char *l, *colon;
		size_t n;

		if (!next_line(text, len, &i, &line, &l, &n, d)) {
			rc = RP_E_SYNTAX;
			goto out;
		}
		if (n == 0) { /* end of a paragraph */
			if (open) {
				rc = add_pkg(s, &p, vendor, d);
				if (rc != RP_OK)
					goto out;
			}
			memset(&p, 0, sizeof p);
			open = false;
			continue;
		}
		if (l[0] == ' ' || l[0] == '\t') {
			if (!open) {
				snprintf(d->msg, sizeof d->msg,
				         "line %u: a continuation line outside "
				         "a field",
				         line);
				rc = RP_E_SYNTAX;
				goto out;
			}
			continue; /* the rest of a multi-line field */
		}
		colon = memchr(l, ':', n);
		if (colon == NULL || colon == l) {
			snprintf(d->msg, sizeof d->msg,
			         "line %u: not a 'Field: value' line "
			         "(not a dpkg status file?)",
			         line);
			rc = RP_E_SYNTAX;
			goto out;
		}
		if (!open)
			p.line = line;
		open = true;
		for (k = 0; k < sizeof fields / sizeof fields[0]; k++) {
			size_t fl = strlen(fields[k].name);

			if ((size_t)(colon - l) != fl ||
			    strncasecmp(l, fields[k].name, fl) != 0)
				continue;
			if (!field(colon + 1, n - (size_t)(colon + 1 - l),
			           (char *)&p + fields[k].off, fields[k].cap)) {
				snprintf(d->msg, sizeof d->msg,
				         "line %u: %s too long", line,
				         fields[k].name);
				rc = RP_E_TOO_BIG;
				goto out;
			}
		}
	}
	if (open)
		rc = add_pkg(s, &p, vendor, d);
out:
	return rc;
}

/* ---- the components CSV ---- */

#define CSV_FIELDS 5
#define CSV_CELL   4096

/* The header line ("license" spelled either way). */
static const char hdr1[] = "name,version,purl,licence,hashes",
                  hdr2[] = "name,version,purl,license,hashes";

/*
 * Split one line t[0..n) into CSV_FIELDS cells (rp_csv_split, the one CSV
 * splitter: RFC 4180 quoting, "..." with "" for a quote). false with why.
 */
static bool csv_split(const char *t, size_t n, char cell[][CSV_CELL],
                      const char **why)
{
	struct rp_csv_field f[CSV_FIELDS];
	struct rp_csv_error e;
	size_t k;

	for (k = 0; k < CSV_FIELDS; k++) {
		f[k].dst = cell[k];
		f[k].cap = CSV_CELL;
	}
	if (rp_csv_split(t, n, f, CSV_FIELDS, &e) == RP_OK)
		return true;
	switch (e.fault) {
	case RP_CSV_TOO_MANY:
		*why = "more than 5 fields";
		break;
	case RP_CSV_TOO_FEW:
		*why = "not 5 fields (name,version,purl,licence,hashes)";
		break;
	case RP_CSV_UNTERMINATED:
		*why = "an unterminated quote";
		break;
	case RP_CSV_AFTER_QUOTE:
		*why = "text after a closing quote";
		break;
	case RP_CSV_QUOTE_INSIDE:
		*why = "a quote inside an unquoted field";
		break;
	default: /* RP_CSV_TOO_LONG */
		*why = "a field longer than 4095 bytes";
		break;
	}
	return false;
}

/* "ALG:HEX;ALG:HEX" in cell (modified in place) into c. */
static bool csv_hashes(char *cell, struct rp_sbom_component *c)
{
	char *p = cell, *semi, *colon;

	c->nhash = 0;
	while (*p != '\0') {
		semi = strchr(p, ';');
		if (semi != NULL)
			*semi = '\0';
		colon = strchr(p, ':');
		if (colon == NULL || colon == p || colon[1] == '\0' ||
		    c->nhash == RP_SBOM_MAX_HASHES)
			return false;
		*colon = '\0';
		c->hash[c->nhash].alg = p;
		c->hash[c->nhash].content = colon + 1;
		c->nhash++;
		if (semi == NULL)
			break;
		p = semi + 1;
		if (*p == '\0')
			return false; /* a trailing ';' */
	}
	return true;
}

rp_err rp_sbom_add_csv(struct rp_sbom *s, const char *text, size_t len,
                       struct rp_sbom_diag *d)
{
	char(*cell)[CSV_CELL] = NULL;
	struct rp_sbom_diag local, cd;
	struct rp_sbom_component c;
	const char *why;
	size_t i = 0;
	unsigned line = 0;
	rp_err rc = RP_OK;

	if (d == NULL)
		d = &local;
	d->msg[0] = '\0';
	cell = rp_malloc(CSV_FIELDS * sizeof *cell); /* owned here */
	if (cell == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	while (i < len) {
		const char *l;
		size_t n;

		if (!next_line(text, len, &i, &line, &l, &n, d)) {
			rc = RP_E_CSV;
			goto out;
		}
		if (line == 1) {
			if (n != sizeof hdr1 - 1 || (memcmp(l, hdr1, n) != 0 &&
			                             memcmp(l, hdr2, n) != 0)) {
				snprintf(d->msg, sizeof d->msg,
				         "line 1: the header must be "
				         "name,version,purl,licence,hashes");
				rc = RP_E_CSV;
				goto out;
			}
			continue;
		}
		if (n == 0)
			continue;
		if (!csv_split(l, n, cell, &why)) {
			snprintf(d->msg, sizeof d->msg, "line %u: %s", line,
			         why);
			rc = RP_E_CSV;
			goto out;
		}
		memset(&c, 0, sizeof c);
		c.name = cell[0];
		c.version = cell[1][0] != '\0' ? cell[1] : NULL;
		c.purl = cell[2][0] != '\0' ? cell[2] : NULL;
		c.licence = cell[3][0] != '\0' ? cell[3] : NULL;
		if (!csv_hashes(cell[4], &c)) {
			snprintf(d->msg, sizeof d->msg,
			         "line %u: hashes must be ALG:HEX separated by "
			         "';' (at most %u)",
			         line, RP_SBOM_MAX_HASHES);
			rc = RP_E_CSV;
			goto out;
		}
		rc = rp_sbom_add(s, &c, &cd);
		if (rc != RP_OK) {
			snprintf(d->msg, sizeof d->msg, "line %u: %s", line,
			         cd.msg);
			goto out;
		}
	}
	if (line == 0) {
		snprintf(d->msg, sizeof d->msg, "line 1: empty, no header");
		rc = RP_E_CSV;
	}
out:
	rp_free(cell);
	return rc;
}
