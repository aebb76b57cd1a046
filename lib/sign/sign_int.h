/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sign_int.h - what sign.c shares with pkcs11.c: a key inside a PKCS#11
 * token, used through the PKCS#11 API (lib/base/p11.c: p11-kit parses the
 * URI and loads the module).
 */
#ifndef RAMPART_SIGN_INT_H
#define RAMPART_SIGN_INT_H

#include "rampart/image.h"

struct p11_key;

/*
 * Open the private key the URI names (exactly one must match) and read
 * its public half. pin: used when the URI has no pin-value/pin-source
 * (may be NULL). OUT: *out (free with p11_close), *pub.
 */
rp_err p11_open(const char *uri, const char *pin, struct p11_key **out,
                struct rp_pubkey *pub);
/* Ed25519: CKM_EDDSA over msg; P-256: CKM_ECDSA over SHA-256(msg), the
 * raw r||s converted to DER. OUT: sig, *siglen. */
rp_err p11_sign(struct p11_key *k, const uint8_t *msg, size_t len,
                uint8_t sig[RP_SIG_MAX], size_t *siglen);
void p11_close(struct p11_key *k);

#endif
