/* SPDX-License-Identifier: Apache-2.0 */
/*
 * simflash.c - the simulated NOR flash of simflash.h: NOR semantics, an
 * operation counter, and torn writes and erases at a chosen cut point.
 */
#include "simflash.h"

#include <stdlib.h>
#include <string.h>

static uint32_t rnd(struct simflash *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 17;
	s->rng ^= s->rng << 5;
	return s->rng;
}

/* Count an operation; true if power fails during it. */
static int cut_now(struct simflash *s)
{
	s->ops++;
	if (s->cut_at != 0 && s->ops == s->cut_at) {
		s->dead = 1;
		return 1;
	}
	return 0;
}

static rp_err sim_read(void *ctx, uint32_t off, uint8_t *buf, size_t len)
{
	struct simflash *s = ctx;

	if (s->dead)
		return RP_E_FLASH;
	memcpy(buf, s->mem + off, len);
	return RP_OK;
}

static void program(struct simflash *s, uint32_t off, const uint8_t *buf,
                    size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if ((buf[i] & ~s->mem[off + i]) != 0)
			s->violations++;
		s->mem[off + i] &= buf[i];
	}
}

static rp_err sim_write(void *ctx, uint32_t off, const uint8_t *buf, size_t len)
{
	struct simflash *s = ctx;
	size_t n;

	if (s->dead || s->fail_writes)
		return RP_E_FLASH;
	s->writes++;
	if (!cut_now(s)) {
		program(s, off, buf, len);
		return RP_OK;
	}
	if (s->tear == 0)
		return RP_E_FLASH;
	if (s->tear == SIM_TEAR_KINDS - 1) {
		program(s, off, buf, len - 1);
		s->mem[off + len - 1] &= (uint8_t)(buf[len - 1] | rnd(s) | 1);
		return RP_E_FLASH;
	}
	n = len * (size_t)s->tear / (SIM_TEAR_KINDS - 1);
	program(s, off, buf, n);
	if (n < len) /* some bits of the next byte */
		s->mem[off + n] &= (uint8_t)(buf[n] | rnd(s));
	return RP_E_FLASH;
}

static rp_err sim_erase(void *ctx, uint32_t off)
{
	struct simflash *s = ctx;
	uint32_t i, done, n = s->f.sector_size;

	if (s->dead || s->fail_writes)
		return RP_E_FLASH;
	s->erases++;
	if (!cut_now(s)) {
		memset(s->mem + off, 0xff, n);
		return RP_OK;
	}
	if (s->tear == 0)
		return RP_E_FLASH;
	if (s->tear == SIM_TEAR_KINDS - 1) {
		for (i = 0; i < n; i++)
			s->mem[off + i] |= (uint8_t)rnd(s);
		return RP_E_FLASH;
	}
	done = n * (uint32_t)s->tear / (SIM_TEAR_KINDS - 1);
	memset(s->mem + off, 0xff, done);
	for (i = done; i < n; i++) /* partly erased: some bits set */
		s->mem[off + i] |= (uint8_t)(rnd(s) & rnd(s));
	return RP_E_FLASH;
}

void sim_init(struct simflash *s, uint32_t size, uint32_t sector,
              uint32_t align)
{
	memset(s, 0, sizeof *s);
	s->mem = malloc(size);
	if (s->mem == NULL)
		abort();
	memset(s->mem, 0xff, size);
	s->f.ctx = s;
	s->f.size = size;
	s->f.sector_size = sector;
	s->f.write_align = align;
	s->f.read = sim_read;
	s->f.write = sim_write;
	s->f.erase = sim_erase;
	s->rng = 0x9e3779b9u;
}

void sim_free(struct simflash *s)
{
	free(s->mem);
	s->mem = NULL;
}

void sim_arm(struct simflash *s, unsigned long n, int tear, uint32_t seed)
{
	s->cut_at = s->ops + n;
	s->tear = tear;
	s->rng = seed | 1;
}

void sim_power_on(struct simflash *s)
{
	s->dead = 0;
	s->cut_at = 0;
}
