/* SPDX-License-Identifier: Apache-2.0 */
/*
 * broker.h - what rampartd and the Mosquitto plugin (plugin/rampart_auth.so)
 * share: the fleet-state snapshot (a text file rampartd writes atomically
 * after every state change and the plugin loads into a hash table), and the
 * topic ACL (one table of templates, lib/proto/broker_acl.c, mirrored in
 * docs/transport.md). Pure C, no Mosquitto headers: unit-tested and fuzzed
 * on its own.
 */
#ifndef RAMPART_BROKER_H
#define RAMPART_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rampart/err.h"
#include "rampart/export.h"

/* Ids (= certificate CN): 1..64 of A-Z a-z 0-9 . _ - */
#define RP_BROKER_ID_MAX 64
/*
 * Reserved ids: every id that begins with "rampart", in any mix of case,
 * names one of Rampart's own identities and never a device. The service
 * and monitor ids must be reserved ones, device ids must not be: so the
 * two namespaces cannot meet (docs/transport.md, "What binds each role").
 */
#define RP_BROKER_RESERVED_PREFIX "rampart"
#define RP_BROKER_SERVICE_ID      "rampartd"        /* rampartd's client */
#define RP_BROKER_MONITOR_ID      "rampart-monitor" /* operators' watcher */
/* Certificate serials: canonical lower-case hex, no leading zeros, 1..40. */
#define RP_BROKER_SERIAL_MAX 40
/* A snapshot file larger than this is refused (16 MiB: ~200 000 devices). */
#define RP_BROKER_SNAPSHOT_MAX (16u * 1024 * 1024)

/* The topics the plugin itself uses (service role; monitors may read
 * refusals and status). */
#define RP_BROKER_TOPIC_RELOAD   "rampart/v1/svc/broker/reload"
#define RP_BROKER_TOPIC_REFUSALS "rampart/v1/svc/broker/refusals"
#define RP_BROKER_TOPIC_STATUS   "rampart/v1/svc/broker/status"

enum rp_broker_state {
	RP_BROKER_UNKNOWN = 0, /* not in the snapshot */
	RP_BROKER_ACTIVE = 1,
	RP_BROKER_QUARANTINED = 2,
	RP_BROKER_REVOKED = 3,
	RP_BROKER_DECOMMISSIONED = 4,
};

enum rp_broker_role {
	RP_BROKER_ROLE_NONE = 0,
	RP_BROKER_ROLE_DEVICE = 1,
	RP_BROKER_ROLE_SERVICE = 2, /* rampartd's own connection */
	RP_BROKER_ROLE_MONITOR = 3, /* an operator's read-only watcher */
};

/* Access kinds; the values are Mosquitto's MOSQ_ACL_* (mosquitto.h). */
enum rp_broker_access {
	RP_BROKER_READ = 1,        /* a message is delivered to the client */
	RP_BROKER_WRITE = 2,       /* the client publishes */
	RP_BROKER_SUBSCRIBE = 4,   /* the client subscribes to a filter */
	RP_BROKER_UNSUBSCRIBE = 8, /* always allowed */
};

/* Name of a state ("active", ...; "unknown"); never NULL. */
RP_API const char *rp_broker_state_name(enum rp_broker_state s);

/* True if s[0..len) is a valid id (charset above, 1..64). */
RP_API bool rp_broker_id_valid(const char *s, size_t len);

/* True if s[0..len) begins with RP_BROKER_RESERVED_PREFIX in any case. */
RP_API bool rp_broker_id_reserved(const char *s, size_t len);

/*
 * THE device-id rule, the one place it lives: every place a device id
 * enters (allowlist import, EST enrollment and renewal, the admin API, the
 * CA, the snapshot, the plugin, MQTT ingest) calls this. RP_OK: a valid,
 * unreserved id. RP_E_SYNTAX: empty, longer than 64, or a character
 * outside A-Z a-z 0-9 . _ -. RP_E_RESERVED: reserved (above). why (cap
 * bytes; may be NULL with cap 0) gets, on failure, one sentence that
 * names the id (non-printable bytes shown as '?', cut at 64) and the
 * mistake, e.g. "'rampartd' is reserved for the server (ids beginning
 * with \"rampart\" name Rampart's own identities)".
 */
RP_API RP_WARN_UNUSED rp_err rp_broker_device_id_check(const char *s,
                                                       size_t len, char *why,
                                                       size_t cap);

/*
 * Canonicalise a certificate serial given as big-endian bytes (as from
 * ASN1_INTEGER / BN_bn2bin) into lower-case hex without leading zeros
 * ("0" for zero). out must hold RP_BROKER_SERIAL_MAX + 1 bytes.
 * RP_E_RANGE if the serial is longer than 20 bytes after leading zeros.
 */
RP_API RP_WARN_UNUSED rp_err rp_broker_serial_hex(
    const uint8_t *be, size_t len, char out[RP_BROKER_SERIAL_MAX + 1]);

