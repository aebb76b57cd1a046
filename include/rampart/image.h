/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image.h - the signed firmware image format (docs/image-format.md) and
 * its verifier. Freestanding: no heap, no stdio, no OS; the boot core links
 * it. All I/O goes through struct rp_image_src and all crypto through
 * struct rp_crypto, so the same verifier runs on a device, in rampart-boot
 * and in the rampart CLI.
 *
 * An image is: header (RP_IMAGE_HDR_SIZE bytes) | payload | signature
 * section. Signatures cover the header, which carries the payload's
 * SHA-256; nothing in the header is trusted before a threshold of trusted
 * signatures over it has been checked and the payload hash matches.
 *
 * Wire layout (all integers little-endian; reserved bytes must be zero):
 *
 *   header, 192 bytes
 *     0  u32 magic "RPIM"        64 u64 payload_len
 *     4  u16 format = 1          72 u8  payload_sha256[32]
 *     6  u16 hdr_len = 192      104 u8  base_sha256[32]   (delta, else 0)
 *     8  u32 kind (0 full, 1 delta)  136 u8 result_sha256[32] (delta, else 0)
 *    12  u32 security counter   168 u64 build_time (Unix seconds)
 *    16  char hw[32] NUL-padded 176 u8  reserved[16]
 *    48  u32 ver_major, 52 u32 ver_minor, 56 u32 ver_patch, 60 u32 reserved
 *   payload, payload_len bytes
 *   signature section
 *     0  u32 magic "RPSG"  4 u16 count (1..RP_IMAGE_MAX_SIGS)  6 u16 reserved
 *     then count entries: u8 alg, u8 reserved, u16 siglen, u8 keyid[32],
 *     u8 sig[siglen]. Each signs the 192 header bytes exactly.
 *
 * Key id: SHA-256 of (alg byte || raw public key: 32 bytes Ed25519, 65
 * bytes uncompressed P-256 point).
 */
#ifndef RAMPART_IMAGE_H
#define RAMPART_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rampart/err.h"

#define RP_IMAGE_MAGIC        0x4d495052u /* "RPIM" little-endian */
#define RP_SIGSEC_MAGIC       0x47535052u /* "RPSG" little-endian */
#define RP_IMAGE_FORMAT       1
#define RP_IMAGE_HDR_SIZE     192
#define RP_IMAGE_HW_MAX       32 /* hardware type, NUL-padded */
#define RP_SHA256_LEN         32
#define RP_KEYID_LEN          32 /* SHA-256 of alg byte || raw public key */
#define RP_PUBKEY_MAX         65 /* P-256 uncompressed point */
#define RP_SIG_MAX            72 /* ECDSA P-256 DER */
#define RP_IMAGE_MAX_SIGS     8
#define RP_KEYSET_MAX_KEYS    16
#define RP_KEYSET_MAX_REVOKED 32

enum rp_sig_alg {
	RP_ALG_ED25519 = 1,     /* 32-byte key, 64-byte signature */
	RP_ALG_P256_SHA256 = 2, /* 65-byte point, DER ECDSA signature */
};

enum rp_image_kind {
	RP_IMAGE_FULL = 0,
	RP_IMAGE_DELTA = 1,
};

/* A parsed header, in host form (never the wire layout). */
struct rp_image_hdr {
	uint16_t format;          /* RP_IMAGE_FORMAT */
	uint16_t hdr_len;         /* RP_IMAGE_HDR_SIZE */
	uint32_t kind;            /* enum rp_image_kind */
	uint32_t counter;         /* security counter (anti-rollback) */
	char hw[RP_IMAGE_HW_MAX]; /* NUL-terminated hardware type */
	uint32_t ver_major, ver_minor, ver_patch;
	uint64_t payload_len;
	uint8_t payload_sha256[RP_SHA256_LEN];
	uint8_t base_sha256[RP_SHA256_LEN];   /* delta: the base image */
	uint8_t result_sha256[RP_SHA256_LEN]; /* delta: the full result */
	uint64_t build_time;                  /* Unix seconds */
};

struct rp_pubkey {
	uint8_t alg; /* enum rp_sig_alg */
	uint8_t len;
	uint8_t key[RP_PUBKEY_MAX];
	uint8_t id[RP_KEYID_LEN];
};

/*
 * The keys a device trusts: k of n, at an epoch that only goes up, with the
 * ids of keys revoked so far (docs/image-format.md, "Key sets").
 */
struct rp_keyset {
	uint32_t epoch;
	uint8_t threshold; /* k, 1 <= k <= nkeys */
	uint8_t nkeys;
	uint8_t nrevoked;
	struct rp_pubkey keys[RP_KEYSET_MAX_KEYS];
	uint8_t revoked[RP_KEYSET_MAX_REVOKED][RP_KEYID_LEN];
};

/* Where image bytes come from: a file, a flash slot, a buffer. */
struct rp_image_src {
	void *ctx;
	/* Read len bytes at off into buf. RP_OK or an error (RP_E_IO...). */
	rp_err (*read)(void *ctx, uint64_t off, uint8_t *buf, size_t len);
	uint64_t size; /* bytes available (file size or slot size) */
};

