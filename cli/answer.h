/* SPDX-License-Identifier: Apache-2.0 */
/*
 * answer.h - reading and printing rampartd's JSON answers in the admin
 * commands (allowlist, claim, device): the server is trusted to be ours,
 * not to be right, so a missing or mistyped field reads as "" or 0, and
 * every string is made safe for a terminal before it is printed.
 */
#ifndef RAMPART_CLI_ANSWER_H
#define RAMPART_CLI_ANSWER_H

#include <stdint.h>

#include <jansson.h>

/* o[k] as a string; "" when o is not an object, k is absent or not a
 * string. The string is o's. */
const char *answer_str(const json_t *o, const char *k);

/* o[k] as an integer; 0 when absent or not an integer. */
long long answer_num(const json_t *o, const char *k);

/*
 * Rewrite every string inside j for a terminal: bytes outside printable
 * ASCII (ESC, CR, BS, the UTF-8 of C1 controls, ...) and the backslash
 * become \xNN, as in rampartd's log. Device- and operator-supplied text
 * (a firmware version, an event's detail, a quarantine reason, a group)
 * could otherwise rewrite the screen. A string that cannot be rewritten
 * (no memory) becomes "?".
 */
void answer_tidy(json_t *j);

/* j as indented JSON on stdout, non-ASCII as \uXXXX (a C1 control such as
 * U+009B reaches the terminal escaped; jansson escapes C0 itself). */
void answer_print_json(const json_t *j);

#endif
