/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sbom_int.h - what the files of lib/sbom share and nobody else sees: the
 * refusal message with its JSON path, jansson's load with the folder's
 * rules, and checked string members.
 */
#ifndef RAMPART_SBOM_INT_H
#define RAMPART_SBOM_INT_H

#include <jansson.h>

#include "sbom.h"

/* d->msg = "PATH: MESSAGE" (d may be NULL). */
void sbom_fail(struct rp_sbom_diag *d, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * json_loadb of data[0..len) as an object, duplicates refused, at most
 * RP_SBOM_MAX_FILE bytes: the tree (caller's, json_decref) or NULL with
 * *rc (RP_E_SYNTAX with jansson's line and column in d, RP_E_TOO_BIG,
 * RP_E_NOMEM).
 */
json_t *sbom_load(const void *data, size_t len, struct rp_sbom_diag *d,
                  rp_err *rc);

/*
 * v as a string of 1..RP_SBOM_MAX_STR bytes (0 allowed when empty_ok)
 * without control bytes: *out points into v. RP_E_SYNTAX or RP_E_TOO_BIG
 * naming path.
 */
rp_err sbom_str(json_t *v, const char *path, bool empty_ok, const char **out,
                struct rp_sbom_diag *d);

/* A new slot at the end of s->comp (zeroed): NULL when out of memory or
 * past RP_SBOM_MAX_COMPONENTS (*rc says which). cdx.c */
struct rp_sbom_component *sbom_push(struct rp_sbom *s, rp_err *rc);
/* Keep str (rp_malloc'd) until rp_sbom_free; false (str freed) when out of
 * memory. cdx.c */
bool sbom_keep(struct rp_sbom *s, char *str);
/*
 * Check component c (any JSON value) at path, depth levels down: with
 * push, append it to s->comp and then its nested components; without,
 * only check them (metadata.component) and fill *out when not NULL.
 * cdx.c
 */
rp_err sbom_component(struct rp_sbom *s, json_t *c, const char *path,
                      unsigned depth, bool push, struct rp_sbom_component *out,
                      struct rp_sbom_diag *d);

/* Whether key is one of the NULL-ended list. */
bool sbom_in(const char *key, const char *const *list);

#endif
