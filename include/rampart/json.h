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
 * buf with len > 0 or a NULL out. A parse during which an allocation
 * failed is RP_E_NOMEM even when jansson succeeded (it may have dropped a
 * byte), and only such a parse is: jansson allocates through
 * rampart/alloc.h (set here on first use; a program that sets its own
 * functions before must route them through rp_malloc, or its failures
 * read as RP_E_SYNTAX). why (may be NULL) gets jansson's account of an
 * RP_E_SYNTAX that is not JSON (text, line, column); its text is "" when
 * the input was JSON but not an object, or empty.
 */
rp_err rp_json_load_object(const void *buf, size_t len, json_t **out,
                           json_error_t *why);

/*
 * From now on jansson allocates through rampart/alloc.h (rp_malloc,
 * rp_free), unless the program set its own functions before; so that a
 * caller building JSON can tell a failure for memory by
 * rp_alloc_refused(). Once per process (later calls do nothing); call it
 * before the program's threads use jansson. rp_json_load_object calls it.
 */
void rp_json_use_alloc(void);

#endif
