/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_p11_uri.c - libFuzzer harness for our checks on top of p11-kit's
 * URI parser (rp_p11_uri_parse, lib/base/p11.c: the query-name scan, the
 * label and type checks), the code a --key pkcs11:... argument reaches:
 * any input is parsed or refused with RP_E_INVAL and no URI; what parses
 * has no module-name, no NUL in its label and a private type if any.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/base/p11_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const q[] = {"pin-value", "pin-source",
	                                "module-path", NULL};
	P11KitUri *u = NULL;
	CK_ATTRIBUTE *a;
	char *s;
	rp_err rc;

	s = malloc(size + 1); /* the parser takes a C string */
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	rc = rp_p11_uri_parse(s, q, &u);
	if (rc != RP_OK) {
		if ((rc != RP_E_INVAL && rc != RP_E_NOMEM) || u != NULL)
			abort();
		goto out;
	}
	if (p11_kit_uri_get_module_name(u) != NULL)
		abort();
	a = p11_kit_uri_get_attribute(u, CKA_LABEL);
	if (a != NULL && memchr(a->pValue, 0, a->ulValueLen) != NULL)
		abort();
	a = p11_kit_uri_get_attribute(u, CKA_CLASS);
	if (a != NULL && *(CK_OBJECT_CLASS *)a->pValue != CKO_PRIVATE_KEY)
		abort();
out:
	rp_p11_uri_free(u);
	free(s);
	return 0;
}
