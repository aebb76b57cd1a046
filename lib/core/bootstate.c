/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bootstate.c - the A/B boot-state record in two copies (encode, decode,
 * pick the newest, store to the older copy) and the agent's API on top of
 * it: rp_boot_status, rp_boot_set_trial, rp_boot_confirm. Freestanding: no
 * heap, no stdio, no OS; all I/O goes through struct rp_flash. The format
 * and the power-cut reasoning are in docs/boot.md.
 */
#include "rampart/boot.h"

#include "rampart/bytes.h"

/* CRC-32 (IEEE 802.3, reflected 0xEDB88320), a nibble at a time. */
static uint32_t crc32(const uint8_t *p, uint32_t len)
{
	static const uint32_t t[16] = {
	    0x00000000u, 0x1db71064u, 0x3b6e20c8u, 0x26d930acu,
	    0x76dc4190u, 0x6b6b51f4u, 0x4db26158u, 0x5005713cu,
	    0xedb88320u, 0xf00f9344u, 0xd6d6a3e8u, 0xcb61b38cu,
	    0x9b64c2b0u, 0x86d3d2d4u, 0xa00ae278u, 0xbdbdf21cu,
	};
	uint32_t c = 0xffffffffu;
	uint32_t i;

	for (i = 0; i < len; i++) {
		c ^= p[i];
		c = (c >> 4) ^ t[c & 15];
		c = (c >> 4) ^ t[c & 15];
	}
	return c ^ 0xffffffffu;
}

static int is_blank(const uint8_t *p, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		if (p[i] != 0xff)
			return 0;
	return 1;
}

