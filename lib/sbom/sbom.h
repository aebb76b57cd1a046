/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sbom.h - software bills of materials and known vulnerabilities, pure
 * logic for the host tools (lib/sbom/, rampart_sbom; docs/sbom.md):
 *  - package URLs (purl.c): a strict parser and the identity rules;
 *  - version ordering (version.c): Debian (Policy 5.6.12) and SemVer 2.0.0;
 *  - CycloneDX 1.5/1.6 JSON (cdx.c): a strict parser whose refusal names
 *    the JSON path of the fault, and a builder/writer (cdx_write.c) fed by
 *    a dpkg status file or a components CSV (inputs.c);
 *  - OSV JSON (osv.c): a strict parser and a loader of a file or a folder;
 *  - matching (match.c): an SBOM's components against OSV records.
 * Linked by rampartd and the rampart CLI, never by the device SDK: this
 * header is the folder's own (like lib/tool/cmdline.h), not installed.
 * Nothing here prints, exits or keeps global state; every allocation goes
 * through rampart/alloc.h and each result has one owner, its free function.
 */
#ifndef RAMPART_SBOM_H
#define RAMPART_SBOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rampart/err.h"

/* Limits of what is accepted (docs/sbom.md "Limits"). */
#define RP_SBOM_MAX_FILE       (32u << 20) /* one SBOM or OSV file */
#define RP_SBOM_MAX_COMPONENTS 50000u      /* all levels together */
#define RP_SBOM_MAX_DEPTH      8u          /* nested components */
#define RP_SBOM_MAX_STR        1024u   /* bytes of a name, version, purl... */
#define RP_SBOM_MAX_HASHES     16u     /* per component */
#define RP_SBOM_MAX_LICENSES   16u     /* per component */
#define RP_OSV_MAX_FILES       200000u /* files of an OSV folder */
#define RP_OSV_MAX_ITEMS       4096u   /* affected, ranges, events, ... */
#define RP_PURL_MAX_QUAL       16u     /* qualifiers of one purl */

/*
 * Why a parser refused: one line naming the JSON path (or the line of a
 * text input) and the fault: "$.components[3].purl: not a package URL
 * (no 'pkg:' scheme)". Empty when nothing was refused.
 */
struct rp_sbom_diag {
	char msg[320];
};

/* ---- package URLs (purl.c) ---- */

struct rp_purl_qual {
	const char *key, *value; /* key lowercase, value decoded */
};

/*
 * A parsed purl: every part percent-decoded into one buffer owned by the
 * struct (rp_purl_free). type is lowercase; ns, version, subpath are NULL
 * when absent (ns: segments joined by '/'); quals sorted by key.
 */
struct rp_purl {
	const char *type, *ns, *name, *version, *subpath;
	struct rp_purl_qual qual[RP_PURL_MAX_QUAL];
	size_t nqual;
	char *mem; /* owned */
};

/*
 * Parse s strictly (the purl spec: pkg:type/namespace/name@version?
 * qualifiers#subpath; 'pkg://' accepted as the spec says). Refused
 * (RP_E_SYNTAX, why in d when not NULL): no 'pkg:' scheme, a bad type,
 * no name, an empty or '.'/'..' segment where one is not allowed, a bad
 * percent-escape or one decoding to NUL, a non-ASCII or control byte,
 * a bad or repeated qualifier key, more than RP_PURL_MAX_QUAL qualifiers;
 * RP_E_TOO_BIG past RP_SBOM_MAX_STR; RP_E_NOMEM. p is zeroed on failure.
 */
__attribute__((warn_unused_result)) rp_err
rp_purl_parse(const char *s, struct rp_purl *p, struct rp_sbom_diag *d);
void rp_purl_free(struct rp_purl *p);

/* The value of qualifier key (lowercase) or NULL. */
const char *rp_purl_qual(const struct rp_purl *p, const char *key);

/*
 * Whether a and b name the same package: same type, and namespace and
 * name equal by the type's rules (case-insensitive for the types whose
 * spec says so: deb, apk, alpm, github, bitbucket, composer, golang,
 * hex, npm, pypi, luarocks; pypi also treats '_' and '.' as '-').
 * Versions, qualifiers and subpaths are not compared.
 */
bool rp_purl_same_package(const struct rp_purl *a, const struct rp_purl *b);

/* ---- versions (version.c) ---- */

/* Whether v is a Debian version ([epoch:]upstream[-revision], Policy
 * 5.6.12): epoch digits, upstream starting with a digit, the allowed
 * characters in each part. */
