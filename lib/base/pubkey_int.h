/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pubkey_int.h - what lib/base/pubkey_pem.c shares with the signing tools
 * (lib/sign/sign.c): the raw public key of an OpenSSL key. Internal to
 * the libraries; not installed.
 */
#ifndef RAMPART_PUBKEY_INT_H
#define RAMPART_PUBKEY_INT_H

#include <openssl/types.h>

#include "rampart/image.h"

/*
 * The raw public key of an Ed25519 or P-256 (prime256v1) key into pub.
 * RP_E_KEY_FORMAT for another key type or curve.
 */
rp_err pubkey_from_evp(EVP_PKEY *pkey, struct rp_pubkey *pub);

#endif
