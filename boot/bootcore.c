/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bootcore.c - the boot decision of rampart-boot: load the boot state,
 * pick a slot (trial, active, fallback), verify it with rp_image_verify on
 * every boot, record trial attempts before starting a trial, roll back
 * when they run out, and refuse to start anything unverified (recovery).
 * Freestanding: no heap, no stdio, no OS; I/O through struct rp_flash and
 * crypto through struct rp_crypto. The state machine and what happens at
 * each power-cut point are in docs/boot.md.
 */
#include "bootcore.h"

#define VERIFY_NO 0x4B1D4B1Du /* not RP_VERIFIED, and not 0 */

struct slot_src {
	const struct rp_flash *flash;
	uint32_t off;
	uint32_t size;
};

static rp_err slot_read(void *ctx, uint64_t off, uint8_t *buf, size_t len)
{
	const struct slot_src *s = ctx;

	if (off > s->size || len > s->size - off)
		return RP_E_IMAGE_TRUNCATED;
	return rp_flash_read(s->flash, s->off + (uint32_t)off, buf, len);
}

static int hw_equal(const char *a, const char *b)
{
	size_t i;

	for (i = 0; i < RP_IMAGE_HW_MAX; i++) {
		if (a[i] != b[i])
			return 0;
		if (a[i] == '\0')
			return 1;
	}
	return 0;
}

/*
 * Verify one slot against the trusted keys, the hardware type and
 * min_counter. Returns RP_VERIFIED or VERIFY_NO; the verdict is derived
 * twice (from the verifier's code, then from the report's own fields), so
 * a single skipped branch cannot turn a refusal into RP_VERIFIED.
 */
static uint32_t verify_slot(const struct rp_boot_ctx *c, int slot,
                            uint32_t min_counter, struct rp_boot_result *res,
                            struct rp_image_report *rep)
{
	volatile uint32_t v = VERIFY_NO;
	struct slot_src s;
	struct rp_image_src src;
	struct rp_image_policy pol;
	rp_err rc;

	s.flash = c->flash;
	s.off = c->layout->slot_off[slot];
	s.size = c->layout->slot_size;
	src.ctx = &s;
	src.read = slot_read;
	src.size = s.size;
	pol.hw = c->hw;
	pol.min_counter = min_counter;
	pol.exact_size = false;
	rc = rp_image_verify(&src, c->trust, c->crypto, &pol, c->work,
	                     c->worklen, rep);
	res->checked[slot] = 1;
	res->slot_rc[slot] = rc;
	if (rc == RP_OK)
		v = RP_VERIFIED;
	if (rc != RP_OK || rep->hdr.counter < min_counter ||
	    !hw_equal(rep->hdr.hw, c->hw) || rep->total_len > s.size ||
	    rep->nvalid < c->trust->threshold)
		v = VERIFY_NO;
	return v;
}

static void go(struct rp_boot_result *res, int slot, unsigned reason,
               const struct rp_image_report *rep)
{
	res->slot = (uint8_t)slot;
	res->reason = (uint8_t)reason;
	res->hdr = rep->hdr;
	res->image_len = rep->total_len;
}

static void store(const struct rp_boot_ctx *c, struct rp_boot_result *res,
                  struct rp_boot_state *st)
{
	res->store_rc = rp_bootstate_store(c->flash, c->layout, st);
	if (res->store_rc == RP_OK)
		res->stored = 1;
}

/* First boot of a device: no record yet. Start the valid slot with the
 * highest counter (A on a tie) and record it as confirmed. */
static uint32_t first_boot(const struct rp_boot_ctx *c,
                           struct rp_boot_result *res, struct rp_boot_state *st,
                           struct rp_image_report *rep)
{
	uint32_t v0, v1, v = VERIFY_NO;
	uint32_t c0 = 0;
	int slot = -1;

	v0 = verify_slot(c, 0, 0, res, rep);
	if (v0 == RP_VERIFIED) {
		c0 = rep->hdr.counter;
		slot = 0;
	}
	v1 = verify_slot(c, 1, 0, res, rep);
	if (v1 == RP_VERIFIED && (slot < 0 || rep->hdr.counter > c0))
		slot = 1;
	if (slot < 0)
		goto out;
	if (slot == 0) /* rep holds slot 1's report: verify A again */
		v = verify_slot(c, 0, c0, res, rep);
	else
		v = v1;
	if (v != RP_VERIFIED)
		goto out;
	st->active = (uint8_t)slot;
	st->counter = rep->hdr.counter;
	st->epoch = c->trust->epoch;
	store(c, res, st);
	go(res, slot, RP_BOOT_R_FIRST, rep);
out:
	return v;
}