/* The crypto a verifier needs; the host port is rp_crypto_host(). */
#define RP_HASH_STATE_MAX 256
struct rp_crypto {
	void *ctx;
	rp_err (*sha256_init)(void *ctx, void *state);
	rp_err (*sha256_update)(void *ctx, void *state, const uint8_t *data,
	                        size_t len);
	rp_err (*sha256_final)(void *ctx, void *state,
	                       uint8_t out[RP_SHA256_LEN]);
	/* RP_OK if sig is a valid signature of msg by pub, else RP_E_SIG_BAD
	 * (or RP_E_SIG_ALG for an algorithm the port lacks). */
	rp_err (*verify)(void *ctx, const struct rp_pubkey *pub,
	                 const uint8_t *msg, size_t msglen, const uint8_t *sig,
	                 size_t siglen);
};

/* What the verifier requires beyond valid signatures. */
struct rp_image_policy {
	const char *hw;       /* required hardware type; NULL: any */
	uint32_t min_counter; /* refuse counter < min_counter */
	bool exact_size;      /* true: the source ends exactly at the end of
	                       * the signature section (a file); false: it
	                       * may be followed by anything (a flash slot) */
};

/* What the verifier found; filled as far as it got, also on failure. */
struct rp_image_report {
	struct rp_image_hdr hdr;
	uint64_t total_len; /* header + payload + signature section */
	uint8_t nsigs;      /* signatures in the section */
	uint8_t nvalid;     /* valid, by distinct trusted keys */
	uint8_t sig_ok[RP_IMAGE_MAX_SIGS]; /* per signature: 1 valid */
	uint8_t sig_alg[RP_IMAGE_MAX_SIGS];
	uint8_t sig_keyid[RP_IMAGE_MAX_SIGS][RP_KEYID_LEN];
};

/* Success value of rp_image_verify_slot: not 0, so a glitch reading 0
 * is not taken for success (MCUboot's FIH idea). */
#define RP_VERIFIED 0x1AAAAAAAu

/*
 * Parse a header from buf (len bytes, at least RP_IMAGE_HDR_SIZE). Checks
 * magic, format, lengths and reserved fields; trusts nothing else.
 * Also refused (RP_E_IMAGE_HEADER): a kind other than full/delta, a
 * hardware type that is empty, longer than 31 characters, not printable
 * ASCII or not NUL-padded, and a full image with nonzero base/result
 * hashes. Errors: RP_E_IMAGE_TRUNCATED, RP_E_IMAGE_MAGIC,
 * RP_E_IMAGE_VERSION, RP_E_IMAGE_HEADER.
 */
RP_API rp_err rp_image_hdr_parse(const uint8_t *buf, size_t len,
                                 struct rp_image_hdr *out) RP_WARN_UNUSED;

/* Write h as wire bytes (RP_IMAGE_HDR_SIZE) into out. */
RP_API void rp_image_hdr_encode(const struct rp_image_hdr *h,
                                uint8_t out[RP_IMAGE_HDR_SIZE]);

/*
 * Verify the image in src against trust, crypto and policy, streaming the
 * payload through work (worklen bytes, >= 64; bigger is faster): constant
 * memory whatever the image size. rep (may be NULL) says what was found.
 * Returns RP_OK only if: the header parses, at least trust->threshold
 * signatures by distinct, trusted, unrevoked keys verify over it, the
 * payload hash matches, the hardware type and counter satisfy policy, and
 * nothing trails the image when policy->exact_size.
 */
RP_API rp_err rp_image_verify(const struct rp_image_src *src,
                              const struct rp_keyset *trust,
                              const struct rp_crypto *crypto,
                              const struct rp_image_policy *policy,
                              uint8_t *work, size_t worklen,
                              struct rp_image_report *rep) RP_WARN_UNUSED;

/* ---- Additions (issue 3, image side): helpers around the contract ---- */

#define RP_SIGSEC_HDR_SIZE 8  /* magic, count, reserved */
#define RP_SIG_ENTRY_HDR   36 /* alg, reserved, siglen, keyid */
#define RP_ED25519_SIG_LEN 64
#define RP_ED25519_KEY_LEN 32
#define RP_P256_KEY_LEN    65
#define RP_P256_SIG_MIN    8
/* The largest signature section: every entry at its largest. */
#define RP_SIGSEC_MAX         \
	(RP_SIGSEC_HDR_SIZE + \
	 RP_IMAGE_MAX_SIGS * (RP_SIG_ENTRY_HDR + RP_SIG_MAX))

/* rp_image_report.sig_ok values (1 = valid, as above). */
enum rp_sig_status {
	RP_SIGSTAT_UNCHECKED = 0, /* not reached (an earlier error) */
	RP_SIGSTAT_VALID = 1,     /* valid, counted */
	RP_SIGSTAT_BAD = 2,       /* trusted key, signature does not verify */
	RP_SIGSTAT_UNKNOWN = 3,   /* key not in the trusted set */
	RP_SIGSTAT_REVOKED = 4,   /* key revoked */
	RP_SIGSTAT_DUPLICATE = 5, /* valid, but its key already counted */
};

