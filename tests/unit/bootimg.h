/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bootimg.h - signed test images for the boot tests, built here from the
 * wire layout of include/rampart/image.h with libsodium's Ed25519 (an
 * implementation independent of lib/sign/sign.c), a trusted key set for them,
 * and a libsodium struct rp_crypto.
 */
#ifndef RAMPART_TEST_BOOTIMG_H
#define RAMPART_TEST_BOOTIMG_H

#include <stddef.h>
#include <stdint.h>

#include "bootcore.h"
#include "rampart/image.h"
#include "simflash.h"

struct timg_key {
	uint8_t pk[32];
	uint8_t sk[64];
	struct rp_pubkey pub;
};

/* A key pair derived from seed (deterministic). */
void timg_key(struct timg_key *k, uint8_t seed);

/* A key set trusting keys[0..n) with threshold k at epoch. */
void timg_keyset(struct rp_keyset *ks, const struct timg_key *keys, size_t n,
                 unsigned k, uint32_t epoch);

/*
 * Build a full image into out (cap bytes): hardware hw, counter, version
 * counter.0.0, payload_len bytes derived from fill, signed by keys[0..n).
 * Returns its length (aborts if cap is too small).
 */
size_t timg_make(uint8_t *out, size_t cap, const struct timg_key *keys,
                 size_t n, const char *hw, uint32_t counter,
                 uint32_t payload_len, uint8_t fill);

/* SHA-256 and Ed25519 verification with libsodium. */
const struct rp_crypto *timg_crypto(void);

/* A simulated device: flash, default layout, trusted keys, boot core. */
#define TDEV_PAGE 128 /* bytes per write when installing an image */
struct tdev {
	struct simflash sim;
	struct rp_boot_layout l;
	struct rp_keyset ks;
	struct rp_boot_ctx ctx;
	uint8_t work[512];
};

void tdev_init(struct tdev *d, uint32_t nsectors, uint32_t sector_size,
               const struct rp_keyset *ks, const char *hw);
void tdev_free(struct tdev *d);
/* What an updater does: erase the slot, write the image page by page. */
rp_err tdev_install(struct tdev *d, int slot, const uint8_t *img, size_t len);
uint32_t tdev_boot(struct tdev *d, struct rp_boot_result *res);

#endif
