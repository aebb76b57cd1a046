/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flash.h - the small flash interface the boot core and the boot-state
 * record use for all their I/O (docs/boot.md). Freestanding.
 *
 * Semantics are those of NOR flash: erase works on a whole sector and sets
 * every byte to 0xFF; a write can only clear bits (1 -> 0), at offsets and
 * lengths that are multiples of write_align. A port that cannot honour a
 * call returns RP_E_FLASH (hardware) or RP_E_FLASH_ALIGN (bad argument).
 * After a power cut a write may have programmed any prefix of its bytes
 * and an erase may have left the sector partly erased; the boot-state
 * record and the boot core are built to survive both.
 */
#ifndef RAMPART_FLASH_H
#define RAMPART_FLASH_H

#include <stddef.h>
#include <stdint.h>

#include "rampart/err.h"

struct rp_flash {
	void *ctx;
	uint32_t size;        /* bytes, a multiple of sector_size */
	uint32_t sector_size; /* erase unit, a power of two */
	uint32_t write_align; /* program unit, a power of two <= 16 */
	/* Read len bytes at off into buf. */
	rp_err (*read)(void *ctx, uint32_t off, uint8_t *buf, size_t len);
	/* Program len bytes at off (both multiples of write_align). */
	rp_err (*write)(void *ctx, uint32_t off, const uint8_t *buf,
	                size_t len);
	/* Erase the sector starting at off (a multiple of sector_size). */
	rp_err (*erase)(void *ctx, uint32_t off);
};

/*
 * Checked wrappers: the range must lie inside the flash and, for write and
 * erase, be aligned as the port requires (RP_E_FLASH_ALIGN otherwise);
 * then the port is called. rp_flash_erase_range erases every sector of
 * [off, off+len), both multiples of sector_size.
 */
RP_API rp_err rp_flash_read(const struct rp_flash *f, uint32_t off,
                            uint8_t *buf, size_t len) RP_WARN_UNUSED;
RP_API rp_err rp_flash_write(const struct rp_flash *f, uint32_t off,
                             const uint8_t *buf, size_t len) RP_WARN_UNUSED;
RP_API rp_err rp_flash_erase_range(const struct rp_flash *f, uint32_t off,
                                   uint32_t len) RP_WARN_UNUSED;

#endif
