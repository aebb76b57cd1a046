/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rampartd.h - what the concerns of rampartd share: the configuration,
 * the server context handed to every route, and the cross-file functions
 * (routes, EST, CRL publication; the admin API is api/api.h).
 */
#ifndef RAMPARTD_H
#define RAMPARTD_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "pki/ca.h"
#include "rampart/broker.h"
#include "rampart/config.h"
#include "rampart/err.h"
#include "store/store.h"

struct jobs;
struct api_rel;
struct fw_download;

struct rd_config {
	char *listen;                 /* [server] listen, default 127.0.0.1 */
	int64_t port;                 /* [server] port, default 8443 */
	char *data_dir;               /* [server] data_dir */
	char *log_level;              /* [server] log_level */
	int64_t est_max_body;         /* [est] max_body */
	int64_t admin_max_body;       /* [admin] max_body */
	int64_t device_lifetime;      /* [pki] device_lifetime */
	int64_t renew_window;         /* [pki] renew_window */
	int64_t claim_max_lifetime;   /* [pki] claim_max_lifetime */
	int64_t crl_lifetime;         /* [pki] crl_lifetime */
	int64_t server_cert_lifetime; /* [pki] server_cert_lifetime */
	char *server_names;           /* [pki] server_names */
	char *mqtt_broker;            /* [mqtt] broker HOST:PORT, "" = none */
	int64_t mqtt_keepalive;       /* [mqtt] keepalive (seconds) */
	int64_t mqtt_queue_max;       /* [mqtt] queue_max (messages) */
	int64_t mqtt_batch_max;       /* [mqtt] batch_max (messages) */
	int64_t mqtt_batch_ms;        /* [mqtt] batch_ms */
	int64_t mqtt_telemetry_keep;  /* [mqtt] telemetry_keep (per device) */
	int64_t mqtt_events_keep;     /* [mqtt] events_keep (per device) */
	int64_t refusal_rate;         /* [server] refusal_rate (per peer, /s) */
	int64_t refusal_burst;        /* [server] refusal_burst (per peer) */
	int64_t refusal_total_rate;   /* [server] ... all peers, /s */
	int64_t refusal_total_burst;  /* [server] ... all peers */
	char *public_url;             /* [http] public_url, "" = from listen */
	int64_t release_max_image;    /* [releases] max_image_size */
	int64_t release_upload_idle;  /* [releases] upload_idle (seconds) */
	int64_t fw_max_downloads;     /* [firmware] max_downloads_per_device */
};

/* Fill c with defaults, then read path (may be NULL). diag on error. */
rp_err rd_config_load(const char *path, struct rd_config *c,
                      struct rp_config_diag *diag) RP_WARN_UNUSED;
void rd_config_free(struct rd_config *c);
/* The base of the URLs rampartd gives devices (update commands: BASE +
 * "/fw/v1/" + release): [http] public_url, or https://LISTEN:PORT (the
 * address bound, [..] around IPv6) when it is "". RP_E_INVAL when it
 * does not fit in cap or leaves no room for a release's path. */
rp_err rd_public_url(const struct rd_config *c, const char *listen, int port,
                     char *out, size_t cap) RP_WARN_UNUSED;

struct rampartd {
	struct event_base *base;
	struct http_server *http;  /* routes.c: the listener (http/http.h) */
	struct refusals *refusals; /* ... and its refusal recorder */
	SSL_CTX *tls;
	struct store *store;
	struct ca *ca;
	struct rd_config cfg;
	const char *config_path;
	int port_flag, listen_flag; /* given on the command line */
	char data_dir[4096];
	uint8_t *crl_der; /* the current CRL, served at /pki/crl */
	size_t crl_len;
	int64_t crl_next_update;
	/* broker/fleet.c: the snapshot for the Mosquitto plugin, and
	 * rampartd's own MQTT identities with the pins it lists for them
	 * (of the certificate loaded or issued last; set once pinned) */
	struct rp_broker_principal service; /* id RP_BROKER_SERVICE_ID */
	struct rp_broker_principal monitor; /* id RP_BROKER_MONITOR_ID */
	int service_pinned, monitor_pinned;
	int64_t service_not_after; /* of pki/service.pem */
	int64_t monitor_not_after; /* of pki/monitor.pem (the monitor role) */
	uint64_t snap_seq;         /* of the last snapshot written */
	int snap_dirty;            /* the last write failed: retry */
	/* mqtt/: the service client; NULL when no broker is configured */
	struct mqtt *mqtt;
	/* jobs/: the periodic work (rd_jobs.h); NULL before the loop runs
	 * and in tests that link the modules without main */
	struct jobs *jobs;
	const char *broker_flag; /* --broker HOST:PORT */
	/* rd_public_url, set once the listener is bound (main.c) */
	char public_url[RP_URL_MAX + 1];
	/* api/uploads.h: upload sessions and adds running (routes.c) */
	struct api_rel *rel;
	/* api/firmware.c: the firmware downloads running (a list) */
	struct fw_download *fw_downloads;
};

