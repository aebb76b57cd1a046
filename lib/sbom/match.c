/* SPDX-License-Identifier: Apache-2.0 */
/*
 * match.c - an SBOM's components against OSV records (sbom.h,
 * docs/sbom.md "Matching"). A record's affected package is the
 * component's when its purl names the same package (rp_purl_same_package)
 * or, without a purl, when its ecosystem maps to the component's purl
 * type (Debian -> deb/debian, npm -> npm, ...) and its name to the purl's
 * namespace and name; a pkg:deb component is also matched by its source
 * package (the upstream qualifier), since Debian's records name source
 * packages. The version is affected when it is in versions[], or when a
 * range's events, sorted by the range's ordering, leave it affected
 * (OSV's evaluation: introduced sets, fixed and limit clear at or above,
 * last_affected clears above). Debian ordering for Debian and Ubuntu
 * ecosystems and pkg:deb, SemVer for SEMVER ranges and for other
 * ecosystems when both versions are SemVer; a version the ordering cannot
 * read, and every GIT range, matches nothing.
 */
#include <stdint.h>
#include <string.h>

#include "rampart/alloc.h"
#include "sbom_int.h"

typedef int (*cmp_fn)(const char *, const char *);

/* Ecosystem -> purl type, namespace (NULL: from the name), and the
 * separator of namespace and name inside the OSV name. */
static const struct {
	const char *eco, *type, *ns;
	char sep;
} ecos[] = {
    {"Debian", "deb", "debian", 0},
    {"Ubuntu", "deb", "ubuntu", 0},
    {"Alpine", "apk", "alpine", 0},
    {"npm", "npm", NULL, '/'},
    {"PyPI", "pypi", NULL, 0},
    {"crates.io", "cargo", NULL, 0},
    {"Go", "golang", NULL, '/'},
    {"Maven", "maven", NULL, ':'},
    {"RubyGems", "gem", NULL, 0},
    {"NuGet", "nuget", NULL, 0},
    {"Packagist", "composer", NULL, '/'},
    {"Hex", "hex", NULL, 0},
    {"Pub", "pub", NULL, 0},
    {"Hackage", "hackage", NULL, 0},
    {"CRAN", "cran", NULL, 0},
    {"SwiftURL", "swift", NULL, '/'},
};

/* The ecosystem's base name ("Debian:12" -> index of "Debian") or -1. */
static int eco_index(const char *eco)
{
	size_t i, n;

	if (eco == NULL)
		return -1;
	for (i = 0; i < sizeof ecos / sizeof ecos[0]; i++) {
		n = strlen(ecos[i].eco);
		if (strncmp(eco, ecos[i].eco, n) == 0 &&
		    (eco[n] == '\0' || eco[n] == ':'))
			return (int)i;
	}
	return -1;
}

/*
 * Whether affected package a is the package of purl p whose name is
 * name (p's own name, or its source package's): 1 yes, 0 no, -1 out of
 * memory. buf holds a's split name.
 */
static int same_package(const struct rp_osv_affected *a,
                        const struct rp_purl *p, const char *name, char *buf,
                        size_t cap)
{
	struct rp_purl q, pn = *p;
	rp_err rc;
	int k, r;

	pn.name = name;
	if (a->purl != NULL) {
		rc = rp_purl_parse(a->purl, &q, NULL);
		if (rc != RP_OK)
			return rc == RP_E_NOMEM ? -1 : 0;
		r = rp_purl_same_package(&pn, &q);
		rp_purl_free(&q);
		return r;
	}
	k = eco_index(a->ecosystem);
	if (k < 0 || a->name == NULL || strlen(a->name) >= cap)
		return 0;
	memset(&q, 0, sizeof q);
	q.type = ecos[k].type;
	q.ns = ecos[k].ns;
	memcpy(buf, a->name, strlen(a->name) + 1);
	q.name = buf;
	if (ecos[k].sep != 0) {
		char *s = strrchr(buf, ecos[k].sep);

		if (s != NULL && s != buf) {
			*s = '\0';
			q.ns = buf;
			q.name = s + 1;
		}
	}
	return rp_purl_same_package(&pn, &q);
}

/* The ordering of a range over version v (NULL: none can read v). */
static cmp_fn ordering(const struct rp_osv_affected *a,
                       const struct rp_osv_range *r, const struct rp_purl *p,
                       const char *v)
{
	int k = eco_index(a->ecosystem);
	bool deb = strcmp(p->type, "deb") == 0 ||
	           (k >= 0 && strcmp(ecos[k].type, "deb") == 0);

	if (r->type == RP_OSV_GIT)
		return NULL;
	if (r->type == RP_OSV_SEMVER)
		return rp_ver_semver_valid(v) ? rp_ver_semver_cmp : NULL;
	if (deb)
		return rp_ver_deb_valid(v) ? rp_ver_deb_cmp : NULL;
	return rp_ver_semver_valid(v) ? rp_ver_semver_cmp : NULL;
}

