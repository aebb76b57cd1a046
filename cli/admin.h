/* SPDX-License-Identifier: Apache-2.0 */
/*
 * admin.h - what the admin subcommands (allowlist, claim, device) share:
 * the connection options (--server, --token-file, --ca, or the
 * environment RAMPART_SERVER, RAMPART_TOKEN_FILE, RAMPART_CA) and one
 * call to rampartd's admin API (docs/admin-api.md).
 */
#ifndef RAMPART_CLI_ADMIN_H
#define RAMPART_CLI_ADMIN_H

#include <stddef.h>

#include <jansson.h>

#include "rampart/http.h"

struct admin_opts {
	const char *server;     /* https://host:port */
	const char *token_file; /* first line: the bearer token */
	const char *ca;         /* PEM file of the fleet root */
	int json;               /* print raw JSON */
	int quiet;              /* print no 4xx refusal (the caller does) */
	int *status;            /* when set: the answer's HTTP status, 0 when
	                           no answer came (transport, timeout) */
};

/*
 * Call the API: method on path ("/api/v1/..."), optional body. On a 2xx
 * answer *out gets the parsed JSON (caller json_decref) and CLI_OK is
 * returned; on 4xx the server's error is printed and CLI_NO returned;
 * anything else prints why and returns CLI_ERROR. The environment's
 * RAMPART_HTTP_TIMEOUT_MS (a test's knob) replaces the client's 30 s
 * overall deadline.
 */
int admin_call(const struct admin_opts *o, const char *method, const char *path,
               const char *ctype, const void *body, size_t len, json_t **out);

/* "90", "90s", "15m", "12h", "30d" -> seconds; -1 if malformed. */
long long admin_duration(const char *s);

/* rampart device watch (cmd_watch.c): refresh every interval seconds,
 * count times (0: until Ctrl-C, which exits CLI_OK). */
int device_watch(const struct admin_opts *o, int interval, int count);

#endif
