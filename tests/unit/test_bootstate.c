/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_bootstate.c - the boot-state record: the documented test vector,
 * strict decoding, choosing the newest of two copies, storing to the
 * older copy so that a cut at any write or erase keeps a valid record,
 * and the agent's set_trial / confirm / status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmocka_all.h"
#include "rampart/boot.h"
#include "rampart/bytes.h"
#include "simflash.h"

#define SECTOR 4096u

/* docs/boot.md, "Test vector". */
static const char vector_hex[] = "5250425301010102070000000500000006000000"
                                 "01000000010000005b6e27e7";

static void from_hex(const char *h, uint8_t *out, size_t n)
{
	size_t i;
	unsigned v;

	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static struct rp_boot_state vector_state(void)
{
	struct rp_boot_state st = {0};

	st.seq = 7;
	st.active = 1;
	st.trial = 1;
	st.trials_left = 2;
	st.trial_booted = 1;
	st.counter = 5;
	st.trial_counter = 6;
	st.epoch = 1;
	return st;
}

static void test_vector(void **state)
{
	uint8_t want[RP_BOOTSTATE_SIZE], got[RP_BOOTSTATE_SIZE];
	struct rp_boot_state st = vector_state(), back;

	(void)state;
	from_hex(vector_hex, want, sizeof want);
	rp_bootstate_encode(&st, got);
	assert_memory_equal(got, want, sizeof want);
	assert_int_equal(rp_bootstate_decode(want, &back), RP_OK);
	assert_int_equal(back.seq, st.seq);
	assert_int_equal(back.active, st.active);
	assert_int_equal(back.trial, st.trial);
	assert_int_equal(back.trials_left, st.trials_left);
	assert_int_equal(back.trial_booted, st.trial_booted);
	assert_int_equal(back.flags, st.flags);
	assert_int_equal(back.counter, st.counter);
	assert_int_equal(back.trial_counter, st.trial_counter);
	assert_int_equal(back.epoch, st.epoch);
}

static void test_decode_refuses_damage(void **state)
{
	uint8_t rec[RP_BOOTSTATE_SIZE], bad[RP_BOOTSTATE_SIZE];
	struct rp_boot_state st = vector_state(), out;
	size_t i;
	int bit;

	(void)state;
	rp_bootstate_encode(&st, rec);
	/* Every single-bit error is caught (CRC-32 over 28 bytes). */
	for (i = 0; i < sizeof rec; i++) {
		for (bit = 0; bit < 8; bit++) {
			memcpy(bad, rec, sizeof rec);
			bad[i] ^= (uint8_t)(1u << bit);
			assert_int_equal(rp_bootstate_decode(bad, &out),
			                 RP_E_BOOT_STATE);
		}
	}
	memset(bad, 0xff, sizeof bad);
	assert_int_equal(rp_bootstate_decode(bad, &out), RP_E_BOOT_STATE);
	memset(bad, 0, sizeof bad);
	assert_int_equal(rp_bootstate_decode(bad, &out), RP_E_BOOT_STATE);
}

/* Values out of range are refused even with a correct CRC. */
static void test_decode_refuses_ranges(void **state)
{
	static const struct {
		size_t off;
		uint8_t val;
	} cases[] = {
	    {4, 2},    /* version */
	    {5, 2},    /* active */
	    {6, 2},    /* trial */
	    {7, 101},  /* trials_left > RP_BOOT_TRIALS_MAX */
	    {24, 2},   /* trial_booted */
	    {25, 0x8}, /* unknown flag */
	    {26, 1},   /* reserved */
	    {27, 1},   /* reserved */
	};
	uint8_t rec[RP_BOOTSTATE_SIZE];
	struct rp_boot_state st = vector_state(), out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rp_bootstate_encode(&st, rec);
		rec[cases[i].off] = cases[i].val;
		rp_store_le32(rec + 28, 0);
		/* recompute the CRC the way the format defines it */
		{
			uint32_t c = 0xffffffffu;
			size_t j;
			int k;

			for (j = 0; j < 28; j++) {
				c ^= rec[j];
				for (k = 0; k < 8; k++)
					c = (c >> 1) ^ (0xedb88320u & -(c & 1));
			}
			rp_store_le32(rec + 28, c ^ 0xffffffffu);
		}
		assert_int_equal(rp_bootstate_decode(rec, &out),
		                 RP_E_BOOT_STATE);
	}
	/* No trial, yet trials left: inconsistent. */
	st.trial = 0;
	st.trial_booted = 0;
	st.trials_left = 1;
	rp_bootstate_encode(&st, rec);
	assert_int_equal(rp_bootstate_decode(rec, &out), RP_E_BOOT_STATE);
	st.trials_left = 0;
	rp_bootstate_encode(&st, rec);
	assert_int_equal(rp_bootstate_decode(rec, &out), RP_OK);
}

