/* SPDX-License-Identifier: Apache-2.0 */
/*
 * delta_create.h - making a delta patch (lib/delta/, docs/delta.md): for
 * rampartd and the rampart CLI only, never the device SDK (not installed,
 * not exported). The device applies patches with rampart/delta.h.
 */
#ifndef RAMPART_DELTA_CREATE_H
#define RAMPART_DELTA_CREATE_H

#include <stddef.h>
#include <stdint.h>

#include "rampart/delta.h"

/* The largest old or new image create accepts (the suffix array's index
 * is 32-bit): 2 GiB - 1. */
#define RP_DELTA_CREATE_MAX 0x7fffffffu

struct rp_delta_create_opts {
	/* LZMA2 dictionary, RP_DELTA_DICT_LOG2_MIN..MAX; 0 = the default
	 * (RP_DELTA_DICT_LOG2_MAX). */
	unsigned dict_log2;
	/* Called now and then with the new image's bytes done so far, from
	 * the creating thread; NULL for none. */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

/*
 * A patch turning old[0..old_len) into new_[0..new_len): a buffer the
 * caller frees with rp_free(), in *patch and *patch_len. opts may be NULL.
 * Memory: the two images (the caller's), a suffix array of 4 bytes per old
 * byte and the patch. RP_E_TOO_BIG above RP_DELTA_CREATE_MAX; RP_E_INVAL
 * for a bad dictionary; RP_E_NOMEM.
 */
rp_err rp_delta_create(const uint8_t *old, size_t old_len, const uint8_t *new_,
                       size_t new_len, const struct rp_delta_create_opts *opts,
                       uint8_t **patch, size_t *patch_len);

#endif
