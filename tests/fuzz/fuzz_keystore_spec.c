/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_keystore_spec.c - libFuzzer harness for the keystore spec parser
 * (rp_keystore_spec_parse, lib/device/keystore.c): any input parses or is
 * refused with RP_E_KEYSTORE_SPEC leaving a zeroed struct; what parses
 * satisfies the documented invariants (docs/keystore.md).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rampart/keystore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void terminated(const char *s, size_t cap)
{
	if (memchr(s, '\0', cap) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rp_keystore_spec zero;
	struct rp_keystore_spec s;
	rp_err rc;

	rc = rp_keystore_spec_parse((const char *)data, size, &s);
	if (rc != RP_OK) {
		if (rc != RP_E_KEYSTORE_SPEC || memcmp(&s, &zero, sizeof s))
			abort();
		return 0;
	}
	terminated(s.dir, sizeof s.dir);
	terminated(s.kek, sizeof s.kek);
	terminated(s.module, sizeof s.module);
	terminated(s.token, sizeof s.token);
	terminated(s.object, sizeof s.object);
	terminated(s.pin, sizeof s.pin);
	terminated(s.pin_source, sizeof s.pin_source);
	terminated(s.tcti, sizeof s.tcti);
	if (s.dir[0] == '\0')
		abort();
	switch (s.kind) {
	case RP_KEYSTORE_FILE:
		if (s.kek[0] == '\0')
			abort();
		break;
	case RP_KEYSTORE_PKCS11:
		if (s.token[0] == '\0' || s.object[0] == '\0' ||
		    s.module[0] == '\0' ||
		    (s.pin[0] == '\0') == (s.pin_source[0] == '\0'))
			abort();
		break;
	case RP_KEYSTORE_TPM:
		if (s.handle < 0x81000000u || s.handle > 0x81ffffffu)
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
