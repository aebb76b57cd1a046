/* SPDX-License-Identifier: Apache-2.0 */
/*
 * telemetry.h - the messages a device and rampartd exchange over MQTT
 * (docs/telemetry.md has the JSON schema and test vectors):
 *
 *   rampart/v1/d/<id>/telemetry   device -> rampartd   struct rp_telemetry
 *   rampart/v1/d/<id>/events      device -> rampartd   struct rp_event
 *   rampart/v1/d/<id>/cmd         rampartd -> device   struct rp_command
 *   rampart/v1/d/<id>/cmd/result  device -> rampartd   struct rp_command_result
 *
 * Every message is one JSON object with "v":1. Encoders write into the
 * caller's buffer and never allocate on the caller's behalf. Decoders are
 * strict (every input is hostile): the whole object must be valid UTF-8
 * JSON of at most RP_MSG_MAX bytes, every required member present with its
 * type and range, no unknown members, no duplicate members, strings
 * printable ASCII within their length; anything else is RP_E_TELEMETRY
 * (RP_E_COMMAND for commands and command results) and *out is left
 * zeroed. Integers are limited to 0..INT64_MAX (jansson's json_int_t):
 * an encoder refuses a larger uint64_t field with RP_E_INVAL.
 */
#ifndef RAMPART_TELEMETRY_H
#define RAMPART_TELEMETRY_H

#include <stddef.h>
#include <stdint.h>

#include "rampart/err.h"
#include "rampart/export.h"

#define RP_MSG_VERSION    1
#define RP_MSG_MAX        8192 /* largest message accepted or produced */
#define RP_PORTS_MAX      64   /* listening ports per protocol */
#define RP_FW_VERSION_MAX 32   /* chars, without the NUL */
#define RP_DETAIL_MAX     256  /* chars, without the NUL */
#define RP_CMD_ID_MAX     64   /* chars, without the NUL */

/* Periodic telemetry. Ports are sorted ascending, without repeats. */
struct rp_telemetry {
	uint64_t seq;          /* per agent start, +1 per message (all kinds) */
	int64_t ts;            /* device clock, Unix seconds */
	uint64_t uptime_s;     /* since the device booted */
	uint32_t cpu_permille; /* busy share since the last sample, 0..1000 */
	uint64_t mem_total_kb, mem_avail_kb; /* avail <= total */
	uint16_t n_tcp, n_udp;
	uint16_t tcp[RP_PORTS_MAX]; /* listening TCP ports (1..65535) */
	uint16_t udp[RP_PORTS_MAX]; /* bound UDP ports (1..65535) */
	char fw_version[RP_FW_VERSION_MAX + 1]; /* printable, may be "" */
	char fw_sha256[65];  /* lower-case hex of the running slot's image */
	uint64_t msgs_sent;  /* messages published since the agent started */
	uint64_t dropped;    /* messages dropped from the offline queue */
	uint32_t interval_s; /* the agent's telemetry period (1..86400) */
	uint64_t log_seq;    /* records in the local event log (0: none) */
	char log_head[65];   /* hex hash of its last record ("" when none) */
};

enum rp_event_type {
	RP_EVENT_AGENT_START = 1,  /* the agent started (detail: version) */
	RP_EVENT_AUTH_FAILURE = 2, /* failed local login(s); count = how many */
	RP_EVENT_CONFIG_CHANGE = 3, /* a watched configuration file changed */
	RP_EVENT_BOOT = 4,       /* boot result: detail "ok", "rollback", ... */
	RP_EVENT_QUEUE_DROP = 5, /* offline queue dropped count messages */
	RP_EVENT_COMMAND = 6,    /* a command was received and acted on */
	RP_EVENT_TAMPER = 7,     /* the local event log failed verification */
	RP_EVENT_UPDATE = 8,     /* a step of a firmware update (ev.update) */
};

enum rp_severity {
	RP_SEV_INFO = 0,
	RP_SEV_WARNING = 1,
	RP_SEV_CRITICAL = 2,
};

/* The steps of a firmware update as the device reports them
 * (docs/updates.md "States"); wire names "accepted", "downloading", ... */
enum rp_update_state {
	RP_UPD_ACCEPTED = 1,      /* the update command was accepted */
	RP_UPD_DOWNLOADING = 2,   /* progress: offset of size bytes durable */
	RP_UPD_DOWNLOADED = 3,    /* every byte is in the inactive slot */
	RP_UPD_VERIFIED = 4,      /* the slot verified (rp_image_verify) */
	RP_UPD_TRIAL_MARKED = 5,  /* rp_boot_set_trial done */
	RP_UPD_REBOOTING = 6,     /* the reboot command runs */
	RP_UPD_TRIAL_RUNNING = 7, /* the trial image booted; health check */
	RP_UPD_CONFIRMED = 8,     /* rp_boot_confirm done: final */
	RP_UPD_ROLLED_BACK = 9,   /* the old image runs again: final */
	RP_UPD_FAILED = 10,       /* gave up with a reason code: final */
	RP_UPD_CANCELLED = 11,    /* a cancel command stopped it: final */
};

#define RP_UPD_CODE_MAX 31 /* a reason code: [a-z0-9_], "" when none */