static int same(const uint8_t *a, const uint8_t *b, uint32_t len)
{
	uint32_t i;
	uint8_t d = 0;

	for (i = 0; i < len; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/* Serial-number order: a is newer than b (wraps after 2^32 writes). */
static int newer(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

rp_err rp_boot_layout_default(const struct rp_flash *f,
                              struct rp_boot_layout *out)
{
	uint32_t nsec, per;

	if (f == NULL || out == NULL || f->sector_size == 0)
		return RP_E_INVAL;
	nsec = f->size / f->sector_size;
	if (nsec < 4)
		return RP_E_INVAL;
	per = (nsec - 2) / 2;
	out->state_off[0] = 0;
	out->state_off[1] = f->sector_size;
	out->slot_size = per * f->sector_size;
	out->slot_off[0] = 2 * f->sector_size;
	out->slot_off[1] = out->slot_off[0] + out->slot_size;
	return RP_OK;
}

/* Does [a, a+alen) overlap [b, b+blen)? */
static int overlap(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
	return (uint64_t)a < (uint64_t)b + blen &&
	       (uint64_t)b < (uint64_t)a + alen;
}

rp_err rp_boot_layout_check(const struct rp_flash *f,
                            const struct rp_boot_layout *l)
{
	uint32_t m, ss;
	uint32_t off[4], len[4];
	int i, j;

	if (f == NULL || l == NULL || f->sector_size == 0 ||
	    (f->sector_size & (f->sector_size - 1)) != 0 ||
	    f->sector_size < RP_BOOTSTATE_SIZE || f->write_align == 0 ||
	    f->write_align > 16 || (f->write_align & (f->write_align - 1)) != 0)
		return RP_E_INVAL;
	ss = f->sector_size;
	m = ss - 1;
	off[0] = l->state_off[0];
	off[1] = l->state_off[1];
	off[2] = l->slot_off[0];
	off[3] = l->slot_off[1];
	len[0] = len[1] = ss;
	len[2] = len[3] = l->slot_size;
	if (l->slot_size == 0 || (l->slot_size & m) != 0)
		return RP_E_INVAL;
	for (i = 0; i < 4; i++) {
		if ((off[i] & m) != 0 || (uint64_t)off[i] + len[i] > f->size)
			return RP_E_INVAL;
		for (j = 0; j < i; j++)
			if (overlap(off[i], len[i], off[j], len[j]))
				return RP_E_INVAL;
	}
	return RP_OK;
}

void rp_bootstate_encode(const struct rp_boot_state *st,
                         uint8_t out[RP_BOOTSTATE_SIZE])
{
	rp_store_le32(out, RP_BOOTSTATE_MAGIC);
	out[4] = RP_BOOTSTATE_VERSION;
	out[5] = st->active;
	out[6] = st->trial;
	out[7] = st->trials_left;
	rp_store_le32(out + 8, st->seq);
	rp_store_le32(out + 12, st->counter);
	rp_store_le32(out + 16, st->trial_counter);
	rp_store_le32(out + 20, st->epoch);
	out[24] = st->trial_booted;
	out[25] = st->flags;
	rp_store_le16(out + 26, 0);
	rp_store_le32(out + 28, crc32(out, 28));
}

rp_err rp_bootstate_decode(const uint8_t buf[RP_BOOTSTATE_SIZE],
                           struct rp_boot_state *out)
{
	struct rp_boot_state st;
	rp_err rc = RP_E_BOOT_STATE;

	if (buf == NULL || out == NULL)
		return RP_E_INVAL;
	if (rp_load_le32(buf) != RP_BOOTSTATE_MAGIC ||
	    buf[4] != RP_BOOTSTATE_VERSION ||
	    rp_load_le32(buf + 28) != crc32(buf, 28))
		goto out;
	st.active = buf[5];
	st.trial = buf[6];
	st.trials_left = buf[7];
	st.seq = rp_load_le32(buf + 8);
	st.counter = rp_load_le32(buf + 12);
	st.trial_counter = rp_load_le32(buf + 16);
	st.epoch = rp_load_le32(buf + 20);
	st.trial_booted = buf[24];
	st.flags = buf[25];
	if (st.active > 1 || st.trial > 1 || st.trial_booted > 1 ||
	    st.trials_left > RP_BOOT_TRIALS_MAX ||
	    (st.flags & ~RP_BOOT_F_ALL) != 0 || rp_load_le16(buf + 26) != 0 ||
	    (st.trial == 0 && (st.trial_booted != 0 || st.trials_left != 0)))
		goto out;
	*out = st;
	rc = RP_OK;
out:
	return rc;
}

rp_err rp_bootstate_select(const uint8_t *c0, const uint8_t *c1,
                           struct rp_boot_state *st, int *which)
{
	struct rp_boot_state s[2];
	rp_err r0, r1;
	int w;

	if (c0 == NULL || c1 == NULL || st == NULL)
		return RP_E_INVAL;
	r0 = rp_bootstate_decode(c0, &s[0]);
	r1 = rp_bootstate_decode(c1, &s[1]);
	if (r0 != RP_OK && r1 != RP_OK) {
		if (is_blank(c0, RP_BOOTSTATE_SIZE) ||
		    is_blank(c1, RP_BOOTSTATE_SIZE))
			return RP_E_NOT_FOUND;
		return RP_E_BOOT_STATE;
	}
	if (r0 != RP_OK)
		w = 1;
	else if (r1 != RP_OK)
		w = 0;
	else
		w = newer(s[1].seq, s[0].seq) ? 1 : 0;
	*st = s[w];
	if (which != NULL)
		*which = w;
	return RP_OK;
}

static rp_err read_copies(const struct rp_flash *f,
                          const struct rp_boot_layout *l,
                          uint8_t c[2][RP_BOOTSTATE_SIZE])
{
	rp_err rc;

	rc = rp_flash_read(f, l->state_off[0], c[0], RP_BOOTSTATE_SIZE);
	if (rc == RP_OK)
		rc = rp_flash_read(f, l->state_off[1], c[1], RP_BOOTSTATE_SIZE);
	return rc;
}

rp_err rp_bootstate_load(const struct rp_flash *f,
                         const struct rp_boot_layout *l,
                         struct rp_boot_state *st, int *which)
{
	uint8_t c[2][RP_BOOTSTATE_SIZE];
	rp_err rc;

	if (f == NULL || l == NULL || st == NULL)
		return RP_E_INVAL;
	rc = read_copies(f, l, c);
	if (rc == RP_OK)
		rc = rp_bootstate_select(c[0], c[1], st, which);
	return rc;
}

/* Erase copy t, write rec there, read it back. */
static rp_err write_copy(const struct rp_flash *f,
                         const struct rp_boot_layout *l, int t,
                         const uint8_t rec[RP_BOOTSTATE_SIZE])
{
	uint8_t back[RP_BOOTSTATE_SIZE];
	rp_err rc;

	rc = rp_flash_erase_range(f, l->state_off[t], f->sector_size);
	if (rc != RP_OK)
		goto out;
	rc = rp_flash_write(f, l->state_off[t], rec, RP_BOOTSTATE_SIZE);
	if (rc != RP_OK)
		goto out;
	rc = rp_flash_read(f, l->state_off[t], back, RP_BOOTSTATE_SIZE);
	if (rc == RP_OK && !same(back, rec, RP_BOOTSTATE_SIZE))
		rc = RP_E_FLASH;
out:
	return rc;
}

rp_err rp_bootstate_store(const struct rp_flash *f,
                          const struct rp_boot_layout *l,
                          struct rp_boot_state *st)
{
	uint8_t c[2][RP_BOOTSTATE_SIZE];
	uint8_t rec[RP_BOOTSTATE_SIZE];
	struct rp_boot_state cur;
	int which = 1;
	rp_err rc;

	if (f == NULL || l == NULL || st == NULL)
		return RP_E_INVAL;
	rc = rp_boot_layout_check(f, l);
	if (rc != RP_OK)
		goto out;
	rc = read_copies(f, l, c);
	if (rc != RP_OK)
		goto out;
	rc = rp_bootstate_select(c[0], c[1], &cur, &which);
	if (rc == RP_OK) {
		st->seq = cur.seq + 1;
	} else if (rc == RP_E_NOT_FOUND || rc == RP_E_BOOT_STATE) {
		/* Nothing valid to keep: write copy 0 (which = 1). */
		st->seq = 1;
		which = 1;
	} else {
		goto out;
	}
	rp_bootstate_encode(st, rec);
	rc = write_copy(f, l, 1 - which, rec);
out:
	return rc;
}

rp_err rp_boot_init(const struct rp_flash *f, const struct rp_boot_layout *l,
                    uint8_t active, uint32_t counter, uint32_t epoch)
{
	struct rp_boot_state st = {0};
	uint8_t rec[RP_BOOTSTATE_SIZE];
	rp_err rc;

	if (f == NULL || l == NULL || active > 1)
		return RP_E_INVAL;
	rc = rp_boot_layout_check(f, l);
	if (rc != RP_OK)
		goto out;
	/* Copy 1 first: a stale record there must not outrank the new one. */
	rc = rp_flash_erase_range(f, l->state_off[1], f->sector_size);
	if (rc != RP_OK)
		goto out;
	st.seq = 1;
	st.active = active;
	st.counter = counter;
	st.epoch = epoch;
	rp_bootstate_encode(&st, rec);
	rc = write_copy(f, l, 0, rec);
out:
	return rc;
}

rp_err rp_boot_status(const struct rp_flash *f, const struct rp_boot_layout *l,
                      struct rp_boot_state *st)
{
	rp_err rc;

	if (f == NULL || l == NULL || st == NULL)
		return RP_E_INVAL;
	rc = rp_boot_layout_check(f, l);
	if (rc == RP_OK)
		rc = rp_bootstate_load(f, l, st, NULL);
	return rc;
}

uint8_t rp_boot_inactive_slot(const struct rp_boot_state *st)
{
	return st->active == 0 ? 1 : 0;
}

rp_err rp_boot_set_trial(const struct rp_flash *f,
                         const struct rp_boot_layout *l, unsigned trials)
{
	struct rp_boot_state st;
	rp_err rc;

	if (trials == 0)
		trials = RP_BOOT_TRIALS_DEFAULT;
	if (trials > RP_BOOT_TRIALS_MAX)
		return RP_E_RANGE;
	rc = rp_boot_status(f, l, &st);
	if (rc != RP_OK)
		goto out;
	if (st.trial && st.trial_booted) {
		rc = RP_E_STATE;
		goto out;
	}
	st.trial = 1;
	st.trials_left = (uint8_t)trials;
	st.trial_booted = 0;
	st.trial_counter = 0;
	st.flags = 0;
	rc = rp_bootstate_store(f, l, &st);
out:
	return rc;
}

rp_err rp_boot_cancel_trial(const struct rp_flash *f,
                            const struct rp_boot_layout *l)
{
	struct rp_boot_state st;
	rp_err rc;

	rc = rp_boot_status(f, l, &st);
	if (rc != RP_OK || !st.trial)
		goto out;
	if (st.trial_booted) {
		rc = RP_E_STATE;
		goto out;
	}
	st.trial = 0;
	st.trials_left = 0;
	st.trial_counter = 0;
	rc = rp_bootstate_store(f, l, &st);
out:
	return rc;
}

rp_err rp_boot_confirm(const struct rp_flash *f, const struct rp_boot_layout *l)
{
	struct rp_boot_state st;
	rp_err rc;

	rc = rp_boot_status(f, l, &st);
	if (rc != RP_OK)
		goto out;
	if (!st.trial || !st.trial_booted) {
		rc = RP_E_STATE;
		goto out;
	}
	st.active = rp_boot_inactive_slot(&st);
	if (st.trial_counter > st.counter)
		st.counter = st.trial_counter;
	st.trial = 0;
	st.trials_left = 0;
	st.trial_booted = 0;
	st.trial_counter = 0;
	st.flags = 0;
	rc = rp_bootstate_store(f, l, &st);
out:
	return rc;
}