/* "0" first, then by cmp. */
static int ev_cmp(const struct rp_osv_event *x, const struct rp_osv_event *y,
                  cmp_fn cmp)
{
	bool zx = x->kind == RP_OSV_INTRODUCED && strcmp(x->version, "0") == 0;
	bool zy = y->kind == RP_OSV_INTRODUCED && strcmp(y->version, "0") == 0;

	if (zx || zy)
		return zx == zy ? 0 : zx ? -1 : 1;
	return cmp(x->version, y->version);
}

/*
 * Sort ev[0..n) by ev_cmp, stable (events of equal versions keep the
 * feed's order), in n log n: a bottom-up merge through tmp[0..n). A feed
 * may hold 4096 events in a range (RP_OSV_MAX_ITEMS), and each component
 * of the package sorts them again.
 */
static void sort_events(struct rp_osv_event *ev, struct rp_osv_event *tmp,
                        size_t n, cmp_fn cmp)
{
	struct rp_osv_event *from = ev, *to = tmp, *swap;
	size_t w, lo, mid, hi, a, b, o;

	for (w = 1; w < n; w *= 2) {
		for (lo = 0; lo < n; lo += 2 * w) {
			mid = lo + w < n ? lo + w : n;
			hi = lo + 2 * w < n ? lo + 2 * w : n;
			a = lo;
			b = mid;
			for (o = lo; o < hi; o++) {
				if (a < mid &&
				    (b >= hi ||
				     ev_cmp(&from[b], &from[a], cmp) >= 0))
					to[o] = from[a++];
				else
					to[o] = from[b++];
			}
		}
		swap = from;
		from = to;
		to = swap;
	}
	if (from != ev)
		memcpy(ev, from, n * sizeof *ev);
}

/*
 * Whether v is affected by range r under cmp; *fixed the first fixed
 * version above v when it is. RP_E_NOMEM.
 */
static rp_err in_range(const struct rp_osv_range *r, const char *v, cmp_fn cmp,
                       bool *hit, const char **fixed)
{
	struct rp_osv_event *ev;
	size_t i;
	bool aff = false;

	*hit = false;
	/* owned here: the events, then as many again for the merge */
	ev = rp_calloc(r->nev > 0 ? 2 * r->nev : 1, sizeof *ev);
	if (ev == NULL)
		return RP_E_NOMEM;
	memcpy(ev, r->ev, r->nev * sizeof *ev);
	sort_events(ev, ev + r->nev, r->nev, cmp);
	*fixed = NULL;
	for (i = 0; i < r->nev; i++) {
		const char *e = ev[i].version;
		bool zero = strcmp(e, "0") == 0;

		switch (ev[i].kind) {
		case RP_OSV_INTRODUCED:
			if (zero || cmp(v, e) >= 0)
				aff = true;
			break;
		case RP_OSV_FIXED:
			if (cmp(v, e) >= 0)
				aff = false;
			else if (aff && *fixed == NULL)
				*fixed = e;
			break;
		case RP_OSV_LAST_AFFECTED:
			if (cmp(v, e) > 0)
				aff = false;
			break;
		case RP_OSV_LIMIT:
			if (cmp(v, e) >= 0) {
				aff = false;
				i = r->nev; /* nothing at or past the limit */
			}
			break;
		}
	}
	rp_free(ev);
	*hit = aff;
	if (!aff)
		*fixed = NULL;
	return RP_OK;
}

/* Whether version v of the package is affected by a. */
static rp_err affects(const struct rp_osv_affected *a, const struct rp_purl *p,
                      const char *v, bool *hit, const char **fixed)
{
	size_t i;
	bool h;
	const char *f;
	rp_err rc;

	*hit = false;
	*fixed = NULL;
	for (i = 0; i < a->nversions; i++) {
		if (strcmp(a->versions[i], v) == 0)
			*hit = true;
	}
	for (i = 0; i < a->nrange; i++) {
		cmp_fn cmp = ordering(a, &a->range[i], p, v);

		if (cmp == NULL)
			continue;
		rc = in_range(&a->range[i], v, cmp, &h, &f);
		if (rc != RP_OK)
			return rc;
		if (h) {
			*hit = true;
			if (*fixed == NULL)
				*fixed = f;
		}
	}
	return RP_OK;
}

static rp_err add(struct rp_vuln_finding **out, size_t *n, size_t *cap,
                  size_t comp, const struct rp_osv_vuln *v, const char *fixed)
{
	if (*n == *cap) {
		size_t nc = *cap == 0 ? 16 : *cap * 2;
		struct rp_vuln_finding *f = rp_realloc(*out, nc * sizeof *f);

		if (f == NULL)
			return RP_E_NOMEM;
		*out = f;
		*cap = nc;
	}
	(*out)[*n].comp = comp;
	(*out)[*n].vuln = v;
	(*out)[*n].fixed = fixed;
	(*n)++;
	return RP_OK;
}

/* The source package of a pkg:deb purl (upstream=NAME[@VERSION]) into
 * name[0..cap) and its version (NULL: the binary's). */
