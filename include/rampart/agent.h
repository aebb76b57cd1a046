/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent.h - the device's MQTT session (docs/agent.md, docs/transport.md):
 * mutual TLS to the broker with the keystore's key, reconnect with
 * exponential backoff and jitter, periodic telemetry, security events
 * through a bounded offline queue (oldest telemetry dropped first, events
 * kept, drops counted and reported), and the command topic. The same code
 * runs one device in rampart-agent and thousands in rampart-sim: it owns
 * no thread and no loop, it lives on the caller's libevent base.
 */
#ifndef RAMPART_AGENT_H
#define RAMPART_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "rampart/chainlog.h"
#include "rampart/err.h"
#include "rampart/export.h"
#include "rampart/keystore.h"
#include "rampart/telemetry.h"

struct event_base;

typedef struct rp_agent rp_agent;

/*
 * Where the facts in telemetry come from. collect fills uptime_s,
 * cpu_permille, mem_*, ports, fw_version and fw_sha256; the agent fills
 * seq, ts, msgs_sent, dropped, interval_s and the log head itself.
 * rp_sysinfo_collect (sysinfo.h) reads them from /proc; rampart-sim
 * supplies simulated ones.
 */
struct rp_agent_sys {
	rp_err (*collect)(void *ctx, struct rp_telemetry *t);
	void *ctx;
};

/*
 * A command arrived (already decoded and addressed to this device). Fill
 * res->status and res->detail (id, seq and ts are filled by the agent);
 * the agent publishes the result on cmd/result. NULL: every command but
 * ping is answered "unsupported". It runs inside libmosquitto's message
 * callback: it must not rp_agent_free() a (libmosquitto and the loop
 * still use it when it returns) nor rp_agent_stop() it (the result would
 * stay queued): defer those to a timer, as rampart-sim's reboot does.
 */
typedef void (*rp_agent_cmd_cb)(void *arg, rp_agent *a,
                                const struct rp_command *cmd,
                                struct rp_command_result *res);

struct rp_agent_conf {
	const char *id;           /* device id = certificate CN = client id */
	const char *host;         /* broker address, numeric */
	int port;                 /* 8883 */
	SSL_CTX *tls;             /* client context (rp_agent_tls_ctx);
	                             the agent takes its own reference and
	                             pins host as the name the broker's
	                             certificate must carry (IP SAN for an
	                             address) in its verify parameters: all
	                             agents sharing one context must use
	                             the same host */
	struct event_base *base;  /* the loop the agent lives on */
	uint32_t telemetry_ms;    /* period; 0 = 10000 */
	uint32_t jitter_pct;      /* +- spread of each period, 0..50 */
	uint32_t backoff_base_ms; /* first reconnect wait; 0 = 1000 */
	uint32_t backoff_cap_ms;  /* longest wait; 0 = 60000 */
	uint32_t keepalive_s;     /* MQTT keepalive; 0 = 60, else 5..65535
	                             (libmosquitto's range) */
	uint32_t queue_max;       /* offline queue, messages; 0 = 256 */
	struct rp_agent_sys sys;  /* telemetry facts (collect may be NULL:
	                             then only agent-side fields are sent) */
	rp_chainlog *log;         /* may be NULL; every event is appended */
	rp_agent_cmd_cb on_command;
	void *arg;
};

struct rp_agent_stats {
	bool connected;
	uint64_t connects;          /* CONNACKs accepted */
	uint64_t connect_failures;  /* attempts that did not reach CONNACK */
	uint64_t sent;              /* messages handed to the broker */
	uint64_t queued;            /* in the offline queue now */
	uint64_t dropped_telemetry; /* dropped from the full queue */
	uint64_t dropped_events;    /* only when the queue holds events only */
	                            /* (both also count messages larger than
	                               the broker's maximum packet size) */
	uint64_t commands;          /* commands received and answered */
	uint64_t commands_rejected; /* malformed or for another device */
	uint32_t backoff_ms;        /* the current reconnect wait, 0 if none */
	uint64_t refused;           /* MQTT v5 PUBACK >= 0x80 (broker ACL) */
};

/*
 * A client context for conf.tls: TLS 1.2 floor (AEAD suites) and TLS 1.3,
 * the broker verified against cafile (PEM: the fleet root), the keystore's
 * key and certificate chain as the client credential (works for file,
 * PKCS#11 and TPM keys alike). *out is owned by the caller
 * (SSL_CTX_free). The keystore may be closed afterwards.
 */
RP_API rp_err rp_agent_tls_ctx(rp_keystore *ks, const char *cafile,
                               SSL_CTX **out) RP_WARN_UNUSED;

/* A session as conf says (copied). *out: rp_agent_free(). Does not
 * connect yet. RP_E_INVAL for a bad id, missing base/tls/host, or a host
 * that is not a numeric address (a name would be looked up blocking the
 * loop). */
RP_API rp_err rp_agent_new(const struct rp_agent_conf *conf,
                           rp_agent **out) RP_WARN_UNUSED;

/* Connect (asynchronously) and keep connected until rp_agent_stop();
 * sends an agent_start event first. */
RP_API rp_err rp_agent_start(rp_agent *a) RP_WARN_UNUSED;

/*
 * Queue a security event (sent at once when connected, else kept in the
 * offline queue) and append it to the local log. detail may be NULL; it is
 * cut to RP_DETAIL_MAX and every byte outside printable ASCII becomes '?'.
 */
RP_API rp_err rp_agent_event(rp_agent *a, enum rp_event_type type,
                             enum rp_severity sev, uint64_t count,
                             const char *detail) RP_WARN_UNUSED;

/* Send one telemetry message now (outside the period). */
RP_API rp_err rp_agent_telemetry_now(rp_agent *a) RP_WARN_UNUSED;

/*
 * Use tls (after a certificate renewal) from the next connection on: the
 * agent takes its own reference (and drops the old one), pins the host
 * as rp_agent_new does, and, when connected, disconnects cleanly and
 * reconnects after the first backoff step.
 */
RP_API rp_err rp_agent_set_tls(rp_agent *a, SSL_CTX *tls) RP_WARN_UNUSED;

/* Disconnect cleanly (DISCONNECT sent, no reconnect). */
RP_API void rp_agent_stop(rp_agent *a);

RP_API void rp_agent_stats_get(const rp_agent *a, struct rp_agent_stats *s);

RP_API void rp_agent_free(rp_agent *a);

#endif
