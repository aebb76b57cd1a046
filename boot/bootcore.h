/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bootcore.h - the boot decision of rampart-boot (docs/boot.md): which
 * slot to start, after verifying it, and what to record in the boot state.
 * Freestanding: no heap, no stdio, no OS. A port (the host program
 * boot/main.c, or a microcontroller's startup code) supplies flash, crypto,
 * the trusted key set and a work buffer, calls rp_boot_run once per reset,
 * and starts the slot only if the verdict is RP_BOOT_GO twice over: the
 * return value and result->verdict.
 */
#ifndef RAMPART_BOOTCORE_H
#define RAMPART_BOOTCORE_H

#include <stddef.h>
#include <stdint.h>

#include "rampart/boot.h"
#include "rampart/flash.h"
#include "rampart/image.h"

/* Verdicts: neither is 0 nor the other's complement of a single glitch. */
#define RP_BOOT_GO       0x2C3C3C3Cu /* start result->slot */
#define RP_BOOT_RECOVERY 0x5A0F5A0Fu /* start nothing: recovery mode */

enum rp_boot_reason {
	RP_BOOT_R_ACTIVE = 1,    /* the confirmed active slot */
	RP_BOOT_R_TRIAL,         /* a trial boot of the other slot */
	RP_BOOT_R_ROLLBACK,      /* trial boots used up: back to active */
	RP_BOOT_R_TRIAL_INVALID, /* trial image refused: back to active */
	RP_BOOT_R_FALLBACK,      /* active slot refused: the other, valid one
	                          * becomes active */
	RP_BOOT_R_FIRST,         /* no boot state yet: the valid slot with the
	                          * highest counter, recorded as confirmed */
	RP_BOOT_R_RECOVERY,      /* no slot may be started */
};

struct rp_boot_ctx {
	const struct rp_flash *flash;
	const struct rp_boot_layout *layout;
	const struct rp_keyset *trust;
	const struct rp_crypto *crypto;
	const char *hw; /* this device's hardware type */
	uint8_t *work;  /* verification buffer, >= 64 bytes */
	size_t worklen;
};

#define RP_BOOT_SLOT_NONE 0xffu
#define RP_BOOT_UNCHECKED 0xffu

struct rp_boot_result {
	uint32_t verdict;        /* RP_BOOT_GO or RP_BOOT_RECOVERY */
	uint8_t slot;            /* slot to start, or RP_BOOT_SLOT_NONE */
	uint8_t reason;          /* enum rp_boot_reason */
	uint8_t checked[2];      /* per slot: 1 if verified this boot */
	rp_err slot_rc[2];       /* per slot: verification result if checked */
	rp_err state_rc;         /* loading the boot state */
	rp_err store_rc;         /* storing it (RP_OK if nothing to store) */
	uint8_t stored;          /* 1 if the boot state was written */
	uint32_t min_counter;    /* counter the images had to reach */
	struct rp_image_hdr hdr; /* the image started (verdict GO) */
	uint64_t image_len;      /* its length: header+payload+signatures */
	struct rp_boot_state state; /* the state after this boot */
};

/*
 * Decide, verify and record, once per reset. OUT: *res (always filled).
 * Returns RP_BOOT_GO when res->slot holds an image verified in this call
 * (signatures, payload hash, hardware type, counter >= the confirmed
 * counter), else RP_BOOT_RECOVERY. Nothing is cached between calls.
 */
uint32_t rp_boot_run(const struct rp_boot_ctx *ctx, struct rp_boot_result *res);

/* A short English phrase for a reason ("trial boot", ...). */
const char *rp_boot_reason_str(unsigned reason);

#endif
