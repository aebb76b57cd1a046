/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boot.h - the A/B boot-state record and the agent's side of it
 * (docs/boot.md). Freestanding: no heap, no stdio, no OS; rampart-boot's
 * core and the agent (through librampart) share this code.
 *
 * The record is kept in two copies, each in its own flash sector. A write
 * always goes to the copy that does not hold the newest valid record,
 * with a sequence number one higher, so a torn write or erase damages at
 * most the copy being written and the newest record survives.
 *
 * Record wire layout, RP_BOOTSTATE_SIZE bytes at the start of its sector
 * (integers little-endian, reserved bytes zero):
 *
 *    0 u32 magic "RPBS"        12 u32 counter (highest confirmed)
 *    4 u8  version = 1         16 u32 trial_counter
 *    5 u8  active (0 A, 1 B)   20 u32 epoch (highest accepted key set)
 *    6 u8  trial (0, 1)        24 u8  trial_booted (0, 1)
 *    7 u8  trials_left         25 u8  flags (RP_BOOT_F_*)
 *    8 u32 seq                 26 u16 reserved
 *                              28 u32 CRC-32 (IEEE) of bytes 0..27
 */
#ifndef RAMPART_BOOT_H
#define RAMPART_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "rampart/err.h"
#include "rampart/flash.h"

#define RP_BOOTSTATE_MAGIC     0x53425052u /* "RPBS" little-endian */
#define RP_BOOTSTATE_VERSION   1
#define RP_BOOTSTATE_SIZE      32
#define RP_BOOT_TRIALS_DEFAULT 3
#define RP_BOOT_TRIALS_MAX     100

/* Flags: what the boot core last did on its own; cleared by set_trial. */
#define RP_BOOT_F_ROLLED_BACK   0x01u /* trial boots ran out: rolled back */
#define RP_BOOT_F_TRIAL_INVALID 0x02u /* trial image failed verification */
#define RP_BOOT_F_FALLBACK      0x04u /* active slot was invalid: switched */
#define RP_BOOT_F_ALL           0x07u

/* Where things are on the flash. Slot 0 is "A", slot 1 is "B". */
struct rp_boot_layout {
	uint32_t state_off[2]; /* one sector per boot-state copy */
	uint32_t slot_off[2];  /* first byte of each slot */
	uint32_t slot_size;    /* bytes, a multiple of the sector size */
};

/* The boot state, in host form. */
struct rp_boot_state {
	uint32_t seq;         /* copy with the higher seq is the newest */
	uint8_t active;       /* confirmed slot: 0 A, 1 B */
	uint8_t trial;        /* 1: the other slot holds a trial image */
	uint8_t trials_left;  /* trial boots the boot core may still start */
	uint8_t trial_booted; /* 1: the trial has been started at least once */
	uint8_t flags;        /* RP_BOOT_F_* */
	uint32_t counter;     /* highest confirmed security counter */
	uint32_t trial_counter; /* counter of the trial image, as verified by
	                         * the boot core when it started it */
	uint32_t epoch;         /* highest key-set epoch the boot accepted */
};

/*
 * The default layout: sectors 0 and 1 hold the two state copies, the rest
 * is split into two equal slots (a last odd sector stays unused).
 * RP_E_INVAL if the flash has fewer than 4 sectors.
 */
RP_API rp_err rp_boot_layout_default(const struct rp_flash *f,
                                     struct rp_boot_layout *out) RP_WARN_UNUSED;

/* RP_OK if l fits f: aligned to sectors, inside, nothing overlapping. */
RP_API rp_err rp_boot_layout_check(
    const struct rp_flash *f, const struct rp_boot_layout *l) RP_WARN_UNUSED;

/* Encode st as wire bytes (its seq included), with the CRC. */
RP_API void rp_bootstate_encode(const struct rp_boot_state *st,
                                uint8_t out[RP_BOOTSTATE_SIZE]);

