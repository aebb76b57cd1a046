/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.h - the strict configuration reader used by every Rampart program.
 *
 * Format (docs/config-format.md): INI-like lines of "key = value" under
 * optional "[section]" headers; "#" starts a comment line. A program
 * describes every key it accepts in a schema; the reader fills the caller's
 * struct at each key's offset. Unknown sections and keys, repeated keys,
 * values of the wrong type or out of range, and missing required keys are
 * errors reported as "file:line: message".
 */
#ifndef RAMPART_CONFIG_H
#define RAMPART_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "rampart/err.h"

/* Hard limits: a config file is small and written by a person. */
#define RP_CONFIG_MAX_BYTES (1024 * 1024)
#define RP_CONFIG_MAX_LINE  4096

enum rp_config_type {
	RP_CONFIG_STRING,   /* char *, heap, owned by the struct */
	RP_CONFIG_INT,      /* int64_t, min..max */
	RP_CONFIG_BOOL,     /* int: true/false/yes/no/on/off/1/0 */
	RP_CONFIG_ENUM,     /* int: index into choices */
	RP_CONFIG_DURATION, /* int64_t seconds: "90", "30s", "15m", "2h", "90d"
	                     */
	RP_CONFIG_SIZE,     /* int64_t bytes: "512", "64KiB", "10MiB", "1GiB" */
};

enum rp_config_flag {
	RP_CONFIG_REQUIRED = 1u << 0, /* absent key is an error */
	RP_CONFIG_SECRET = 1u << 1,   /* value never echoed in messages */
};

struct rp_config_key {
	const char *section; /* "" for keys before any [section] */
	const char *name;
	enum rp_config_type type;
	size_t offset;              /* of the field in the caller's struct */
	int64_t min, max;           /* INT, DURATION, SIZE; both 0: no bounds */
	const char *const *choices; /* ENUM: NULL-terminated list */
	const char *def;            /* STRING: default copied when absent */
	unsigned flags;             /* enum rp_config_flag */
};

/* Where and why parsing failed. msg never contains a SECRET value. */
struct rp_config_diag {
	char file[256];
	unsigned line; /* 0 when the error is not on one line */
	char msg[256];
	char text[560]; /* "file:line: msg", ready to print */
};

/*
 * Parse text[0..len) (name is used in messages) against the schema keys
 * (nkeys entries) into out. Fields of keys that are absent keep the value
 * the caller put there, except STRING fields, which get a copy of def
 * (or stay NULL). On error, diag (may be NULL) says where and why, and
 * every STRING field is freed and set to NULL.
 * STRING fields must be NULL on entry. Release them with rp_config_free().
 */
RP_API rp_err rp_config_parse(const struct rp_config_key *keys, size_t nkeys,
                              const char *text, size_t len, const char *name,
                              void *out,
                              struct rp_config_diag *diag) RP_WARN_UNUSED;

/* As rp_config_parse, reading the file at path. */
RP_API rp_err rp_config_load(const struct rp_config_key *keys, size_t nkeys,
                             const char *path, void *out,
                             struct rp_config_diag *diag) RP_WARN_UNUSED;

/* Free (and wipe, for SECRET keys) the STRING fields of out; set to NULL. */
RP_API void rp_config_free(const struct rp_config_key *keys, size_t nkeys,
                           void *out);

#endif
