/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_bootstate.c - libFuzzer harness for the boot-state record: the
 * input is the two copies as found on flash (RP_BOOTSTATE_SIZE bytes
 * each, the rest 0xFF). Decoding and selection must fail cleanly or give
 * a record that re-encodes to the bytes it came from; then, on a RAM
 * flash holding those copies, storing a record must make it the one
 * loaded, and the agent's confirm must never lower the counter.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rampart/boot.h"

#define SECTOR 256u
#define NSECT  4u

static uint8_t mem[SECTOR * NSECT];

static rp_err m_read(void *ctx, uint32_t off, uint8_t *buf, size_t len)
{
	(void)ctx;
	memcpy(buf, mem + off, len);
	return RP_OK;
}

static rp_err m_write(void *ctx, uint32_t off, const uint8_t *buf, size_t len)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < len; i++) {
		if ((buf[i] & ~mem[off + i]) != 0)
			abort(); /* wrote over bits not erased */
		mem[off + i] &= buf[i];
	}
	return RP_OK;
}

static rp_err m_erase(void *ctx, uint32_t off)
{
	(void)ctx;
	memset(mem + off, 0xff, SECTOR);
	return RP_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rp_flash f = {NULL,   SECTOR * NSECT, SECTOR, 8,
	                                  m_read, m_write,        m_erase};
	uint8_t c[2][RP_BOOTSTATE_SIZE], re[RP_BOOTSTATE_SIZE];
	struct rp_boot_layout l;
	struct rp_boot_state st, d, back;
	int which = -1, valid[2];
	rp_err rc;

	memset(c, 0xff, sizeof c);
	memcpy(c, data, size < sizeof c ? size : sizeof c);
	valid[0] = rp_bootstate_decode(c[0], &d) == RP_OK;
	valid[1] = rp_bootstate_decode(c[1], &d) == RP_OK;
	rc = rp_bootstate_select(c[0], c[1], &st, &which);
	if (rc == RP_OK) {
		if (which < 0 || which > 1 || !valid[which])
			abort();
		rp_bootstate_encode(&st, re);
		if (memcmp(re, c[which], sizeof re) != 0)
			abort();
	} else if (rc == RP_E_NOT_FOUND || rc == RP_E_BOOT_STATE) {
		if (valid[0] || valid[1])
			abort();
	} else {
		abort();
	}

	/* The same copies on a flash. */
	memset(mem, 0xff, sizeof mem);
	if (rp_boot_layout_default(&f, &l) != RP_OK)
		abort();
	memcpy(mem + l.state_off[0], c[0], RP_BOOTSTATE_SIZE);
	memcpy(mem + l.state_off[1], c[1], RP_BOOTSTATE_SIZE);
	if (rp_bootstate_load(&f, &l, &back, NULL) != rc)
		abort();
	if (rc == RP_OK) {
		uint32_t before = st.counter;

		/* Confirm never lowers the confirmed counter. */
		if (rp_boot_confirm(&f, &l) == RP_OK) {
			if (rp_boot_status(&f, &l, &back) != RP_OK ||
			    back.counter < before || back.trial != 0)
				abort();
		}
	}
	/* A store is what is loaded next, whatever was there. */
	memset(&d, 0, sizeof d);
	d.counter = 0x12345678u;
	d.active = 1;
	if (rp_bootstate_store(&f, &l, &d) != RP_OK)
		abort();
	if (rp_bootstate_load(&f, &l, &back, NULL) != RP_OK ||
	    back.counter != d.counter || back.seq != d.seq || back.active != 1)
		abort();
	return 0;
}