bool rp_ver_deb_valid(const char *v);
/* Debian ordering of a and b (any strings; meaningful for valid ones):
 * <0, 0, >0 as dpkg --compare-versions lt/eq/gt. */
int rp_ver_deb_cmp(const char *a, const char *b);
/* Whether v is a SemVer 2.0.0 version (no leading 'v', no leading zeros
 * in numeric parts, pre-release and build identifiers well-formed). */
bool rp_ver_semver_valid(const char *v);
/* SemVer 2.0.0 precedence of two valid versions (build metadata
 * ignored): <0, 0, >0. */
int rp_ver_semver_cmp(const char *a, const char *b);

/* ---- CycloneDX SBOMs (cdx.c, cdx_write.c) ---- */

struct rp_sbom_hash {
	const char *alg;     /* "SHA-256": one of CycloneDX's hash-alg */
	const char *content; /* hex, its length fitting alg */
};

/* One component, nested ones flattened after their parent (depth-first). */
struct rp_sbom_component {
	const char *type;    /* "library", ...: CycloneDX component type */
	const char *name;    /* never NULL */
	const char *version; /* NULL when absent */
	const char *purl;    /* NULL when absent; parses by rp_purl_parse */
	const char *licence; /* the expression, or the licences' ids or names
	                        joined by ", " (NULL when none) */
	const char *bom_ref; /* NULL when absent */
	struct rp_sbom_hash hash[RP_SBOM_MAX_HASHES];
	size_t nhash;
	unsigned depth; /* 0 for $.components[i] */
	char path[160]; /* "$.components[3].components[0]" */
};

/*
 * A parsed or built SBOM. Strings point into the JSON tree the struct
 * owns; rp_sbom_free releases everything.
 */
struct rp_sbom {
	const char *spec_version; /* "1.5" or "1.6" */
	const char *serial;       /* NULL when absent */
	const char *name;         /* metadata.component.name, or NULL */
	const char *version;      /* metadata.component.version, or NULL */
	struct rp_sbom_component *comp;
	size_t ncomp, cap;
	void *json; /* owned: jansson's json_t of the document */
	char **own; /* owned strings (licences joined) */
	size_t nown;
};

/*
 * Parse a CycloneDX JSON document strictly: bomFormat "CycloneDX",
 * specVersion "1.5" or "1.6", only the schema's top-level keys, and every
 * component (metadata.component and components[] at every level):
 * type from the schema's list, a non-empty name, version/purl/bom-ref
 * strings (the purl by rp_purl_parse), licenses as the schema's
 * licenseChoice, hashes with a known alg and hex content of that alg's
 * length; bounded by the RP_SBOM_MAX_* limits. Refused: RP_E_SYNTAX
 * (d names the JSON path), RP_E_UNSUPPORTED (another specVersion),
 * RP_E_TOO_BIG (a limit), RP_E_NOMEM. *out is NULL on failure.
 */
__attribute__((warn_unused_result)) rp_err
rp_sbom_parse(const void *data, size_t len, struct rp_sbom **out,
              struct rp_sbom_diag *d);
void rp_sbom_free(struct rp_sbom *s);

/* A new, empty CycloneDX 1.6 SBOM describing the firmware name/version
 * (metadata.component, type "firmware"); timestamp 0: none, else the
 * metadata timestamp (seconds since the epoch). NULL: no memory. */
struct rp_sbom *rp_sbom_new(const char *name, const char *version,
                            int64_t timestamp);
/*
 * Add a component (type "library" when c->type is NULL; licence: one SPDX
 * id or expression, or NULL). Checked as the parser checks it (RP_E_SYNTAX
 * with why in d), RP_E_TOO_BIG past RP_SBOM_MAX_COMPONENTS, RP_E_NOMEM.
 */
__attribute__((warn_unused_result)) rp_err
rp_sbom_add(struct rp_sbom *s, const struct rp_sbom_component *c,
            struct rp_sbom_diag *d);
/* The document as JSON text (indented, ends in a newline): *out owned by
 * the caller (rp_free). RP_E_NOMEM. */
__attribute__((warn_unused_result)) rp_err
rp_sbom_write(const struct rp_sbom *s, char **out, size_t *len);

/*
 * Inputs of rampart sbom generate (inputs.c), each adding components:
 *  - a dpkg status file (var/lib/dpkg/status): every package whose Status
 *    says installed ("install ok installed", "hold ok installed": the
 *    third word, whatever is wanted of it) becomes
 * pkg:deb/VENDOR/NAME@VERSION?arch= ARCH[&upstream=SOURCE[@SRCVERSION]] (vendor
 * "debian");
 *  - a components CSV: the header "name,version,purl,licence,hashes",
 *    then one component a line; hashes "ALG:HEX" separated by ';'.
 * Refused: RP_E_SYNTAX / RP_E_CSV with the line in d, and rp_sbom_add's.
 */
