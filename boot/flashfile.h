/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flashfile.h - a simulated NOR flash kept in a file, for rampart-boot on a
 * host: struct rp_flash over pread/pwrite, where erase sets a sector to
 * 0xFF and a write only clears bits (new = old AND data), as NOR does.
 */
#ifndef RAMPART_BOOT_FLASHFILE_H
#define RAMPART_BOOT_FLASHFILE_H

#include "rampart/flash.h"

#define FLASHFILE_WRITE_ALIGN 8

struct flashfile {
	int fd;
	struct rp_flash f;
};

/*
 * Create path (mode 0644, never replacing an existing file unless force)
 * holding size bytes of erased flash (0xFF). RP_E_EXISTS, RP_E_IO.
 */
rp_err flashfile_create(const char *path, uint32_t size, int force);

/*
 * Open path as a flash of sectors of sector_size bytes; its size must be
 * a multiple of it. RP_E_NOT_FOUND, RP_E_PERM, RP_E_IO, RP_E_INVAL.
 */
rp_err flashfile_open(struct flashfile *ff, const char *path,
                      uint32_t sector_size);
void flashfile_close(struct flashfile *ff);

#endif
