/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rampart_auth.c - the Mosquitto 2.0 plugin (API v5) that makes the broker
 * Rampart's. The identity is the client certificate's profile (the role it
 * may ask for: device, service or monitor, read from its EKU and SAN by
 * lib/proto/broker_cert.c) plus its CN, plus for a service or monitor the pin
 * of its public key; never the CN alone. It is decided against the fleet-state
 * snapshot rampartd writes (lib/proto/broker_snapshot.c) by one function, at
 * connect and again for every open session at each reload. The client id must
 * equal the CN; topics follow the one ACL table (lib/proto/broker_acl.c); a
 * reload (notified on RP_BROKER_TOPIC_RELOAD, or the file seen changed) cuts
 * every open session that lost its right; every refusal is counted and
 * published, rate-limited, on RP_BROKER_TOPIC_REFUSALS. docs/transport.md is
 * the contract ("What binds each role").
 *
 * Relies on (Mosquitto 2.0.11, see docs/transport.md): require_certificate
 * true and use_identity_as_username false (else BASIC_AUTH never runs),
 * per_listener_settings false (else TICK never runs). Memory: mosquitto_*
 * allocators; nothing the broker owns is freed here.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>
#include <openssl/x509.h>

#include "rampart/broker.h"

#define PLUGIN_EXPORT __attribute__((visibility("default")))

/* Refusal reasons (docs/transport.md, "Refusal events"). */
enum reason {
	R_TLS,     /* handshake failed: no/untrusted/expired cert, TLS<1.2 */
	R_NO_CERT, /* no certificate reached the plugin (misconfiguration) */
	R_BAD_CN,  /* no single CN, or not a valid id */
	R_BAD_CLIENT_ID,  /* client id missing, has + # /, or is not the CN */
	R_CERT_REVOKED,   /* this certificate's serial is revoked */
	R_UNKNOWN,        /* CN not in the snapshot */
	R_REVOKED,        /* device state revoked */
	R_DECOMMISSIONED, /* device state decommissioned */
	R_ACL,            /* publish/subscribe/delivery outside the ACL */
	/* appended (the status event lists the counts in this order) */
	R_BAD_PROFILE, /* the certificate matches no profile exactly */
	R_UNPINNED,    /* service/monitor profile, id and key not listed */
	R_COUNT
};

static const char *const reason_names[R_COUNT] = {
    "tls",          "no_cert",     "bad_cn",  "bad_client_id",
    "cert_revoked", "unknown",     "revoked", "decommissioned",
    "acl",          "bad_profile", "unpinned"};

struct session {
	struct session *next;
	const struct mosquitto *client; /* compared, never dereferenced */
	struct rp_broker_peer peer;     /* profile, id (the key), serial, pin */
	char addr[48];                  /* client address at connect */
	bool offline; /* disconnected, its persistent (MQTT 3.x) session kept */
};

struct plugin {
	mosquitto_plugin_id_t *pid;
	char *path; /* plugin_opt_snapshot */
	rp_broker_snapshot *snap;
	struct stat snap_st; /* of the file last loaded */
	long poll_ms;        /* plugin_opt_poll_ms; 0 = never */
	struct timespec last_poll;
	/* sessions that passed BASIC_AUTH, by client id */
	struct session **buckets;
	size_t nbuckets, nsessions;
	/* refusals: counters and a token bucket */
	unsigned long long counts[R_COUNT];
	double rate, burst, tokens; /* plugin_opt_refusal_rate / _burst */
	struct timespec last_refill;
	unsigned long long suppressed;
	/* kicks that could not run inside the callback that decided them */
	char (*deferred)[RP_BROKER_ID_MAX + 1];
	size_t ndeferred;
	unsigned long long reloads, kicks;
};

static const struct rp_broker_alloc mosq_alloc = {mosquitto_calloc,
                                                  mosquitto_free};

static double elapsed_s(const struct timespec *from, const struct timespec *to)
{
	return (double)(to->tv_sec - from->tv_sec) +
	       (double)(to->tv_nsec - from->tv_nsec) / 1e9;
}

static void now(struct timespec *t)
{
	clock_gettime(CLOCK_MONOTONIC, t);
}