uint32_t rp_boot_run(const struct rp_boot_ctx *c, struct rp_boot_result *res)
{
	struct rp_image_report rep;
	struct rp_boot_state st = {0};
	volatile uint32_t v = VERIFY_NO;
	volatile uint32_t verdict = RP_BOOT_RECOVERY;
	unsigned reason = RP_BOOT_R_ACTIVE;
	int dirty = 0, active, other;
	rp_err rc;

	*res = (struct rp_boot_result){0};
	res->verdict = RP_BOOT_RECOVERY;
	res->slot = RP_BOOT_SLOT_NONE;
	res->reason = RP_BOOT_R_RECOVERY;
	res->slot_rc[0] = res->slot_rc[1] = RP_E_STATE;
	if (c == NULL || c->flash == NULL || c->layout == NULL ||
	    c->trust == NULL || c->crypto == NULL || c->hw == NULL ||
	    c->work == NULL || c->worklen < 64) {
		res->state_rc = RP_E_INVAL;
		goto out;
	}
	rc = rp_boot_layout_check(c->flash, c->layout);
	if (rc == RP_OK)
		rc = rp_bootstate_load(c->flash, c->layout, &st, NULL);
	res->state_rc = rc;
	if (rc == RP_E_NOT_FOUND) {
		v = first_boot(c, res, &st, &rep);
		goto decided;
	}
	if (rc != RP_OK)
		goto out; /* damaged in both copies: the counter is unknown */
	if (c->trust->epoch < st.epoch) {
		res->state_rc = RP_E_KEYSET_EPOCH; /* a key set rolled back */
		goto out;
	}
	if (c->trust->epoch > st.epoch) {
		st.epoch = c->trust->epoch;
		dirty = 1;
	}
	res->min_counter = st.counter;
	active = st.active;
	other = 1 - active;

	if (st.trial && st.trials_left == 0) {
		/* The trial was started and never confirmed: roll back. */
		st.trial = 0;
		st.trial_booted = 0;
		st.trial_counter = 0;
		st.flags |= RP_BOOT_F_ROLLED_BACK;
		dirty = 1;
		reason = RP_BOOT_R_ROLLBACK;
	} else if (st.trial) {
		v = verify_slot(c, other, st.counter, res, &rep);
		if (v == RP_VERIFIED) {
			/* Count the attempt before starting it: a trial that
			 * hangs or resets must use up its attempts. */
			struct rp_boot_state t = st;

			t.trials_left--;
			t.trial_booted = 1;
			t.trial_counter = rep.hdr.counter;
			store(c, res, &t);
			if (res->stored && v == RP_VERIFIED) {
				st = t;
				dirty = 0;
				go(res, other, RP_BOOT_R_TRIAL, &rep);
				goto decided;
			}
			/* Could not count it: do not start it. */
			v = VERIFY_NO;
			dirty = 0;
		} else {
			st.trial = 0;
			st.trial_booted = 0;
			st.trials_left = 0;
			st.trial_counter = 0;
			st.flags |= RP_BOOT_F_TRIAL_INVALID;
			dirty = 1;
			reason = RP_BOOT_R_TRIAL_INVALID;
		}
	}

	v = verify_slot(c, active, st.counter, res, &rep);
	if (v == RP_VERIFIED) {
		go(res, active, reason, &rep);
	} else if (!st.trial) {
		/* The active slot is refused: the other one, if valid with a
		 * counter not below the confirmed one, becomes active. A slot
		 * holding a marked trial is not taken this way. */
		v = verify_slot(c, other, st.counter, res, &rep);
		if (v == RP_VERIFIED) {
			st.active = (uint8_t)other;
			st.flags |= RP_BOOT_F_FALLBACK;
			dirty = 1;
			go(res, other, RP_BOOT_R_FALLBACK, &rep);
		}
	}
	if (dirty)
		store(c, res, &st);

decided:
	/* Checked twice (v is volatile): one skipped branch is not enough. */
	if (v == RP_VERIFIED && res->slot <= 1) {
		if (v == RP_VERIFIED)
			verdict = RP_BOOT_GO;
	}
out:
	res->state = st;
	if (verdict != RP_BOOT_GO) {
		verdict = RP_BOOT_RECOVERY;
		res->slot = RP_BOOT_SLOT_NONE;
		res->reason = RP_BOOT_R_RECOVERY;
	}
	res->verdict = verdict;
	return verdict;
}

const char *rp_boot_reason_str(unsigned reason)
{
	switch (reason) {
	case RP_BOOT_R_ACTIVE:
		return "confirmed active slot";
	case RP_BOOT_R_TRIAL:
		return "trial boot";
	case RP_BOOT_R_ROLLBACK:
		return "trial boots used up, rolled back to the confirmed slot";
	case RP_BOOT_R_TRIAL_INVALID:
		return "trial image refused, back to the confirmed slot";
	case RP_BOOT_R_FALLBACK:
		return "active slot refused, the other valid slot is now "
		       "active";
	case RP_BOOT_R_FIRST:
		return "first boot, no boot state yet";
	case RP_BOOT_R_RECOVERY:
		return "recovery mode: no slot may be started";
	}
	return "unknown";
}
