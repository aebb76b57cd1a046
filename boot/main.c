/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - rampart-boot on a host: drives the freestanding boot core
 * (bootcore.c) and the boot-state API over a flash file (flash_file.h), to
 * simulate a device's boot stage and test it. Commands: create, install,
 * trial, boot, confirm, status (docs/boot.md "rampart-boot").
 * Exit codes: 0 done (boot: a slot is started), 1 the answer is no (boot:
 * recovery mode; confirm: nothing to confirm), 2 could not decide.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bootcore.h"
#include "cmdline.h"
#include "rampart/alloc.h"
#include "rampart/flash_file.h"
#include "rampart/crypto_host.h"
#include "rampart/mem.h"

enum { EXIT_DONE = 0, EXIT_NO = 1, EXIT_ERR = 2 };

#define PROG "rampart-boot"

struct opts {
	uint32_t sector_size;
	uint64_t slot_size;
	int force;
	int slot; /* -1: the inactive one */
	unsigned trials;
	const char *trust[RP_KEYSET_MAX_KEYS];
	size_t ntrust;
	unsigned long threshold;
	const char *hw;
	const char *flash;
	const char *arg; /* install: the image */
};

static int parse_u64(const char *s, uint64_t *out, int sizes)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (sizes && (strcmp(end, "K") == 0 || strcmp(end, "KiB") == 0)) {
		v <<= 10;
		end += strlen(end);
	} else if (sizes &&
	           (strcmp(end, "M") == 0 || strcmp(end, "MiB") == 0)) {
		v <<= 20;
		end += strlen(end);
	}
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int parse_slot(const char *s)
{
	if (strcmp(s, "A") == 0 || strcmp(s, "a") == 0 || strcmp(s, "0") == 0)
		return 0;
	if (strcmp(s, "B") == 0 || strcmp(s, "b") == 0 || strcmp(s, "1") == 0)
		return 1;
	return -1;
}

static char slot_name(int s)
{
	return s == 0 ? 'A' : 'B';
}

static int fail(const char *what, rp_err rc)
{
	fprintf(stderr, PROG ": %s: %s (%s)\n", what, rp_strerror(rc),
	        rp_errname(rc));
	return EXIT_ERR;
}

static int open_flash(const struct opts *o, struct rp_flash_file *ff,
                      struct rp_boot_layout *l)
{
	rp_err rc = rp_flash_file_open(ff, o->flash, o->sector_size);

	if (rc != RP_OK) {
		fprintf(stderr,
		        PROG ": %s: %s (%s); a flash file's size is a "
		             "multiple of --sector-size\n",
		        o->flash, rp_strerror(rc), rp_errname(rc));
		return -1;
	}
	rc = rp_boot_layout_default(&ff->f, l);
	if (rc != RP_OK) {
		rp_flash_file_close(ff);
		fprintf(stderr, PROG ": %s: too small for two slots\n",
		        o->flash);
		return -1;
	}
	return 0;
}

static int cmd_create(const struct opts *o)
{
	uint64_t slot, size;
	rp_err rc;

	if (o->slot_size == 0) {
		fprintf(stderr, PROG " create: --slot-size is required\n");
		return EXIT_ERR;
	}
	slot = (o->slot_size + o->sector_size - 1) / o->sector_size *
	       o->sector_size;
	size = 2 * (uint64_t)o->sector_size + 2 * slot;
	if (size > UINT32_MAX) {
		fprintf(stderr, PROG " create: slots too large\n");
		return EXIT_ERR;
	}
	rc = rp_flash_file_create(o->flash, (uint32_t)size, o->force);
	if (rc != RP_OK)
		return fail(o->flash, rc);
	printf("created %s: %" PRIu64 " bytes, sector %" PRIu32
	       ", state copies at 0 and %" PRIu32 ", slot A at %" PRIu64
	       ", slot B at %" PRIu64 ", %" PRIu64 " bytes each\n",
	       o->flash, size, o->sector_size, o->sector_size,
	       2 * (uint64_t)o->sector_size,
	       2 * (uint64_t)o->sector_size + slot, slot);
	return EXIT_DONE;
}

