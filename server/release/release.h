/* SPDX-License-Identifier: Apache-2.0 */
/*
 * release.h - firmware releases in rampartd (docs/releases.md), below the
 * admin API's routes, which call these and translate the answers:
 *
 * - the fleet's trusted release key set (keys.c): the first set is taken
 *   as given (trust on first install, logged as such), every later one
 *   only if rp_keyset_accept() admits it against the current set, the
 *   rules the boot verifier applies (epoch up, a threshold of the current
 *   set's unrevoked keys, revocations kept). rampartd holds public keys
 *   only: it can check images, never make one a device accepts;
 * - adding a release from an image file already in DATA/releases/ (an
 *   upload streamed there by the route), verified whole against the
 *   current key set, then stored content-addressed as
 *   DATA/releases/<sha256>.img (fsync, rename, fsync of the folder) and
 *   only then its store row; removing one: the row, then the file
 *   (add.c);
 * - the sweep at start (sweep.c): unfinished uploads and image files
 *   without a row are removed, a row whose file is missing or has the
 *   wrong size is reported (never removed silently).
 *
 * A crash at any point of an add or a removal leaves no release or a
 * whole one, and the next start's sweep removes what it left on disk.
 * Every refusal is an rp_err with one line for the operator in why.
 */
#ifndef RAMPARTD_RELEASE_H
#define RAMPARTD_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#include "rampart/err.h"
#include "rampart/image.h"
#include "store/store.h"

/* The folder of the images under the data directory (mode 0700). */
#define RELEASE_DIR "releases"

struct release_ctx {
	struct store *store;  /* not owned */
	const char *data_dir; /* not owned: DATA */
	/* Tests only (NULL in rampartd): called after each durable step of
	 * release_add ("renamed": the image is in place, no row yet; "row")
	 * and release_remove ("row removed": the file is still there), and
	 * in release_keys_install once the new set is checked, before it is
	 * written ("keys checked"), so that a test can kill the process or
	 * race another install exactly there. */
	void (*step)(void *arg, const char *step);
	void *step_arg;
};

/*
 * Install the key set rpks[0..len) (an RPKS file, docs/image-format.md)
 * as the fleet's trusted release key set. The first one is accepted when
 * it parses and carries its own threshold of signatures by its own keys
 * (what a device's factory set must), and trusted as given: the log says
 * so with its epoch and key ids. A later one only through
 * rp_keyset_accept(current, new): RP_E_KEYSET_EPOCH (epoch not above),
 * RP_E_KEYSET_UNREVOKED (a revocation dropped), RP_E_SIG_THRESHOLD,
 * RP_E_SIG_UNKNOWN_KEY, RP_E_KEY_REVOKED, RP_E_SIG_BAD (not signed by a
 * threshold of the current set's unrevoked keys); a malformed set its
 * parse error (RP_E_KEYSET, ...); RP_E_TOO_BIG above RP_KEYSET_MAX_SIZE.
 * RP_E_STATE when another set was installed between the check and the
 * write (the store's compare and set): nothing changed, try again. The
 * store's errors otherwise. out (may be NULL): the set installed.
 */
rp_err release_keys_install(const struct release_ctx *c, const uint8_t *rpks,
                            size_t len, struct rp_keyset *out, char *why,
                            size_t cap) RP_WARN_UNUSED;

/* The current key set, parsed, and its row (row may be NULL).
 * RP_E_NOT_FOUND when none is installed. */
rp_err release_keys_current(const struct release_ctx *c, struct rp_keyset *ks,
                            struct store_keyset *row) RP_WARN_UNUSED;

/*
 * A new upload file in DATA/releases/ (created 0700 if needed): its path
 * in tmp[0..cap) (PATH_MAX is enough), open for writing in *fd, mode
 * 0600, named so that the sweep at start removes it if nothing else
 * does. Write the image into it, close fd, then release_add(tmp); to
 * give up, rp_file_temp_abort(fd, tmp). RP_E_IO, RP_E_RANGE.
 */
