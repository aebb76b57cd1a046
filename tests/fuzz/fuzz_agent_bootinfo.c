/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_agent_bootinfo.c - libFuzzer harness for what rampart-agent run
 * --boot-flash reads (agent/bootinfo.c): the input is a whole flash as
 * rampart-boot lays it out (--sector-size 256 --slot-size 512: two
 * boot-state sectors, two slots; shorter input padded with 0xFF). Reading
 * must never fail but for the flash, the running slot must be the one the
 * record names, an image found must fit its slot and its hash be the
 * SHA-256 of exactly its bytes, and the boot event's detail must be
 * printable and within RP_DETAIL_MAX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootinfo.h"
#include "rampart/crypto_host.h"
#include "rampart/encode.h"
#include "rampart/mem.h"

#define SECTOR 256u
#define SIZE   (2u * SECTOR + 2u * 512u)

static uint8_t mem[SIZE];

static rp_err m_read(void *ctx, uint32_t off, uint8_t *buf, size_t len)
{
	(void)ctx;
	memcpy(buf, mem + off, len);
	return RP_OK;
}

static rp_err m_write(void *ctx, uint32_t off, const uint8_t *buf, size_t len)
{
	(void)ctx;
	(void)off;
	(void)buf;
	(void)len;
	abort(); /* the agent writes nothing */
}

static rp_err m_erase(void *ctx, uint32_t off)
{
	(void)ctx;
	(void)off;
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rp_flash f = {NULL,   SIZE,    SECTOR, 8,
	                                  m_read, m_write, m_erase};
	static int init;
	struct rp_boot_layout l;
	struct agent_bootinfo bi;
	uint8_t md[RP_SHA256_LEN];
	char d[RP_DETAIL_MAX + 1], hex[65];
	size_t i, n;
	bool trial;

	if (!init) {
		if (rp_init() != RP_OK)
			abort();
		init = 1;
	}
	memset(mem, 0xff, sizeof mem);
	memcpy(mem, data, size < SIZE ? size : SIZE);
	if (rp_boot_layout_default(&f, &l) != RP_OK)
		abort();
	if (agent_bootinfo_read(&f, &l, rp_crypto_host(), &bi) != RP_OK)
		abort();
	if (bi.state_rc != RP_OK) {
		if (bi.slot != -1 || bi.version[0] || bi.sha256[0])
			abort();
	} else if (bi.slot != agent_boot_running_slot(&bi.st, &trial) ||
	           trial != bi.trial) {
		abort();
	}
	if (bi.image_rc == RP_OK) {
		if (bi.image_len < RP_IMAGE_HDR_SIZE + RP_SIGSEC_HDR_SIZE ||
		    bi.image_len > l.slot_size || bi.version[0] == '\0')
			abort();
		if (rp_sha256(mem + l.slot_off[bi.slot], (size_t)bi.image_len,
		              md) != RP_OK ||
		    rp_hex_encode(md, sizeof md, hex, sizeof hex) != RP_OK ||
		    strcmp(hex, bi.sha256) != 0)
			abort();
	} else if (bi.version[0] || bi.sha256[0]) {
		abort();
	}
	(void)agent_boot_detail(&bi, d);
	n = strlen(d);
	if (n == 0 || n > RP_DETAIL_MAX)
		abort();
	for (i = 0; i < n; i++)
		if (d[i] < 0x20 || d[i] > 0x7e)
			abort();
	return 0;
}