/*
 * The ACL decision (one table of templates, lib/proto/broker_acl.c). id is the
 * client's own id (its CN, already validated); topic is the topic of a
 * publish/delivery or the filter of a subscription. O(length of topic):
 * no lookup proportional to the fleet. Only ACTIVE and QUARANTINED devices,
 * services and monitors have any access; unsubscribing is always allowed
 * for them. A monitor may subscribe and receive, never publish.
 */
RP_API bool rp_broker_acl_allows(enum rp_broker_role role,
                                 enum rp_broker_state state, const char *id,
                                 const char *topic, int access);

/* ---- client certificates: the profile that asks for a role ---------- */

/*
 * A role is never decided by a name. The issuing CA gives each role its
 * own certificate profile, and the plugin reads the profile, not the CN,
 * to know which table of the snapshot may grant the certificate anything:
 *
 *   device   EKU exactly {clientAuth}; SAN exactly one URI
 *            RP_BROKER_URI_DEVICE + CN; CN not reserved.
 *   service  EKU exactly {clientAuth, RP_BROKER_OID_SERVICE}; SAN exactly
 *            one URI RP_BROKER_URI_SERVICE + CN; CN reserved.
 *   monitor  EKU exactly {clientAuth, RP_BROKER_OID_MONITOR}; SAN exactly
 *            one URI RP_BROKER_URI_MONITOR + CN; CN reserved.
 *
 * rampartd's CA issues device certificates only through the device
 * profile (ca_issue_device never copies a CSR's extensions and refuses a
 * reserved id). A service or monitor right needs, on top of its profile,
 * the exact public key the snapshot pins for that id (below): a
 * certificate mis-issued with the right profile still lacks the key.
 */
#define RP_BROKER_OID_ARC     "2.25.137553760100012191238587036453560585111"
#define RP_BROKER_OID_SERVICE RP_BROKER_OID_ARC ".3" /* EKU: service */
#define RP_BROKER_OID_MONITOR RP_BROKER_OID_ARC ".4" /* EKU: monitor */
#define RP_BROKER_URI_DEVICE  "urn:rampart:device:"
#define RP_BROKER_URI_SERVICE "urn:rampart:service:"
#define RP_BROKER_URI_MONITOR "urn:rampart:monitor:"
/* A pin: SHA-256 of the DER SubjectPublicKeyInfo (RFC 7469's pin-sha256). */
#define RP_BROKER_PIN_LEN 32

/* What a verified client certificate presents. */
struct rp_broker_peer {
	enum rp_broker_role profile;           /* the role its profile is for */
	char id[RP_BROKER_ID_MAX + 1];         /* its single CN */
	char serial[RP_BROKER_SERIAL_MAX + 1]; /* canonical hex */
	uint8_t pin[RP_BROKER_PIN_LEN];        /* of its public key */
};

/*
 * Read a client certificate (DER, as the TLS handshake verified it; the
 * chain is not checked here) into *out. RP_OK: out->profile is DEVICE,
 * SERVICE or MONITOR and every field is set. RP_E_CERT_SUBJECT: not
 * exactly one CN, or the CN is not a valid id. RP_E_CERT_PROFILE: the
 * extensions match no profile exactly, or a device profile carries a
 * reserved id, or a service/monitor profile an unreserved one.
 * RP_E_SYNTAX: not a DER certificate (or bytes after it); RP_E_RANGE: a
 * serial over 20 octets; RP_E_NOMEM: no memory (OpenSSL's included) to
 * read it. On failure out->profile is NONE and out->id /
 * out->serial hold what could be read ("" otherwise), for the refusal
 * event; *why (if not NULL) a static string naming the mismatch.
 */
RP_API RP_WARN_UNUSED rp_err rp_broker_peer_from_der(const uint8_t *der,
                                                     size_t len,
                                                     struct rp_broker_peer *out,
                                                     const char **why);

/*
 * The same from a certificate OpenSSL has already parsed (OpenSSL's X509,
 * e.g. Mosquitto's verified peer certificate in the plugin): the same
 * rules and results, without encoding and decoding it again — decoding
 * the public key alone costs about 150 us, some 8 % of a broker's CPU per
 * TLS connection (docs/transport.md, "Benchmark"). cert NULL: RP_E_SYNTAX.
 */
struct x509_st;
RP_API RP_WARN_UNUSED rp_err rp_broker_peer_from_x509(
    struct x509_st *cert, struct rp_broker_peer *out, const char **why);

/* ---- the snapshot ---------------------------------------------------- */

/*
 * Allocator hooks, so that the plugin allocates with mosquitto_calloc.
 * NULL hooks (or a NULL struct) mean calloc/free.
 */
struct rp_broker_alloc {
	void *(*calloc_fn)(size_t nmemb, size_t size);
	void (*free_fn)(void *p);
};

typedef struct rp_broker_snapshot rp_broker_snapshot;

