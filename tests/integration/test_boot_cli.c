/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_boot_cli.c - the rampart-boot host program over a flash file: an
 * update life (first boot, install, trial, confirm, rollback), refusals
 * (lower counter, damaged slot, another hardware type), recovery mode,
 * and its exit codes. Images are signed here with libsodium from the
 * documented wire layout (the trusted key a PEM file), and by the rampart
 * CLI (keygen, sign: Ed25519 and P-256, two of two).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootimg.h"
#include "cmocka_all.h"
#include "rampart/sign.h"
#include "rpt.h"

#define HW     "acme-sensor-v2"
#define SECTOR 4096u
#define SLOT   16384u

static char bin[600], dir[512], flash[600], pem[600], img[5][600];

/* Run rampart-boot with args (NULL-terminated); *out caller-freed. */
static int run(char **out, ...)
{
	char *argv[24];
	va_list ap;
	int n = 0, rc;

	argv[n++] = bin;
	va_start(ap, out);
	while ((argv[n] = va_arg(ap, char *)) != NULL && n < 22)
		n++;
	va_end(ap);
	argv[n] = NULL;
	*out = NULL;
	rc = rpt_run(argv, NULL, 0, out, RPT_DEADLINE_MS);
	assert_non_null(*out);
	return rc;
}

static int boot(char **out, const char *hw)
{
	return run(out, "boot", flash, "--trust", pem, "--hw", hw, NULL);
}

#define HAS(out, s)                                                     \
	do {                                                            \
		if (strstr((out), (s)) == NULL)                         \
			fail_msg("missing \"%s\" in:\n%s", (s), (out)); \
	} while (0)

static void flip_flash_byte(uint32_t off)
{
	FILE *f = fopen(flash, "r+b");
	int c;

	assert_non_null(f);
	assert_int_equal(fseek(f, (long)off, SEEK_SET), 0);
	c = fgetc(f);
	assert_int_equal(fseek(f, (long)off, SEEK_SET), 0);
	fputc(c ^ 0x10, f);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	static uint8_t buf[8192];
	struct timg_key k;
	size_t n;
	int i;

	(void)state;
	rpt_tmpdir(dir, sizeof dir);
	snprintf(bin, sizeof bin, "%s/rampart-boot", rpt_bin_dir());
	snprintf(flash, sizeof flash, "%s/flash.bin", dir);
	snprintf(pem, sizeof pem, "%s/release.pub", dir);
	timg_key(&k, 3);
	if (rp_pubkey_write_pem(&k.pub, pem) != RP_OK)
		return -1;
	/* img[i]: counter i+1; img[4]: another hardware type. */
	for (i = 0; i < 5; i++) {
		snprintf(img[i], sizeof img[i], "%s/img%d.rpi", dir, i + 1);
		n = timg_make(buf, sizeof buf, &k, 1, i == 4 ? "other" : HW,
		              (uint32_t)(i < 4 ? i + 1 : 9), 5000, (uint8_t)i);
		if (rpt_write_file(img[i], buf, n, 0644) != 0)
			return -1;
	}
	return 0;
}

