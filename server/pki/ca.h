/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ca.h - the fleet certificate authorities of rampartd (docs/pki.md):
 *
 *   root CA      self-signed, P-256; signs only the issuing CA. Its key is
 *                written once to pki/root.key (to be moved offline) or, with
 *                an imported root, never stored by rampartd at all.
 *   issuing CA   signed by the root; signs device certificates, rampartd's
 *                TLS certificate and the CRL. Key in pki/issuing.key.
 *   claim CA     self-signed and separate from the root, so that nothing
 *                that trusts the root (broker, rampartd's device routes)
 *                can accept a claim; signs factory claim certificates.
 *
 * Every key file is 0600. The pki/ folder is created whole or not at all
 * (built in pki.new/ and renamed).
 */
#ifndef RAMPARTD_CA_H
#define RAMPARTD_CA_H

#include <stdint.h>

#include <openssl/x509.h>

#include "rampart/broker.h"
#include "rampart/err.h"

/*
 * Private OIDs under Rampart's UUID arc (2.25, ITU-T X.667), which
 * rampart/broker.h defines with the service (.3) and monitor (.4) EKUs.
 */
#define RP_OID_CLAIM_EKU RP_BROKER_OID_ARC ".1" /* claim: enrollment only */
#define RP_OID_HWTOKEN   RP_BROKER_OID_ARC ".2" /* CSR ext: hardware token */

struct ca {
	X509 *root;
	X509 *issuing;
	EVP_PKEY *issuing_key;
	X509 *claim;
	EVP_PKEY *claim_key;
	X509 *server;
	EVP_PKEY *server_key;
	X509_STORE *claim_store;  /* trust anchor: claim CA */
	X509_STORE *device_store; /* trust anchor: root */
	STACK_OF(X509) * chain;   /* issuing CA: to build device chains */
	char dir[4096];           /* DATA_DIR/pki */
};

struct ca_opts {
	const char *import_root_cert; /* NULL: generate a root */
	const char *import_root_key;
	const char *server_names; /* comma-separated extra DNS names */
	int64_t server_lifetime;  /* seconds */
};

/*
 * Load the CAs from data_dir/pki, creating them on first run. *created is
 * set to 1 when they were created now. *out is owned by the caller
 * (ca_free).
 */
rp_err ca_open(const char *data_dir, const struct ca_opts *o, struct ca **out,
               int *created) RP_WARN_UNUSED;
void ca_free(struct ca *ca);

/*
 * Sign a device certificate for id with the CSR's public key (the caller
 * has verified the CSR) in the device profile of rampart/broker.h: random
 * 128-bit serial, CN = id, SAN exactly the URI RP_BROKER_URI_DEVICE + id,
 * EKU exactly clientAuth, lifetime seconds. Nothing of the CSR but its
 * key is used. RP_E_RESERVED: id is reserved (rp_broker_device_id_check:
 * the CA never mints a device certificate for a Rampart identity);
 * RP_E_CSR_SUBJECT: id is not a valid id. *out owned by the caller.
 */
rp_err ca_issue_device(struct ca *ca, X509_REQ *csr, const char *id,
                       int64_t lifetime, X509 **out) RP_WARN_UNUSED;

/*
 * Sign one of rampartd's own MQTT identities for pub: role
 * RP_BROKER_ROLE_SERVICE or RP_BROKER_ROLE_MONITOR, in that role's profile
 * (rampart/broker.h): basicConstraints critical CA:FALSE, keyUsage
 * critical digitalSignature, EKU exactly clientAuth + RP_BROKER_OID_SERVICE
 * (or _MONITOR), SKI/AKI, SAN exactly the URI RP_BROKER_URI_SERVICE (or
 * _MONITOR) + id, CN = id. RP_E_INVAL: another role, or an id that is not
 * a valid reserved id. *out owned by the caller.
 */
rp_err ca_issue_principal(struct ca *ca, EVP_PKEY *pub,
                          enum rp_broker_role role, const char *id,
                          int64_t lifetime, X509 **out) RP_WARN_UNUSED;

/* A claim certificate for group (CN) with pubkey; *out owned by caller. */
rp_err ca_issue_claim(struct ca *ca, EVP_PKEY *pub, const char *group,
                      int64_t lifetime, X509 **out) RP_WARN_UNUSED;

/* Revoked entry for the CRL. */
struct ca_revoked {
	const char *serial_hex;
	int64_t at;
	int reason;
};

/*
 * A CRL of the issuing CA with the n entries, number, valid lifetime
 * seconds from now. *der (malloc'd, caller frees) and *pem (malloc'd
 * NUL-terminated, caller frees).
 */
rp_err ca_make_crl(struct ca *ca, const struct ca_revoked *r, size_t n,
                   int64_t number, int64_t lifetime, uint8_t **der,
                   size_t *der_len, char **pem) RP_WARN_UNUSED;

/* Lower-case hex serial of cert into out (41 bytes). */
rp_err ca_serial_hex(const X509 *cert, char out[41]) RP_WARN_UNUSED;

/* PEM of cert, malloc'd NUL-terminated; caller frees. NULL on error. */
char *ca_cert_pem(X509 *cert);

/* Seconds since the epoch of an ASN1_TIME; 0 on error. */
int64_t ca_time(const ASN1_TIME *t);

/* Reason names (RFC 5280 5.3.1) -> code; -1 if unknown. */
int ca_reason_code(const char *name);
const char *ca_reason_name(int code);

/* rp_file_write_atomic (rampart/file.h), logging a failure. */
rp_err ca_write_file(const char *path, const void *data, size_t len,
                     int mode) RP_WARN_UNUSED;

#endif
