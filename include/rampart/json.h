/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.h - reading a JSON message with jansson in the host programs
 * (lib/proto/json.c): one object, duplicate keys refused, and a failure
 * for memory told apart from a malformed message, which jansson 2.14 does
 * not do by itself. Not part of the device SDK's API (not installed).
 */
#ifndef RAMPART_JSON_H
#define RAMPART_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "rampart/err.h"

/*
 * Parse buf[0..len) as one JSON object (JSON_REJECT_DUPLICATES, nothing
 * after it). On RP_OK *out is the object (the caller owns it:
 * json_decref). Otherwise *out is NULL and the result is RP_E_NOMEM when
 * jansson ran out of memory, RP_E_SYNTAX for anything else (not JSON, a
 * duplicate key, another value than an object), RP_E_INVAL for a NULL
 * buf with len > 0 or a NULL out. why (may be NULL) gets jansson's
 * account of an RP_E_SYNTAX that is not JSON (text, line, column); its
 * text is "" when the input was JSON but not an object, or empty.
 */
rp_err rp_json_load_object(const void *buf, size_t len, json_t **out,
                           json_error_t *why);

#endif
