/* SPDX-License-Identifier: Apache-2.0 */
/*
 * priv.h - rampartd's least privilege (docs/deploy.md). rampartd needs no
 * privilege at all: it runs as the unprivileged user that owns its data
 * directory, and every file it makes is that user's.
 *
 * Started as root with --user NAME, it becomes NAME (uid, primary group
 * and NAME's supplementary groups, no_new_privs) before it touches the
 * data directory (which it creates for NAME when missing, and refuses
 * when another user owns it); the only thing it keeps is
 * CAP_NET_BIND_SERVICE when the port is below 1024, and that only until
 * the port is bound (priv_bound). Started as root without --user, it
 * refuses a data directory that another user owns (root's files there
 * would lock that user out) and otherwise runs on with a warning.
 */
#ifndef RAMPARTD_PRIV_H
#define RAMPARTD_PRIV_H

#include "rampart/err.h"

/*
 * Before the data directory data_dir is touched. user is --user (NULL
 * when not given); port the port rampartd will bind (0: a free one).
 * Logs what it did or why it refused. RP_E_INVAL: a usage error (no such
 * user; --user another user without root); RP_E_PERM: refused (data
 * directory owned by another user, or writable by its group or others,
 * or a directory above it owned by another user than root or ours, or
 * writable by its group or others without the sticky bit,
 * whoever runs rampartd); RP_E_IO: cannot create or read the data
 * directory, or the change of user failed.
 */
rp_err priv_drop(const char *user, const char *data_dir,
                 long long port) RP_WARN_UNUSED;

/* After the port is bound: an unprivileged rampartd gives up every
 * capability it still holds (the one priv_drop kept, or an ambient one a
 * service manager granted). Root without --user keeps what it has. */
rp_err priv_bound(void) RP_WARN_UNUSED;

#endif
