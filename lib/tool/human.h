/* SPDX-License-Identifier: Apache-2.0 */
/*
 * human.h - how the programs show things to a person (docs/cli.md,
 * "Output"): times as ISO 8601 UTC with a relative hint, spans of time,
 * tables whose columns fit what they hold, and whether to use colour.
 * Text only: --json output never comes through here.
 */
#ifndef RAMPART_TOOL_HUMAN_H
#define RAMPART_TOOL_HUMAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* "in 89 days", "3 h ago", "now": the distance from now to t. */
const char *human_rel(int64_t t, int64_t now, char *buf, size_t cap);

/* v clamped to [0, max]: a count of seconds from a server, before it is
 * subtracted from a time (no overflow whatever it sent). */
int64_t human_clamp(long long v, int64_t max);

/* off of size in percent, 0..100, without overflow for any int64 values
 * (a device reports both): off * 100 / size while off * 100 fits, else
 * off / (size / 100); at most 99 until off reaches size, 100 from there
 * (and for size <= 0). */
int64_t human_percent(int64_t off, int64_t size);

/* "2026-12-02 04:13:05Z (in 89 days)"; "-" for t <= 0 (never). */
const char *human_time(int64_t t, int64_t now, char *buf, size_t cap);

/* A span of seconds: "42 s", "4 min 10 s", "2 h 5 min", "3 days 4 h". */
const char *human_span(int64_t s, char *buf, size_t cap);

/*
 * Colour on f: only on a terminal, never when NO_COLOR is set to
 * anything (https://no-color.org) or TERM is "dumb".
 */
bool human_color(FILE *f);

/*
 * A table printed with each column as wide as its widest cell, two
 * spaces apart, the last column unpadded. Cells are copied with bytes
 * outside printable ASCII escaped (rp_escape), so device-supplied text
 * cannot move the cursor. human_table_add returns -1 when out of memory
 * (the table then prints what it has). A table without rows prints the
 * line none instead of its head ("no devices"), or only its head when
 * none is NULL.
 */
struct human_table;
struct human_table *human_table_new(size_t ncols, const char *const *heads);
int human_table_add(struct human_table *t, const char *const *cells);
void human_table_print(const struct human_table *t, const char *none, FILE *f);
void human_table_free(struct human_table *t);

#endif