/*
 * Decode one copy: RP_OK, or RP_E_BOOT_STATE if magic, version, CRC, a
 * reserved field or a value out of range is wrong.
 */
RP_API rp_err rp_bootstate_decode(const uint8_t buf[RP_BOOTSTATE_SIZE],
                                  struct rp_boot_state *out) RP_WARN_UNUSED;

/*
 * Choose the newest valid record of two copies (c0, c1; RP_BOOTSTATE_SIZE
 * bytes each). OUT: *st, and *which (may be NULL): the copy chosen, 0 or
 * 1. Returns RP_OK; RP_E_NOT_FOUND if neither is valid but one is blank
 * (all 0xFF: never written, or its first write was cut); RP_E_BOOT_STATE
 * if both are damaged.
 */
RP_API rp_err rp_bootstate_select(const uint8_t *c0, const uint8_t *c1,
                                  struct rp_boot_state *st,
                                  int *which) RP_WARN_UNUSED;

/* Read both copies from flash and select (errors as above, or flash's). */
RP_API rp_err rp_bootstate_load(const struct rp_flash *f,
                                const struct rp_boot_layout *l,
                                struct rp_boot_state *st,
                                int *which) RP_WARN_UNUSED;

/*
 * Store st as the new newest record: st->seq becomes the newest valid
 * seq + 1 (1 if none), written to the other copy (erase, write, read
 * back). RP_OK, or a flash error (the previous record is then intact).
 */
RP_API rp_err rp_bootstate_store(const struct rp_flash *f,
                                 const struct rp_boot_layout *l,
                                 struct rp_boot_state *st) RP_WARN_UNUSED;

/*
 * Write the first record of a fresh device: active slot, its counter as
 * the confirmed counter, key-set epoch. Overwrites whatever was there.
 */
RP_API rp_err rp_boot_init(const struct rp_flash *f,
                           const struct rp_boot_layout *l, uint8_t active,
                           uint32_t counter, uint32_t epoch) RP_WARN_UNUSED;

/* ---- the agent's API ---- */

/*
 * The current state (OUT: *st). RP_E_NOT_FOUND if no record was ever
 * written, RP_E_BOOT_STATE if both copies are damaged.
 */
RP_API rp_err rp_boot_status(const struct rp_flash *f,
                             const struct rp_boot_layout *l,
                             struct rp_boot_state *st) RP_WARN_UNUSED;

/* The slot an update may be written to: the one not active. */
RP_API uint8_t rp_boot_inactive_slot(const struct rp_boot_state *st);

/*
 * Mark the inactive slot as holding a trial image: the boot core will
 * start it up to trials times (0: RP_BOOT_TRIALS_DEFAULT; at most
 * RP_BOOT_TRIALS_MAX) and go back to the active slot unless the running
 * trial calls rp_boot_confirm. Clears the flags. RP_E_STATE while a trial
 * is running (it must be confirmed or rolled back first), RP_E_RANGE for
 * trials above the maximum. The image itself is checked by the boot core
 * at every boot, not here.
 */
RP_API rp_err rp_boot_set_trial(const struct rp_flash *f,
                                const struct rp_boot_layout *l,
                                unsigned trials) RP_WARN_UNUSED;

/*
 * Unmark a trial that has not been started yet (before the slot is
 * overwritten with another image). RP_OK, also when no trial is marked
 * (nothing is written then); RP_E_STATE while a trial is running.
 */
RP_API rp_err rp_boot_cancel_trial(
    const struct rp_flash *f, const struct rp_boot_layout *l) RP_WARN_UNUSED;

/*
 * Confirm the running trial image: its slot becomes active and the
 * confirmed counter rises to its counter (never falls). RP_E_STATE if no
 * trial has been started (nothing to confirm: not marked, not yet booted,
 * found invalid, or already rolled back — see the flags).
 */
RP_API rp_err rp_boot_confirm(const struct rp_flash *f,
                              const struct rp_boot_layout *l) RP_WARN_UNUSED;

#endif
