/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c - rampartd's configuration schema on the strict reader
 * (rampart/config.h). docs/rampartd.md lists every key.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "rampartd.h"

#define DAY 86400

static const struct rp_config_key keys[] = {
    {"server", "listen", RP_CONFIG_STRING, offsetof(struct rd_config, listen),
     0, 0, NULL, "127.0.0.1", 0},
    {"server", "port", RP_CONFIG_INT, offsetof(struct rd_config, port), 1,
     65535, NULL, NULL, 0},
    {"server", "data_dir", RP_CONFIG_STRING,
     offsetof(struct rd_config, data_dir), 0, 0, NULL, NULL, 0},
    {"server", "log_level", RP_CONFIG_STRING,
     offsetof(struct rd_config, log_level), 0, 0, NULL, "info", 0},
    {"server", "refusal_rate", RP_CONFIG_INT,
     offsetof(struct rd_config, refusal_rate), 1, 100000, NULL, NULL, 0},
    {"server", "refusal_burst", RP_CONFIG_INT,
     offsetof(struct rd_config, refusal_burst), 1, 1000000, NULL, NULL, 0},
    {"server", "refusal_total_rate", RP_CONFIG_INT,
     offsetof(struct rd_config, refusal_total_rate), 1, 1000000, NULL, NULL, 0},
    {"server", "refusal_total_burst", RP_CONFIG_INT,
     offsetof(struct rd_config, refusal_total_burst), 1, 10000000, NULL, NULL,
     0},
    {"est", "max_body", RP_CONFIG_SIZE,
     offsetof(struct rd_config, est_max_body), 1024, 1024 * 1024, NULL, NULL,
     0},
    {"admin", "max_body", RP_CONFIG_SIZE,
     offsetof(struct rd_config, admin_max_body), 1024, 16 * 1024 * 1024, NULL,
     NULL, 0},
    {"pki", "device_lifetime", RP_CONFIG_DURATION,
     offsetof(struct rd_config, device_lifetime), 60, 825 * DAY, NULL, NULL, 0},
    {"pki", "renew_window", RP_CONFIG_DURATION,
     offsetof(struct rd_config, renew_window), 0, 400 * DAY, NULL, NULL, 0},
    {"pki", "claim_max_lifetime", RP_CONFIG_DURATION,
     offsetof(struct rd_config, claim_max_lifetime), 60, 3650 * DAY, NULL, NULL,
     0},
    {"pki", "crl_lifetime", RP_CONFIG_DURATION,
     offsetof(struct rd_config, crl_lifetime), 3600, 90 * DAY, NULL, NULL, 0},
    {"pki", "server_cert_lifetime", RP_CONFIG_DURATION,
     offsetof(struct rd_config, server_cert_lifetime), 31 * DAY, 825 * DAY,
     NULL, NULL, 0},
    {"pki", "server_names", RP_CONFIG_STRING,
     offsetof(struct rd_config, server_names), 0, 0, NULL, "", 0},
    {"mqtt", "broker", RP_CONFIG_STRING,
     offsetof(struct rd_config, mqtt_broker), 0, 0, NULL, "", 0},
    {"mqtt", "keepalive", RP_CONFIG_DURATION,
     offsetof(struct rd_config, mqtt_keepalive), 5, 3600, NULL, NULL, 0},
    {"mqtt", "queue_max", RP_CONFIG_INT,
     offsetof(struct rd_config, mqtt_queue_max), 16, 1000000, NULL, NULL, 0},
    {"mqtt", "batch_max", RP_CONFIG_INT,
     offsetof(struct rd_config, mqtt_batch_max), 1, 100000, NULL, NULL, 0},
    {"mqtt", "batch_ms", RP_CONFIG_INT,
     offsetof(struct rd_config, mqtt_batch_ms), 1, 10000, NULL, NULL, 0},
    {"mqtt", "telemetry_keep", RP_CONFIG_INT,
     offsetof(struct rd_config, mqtt_telemetry_keep), 0, 100000000, NULL, NULL,
     0},
    {"mqtt", "events_keep", RP_CONFIG_INT,
     offsetof(struct rd_config, mqtt_events_keep), 0, 100000000, NULL, NULL, 0},
    {"http", "public_url", RP_CONFIG_STRING,
     offsetof(struct rd_config, public_url), 0, 0, NULL, "", 0},
    {"releases", "max_image_size", RP_CONFIG_SIZE,
     offsetof(struct rd_config, release_max_image), 4096,
     (int64_t)64 * 1024 * 1024 * 1024, NULL, NULL, 0},
    {"releases", "upload_idle", RP_CONFIG_DURATION,
     offsetof(struct rd_config, release_upload_idle), 1, 7 * DAY, NULL, NULL,
     0},
    {"firmware", "max_downloads_per_device", RP_CONFIG_INT,
     offsetof(struct rd_config, fw_max_downloads), 1, 1000, NULL, NULL, 0},
};

#define NKEYS (sizeof keys / sizeof keys[0])