/* ---- refusal events ------------------------------------------------- */

/* Append s as a JSON string (or null) to buf; attacker bytes are escaped. */
static void json_str(char *buf, size_t cap, size_t *len, const char *s)
{
	size_t i;

	if (*len >= cap)
		return;
	if (s == NULL) {
		*len += (size_t)snprintf(buf + *len, cap - *len, "null");
		return;
	}
	*len += (size_t)snprintf(buf + *len, cap - *len, "\"");
	for (i = 0; s[i] != '\0' && i < 256 && *len < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			*len +=
			    (size_t)snprintf(buf + *len, cap - *len, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			*len += (size_t)snprintf(buf + *len, cap - *len,
			                         "\\u%04x", c);
		else
			*len +=
			    (size_t)snprintf(buf + *len, cap - *len, "%c", c);
	}
	if (*len < cap)
		*len += (size_t)snprintf(buf + *len, cap - *len, "\"");
}

/* Refill the bucket; true if a token was taken. */
static bool take_token(struct plugin *p)
{
	struct timespec t;

	now(&t);
	p->tokens += elapsed_s(&p->last_refill, &t) * p->rate;
	if (p->tokens > p->burst)
		p->tokens = p->burst;
	p->last_refill = t;
	if (p->tokens < 1.0)
		return false;
	p->tokens -= 1.0;
	return true;
}

static void publish(const char *topic, const char *json, size_t len)
{
	mosquitto_broker_publish_copy(NULL, topic, (int)len, json, 0, false,
	                              NULL);
}

/* Publish the count of refusals the rate limit held back, if a token allows. */
static void flush_suppressed(struct plugin *p)
{
	char buf[128];
	int n;

	if (p->suppressed == 0 || !take_token(p))
		return;
	n = snprintf(buf, sizeof buf,
	             "{\"reason\":\"suppressed\",\"count\":%llu}",
	             p->suppressed);
	mosquitto_log_printf(MOSQ_LOG_WARNING,
	                     "rampart: %llu refusal events suppressed",
	                     p->suppressed);
	p->suppressed = 0;
	publish(RP_BROKER_TOPIC_REFUSALS, buf, (size_t)n);
}

/*
 * Count a refusal and publish it unless the rate limit says no (then only
 * counted; the number held back is published when tokens return).
 * action: "connect", "publish", "subscribe", "read", "kick". detail: a
 * static string (never attacker bytes) for the log line only, or NULL.
 */
static void refuse(struct plugin *p, enum reason r, const char *action,
                   const char *id, const char *address, const char *topic,
                   const char *detail)
{
	char buf[1024];
	size_t len = 0;

	p->counts[r]++;
	flush_suppressed(p);
	if (!take_token(p)) {
		p->suppressed++;
		return;
	}
	len += (size_t)snprintf(buf, sizeof buf, "{\"reason\":\"%s\",",
	                        reason_names[r]);
	len += (size_t)snprintf(buf + len, sizeof buf - len,
	                        "\"action\":\"%s\",\"id\":", action);
	json_str(buf, sizeof buf, &len, id);
	if (len < sizeof buf)
		len += (size_t)snprintf(buf + len, sizeof buf - len,
		                        ",\"address\":");
	json_str(buf, sizeof buf, &len, address);
	if (topic != NULL && len < sizeof buf) {
		len += (size_t)snprintf(buf + len, sizeof buf - len,
		                        ",\"topic\":");
		json_str(buf, sizeof buf, &len, topic);
	}
	if (len < sizeof buf)
		len += (size_t)snprintf(buf + len, sizeof buf - len,
		                        ",\"count\":%llu}", p->counts[r]);
	if (len >= sizeof buf) /* cannot happen: fields are bounded */
		return;
	mosquitto_log_printf(MOSQ_LOG_NOTICE, "rampart: refused %s%s%s%s", buf,
	                     detail ? " (" : "", detail ? detail : "",
	                     detail ? ")" : "");
	publish(RP_BROKER_TOPIC_REFUSALS, buf, len);
}

/* ---- sessions ------------------------------------------------------- */

static size_t id_hash(const char *s)
{
	size_t h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static struct session **session_slot(struct plugin *p, const char *id)
{
	struct session **s = &p->buckets[id_hash(id) & (p->nbuckets - 1)];

	while (*s != NULL && strcmp((*s)->peer.id, id) != 0)
		s = &(*s)->next;
	return s;
}

static void sessions_grow(struct plugin *p)
{
	size_t n = p->nbuckets * 2, i;
	struct session **b = mosquitto_calloc(n, sizeof *b), *s, *next;

	if (b == NULL)
		return; /* keep the old table: longer chains, still correct */
	for (i = 0; i < p->nbuckets; i++) {
		for (s = p->buckets[i]; s != NULL; s = next) {
			next = s->next;
			s->next = b[id_hash(s->peer.id) & (n - 1)];
			b[id_hash(s->peer.id) & (n - 1)] = s;
		}
	}
	mosquitto_free(p->buckets);
	p->buckets = b;
	p->nbuckets = n;
}

/*
 * Remember (or take over) the session of peer->id: the whole peer, so
 * that a reload decides it again as at connect. false: out of memory.
 */
static bool session_put(struct plugin *p, const struct mosquitto *client,
                        const struct rp_broker_peer *peer, const char *addr)
{
	struct session **slot = session_slot(p, peer->id), *s = *slot;

	if (s == NULL) {
		s = mosquitto_calloc(1, sizeof *s); /* owner: the table */
		if (s == NULL)
			return false;
		*slot = s;
		p->nsessions++;
	}
	s->client = client;
	s->offline = false;
	s->peer = *peer;
	snprintf(s->addr, sizeof s->addr, "%s", addr ? addr : "");
	if (p->nsessions > 2 * p->nbuckets)
		sessions_grow(p);
	return true;
}

/* ---- identity ------------------------------------------------------- */

/*
 * Whether a peer may hold a session under the current snapshot; *why when
 * it may not. The one decision, at connect and for every open session at
 * each reload: the profile picks the table (rp_broker_snapshot_decide), so
 * a device certificate is never looked up among services or monitors,
 * whatever its CN, and a service or monitor needs its key pinned.
 */
static bool admit_as(const struct plugin *p, const struct rp_broker_peer *peer,
                     enum reason *why, enum rp_broker_role *rolep,
                     enum rp_broker_state *stp);

static bool admit(const struct plugin *p, const struct rp_broker_peer *peer,
                  enum reason *why)
{
	enum rp_broker_role role;
	enum rp_broker_state st;

	return admit_as(p, peer, why, &role, &st);
}

/* admit(), also giving the role and state it decided (the ACL check's). */
static bool admit_as(const struct plugin *p, const struct rp_broker_peer *peer,
                     enum reason *why, enum rp_broker_role *rolep,
                     enum rp_broker_state *stp)
{
	enum rp_broker_role role;
	enum rp_broker_state st;

	*rolep = RP_BROKER_ROLE_NONE;
	*stp = RP_BROKER_UNKNOWN;
	if (rp_broker_snapshot_serial_revoked(p->snap, peer->serial)) {
		*why = R_CERT_REVOKED;
		return false;
	}
	rp_broker_snapshot_decide(p->snap, peer, &role, &st);
	*rolep = role;
	*stp = st;
	if (peer->profile == RP_BROKER_ROLE_SERVICE ||
	    peer->profile == RP_BROKER_ROLE_MONITOR) {
		if (role == peer->profile)
			return true;
		*why = R_UNPINNED;
		return false;
	}
	if (peer->profile == RP_BROKER_ROLE_DEVICE &&
	    role == RP_BROKER_ROLE_DEVICE &&
	    (st == RP_BROKER_ACTIVE || st == RP_BROKER_QUARANTINED))
		return true;
	*why = role != RP_BROKER_ROLE_DEVICE    ? R_UNKNOWN
	       : st == RP_BROKER_REVOKED        ? R_REVOKED
	       : st == RP_BROKER_DECOMMISSIONED ? R_DECOMMISSIONED
	                                        : R_UNKNOWN;
	return false;
}

static bool snapshot_changed(const struct plugin *p);
static void reload(struct plugin *p, const char *why,
                   const struct mosquitto *self);

static int on_basic_auth(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_basic_auth *e = event_data;
	struct plugin *p = userdata;
	const char *addr = mosquitto_client_address(e->client);
	const char *cid = mosquitto_client_id(e->client);
	X509 *cert = mosquitto_client_certificate(e->client); /* a reference */
	struct rp_broker_peer peer;
	const char *detail = NULL;
	enum reason why;
	int rc = MOSQ_ERR_AUTH;
	bool ok;
	rp_err err;

	(void)event;
	if (cert == NULL) {
		refuse(p, R_NO_CERT, "connect", cid, addr, NULL, NULL);
		goto out;
	}
	/* From the certificate the handshake parsed: decoding it again would
	 * cost more than the rest of the connect path (broker.h). */
	err = rp_broker_peer_from_x509(cert, &peer, &detail);
	if (err == RP_E_CERT_PROFILE) {
		refuse(p, R_BAD_PROFILE, "connect",
		       peer.id[0] != '\0' ? peer.id : cid, addr, NULL, detail);
		goto out;
	}
	if (err != RP_OK) {
		refuse(p, R_BAD_CN, "connect", cid, addr, NULL, detail);
		goto out;
	}
	/* The client id is the identity: never a wildcard, never another's. */
	if (cid == NULL || strpbrk(cid, "+#/") != NULL ||
	    strcmp(cid, peer.id) != 0) {
		refuse(p, R_BAD_CLIENT_ID, "connect", cid, addr, NULL, NULL);
		goto out;
	}
	/*
	 * Decided here, before Mosquitto hands the client id over
	 * (connect__on_authorised): a refused connection never cuts the
	 * session that holds the id it asked for.
	 */
	/*
	 * A service or monitor key the snapshot does not pin yet: rampartd
	 * may have just written its new pin while it could not announce it
	 * (it announces over the very session this key opens; with the file
	 * poll off nothing else would). Load a replaced file once, then
	 * decide again: the cost is a stat(2) per such refusal.
	 */
	ok = admit(p, &peer, &why);
	if (!ok && why == R_UNPINNED && snapshot_changed(p)) {
		reload(p, "unpinned", NULL);
		ok = admit(p, &peer, &why);
	}
	if (!ok) {
		refuse(p, why, "connect", peer.id, addr, NULL, NULL);
		goto out;
	}
	/* Pin the username to the CN: whatever the client sent is replaced. */
	if (mosquitto_set_username(e->client, peer.id) != MOSQ_ERR_SUCCESS ||
	    !session_put(p, e->client, &peer, addr)) {
		mosquitto_log_printf(MOSQ_LOG_ERR, "rampart: out of memory");
		goto out;
	}
	rc = MOSQ_ERR_SUCCESS;
out:
	X509_free(cert);
	return rc;
}

/*
 * The session admit() let in for this very client, or NULL: a client the
 * plugin never admitted (e.g. one on a listener where BASIC_AUTH does not
 * run, such as use_identity_as_username, whose username Mosquitto took
 * from the certificate) has none, whatever its username or client id.
 */
static struct session *admitted(struct plugin *p,
                                const struct mosquitto *client)
{
	const char *cid = mosquitto_client_id(client);
	struct session *s;

	if (cid == NULL)
		return NULL;
	s = *session_slot(p, cid);
	return s != NULL && s->client == client ? s : NULL;
}

/*
 * The role and state a client holds now: its admitted session's peer
 * decided again against the current snapshot (O(1)), so a reload that
 * takes a right away takes it at the next message, before the kick.
 */
static void client_role(struct plugin *p, const struct mosquitto *client,
                        const char **id, enum rp_broker_role *role,
                        enum rp_broker_state *st)
{
	struct session *s = admitted(p, client);
	enum reason why;

	*role = RP_BROKER_ROLE_NONE;
	*st = RP_BROKER_UNKNOWN;
	*id = s != NULL ? s->peer.id : mosquitto_client_username(client);
	if (s != NULL && !admit_as(p, &s->peer, &why, role, st)) {
		*role = RP_BROKER_ROLE_NONE;
		*st = RP_BROKER_UNKNOWN;
	}
}

static int on_acl_check(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_acl_check *e = event_data;
	struct plugin *p = userdata;
	enum rp_broker_role role;
	enum rp_broker_state st;
	const char *action, *id;

	(void)event;
	/*
	 * Never by the username or client id alone: only a session admit()
	 * let in has rights, and they are what its certificate's profile and
	 * key earn under the current snapshot (issue 9). The persistent
	 * session of a disconnected MQTT 3.x client (rampartd's) stays
	 * admitted, so that the broker keeps queueing its messages.
	 */
	client_role(p, e->client, &id, &role, &st);
	if (role != RP_BROKER_ROLE_NONE &&
	    rp_broker_acl_allows(role, st, id, e->topic, e->access))
		return MOSQ_ERR_SUCCESS;
	action = e->access == MOSQ_ACL_WRITE       ? "publish"
	         : e->access == MOSQ_ACL_SUBSCRIBE ? "subscribe"
	         : e->access == MOSQ_ACL_READ      ? "read"
	                                           : "other";
	refuse(p, R_ACL, action, id, mosquitto_client_address(e->client),
	       e->topic, NULL);
	return MOSQ_ERR_ACL_DENIED;
}

/* ---- reload and kick ------------------------------------------------ */

/* True if the snapshot file was replaced since it was last loaded. */
static bool snapshot_changed(const struct plugin *p)
{
	struct stat st;

	return stat(p->path, &st) == 0 &&
	       (st.st_ino != p->snap_st.st_ino ||
	        st.st_mtim.tv_sec != p->snap_st.st_mtim.tv_sec ||
	        st.st_mtim.tv_nsec != p->snap_st.st_mtim.tv_nsec ||
	        st.st_size != p->snap_st.st_size);
}

/* What to add to a load error's log line so that an operator can act. */
static const char *load_hint(rp_err rc)
{
	return rc == RP_E_UNSUPPORTED
	           ? "; not format 2: format 1 bound services by name only; "
	             "start rampartd of this release first, it rewrites the "
	             "file"
	           : "";
}

static void kick(struct plugin *p, const char *id)
{
	p->kicks++;
	mosquitto_kick_client_by_clientid(id, false);
}

static void status(struct plugin *p, const char *event, const char *why,
                   size_t kicked)
{
	char buf[1024];
	int n;

	n = snprintf(buf, sizeof buf,
	             "{\"event\":\"%s\",\"trigger\":\"%s\",\"seq\":%llu,"
	             "\"identities\":%zu,\"revoked_serials\":%zu,"
	             "\"kicked\":%zu,\"sessions\":%zu,\"reloads\":%llu,"
	             "\"refusals\":{",
	             event, why,
	             (unsigned long long)rp_broker_snapshot_seq(p->snap),
	             rp_broker_snapshot_count(p->snap, false),
	             rp_broker_snapshot_count(p->snap, true), kicked,
	             p->nsessions, p->reloads);
	for (size_t i = 0; i < R_COUNT && n > 0 && (size_t)n < sizeof buf; i++)
		n += snprintf(buf + n, sizeof buf - (size_t)n, "%s\"%s\":%llu",
		              i ? "," : "", reason_names[i], p->counts[i]);
	if (n > 0 && (size_t)n < sizeof buf)
		n += snprintf(buf + n, sizeof buf - (size_t)n, "}}");
	if (n > 0 && (size_t)n < sizeof buf)
		publish(RP_BROKER_TOPIC_STATUS, buf, (size_t)n);
}

/*
 * Load the snapshot again; on success cut every session that admit() no
 * longer lets in (device state, unknown id, revoked serial, a service or
 * monitor whose pin changed or whose line is gone). self: the client whose
 * message triggered this (or NULL); it is cut later, from TICK, as the
 * broker is still handling its packet. On failure the old table stays.
 */
static void reload(struct plugin *p, const char *why,
                   const struct mosquitto *self)
{
	rp_broker_snapshot *snap = NULL;
	char(*victims)[RP_BROKER_ID_MAX + 1] = NULL;
	struct session *s;
	struct stat st;
	size_t line = 0, i, n = 0;
	rp_err rc;

	if (stat(p->path, &st) != 0)
		memset(&st, 0, sizeof st);
	rc = rp_broker_snapshot_load(p->path, &mosq_alloc, &snap, &line);
	if (rc != RP_OK) {
		mosquitto_log_printf(
		    MOSQ_LOG_ERR,
		    "rampart: snapshot %s not reloaded (%s, "
		    "line %zu%s); keeping seq %llu",
		    p->path, rp_strerror(rc), line, load_hint(rc),
		    (unsigned long long)rp_broker_snapshot_seq(p->snap));
		status(p, "reload_failed", why, 0);
		return;
	}
	p->snap_st = st;
	rp_broker_snapshot_free(p->snap);
	p->snap = snap;
	p->reloads++;
	/* Decide first, kick after: a kick re-enters on_disconnect. */
	if (p->nsessions > 0)
		victims = mosquitto_calloc(p->nsessions, sizeof *victims);
	for (i = 0; victims != NULL && i < p->nbuckets; i++) {
		for (s = p->buckets[i]; s != NULL; s = s->next) {
			enum reason why_not;

			if (admit(p, &s->peer, &why_not) || s->offline)
				continue; /* an offline one has nothing to cut:
				             its rights end with admit()
				             (client_role) */
			refuse(p, why_not, "kick", s->peer.id, s->addr, NULL,
			       NULL);
			if (s->client == self) {
				void *d = mosquitto_realloc(
				    p->deferred,
				    (p->ndeferred + 1) * sizeof *p->deferred);
				if (d != NULL) {
					p->deferred = d;
					memcpy(p->deferred[p->ndeferred++],
					       s->peer.id, sizeof s->peer.id);
				}
				continue;
			}
			memcpy(victims[n], s->peer.id, sizeof s->peer.id);
			n++;
		}
	}
	if (victims == NULL && p->nsessions > 0) {
		/* Cannot tell whom to cut: cut everyone (fail closed); each
		 * reconnection is checked against the new snapshot. */
		mosquitto_log_printf(MOSQ_LOG_ERR,
		                     "rampart: out of memory in "
		                     "reload: cutting all sessions");
		mosquitto_kick_client_by_clientid(NULL, false);
	}
	for (i = 0; i < n; i++)
		kick(p, victims[i]);
	mosquitto_free(victims);
	mosquitto_log_printf(MOSQ_LOG_NOTICE,
	                     "rampart: snapshot seq %llu loaded (%s): %zu "
	                     "identities, %zu revoked serials, %zu sessions "
	                     "cut",
	                     (unsigned long long)rp_broker_snapshot_seq(snap),
	                     why, rp_broker_snapshot_count(snap, false),
	                     rp_broker_snapshot_count(snap, true), n);
	status(p, "reloaded", why, n);
}

static int on_message(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_message *e = event_data;
	struct plugin *p = userdata;
	enum rp_broker_role role;
	enum rp_broker_state st;
	const char *id;

	(void)event;
	if (e->topic == NULL || strcmp(e->topic, RP_BROKER_TOPIC_RELOAD) != 0)
		return MOSQ_ERR_SUCCESS;
	/* The ACL already allows this topic to the service only (never to a
	 * monitor or device); be sure. */
	client_role(p, e->client, &id, &role, &st);
	if (role == RP_BROKER_ROLE_SERVICE)
		reload(p, "notify", e->client);
	return MOSQ_ERR_SUCCESS;
}

static int on_tick(int event, void *event_data, void *userdata)
{
	struct plugin *p = userdata;
	struct timespec t;
	size_t i, n;

	(void)event;
	(void)event_data;
	n = p->ndeferred;
	p->ndeferred = 0;
	for (i = 0; i < n; i++) {
		const struct session *s = *session_slot(p, p->deferred[i]);
		enum reason why_not;

		/* The id may have changed hands since the reload (rampartd
		 * reconnecting with its renewed key): cut only a session the
		 * snapshot still refuses. */
		if (s != NULL && admit(p, &s->peer, &why_not))
			continue;
		kick(p, p->deferred[i]);
	}
	flush_suppressed(p);
	if (p->poll_ms <= 0)
		return MOSQ_ERR_SUCCESS;
	now(&t);
	if (elapsed_s(&p->last_poll, &t) * 1000.0 < (double)p->poll_ms)
		return MOSQ_ERR_SUCCESS;
	p->last_poll = t;
	/* A missed notification is caught here: the file was replaced. */
	if (snapshot_changed(p))
		reload(p, "poll", NULL);
	return MOSQ_ERR_SUCCESS;
}

static int on_disconnect(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_disconnect *e = event_data;
	struct plugin *p = userdata;
	const char *id = mosquitto_client_id(e->client);
	struct session **slot, *s;
	X509 *cert;

	(void)event;
	if (id != NULL) {
		slot = session_slot(p, id);
		s = *slot;
		/* A takeover leaves the newer session in place. An MQTT 3.x
		 * session without clean session outlives the connection (the
		 * broker keeps queueing for it, and it never expires in the
		 * configuration broker-config writes): it stays admitted until
		 * its client reconnects (session_put replaces it) or a reload
		 * takes its right. An MQTT 5 session's expiry is not visible
		 * here, so it ends with the connection. */
		if (s != NULL && s->client == e->client) {
			if (!mosquitto_client_clean_session(e->client) &&
			    mosquitto_client_protocol_version(e->client) < 5) {
				s->offline = true;
				return MOSQ_ERR_SUCCESS;
			}
			*slot = s->next;
			mosquitto_free(s);
			p->nsessions--;
		}
		return MOSQ_ERR_SUCCESS;
	}
	/*
	 * No id: the client never sent CONNECT. Without a verified
	 * certificate its TLS handshake failed (no certificate, another CA,
	 * expired, TLS below 1.2, not TLS at all): the broker refused it
	 * before any plugin call, and this is the one place we see it.
	 */
	cert = mosquitto_client_certificate(e->client);
	if (cert == NULL)
		refuse(p, R_TLS, "connect", NULL,
		       mosquitto_client_address(e->client), NULL, NULL);
	X509_free(cert);
	return MOSQ_ERR_SUCCESS;
}

static int on_reload(int event, void *event_data, void *userdata)
{
	(void)event;
	(void)event_data;
	reload(userdata, "sighup", NULL);
	return MOSQ_ERR_SUCCESS;
}

/* ---- plugin entry points -------------------------------------------- */

static bool opt_long(const char *v, long lo, long hi, long *out)
{
	char *end;
	long x;

	x = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || x < lo || x > hi)
		return false;
	*out = x;
	return true;
}

static void plugin_free(struct plugin *p)
{
	size_t i;
	struct session *s, *next;

	if (p == NULL)
		return;
	for (i = 0; p->buckets != NULL && i < p->nbuckets; i++) {
		for (s = p->buckets[i]; s != NULL; s = next) {
			next = s->next;
			mosquitto_free(s);
		}
	}
	mosquitto_free(p->buckets);
	mosquitto_free(p->deferred);
	mosquitto_free(p->path);
	rp_broker_snapshot_free(p->snap);
	mosquitto_free(p);
}

PLUGIN_EXPORT int mosquitto_plugin_version(int count, const int *versions);
PLUGIN_EXPORT int mosquitto_plugin_init(mosquitto_plugin_id_t *id,
                                        void **userdata,
                                        struct mosquitto_opt *opts, int nopts);
PLUGIN_EXPORT int
mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *opts, int nopts);

