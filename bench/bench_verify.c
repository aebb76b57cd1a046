/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_verify.c - throughput of rp_image_verify on an image file: the
 * best of N runs, in MB/s (10^6 bytes/s of image), with a chosen work
 * buffer size and SHA-256 from the host port (OpenSSL) or, to show what
 * the choice is worth, libsodium.
 * usage: bench_verify IMAGE PUBKEY [WORK_BYTES] [RUNS] [openssl|sodium]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "rampart/crypto_host.h"
#include "rampart/mem.h"
#include "rampart/sign.h"

static rp_err s_init(void *ctx, void *st)
{
	(void)ctx;
	return crypto_hash_sha256_init(st) == 0 ? RP_OK : RP_E_CRYPTO;
}

static rp_err s_update(void *ctx, void *st, const uint8_t *d, size_t n)
{
	(void)ctx;
	return crypto_hash_sha256_update(st, d, n) == 0 ? RP_OK : RP_E_CRYPTO;
}

static rp_err s_final(void *ctx, void *st, uint8_t out[RP_SHA256_LEN])
{
	(void)ctx;
	return crypto_hash_sha256_final(st, out) == 0 ? RP_OK : RP_E_CRYPTO;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct rp_keyset ks;
	struct rp_crypto sodium;
	const struct rp_crypto *c;
	struct rp_image_src src;
	size_t work_len = RP_IMAGE_HOST_WORK, n = 0;
	double best = 1e30, t;
	uint8_t *work;
	int runs = 3, i;
	rp_err rc;

	_Static_assert(sizeof(crypto_hash_sha256_state) <= RP_HASH_STATE_MAX,
	               "state");
	if (argc < 3 || rp_init() != RP_OK) {
		fprintf(stderr,
		        "usage: bench_verify IMAGE PUBKEY [WORK] [RUNS] "
		        "[openssl|sodium]\n");
		return 2;
	}
	if (argc > 3)
		work_len = strtoul(argv[3], NULL, 10);
	if (argc > 4)
		runs = atoi(argv[4]);
	c = rp_crypto_host();
	if (argc > 5 && strcmp(argv[5], "sodium") == 0) {
		sodium = *c;
		sodium.sha256_init = s_init;
		sodium.sha256_update = s_update;
		sodium.sha256_final = s_final;
		c = &sodium;
	}
	if (rp_pubkey_load_pem(argv[2], ks.keys, RP_KEYSET_MAX_KEYS, &n) !=
	    RP_OK)
		return 2;
	ks.nkeys = (uint8_t)n;
	ks.threshold = 1;
	work = malloc(work_len);
	if (work == NULL || rp_image_src_file_open(&src, argv[1]) != RP_OK)
		return 2;
	for (i = 0; i < runs; i++) {
		t = now();
		rc = rp_image_verify(&src, &ks, c, NULL, work, work_len, NULL);
		t = now() - t;
		if (rc != RP_OK) {
			fprintf(stderr, "bench_verify: %s\n", rp_strerror(rc));
			return 1;
		}
		if (t < best)
			best = t;
	}
	printf("%.1f\n", (double)src.size / best / 1e6);
	rp_image_src_file_close(&src);
	free(work);
	return 0;
}
