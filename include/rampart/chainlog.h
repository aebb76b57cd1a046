/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chainlog.h - the device's hash-chained local event log (docs/chainlog.md):
 * an append-only text file, one record per line, each carrying the hash of
 * the record before it, so that removing, reordering or editing a record
 * breaks the chain that rp_chainlog_verify() (`rampart-agent log verify`)
 * walks. The head (last hash) travels in telemetry (log_seq, log_head), so
 * rampartd holds a copy of the chain's tip that a local attacker who
 * rewrites the whole file cannot change after the fact.
 */
#ifndef RAMPART_CHAINLOG_H
#define RAMPART_CHAINLOG_H

#include <stddef.h>
#include <stdint.h>

#include "rampart/err.h"
#include "rampart/export.h"

#define RP_CHAINLOG_PAYLOAD_MAX 1024 /* bytes of one record's payload */

typedef struct rp_chainlog rp_chainlog;

/*
 * Open (creating, mode 0600) the log at path for appending. The head is
 * recovered from the last complete record. A torn last record (a power cut
 * during an append: no final LF) is cut off and the open succeeds; the cut
 * is reported through *torn (may be NULL). RP_E_CHAINLOG when the last
 * record is malformed; RP_E_PERM when group or others may write the file
 * (or it is a symlink); RP_E_STATE when another handle has it open (one
 * writer, flock). *out is owned by the caller: rp_chainlog_close().
 */
RP_API rp_err rp_chainlog_open(const char *path, rp_chainlog **out,
                               int *torn) RP_WARN_UNUSED;

/*
 * Append one record: payload[0..len) is printable ASCII (0x20..0x7e), no
 * LF, at most RP_CHAINLOG_PAYLOAD_MAX bytes (RP_E_INVAL otherwise). The
 * record is written with one write(2) and fdatasync'd before returning.
 */
RP_API rp_err rp_chainlog_append(rp_chainlog *l, int64_t ts,
                                 const char *payload,
                                 size_t len) RP_WARN_UNUSED;

/* Records so far and the hex hash of the last one ("" when empty). */
RP_API void rp_chainlog_head(const rp_chainlog *l, uint64_t *seq,
                             char head[65]);

RP_API void rp_chainlog_close(rp_chainlog *l);

struct rp_chainlog_report {
	uint64_t records;   /* complete records that verified */
	uint64_t bad_line;  /* 1-based line of the first failure, 0 if none */
	char head[65];      /* hash of the last good record */
	const char *reason; /* static text of the first failure, or NULL */
};

/*
 * Walk the whole file at path. RP_OK when every record links to the one
 * before it; RP_E_CHAINLOG at the first broken or malformed record
 * (report->bad_line says which); RP_E_CHAINLOG_TORN when only the last
 * record is incomplete; RP_E_IO / RP_E_NOT_FOUND / RP_E_PERM for the
 * file.
 */
RP_API rp_err rp_chainlog_verify(
    const char *path, struct rp_chainlog_report *report) RP_WARN_UNUSED;

/* The same walk over the text buf[0..len) of a whole log. Pure. */
RP_API rp_err rp_chainlog_verify_buf(const char *buf, size_t len,
                                     struct rp_chainlog_report *report)
    RP_WARN_UNUSED;

#endif
