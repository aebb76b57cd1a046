/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_flash_file.c - the flash-file port: created erased, NOR writes
 * (only clear bits), sector erase, geometry checks, never replacing a
 * file by accident, and the boot-state record stored through it.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "rampart/boot.h"
#include "rampart/flash_file.h"

static void tmpname(char *out, size_t cap)
{
	snprintf(out, cap, "%s/rp-flash-%ld.bin",
	         getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp",
	         (long)getpid());
}

static void test_nor_semantics(void **state)
{
	struct rp_flash_file ff;
	struct rp_boot_layout l;
	struct rp_boot_state st = {0}, back;
	char path[512];
	uint8_t buf[16], w[8];

	(void)state;
	tmpname(path, sizeof path);
	unlink(path);
	assert_int_equal(rp_flash_file_create(path, 8 * 1024, false), RP_OK);
	assert_int_equal(rp_flash_file_create(path, 8 * 1024, false),
	                 RP_E_EXISTS);
	/* Not a multiple of the sector size / not a power of two. */
	assert_int_equal(rp_flash_file_open(&ff, path, 3000), RP_E_INVAL);
	assert_int_equal(rp_flash_file_open(&ff, path, 16384), RP_E_INVAL);
	assert_int_equal(rp_flash_file_open(&ff, path, 1024), RP_OK);
	assert_int_equal(ff.f.size, 8 * 1024);
	assert_int_equal(rp_flash_read(&ff.f, 1024, buf, sizeof buf), RP_OK);
	for (size_t i = 0; i < sizeof buf; i++)
		assert_int_equal(buf[i], 0xff);
	memset(w, 0xf0, sizeof w);
	assert_int_equal(rp_flash_write(&ff.f, 1024, w, sizeof w), RP_OK);
	memset(w, 0x3c, sizeof w);
	assert_int_equal(rp_flash_write(&ff.f, 1024, w, sizeof w), RP_OK);
	assert_int_equal(rp_flash_read(&ff.f, 1024, buf, 8), RP_OK);
	assert_int_equal(buf[0], 0x30); /* 0xf0 AND 0x3c: bits only cleared */
	assert_int_equal(rp_flash_write(&ff.f, 1020, w, 8), RP_E_FLASH_ALIGN);
	assert_int_equal(rp_flash_erase_range(&ff.f, 1024, 1024), RP_OK);
	assert_int_equal(rp_flash_read(&ff.f, 1024, buf, 8), RP_OK);
	assert_int_equal(buf[0], 0xff);
	/* The record through the file port. */
	assert_int_equal(rp_boot_layout_default(&ff.f, &l), RP_OK);
	st.counter = 42;
	assert_int_equal(rp_bootstate_store(&ff.f, &l, &st), RP_OK);
	st.counter = 43;
	assert_int_equal(rp_bootstate_store(&ff.f, &l, &st), RP_OK);
	rp_flash_file_close(&ff);
	rp_flash_file_close(&ff);
	assert_int_equal(rp_flash_file_open(&ff, path, 1024), RP_OK);
	assert_int_equal(rp_boot_status(&ff.f, &l, &back), RP_OK);
	assert_int_equal(back.counter, 43);
	assert_int_equal(back.seq, 2);
	rp_flash_file_close(&ff);
	/* force replaces, erased again. */
	assert_int_equal(rp_flash_file_create(path, 4 * 1024, true), RP_OK);
	assert_int_equal(rp_flash_file_open(&ff, path, 1024), RP_OK);
	assert_int_equal(ff.f.size, 4 * 1024);
	assert_int_equal(rp_boot_layout_default(&ff.f, &l), RP_OK);
	assert_int_equal(rp_boot_status(&ff.f, &l, &back), RP_E_NOT_FOUND);
	rp_flash_file_close(&ff);
	unlink(path);
	assert_int_equal(rp_flash_file_open(&ff, path, 1024), RP_E_NOT_FOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nor_semantics),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
