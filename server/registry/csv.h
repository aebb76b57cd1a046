/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csv.h - the strict allowlist CSV parser (docs/admin-api.md):
 *
 *   serial,hw_type,hw_token,group,tags
 *   SN-0001,tpm2,9f86d08...,line-a,eu;lab
 *
 * One header line exactly as above (optional), then one device per line:
 * five fields, RFC 4180 quoting allowed, LF or CRLF line ends, lines
 * starting with '#' ignored. serial and group are 1..64 of [A-Za-z0-9._-],
 * and the serial must not be reserved (begin with "rampart" in any case:
 * rp_broker_device_id_check), hw_type 1..64 of [A-Za-z0-9._-], hw_token
 * empty or 1..128 of [A-Za-z0-9:+/=._-], tags up to 256 of the same as
 * serial plus ';'. Anything else is an error that names its line (and,
 * for a serial, the serial and why).
 */
#ifndef RAMPARTD_CSV_H
#define RAMPARTD_CSV_H

#include <stddef.h>

#include "rampart/err.h"
#include "store/store.h"

#define CSV_MAX_BYTES (16 * 1024 * 1024)

/* Called once per device line; a non-zero return stops with RP_E_CSV. */
typedef int (*csv_row_cb)(void *arg, unsigned line,
                          const struct store_device *d);

/*
 * Parse text[0..len); cb gets each entry (state STORE_DEV_ALLOWLISTED).
 * RP_E_CSV with why = "line N: reason" (cap bytes) on the first error;
 * *rows gets the number of device lines accepted.
 */
rp_err allowlist_csv_parse(const char *text, size_t len, csv_row_cb cb,
                           void *arg, size_t *rows, char *why,
                           size_t cap) RP_WARN_UNUSED;

#endif