static void test_update_life(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(&out, "create", flash, "--slot-size", "16K", NULL),
	                 0);
	HAS(out, "slot A at 8192");
	free(out);
	/* Never replaced by accident. */
	assert_int_equal(run(&out, "create", flash, "--slot-size", "16K", NULL),
	                 2);
	free(out);
	assert_int_equal(run(&out, "status", flash, NULL), 0);
	HAS(out, "state: none yet");
	HAS(out, "slot A: no image header");
	free(out);
	/* Empty flash: recovery, exit 1. */
	assert_int_equal(boot(&out, HW), 1);
	HAS(out, "boot: recovery");
	HAS(out, "slot A: refused: not a Rampart image");
	free(out);

	/* Factory image into A, first boot. */
	assert_int_equal(run(&out, "install", flash, img[0], NULL), 0);
	HAS(out, "into slot A");
	free(out);
	assert_int_equal(boot(&out, HW), 0);
	HAS(out, "boot: slot A");
	HAS(out, "reason: first boot");
	HAS(out, "counter 1,");
	free(out);
	assert_int_equal(boot(&out, HW), 0);
	HAS(out, "boot: slot A");
	HAS(out, "reason: confirmed active slot");
	HAS(out, "slot B: not checked");
	free(out);

	/* Too big for a slot: refused before anything is erased. */
	{
		static uint8_t big[SLOT + 8];
		char path[700];

		memset(big, 0xab, sizeof big);
		snprintf(path, sizeof path, "%s/big.bin", dir);
		assert_int_equal(rpt_write_file(path, big, sizeof big, 0644),
		                 0);
		assert_int_equal(
		    run(&out, "install", flash, path, "--slot", "B", NULL), 2);
		HAS(out, "does not fit slot B");
		free(out);
	}
	/* The active slot is not writable; the inactive one is. */
	assert_int_equal(
	    run(&out, "install", flash, img[1], "--slot", "A", NULL), 2);
	HAS(out, "slot A is the active slot");
	free(out);
	assert_int_equal(run(&out, "install", flash, img[1], NULL), 0);
	HAS(out, "into slot B");
	free(out);
	assert_int_equal(run(&out, "confirm", flash, NULL), 1);
	free(out);
	assert_int_equal(run(&out, "trial", flash, NULL), 0);
	HAS(out, "slot B marked trial: 3 boot(s)");
	free(out);
	assert_int_equal(boot(&out, HW), 0);
	HAS(out, "boot: slot B");
	HAS(out, "reason: trial boot");
	HAS(out, "trial: slot B, running, 2 boot(s) left, counter 2");
	free(out);
	assert_int_equal(run(&out, "confirm", flash, NULL), 0);
	HAS(out, "confirmed slot B: now active, confirmed counter 2");
	free(out);
	assert_int_equal(run(&out, "status", flash, NULL), 0);
	HAS(out, "active: B");
	HAS(out, "confirmed counter: 2");
	HAS(out, "trial: none");
	HAS(out, "slot B: " HW " 2.0.0, counter 2");
	free(out);

	/* Image 3, one trial boot, not confirmed: rolled back. */
	assert_int_equal(run(&out, "install", flash, img[2], NULL), 0);
	HAS(out, "into slot A");
	free(out);
	assert_int_equal(run(&out, "trial", flash, "--trials", "1", NULL), 0);
	free(out);
	assert_int_equal(boot(&out, HW), 0);
	HAS(out, "boot: slot A");
	HAS(out, "reason: trial boot");
	free(out);
	/* A running trial's slots are not overwritten. */
	assert_int_equal(run(&out, "install", flash, img[3], NULL), 2);
	HAS(out, "a trial is running");
	free(out);
	assert_int_equal(boot(&out, HW), 0);
	HAS(out, "boot: slot B");
	HAS(out, "rolled back");
	HAS(out, "flags: rolled-back");
	free(out);
	assert_int_equal(run(&out, "confirm", flash, NULL), 1);
	free(out);

	/* An older image (counter 1 < 2) marked trial: refused. */
	assert_int_equal(run(&out, "install", flash, img[0], NULL), 0);
	free(out);
	assert_int_equal(run(&out, "trial", flash, NULL), 0);
	free(out);
	assert_int_equal(boot(&out, HW), 0);
	HAS(out, "boot: slot B");
	HAS(out, "reason: trial image refused");
	HAS(out, "slot A: refused: image security counter below");
	HAS(out, "flags: trial-invalid");
	free(out);

	/* Another board's image, properly signed: refused too. */
	assert_int_equal(run(&out, "install", flash, img[4], NULL), 0);
	free(out);
	assert_int_equal(run(&out, "trial", flash, NULL), 0);
	free(out);
	assert_int_equal(boot(&out, HW), 0);
	HAS(out, "slot A: refused: image is for another hardware type");
	free(out);

	/* Slot B damaged after it was verified: no cache lets it boot;
	 * slot A (another board's image) is no fallback: recovery. */
	assert_int_equal(boot(&out, HW), 0);
	free(out);
	flip_flash_byte(2 * SECTOR + SLOT + 1000);
	assert_int_equal(boot(&out, HW), 1);
	HAS(out, "boot: recovery");
	HAS(out, "slot B: refused: payload hash mismatch");
	free(out);

	/* A valid image with counter >= 2 in A: taken as the fallback. */
	assert_int_equal(run(&out, "install", flash, img[3], NULL), 0);
	free(out);
	assert_int_equal(boot(&out, HW), 0);
	HAS(out, "boot: slot A");
	HAS(out, "active slot refused");
	HAS(out, "active: A");
	free(out);
}

/* Run the rampart CLI; *out caller-freed. */
static int rampart(char **out, char *const argv[])
{
	char *av[24];
	static char rbin[600];
	int n = 0;

	snprintf(rbin, sizeof rbin, "%s/rampart", rpt_bin_dir());
	av[n++] = rbin;
	while (argv[n - 1] != NULL && n < 23) {
		av[n] = argv[n - 1];
		n++;
	}
	av[n] = NULL;
	*out = NULL;
	return rpt_run(av, NULL, 0, out, RPT_DEADLINE_MS);
}

