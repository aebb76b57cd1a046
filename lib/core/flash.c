/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flash.c - bounds and alignment checks in front of a flash port
 * (include/rampart/flash.h). Freestanding.
 */
#include "rampart/flash.h"

static int in_range(const struct rp_flash *f, uint32_t off, uint64_t len)
{
	return (uint64_t)off + len <= f->size;
}

rp_err rp_flash_read(const struct rp_flash *f, uint32_t off, uint8_t *buf,
                     size_t len)
{
	if (f == NULL || (buf == NULL && len > 0))
		return RP_E_INVAL;
	if (!in_range(f, off, len))
		return RP_E_FLASH_ALIGN;
	if (len == 0)
		return RP_OK;
	return f->read(f->ctx, off, buf, len);
}

rp_err rp_flash_write(const struct rp_flash *f, uint32_t off,
                      const uint8_t *buf, size_t len)
{
	uint32_t m;

	if (f == NULL || (buf == NULL && len > 0) || f->write_align == 0)
		return RP_E_INVAL;
	m = f->write_align - 1;
	if (!in_range(f, off, len) || (off & m) != 0 || (len & m) != 0)
		return RP_E_FLASH_ALIGN;
	if (len == 0)
		return RP_OK;
	return f->write(f->ctx, off, buf, len);
}

rp_err rp_flash_erase_range(const struct rp_flash *f, uint32_t off,
                            uint32_t len)
{
	uint32_t m, s;
	rp_err rc = RP_OK;

	if (f == NULL || f->sector_size == 0)
		return RP_E_INVAL;
	m = f->sector_size - 1;
	if (!in_range(f, off, len) || (off & m) != 0 || (len & m) != 0)
		return RP_E_FLASH_ALIGN;
	for (s = 0; s < len && rc == RP_OK; s += f->sector_size)
		rc = f->erase(f->ctx, off + s);
	return rc;
}
