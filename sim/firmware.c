/* SPDX-License-Identifier: Apache-2.0 */
/*
 * firmware.c - the simulated devices' firmware and flash (docs/sim.md
 * "The flash model"): a release key made once in the state directory, a
 * small firmware image signed with it (DIR/firmware.img, the file whose
 * SHA-256 devices report), and per device a NOR flash in memory (two
 * boot-state sectors and two slots) into which the image is installed and
 * which the real boot core (boot/bootcore.c) verifies and boots.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bootcore.h"
#include "rampart/alloc.h"
#include "rampart/crypto_host.h"
#include "rampart/encode.h"
#include "rampart/log.h"
#include "rampart/sign.h"
#include "sim.h"

#define FW_PAYLOAD 1536 /* bytes of simulated firmware */
#define FW_SECTOR  512  /* erase unit of the simulated flash */
#define FW_ALIGN   4    /* its program unit */
#define FW_VERSION "1.0.0"
#define FW_COUNTER 1
#define PATH_CAP   1024

static rp_err path_of(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, PATH_CAP, "%s/%s", dir, name);

	return n > 0 && n < PATH_CAP ? RP_OK : RP_E_TOO_BIG;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* The payload: recognisable text, then a deterministic pattern. */
static rp_err write_payload(const char *path)
{
	uint8_t buf[FW_PAYLOAD];
	const char *head = "rampart-sim firmware " FW_VERSION "\n";
	FILE *f = NULL;
	size_t i;
	rp_err rc = RP_E_IO;

	for (i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 131u + (i >> 7));
	memcpy(buf, head, strlen(head));
	f = fopen(path, "wb");
	if (f == NULL)
		goto out;
	if (fwrite(buf, 1, sizeof buf, f) != sizeof buf)
		goto out;
	rc = RP_OK;
out:
	if (f != NULL && fclose(f) != 0)
		rc = RP_E_IO;
	return rc;
}

static rp_err make_image(const char *key, const char *bin, const char *img)
{
	struct rp_image_hdr h;
	rp_signer *s = NULL;
	rp_err rc;

	memset(&h, 0, sizeof h);
	h.format = RP_IMAGE_FORMAT;
	h.hdr_len = RP_IMAGE_HDR_SIZE;
	h.kind = RP_IMAGE_FULL;
	h.counter = FW_COUNTER;
	snprintf(h.hw, sizeof h.hw, "%s", SIM_HW);
	h.ver_major = 1;
	h.build_time = (uint64_t)time(NULL);
	rc = write_payload(bin);
	if (rc == RP_OK)
		rc = rp_signer_open(key, NULL, &s);
	if (rc == RP_OK)
		rc = rp_image_sign_file(bin, img, &h, &s, 1, NULL);
	rp_signer_free(s);
	return rc;
}