/*
 * Parse a snapshot (docs/transport.md has the grammar and a test vector)
 * into an immutable hash table. buf need not be NUL-terminated. On success
 * *out is the caller's, freed with rp_broker_snapshot_free(). On failure
 * *out is NULL and *err_line (if not NULL) is the 1-based line at fault
 * (0 when the whole file is at fault). Errors: RP_E_SYNTAX (bad line,
 * including a reserved device id or an unreserved service/monitor id),
 * RP_E_UNSUPPORTED (line 1 names another format version, e.g. format 1,
 * whose services carried no pin), RP_E_EXISTS (an id or serial listed
 * twice), RP_E_TRUNCATED (no or wrong "end" trailer), RP_E_TOO_BIG,
 * RP_E_NOMEM.
 */
RP_API RP_WARN_UNUSED rp_err rp_broker_snapshot_parse(
    const char *buf, size_t len, const struct rp_broker_alloc *alloc,
    rp_broker_snapshot **out, size_t *err_line);

/* Read and parse a snapshot file; as above, plus RP_E_IO / RP_E_NOT_FOUND. */
RP_API RP_WARN_UNUSED rp_err
rp_broker_snapshot_load(const char *path, const struct rp_broker_alloc *alloc,
                        rp_broker_snapshot **out, size_t *err_line);

RP_API void rp_broker_snapshot_free(rp_broker_snapshot *s);

/*
 * What the snapshot grants a peer (rp_broker_peer_from_der): the one
 * decision at connect and at every reload. Profile DEVICE: looked up among
 * the devices only, {DEVICE, its state} or {NONE, UNKNOWN}. Profile
 * SERVICE or MONITOR: {that role, ACTIVE} only if the snapshot lists this
 * id under that role with this pin, else {NONE, UNKNOWN}. Any other
 * profile: {NONE, UNKNOWN}. Revoked serials are a separate check
 * (rp_broker_snapshot_serial_revoked). O(1).
 */
RP_API void rp_broker_snapshot_decide(const rp_broker_snapshot *s,
                                      const struct rp_broker_peer *p,
                                      enum rp_broker_role *role,
                                      enum rp_broker_state *state);

/*
 * Role and state listed for an id: {SERVICE, ACTIVE}, {MONITOR, ACTIVE},
 * {DEVICE, its state}, or {NONE, UNKNOWN}. For the id of a session that
 * rp_broker_snapshot_decide() admitted (the plugin's ACL check): service
 * and monitor ids are reserved and device ids are not, so the role listed
 * for an admitted id is the one its certificate's profile and key earned.
 * O(1).
 */
RP_API void rp_broker_snapshot_lookup(const rp_broker_snapshot *s,
                                      const char *id, enum rp_broker_role *role,
                                      enum rp_broker_state *state);

/* True if the canonical hex serial is listed as revoked. O(1). */
RP_API bool rp_broker_snapshot_serial_revoked(const rp_broker_snapshot *s,
                                              const char *serial_hex);

/* The snapshot's generation number and counts (for logs and status). */
RP_API uint64_t rp_broker_snapshot_seq(const rp_broker_snapshot *s);
RP_API size_t rp_broker_snapshot_count(const rp_broker_snapshot *s,
                                       bool serials);

/* ---- the writer (rampartd) ------------------------------------------- */

struct rp_broker_device {
	const char *id;
	enum rp_broker_state state; /* ACTIVE .. DECOMMISSIONED */
};

/* A service or monitor identity: its reserved id and its key's pin. */
struct rp_broker_principal {
	const char *id;
	uint8_t pin[RP_BROKER_PIN_LEN];
};

struct rp_broker_fleet {
	uint64_t seq; /* increases with every write (e.g. a store counter) */
	const struct rp_broker_principal *services; /* the service role */
	size_t n_services;
	const struct rp_broker_device *devices;
	size_t n_devices;
	const char *const *revoked; /* canonical hex serials of revoked certs */
	size_t n_revoked;
	const struct rp_broker_principal *monitors; /* the monitor role */
	size_t n_monitors;
};

/*
 * Encode a fleet into snapshot text: *out is a malloc'd NUL-terminated
 * string the caller frees, *len its length. RP_E_INVAL if an id, state or
 * serial is not valid, a device id is reserved or a service/monitor id is
 * not (nothing is written then); RP_E_EXISTS if one repeats.
 */
RP_API RP_WARN_UNUSED rp_err rp_broker_snapshot_encode(
    const struct rp_broker_fleet *f, char **out, size_t *len);

/*
 * Write the snapshot atomically: encode, write to a temporary file in the
 * same folder, fsync, rename over path, fsync the folder. mode: the file's
 * permission bits (e.g. 0640; the broker's user must be able to read it).
 * rampartd calls this after every change of a device's state (enroll,
 * revoke, quarantine, release, decommission) and of any certificate's
 * revocation, then publishes to RP_BROKER_TOPIC_RELOAD.
 */
RP_API RP_WARN_UNUSED rp_err rp_broker_snapshot_write(
    const char *path, const struct rp_broker_fleet *f, unsigned mode);

#endif