static int cmd_install(const struct opts *o)
{
	struct rp_flash_file ff;
	struct rp_boot_layout l;
	struct rp_boot_state st;
	uint8_t *buf = NULL;
	FILE *in = NULL;
	size_t n, got, total = 0, w;
	long size;
	int slot, ret = EXIT_ERR, have_state;
	rp_err rc;

	if (open_flash(o, &ff, &l) != 0)
		return EXIT_ERR;
	rc = rp_boot_status(&ff.f, &l, &st);
	have_state = rc == RP_OK;
	if (rc != RP_OK && rc != RP_E_NOT_FOUND) {
		ret = fail("boot state", rc);
		goto out;
	}
	slot = o->slot >= 0 ? o->slot
	                    : (have_state ? rp_boot_inactive_slot(&st) : 0);
	if (have_state && st.trial && st.trial_booted) {
		fprintf(stderr,
		        PROG " install: a trial is running in slot %c: "
		             "confirm it or let it roll back first\n",
		        slot_name(rp_boot_inactive_slot(&st)));
		goto out;
	}
	if (have_state && slot == st.active) {
		fprintf(stderr,
		        PROG " install: slot %c is the active slot; write "
		             "the inactive one (%c)\n",
		        slot_name(slot), slot_name(1 - slot));
		goto out;
	}
	in = fopen(o->arg, "rb");
	if (in == NULL) {
		fprintf(stderr, PROG " install: %s: %s\n", o->arg,
		        strerror(errno));
		goto out;
	}
	size = fseek(in, 0, SEEK_END) == 0 ? ftell(in) : -1;
	if (size < 0 || fseek(in, 0, SEEK_SET) != 0) {
		fprintf(stderr, PROG " install: %s: %s\n", o->arg,
		        strerror(errno));
		goto out;
	}
	if ((unsigned long)size > l.slot_size) {
		fprintf(stderr,
		        PROG " install: %s (%ld bytes) does not fit slot %c "
		             "(%" PRIu32 " bytes)\n",
		        o->arg, size, slot_name(slot), l.slot_size);
		goto out;
	}
	/* A slot marked trial is unmarked before it is overwritten. */
	if (have_state && st.trial) {
		rc = rp_boot_cancel_trial(&ff.f, &l);
		if (rc != RP_OK) {
			ret = fail("boot state", rc);
			goto out;
		}
	}
	buf = rp_malloc(65536);
	if (buf == NULL) {
		ret = fail("install", RP_E_NOMEM);
		goto out;
	}
	rc = rp_flash_erase_range(&ff.f, l.slot_off[slot], l.slot_size);
	while (rc == RP_OK) {
		got = fread(buf, 1, 65536, in);
		if (got == 0)
			break;
		if (total + got > l.slot_size) {
			fprintf(stderr,
			        PROG " install: %s does not fit slot %c "
			             "(%" PRIu32 " bytes)\n",
			        o->arg, slot_name(slot), l.slot_size);
			goto out;
		}
		n = got;
		w = (n + RP_FLASH_FILE_WRITE_ALIGN - 1) &
		    ~(size_t)(RP_FLASH_FILE_WRITE_ALIGN - 1);
		memset(buf + n, 0xff, w - n);
		rc = rp_flash_write(&ff.f, l.slot_off[slot] + (uint32_t)total,
		                    buf, w);
		total += got;
	}
	if (rc == RP_OK && ferror(in))
		rc = RP_E_IO;
	if (rc != RP_OK) {
		ret = fail("install", rc);
		goto out;
	}
	printf("installed %s into slot %c: %zu bytes\n", o->arg,
	       slot_name(slot), total);
	ret = EXIT_DONE;
out:
	if (in != NULL)
		fclose(in);
	free(buf);
	rp_flash_file_close(&ff);
	return ret;
}

