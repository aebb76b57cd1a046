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
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bootcore.h"
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

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: " PROG " COMMAND FLASH [OPTIONS] [ARGS]\n"
	        "\n"
	        "  create FLASH --slot-size SIZE [--force]\n"
	        "      a flash file: two boot-state sectors and two slots, "
	        "erased\n"
	        "  install FLASH IMAGE [--slot A|B]\n"
	        "      write IMAGE into a slot (default: the inactive one)\n"
	        "  trial FLASH [--trials N]\n"
	        "      mark the inactive slot as a trial (default 3 boots)\n"
	        "  boot FLASH --trust FILE [--trust FILE...] [--threshold K] "
	        "--hw TYPE\n"
	        "      choose, verify and record: prints the slot started "
	        "and why\n"
	        "  confirm FLASH\n"
	        "      confirm the running trial image\n"
	        "  status FLASH\n"
	        "      show the boot state and the slots' headers\n"
	        "\n"
	        "  --sector-size N   erase sector of the flash (default "
	        "4096), every command\n"
	        "exit: 0 done, 1 no (boot: recovery mode; confirm: nothing "
	        "to confirm), 2 error\n");
}

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

	if (o->ntrust == 0 || o->hw == NULL) {
		fprintf(stderr, PROG " boot: --trust and --hw are required\n");
		return EXIT_ERR;
	}
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

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
	    {"sector-size", required_argument, NULL, 'S'},
	    {"slot-size", required_argument, NULL, 'z'},
	    {"force", no_argument, NULL, 'f'},
	    {"slot", required_argument, NULL, 's'},
	    {"trials", required_argument, NULL, 'n'},
	    {"trust", required_argument, NULL, 't'},
	    {"threshold", required_argument, NULL, 'k'},
	    {"hw", required_argument, NULL, 'w'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct opts o;
	const char *cmd;
	uint64_t v;
	int ch, nargs;

	memset(&o, 0, sizeof o);
	o.sector_size = 4096;
	o.slot = -1;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_ERR : EXIT_DONE;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf(PROG " %s\n", RP_VERSION_STRING);
		return EXIT_DONE;
	}
	if (rp_init() != RP_OK) {
		fprintf(stderr,
		        PROG ": cannot initialise the crypto library\n");
		return EXIT_ERR;
	}
	cmd = argv[1];
	argc--;
	argv++;
	for (;;) {
		ch = getopt_long(argc, argv, "h", lopts, NULL);
		if (ch == -1)
			break;
		switch (ch) {
		case 'S':
			if (parse_u64(optarg, &v, 1) != 0 || v < 64 ||
			    v > (1u << 20) || (v & (v - 1)) != 0)
				goto bad;
			o.sector_size = (uint32_t)v;
			break;
		case 'z':
			if (parse_u64(optarg, &v, 1) != 0 || v == 0 ||
			    v > (1ull << 31))
				goto bad;
			o.slot_size = v;
			break;
		case 'f':
			o.force = 1;
			break;
		case 's':
			o.slot = parse_slot(optarg);
			if (o.slot < 0)
				goto bad;
			break;
		case 'n':
			if (parse_u64(optarg, &v, 0) != 0 || v == 0 ||
			    v > RP_BOOT_TRIALS_MAX)
				goto bad;
			o.trials = (unsigned)v;
			break;
		case 't':
			if (o.ntrust == RP_KEYSET_MAX_KEYS)
				goto bad;
			o.trust[o.ntrust++] = optarg;
			break;
		case 'k':
			if (parse_u64(optarg, &v, 0) != 0 || v == 0 ||
			    v > RP_KEYSET_MAX_KEYS)
				goto bad;
			o.threshold = (unsigned long)v;
			break;
		case 'w':
			if (strlen(optarg) >= RP_IMAGE_HW_MAX)
				goto bad;
			o.hw = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_DONE;
		default:
			usage(stderr);
			return EXIT_ERR;
		}
	}
	nargs = argc - optind;
	if (nargs < 1)
		goto usage;
	o.flash = argv[optind];
	if (strcmp(cmd, "install") == 0) {
		if (nargs != 2)
			goto usage;
		o.arg = argv[optind + 1];
		return cmd_install(&o);
	}
	if (nargs != 1)
		goto usage;
	if (strcmp(cmd, "create") == 0)
		return cmd_create(&o);
	if (strcmp(cmd, "trial") == 0)
		return cmd_trial(&o);
	if (strcmp(cmd, "boot") == 0)
		return cmd_boot(&o);
	if (strcmp(cmd, "confirm") == 0)
		return cmd_confirm(&o);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(&o);
	fprintf(stderr, PROG ": unknown command '%s'\n", cmd);
usage:
	usage(stderr);
	return EXIT_ERR;
bad:
	fprintf(stderr, PROG ": bad option value '%s' (try --help)\n", optarg);
	return EXIT_ERR;
}
