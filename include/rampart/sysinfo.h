/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sysinfo.h - the facts a Linux-class device reports (port: posix):
 * uptime, CPU busy share, memory, listening TCP/UDP ports (from /proc),
 * the running firmware's version and SHA-256; and a watcher that counts
 * failed local logins in a log file (auth.log style). Used by
 * rampart-agent as its struct rp_agent_sys.
 */
#ifndef RAMPART_SYSINFO_H
#define RAMPART_SYSINFO_H

#include <stddef.h>
#include <stdint.h>

#include "rampart/err.h"
#include "rampart/export.h"
#include "rampart/telemetry.h"

typedef struct rp_sysinfo rp_sysinfo;

struct rp_sysinfo_conf {
	const char *proc_root;  /* NULL = "/proc" (tests point elsewhere) */
	const char *fw_version; /* NULL = "" */
	const char *fw_image;   /* file holding the running image, hashed
	                           once at rp_sysinfo_new; NULL = no hash */
};

/* *out: rp_sysinfo_free(). RP_E_IO when fw_image cannot be read. */
RP_API rp_err rp_sysinfo_new(const struct rp_sysinfo_conf *c,
                             rp_sysinfo **out) RP_WARN_UNUSED;

/* Fill the sys fields of *t (see struct rp_agent_sys). ctx: rp_sysinfo.
 * More than RP_PORTS_MAX ports: the lowest ones are kept. */
RP_API rp_err rp_sysinfo_collect(void *ctx,
                                 struct rp_telemetry *t) RP_WARN_UNUSED;

RP_API void rp_sysinfo_free(rp_sysinfo *s);

/*
 * Parse the text of /proc/net/{tcp,tcp6,udp,udp6}: the local ports of
 * sockets in LISTEN state (TCP) or bound (UDP, state 07), merged sorted
 * and unique into ports[0..*n) (cap entries at most, lowest kept). On
 * entry *n is how many ports[] holds already (sorted, unique; 0 to start),
 * so that tcp and tcp6 merge with two calls. Pure; RP_E_SYNTAX on a
 * malformed table (ports[] and *n unchanged then), RP_E_INVAL when *n >
 * cap.
 */
RP_API rp_err rp_sysinfo_parse_ports(const char *text, size_t len, int tcp,
                                     uint16_t *ports, uint16_t *n,
                                     uint16_t cap) RP_WARN_UNUSED;

typedef struct rp_authwatch rp_authwatch;

/* Watch path from its current end (what is there already is history).
 * The file may not exist yet; anything but a regular file there is
 * refused (RP_E_INVAL, also from poll: a FIFO would block open(2)).
 * *out: rp_authwatch_free(). */
RP_API rp_err rp_authwatch_open(const char *path,
                                rp_authwatch **out) RP_WARN_UNUSED;

/*
 * Read the complete lines added since the last call (following a rotation
 * or truncation: new inode or smaller size starts from the beginning);
 * *failures = how many were failed logins, last = the last such line
 * (printable, cut to RP_DETAIL_MAX). Reads at most 1 MiB per call.
 */
RP_API rp_err rp_authwatch_poll(rp_authwatch *w, uint64_t *failures,
                                char last[RP_DETAIL_MAX + 1]) RP_WARN_UNUSED;

/* Non-zero if one log line reports a failed login (sshd, login, su,
 * PAM: "Failed password", "authentication failure", ...). Pure. */
RP_API int rp_authwatch_line_is_failure(const char *line, size_t len);

RP_API void rp_authwatch_free(rp_authwatch *w);

#endif
