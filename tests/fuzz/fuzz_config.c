/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_config.c - libFuzzer harness for the configuration reader: any
 * input must parse or fail cleanly, leave no string behind on failure, and
 * produce a diagnostic that names a line inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rampart/config.h"

struct cfg {
	char *name;
	char *secret;
	int64_t port;
	int enabled;
	int mode;
	int64_t lifetime;
	int64_t limit;
};

static const char *const modes[] = {"file", "pkcs11", "tpm", NULL};

static const struct rp_config_key keys[] = {
    {"", "name", RP_CONFIG_STRING, offsetof(struct cfg, name), 0, 0, NULL,
     "dflt", 0},
    {"server", "port", RP_CONFIG_INT, offsetof(struct cfg, port), 1, 65535,
     NULL, NULL, RP_CONFIG_REQUIRED},
    {"server", "token", RP_CONFIG_STRING, offsetof(struct cfg, secret), 0, 0,
     NULL, NULL, RP_CONFIG_SECRET},
    {"server", "enabled", RP_CONFIG_BOOL, offsetof(struct cfg, enabled), 0, 0,
     NULL, NULL, 0},
    {"key.store", "mode", RP_CONFIG_ENUM, offsetof(struct cfg, mode), 0, 0,
     modes, NULL, 0},
    {"key.store", "lifetime", RP_CONFIG_DURATION,
     offsetof(struct cfg, lifetime), 60, 400 * 86400, NULL, NULL, 0},
    {"key.store", "limit", RP_CONFIG_SIZE, offsetof(struct cfg, limit), 0, 0,
     NULL, NULL, 0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg c;
	struct rp_config_diag d;
	size_t n = sizeof keys / sizeof keys[0];
	rp_err rc;

	memset(&c, 0, sizeof c);
	rc = rp_config_parse(keys, n, (const char *)data, size, "fuzz", &c, &d);
	if (rc != RP_OK) {
		/* On failure no string survives and the message is set. */
		if (c.name != NULL || c.secret != NULL || d.text[0] == '\0')
			abort();
	} else if (c.port < 1 || c.port > 65535 || c.name == NULL) {
		abort();
	}
	rp_config_free(keys, n, &c);
	return 0;
}
