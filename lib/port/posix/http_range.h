/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http_range.h - the HTTPS client's parser of a 206's Content-Range
 * (internal to librampart; tests/fuzz/fuzz_content_range.c links it).
 */
#ifndef RAMPART_HTTP_RANGE_H
#define RAMPART_HTTP_RANGE_H

#include <stdint.h>

#include "rampart/err.h"

#define RP_HTTP_RANGE_TOTAL_UNKNOWN UINT64_MAX /* "bytes S-E/" then "*" */

/*
 * "bytes START-END/TOTAL" or "bytes START-END/" "*" (RFC 9110 14.4; "bytes"
 * in any case, one space, decimal digits only, nothing after). RP_OK with
 * START <= END and, when TOTAL is known, END < TOTAL (TOTAL is then
 * RP_HTTP_RANGE_TOTAL_UNKNOWN for "*"); RP_E_HTTP for anything else,
 * including a number past UINT64_MAX - 1. NULL s: RP_E_HTTP.
 */
rp_err rp_http_content_range_parse(const char *s, uint64_t *start,
                                   uint64_t *end, uint64_t *total);

#endif