__attribute__((warn_unused_result)) rp_err
rp_sbom_add_dpkg_status(struct rp_sbom *s, const char *text, size_t len,
                        const char *vendor, struct rp_sbom_diag *d);
__attribute__((warn_unused_result)) rp_err
rp_sbom_add_csv(struct rp_sbom *s, const char *text, size_t len,
                struct rp_sbom_diag *d);

/* ---- OSV records (osv.c) ---- */

enum rp_osv_range_type { RP_OSV_ECOSYSTEM, RP_OSV_SEMVER, RP_OSV_GIT };
enum rp_osv_event_kind {
	RP_OSV_INTRODUCED,
	RP_OSV_FIXED,
	RP_OSV_LAST_AFFECTED,
	RP_OSV_LIMIT,
};

struct rp_osv_event {
	enum rp_osv_event_kind kind;
	const char *version; /* "0" for an introduced at the beginning */
};

struct rp_osv_range {
	enum rp_osv_range_type type;
	struct rp_osv_event *ev; /* owned by the db */
	size_t nev;
};

struct rp_osv_affected {
	const char *ecosystem, *name; /* package; NULL when absent */
	const char *purl;             /* NULL when absent */
	struct rp_osv_range *range;   /* owned by the db */
	size_t nrange;
	const char **versions; /* owned by the db */
	size_t nversions;
};

struct rp_osv_vuln {
	const char *id, *modified, *summary; /* summary may be NULL */
	const char **aliases;                /* owned by the db */
	size_t naliases;
	struct rp_osv_affected *aff; /* owned by the db */
	size_t naff;
	bool withdrawn;
	void *json; /* owned: the record's json_t */
};

struct rp_osv_db {
	struct rp_osv_vuln *v;
	size_t n, cap;
};

/*
 * Parse one OSV record (a JSON object) strictly and append it to db: id
 * and modified (RFC 3339) required, aliases/related strings, affected[]
 * with package {ecosystem, name, purl}, ranges[] {type ECOSYSTEM|SEMVER|
 * GIT (GIT needs repo), events [{introduced|fixed|last_affected|limit}],
 * at least one introduced, not both fixed and last_affected}, versions[]
 * strings; SEMVER versions must be SemVer 2.0.0 (or "0" introduced),
 * Debian and Ubuntu ECOSYSTEM versions Debian versions. A refusal names
 * the JSON path in d (prefixed by where, e.g. the file name, when not
 * NULL); db is unchanged then. RP_E_SYNTAX, RP_E_TOO_BIG, RP_E_NOMEM.
 */
__attribute__((warn_unused_result)) rp_err
rp_osv_parse(struct rp_osv_db *db, const void *data, size_t len,
             const char *where, struct rp_sbom_diag *d);
/*
 * Load path: a file holding one record, or a folder whose *.json files
 * (not descending into sub-folders, in name order) each hold one. The
 * first refused file refuses the load (d names it) and leaves db as it
 * was: a folder loads whole or not at all. RP_E_NOT_FOUND,
 * RP_E_IO, RP_E_TOO_BIG (over RP_OSV_MAX_FILES files or a file over
 * RP_SBOM_MAX_FILE) and rp_osv_parse's.
 */
__attribute__((warn_unused_result)) rp_err
rp_osv_load(struct rp_osv_db *db, const char *path, struct rp_sbom_diag *d);
void rp_osv_db_free(struct rp_osv_db *db);

/* ---- matching (match.c) ---- */

struct rp_vuln_finding {
	size_t comp;                    /* index in the sbom's comp[] */
	const struct rp_osv_vuln *vuln; /* in the db */
	const char *fixed;              /* the first fixed version above the
	                                   component's, or NULL: unknown */
};

/*
 * Every (component, vulnerability) pair where an OSV record's affected
 * package is the component's (by purl, or ecosystem and name:
 * docs/sbom.md "Matching") and the component's version is in its
 * versions[] or one of its ranges (Debian ordering for Debian/Ubuntu
 * ecosystems and pkg:deb, SemVer for SEMVER ranges; GIT ranges never
 * match a version). Withdrawn records and components without a purl or
 * version are skipped. *out (owned by the caller, rp_free) in component
 * order, then record order; one finding per pair. RP_E_NOMEM.
 */
__attribute__((warn_unused_result)) rp_err
rp_vuln_match(const struct rp_sbom *s, const struct rp_osv_db *db,
              struct rp_vuln_finding **out, size_t *n);

#endif
