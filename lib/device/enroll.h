/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enroll.h - the certificate helpers the SDK's enrollment and renewal
 * (rampart/enroll.h: rp_enroll, rp_renew) share, inside lib/device and
 * with rampart-agent: the CN, the device-profile check, storing a leaf
 * with its chain.
 */
#ifndef RAMPART_AGENT_ENROLL_H
#define RAMPART_AGENT_ENROLL_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "rampart/err.h"
#include "rampart/keystore.h"

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
