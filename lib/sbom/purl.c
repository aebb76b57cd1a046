/* SPDX-License-Identifier: Apache-2.0 */
/*
 * purl.c - package URLs (sbom.h): a strict parser of the purl
 * specification's pkg:type/namespace/name@version?qualifiers#subpath,
 * percent-decoding each part into one buffer, and the identity rule
 * used by matching (type, namespace and name, case-insensitive for the
 * types whose definition says so). No Debian library parses purls in C
 * (docs/dependencies.md).
 *
 * Stricter than the spec's lenient parse where the spec calls a form
 * invalid: a separator that must be percent-encoded ('@', '?', '#') and
 * appears twice, empty namespace or subpath segments between others,
 * '.' or '..' in a subpath, a qualifier without '=' or repeated, a
 * percent-escape that is not two hex digits or decodes to a control byte.
 */
#include <stdio.h>
#include <string.h>

#include "rampart/alloc.h"
#include "sbom.h"

static void why(struct rp_sbom_diag *d, const char *msg)
{
	if (d != NULL)
		snprintf(d->msg, sizeof d->msg, "%s", msg);
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Percent-decode s[0..n) to *w (NUL-terminated); *w moves past the NUL.
 * slash: whether a decoded '/' is allowed. false for a bad escape, a
 * decoded control byte or a forbidden '/'.
 */
static bool decode(const char *s, size_t n, char **w, bool slash)
{
	char *o = *w;
	size_t i;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			int h, l;

			if (i + 2 >= n)
				return false;
			h = hexval(s[i + 1]);
			l = hexval(s[i + 2]);
			if (h < 0 || l < 0)
				return false;
			c = h * 16 + l;
			i += 2;
			if (c < 0x20 || c == 0x7f || (c == '/' && !slash))
				return false;
		}
		*o++ = (char)c;
	}
	*o++ = '\0';
	*w = o;
	return true;
}

static bool type_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return false;
	for (i = 0; i < n; i++) {
		int c = lower((unsigned char)s[i]);

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '+' || c == '-'))
			return false;
	}
	return true;
}

