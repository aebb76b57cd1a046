/* SPDX-License-Identifier: Apache-2.0 */
/*
 * diag.c - the shared pieces of lib/sbom's JSON parsers (sbom_int.h): the
 * refusal message naming a JSON path, the one json_loadb call with the
 * folder's limits, and checked strings.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rampart/json.h"
#include "sbom_int.h"

void sbom_fail(struct rp_sbom_diag *d, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (d == NULL)
		return;
	n = snprintf(d->msg, sizeof d->msg, "%s: ", path);
	if (n < 0 || (size_t)n >= sizeof d->msg)
		return;
	va_start(ap, fmt);
	vsnprintf(d->msg + n, sizeof d->msg - (size_t)n, fmt, ap);
	va_end(ap);
}

json_t *sbom_load(const void *data, size_t len, struct rp_sbom_diag *d,
                  rp_err *rc)
{
	json_error_t jerr;
	json_t *root = NULL;

	*rc = RP_E_SYNTAX;
	if (data == NULL || len == 0) {
		sbom_fail(d, "$", "empty input, not JSON");
		goto out;
	}
	if (len > RP_SBOM_MAX_FILE) {
		sbom_fail(d, "$", "%zu bytes, more than the limit of %u", len,
		          RP_SBOM_MAX_FILE);
		*rc = RP_E_TOO_BIG;
		goto out;
	}
	*rc = rp_json_load_object(data, len, &root, &jerr);
	if (*rc == RP_E_SYNTAX && jerr.text[0] != '\0')
		sbom_fail(d, "$", "not JSON: %s (line %d, column %d)",
		          jerr.text, jerr.line, jerr.column);
	else if (*rc == RP_E_SYNTAX)
		sbom_fail(d, "$", "not a JSON object");
out:
	return root;
}

rp_err sbom_str(json_t *v, const char *path, bool empty_ok, const char **out,
                struct rp_sbom_diag *d)
{
	const char *s;
	size_t n, i;

	if (!json_is_string(v)) {
		sbom_fail(d, path, "not a string");
		return RP_E_SYNTAX;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n > RP_SBOM_MAX_STR) {
		sbom_fail(d, path, "%zu bytes, more than the limit of %u", n,
		          RP_SBOM_MAX_STR);
		return RP_E_TOO_BIG;
	}
	if (n == 0 && !empty_ok) {
		sbom_fail(d, path, "empty");
		return RP_E_SYNTAX;
	}
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			sbom_fail(d, path, "a control character at byte %zu",
			          i);
			return RP_E_SYNTAX;
		}
	}
	*out = s;
	return RP_OK;
}

bool sbom_in(const char *key, const char *const *list)
{
	for (; *list != NULL; list++) {
		if (strcmp(key, *list) == 0)
			return true;
	}
	return false;
}
