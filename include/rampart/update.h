/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update.h - the device's firmware updater in librampart (docs/updates.md),
 * the parts rampart-agent and rampart-sim share: the decision on an update
 * command (accept, or refuse with a reason code) and the updater's durable
 * progress, the small state file that lets a download resume with a Range
 * request after a lost connection, an agent restart or a power cut.
 */
#ifndef RAMPART_UPDATE_H
#define RAMPART_UPDATE_H

#include <stdbool.h>
#include <stdint.h>

#include "rampart/err.h"
#include "rampart/export.h"
#include "rampart/http.h"
#include "rampart/telemetry.h"

/* What the device is when an update command arrives. */
struct rp_update_facts {
	const char *hw;             /* this device's hardware type */
	uint32_t confirmed_counter; /* the boot state's confirmed counter */
	const char *running_sha256; /* hex SHA-256 of the running image,
	                               "" or NULL when unknown */
	bool trial;                 /* the boot state has a trial marked or
	                               running (rp_boot_state.trial) */
	bool busy;                  /* another update is running */
	uint64_t slot_size;         /* bytes of the inactive slot (0: unknown,
	                               not checked) */
};

/*
 * Decide on update u given f. RP_OK: accept (*code ""); RP_E_STATE:
 * refuse, *code the reason (docs/updates.md "Reason codes": busy,
 * trial_in_progress, hw_mismatch, already_running, downgrade, too_big,
 * checked in that order) and detail the command result's detail
 * ("CODE: why"). RP_E_INVAL for a NULL argument. Pure.
 */
RP_API rp_err rp_update_decide(const struct rp_update_facts *f,
                               const struct rp_update_ref *u,
                               char code[RP_UPD_CODE_MAX + 1],
                               char detail[RP_DETAIL_MAX + 1]) RP_WARN_UNUSED;

/* The updater's durable progress (one file, docs/updates.md
 * "Power cuts"). */
struct rp_update_progress {
	char release[65];                /* the release being installed */
	char cmd[RP_CMD_ID_MAX + 1];     /* its update command's id */
	enum rp_update_state state;      /* the last step made durable */
	uint64_t size;                   /* bytes of the download */
	uint64_t offset;                 /* bytes known to be in flash (written
	                                    before this was saved), <= size */
	char etag[RP_HTTP_ETAG_MAX + 1]; /* the server's ETag, "" unknown */
};

/*
 * Save p at path atomically (a temp file, fsync, rename, fsync of the
 * folder: rp_file_write_atomic), mode 0600. RP_E_INVAL when p is not
 * what rp_update_progress_load accepts; RP_E_IO, RP_E_NOMEM.
 */
RP_API rp_err rp_update_progress_save(
    const char *path, const struct rp_update_progress *p) RP_WARN_UNUSED;

/*
 * Load the progress at path into *p (zeroed unless RP_OK). RP_E_NOT_FOUND
 * when there is none; RP_E_SYNTAX when the file is not exactly what
 * rp_update_progress_save writes (a JSON object with v 1 and the members
 * release, cmd, state, size, offset, etag, each valid, offset <= size);
 * RP_E_IO, RP_E_NOMEM.
 */
RP_API rp_err rp_update_progress_load(
    const char *path, struct rp_update_progress *p) RP_WARN_UNUSED;

/* Remove the progress at path (an update ended), then fsync the folder.
 * RP_OK also when there was none; RP_E_IO. */
RP_API rp_err rp_update_progress_clear(const char *path) RP_WARN_UNUSED;

/* ---- The download into the inactive slot (lib/device/update_fetch.c) ---- */

struct rp_flash;
struct rp_boot_layout;
struct rp_keyset;
struct rp_crypto;

#define RP_UPDATE_SAVE_EVERY (64 * 1024) /* default bytes between saves */

/* What rp_update_fetch_start needs; every pointer borrowed, must outlive
 * the fetch. */
struct rp_update_fetch_cfg {
	struct event_base *base; /* the caller's loop: every callback */
	struct ssl_ctx_st *ssl;  /* the device's TLS context (mTLS) */
	const struct rp_flash *flash;
	const struct rp_boot_layout *layout;
	const struct rp_keyset *trust;  /* the device's key set */
	const struct rp_crypto *crypto; /* e.g. rp_crypto_host() */
	const char *hw;                 /* this device's hardware type */
	const char *cmd;                /* the update command's id */
	const char *state_path;         /* the progress file */
	uint32_t save_every;      /* bytes between progress saves; 0: 64 KiB */
	unsigned max_attempts;    /* requests per start (retries + 1); 0: 8 */
	uint64_t backoff_base_ms; /* 0: 1000 */
	uint64_t backoff_cap_ms;  /* 0: 300000 */
	int idle_ms;              /* per request; 0: 60 s */
	unsigned trials;          /* rp_boot_set_trial's; 0: the default */
	/* Each state reached (downloading with its durable offset,
	 * downloaded, verified, trial_marked, failed); r valid during the
	 * call. Optional. */
	void (*on_report)(void *arg, const struct rp_update_report *r);
	/* Exactly once unless cancelled, after the fetch is freed: RP_OK
	 * and code "" when the trial is marked, else the error and the
	 * reason code (docs/updates.md "Reason codes"). */
	void (*on_done)(void *arg, rp_err rc, const char *code);
	void *arg;
};

typedef struct rp_update_fetch rp_update_fetch;

/*
 * Download release ref (ref->url, ref->size bytes) into the inactive slot
 * on cfg->base, resuming from the progress file when it names the same
 * release (Range from its offset, If-Range its ETag), then verify the
 * slot (rp_image_verify: trust, the confirmed counter, hw, the image's
 * length ref->size; and its SHA-256 == ref->release) and mark the trial.
 * Nothing runs inside this call: the first request starts on the loop.
 * Errors returned here (on_done then never runs): RP_E_INVAL, RP_E_NOMEM,
 * RP_E_TOO_BIG (ref->size above the slot), RP_E_STATE (a trial is
 * marked or running in the inactive slot: nothing is written), the boot
 * state's. *out (may
 * be NULL): the handle, valid until on_done runs.
 */
RP_API rp_err rp_update_fetch_start(const struct rp_update_fetch_cfg *cfg,
                                    const struct rp_update_ref *ref,
                                    rp_update_fetch **out) RP_WARN_UNUSED;

/* Stop a fetch (not from inside its callbacks); on_done is not called.
 * The progress file keeps what is durable. NULL is a no-op. */
RP_API void rp_update_fetch_cancel(rp_update_fetch *f);

#endif