static int cmd_trial(const struct opts *o)
{
	struct rp_flash_file ff;
	struct rp_boot_layout l;
	struct rp_boot_state st;
	int ret = EXIT_ERR;
	rp_err rc;

	if (open_flash(o, &ff, &l) != 0)
		return EXIT_ERR;
	rc = rp_boot_set_trial(&ff.f, &l, o->trials);
	if (rc == RP_E_STATE) {
		fprintf(stderr, PROG " trial: a trial is running: confirm it "
		                     "or let it roll back first\n");
		goto out;
	}
	if (rc != RP_OK) {
		ret = fail("trial", rc);
		goto out;
	}
	rc = rp_boot_status(&ff.f, &l, &st);
	if (rc != RP_OK) {
		ret = fail("trial", rc);
		goto out;
	}
	printf("slot %c marked trial: %u boot(s)\n",
	       slot_name(rp_boot_inactive_slot(&st)), st.trials_left);
	ret = EXIT_DONE;
out:
	rp_flash_file_close(&ff);
	return ret;
}

static int cmd_confirm(const struct opts *o)
{
	struct rp_flash_file ff;
	struct rp_boot_layout l;
	struct rp_boot_state st;
	int ret = EXIT_ERR;
	rp_err rc;

	if (open_flash(o, &ff, &l) != 0)
		return EXIT_ERR;
	rc = rp_boot_confirm(&ff.f, &l);
	if (rc == RP_E_STATE) {
		fprintf(stderr, PROG " confirm: no trial image is running "
		                     "(see '" PROG " status')\n");
		ret = EXIT_NO;
		goto out;
	}
	if (rc != RP_OK) {
		ret = fail("confirm", rc);
		goto out;
	}
	rc = rp_boot_status(&ff.f, &l, &st);
	if (rc != RP_OK) {
		ret = fail("confirm", rc);
		goto out;
	}
	printf("confirmed slot %c: now active, confirmed counter %" PRIu32 "\n",
	       slot_name(st.active), st.counter);
	ret = EXIT_DONE;
out:
	rp_flash_file_close(&ff);
	return ret;
}

static void print_flags(uint8_t flags)
{
	printf("flags:");
	if (flags == 0)
		printf(" none");
	if (flags & RP_BOOT_F_ROLLED_BACK)
		printf(" rolled-back");
	if (flags & RP_BOOT_F_TRIAL_INVALID)
		printf(" trial-invalid");
	if (flags & RP_BOOT_F_FALLBACK)
		printf(" fallback");
	printf("\n");
}

static void print_state(const struct rp_boot_state *st)
{
	int other = rp_boot_inactive_slot(st);

	printf("active: %c\n", slot_name(st->active));
	printf("confirmed counter: %" PRIu32 "\n", st->counter);
	printf("key-set epoch: %" PRIu32 "\n", st->epoch);
	if (!st->trial)
		printf("trial: none\n");
	else if (!st->trial_booted)
		printf("trial: slot %c, marked, %u boot(s) left\n",
		       slot_name(other), st->trials_left);
	else
		printf("trial: slot %c, running, %u boot(s) left, counter "
		       "%" PRIu32 "\n",
		       slot_name(other), st->trials_left, st->trial_counter);
	print_flags(st->flags);
	printf("seq: %" PRIu32 "\n", st->seq);
}

static int cmd_status(const struct opts *o)
{
	struct rp_flash_file ff;
	struct rp_boot_layout l;
	struct rp_boot_state st;
	struct rp_image_hdr h;
	uint8_t hdr[RP_IMAGE_HDR_SIZE];
	int s, ret = EXIT_ERR;
	rp_err rc;

	if (open_flash(o, &ff, &l) != 0)
		return EXIT_ERR;
	rc = rp_boot_status(&ff.f, &l, &st);
	if (rc == RP_OK)
		print_state(&st);
	else if (rc == RP_E_NOT_FOUND)
		printf("state: none yet (the first boot records it)\n");
	else if (rc == RP_E_BOOT_STATE)
		printf("state: damaged in both copies\n");
	else {
		ret = fail("status", rc);
		goto out;
	}
	for (s = 0; s < 2; s++) {
		rc = rp_flash_read(&ff.f, l.slot_off[s], hdr, sizeof hdr);
		if (rc == RP_OK)
			rc = rp_image_hdr_parse(hdr, sizeof hdr, &h);
		if (rc == RP_OK)
			printf("slot %c: %s %" PRIu32 ".%" PRIu32 ".%" PRIu32
			       ", counter %" PRIu32 ", payload %" PRIu64
			       " bytes (header only, not verified)\n",
			       slot_name(s), h.hw, h.ver_major, h.ver_minor,
			       h.ver_patch, h.counter, h.payload_len);
		else
			printf("slot %c: no image header (%s)\n", slot_name(s),
			       rp_strerror(rc));
	}
	ret = EXIT_DONE;
out:
	rp_flash_file_close(&ff);
	return ret;
}