/* The "update" member of an RP_EVENT_UPDATE event. */
struct rp_update_report {
	char release[65]; /* the release's id (lower-case hex SHA-256) */
	char cmd[RP_CMD_ID_MAX + 1]; /* the update command's id */
	enum rp_update_state state;
	uint64_t offset; /* bytes of the download durable so far */
	uint64_t size;   /* bytes to download (image or patch) */
	char code[RP_UPD_CODE_MAX + 1]; /* why it failed/rolled back, or "" */
};

struct rp_event {
	uint64_t seq; /* same sequence as telemetry */
	int64_t ts;
	enum rp_event_type type;
	enum rp_severity severity;
	uint64_t count;                 /* >= 1: occurrences folded in */
	char detail[RP_DETAIL_MAX + 1]; /* printable ASCII, may be "" */
	struct rp_update_report update; /* type RP_EVENT_UPDATE only (else
	                                   zeroed, and absent on the wire) */
};

enum rp_command_type {
	RP_CMD_PING = 1,   /* answer ok: proves the command path */
	RP_CMD_UPDATE = 2, /* args: a release reference (later issues) */
	RP_CMD_LOCK = 3,
	RP_CMD_REBOOT = 4,
	RP_CMD_WIPE = 5,
	RP_CMD_CANCEL = 6, /* cancel the running update (arg: its release
	                      id, or "" for whichever runs) */
};

#define RP_URL_MAX 512 /* chars of a download URL, without the NUL */

/* The "update" member of an update command (docs/updates.md). */
struct rp_update_ref {
	char release[65]; /* the release's id: the lower-case
	                     hex SHA-256 of its image file */
	char hw[32];      /* its hardware type */
	uint32_t ver_major, ver_minor, ver_patch;
	uint32_t counter;         /* its security counter */
	uint64_t size;            /* bytes of its image file */
	char url[RP_URL_MAX + 1]; /* https://... of the full image */
	/* A delta from the release the device runs; delta_base[0] == 0:
	 * none (download the full image). */
	char delta_base[65];            /* the base release's id */
	char delta_url[RP_URL_MAX + 1]; /* https://... of the patch */
	uint64_t delta_size;            /* bytes of the patch */
};

struct rp_command {
	char id[RP_CMD_ID_MAX + 1]; /* chosen by rampartd, [A-Za-z0-9._-] */
	enum rp_command_type type;
	int64_t ts;                  /* when rampartd issued it */
	char arg[RP_DETAIL_MAX + 1]; /* printable ASCII, may be "" */
	struct rp_update_ref update; /* type RP_CMD_UPDATE only (required
	                                then; else zeroed and absent) */
};

enum rp_command_status {
	RP_CMD_OK = 0,
	RP_CMD_REJECTED = 1,    /* malformed, or refused in this state */
	RP_CMD_UNSUPPORTED = 2, /* this agent does not implement the type */
	RP_CMD_FAILED = 3,
};

struct rp_command_result {
	char id[RP_CMD_ID_MAX + 1]; /* the command's id ("" if unreadable) */
	enum rp_command_status status;
	uint64_t seq;
	int64_t ts;
	char detail[RP_DETAIL_MAX + 1];
};

/*
 * Encoders: write the JSON (no NUL counted, one NUL appended) into
 * buf[0..cap); *len gets the length. RP_E_BUFFER when cap is too small,
 * RP_E_INVAL when a field is outside what the decoder accepts (so the
 * encoder never emits what the decoder would refuse).
 */
RP_API rp_err rp_telemetry_encode(const struct rp_telemetry *t, char *buf,
                                  size_t cap, size_t *len) RP_WARN_UNUSED;
RP_API rp_err rp_event_encode(const struct rp_event *e, char *buf, size_t cap,
                              size_t *len) RP_WARN_UNUSED;
RP_API rp_err rp_command_encode(const struct rp_command *c, char *buf,
                                size_t cap, size_t *len) RP_WARN_UNUSED;
RP_API rp_err rp_command_result_encode(const struct rp_command_result *r,
                                       char *buf, size_t cap,
                                       size_t *len) RP_WARN_UNUSED;

/* Decoders: buf[0..len) need not be NUL-terminated. */
RP_API rp_err rp_telemetry_decode(const void *buf, size_t len,
                                  struct rp_telemetry *out) RP_WARN_UNUSED;
RP_API rp_err rp_event_decode(const void *buf, size_t len,
                              struct rp_event *out) RP_WARN_UNUSED;
RP_API rp_err rp_command_decode(const void *buf, size_t len,
                                struct rp_command *out) RP_WARN_UNUSED;
RP_API rp_err rp_command_result_decode(
    const void *buf, size_t len, struct rp_command_result *out) RP_WARN_UNUSED;

/* Wire names: "auth_failure", "warning", "ping", "unsupported", ...;
 * NULL for a value outside the enum. */
RP_API const char *rp_event_type_name(enum rp_event_type t);
RP_API const char *rp_severity_name(enum rp_severity s);
RP_API const char *rp_command_type_name(enum rp_command_type t);
RP_API const char *rp_command_status_name(enum rp_command_status s);
RP_API const char *rp_update_state_name(enum rp_update_state s);
/* The state named name ("downloading"): RP_OK, or RP_E_INVAL (unknown). */
RP_API rp_err rp_update_state_parse(const char *name,
                                    enum rp_update_state *out) RP_WARN_UNUSED;

#endif