/*
 * Fill pk from a raw public key (32 bytes Ed25519; 65 bytes uncompressed
 * P-256, first byte 0x04) and compute its key id with crypto's SHA-256.
 * RP_E_SIG_ALG for an unknown alg, RP_E_KEY_FORMAT for a bad length.
 */
RP_API rp_err rp_pubkey_init(struct rp_pubkey *pk, uint8_t alg,
                             const uint8_t *key, size_t len,
                             const struct rp_crypto *crypto) RP_WARN_UNUSED;

/*
 * A source over a buffer in memory (tests, fuzzing, a slot mapped into
 * the address space). *mem must outlive src.
 */
struct rp_mem_src {
	const uint8_t *buf;
	size_t len;
};
RP_API void rp_image_src_mem(struct rp_image_src *src, struct rp_mem_src *mem,
                             const uint8_t *buf, size_t len);

/*
 * Check the structure of the signature section at off in src (magic,
 * count, reserved bytes, algorithm and length of each entry) without
 * verifying anything. OUT: *end, the offset just past the section.
 * Errors: RP_E_IMAGE_TRUNCATED, RP_E_IMAGE_SIGSECTION, RP_E_SIG_ALG.
 */
RP_API rp_err rp_sigsec_scan(const struct rp_image_src *src, uint64_t off,
                             uint64_t *end) RP_WARN_UNUSED;

/*
 * Key sets ("RPKS", docs/image-format.md "Key sets"): a body of
 * RP_KEYSET_HDR_SIZE bytes of fixed fields, nkeys entries (u8 alg, u8 len,
 * key[len]), nrevoked key ids, then a signature section over the body.
 */
#define RP_KEYSET_MAGIC    0x534b5052u /* "RPKS" little-endian */
#define RP_KEYSET_FORMAT   1
#define RP_KEYSET_HDR_SIZE 16
#define RP_KEYSET_BODY_MAX                                               \
	(RP_KEYSET_HDR_SIZE + RP_KEYSET_MAX_KEYS * (2 + RP_PUBKEY_MAX) + \
	 RP_KEYSET_MAX_REVOKED * RP_KEYID_LEN)
#define RP_KEYSET_MAX_SIZE (RP_KEYSET_BODY_MAX + RP_SIGSEC_MAX)

/*
 * Check a key set's fields (threshold, counts, no duplicate key, no key
 * both trusted and revoked, no duplicate revocation). RP_E_KEYSET.
 */
RP_API rp_err rp_keyset_check(const struct rp_keyset *ks) RP_WARN_UNUSED;

/*
 * Encode ks's body (everything the signatures cover) into out (cap
 * bytes). OUT: *outlen. RP_E_KEYSET if ks is invalid, RP_E_BUFFER.
 */
RP_API rp_err rp_keyset_encode_body(const struct rp_keyset *ks, uint8_t *out,
                                    size_t cap, size_t *outlen) RP_WARN_UNUSED;

/*
 * Parse a signed key set (body + signature section, exactly len bytes)
 * into out, computing key ids with crypto. Checks structure only, not
 * signatures. OUT: *bodylen (may be NULL), the length of the signed body.
 * Errors: RP_E_KEYSET (also bad magic or format), RP_E_KEY_FORMAT,
 * RP_E_SIG_ALG, RP_E_IMAGE_SIGSECTION, RP_E_IMAGE_TRUNCATED (the section
 * is cut), RP_E_IMAGE_TRAILING (bytes after it).
 */
RP_API rp_err rp_keyset_parse(const uint8_t *buf, size_t len,
                              const struct rp_crypto *crypto,
                              struct rp_keyset *out,
                              size_t *bodylen) RP_WARN_UNUSED;

/*
 * Accept a new signed key set (buf, len) given the current one: it must
 * parse, have an epoch above current->epoch (RP_E_KEYSET_EPOCH), keep
 * every revocation of current (RP_E_KEYSET_UNREVOKED), and carry
 * current->threshold valid signatures by distinct keys of current that
 * neither set revokes (RP_E_SIG_* / RP_E_KEY_REVOKED as for images).
 * current NULL: a first (factory) set, which must carry its own threshold
 * of signatures by its own keys. out receives the new set only on RP_OK.
 * rep (may be NULL) reports the signatures (its hdr is left zero).
 */
RP_API rp_err rp_keyset_accept(const struct rp_keyset *current,
                               const uint8_t *buf, size_t len,
                               const struct rp_crypto *crypto,
                               struct rp_keyset *out,
                               struct rp_image_report *rep) RP_WARN_UNUSED;

/* True if id is in ks's revoked list. */
RP_API bool rp_keyset_is_revoked(const struct rp_keyset *ks,
                                 const uint8_t id[RP_KEYID_LEN]);

#endif