static void defaults(struct rd_config *c)
{
	memset(c, 0, sizeof *c);
	c->port = 8443;
	c->refusal_rate = 10;        /* refusals recorded per peer and second */
	c->refusal_burst = 100;      /* ... and at once */
	c->refusal_total_rate = 200; /* ... all peers together */
	c->refusal_total_burst = 1000; /* ... and at once */
	c->est_max_body = 16 * 1024;
	c->admin_max_body = 4 * 1024 * 1024;
	c->device_lifetime = 90 * DAY;
	c->renew_window = 30 * DAY;
	c->claim_max_lifetime = 365 * DAY;
	c->crl_lifetime = 7 * DAY;
	c->server_cert_lifetime = 365 * DAY;
	c->mqtt_keepalive = 60;
	c->mqtt_queue_max = 10000;
	c->mqtt_batch_max = 1000;
	c->mqtt_batch_ms = 100;
	c->mqtt_telemetry_keep = 1000;
	c->mqtt_events_keep = 10000;
	c->release_max_image = 512 * 1024 * 1024;
	c->release_upload_idle = 3600;
	c->fw_max_downloads = 2; /* a device's downloads at once */
}

/* [http] public_url: "" or https://HOST[:PORT][/PATH], no trailing '/',
 * short enough for a download URL of it ("/fw/v1/" and a release id) to
 * fit in RP_URL_MAX. */
#define PUBLIC_URL_MAX (RP_URL_MAX - 8 - 64)

static bool public_url_valid(const char *u)
{
	size_t n = strlen(u), i;

	if (n == 0)
		return true;
	if (n > PUBLIC_URL_MAX || strncmp(u, "https://", 8) != 0 || n == 8 ||
	    u[n - 1] == '/')
		return false;
	for (i = 0; i < n; i++)
		if (u[i] <= ' ' || u[i] > '~')
			return false;
	return true;
}

/* Is listen the any-address (0.0.0.0, ::, ...)? Not an address devices
 * can reach rampartd at: a download URL needs [http] public_url. */
static bool listen_wildcard(const char *listen)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, listen, &a4) == 1)
		return a4.s_addr == htonl(INADDR_ANY);
	return inet_pton(AF_INET6, listen, &a6) == 1 &&
	       IN6_IS_ADDR_UNSPECIFIED(&a6);
}

#define WILDCARD_MSG                                                      \
	"listen is a wildcard address: set [http] public_url to the URL " \
	"devices reach rampartd at"

static void config_diag(struct rp_config_diag *diag, const char *path,
                        const char *msg)
{
	if (diag == NULL)
		return;
	snprintf(diag->file, sizeof diag->file, "%s",
	         path ? path : "(defaults)");
	diag->line = 0;
	snprintf(diag->msg, sizeof diag->msg, "%s", msg);
	snprintf(diag->text, sizeof diag->text, "%s: %s", diag->file,
	         diag->msg);
}

rp_err rd_config_load(const char *path, struct rd_config *c,
                      struct rp_config_diag *diag)
{
	rp_err rc;

	defaults(c);
	if (path == NULL)
		rc = rp_config_parse(keys, NKEYS, "", 0, "(defaults)", c, diag);
	else
		rc = rp_config_load(keys, NKEYS, path, c, diag);
	if (rc == RP_OK && !public_url_valid(c->public_url)) {
		char msg[160];

		snprintf(msg, sizeof msg,
		         "[http] public_url must be https://HOST[:PORT][/PATH] "
		         "without a trailing '/', at most %d characters",
		         PUBLIC_URL_MAX);
		config_diag(diag, path, msg);
		rd_config_free(c);
		rc = RP_E_CONFIG_BAD_VALUE;
	} else if (rc == RP_OK && c->public_url[0] == '\0' &&
	           listen_wildcard(c->listen)) {
		config_diag(diag, path, WILDCARD_MSG);
		rd_config_free(c);
		rc = RP_E_CONFIG_BAD_VALUE;
	}
	return rc;
}

rp_err rd_public_url(const struct rd_config *c, const char *listen, int port,
                     char *out, size_t cap)
{
	bool v6 = strchr(listen, ':') != NULL;
	rp_err rc = RP_OK;
	int n;

	if (c->public_url != NULL && c->public_url[0] != '\0') {
		n = snprintf(out, cap, "%s", c->public_url);
	} else if (listen_wildcard(listen)) { /* --listen 0.0.0.0 */
		rc = RP_E_CONFIG_BAD_VALUE;
		goto out;
	} else {
		n = snprintf(out, cap, "https://%s%s%s:%d", v6 ? "[" : "",
		             listen, v6 ? "]" : "", port);
	}
	if (n < 0 || (size_t)n >= cap || n > PUBLIC_URL_MAX)
		rc = RP_E_INVAL;
out:
	return rc;
}

void rd_config_free(struct rd_config *c)
{
	rp_config_free(keys, NKEYS, c);
}
