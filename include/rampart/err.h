/* SPDX-License-Identifier: Apache-2.0 */
/*
 * err.h - the one error type of librampart and its messages.
 *
 * Every fallible function returns an rp_err. RP_OK is 0; every other code
 * says something a user can act on. The list is an X-macro so that the enum
 * and the message table can never disagree. Codes are stable once released:
 * append, never renumber (docs/errors.md lists them).
 */
#ifndef RAMPART_ERR_H
#define RAMPART_ERR_H

#include "rampart/export.h"

/* X(name, value, message) */
#define RP_ERR_LIST(X)                                                         \
	X(RP_OK, 0, "success")                                                 \
	/* generic: 1..99 */                                                   \
	X(RP_E_INVAL, 1, "invalid argument")                                   \
	X(RP_E_NOMEM, 2, "out of memory")                                      \
	X(RP_E_IO, 3, "input/output error")                                    \
	X(RP_E_NOT_FOUND, 4, "not found")                                      \
	X(RP_E_EXISTS, 5, "already exists")                                    \
	X(RP_E_TOO_BIG, 6, "input exceeds its size limit")                     \
	X(RP_E_TRUNCATED, 7, "input ends too early")                           \
	X(RP_E_SYNTAX, 8, "syntax error")                                      \
	X(RP_E_RANGE, 9, "value out of range")                                 \
	X(RP_E_PERM, 10, "permission denied")                                  \
	X(RP_E_TIMEOUT, 11, "timed out")                                       \
	X(RP_E_CRYPTO, 12, "cryptographic library failure")                    \
	X(RP_E_UNSUPPORTED, 13, "not supported")                               \
	X(RP_E_STATE, 14, "operation not allowed in the current state")        \
	X(RP_E_INTERNAL, 15, "internal error")                                 \
	X(RP_E_BUFFER, 16, "output buffer too small")                          \
	X(RP_E_ENCODING, 17, "bad hex or base64 encoding")                     \
	/* configuration: 100..119 */                                          \
	X(RP_E_CONFIG_UNKNOWN_KEY, 100, "unknown configuration key")           \
	X(RP_E_CONFIG_UNKNOWN_SECTION, 101, "unknown configuration section")   \
	X(RP_E_CONFIG_BAD_VALUE, 102, "bad configuration value")               \
	X(RP_E_CONFIG_DUPLICATE, 103, "configuration key or section repeated") \
	X(RP_E_CONFIG_MISSING, 104, "required configuration key missing")      \
	/* firmware images: 200..249 */                                        \
	X(RP_E_IMAGE_MAGIC, 200, "not a Rampart image (bad magic)")            \
	X(RP_E_IMAGE_VERSION, 201, "unknown image format version")             \
	X(RP_E_IMAGE_HEADER, 202, "malformed image header")                    \
	X(RP_E_IMAGE_TRUNCATED, 203, "image truncated")                        \
	X(RP_E_IMAGE_TRAILING, 204, "trailing data after image")               \
	X(RP_E_IMAGE_HASH, 205, "payload hash mismatch")                       \
	X(RP_E_IMAGE_HW, 206, "image is for another hardware type")            \
	X(RP_E_IMAGE_COUNTER, 207,                                             \
	  "image security counter below the confirmed counter")                \
	X(RP_E_IMAGE_SIGSECTION, 208, "malformed signature section")           \
	X(RP_E_SIG_BAD, 209, "bad signature")                                  \
	X(RP_E_SIG_UNKNOWN_KEY, 210, "signature by an untrusted key")          \
	X(RP_E_SIG_THRESHOLD, 211, "too few valid signatures for threshold")   \
	X(RP_E_SIG_ALG, 212, "unknown signature algorithm")                    \
	X(RP_E_KEY_REVOKED, 213, "key revoked")                                \
	X(RP_E_KEYSET_EPOCH, 214, "key set epoch not above the current one")   \
	X(RP_E_KEYSET, 215, "malformed trusted key set")                       \
	X(RP_E_KEY_FORMAT, 216, "malformed or unsupported key")                \
	X(RP_E_PASSPHRASE, 217, "wrong passphrase or damaged key file")        \
	X(RP_E_KEYSET_UNREVOKED, 218,                                          \
	  "new key set drops a revocation of the current one")                 \
	X(RP_E_PKCS11, 219, "PKCS#11 module or token error")                   \
	X(RP_E_PKCS11_NO_KEY, 220, "no matching key on the PKCS#11 token")     \
	X(RP_E_DELTA, 221, "malformed or damaged delta patch")                 \
	X(RP_E_DELTA_BASE, 222, "delta patch is for another base image")       \
	/* boot: 250..279 */                                                   \
	X(RP_E_BOOT_NO_IMAGE, 250, "no valid image in either slot")            \
	X(RP_E_BOOT_STATE, 251, "boot-state record damaged in both copies")    \
	X(RP_E_FLASH, 252, "flash operation failed")                           \
	X(RP_E_FLASH_ALIGN, 253, "flash address or length not aligned")        \
	/* PKI, enrollment, rampartd: 300..399 */                              \
	X(RP_E_HTTP, 300, "HTTP transport failure")                            \
	X(RP_E_HTTP_STATUS, 301, "server answered with an error status")       \
	X(RP_E_TLS, 302, "TLS handshake or certificate check failed")          \
	X(RP_E_CSR, 303, "malformed certificate request")                      \
	X(RP_E_CSR_SIG, 304, "certificate request signature does not verify")  \
	X(RP_E_CSR_KEY, 305, "certificate request key type not accepted")      \
	X(RP_E_CSR_SUBJECT, 306, "certificate request subject not accepted")   \
	X(RP_E_NOT_ALLOWLISTED, 307, "device serial not on the allowlist")     \
	X(RP_E_ENROLLED, 308, "device already enrolled")                       \
	X(RP_E_DECOMMISSIONED, 309, "device decommissioned")                   \
	X(RP_E_HWTOKEN, 310, "hardware token missing or does not match")       \
	X(RP_E_CLAIM, 311, "claim certificate not valid for this request")     \
	X(RP_E_CLAIM_EXPIRED, 312, "claim certificate expired")                \
	X(RP_E_CLAIM_GROUP, 313, "claim certificate is for another group")     \
	X(RP_E_CERT_UNTRUSTED, 314, "certificate not issued by a trusted CA")  \
	X(RP_E_CERT_REVOKED, 315, "certificate revoked")                       \
	X(RP_E_CERT_EXPIRED, 316, "certificate expired")                       \
	X(RP_E_RENEW_EARLY, 317, "renewal requested before the window")        \
	X(RP_E_NO_CLIENT_CERT, 318, "client certificate required")             \
	X(RP_E_AUTH, 319, "authentication failed")                             \
	X(RP_E_CSV, 320, "malformed CSV")                                      \
	X(RP_E_STORE, 321, "store (database) failure")                         \
	X(RP_E_BODY_TOO_BIG, 322, "request body exceeds its limit")            \
	X(RP_E_CONTENT_TYPE, 323, "wrong content type")                        \
	X(RP_E_RESERVED, 324, "id reserved for Rampart's own identities")      \
	X(RP_E_CERT_SUBJECT, 325, "certificate subject not accepted")          \
	X(RP_E_CERT_PROFILE, 326, "certificate profile not accepted")          \
	X(RP_E_STORE_VERSION, 327, "store schema newer than this program")     \
	X(RP_E_RATE_LIMITED, 328, "refused too often: counted, not recorded")  \
	X(RP_E_TLS_UNTRUSTED, 329,                                             \
	  "server certificate not trusted or not for this host")               \
	/* device keystore and agent: 400..449 */                              \
	X(RP_E_KEYSTORE_SPEC, 400, "malformed keystore spec")                  \
	X(RP_E_KEYSTORE_NO_KEY, 401, "keystore holds no key")                  \
	X(RP_E_KEYSTORE_HAS_KEY, 402, "keystore already holds a key")          \
	X(RP_E_KEYSTORE_SEALED, 403,                                           \
	  "sealed key damaged or wrong key-encryption key")                    \
	X(RP_E_KEYSTORE_FORMAT, 404, "malformed sealed key file")              \
	X(RP_E_KEYSTORE_MODE, 405, "key file accessible to others (not 0600)") \
	X(RP_E_KEYSTORE_BACKEND, 406, "PKCS#11 token or TPM refused")          \
	X(RP_E_KEYSTORE_NO_CERT, 407, "keystore holds no certificate")         \
	X(RP_E_KEYSTORE_CERT, 408, "certificate is not for the keystore key")  \
	X(RP_E_EST_REPLY, 420, "malformed EST reply")                          \
	X(RP_E_EST_REFUSED, 421, "EST server refused the request")             \
	X(RP_E_EST_UNREACHABLE, 422, "EST server unreachable")                 \
	X(RP_E_TELEMETRY, 500, "malformed telemetry or event message")         \
	X(RP_E_COMMAND, 501, "malformed command message")                      \
	X(RP_E_CHAINLOG, 502, "event log chain broken")                        \
	X(RP_E_CHAINLOG_TORN, 503, "event log ends in a torn record")          \
	X(RP_E_MQTT, 504, "MQTT client failure")                               \
	X(RP_E_QUEUE_FULL, 505, "queue full")

enum rp_err {
#define RP_ERR_ENUM(name, value, msg) name = value,
	RP_ERR_LIST(RP_ERR_ENUM)
#undef RP_ERR_ENUM
};
typedef enum rp_err rp_err;

/*
 * Return the message of an error code; a static string, never NULL
 * ("unknown error" for a value outside the list).
 */
RP_API const char *rp_strerror(rp_err err);

/* Return the symbolic name ("RP_E_SIG_BAD"), or "RP_E_?" if unknown. */
RP_API const char *rp_errname(rp_err err);

/*
 * Hosted ports only (lib/port/posix): the rp_err for a POSIX errno value:
 * ENOENT RP_E_NOT_FOUND; EACCES, EPERM, ELOOP RP_E_PERM; EEXIST
 * RP_E_EXISTS; ENOMEM RP_E_NOMEM; anything else RP_E_IO.
 */
RP_API rp_err rp_err_errno(int e);

#endif
