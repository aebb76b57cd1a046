/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enroll.h - a device's first enrollment (docs/agent.md "enroll"): key
 * born in the keystore, CSR, EST simpleenroll with the claim certificate,
 * the issued certificate checked and stored with its chain. One function
 * that rampart-agent enroll and rampart-sim (thousands of devices, from
 * several threads) both call, plus the certificate helpers they share.
 */
#ifndef RAMPART_AGENT_ENROLL_H
#define RAMPART_AGENT_ENROLL_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "rampart/err.h"
#include "rampart/keystore.h"

struct agent_enroll_opts {
	const char *server;     /* EST base URL, https://host:port */
	const char *serial;     /* the device id: CSR CN, certificate CN */
	const char *ca_file;    /* fleet root PEM; NULL: the self-signed
	                           certificates of /cacerts are trusted */
	const char *claim_cert; /* claim certificate PEM path */
	const char *claim_key;  /* its key (PEM path) */
	const char *hw_token;   /* allowlisted hardware token, or NULL */
	bool hw_token_tpm;      /* take the token from the TPM keystore */
	/*
	 * Optional, for callers that enroll many devices (rampart-sim):
	 * claim_ctx, a TLS client context carrying the claim certificate
	 * (then claim_cert/claim_key are not read), and cacerts, the answer
	 * of /cacerts fetched once (then it is not fetched again). Both stay
	 * the caller's and may be shared between threads.
	 */
	SSL_CTX *claim_ctx;
	STACK_OF(X509) * cacerts;
};

/* What went wrong, for the caller's message (all zero on success). */
struct agent_enroll_result {
	const char *step; /* "key generation", "EST simpleenroll", ... */
	int status;       /* HTTP status of a refusal, 0 if none */
	char detail[128]; /* e.g. why the issued certificate does not
	                     verify; "" if nothing more to say */
};

/*
 * Enroll the device whose keystore is ks. A key left in ks by an
 * enrollment that failed midway is reused; otherwise a new one is made.
 * OUT: *res (may be NULL). Errors: RP_E_EXISTS when ks already holds a
 * certificate (nothing is done: renew, or erase first), RP_E_EST_REFUSED
 * (res->status says what the server answered), RP_E_EST_UNREACHABLE,
 * RP_E_EST_REPLY, RP_E_KEYSTORE_CERT (the issued certificate does not
 * chain to the trust anchor, is not for TLS clients, is not in the device
 * profile, or its CN is not the serial), RP_E_SYNTAX / RP_E_RESERVED (the
 * serial breaks the device-id rule: res->detail says how, before anything
 * is done), keystore and TLS errors.
 */
rp_err agent_enroll(const struct agent_enroll_opts *o, rp_keystore *ks,
                    struct agent_enroll_result *res) RP_WARN_UNUSED;

/* The certificate's CN into out (cap bytes). RP_E_KEYSTORE_CERT. */
rp_err agent_cert_cn(X509 *x, char *out, size_t cap) RP_WARN_UNUSED;

/*
 * RP_OK if x is a device certificate for serial: the device profile of
 * include/rampart/broker.h (what the broker admits as a device) and CN =
 * serial. Else RP_E_KEYSTORE_CERT, and detail (cap bytes) says why.
 */
rp_err agent_cert_is_device(X509 *x, const char *serial, char *detail,
                            size_t cap) RP_WARN_UNUSED;

/* Store leaf, then every certificate of chain (may be NULL) that is not
 * self-signed, into ks (PEM). */
rp_err agent_store_certs(rp_keystore *ks, X509 *leaf,
                         STACK_OF(X509) * chain) RP_WARN_UNUSED;

#endif
