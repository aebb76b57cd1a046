/* SPDX-License-Identifier: Apache-2.0 */
/*
 * delta.h - applying a Rampart delta patch on the device (docs/delta.md):
 * the old image is read at random offsets through a callback (the active
 * slot through the flash port), the patch is streamed in through another
 * (a download), and the new image is written sequentially through a third
 * (the inactive slot), in at most 64 KiB of RAM, heap and stack together.
 * Creating a patch is the tools' and rampartd's (rampart/delta_create.h,
 * lib/delta/), never the device's.
 *
 * A patch says which image it applies to and which it produces (lengths
 * and SHA-256), but it is not signed: the device trusts the result only
 * because its SHA-256 (rp_delta_result.sha256) equals the one in the new
 * release's signed header, verified before the apply.
 */
#ifndef RAMPART_DELTA_H
#define RAMPART_DELTA_H

#include <stddef.h>
#include <stdint.h>

#include "rampart/err.h"

#define RP_DELTA_MAGIC       0x4c445052u /* "RPDL" little-endian */
#define RP_DELTA_FORMAT      1
#define RP_DELTA_HEADER_LEN  112
#define RP_DELTA_CODEC_LZMA2 1
/* The LZMA2 dictionary a device accepts: 4 KiB to 16 KiB (log2 12..14). */
#define RP_DELTA_DICT_LOG2_MIN 12
#define RP_DELTA_DICT_LOG2_MAX 14
/* The apply's bound, heap and stack together (tests/unit/test_delta.c). */
#define RP_DELTA_APPLY_RAM (64u * 1024u)

/* What a patch's header says (docs/delta.md, "Header"). */
struct rp_delta_info {
	uint16_t format;   /* RP_DELTA_FORMAT */
	uint8_t codec;     /* RP_DELTA_CODEC_LZMA2 */
	uint8_t dict_log2; /* LZMA2 dictionary: 1 << dict_log2 bytes */
	uint32_t body_crc; /* CRC-32 of the body */
	uint64_t old_len;  /* the image the patch applies to */
	uint64_t new_len;  /* the image it produces */
	uint64_t body_len; /* compressed bytes after the header */
	uint8_t old_sha256[32];
	uint8_t new_sha256[32];
};

/*
 * Parse and check a patch header (RP_DELTA_HEADER_LEN bytes): RP_E_DELTA
 * for a bad magic, header length, checksum, codec, reserved byte or
 * dictionary outside RP_DELTA_DICT_LOG2_MIN..MAX; RP_E_UNSUPPORTED for
 * another format version; RP_E_TRUNCATED when len is too short.
 */
RP_API rp_err rp_delta_header_parse(const uint8_t *buf, size_t len,
                                    struct rp_delta_info *out) RP_WARN_UNUSED;

/* The caller's I/O. Each returns RP_OK or its own error, passed back. */
struct rp_delta_io {
	void *ctx;
	/* Read exactly len bytes of the old image at off (off + len is
	 * always within the old_len given to rp_delta_apply). */
	rp_err (*read_old)(void *ctx, uint64_t off, uint8_t *buf, size_t len);
	/* Read up to len bytes of the patch, in order; *got = 0 at its end. */
	rp_err (*read_patch)(void *ctx, uint8_t *buf, size_t len, size_t *got);
	/* Append len bytes to the new image. */
	rp_err (*write_new)(void *ctx, const uint8_t *buf, size_t len);
};

/* What an apply did. */
struct rp_delta_result {
	struct rp_delta_info info; /* the patch's header */
	uint64_t written;          /* bytes given to write_new */
	uint8_t sha256[32];        /* SHA-256 of those bytes, set once all
	                              the records are written */
	size_t heap_peak;          /* most heap held at once, bytes */
};

/*
 * Apply the patch read through io->read_patch to the old image of old_len
 * bytes, writing the new image through io->write_new. The header's new
 * length must not exceed max_new_len (the signed payload's length;
 * RP_E_TOO_BIG) and its old length must be old_len (RP_E_DELTA_BASE);
 * nothing beyond the header's new length is ever written, and no old byte
 * outside [0, old_len) is ever read. A patch cut short is
 * RP_E_TRUNCATED; a malformed or damaged one (body checksum, a record
 * outside the images, data after the end) RP_E_DELTA; a well-formed patch
 * whose output hash is not the header's new SHA-256 means the old image
 * is not the patch's base (RP_E_DELTA_BASE). On any failure some bytes
 * may have been written: the caller discards them. res may be NULL; it is
 * filled as far as the apply went, failure or not (sha256 once the records
 * are all written). The caller compares res->sha256 with the signed
 * header's, never only with the patch's own (docs/delta.md).
 */
RP_API rp_err rp_delta_apply(const struct rp_delta_io *io, uint64_t old_len,
                             uint64_t max_new_len,
                             struct rp_delta_result *res) RP_WARN_UNUSED;

#endif
