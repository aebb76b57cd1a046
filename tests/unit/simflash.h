/* SPDX-License-Identifier: Apache-2.0 */
/*
 * simflash.h - a simulated NOR flash in memory for the boot tests: erase
 * sets a sector to 0xFF, a write only clears bits, and power can be cut at
 * the k-th write or erase, leaving that operation torn.
 */
#ifndef RAMPART_TEST_SIMFLASH_H
#define RAMPART_TEST_SIMFLASH_H

#include <stdint.h>

#include "rampart/flash.h"

/*
 * How the operation that loses power is left, tear = 0..SIM_TEAR_KINDS-1:
 * 0: nothing of it reached the flash; 1..SIM_TEAR_KINDS-2: a write
 * programmed the first tear/(SIM_TEAR_KINDS-1) of its bytes and some bits
 * of the next byte, an erase erased that fraction of the sector and left
 * random bits not yet erased in the rest; SIM_TEAR_KINDS-1: a write
 * programmed all but some bits of its last byte, an erase left random
 * bits not yet erased all over the sector.
 */
#define SIM_TEAR_KINDS 8

struct simflash {
	struct rp_flash f;
	uint8_t *mem;
	unsigned long ops; /* writes and erases so far */
	unsigned long writes, erases;
	unsigned long cut_at; /* power fails at this op (1-based); 0 never */
	int tear;             /* enum sim_tear */
	int dead;             /* power is off: every call fails */
	unsigned long violations; /* writes that tried to set a bit */
	int fail_writes;          /* writes and erases fail, power stays on */
	uint32_t rng;
};

void sim_init(struct simflash *s, uint32_t size, uint32_t sector,
              uint32_t align);
void sim_free(struct simflash *s);
/* Cut power at the n-th write or erase from now (n >= 1). */
void sim_arm(struct simflash *s, unsigned long n, int tear, uint32_t seed);
/* Power back on, no cut armed. */
void sim_power_on(struct simflash *s);

#endif