static bool key_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (i = 0; i < n; i++) {
		int c = lower((unsigned char)s[i]);

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/*
 * Decode the '/'-separated segments of s[0..n) (leading and trailing
 * slashes stripped) joined by '/'. NULL result when nothing is left.
 * false for an empty segment between others or a bad one ('.' and '..'
 * refused when nodots).
 */
static bool segments(const char *s, size_t n, char **w, const char **out,
                     bool nodots)
{
	char *start = *w;
	size_t i = 0, j;

	while (n > 0 && s[n - 1] == '/')
		n--;
	while (i < n && s[i] == '/')
		i++;
	*out = NULL;
	if (i == n)
		return true;
	while (i < n) {
		char *seg = *w;

		for (j = i; j < n && s[j] != '/'; j++)
			;
		if (j == i)
			return false;
		if (!decode(s + i, j - i, w, false))
			return false;
		if (nodots && (strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0))
			return false;
		if (seg[0] == '\0')
			return false;
		i = j + 1;
		if (j < n)
			(*w)[-1] = '/'; /* join: the NUL becomes the slash */
	}
	*out = start;
	return true;
}

static rp_err quals(const char *s, size_t n, char **w, struct rp_purl *p,
                    struct rp_sbom_diag *d)
{
	size_t i = 0, j, k, m;

	while (i <= n) {
		const char *eq;
		char *key;

		for (j = i; j < n && s[j] != '&'; j++)
			;
		eq = memchr(s + i, '=', j - i);
		if (eq == NULL || !key_ok(s + i, (size_t)(eq - (s + i)))) {
			why(d, "not a package URL (a qualifier is not "
			       "key=value with a key of [A-Za-z0-9._-])");
			return RP_E_SYNTAX;
		}
		key = *w;
		for (k = i; s + k < eq; k++)
			*(*w)++ = (char)lower((unsigned char)s[k]);
		*(*w)++ = '\0';
		m = (size_t)(s + j - (eq + 1));
		for (k = 0; k < p->nqual; k++) {
			if (strcmp(p->qual[k].key, key) == 0) {
				why(d, "not a package URL (a qualifier "
				       "repeated)");
				return RP_E_SYNTAX;
			}
		}
		if (m > 0) {
			const char *val = *w;

			if (p->nqual == RP_PURL_MAX_QUAL) {
				why(d, "not a package URL (too many "
				       "qualifiers)");
				return RP_E_TOO_BIG;
			}
			if (!decode(eq + 1, m, w, true)) {
				why(d, "not a package URL (bad "
				       "percent-encoding in a qualifier)");
				return RP_E_SYNTAX;
			}
			/* sorted by key (insertion) */
			for (k = p->nqual;
			     k > 0 && strcmp(p->qual[k - 1].key, key) > 0; k--)
				p->qual[k] = p->qual[k - 1];
			p->qual[k].key = key;
			p->qual[k].value = val;
			p->nqual++;
		}
		i = j + 1;
	}
	return RP_OK;
}

rp_err rp_purl_parse(const char *s, struct rp_purl *p, struct rp_sbom_diag *d)
{
	const char *hash, *q, *at, *slash, *e, *rest, *type;
	size_t len, i, tlen;
	char *w;
	rp_err rc = RP_E_SYNTAX;

	memset(p, 0, sizeof *p);
	if (d != NULL)
		d->msg[0] = '\0';
	if (s == NULL) {
		rc = RP_E_INVAL;
		goto out;
	}
	len = strlen(s);
	if (len > RP_SBOM_MAX_STR) {
		why(d, "package URL too long");
		rc = RP_E_TOO_BIG;
		goto out;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f) {
			why(d, "not a package URL (a space, control or "
			       "non-ASCII byte: percent-encode it)");
			goto out;
		}
	}
	if (len < 4 || lower(s[0]) != 'p' || lower(s[1]) != 'k' ||
	    lower(s[2]) != 'g' || s[3] != ':') {
		why(d, "not a package URL (no 'pkg:' scheme)");
		goto out;
	}
	p->mem = rp_malloc(len + 8);
	if (p->mem == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	w = p->mem;
	rest = s + 4;
	while (*rest == '/')
		rest++;
	e = s + len;
	hash = strchr(rest, '#');
	if (hash != NULL) {
		if (strchr(hash + 1, '#') != NULL) {
			why(d, "not a package URL ('#' twice: encode it as "
			       "%23)");
			goto out;
		}
		if (!segments(hash + 1, (size_t)(e - hash - 1), &w, &p->subpath,
		              true)) {
			why(d, "not a package URL (bad subpath segment)");
			goto out;
		}
		e = hash;
	}
	q = memchr(rest, '?', (size_t)(e - rest));
	if (q != NULL) {
		if (memchr(q + 1, '?', (size_t)(e - q - 1)) != NULL) {
			why(d, "not a package URL ('?' twice: encode it as "
			       "%3F)");
			goto out;
		}
		if (q + 1 < e) {
			rc = quals(q + 1, (size_t)(e - q - 1), &w, p, d);
			if (rc != RP_OK)
				goto out;
			rc = RP_E_SYNTAX;
		}
		e = q;
	}
	slash = memchr(rest, '/', (size_t)(e - rest));
	type = rest;
	tlen = slash != NULL ? (size_t)(slash - rest) : 0;
	if (slash == NULL || !type_ok(type, tlen)) {
		why(d, "not a package URL (no type/name, or a type not of "
		       "[A-Za-z0-9.+-] starting with a letter)");
		goto out;
	}
	p->type = w;
	for (i = 0; i < tlen; i++)
		*w++ = (char)lower((unsigned char)type[i]);
	*w++ = '\0';
	rest = slash + 1;
	while (e > rest && e[-1] == '/')
		e--;
	at = NULL;
	for (q = rest; q < e; q++) {
		if (*q == '@') {
			if (at != NULL) {
				why(d, "not a package URL ('@' twice: encode "
				       "it as %40)");
				goto out;
			}
			at = q;
		}
	}
	if (at != NULL) {
		p->version = w;
		if (at + 1 == e ||
		    !decode(at + 1, (size_t)(e - at - 1), &w, true)) {
			why(d, "not a package URL (empty or badly encoded "
			       "version)");
			goto out;
		}
		e = at;
	}
	for (slash = e; slash > rest && slash[-1] != '/'; slash--)
		;
	p->name = w;
	if (slash == e || !decode(slash, (size_t)(e - slash), &w, true) ||
	    p->name[0] == '\0') {
		why(d, "not a package URL (no name, or a badly encoded one)");
		goto out;
	}
	if (slash > rest &&
	    !segments(rest, (size_t)(slash - rest), &w, &p->ns, false)) {
		why(d, "not a package URL (empty or badly encoded namespace "
		       "segment)");
		goto out;
	}
	rc = RP_OK;
out:
	if (rc != RP_OK)
		rp_purl_free(p);
	return rc;
}

void rp_purl_free(struct rp_purl *p)
{
	if (p == NULL)
		return;
	rp_free(p->mem);
	memset(p, 0, sizeof *p);
}

const char *rp_purl_qual(const struct rp_purl *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->nqual; i++) {
		if (strcmp(p->qual[i].key, key) == 0)
			return p->qual[i].value;
	}
	return NULL;
}

/* How a type compares namespace and name. */
enum fold { FOLD_NONE, FOLD_CASE, FOLD_PYPI };

static enum fold type_fold(const char *type)
{
	static const char *const ci[] = {
	    "deb",    "apk", "alpm", "github",   "bitbucket", "composer",
	    "golang", "hex", "npm",  "luarocks", NULL};
	size_t i;

	if (strcmp(type, "pypi") == 0)
		return FOLD_PYPI;
	for (i = 0; ci[i] != NULL; i++) {
		if (strcmp(type, ci[i]) == 0)
			return FOLD_CASE;
	}
	return FOLD_NONE;
}

static int fold(int c, enum fold f)
{
	if (f != FOLD_NONE)
		c = lower(c);
	if (f == FOLD_PYPI && (c == '_' || c == '.'))
		c = '-';
	return c;
}

static bool same(const char *a, const char *b, enum fold f)
{
	if (a == NULL || b == NULL)
		return a == b;
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		if (fold((unsigned char)*a, f) != fold((unsigned char)*b, f))
			return false;
	}
	return *a == *b;
}

bool rp_purl_same_package(const struct rp_purl *a, const struct rp_purl *b)
{
	enum fold f;

	if (a->type == NULL || b->type == NULL || strcmp(a->type, b->type))
		return false;
	f = type_fold(a->type);
	return same(a->ns, b->ns, f) && same(a->name, b->name, f);
}
