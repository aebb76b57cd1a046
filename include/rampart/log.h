/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - the logging of every Rampart program.
 *
 * One line per message, to stderr or a file (with a UTC timestamp) or to
 * syslog.
 * Control characters in a message are escaped (\n becomes \x0a), so a
 * device-supplied string cannot forge log lines. Never pass a secret: log
 * a key id or a hash prefix instead (docs/logging.md).
 */
#ifndef RAMPART_LOG_H
#define RAMPART_LOG_H

#include <stdarg.h>

#include "rampart/err.h"

enum rp_log_level {
	RP_LOG_ERROR = 0,
	RP_LOG_WARN = 1,
	RP_LOG_INFO = 2,
	RP_LOG_DEBUG = 3,
};

enum rp_log_dest {
	RP_LOG_STDERR = 0,
	RP_LOG_SYSLOG = 1,
	RP_LOG_FILE = 2, /* the file of rp_log_file; stderr before it */
};

/* Longest message kept; longer ones are cut and end in "...". */
#define RP_LOG_MAX 1024

/*
 * Set the program name shown in each line (the string is copied), where
 * lines go and the lowest level that is written. Before any call, logging
 * goes to stderr at RP_LOG_INFO as "rampart".
 */
RP_API void rp_log_init(const char *ident, enum rp_log_dest dest,
                        enum rp_log_level min);

RP_API void rp_log_set_level(enum rp_log_level min);

/*
 * From now on, lines are appended to the file path (created 0600 when
 * missing, the umask applies; O_APPEND, so several writers do not
 * interleave). Call after rp_log_init (which, with a destination other
 * than RP_LOG_FILE, closes the file). RP_E_INVAL for a NULL, empty or
 * over-long path; otherwise the rp_err of the failing open(2), errno kept
 * for strerror, and lines keep going where they went.
 */
RP_API rp_err rp_log_file(const char *path) RP_WARN_UNUSED;

/*
 * Open the file of rp_log_file again by its path (after logrotate moved
 * it away): RP_OK, also when lines do not go to a file; the open's rp_err
 * (errno kept) and the old file stays in use.
 */
RP_API rp_err rp_log_reopen(void) RP_WARN_UNUSED;

RP_API void rp_log(enum rp_log_level level, const char *fmt, ...)
    RP_PRINTF(2, 3);
RP_API void rp_logv(enum rp_log_level level, const char *fmt, va_list ap)
    RP_PRINTF(2, 0);

/* "error", "warn", "info", "debug" -> level. RP_E_INVAL otherwise. */
RP_API rp_err rp_log_level_parse(const char *name,
                                 enum rp_log_level *out) RP_WARN_UNUSED;

#define rp_log_error(...) rp_log(RP_LOG_ERROR, __VA_ARGS__)
#define rp_log_warn(...)  rp_log(RP_LOG_WARN, __VA_ARGS__)
#define rp_log_info(...)  rp_log(RP_LOG_INFO, __VA_ARGS__)
#define rp_log_debug(...) rp_log(RP_LOG_DEBUG, __VA_ARGS__)

#endif