rp_err release_upload_open(const struct release_ctx *c, char *tmp, size_t cap,
                           int *fd) RP_WARN_UNUSED;

/* What an add says about a release besides its image. */
struct release_add_in {
	const char *hw;    /* the hardware type it must be for; NULL: any */
	const char *notes; /* NULL: none; at most STORE_NOTES_MAX bytes */
	const char *sbom;  /* CycloneDX JSON text; NULL: none */
	size_t sbom_len;
};

/*
 * Make the image file tmp (from release_upload_open: in DATA/releases/)
 * a release. It is verified whole against the current key set
 * (rp_image_verify: structure, exact size, a threshold of signatures by
 * unrevoked keys, the payload's SHA-256, in->hw), a delta-kind image must
 * name its base and result (docs/releases.md), the SBOM must parse
 * (rp_sbom_parse). Then tmp is fsync'd and renamed to
 * DATA/releases/<id>.img (id: the SHA-256 of the file, hex), the folder
 * fsync'd, and the row added. tmp is consumed: renamed or removed,
 * whatever this returns. out (may be NULL): the release's row.
 *
 * Refusals (nothing stored): RP_E_STATE (no key set installed), the
 * verifier's (RP_E_SIG_UNKNOWN_KEY, RP_E_SIG_THRESHOLD, RP_E_KEY_REVOKED,
 * RP_E_SIG_BAD, RP_E_IMAGE_HASH, RP_E_IMAGE_HW, RP_E_IMAGE_*),
 * RP_E_IMAGE_HEADER (a delta image without base or result), RP_E_SYNTAX /
 * RP_E_UNSUPPORTED / RP_E_TOO_BIG (the SBOM; why names its JSON path),
 * RP_E_TOO_BIG (notes), RP_E_EXISTS (the same image is a release
 * already), RP_E_INVAL (tmp not a regular file in DATA/releases/).
 * Failures: RP_E_IO, RP_E_NOMEM, the store's.
 */
rp_err release_add(const struct release_ctx *c, const char *tmp,
                   const struct release_add_in *in, struct store_release *out,
                   char *why, size_t cap) RP_WARN_UNUSED;

/*
 * Remove release id: its row (RP_E_NOT_FOUND; RP_E_STATE while a device
 * assignment or a rollout uses it), then its image file. A crash between
 * the two leaves a file without a row, which the next sweep removes.
 */
rp_err release_remove(const struct release_ctx *c, const char *id, char *why,
                      size_t cap) RP_WARN_UNUSED;

/* DATA/releases/<id>.img into buf (cap bytes). RP_E_RANGE if it does not
 * fit, RP_E_INVAL if id is not 64 lower-case hex digits. */
rp_err release_blob_path(const struct release_ctx *c, const char *id, char *buf,
                         size_t cap) RP_WARN_UNUSED;

/* What a sweep found (sweep.c). */
struct release_sweep {
	unsigned temps;    /* unfinished uploads removed */
	unsigned orphans;  /* image files without a row, removed */
	unsigned releases; /* rows */
	unsigned missing;  /* rows whose image file is missing (logged) */
	unsigned bad_size; /* rows whose file has another size (logged) */
	unsigned unknown;  /* other files in the folder, left alone */
};

/*
 * The sweep of DATA/releases/ (created 0700 if missing), before anything
 * is served: removes unfinished uploads (*.tmp.*) and image files
 * (<sha256>.img) without a row, and logs each row whose file is missing
 * or whose size is not the row's, and other files (left alone). out (may
 * be NULL) counts them. RP_E_IO when the folder cannot be read or a file
 * not removed, the store's errors.
 */
rp_err release_sweep(const struct release_ctx *c,
                     struct release_sweep *out) RP_WARN_UNUSED;

/* rampartd's start: release_sweep over store and data_dir, its findings
 * logged in one line. */
rp_err release_start(struct store *store, const char *data_dir) RP_WARN_UNUSED;

#endif
