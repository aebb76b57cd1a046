/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evlog.h - how rampart-agent run opens its hash-chained event log
 * (docs/agent.md "The event log", docs/chainlog.md "A damaged log"): a log
 * that fails verification is kept as evidence under a new name
 * (FILE.tampered-<UTC time>, mode 0600, never overwriting) and a fresh log
 * is started, so that a damaged log never stops the agent; a record torn
 * by a power cut is cut by rp_chainlog_open. Either is reported as a
 * tamper event (critical for a broken log, warning for a torn record).
 */
#ifndef RAMPART_AGENT_EVLOG_H
#define RAMPART_AGENT_EVLOG_H

#include <stdint.h>
#include <time.h>

#include "rampart/chainlog.h"
#include "rampart/telemetry.h"

enum agent_evlog_found {
	AGENT_EVLOG_OK = 0, /* intact (or new) */
	AGENT_EVLOG_TORN,   /* a torn last record was cut */
	AGENT_EVLOG_SAVED,  /* failed verification: saved, fresh log */
};

#define AGENT_EVLOG_SAVED_MAX 4096

struct agent_evlog_report {
	enum agent_evlog_found found;
	uint64_t bad_line;  /* 1-based line of the failure (TORN, SAVED) */
	const char *reason; /* static text of the failure, or NULL */
	char saved[AGENT_EVLOG_SAVED_MAX]; /* SAVED: the evidence's path */
};

/*
 * Open the log at path for appending (rp_chainlog_open), after walking
 * it (rp_chainlog_verify) under an exclusive flock, so that a log another
 * agent holds is never moved (RP_E_STATE). A log that fails verification
 * (RP_E_CHAINLOG: edited, reordered, malformed), or whose last record
 * rp_chainlog_open refuses, is renamed to path.tampered-YYYYMMDDTHHMMSSZ
 * (now, UTC; ".1" ... ".99" appended if that name is taken: an existing
 * file is never replaced), set to mode 0600, and a new empty log is
 * opened at path. OUT: *out (rp_chainlog_close), *rep. Errors: those of
 * rp_chainlog_open for the new log (RP_E_PERM: group- or world-writable,
 * or a symlink; RP_E_INVAL: not a regular file), RP_E_EXISTS when no
 * free name is left, RP_E_IO.
 */
rp_err agent_evlog_open(const char *path, time_t now, rp_chainlog **out,
                        struct agent_evlog_report *rep) RP_WARN_UNUSED;

/*
 * The tamper event for rep: RP_SEV_CRITICAL with "event log broken at
 * line L: REASON; saved as NAME; new log started" (NAME: the saved file's
 * base name), RP_SEV_WARNING with "event log: torn record cut at line L
 * (power cut during an append)". Returns 0 when there is nothing to
 * report (AGENT_EVLOG_OK), else 1. Pure.
 */
int agent_evlog_event(const struct agent_evlog_report *rep,
                      enum rp_severity *sev, char out[RP_DETAIL_MAX + 1]);

#endif