static void test_select(void **state)
{
	uint8_t a[RP_BOOTSTATE_SIZE], b[RP_BOOTSTATE_SIZE];
	uint8_t blank[RP_BOOTSTATE_SIZE], junk[RP_BOOTSTATE_SIZE];
	struct rp_boot_state s = vector_state(), out;
	int which = -1;

	(void)state;
	memset(blank, 0xff, sizeof blank);
	memset(junk, 0x5a, sizeof junk);
	s.seq = 10;
	s.counter = 1;
	rp_bootstate_encode(&s, a);
	s.seq = 11;
	s.counter = 2;
	rp_bootstate_encode(&s, b);
	assert_int_equal(rp_bootstate_select(a, b, &out, &which), RP_OK);
	assert_int_equal(which, 1);
	assert_int_equal(out.counter, 2);
	assert_int_equal(rp_bootstate_select(b, a, &out, &which), RP_OK);
	assert_int_equal(which, 0);
	assert_int_equal(out.counter, 2);
	/* The newest damaged: the older one is used. */
	assert_int_equal(rp_bootstate_select(a, junk, &out, &which), RP_OK);
	assert_int_equal(which, 0);
	assert_int_equal(out.counter, 1);
	assert_int_equal(rp_bootstate_select(blank, a, &out, &which), RP_OK);
	assert_int_equal(which, 1);
	/* Sequence numbers wrap: 0 follows 0xffffffff. */
	s.seq = 0xffffffffu;
	s.counter = 3;
	rp_bootstate_encode(&s, a);
	s.seq = 0;
	s.counter = 4;
	rp_bootstate_encode(&s, b);
	assert_int_equal(rp_bootstate_select(a, b, &out, &which), RP_OK);
	assert_int_equal(out.counter, 4);
	/* Nothing valid. */
	assert_int_equal(rp_bootstate_select(blank, blank, &out, NULL),
	                 RP_E_NOT_FOUND);
	assert_int_equal(rp_bootstate_select(junk, blank, &out, NULL),
	                 RP_E_NOT_FOUND);
	assert_int_equal(rp_bootstate_select(junk, junk, &out, NULL),
	                 RP_E_BOOT_STATE);
}

static void test_layout(void **state)
{
	struct simflash s;
	struct rp_boot_layout l;

	(void)state;
	sim_init(&s, 12 * SECTOR, SECTOR, 8);
	assert_int_equal(rp_boot_layout_default(&s.f, &l), RP_OK);
	assert_int_equal(l.state_off[0], 0);
	assert_int_equal(l.state_off[1], SECTOR);
	assert_int_equal(l.slot_off[0], 2 * SECTOR);
	assert_int_equal(l.slot_size, 5 * SECTOR);
	assert_int_equal(l.slot_off[1], 7 * SECTOR);
	assert_int_equal(rp_boot_layout_check(&s.f, &l), RP_OK);
	l.slot_off[1] -= SECTOR; /* overlaps slot A */
	assert_int_equal(rp_boot_layout_check(&s.f, &l), RP_E_INVAL);
	l.slot_off[1] += 2 * SECTOR; /* runs past the end */
	assert_int_equal(rp_boot_layout_check(&s.f, &l), RP_E_INVAL);
	assert_int_equal(rp_boot_layout_default(&s.f, &l), RP_OK);
	l.state_off[1] = 100; /* not sector-aligned */
	assert_int_equal(rp_boot_layout_check(&s.f, &l), RP_E_INVAL);
	s.f.size = 3 * SECTOR;
	assert_int_equal(rp_boot_layout_default(&s.f, &l), RP_E_INVAL);
	sim_free(&s);
}

static void test_store_alternates(void **state)
{
	struct simflash s;
	struct rp_boot_layout l;
	struct rp_boot_state st = {0}, out;
	int which, i;

	(void)state;
	sim_init(&s, 8 * SECTOR, SECTOR, 8);
	assert_int_equal(rp_boot_layout_default(&s.f, &l), RP_OK);
	assert_int_equal(rp_bootstate_load(&s.f, &l, &out, NULL),
	                 RP_E_NOT_FOUND);
	for (i = 1; i <= 5; i++) {
		st.counter = (uint32_t)i;
		assert_int_equal(rp_bootstate_store(&s.f, &l, &st), RP_OK);
		assert_int_equal(st.seq, (uint32_t)i);
		assert_int_equal(rp_bootstate_load(&s.f, &l, &out, &which),
		                 RP_OK);
		assert_int_equal(out.counter, (uint32_t)i);
		assert_int_equal(which, (i - 1) % 2);
	}
	/* Each store: one erase, one write. */
	assert_int_equal(s.erases, 5);
	assert_int_equal(s.writes, 5);
	assert_int_equal(s.violations, 0);
	sim_free(&s);
}

