/* SPDX-License-Identifier: Apache-2.0 */
/*
 * flash_file.h - a simulated NOR flash kept in a regular file, for hosts:
 * rampart-boot, the agent and rampart-sim use it to give a virtual device
 * its flash. struct rp_flash over pread/pwrite, where erase sets a sector
 * to 0xFF and a write only clears bits (new = old AND data), as NOR does.
 * Hosted (POSIX); not part of the freestanding core.
 */
#ifndef RAMPART_FLASH_FILE_H
#define RAMPART_FLASH_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "rampart/flash.h"

#define RP_FLASH_FILE_WRITE_ALIGN 8

struct rp_flash_file {
	int fd;
	struct rp_flash f; /* pass &ff.f to the boot-state API */
};

/*
 * Create path (mode 0644) holding size bytes of erased flash (0xFF); an
 * existing file is replaced only if force. RP_E_EXISTS, RP_E_PERM,
 * RP_E_NOT_FOUND (no such directory), RP_E_IO.
 */
RP_API rp_err rp_flash_file_create(const char *path, uint32_t size,
                                   bool force) RP_WARN_UNUSED;

/*
 * Open path as a flash of sectors of sector_size bytes (a power of two);
 * the file's size must be a non-zero multiple of it, below 4 GiB. The
 * descriptor is owned by *ff until rp_flash_file_close. RP_E_NOT_FOUND,
 * RP_E_PERM, RP_E_IO, RP_E_INVAL.
 */
RP_API rp_err rp_flash_file_open(struct rp_flash_file *ff, const char *path,
                                 uint32_t sector_size) RP_WARN_UNUSED;

/* Close ff (idempotent). */
RP_API void rp_flash_file_close(struct rp_flash_file *ff);

#endif