int mosquitto_plugin_version(int count, const int *versions)
{
	int i;

	for (i = 0; i < count; i++) {
		if (versions[i] == 5)
			return 5;
	}
	return -1;
}

static const struct {
	int event;
	MOSQ_FUNC_generic_callback cb;
} callbacks[] = {
    {MOSQ_EVT_BASIC_AUTH, on_basic_auth}, {MOSQ_EVT_ACL_CHECK, on_acl_check},
    {MOSQ_EVT_MESSAGE, on_message},       {MOSQ_EVT_TICK, on_tick},
    {MOSQ_EVT_DISCONNECT, on_disconnect}, {MOSQ_EVT_RELOAD, on_reload},
};

int mosquitto_plugin_init(mosquitto_plugin_id_t *id, void **userdata,
                          struct mosquitto_opt *opts, int nopts)
{
	struct plugin *p = mosquitto_calloc(1, sizeof *p);
	long rate = 20, burst = 100, poll = 1000;
	size_t line = 0, i = 0;
	int k, rc = MOSQ_ERR_INVAL;
	rp_err err;

	if (p == NULL)
		return MOSQ_ERR_NOMEM;
	for (k = 0; k < nopts; k++) {
		const char *key = opts[k].key, *v = opts[k].value;
		bool ok = true;

		if (strcmp(key, "snapshot") == 0) {
			mosquitto_free(p->path);
			p->path = mosquitto_strdup(v);
		} else if (strcmp(key, "refusal_rate") == 0) {
			ok = opt_long(v, 1, 100000, &rate);
		} else if (strcmp(key, "refusal_burst") == 0) {
			ok = opt_long(v, 1, 1000000, &burst);
		} else if (strcmp(key, "poll_ms") == 0) {
			ok = opt_long(v, 0, 3600000, &poll);
		} else {
			ok = false;
		}
		if (!ok) {
			mosquitto_log_printf(MOSQ_LOG_ERR,
			                     "rampart: bad plugin_opt_%s", key);
			goto out;
		}
	}
	if (p->path == NULL) {
		mosquitto_log_printf(
		    MOSQ_LOG_ERR, "rampart: plugin_opt_snapshot is required");
		goto out;
	}
	p->pid = id;
	p->rate = (double)rate;
	p->burst = p->tokens = (double)burst;
	p->poll_ms = poll;
	now(&p->last_refill);
	p->last_poll = p->last_refill;
	p->nbuckets = 1024;
	p->buckets = mosquitto_calloc(p->nbuckets, sizeof *p->buckets);
	if (p->buckets == NULL) {
		rc = MOSQ_ERR_NOMEM;
		goto out;
	}
	/* Fail closed: without a fleet state the broker does not start. */
	if (stat(p->path, &p->snap_st) != 0)
		memset(&p->snap_st, 0, sizeof p->snap_st);
	err = rp_broker_snapshot_load(p->path, &mosq_alloc, &p->snap, &line);
	if (err != RP_OK) {
		mosquitto_log_printf(MOSQ_LOG_ERR,
		                     "rampart: cannot load snapshot %s: %s "
		                     "(line %zu%s)",
		                     p->path, rp_strerror(err), line,
		                     load_hint(err));
		goto out;
	}
	for (i = 0; i < sizeof callbacks / sizeof callbacks[0]; i++) {
		if (mosquitto_callback_register(id, callbacks[i].event,
		                                callbacks[i].cb, NULL,
		                                p) != MOSQ_ERR_SUCCESS) {
			mosquitto_log_printf(MOSQ_LOG_ERR,
			                     "rampart: cannot register event "
			                     "%d",
			                     callbacks[i].event);
			goto out;
		}
	}
	mosquitto_log_printf(
	    MOSQ_LOG_NOTICE,
	    "rampart: snapshot seq %llu loaded (start): %zu "
	    "identities, %zu revoked serials",
	    (unsigned long long)rp_broker_snapshot_seq(p->snap),
	    rp_broker_snapshot_count(p->snap, false),
	    rp_broker_snapshot_count(p->snap, true));
	*userdata = p;
	rc = MOSQ_ERR_SUCCESS;
out:
	if (rc != MOSQ_ERR_SUCCESS) {
		while (i-- > 0 && i < sizeof callbacks / sizeof callbacks[0])
			mosquitto_callback_unregister(id, callbacks[i].event,
			                              callbacks[i].cb, NULL);
		plugin_free(p);
	}
	return rc;
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *opts,
                             int nopts)
{
	struct plugin *p = userdata;
	size_t i;

	(void)opts;
	(void)nopts;
	if (p == NULL)
		return MOSQ_ERR_SUCCESS;
	for (i = 0; i < sizeof callbacks / sizeof callbacks[0]; i++)
		mosquitto_callback_unregister(p->pid, callbacks[i].event,
		                              callbacks[i].cb, NULL);
	plugin_free(p);
	return MOSQ_ERR_SUCCESS;
}