static rp_err read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;
	rp_err rc = RP_E_IO;

	if (f == NULL)
		return errno == ENOENT ? RP_E_NOT_FOUND : RP_E_IO;
	if (fseek(f, 0, SEEK_END) != 0)
		goto out;
	n = ftell(f);
	if (n < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	if (n == 0 || n > 64 * 1024) {
		rc = RP_E_TOO_BIG;
		goto out;
	}
	buf = rp_malloc((size_t)n);
	if (buf == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		goto out;
	*out = buf;
	*len = (size_t)n;
	buf = NULL;
	rc = RP_OK;
out:
	free(buf);
	fclose(f);
	return rc;
}

rp_err sim_fw_prepare(const char *dir, struct sim_fw *fw)
{
	char key[PATH_CAP], pub[PATH_CAP], bin[PATH_CAP], img[PATH_CAP];
	struct rp_image_src src;
	struct rp_mem_src mem;
	struct rp_image_policy pol;
	struct rp_image_report rep;
	struct rp_pubkey pk;
	uint8_t work[512];
	size_t n = 0;
	rp_err rc;

	memset(fw, 0, sizeof fw[0]);
	rc = path_of(key, dir, "release.key");
	if (rc == RP_OK)
		rc = path_of(pub, dir, "release.key.pub");
	if (rc == RP_OK)
		rc = path_of(bin, dir, "firmware.bin");
	if (rc == RP_OK)
		rc = path_of(img, dir, "firmware.img");
	if (rc != RP_OK)
		goto out;
	if (!exists(key)) {
		rc = rp_key_generate(RP_ALG_ED25519, key, NULL, &pk);
		if (rc != RP_OK)
			goto out;
		rp_log(RP_LOG_INFO, "new release key %s", key);
		unlink(img); /* signed by another key */
	}
	if (!exists(img)) {
		rc = make_image(key, bin, img);
		if (rc != RP_OK)
			goto out;
	}
	rc = rp_pubkey_load_pem(pub, &pk, 1, &n);
	if (rc != RP_OK)
		goto out;
	fw->trust.threshold = 1;
	fw->trust.nkeys = 1;
	fw->trust.keys[0] = pk;
	rc = read_file(img, &fw->img, &fw->len);
	if (rc != RP_OK)
		goto out;
	/* What every device will check at boot, checked once here. */
	rp_image_src_mem(&src, &mem, fw->img, fw->len);
	memset(&pol, 0, sizeof pol);
	pol.hw = SIM_HW;
	pol.exact_size = true;
	rc = rp_image_verify(&src, &fw->trust, rp_crypto_host(), &pol, work,
	                     sizeof work, &rep);
	if (rc != RP_OK) {
		rp_log(RP_LOG_ERROR, "%s does not verify with %s: remove both",
		       img, pub);
		goto out;
	}
	snprintf(fw->version, sizeof fw->version,
	         "%" PRIu32 ".%" PRIu32 ".%" PRIu32, rep.hdr.ver_major,
	         rep.hdr.ver_minor, rep.hdr.ver_patch);
	fw->sector = FW_SECTOR;
	fw->slot_size =
	    (uint32_t)((fw->len + FW_SECTOR - 1) / FW_SECTOR * FW_SECTOR);
out:
	if (rc != RP_OK)
		sim_fw_free(fw);
	return rc;
}

void sim_fw_free(struct sim_fw *fw)
{
	free(fw->img);
	fw->img = NULL;
}

/* ---- the NOR flash in memory (flash.h semantics) ---- */

static rp_err fl_read(void *ctx, uint32_t off, uint8_t *buf, size_t len)
{
	struct sim_flash *s = ctx;

	memcpy(buf, s->mem + off, len);
	return RP_OK;
}

static rp_err fl_write(void *ctx, uint32_t off, const uint8_t *buf, size_t len)
{
	struct sim_flash *s = ctx;
	size_t i;

	for (i = 0; i < len; i++)
		s->mem[off + i] &= buf[i]; /* only clears bits */
	return RP_OK;
}

static rp_err fl_erase(void *ctx, uint32_t off)
{
	struct sim_flash *s = ctx;

	memset(s->mem + off, 0xff, s->f.sector_size);
	return RP_OK;
}

/* What an updater does: erase the slot, program the image (the last
 * partial word padded with 0xFF). */
static rp_err install(struct sim_flash *fl, const struct rp_boot_layout *l,
                      int slot, const uint8_t *img, size_t len)
{
	uint8_t tail[FW_ALIGN];
	size_t whole = len / FW_ALIGN * FW_ALIGN;
	rp_err rc;

	rc = rp_flash_erase_range(&fl->f, l->slot_off[slot], l->slot_size);
	if (rc == RP_OK && whole > 0)
		rc = rp_flash_write(&fl->f, l->slot_off[slot], img, whole);
	if (rc == RP_OK && whole < len) {
		memset(tail, 0xff, sizeof tail);
		memcpy(tail, img + whole, len - whole);
		rc = rp_flash_write(&fl->f, l->slot_off[slot] + (uint32_t)whole,
		                    tail, sizeof tail);
	}
	return rc;
}

/* One reset: the boot core decides, verifies and records; d's firmware
 * facts follow what it started. */
static rp_err boot_once(struct sim_dev *d, const struct sim_fw *fw)
{
	struct sim_flash *fl = &d->flash;
	struct rp_boot_layout l;
	struct rp_boot_ctx ctx;
	struct rp_boot_result res;
	uint8_t work[512], sum[RP_SHA256_LEN];
	rp_err rc;

	rc = rp_boot_layout_default(&fl->f, &l);
	if (rc != RP_OK)
		return rc;
	memset(&ctx, 0, sizeof ctx);
	ctx.flash = &fl->f;
	ctx.layout = &l;
	ctx.trust = &fw->trust;
	ctx.crypto = rp_crypto_host();
	ctx.hw = SIM_HW;
	ctx.work = work;
	ctx.worklen = sizeof work;
	d->boot_ok =
	    rp_boot_run(&ctx, &res) == RP_BOOT_GO && res.verdict == RP_BOOT_GO;
	if (!d->boot_ok) {
		snprintf(d->boot_detail, sizeof d->boot_detail, "recovery: %s",
		         rp_boot_reason_str(res.reason));
		d->fw_version[0] = '\0';
		d->fw_sha256[0] = '\0';
		return RP_OK;
	}
	snprintf(d->boot_detail, sizeof d->boot_detail, "ok: %s, slot %c",
	         rp_boot_reason_str(res.reason), res.slot == 0 ? 'A' : 'B');
	snprintf(d->fw_version, sizeof d->fw_version,
	         "%" PRIu32 ".%" PRIu32 ".%" PRIu32, res.hdr.ver_major,
	         res.hdr.ver_minor, res.hdr.ver_patch);
	/* The running slot's image, as the device reads it from flash. */
	if (res.image_len > l.slot_size)
		return RP_E_FLASH;
	rc = rp_sha256(fl->mem + l.slot_off[res.slot], (size_t)res.image_len,
	               sum);
	if (rc == RP_OK)
		rc = rp_hex_encode(sum, sizeof sum, d->fw_sha256,
		                   sizeof d->fw_sha256);
	return rc;
}

rp_err sim_dev_boot(struct sim_dev *d, const struct sim_fw *fw)
{
	struct sim_flash *fl = &d->flash;
	struct rp_boot_layout l;
	uint32_t size = 2 * fw->sector + 2 * fw->slot_size;
	rp_err rc;

	memset(fl, 0, sizeof *fl);
	fl->mem = rp_malloc(size);
	if (fl->mem == NULL)
		return RP_E_NOMEM;
	memset(fl->mem, 0xff, size); /* a new chip reads erased */
	fl->f.ctx = fl;
	fl->f.size = size;
	fl->f.sector_size = fw->sector;
	fl->f.write_align = FW_ALIGN;
	fl->f.read = fl_read;
	fl->f.write = fl_write;
	fl->f.erase = fl_erase;
	rc = rp_boot_layout_default(&fl->f, &l);
	if (rc == RP_OK)
		rc = install(fl, &l, 0, fw->img, fw->len);
	if (rc == RP_OK)
		rc = boot_once(d, fw);
	if (rc != RP_OK)
		sim_dev_flash_free(d);
	return rc;
}

rp_err sim_dev_reboot(struct sim_dev *d, const struct sim_fw *fw)
{
	return d->flash.mem != NULL ? boot_once(d, fw) : RP_E_STATE;
}

void sim_dev_flash_free(struct sim_dev *d)
{
	free(d->flash.mem);
	d->flash.mem = NULL;
}