/*
 * A store cut at its erase or its write, torn any way, leaves either the
 * previous record or the new one, never neither; and the next store
 * succeeds.
 */
static void test_store_power_cut(void **state)
{
	struct simflash s;
	struct rp_boot_layout l;
	struct rp_boot_state st = {0}, out;
	unsigned long n;
	int tear, round, cuts = 0;

	(void)state;
	for (round = 0; round < 4; round++) {
		for (n = 1; n <= 2; n++) {
			for (tear = 0; tear < SIM_TEAR_KINDS; tear++) {
				sim_init(&s, 8 * SECTOR, SECTOR, 8);
				assert_int_equal(
				    rp_boot_layout_default(&s.f, &l), RP_OK);
				for (int i = 0; i <= round; i++) {
					st.counter = (uint32_t)(100 + i);
					assert_int_equal(
					    rp_bootstate_store(&s.f, &l, &st),
					    RP_OK);
				}
				sim_arm(&s, n, tear, (uint32_t)(n * 7 + 1));
				st.counter = 200;
				assert_int_not_equal(
				    rp_bootstate_store(&s.f, &l, &st), RP_OK);
				sim_power_on(&s);
				assert_int_equal(
				    rp_bootstate_load(&s.f, &l, &out, NULL),
				    RP_OK);
				assert_true(out.counter == 100u + round ||
				            out.counter == 200);
				st.counter = 300;
				assert_int_equal(
				    rp_bootstate_store(&s.f, &l, &st), RP_OK);
				assert_int_equal(
				    rp_bootstate_load(&s.f, &l, &out, NULL),
				    RP_OK);
				assert_int_equal(out.counter, 300);
				assert_int_equal(s.violations, 0);
				sim_free(&s);
				cuts++;
			}
		}
	}
	assert_int_equal(cuts, 4 * 2 * SIM_TEAR_KINDS);
}

static void test_agent_api(void **state)
{
	struct simflash s;
	struct rp_boot_layout l;
	struct rp_boot_state st;
	unsigned long w;

	(void)state;
	sim_init(&s, 8 * SECTOR, SECTOR, 4);
	assert_int_equal(rp_boot_layout_default(&s.f, &l), RP_OK);
	assert_int_equal(rp_boot_status(&s.f, &l, &st), RP_E_NOT_FOUND);
	assert_int_equal(rp_boot_set_trial(&s.f, &l, 0), RP_E_NOT_FOUND);
	assert_int_equal(rp_boot_init(&s.f, &l, 0, 5, 1), RP_OK);
	assert_int_equal(rp_boot_status(&s.f, &l, &st), RP_OK);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.counter, 5);
	assert_int_equal(st.epoch, 1);
	assert_int_equal(st.trial, 0);
	assert_int_equal(rp_boot_inactive_slot(&st), 1);

	/* Nothing to confirm yet. */
	assert_int_equal(rp_boot_confirm(&s.f, &l), RP_E_STATE);
	assert_int_equal(rp_boot_set_trial(&s.f, &l, 101), RP_E_RANGE);
	assert_int_equal(rp_boot_set_trial(&s.f, &l, 0), RP_OK);
	assert_int_equal(rp_boot_status(&s.f, &l, &st), RP_OK);
	assert_int_equal(st.trial, 1);
	assert_int_equal(st.trials_left, RP_BOOT_TRIALS_DEFAULT);
	assert_int_equal(st.trial_booted, 0);
	/* Marked but not started: still nothing to confirm; may re-mark. */
	assert_int_equal(rp_boot_confirm(&s.f, &l), RP_E_STATE);
	assert_int_equal(rp_boot_set_trial(&s.f, &l, 5), RP_OK);
	assert_int_equal(rp_boot_status(&s.f, &l, &st), RP_OK);
	assert_int_equal(st.trials_left, 5);

	/* Cancelled before it starts; nothing to cancel is fine too. */
	assert_int_equal(rp_boot_cancel_trial(&s.f, &l), RP_OK);
	assert_int_equal(rp_boot_status(&s.f, &l, &st), RP_OK);
	assert_int_equal(st.trial, 0);
	assert_int_equal(st.trials_left, 0);
	w = s.writes;
	assert_int_equal(rp_boot_cancel_trial(&s.f, &l), RP_OK);
	assert_int_equal(s.writes, w);
	assert_int_equal(rp_boot_set_trial(&s.f, &l, 5), RP_OK);
	assert_int_equal(rp_boot_status(&s.f, &l, &st), RP_OK);

	/* What the boot core records when it starts the trial. */
	st.trials_left--;
	st.trial_booted = 1;
	st.trial_counter = 9;
	assert_int_equal(rp_bootstate_store(&s.f, &l, &st), RP_OK);
	/* A running trial cannot be re-marked nor cancelled. */
	assert_int_equal(rp_boot_set_trial(&s.f, &l, 0), RP_E_STATE);
	assert_int_equal(rp_boot_cancel_trial(&s.f, &l), RP_E_STATE);
	assert_int_equal(rp_boot_confirm(&s.f, &l), RP_OK);
	assert_int_equal(rp_boot_status(&s.f, &l, &st), RP_OK);
	assert_int_equal(st.active, 1);
	assert_int_equal(st.counter, 9);
	assert_int_equal(st.trial, 0);
	assert_int_equal(st.trials_left, 0);
	assert_int_equal(rp_boot_confirm(&s.f, &l), RP_E_STATE);

	/* A trial with a lower counter than the confirmed one (the boot
	 * core would refuse it): confirming never lowers the counter. */
	assert_int_equal(rp_boot_set_trial(&s.f, &l, 1), RP_OK);
	assert_int_equal(rp_boot_status(&s.f, &l, &st), RP_OK);
	st.trials_left = 0;
	st.trial_booted = 1;
	st.trial_counter = 3;
	assert_int_equal(rp_bootstate_store(&s.f, &l, &st), RP_OK);
	assert_int_equal(rp_boot_confirm(&s.f, &l), RP_OK);
	assert_int_equal(rp_boot_status(&s.f, &l, &st), RP_OK);
	assert_int_equal(st.active, 0);
	assert_int_equal(st.counter, 9);
	assert_int_equal(s.violations, 0);
	sim_free(&s);
}