/* The trusted keys: PEM public keys, or one signed key set ("RPKS"). */
static int load_trust(const struct opts *o, struct rp_keyset *ks)
{
	static uint8_t buf[RP_KEYSET_MAX_SIZE + 1];
	size_t i, n, len;
	FILE *f;
	rp_err rc;

	memset(ks, 0, sizeof *ks);
	for (i = 0; i < o->ntrust; i++) {
		f = fopen(o->trust[i], "rb");
		if (f == NULL) {
			fprintf(stderr, PROG ": --trust %s: %s\n", o->trust[i],
			        strerror(errno));
			return -1;
		}
		len = fread(buf, 1, sizeof buf, f);
		fclose(f);
		if (len >= 4 && memcmp(buf, "RPKS", 4) == 0) {
			if (o->ntrust != 1) {
				fprintf(stderr, PROG ": a key set must be the "
				                     "only --trust\n");
				return -1;
			}
			rc = rp_keyset_accept(NULL, buf, len, rp_crypto_host(),
			                      ks, NULL);
		} else {
			rc = rp_pubkey_load_pem(
			    o->trust[i], ks->keys + ks->nkeys,
			    RP_KEYSET_MAX_KEYS - ks->nkeys, &n);
			if (rc == RP_OK)
				ks->nkeys = (uint8_t)(ks->nkeys + n);
			ks->threshold = 1;
		}
		if (rc != RP_OK) {
			fprintf(stderr, PROG ": --trust %s: %s (%s)\n",
			        o->trust[i], rp_strerror(rc), rp_errname(rc));
			return -1;
		}
	}
	if (o->threshold > 0) {
		if (o->threshold < ks->threshold || o->threshold > ks->nkeys) {
			fprintf(stderr,
			        PROG ": --threshold %lu: must be between %u "
			             "and %u\n",
			        o->threshold, ks->threshold, ks->nkeys);
			return -1;
		}
		ks->threshold = (uint8_t)o->threshold;
	}
	rc = rp_keyset_check(ks);
	if (rc != RP_OK) {
		fprintf(stderr, PROG ": trusted keys: %s (%s)\n",
		        rp_strerror(rc), rp_errname(rc));
		return -1;
	}
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmd_boot(const struct opts *o)
{
	static struct rp_keyset ks;
	struct rp_flash_file ff;
	struct rp_boot_layout l;
	struct rp_boot_ctx c;
	struct rp_boot_result r;
	uint8_t *work = NULL;
	double t0, t1;
	uint32_t v;
	int s, ret = EXIT_ERR;

	if (load_trust(o, &ks) != 0)
		return EXIT_ERR;
	if (open_flash(o, &ff, &l) != 0)
		return EXIT_ERR;
	work = rp_malloc(RP_IMAGE_HOST_WORK);
	if (work == NULL) {
		ret = fail("boot", RP_E_NOMEM);
		goto out;
	}
	c.flash = &ff.f;
	c.layout = &l;
	c.trust = &ks;
	c.crypto = rp_crypto_host();
	c.hw = o->hw;
	c.work = work;
	c.worklen = RP_IMAGE_HOST_WORK;
	t0 = now_ms();
	v = rp_boot_run(&c, &r);
	t1 = now_ms();
	if (v == RP_BOOT_GO && r.verdict == RP_BOOT_GO && r.slot <= 1) {
		printf("boot: slot %c\n", slot_name(r.slot));
		printf("reason: %s\n", rp_boot_reason_str(r.reason));
		printf("image: %s %" PRIu32 ".%" PRIu32 ".%" PRIu32
		       ", counter %" PRIu32 ", %" PRIu64 " bytes\n",
		       r.hdr.hw, r.hdr.ver_major, r.hdr.ver_minor,
		       r.hdr.ver_patch, r.hdr.counter, r.image_len);
		ret = EXIT_DONE;
	} else {
		printf("boot: recovery\n");
		printf("reason: %s\n", rp_boot_reason_str(RP_BOOT_R_RECOVERY));
		if (r.state_rc != RP_OK && r.state_rc != RP_E_NOT_FOUND)
			printf("boot state: %s (%s)\n", rp_strerror(r.state_rc),
			       rp_errname(r.state_rc));
		ret = EXIT_NO;
	}
	for (s = 0; s < 2; s++) {
		if (!r.checked[s])
			printf("slot %c: not checked\n", slot_name(s));
		else if (r.slot_rc[s] == RP_OK)
			printf("slot %c: valid\n", slot_name(s));
		else
			printf("slot %c: refused: %s (%s)\n", slot_name(s),
			       rp_strerror(r.slot_rc[s]),
			       rp_errname(r.slot_rc[s]));
	}
	if (r.state_rc == RP_OK || r.stored)
		print_state(&r.state);
	else if (r.state_rc == RP_E_NOT_FOUND)
		printf("state: none yet\n");
	if (r.store_rc != RP_OK)
		printf("warning: boot state not written: %s (%s)\n",
		       rp_strerror(r.store_rc), rp_errname(r.store_rc));
	printf("time: %.3f ms\n", t1 - t0);
out:
	free(work);
	rp_flash_file_close(&ff);
	return ret;
}

static const char *const slot_words[] = {"A", "B", "a", "b", "0", "1", NULL};

static const struct tool_opt common_opts[] = {
    {.name = "sector-size",
     .kind = TOOL_STRING,
     .value = "N",
     .help = "the flash's erase sector: a power of two from 64 to 1M, K/KiB "
             "or M/MiB allowed (default 4096)"},
    {0}};

static const struct tool_opt create_opts[] = {
    {.name = "slot-size",
     .kind = TOOL_STRING,
     .value = "SIZE",
     .flags = TOOL_REQUIRED,
     .help = "each slot's size, up to 2 GiB, K/KiB or M/MiB allowed"},
    {.name = "force", .kind = TOOL_FLAG, .help = "replace an existing file"},
    {0}};

static const struct tool_opt install_opts[] = {
    {.name = "slot",
     .kind = TOOL_ENUM,
     .words = slot_words,
     .help = "the slot to write (default: the inactive one)"},
    {0}};

static const struct tool_opt trial_opts[] = {
    {.name = "trials",
     .kind = TOOL_UINT,
     .min = 1,
     .max = RP_BOOT_TRIALS_MAX,
     .help = "boots the trial may take (default 3)"},
    {0}};

static const struct tool_opt boot_opts[] = {
    {.name = "trust",
     .kind = TOOL_PATH,
     .flags = TOOL_REQUIRED | TOOL_REPEAT,
     .help = "a trusted key set or public key"},
    {.name = "threshold",
     .kind = TOOL_UINT,
     .min = 1,
     .max = RP_KEYSET_MAX_KEYS,
     .help = "signatures needed (at least the key set's own)"},
    {.name = "hw",
     .kind = TOOL_STRING,
     .value = "TYPE",
     .flags = TOOL_REQUIRED,
     .help = "this device's hardware type"},
    {0}};

static const struct tool_arg flash_arg[] = {{"FLASH", TOOL_REQUIRED}, {0}};
static const struct tool_arg install_args[] = {
    {"FLASH", TOOL_REQUIRED}, {"IMAGE", TOOL_REQUIRED}, {0}};

/* A size with an optional K/KiB/M/MiB suffix, within [min, max]. */
static int get_size(const struct tool_ctx *t, const char *name, uint64_t min,
                    uint64_t max, bool pow2, uint64_t *out)
{
	const char *s = tool_str(t, name);
	uint64_t v;

	if (s == NULL)
		return TOOL_OK;
	if (parse_u64(s, &v, 1) != 0 || v < min || v > max ||
	    (pow2 && (v & (v - 1)) != 0))
		return tool_usage_error(
		    t,
		    "--%s wants %s from %llu to %llu bytes "
		    "(K, KiB, M, MiB allowed), not '%s'",
		    name, pow2 ? "a power of two" : "a size",
		    (unsigned long long)min, (unsigned long long)max, s);
	*out = v;
	return TOOL_OK;
}

static int get_opts(const struct tool_ctx *t, struct opts *o)
{
	uint64_t v = 4096;
	int rc;

	memset(o, 0, sizeof *o);
	rc = get_size(t, "sector-size", 64, 1u << 20, true, &v);
	if (rc != TOOL_OK)
		return rc;
	o->sector_size = (uint32_t)v;
	rc = get_size(t, "slot-size", 1, 1ull << 31, false, &o->slot_size);
	if (rc != TOOL_OK)
		return rc;
	o->force = tool_flag(t, "force");
	o->slot = tool_str(t, "slot") ? parse_slot(tool_str(t, "slot")) : -1;
	o->trials = (unsigned)tool_uint(t, "trials", 0);
	o->threshold = (unsigned long)tool_uint(t, "threshold", 0);
	o->hw = tool_str(t, "hw");
	if (o->hw != NULL && strlen(o->hw) >= RP_IMAGE_HW_MAX)
		return tool_usage_error(t, "--hw: at most %d characters",
		                        RP_IMAGE_HW_MAX - 1);
	o->ntrust = tool_count(t, "trust");
	if (o->ntrust > RP_KEYSET_MAX_KEYS)
		return tool_usage_error(t, "at most %d --trust",
		                        RP_KEYSET_MAX_KEYS);
	for (size_t i = 0; i < o->ntrust; i++)
		o->trust[i] = tool_nth(t, "trust", i);
	o->flash = t->argv[0];
	o->arg = t->argc > 1 ? t->argv[1] : NULL;
	if (rp_init() != RP_OK) {
		fprintf(stderr,
		        PROG ": cannot initialise the crypto library\n");
		return EXIT_ERR;
	}
	return TOOL_OK;
}

#define RUN(fn)                                       \
	static int run_##fn(const struct tool_ctx *t) \
	{                                             \
		struct opts o;                        \
		int rc = get_opts(t, &o);             \
		return rc != TOOL_OK ? rc : fn(&o);   \
	}
RUN(cmd_create)
RUN(cmd_install)
RUN(cmd_trial)
RUN(cmd_boot)
RUN(cmd_confirm)
RUN(cmd_status)

static const struct tool_cmd boot_cmds[] = {
    {.name = "create",
     .summary = "a flash file: two boot-state sectors and two slots, erased",
     .opts = create_opts,
     .shared = common_opts,
     .args = flash_arg,
     .run = run_cmd_create},
    {.name = "install",
     .summary = "write IMAGE into a slot (default: the inactive one)",
     .opts = install_opts,
     .shared = common_opts,
     .args = install_args,
     .run = run_cmd_install},
    {.name = "trial",
     .summary = "mark the inactive slot as a trial (default 3 boots)",
     .opts = trial_opts,
     .shared = common_opts,
     .args = flash_arg,
     .run = run_cmd_trial},
    {.name = "boot",
     .summary = "choose, verify and record: prints the slot started and why; "
                "exit 1 in recovery mode",
     .opts = boot_opts,
     .shared = common_opts,
     .args = flash_arg,
     .run = run_cmd_boot},
    {.name = "confirm",
     .summary = "confirm the running trial image; exit 1 if nothing to "
                "confirm",
     .shared = common_opts,
     .args = flash_arg,
     .run = run_cmd_confirm},
    {.name = "status",
     .summary = "show the boot state and the slots' headers",
     .shared = common_opts,
     .args = flash_arg,
     .run = run_cmd_status},
    {0}};

static const struct tool_cmd boot_root = {
    .summary = "the A/B boot verifier over a flash file (docs/boot.md).",
    .subs = boot_cmds};

int main(int argc, char **argv)
{
	static const struct tool_prog prog = {
	    .name = PROG, .version = RP_VERSION_STRING, .root = &boot_root};

	return tool_main(&prog, argc, argv, NULL);
}