/* Images signed by `rampart sign` (Ed25519 and P-256, 2 of 2). */
static void test_rampart_signed(void **state)
{
	static uint8_t payload[10000];
	char f2[600], ked[600], kp[600], kedpub[600], kppub[600];
	char pay[600], v1[600], v2[600];
	char *out;

	(void)state;
	snprintf(f2, sizeof f2, "%s/flash2.bin", dir);
	snprintf(ked, sizeof ked, "%s/ed.key", dir);
	snprintf(kp, sizeof kp, "%s/p256.key", dir);
	snprintf(kedpub, sizeof kedpub, "%s/ed.key.pub", dir);
	snprintf(kppub, sizeof kppub, "%s/p256.key.pub", dir);
	snprintf(pay, sizeof pay, "%s/payload.bin", dir);
	snprintf(v1, sizeof v1, "%s/v1.rpi", dir);
	snprintf(v2, sizeof v2, "%s/v2.rpi", dir);
	memset(payload, 0x5a, sizeof payload);
	assert_int_equal(rpt_write_file(pay, payload, sizeof payload, 0644), 0);
	{
		char *a1[] = {"keygen", "--alg", "ed25519", "--out", ked, NULL};
		char *a2[] = {"keygen", "--alg", "p256", "--out", kp, NULL};
		char *a3[] = {"sign",  "--key",     ked, "--key",
		              kp,      "--hw",      HW,  "--version",
		              "3.1.0", "--counter", "7", pay,
		              v1,      NULL};
		char *a4[] = {"sign", "--key",     ked,     "--hw",
		              HW,     "--version", "3.2.0", "--counter",
		              "8",    pay,         v2,      NULL};

		assert_int_equal(rampart(&out, a1), 0);
		free(out);
		assert_int_equal(rampart(&out, a2), 0);
		free(out);
		assert_int_equal(rampart(&out, a3), 0);
		free(out);
		assert_int_equal(rampart(&out, a4), 0);
		free(out);
	}
	assert_int_equal(run(&out, "create", f2, "--slot-size", "16K", NULL),
	                 0);
	free(out);
	assert_int_equal(run(&out, "install", f2, v1, NULL), 0);
	free(out);
	/* Two of two: Ed25519 and ECDSA P-256 both verified. */
	assert_int_equal(run(&out, "boot", f2, "--trust", kedpub, "--trust",
	                     kppub, "--threshold", "2", "--hw", HW, NULL),
	                 0);
	HAS(out, "boot: slot A");
	HAS(out, "image: " HW " 3.1.0, counter 7");
	free(out);
	/* v2 carries one signature: refused under 2 of 2... */
	assert_int_equal(run(&out, "install", f2, v2, NULL), 0);
	free(out);
	assert_int_equal(run(&out, "trial", f2, NULL), 0);
	free(out);
	assert_int_equal(run(&out, "boot", f2, "--trust", kedpub, "--trust",
	                     kppub, "--threshold", "2", "--hw", HW, NULL),
	                 0);
	HAS(out, "boot: slot A");
	HAS(out, "slot B: refused: too few valid signatures");
	free(out);
	/* ...and started as a trial under 1 of 2. */
	assert_int_equal(run(&out, "trial", f2, NULL), 0);
	free(out);
	assert_int_equal(run(&out, "boot", f2, "--trust", kedpub, "--trust",
	                     kppub, "--hw", HW, NULL),
	                 0);
	HAS(out, "boot: slot B");
	HAS(out, "reason: trial boot");
	HAS(out, "counter 8");
	free(out);
	/* A signed key set at epoch 3: accepted and recorded; afterwards
	 * the bare keys (epoch 0) are an older key set: recovery. */
	{
		char ks[600];
		char *a[] = {"keyset",      "create", "--pub",   kedpub,
		             "--threshold", "1",      "--epoch", "3",
		             "--key",       ked,      ks,        NULL};

		snprintf(ks, sizeof ks, "%s/trust.rpks", dir);
		assert_int_equal(rampart(&out, a), 0);
		free(out);
		assert_int_equal(
		    run(&out, "boot", f2, "--trust", ks, "--hw", HW, NULL), 0);
		HAS(out, "boot: slot B");
		HAS(out, "key-set epoch: 3");
		free(out);
	}
	assert_int_equal(
	    run(&out, "boot", f2, "--trust", kedpub, "--hw", HW, NULL), 1);
	HAS(out, "boot: recovery");
	HAS(out, "RP_E_KEYSET_EPOCH");
	free(out);
}

static void test_usage_errors(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run(&out, NULL), 2);
	HAS(out, "usage: rampart-boot");
	free(out);
	assert_int_equal(run(&out, "frob", flash, NULL), 2);
	HAS(out, "unknown command 'frob'");
	free(out);
	assert_int_equal(run(&out, "boot", flash, "--hw", HW, NULL), 2);
	HAS(out, "missing --trust");
	free(out);
	assert_int_equal(run(&out, "boot", flash, "--trust", "k", NULL), 2);
	HAS(out, "missing --hw");
	free(out);
	assert_int_equal(run(&out, "create", flash, "--slot-size", "3X", NULL),
	                 2);
	HAS(out, "--slot-size wants a size");
	HAS(out, "not '3X'");
	free(out);
	assert_int_equal(run(&out, "status", "/nonexistent/flash", NULL), 2);
	free(out);
	assert_int_equal(run(&out, "trial", flash, "--trials", "0", NULL), 2);
	HAS(out, "--trials wants a number from 1 to");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_update_life),
	    cmocka_unit_test(test_rampart_signed),
	    cmocka_unit_test(test_usage_errors),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
