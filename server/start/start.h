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
 * Before anything is created: may rampartd write the pidfile path? RP_OK
 * when it does not exist or names a process that is gone (or ourselves);
 * RP_E_EXISTS, logged with the pid, when a live rampartd holds it; RP_E_IO
 * (logged) when it cannot be read or holds no pid.
 */
rp_err start_pidfile_check(const char *path) RP_WARN_UNUSED;

/* Write our pid to path (atomically, 0644). Logs why it cannot. */
rp_err start_pidfile_write(const char *path) RP_WARN_UNUSED;

/* Remove path if it still names this process (clean exit). */
void start_pidfile_remove(const char *path);

#endif