/* routes.c: the route table on an HTTPS listener at addr:[server] port
 * (*bound: the port bound), with its refusal recorder; routes_close
 * answers what waits for the recorder, then closes. */
rp_err routes_listen(struct rampartd *rd, const char *addr,
                     int *bound) RP_WARN_UNUSED;
void routes_close(struct rampartd *rd);

/*
 * Record a refusal (log with the precise reason, store row: batched and
 * rate-limited per peer, http/refusal.h) and answer the generic message
 * with status code. subject may be NULL.
 */
void rd_refuse(struct rampartd *rd, struct evhttp_request *req,
               const char *route, const char *subject, rp_err reason, int code,
               const char *detail);
/* Record a refusal whose answer is being sent already (evhttp's own 413,
 * http/refusal.h refusals_add_now). Both: server/refuse.c. */
struct refusal;
void rd_refused(struct rampartd *rd, const struct refusal *f);

/* est/est.c: the EST routes of the table (http/router.h). */
struct router_req;
struct router_principal;
void est_cacerts(struct rampartd *rd, struct evhttp_request *req,
                 const struct router_req *rr);
void est_simpleenroll(struct rampartd *rd, struct evhttp_request *req,
                      const struct router_req *rr);
void est_simplereenroll(struct rampartd *rd, struct evhttp_request *req,
                        const struct router_req *rr);
void est_crl(struct rampartd *rd, struct evhttp_request *req,
             const struct router_req *rr);
/*
 * The claim (re = 0) or device (re = 1) permission: the TLS client's
 * certificate checked for simpleenroll or simplereenroll; *who gets the
 * claim's group or the device id, the serial and (device) not_after. On
 * failure the refusal is recorded with its reason and answered.
 */
rp_err est_authenticate(struct rampartd *rd, struct evhttp_request *req, int re,
                        struct router_principal *who) RP_WARN_UNUSED;
/* Non-zero if cert is a claim certificate (claim CA issuer or claim EKU). */
int est_is_claim(struct ca *ca, X509 *cert);

/* pki/crl.c: build, record and publish a fresh CRL. A failure triggers
 * the CRL job (jobs/rd_jobs.h), which retries with backoff. */
rp_err crl_publish(struct rampartd *rd) RP_WARN_UNUSED;

/*
 * broker/fleet.c: rebuild the fleet snapshot from the store and write it
 * (call after a committed change that matters to the broker; why names
 * it in the log). A failure is logged as an error and sets snap_dirty,
 * and the snapshot job retries with backoff (jobs/rd_jobs.h); the
 * committed change stays.
 */
void broker_sync(struct rampartd *rd, const char *why);
/*
 * Load DATA_DIR/pki/service.{pem,key} (CN rampartd, the service profile)
 * and DATA_DIR/pki/monitor.{pem,key} (CN rampart-monitor, the monitor
 * profile: the operator's read-only MQTT identity), issuing a fresh pair
 * when one is missing, invalid, within renew_window of expiry, or not in
 * its role's profile (a data directory from before the profiles). Sets
 * rd->service / rd->monitor (their pins) for each one that succeeded;
 * a failure keeps what was set before.
 */
rp_err broker_service_identity(struct rampartd *rd) RP_WARN_UNUSED;

/* Setup token: SHA-256 kept in the store under this key. */
#define RD_META_SETUP_TOKEN "setup_token_sha256"

#endif
