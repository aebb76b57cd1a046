/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bootinfo.h - what rampart-agent run reports about the boot (docs/agent.md
 * "Boot results"): from the boot-state record that rampart-boot keeps on
 * the device's NOR flash, the slot that is running, its image's version
 * and the SHA-256 of the whole signed image as it lies in the slot, the
 * boot event's detail and severity, and the telemetry collector that puts
 * version and hash into every telemetry message. Reporting only: nothing
 * is written to the flash.
 */
#ifndef RAMPART_AGENT_BOOTINFO_H
#define RAMPART_AGENT_BOOTINFO_H

#include <stdbool.h>
#include <stdint.h>

#include "rampart/boot.h"
#include "rampart/image.h"
#include "rampart/sysinfo.h"
#include "rampart/telemetry.h"

struct agent_bootinfo {
	rp_err state_rc; /* loading the record: RP_OK, RP_E_NOT_FOUND (never
	                    written), RP_E_BOOT_STATE (both copies damaged)
	                    or a flash error */
	struct rp_boot_state st; /* the record, when state_rc is RP_OK */
	int slot;                /* running slot 0 (A) / 1 (B); -1 unknown */
	bool trial;              /* the running slot is a trial image */
	rp_err image_rc;         /* its image: RP_OK or why it is not one */
	struct rp_image_hdr hdr; /* the header, when image_rc is RP_OK */
	uint64_t image_len;      /* header + payload + signature section */
	char version[RP_FW_VERSION_MAX + 1]; /* "MAJOR.MINOR.PATCH", "" */
	char sha256[65]; /* lower-case hex of the image_len bytes, "" */
};

/*
 * The slot the record says is running: the other slot when a trial has
 * been started (trial and trial_booted: rp_boot_run counts an attempt
 * before it starts a trial), else the active slot. OUT: *trial. Pure.
 */
int agent_boot_running_slot(const struct rp_boot_state *st, bool *trial);

/*
 * The boot event for bi: detail such as "slot=b version=1.4.2 counter=9
 * state=trial trials_left=2" or "slot=a version=1.0.0 counter=1
 * state=confirmed" (docs/agent.md lists every form), and the severity:
 * RP_SEV_WARNING when the record is missing or unreadable, its flags
 * show a rollback, a refused trial or a fallback, or the running slot
 * holds no image; RP_SEV_INFO otherwise. Pure.
 */
enum rp_severity agent_boot_detail(const struct agent_bootinfo *bi,
                                   char out[RP_DETAIL_MAX + 1]);

/*
 * Fill *bi from flash f with layout l: the record, the running slot, its
 * header, the length of its signed image (rp_sigsec_scan; it must fit the
 * slot) and its SHA-256 (crypto). A missing or damaged record and a slot
 * without an image are facts in *bi, not errors: returns RP_OK then too.
 * Only a flash read failing while hashing returns its error.
 */
rp_err agent_bootinfo_read(const struct rp_flash *f,
                           const struct rp_boot_layout *l,
                           const struct rp_crypto *crypto,
                           struct agent_bootinfo *bi) RP_WARN_UNUSED;

/*
 * The same over the flash file at path (rp_flash_file_open with
 * sector_size, rp_boot_layout_default), as rampart-boot lays it out.
 * Errors of the file itself (RP_E_NOT_FOUND, RP_E_PERM, RP_E_INVAL: not a
 * flash of that sector size, or too small for two slots).
 */
rp_err agent_bootinfo_load(const char *path, uint32_t sector_size,
                           struct agent_bootinfo *bi) RP_WARN_UNUSED;

/* The telemetry source of run --boot-flash: rp_sysinfo's facts with the
 * running slot's version and hash. si is owned by the caller. */
struct agent_boot_sys {
	rp_sysinfo *si;
	char version[RP_FW_VERSION_MAX + 1];
	char sha256[65];
};

/* struct rp_agent_sys collect: ctx is a struct agent_boot_sys. */
rp_err agent_boot_collect(void *ctx, struct rp_telemetry *t) RP_WARN_UNUSED;

#endif
