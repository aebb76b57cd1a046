/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bootinfo.c - the agent's view of the boot (bootinfo.h): reads the
 * boot-state record and the running slot's image header over struct
 * rp_flash (librampart's boot-state API and image parser), hashes the
 * signed image as it lies in the slot, and words the boot event.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bootinfo.h"
#include "rampart/crypto_host.h"
#include "rampart/encode.h"
#include "rampart/flash_file.h"

#define HASH_CHUNK 4096

int agent_boot_running_slot(const struct rp_boot_state *st, bool *trial)
{
	*trial = st->trial && st->trial_booted;
	return *trial ? rp_boot_inactive_slot(st) : st->active;
}

/* A slot read through the flash, for rp_sigsec_scan. */
struct slot_src {
	const struct rp_flash *f;
	uint32_t off;
};

static rp_err slot_read(void *ctx, uint64_t off, uint8_t *buf, size_t len)
{
	struct slot_src *s = ctx;

	if (off > UINT32_MAX - s->off)
		return RP_E_FLASH_ALIGN;
	return rp_flash_read(s->f, s->off + (uint32_t)off, buf, len);
}

/* The header and the signed image's length; bi->image_rc says why not. */
static void slot_image(const struct rp_flash *f, const struct rp_boot_layout *l,
                       struct agent_bootinfo *bi)
{
	uint8_t h[RP_IMAGE_HDR_SIZE];
	struct slot_src ss = {f, l->slot_off[bi->slot]};
	struct rp_image_src src = {&ss, slot_read, l->slot_size};
	uint64_t end = 0;
	rp_err rc;

	rc = rp_flash_read(f, ss.off, h, sizeof h);
	if (rc == RP_OK)
		rc = rp_image_hdr_parse(h, sizeof h, &bi->hdr);
	if (rc == RP_OK && bi->hdr.payload_len > l->slot_size)
		rc = RP_E_IMAGE_TRUNCATED;
	if (rc == RP_OK)
		rc = rp_sigsec_scan(
		    &src, RP_IMAGE_HDR_SIZE + bi->hdr.payload_len, &end);
	if (rc == RP_OK && end > l->slot_size)
		rc = RP_E_IMAGE_TRUNCATED;
	if (rc == RP_OK)
		bi->image_len = end;
	bi->image_rc = rc;
}

/* SHA-256 of the first bi->image_len bytes of the running slot. */
static rp_err slot_hash(const struct rp_flash *f,
                        const struct rp_boot_layout *l,
                        const struct rp_crypto *c, struct agent_bootinfo *bi)
{
	_Alignas(max_align_t) uint8_t state[RP_HASH_STATE_MAX];
	uint8_t buf[HASH_CHUNK], md[RP_SHA256_LEN];
	uint32_t off = l->slot_off[bi->slot];
	uint64_t done = 0;
	size_t n;
	rp_err rc;

	rc = c->sha256_init(c->ctx, state);
	while (rc == RP_OK && done < bi->image_len) {
		n = bi->image_len - done < sizeof buf
		        ? (size_t)(bi->image_len - done)
		        : sizeof buf;
		rc = rp_flash_read(f, off + (uint32_t)done, buf, n);
		if (rc == RP_OK)
			rc = c->sha256_update(c->ctx, state, buf, n);
		done += n;
	}
	if (rc == RP_OK)
		rc = c->sha256_final(c->ctx, state, md);
	if (rc == RP_OK)
		rc =
		    rp_hex_encode(md, sizeof md, bi->sha256, sizeof bi->sha256);
	if (rc != RP_OK)
		bi->sha256[0] = '\0';
	return rc;
}

rp_err agent_bootinfo_read(const struct rp_flash *f,
                           const struct rp_boot_layout *l,
                           const struct rp_crypto *crypto,
                           struct agent_bootinfo *bi)
{
	rp_err rc = RP_OK;

	memset(bi, 0, sizeof *bi);
	bi->slot = -1;
	bi->image_rc = RP_E_NOT_FOUND;
	bi->state_rc = rp_boot_status(f, l, &bi->st);
	if (bi->state_rc != RP_OK)
		goto out;
	bi->slot = agent_boot_running_slot(&bi->st, &bi->trial);
	slot_image(f, l, bi);
	if (bi->image_rc != RP_OK)
		goto out;
	snprintf(bi->version, sizeof bi->version,
	         "%" PRIu32 ".%" PRIu32 ".%" PRIu32, bi->hdr.ver_major,
	         bi->hdr.ver_minor, bi->hdr.ver_patch);
	rc = slot_hash(f, l, crypto, bi);
out:
	return rc;
}

rp_err agent_bootinfo_load(const char *path, uint32_t sector_size,
                           struct agent_bootinfo *bi)
{
	struct rp_flash_file ff;
	struct rp_boot_layout l;
	rp_err rc;

	memset(bi, 0, sizeof *bi);
	bi->slot = -1;
	rc = rp_flash_file_open(&ff, path, sector_size);
	if (rc != RP_OK)
		return rc;
	rc = rp_boot_layout_default(&ff.f, &l);
	if (rc == RP_OK)
		rc = agent_bootinfo_read(&ff.f, &l, rp_crypto_host(), bi);
	rp_flash_file_close(&ff);
	return rc;
}

/* ",rolled-back" ... for the flags set; "" when none. */
static void flag_names(uint8_t flags, char *out, size_t cap)
{
	snprintf(out, cap, "%s%s%s",
	         (flags & RP_BOOT_F_ROLLED_BACK) ? ",rolled-back" : "",
	         (flags & RP_BOOT_F_TRIAL_INVALID) ? ",trial-invalid" : "",
	         (flags & RP_BOOT_F_FALLBACK) ? ",fallback" : "");
}

enum rp_severity agent_boot_detail(const struct agent_bootinfo *bi,
                                   char out[RP_DETAIL_MAX + 1])
{
	const struct rp_boot_state *st = &bi->st;
	char flags[48], img[96], trial[40];
	enum rp_severity sev = RP_SEV_WARNING;

	if (bi->state_rc == RP_E_NOT_FOUND) {
		snprintf(out, RP_DETAIL_MAX + 1,
		         "state=none (no boot-state record: never booted by "
		         "rampart-boot)");
		goto out;
	}
	if (bi->state_rc != RP_OK) {
		snprintf(out, RP_DETAIL_MAX + 1, "state=unreadable (%s)",
		         rp_errname(bi->state_rc));
		goto out;
	}
	flag_names(st->flags, flags, sizeof flags);
	if (bi->image_rc == RP_OK)
		snprintf(img, sizeof img, "version=%s counter=%" PRIu32,
		         bi->version, bi->hdr.counter);
	else
		snprintf(img, sizeof img, "image=none (%s)",
		         rp_errname(bi->image_rc));
	trial[0] = '\0';
	if (bi->trial)
		snprintf(trial, sizeof trial, " trials_left=%u",
		         (unsigned)st->trials_left);
	else if (st->trial)
		snprintf(trial, sizeof trial, " trial=marked");
	snprintf(out, RP_DETAIL_MAX + 1, "slot=%c %s state=%s%s%s%s",
	         bi->slot == 0 ? 'a' : 'b', img,
	         bi->trial ? "trial" : "confirmed", trial,
	         flags[0] ? " flags=" : "", flags[0] ? flags + 1 : "");
	if (bi->image_rc == RP_OK && flags[0] == '\0')
		sev = RP_SEV_INFO;
out:
	return sev;
}

rp_err agent_boot_collect(void *ctx, struct rp_telemetry *t)
{
	struct agent_boot_sys *b = ctx;
	rp_err rc = rp_sysinfo_collect(b->si, t);

	memcpy(t->fw_version, b->version, sizeof t->fw_version);
	memcpy(t->fw_sha256, b->sha256, sizeof t->fw_sha256);
	return rc;
}