static bool upstream(const struct rp_purl *p, char *name, size_t cap,
                     const char **ver)
{
	const char *u =
	    strcmp(p->type, "deb") == 0 ? rp_purl_qual(p, "upstream") : NULL;
	const char *at;
	size_t n;

	*ver = NULL;
	if (u == NULL)
		return false;
	at = strchr(u, '@');
	n = at != NULL ? (size_t)(at - u) : strlen(u);
	if (n == 0 || n >= cap)
		return false;
	memcpy(name, u, n);
	name[n] = '\0';
	if (at != NULL && at[1] != '\0')
		*ver = at + 1;
	return true;
}

/*
 * A prefilter: a hash of a package's bare name folded the loosest way
 * any type compares names (lowercase, '_' and '.' as '-'), so that two
 * names rp_purl_same_package could call equal always hash alike.
 */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		int c = (unsigned char)*s;

		if (c >= 'A' && c <= 'Z')
			c += 32;
		if (c == '_' || c == '.')
			c = '-';
		h = (h ^ (uint32_t)c) * 16777619u;
	}
	return h;
}

/* The bare name an affected package is matched by (its purl's name, or
 * the last part of its OSV name) into *h; 0 for none, which then always
 * takes the full comparison. RP_E_NOMEM. */
static rp_err aff_hash(const struct rp_osv_affected *a, uint32_t *h)
{
	const char *name = a->name;
	struct rp_purl q;
	rp_err rc;
	int k;

	*h = 0;
	if (a->purl != NULL) {
		rc = rp_purl_parse(a->purl, &q, NULL);
		if (rc == RP_OK)
			*h = name_hash(q.name);
		rp_purl_free(&q);
		return rc == RP_E_NOMEM ? rc : RP_OK;
	}
	k = eco_index(a->ecosystem);
	if (k < 0 || name == NULL)
		return RP_OK;
	if (ecos[k].sep != 0 && strrchr(name, ecos[k].sep) != NULL &&
	    strrchr(name, ecos[k].sep) != name)
		name = strrchr(name, ecos[k].sep) + 1;
	*h = name_hash(name);
	return RP_OK;
}

rp_err rp_vuln_match(const struct rp_sbom *s, const struct rp_osv_db *db,
                     struct rp_vuln_finding **out, size_t *n)
{
	char buf[RP_SBOM_MAX_STR + 1], src[RP_SBOM_MAX_STR + 1];
	size_t cap = 0, i, j, k, m, naff = 0;
	uint32_t *ah = NULL; /* owned here: each affected's name hash */
	rp_err rc = RP_OK;

	*out = NULL;
	*n = 0;
	for (j = 0; j < db->n; j++)
		naff += db->v[j].naff;
	if (naff > 0) {
		ah = rp_calloc(naff, sizeof *ah);
		if (ah == NULL) {
			rc = RP_E_NOMEM;
			goto out;
		}
	}
	for (j = 0, m = 0; j < db->n; j++) {
		for (k = 0; k < db->v[j].naff; k++) {
			rc = aff_hash(&db->v[j].aff[k], &ah[m++]);
			if (rc != RP_OK)
				goto out;
		}
	}
	for (i = 0; i < s->ncomp; i++) {
		const struct rp_sbom_component *c = &s->comp[i];
		const char *ver, *srcver;
		struct rp_purl p;
		uint32_t h, hs = 0;
		bool has_src;

		if (c->purl == NULL)
			continue;
		rc = rp_purl_parse(c->purl, &p, NULL);
		if (rc == RP_E_NOMEM)
			goto out;
		rc = RP_OK;
		if (p.mem == NULL)
			continue; /* the parser took it: cannot happen */
		ver = c->version != NULL ? c->version : p.version;
		has_src = upstream(&p, src, sizeof src, &srcver);
		h = name_hash(p.name);
		if (has_src)
			hs = name_hash(src);
		for (j = 0, m = 0; ver != NULL && j < db->n; j++) {
			const struct rp_osv_vuln *v = &db->v[j];
			const char *fixed = NULL;
			bool found = false;

			m += v->naff;
			if (v->withdrawn)
				continue;
			for (k = 0; k < v->naff; k++) {
				const struct rp_osv_affected *a = &v->aff[k];
				const char *av = ver, *f;
				uint32_t ha = ah[m - v->naff + k];
				bool hit;
				int same;

				if (ha != 0 && ha != h &&
				    (!has_src || ha != hs))
					continue;
				same = same_package(a, &p, p.name, buf,
				                    sizeof buf);
				if (same == 0 && has_src) {
					same = same_package(a, &p, src, buf,
					                    sizeof buf);
					if (same == 1 && srcver != NULL)
						av = srcver;
				}
				if (same < 0) {
					rc = RP_E_NOMEM;
					rp_purl_free(&p);
					goto out;
				}
				if (same == 0)
					continue;
				rc = affects(a, &p, av, &hit, &f);
				if (rc != RP_OK) {
					rp_purl_free(&p);
					goto out;
				}
				if (hit) {
					if (!found || fixed == NULL)
						fixed = f;
					found = true;
				}
			}
			if (found) {
				rc = add(out, n, &cap, i, v, fixed);
				if (rc != RP_OK) {
					rp_purl_free(&p);
					goto out;
				}
			}
		}
		rp_purl_free(&p);
	}
out:
	rp_free(ah);
	if (rc != RP_OK) {
		rp_free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc;
}