static void test_both_damaged(void **state)
{
	struct simflash s;
	struct rp_boot_layout l;
	struct rp_boot_state st;

	(void)state;
	sim_init(&s, 8 * SECTOR, SECTOR, 4);
	assert_int_equal(rp_boot_layout_default(&s.f, &l), RP_OK);
	assert_int_equal(rp_boot_init(&s.f, &l, 1, 2, 0), RP_OK);
	s.mem[l.state_off[0] + 9] ^= 1;
	s.mem[l.state_off[1]] = 0;
	assert_int_equal(rp_boot_status(&s.f, &l, &st), RP_E_BOOT_STATE);
	assert_int_equal(rp_boot_set_trial(&s.f, &l, 0), RP_E_BOOT_STATE);
	assert_int_equal(rp_boot_confirm(&s.f, &l), RP_E_BOOT_STATE);
	sim_free(&s);
}

static void test_flash_checks(void **state)
{
	struct simflash s;
	uint8_t buf[16] = {0};

	(void)state;
	sim_init(&s, 4 * SECTOR, SECTOR, 8);
	assert_int_equal(rp_flash_write(&s.f, 4, buf, 8), RP_E_FLASH_ALIGN);
	assert_int_equal(rp_flash_write(&s.f, 8, buf, 4), RP_E_FLASH_ALIGN);
	assert_int_equal(rp_flash_write(&s.f, 4 * SECTOR - 8, buf, 16),
	                 RP_E_FLASH_ALIGN);
	assert_int_equal(rp_flash_read(&s.f, 4 * SECTOR - 8, buf, 16),
	                 RP_E_FLASH_ALIGN);
	assert_int_equal(rp_flash_erase_range(&s.f, 100, SECTOR),
	                 RP_E_FLASH_ALIGN);
	assert_int_equal(rp_flash_erase_range(&s.f, 0, 5 * SECTOR),
	                 RP_E_FLASH_ALIGN);
	assert_int_equal(rp_flash_write(&s.f, 8, buf, 8), RP_OK);
	assert_int_equal(s.mem[8], 0);
	assert_int_equal(rp_flash_erase_range(&s.f, 0, SECTOR), RP_OK);
	assert_int_equal(s.mem[8], 0xff);
	sim_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vector),
	    cmocka_unit_test(test_decode_refuses_damage),
	    cmocka_unit_test(test_decode_refuses_ranges),
	    cmocka_unit_test(test_select),
	    cmocka_unit_test(test_layout),
	    cmocka_unit_test(test_store_alternates),
	    cmocka_unit_test(test_store_power_cut),
	    cmocka_unit_test(test_agent_api),
	    cmocka_unit_test(test_both_damaged),
	    cmocka_unit_test(test_flash_checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
