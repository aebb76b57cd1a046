/* SPDX-License-Identifier: Apache-2.0 */
/*
 * start.h - what rampartd checks and writes around its start, before it
 * creates anything (docs/rampartd.md "Start-up"): that it can bind its
 * listening address (bindcheck.c), and its pidfile (pidfile.c): refused
 * while a live rampartd holds it, replaced when its process is gone,
 * removed on a clean exit.
 */
#ifndef RAMPARTD_START_H
#define RAMPARTD_START_H

#include <sys/types.h>

#include "rampart/err.h"

/*
 * Can rampartd listen on addr:port (port 0: any free one)? Binds a TCP
 * socket as the HTTP listener will (SO_REUSEADDR, the first address addr
 * resolves to) and closes it. On failure logs one line that says why and
 * what to look at (the flag), e.g. "cannot listen on 127.0.0.1:8443:
 * address already in use (another rampartd? see --listen and --port)".
 * RP_E_INVAL: addr does not resolve; else the rp_err of the errno.
 */
rp_err start_bind_check(const char *addr, int port) RP_WARN_UNUSED;

/*
 * Before anything is created: take the pidfile path (created if missing)
 * and its lock, held by *fd (this process's, and its daemon()'s, until
 * start_pidfile_remove). RP_E_EXISTS, logged with the pid, when another
 * rampartd holds it; another rp_err (logged) when it cannot be opened or
 * locked. A file nobody holds is stale and taken (logged with its pid).
 */
rp_err start_pidfile_take(const char *path, int *fd) RP_WARN_UNUSED;

/* Write our pid into the taken pidfile (0644, fsync'd). Logs why not. */
rp_err start_pidfile_write(int fd, const char *path) RP_WARN_UNUSED;

/* Remove the taken pidfile and let go of its lock (any exit); fd < 0:
 * nothing was taken. */
void start_pidfile_remove(int fd, const char *path);

#endif
