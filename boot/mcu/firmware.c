/* SPDX-License-Identifier: Apache-2.0 */
/*
 * firmware.c - an example Cortex-M4 port of the boot core, built by
 * boot/mcu/build.sh to measure what the boot stage costs in flash: a
 * vector table, a memory-mapped flash port, the trusted key set, and the
 * call to rp_boot_run. The board-specific parts (programming and erasing
 * flash, starting an image, the key set) are weak symbols a board
 * replaces. RPB_SHA256 and RPB_ED25519 select the crypto port: neither,
 * no crypto at all (size of the core alone); RPB_SHA256, the small
 * SHA-256 of sha256.c (signature verification still left to the board's
 * rpb_hal_verify); both, SHA-256 and the Ed25519 verifier of
 * ed25519_verify.c (crypto included; ECDSA P-256 refused, RP_E_SIG_ALG).
 */
#include <stdint.h>

#include "bootcore.h"
#ifdef RPB_SHA256
#include "sha256.h"
#endif
#ifdef RPB_ED25519
#include "ed25519_verify.h"
#endif

#define FLASH_BASE   0x08010000u /* the flash region rampart-boot manages */
#define FLASH_SIZE   (2u * 4096u + 2u * 256u * 1024u)
#define FLASH_SECTOR 4096u

/* ---- board hooks (weak: a board replaces them) ---- */

rp_err rpb_hal_flash_write(uint32_t addr, const uint8_t *buf, size_t len);
rp_err rpb_hal_flash_erase(uint32_t addr);
rp_err rpb_hal_verify(void *ctx, const struct rp_pubkey *pub,
                      const uint8_t *msg, size_t msglen, const uint8_t *sig,
                      size_t siglen);
__attribute__((noreturn)) void rpb_hal_start(uint32_t addr);
__attribute__((noreturn)) void rpb_hal_recovery(void);

__attribute__((weak)) rp_err rpb_hal_flash_write(uint32_t addr,
                                                 const uint8_t *buf, size_t len)
{
	(void)addr;
	(void)buf;
	(void)len;
	return RP_E_FLASH;
}

__attribute__((weak)) rp_err rpb_hal_flash_erase(uint32_t addr)
{
	(void)addr;
	return RP_E_FLASH;
}

__attribute__((weak)) rp_err rpb_hal_verify(void *ctx,
                                            const struct rp_pubkey *pub,
                                            const uint8_t *msg, size_t msglen,
                                            const uint8_t *sig, size_t siglen)
{
	(void)ctx;
	(void)pub;
	(void)msg;
	(void)msglen;
	(void)sig;
	(void)siglen;
	return RP_E_SIG_ALG;
}

/* Start the image whose vector table is at addr; never returns. */
__attribute__((weak, noreturn)) void rpb_hal_start(uint32_t addr)
{
	const volatile uint32_t *vt = (const volatile uint32_t *)addr;
	void (*entry)(void) = (void (*)(void))vt[1];

	__asm__ volatile("msr msp, %0" : : "r"(vt[0]));
	entry();
	for (;;)
		;
}

__attribute__((weak, noreturn)) void rpb_hal_recovery(void)
{
	for (;;)
		;
}

/* The trusted keys, provisioned with the boot stage. */
__attribute__((weak)) const struct rp_keyset rpb_trust = {0};

/* ---- flash port: memory-mapped reads ---- */

static rp_err f_read(void *ctx, uint32_t off, uint8_t *buf, size_t len)
{
	const volatile uint8_t *p =
	    (const volatile uint8_t *)(FLASH_BASE + off);
	size_t i;

	(void)ctx;
	for (i = 0; i < len; i++)
		buf[i] = p[i];
	return RP_OK;
}

static rp_err f_write(void *ctx, uint32_t off, const uint8_t *buf, size_t len)
{
	(void)ctx;
	return rpb_hal_flash_write(FLASH_BASE + off, buf, len);
}

static rp_err f_erase(void *ctx, uint32_t off)
{
	(void)ctx;
	return rpb_hal_flash_erase(FLASH_BASE + off);
}

#ifndef RPB_SHA256
static rp_err no_hash(void *ctx, void *state)
{
	(void)ctx;
	(void)state;
	return RP_E_UNSUPPORTED;
}

static rp_err no_update(void *ctx, void *state, const uint8_t *d, size_t n)
{
	(void)ctx;
	(void)state;
	(void)d;
	(void)n;
	return RP_E_UNSUPPORTED;
}

static rp_err no_final(void *ctx, void *state, uint8_t out[RP_SHA256_LEN])
{
	(void)ctx;
	(void)state;
	(void)out;
	return RP_E_UNSUPPORTED;
}
#endif

static uint8_t work[1024];

void rpb_main(void);
void rpb_reset(void);

__attribute__((noreturn)) void rpb_main(void)
{
	static const struct rp_flash flash = {
	    0, FLASH_SIZE, FLASH_SECTOR, 8, f_read, f_write, f_erase};
	struct rp_boot_layout layout;
	struct rp_crypto crypto;
	struct rp_boot_ctx c;
	struct rp_boot_result r;
	volatile uint32_t v;

#if defined(RPB_SHA256) && defined(RPB_ED25519)
	rpb_crypto_init(&crypto, rpb_ed25519_rp_verify);
#elif defined(RPB_SHA256)
	rpb_crypto_init(&crypto, rpb_hal_verify);
#else
	crypto.ctx = 0;
	crypto.sha256_init = no_hash;
	crypto.sha256_update = no_update;
	crypto.sha256_final = no_final;
	crypto.verify = rpb_hal_verify;
#endif
	if (rp_boot_layout_default(&flash, &layout) != RP_OK)
		rpb_hal_recovery();
	c.flash = &flash;
	c.layout = &layout;
	c.trust = &rpb_trust;
	c.crypto = &crypto;
	c.hw = "acme-sensor-v2";
	c.work = work;
	c.worklen = sizeof work;
	v = rp_boot_run(&c, &r);
	/* Checked twice, on two copies: one glitch is not enough. */
	if (v == RP_BOOT_GO && r.verdict == RP_BOOT_GO && r.slot <= 1) {
		if (v == RP_BOOT_GO && r.verdict == RP_BOOT_GO)
			rpb_hal_start(FLASH_BASE + layout.slot_off[r.slot] +
			              RP_IMAGE_HDR_SIZE);
	}
	rpb_hal_recovery();
}

extern uint32_t _estack;

void rpb_reset(void)
{
	rpb_main();
}

/* Initial stack pointer and reset handler (Cortex-M vector table). */
__attribute__((section(".vectors"), used)) static const uintptr_t vectors[2] = {
    (uintptr_t)&_estack, (uintptr_t)rpb_reset};
