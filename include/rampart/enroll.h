/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enroll.h - a device's identity over EST (RFC 7030; docs/agent.md,
 * docs/enrollment.md): the first enrollment with a claim certificate, and
 * the renewal of the device certificate with itself, blocking or on the
 * caller's libevent loop. The key never leaves the keystore
 * (rampart/keystore.h); an issued certificate is checked (device
 * profile, CN = serial, the keystore's key; at enrollment also the chain
 * to the fleet root) before it is stored.
 */
#ifndef RAMPART_ENROLL_H
#define RAMPART_ENROLL_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "rampart/err.h"
#include "rampart/export.h"
#include "rampart/keystore.h"

struct event_base;

/* --- first enrollment ---------------------------------------------------- */

struct rp_enroll_opts {
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
	 * the caller's and may be shared between threads. NULL: not used.
	 */
	SSL_CTX *claim_ctx;
	STACK_OF(X509) * cacerts;
};

/* What went wrong, for the caller's message (all zero on success). */
struct rp_enroll_result {
	const char *step; /* "key generation", "EST simpleenroll", ... */
	int status;       /* HTTP status of a refusal, 0 if none */
	char detail[128]; /* e.g. why the issued certificate does not
	                     verify; "" if nothing more to say */
};

/*
 * Enroll the device whose keystore is ks (blocking; thread-safe for
 * different keystores). A key left in ks by an enrollment that failed
 * midway is reused; otherwise a new one is made. res may be NULL.
 * RP_E_EXISTS when ks already holds a certificate (nothing is done:
 * renew, or erase first), RP_E_EST_REFUSED (res->status says what the
 * server answered), RP_E_EST_UNREACHABLE, RP_E_EST_REPLY,
 * RP_E_KEYSTORE_CERT (the issued certificate does not chain to the trust
 * anchor, is not in the device profile, or its CN is not the serial),
 * RP_E_SYNTAX / RP_E_RESERVED (the serial breaks the device-id rule,
 * rampart/id.h: res->detail says how, before anything is done), keystore
 * and TLS errors.
 */
RP_API rp_err rp_enroll(const struct rp_enroll_opts *o, rp_keystore *ks,
                        struct rp_enroll_result *res) RP_WARN_UNUSED;

/* --- renewal ------------------------------------------------------------- */

/* Defaults (docs/agent.md): a 30-day window, as rampartd's renew_window. */
#define RP_RENEW_WINDOW_S (30LL * 86400)

enum rp_renew_state {
	RP_RENEW_WAIT,    /* not yet: *wait_s says how long */
	RP_RENEW_NOW,     /* inside the renewal window */
	RP_RENEW_EXPIRED, /* past notAfter: only a new enrollment helps */
};

/*
 * Decide about a certificate valid [not_before, not_after] at time now
 * (Unix seconds). The window opens window_s before not_after (the
 * server's renew_window; a certificate shorter-lived than the window is
 * due from its first second); rnd spreads the start over the first tenth
 * of the window so that devices enrolled together renew apart. *wait_s
 * gets the seconds until the attempt is due (0 unless RP_RENEW_WAIT).
 * Pure: no clock, no randomness.
 */
RP_API enum rp_renew_state rp_renew_due(int64_t now, int64_t not_before,
                                        int64_t not_after, int64_t window_s,
                                        uint32_t rnd, int64_t *wait_s);

/*
 * rp_renew_due for the certificate in ks at now; *not_after (may be NULL)
 * gets its notAfter. RP_E_KEYSTORE_NO_CERT when ks holds no certificate,
 * RP_E_KEYSTORE_CERT when its times cannot be read.
 */
RP_API rp_err rp_renew_when(rp_keystore *ks, int64_t now, int64_t window_s,
                            uint32_t rnd, enum rp_renew_state *state,
                            int64_t *wait_s, int64_t *not_after) RP_WARN_UNUSED;

struct rp_renew_opts {
	const char *server;   /* EST base URL, https://host:port */
	const char *ca_file;  /* fleet root PEM the server is checked
	                         against; NULL: the system store */
	const char *hw_token; /* allowlisted hardware token, or NULL */
	bool hw_token_tpm;    /* take the token from the TPM keystore */
	int timeout_ms;       /* the whole request; 0: 30 s */
};

/*
 * One renewal, blocking: a CSR for the keystore's key (the same key), EST
 * simplereenroll over mutual TLS with the current certificate, and the
 * new certificate checked (the same CN, the device profile, the
 * keystore's key) and stored in ks with the chain ks held before. *status (may
 * be NULL) gets the HTTP status of a refusal (0 if none). Errors as
 * rp_enroll's; RP_E_KEYSTORE_NO_CERT when ks holds none. No retry: the caller
 * retries RP_E_EST_UNREACHABLE with rp_backoff_ms (rampart/backoff.h).
 */
RP_API rp_err rp_renew(const struct rp_renew_opts *o, rp_keystore *ks,
                       int *status) RP_WARN_UNUSED;

/* A renewal's end: rc and status as rp_renew's. */
typedef void (*rp_renew_cb)(void *arg, rp_err rc, int status);
typedef struct rp_renew_call rp_renew_call;

/*
 * rp_renew on the caller's event loop base: only the CSR signature (one
 * use of the key) happens here; the request runs on the loop without
 * blocking it, and cb runs exactly once on the loop, after the new
 * certificate is stored (or not), unless rp_renew_cancel is called
 * first. ks is borrowed and must stay open until then; o is copied. *out
 * is the handle, valid until cb has run or rp_renew_cancel; not to be
 * cancelled from inside cb. On an error returned here cb is never called.
 */
RP_API rp_err rp_renew_start(struct event_base *base,
                             const struct rp_renew_opts *o, rp_keystore *ks,
                             rp_renew_cb cb, void *arg,
                             rp_renew_call **out) RP_WARN_UNUSED;

/* Stop a started renewal and free it; cb is not called; ks unchanged.
 * NULL: no-op. A host-name lookup still running frees itself on the next
 * turn of base's loop: run it once (EVLOOP_NONBLOCK) before freeing base
 * (rampart/http.h, rp_http_cancel). */
RP_API void rp_renew_cancel(rp_renew_call *call);

#endif
