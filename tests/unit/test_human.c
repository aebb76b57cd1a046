/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_human.c - the programs' text output (lib/tool/human.c): ISO 8601
 * UTC times with the relative hint, spans, tables sized to their cells
 * with device text escaped, and colour only on a terminal without
 * NO_COLOR.
 */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "human.h"

/* 2026-12-02 04:13:05 UTC */
#define T0 1796184785LL

static void test_time(void **state)
{
	char b[80];

	(void)state;
	assert_string_equal(human_time(T0, T0, b, sizeof b),
	                    "2026-12-02 04:13:05Z (now)");
	assert_string_equal(human_time(T0 + 89LL * 86400 + 5, T0, b, sizeof b),
	                    "2027-03-01 04:13:10Z (in 89 days)");
	assert_string_equal(human_time(T0 - 3 * 3600, T0, b, sizeof b),
	                    "2026-12-02 01:13:05Z (3 h ago)");
	assert_string_equal(human_time(T0 - 42, T0, b, sizeof b),
	                    "2026-12-02 04:12:23Z (42 s ago)");
	assert_string_equal(human_time(T0 + 600, T0, b, sizeof b),
	                    "2026-12-02 04:23:05Z (in 10 min)");
	assert_string_equal(human_time(0, T0, b, sizeof b), "-");
	assert_string_equal(human_time(-5, T0, b, sizeof b), "-");
	/* the unit changes where the number would get long */
	assert_string_equal(human_rel(T0 + 119, T0, b, sizeof b), "in 119 s");
	assert_string_equal(human_rel(T0 + 120, T0, b, sizeof b), "in 2 min");
	assert_string_equal(human_rel(T0 - 7199, T0, b, sizeof b),
	                    "119 min ago");
	assert_string_equal(human_rel(T0 - 7200, T0, b, sizeof b), "2 h ago");
	assert_string_equal(human_rel(T0 + 2 * 86400, T0, b, sizeof b),
	                    "in 2 days");
	/* whatever a server sends: no overflow (UBSan would abort) */
	assert_string_equal(human_rel(INT64_MIN, T0, b, sizeof b),
	                    "106751991167300 days ago");
	assert_string_equal(human_rel(INT64_MAX, -T0, b, sizeof b),
	                    "in 106751991167300 days");
	assert_int_equal(human_clamp(-9, T0), 0);
	assert_int_equal(human_clamp(LLONG_MIN, T0), 0);
	assert_int_equal(human_clamp(LLONG_MAX, T0), T0);
	assert_int_equal(human_clamp(42, T0), 42);
	/* a tiny buffer is cut, not overrun */
	assert_string_equal(human_time(T0, T0, b, 5), "2026");
}

static void test_span(void **state)
{
	char b[40];

	(void)state;
	assert_string_equal(human_span(42, b, sizeof b), "42 s");
	assert_string_equal(human_span(250, b, sizeof b), "4 min 10 s");
	assert_string_equal(human_span(7500, b, sizeof b), "2 h 5 min");
	assert_string_equal(human_span(3 * 86400 + 4 * 3600 + 9, b, sizeof b),
	                    "3 days 4 h");
	assert_string_equal(human_span(-1, b, sizeof b), "0 s");
}

static char *printed_none(const struct human_table *t, const char *none)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	human_table_print(t, none, f);
	fclose(f);
	return buf;
}

static char *printed(const struct human_table *t)
{
	return printed_none(t, NULL);
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void test_table(void **state)
{
	const char *heads[] = {"SERIAL", "STATE", "GROUP"};
	const char *r1[] = {"SN-1", "enrolled", "line-a"};
	const char *r2[] = {"SN-LONGER-ONE", "revoked", "b"};
	const char *evil[] = {"SN-3", "\x1b[2J", "x\r\nfake SN-9"};
	struct human_table *t = human_table_new(3, heads);
	char *s;
	int i;

	(void)state;
	assert_non_null(t);
	/* no rows: the line that says so, or the head alone */
	s = printed_none(t, "no devices");
	assert_string_equal(s, "no devices\n");
	free(s);
	s = printed(t);
	assert_string_equal(s, "SERIAL  STATE  GROUP\n");
	free(s);
	assert_int_equal(human_table_add(t, r1), 0);
	/* with a row, none is not printed */
	s = printed_none(t, "no devices");
	assert_null(strstr(s, "no devices"));
	free(s);
	assert_int_equal(human_table_add(t, r2), 0);
	assert_int_equal(human_table_add(t, evil), 0);
	s = printed(t);
	assert_string_equal(s,
	                    "SERIAL         STATE     GROUP\n"
	                    "SN-1           enrolled  line-a\n"
	                    "SN-LONGER-ONE  revoked   b\n"
	                    "SN-3           \\x1b[2J   x\\x0d\\x0afake SN-9\n");
	free(s);
	/* many rows: the table grows */
	for (i = 0; i < 100; i++)
		assert_int_equal(human_table_add(t, r1), 0);
	s = printed(t);
	assert_int_equal(lines(s), 1 + 3 + 100);
	free(s);
	human_table_free(t);
	human_table_free(NULL);
	assert_null(human_table_new(0, heads));
}

/* A real terminal: the slave side of a pseudo-terminal. */
static FILE *a_terminal(int *master)
{
	int fd;

	*master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(*master >= 0);
	assert_int_equal(grantpt(*master), 0);
	assert_int_equal(unlockpt(*master), 0);
	fd = open(ptsname(*master), O_RDWR | O_NOCTTY);
	assert_true(fd >= 0);
	return fdopen(fd, "w");
}

/* The percent of a download a device reports: no overflow for any
 * int64 pair, 100 only at the end. */
static void test_percent(void **state)
{
	(void)state;
	assert_int_equal(human_percent(0, 1000), 0);
	assert_int_equal(human_percent(500, 1000), 50);
	assert_int_equal(human_percent(999, 1000), 99);
	assert_int_equal(human_percent(1000, 1000), 100);
	assert_int_equal(human_percent(-5, 1000), 0);
	assert_int_equal(human_percent(5, 0), 100);
	assert_int_equal(human_percent(INT64_MAX - 1, INT64_MAX), 99);
	assert_int_equal(human_percent(INT64_MAX / 2, INT64_MAX), 50);
}

static void test_color(void **state)
{
	FILE *f = tmpfile();
	int master;

	(void)state;
	assert_non_null(f);
	unsetenv("NO_COLOR");
	setenv("TERM", "xterm", 1);
	assert_false(human_color(f)); /* not a terminal */
	fclose(f);
	f = a_terminal(&master);
	assert_non_null(f);
	assert_true(human_color(f));
	setenv("NO_COLOR", "", 1); /* set, even empty: no colour */
	assert_false(human_color(f));
	unsetenv("NO_COLOR");
	setenv("TERM", "dumb", 1);
	assert_false(human_color(f));
	fclose(f);
	close(master);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_time),    cmocka_unit_test(test_span),
	    cmocka_unit_test(test_table),   cmocka_unit_test(test_color),
	    cmocka_unit_test(test_percent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
