/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crypto_host.h - the hosted (Linux) ports of the image verifier: the
 * struct rp_crypto backed by OpenSSL (SHA-256, ECDSA P-256) and libsodium
 * (Ed25519), a struct rp_image_src backed by a file (lib/port/posix/
 * image_file.c), and release public keys read from PEM files.
 */
#ifndef RAMPART_CRYPTO_HOST_H
#define RAMPART_CRYPTO_HOST_H

#include "rampart/image.h"

/* The host crypto port; a static object, valid after rp_init(). */
RP_API const struct rp_crypto *rp_crypto_host(void);

/* A good work-buffer size for rp_image_verify on a host. */
#define RP_IMAGE_HOST_WORK (256u * 1024u)

/*
 * Open path read-only as an image source. src->ctx owns the open file:
 * release it with rp_image_src_file_close(). RP_E_NOT_FOUND, RP_E_PERM,
 * RP_E_IO, RP_E_INVAL (not a regular file), RP_E_NOMEM.
 */
RP_API rp_err rp_image_src_file_open(struct rp_image_src *src,
                                     const char *path) RP_WARN_UNUSED;
/*
 * The same over the file open as fd (a duplicate of fd is src's, so the
 * caller keeps fd): what is read is that file, whatever its path names
 * by then. The same errors but RP_E_NOT_FOUND and RP_E_PERM.
 */
RP_API rp_err rp_image_src_fd_open(struct rp_image_src *src,
                                   int fd) RP_WARN_UNUSED;
RP_API void rp_image_src_file_close(struct rp_image_src *src);

/*
 * Read every PEM public key in path (Ed25519 or P-256) into out[0..max).
 * OUT: *n. RP_E_KEY_FORMAT for another key type or a file with none,
 * RP_E_TOO_BIG for more than max.
 */
RP_API rp_err rp_pubkey_load_pem(const char *path, struct rp_pubkey *out,
                                 size_t max, size_t *n) RP_WARN_UNUSED;

/* SHA-256 of len bytes with the host port (a convenience). */
RP_API rp_err rp_sha256(const void *data, size_t len,
                        uint8_t out[RP_SHA256_LEN]) RP_WARN_UNUSED;

/* SHA-256 of the whole file at path, streamed, as lower-case hex (64
 * characters + NUL). RP_E_IO when it cannot be opened or read. */
RP_API rp_err rp_sha256_file_hex(const char *path, char hex[65]) RP_WARN_UNUSED;

/* The same of the file open as fd, from its first byte to its end
 * (pread: fd's offset is left alone), so that what was checked through
 * fd is what is hashed. */
RP_API rp_err rp_sha256_fd_hex(int fd, char hex[65]) RP_WARN_UNUSED;

#endif
