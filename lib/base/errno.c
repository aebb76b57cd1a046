/* SPDX-License-Identifier: Apache-2.0 */
/*
 * errno.c - rp_err_errno (err.h): the one mapping of a POSIX errno to the
 * rp_err a user can act on, shared by the file-handling ports (flash file,
 * event log) and the programs.
 */
#include <errno.h>

#include "rampart/err.h"

rp_err rp_err_errno(int e)
{
	switch (e) {
	case ENOENT:
		return RP_E_NOT_FOUND;
	case EACCES:
	case EPERM:
	case ELOOP: /* O_NOFOLLOW met a symbolic link: refused */
		return RP_E_PERM;
	case EEXIST:
		return RP_E_EXISTS;
	case ENOMEM:
		return RP_E_NOMEM;
	default:
		return RP_E_IO;
	}
}
