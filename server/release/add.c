/* SPDX-License-Identifier: Apache-2.0 */
/*
 * add.c - adding and removing a release (release.h): an uploaded image
 * verified whole against the current key set, stored content-addressed
 * (fsync, rename, fsync of the folder, then the row), and a removal (the
 * row, then the file). The order is the crash-safety argument of
 * docs/releases.md: a row is written only once its file is durable in
 * place, and a file outlives its row only until the next sweep.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rampart/alloc.h"
#include "rampart/crypto_host.h"
#include "rampart/encode.h"
#include "rampart/file.h"
#include "rampart/log.h"
#include "release/release_int.h"
#include "sbom.h"

bool release_id_ok(const char *id, size_t len)
{
	if (len != STORE_RELEASE_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
		      (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

rp_err release_dir(const struct release_ctx *c, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%s/%s", c->data_dir, RELEASE_DIR);

	if (n < 0 || (size_t)n >= cap)
		return RP_E_RANGE;
	if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
		rp_log_error("releases: cannot create %s: %s", buf,
		             strerror(errno));
		return RP_E_IO;
	}
	return RP_OK;
}

rp_err release_blob_path(const struct release_ctx *c, const char *id, char *buf,
                         size_t cap)
{
	int n;

	if (id == NULL || !release_id_ok(id, strlen(id)))
		return RP_E_INVAL;
	n = snprintf(buf, cap, "%s/%s/%s" RELEASE_IMG_EXT, c->data_dir,
	             RELEASE_DIR, id);
	return n < 0 || (size_t)n >= cap ? RP_E_RANGE : RP_OK;
}

rp_err release_upload_open(const struct release_ctx *c, char *tmp, size_t cap,
                           int *fd)
{
	char path[PATH_MAX];
	rp_err rc;

	*fd = -1;
	rc = release_dir(c, path, sizeof path);
	if (rc != RP_OK)
		return rc;
	if (strlen(path) + sizeof "/" RELEASE_UPLOAD > sizeof path)
		return RP_E_RANGE;
	strncat(path, "/" RELEASE_UPLOAD, sizeof path - strlen(path) - 1);
	/* PATH.tmp.XXXXXX: what the sweep removes */
	return rp_file_temp_open(path, 0600, tmp, cap, fd);
}

static void step(const struct release_ctx *c, const char *what)
{
	if (c->step != NULL)
		c->step(c->step_arg, what);
}

/* The first 8 bytes of a key id as hex, for a message. */
static void short_id(const uint8_t id[RP_KEYID_LEN], char out[17])
{
	if (rp_hex_encode(id, 8, out, 17) != RP_OK)
		out[0] = '\0';
}

/* The first signature whose status is st: its key id, or "" for none. */
static void key_with(const struct rp_image_report *rep, uint8_t st,
                     char out[17])
{
	out[0] = '\0';
	for (unsigned i = 0; i < rep->nsigs && i < RP_IMAGE_MAX_SIGS; i++)
		if (rep->sig_ok[i] == st) {
			short_id(rep->sig_keyid[i], out);
			return;
		}
}

/* why for an image the verifier refused with rc. */
static void image_refusal(char *why, size_t cap, rp_err rc,
                          const struct rp_image_report *rep,
                          const struct rp_keyset *trust, const char *hw)
{
	char key[17];

	switch (rc) {
	case RP_E_SIG_UNKNOWN_KEY:
		key_with(rep, RP_SIGSTAT_UNKNOWN, key);
		snprintf(why, cap,
		         "no signature by a key of the release key set (epoch "
		         "%u): signed by unknown key %s",
		         (unsigned)trust->epoch, key);
		break;
	case RP_E_SIG_THRESHOLD:
		snprintf(why, cap,
		         "%u valid signature(s) by keys of the release key "
		         "set, it needs %u",
		         rep->nvalid, trust->threshold);
		break;
	case RP_E_KEY_REVOKED:
		key_with(rep, RP_SIGSTAT_REVOKED, key);
		snprintf(why, cap,
		         "signed by revoked key %s: %u valid signature(s) by "
		         "unrevoked keys, the key set (epoch %u) needs %u",
		         key, rep->nvalid, (unsigned)trust->epoch,
		         trust->threshold);
		break;
	case RP_E_SIG_BAD:
		key_with(rep, RP_SIGSTAT_BAD, key);
		snprintf(why, cap,
		         "the signature by key %s does not verify: the header "
		         "was changed after signing, or the signature is "
		         "damaged",
		         key);
		break;
	case RP_E_IMAGE_HASH:
		snprintf(why, cap,
		         "the payload does not match the SHA-256 of "
		         "its signed header: damaged or tampered with");
		break;
	case RP_E_IMAGE_HW:
		snprintf(why, cap,
		         "the image is for hardware type '%s', not '%s'",
		         rep->hdr.hw, hw != NULL ? hw : "?");
		break;
	default:
		snprintf(why, cap, "not a valid signed image: %s",
		         rp_strerror(rc));
		break;
	}
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* The work of one add: too big for a stack. */
struct add_work {
	struct rp_keyset trust;
	struct rp_image_report rep;
	struct store_release rel;
	uint8_t buf[RP_IMAGE_HOST_WORK];
	char blob[PATH_MAX];
	struct stat st; /* the upload as verification began */
};

/* Verify the image open as fd (the upload tmp) against w->trust and in,
 * and fill w->rel from what the verified header says. */
static rp_err check_image(struct add_work *w, const char *tmp, int fd,
                          const struct release_add_in *in, char *why,
                          size_t cap)
{
	const struct rp_image_hdr *h = &w->rep.hdr;
	struct rp_image_policy pol = {in->hw, 0, true};
	struct rp_image_src src;
	struct stat st;
	rp_err rc;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, cap, "%s is not a regular file", tmp);
		return RP_E_INVAL;
	}
	w->st = st;
	/* through fd: the file verified (and hashed, release_add) is the
	 * one opened, whatever tmp's name points at meanwhile */
	rc = rp_image_src_fd_open(&src, fd);
	if (rc != RP_OK) {
		snprintf(why, cap, "cannot read %s: %s", tmp, rp_strerror(rc));
		return rc;
	}
	rc = rp_image_verify(&src, &w->trust, rp_crypto_host(), &pol, w->buf,
	                     sizeof w->buf, &w->rep);
	rp_image_src_file_close(&src);
	if (rc != RP_OK) {
		image_refusal(why, cap, rc, &w->rep, &w->trust, in->hw);
		return rc;
	}
	/* a maker-signed delta (docs/delta.md) says what it applies to and
	 * what it makes; one that does not is no documented image */
	if (h->kind == RP_IMAGE_DELTA &&
	    (all_zero(h->base_sha256, RP_SHA256_LEN) ||
	     all_zero(h->result_sha256, RP_SHA256_LEN) ||
	     memcmp(h->base_sha256, h->result_sha256, RP_SHA256_LEN) == 0)) {
		snprintf(why, cap,
		         "a delta image must name its base and its "
		         "result, two different images");
		return RP_E_IMAGE_HEADER;
	}
	if (h->build_time > (uint64_t)INT64_MAX ||
	    w->rep.total_len != (uint64_t)st.st_size) {
		snprintf(why, cap,
		         "the image's build time or size is out of "
		         "range");
		return RP_E_RANGE;
	}
	memset(&w->rel, 0, sizeof w->rel);
	snprintf(w->rel.hw_type, sizeof w->rel.hw_type, "%s", h->hw);
	w->rel.ver_major = h->ver_major;
	w->rel.ver_minor = h->ver_minor;
	w->rel.ver_patch = h->ver_patch;
	w->rel.counter = h->counter;
	w->rel.kind = (int)h->kind;
	w->rel.payload_size = (int64_t)h->payload_len;
	w->rel.file_size = (int64_t)st.st_size;
	w->rel.build_time = (int64_t)h->build_time;
	return RP_OK;
}

/* The SBOM must parse; its fault's JSON path goes into why. */
static rp_err check_sbom(const struct release_add_in *in, char *why, size_t cap)
{
	struct rp_sbom_diag d;
	struct rp_sbom *sb = NULL; /* owned here */
	rp_err rc;

	if (in->sbom == NULL)
		return RP_OK;
	memset(&d, 0, sizeof d);
	rc = rp_sbom_parse(in->sbom, in->sbom_len, &sb, &d);
	rp_sbom_free(sb);
	if (rc != RP_OK)
		snprintf(why, cap, "the SBOM is refused: %s",
		         d.msg[0] != '\0' ? d.msg : rp_strerror(rc));
	return rc;
}

/* Put tmp (open as fd, verified) durably in place as w->blob: fsync the
 * file, check tmp is still the file verified, rename, fsync the folder. */
static rp_err place(struct add_work *w, const char *tmp, int fd, char *why,
                    size_t cap)
{
	struct stat a, b;

	/* the name still is the file opened, and nothing wrote it since
	 * the verification began (a write moves its ctime, which no one
	 * can set back): what was verified and hashed is what is placed */
	if (fsync(fd) != 0 || fstat(fd, &a) != 0 || stat(tmp, &b) != 0 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino ||
	    a.st_size != w->rel.file_size ||
	    a.st_ctim.tv_sec != w->st.st_ctim.tv_sec ||
	    a.st_ctim.tv_nsec != w->st.st_ctim.tv_nsec) {
		snprintf(why, cap,
		         "%s changed while it was verified, or "
		         "cannot be synced",
		         tmp);
		return RP_E_IO;
	}
	if (rename(tmp, w->blob) != 0) {
		snprintf(why, cap,
		         "cannot rename %s to %s: %s (it must be "
		         "in the releases folder)",
		         tmp, w->blob, strerror(errno));
		return errno == EXDEV ? RP_E_INVAL : RP_E_IO;
	}
	if (rp_file_sync_dir(w->blob) != 0) {
		snprintf(why, cap, "cannot sync the releases folder: %s",
		         strerror(errno));
		return RP_E_IO;
	}
	return RP_OK;
}

/* The row of a file put in place could not be added: remove the file
 * unless a row names it (the same image added before). */
static void unplace(const struct release_ctx *c, struct add_work *w)
{
	struct store_release r;

	if (store_release_get(c->store, w->rel.id, &r) != RP_E_NOT_FOUND)
		return; /* the sweep at the next start decides */
	if (unlink(w->blob) == 0)
		(void)rp_file_sync_dir(w->blob);
}

rp_err release_add(const struct release_ctx *c, const char *tmp,
                   const struct release_add_in *in, struct store_release *out,
                   char *why, size_t cap)
{
	struct add_work *w = rp_malloc(sizeof *w); /* owned here */
	struct store_release old;
	bool placed = false;
	rp_err rc = RP_E_NOMEM;
	int fd = -1;

	why[0] = '\0';
	if (w == NULL)
		goto out;
	fd = open(tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = rp_err_errno(errno);
		snprintf(why, cap, "cannot open %s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = release_keys_current(c, &w->trust, NULL);
	if (rc == RP_E_NOT_FOUND) {
		rc = RP_E_STATE;
		snprintf(why, cap,
		         "no release key set is installed: install "
		         "the fleet's key set first (rampart release "
		         "keys set KEYSET)");
	}
	if (rc != RP_OK) {
		if (why[0] == '\0')
			snprintf(why, cap, "reading the key set: %s",
			         rp_strerror(rc));
		goto out;
	}
	rc = RP_E_TOO_BIG;
	if (in->notes != NULL && strlen(in->notes) > STORE_NOTES_MAX) {
		snprintf(why, cap, "the notes are longer than %u bytes",
		         (unsigned)STORE_NOTES_MAX);
		goto out;
	}
	rc = check_image(w, tmp, fd, in, why, cap);
	if (rc == RP_OK)
		rc = check_sbom(in, why, cap);
	if (rc != RP_OK)
		goto out;
	snprintf(w->rel.notes, sizeof w->rel.notes, "%s",
	         in->notes != NULL ? in->notes : "");
	rc = rp_sha256_fd_hex(fd, w->rel.id);
	if (rc == RP_OK)
		rc = release_blob_path(c, w->rel.id, w->blob, sizeof w->blob);
	if (rc != RP_OK) {
		snprintf(why, cap, "hashing %s: %s", tmp, rp_strerror(rc));
		goto out;
	}
	rc = store_release_get(c->store, w->rel.id, &old);
	if (rc == RP_OK) {
		rc = RP_E_EXISTS;
		snprintf(why, cap, "this image is release %s already",
		         w->rel.id);
	}
	if (rc != RP_E_NOT_FOUND)
		goto out;
	step(c, "verified");
	rc = place(w, tmp, fd, why, cap);
	if (rc != RP_OK)
		goto out;
	placed = true;
	step(c, "renamed");
	rc = store_release_add(c->store, &w->rel, in->sbom, in->sbom_len);
	if (rc != RP_OK) {
		snprintf(why, cap, "storing the release: %s", rp_strerror(rc));
		if (rc != RP_E_EXISTS)
			unplace(c, w);
		goto out;
	}
	step(c, "row");
	rc = store_release_get(c->store, w->rel.id, &w->rel);
	if (rc == RP_OK && out != NULL)
		*out = w->rel;
	rp_log_info("releases: added %s: %s %u.%u.%u, counter %u, %s, %lld "
	            "bytes%s",
	            w->rel.id, w->rel.hw_type, w->rel.ver_major,
	            w->rel.ver_minor, w->rel.ver_patch, w->rel.counter,
	            w->rel.kind == RP_IMAGE_DELTA ? "delta" : "full",
	            (long long)w->rel.file_size,
	            in->sbom != NULL ? ", with an SBOM" : "");
	rc = RP_OK; /* the release is stored: a failed read-back is not
	             * a failed add */
out:
	if (fd >= 0)
		(void)close(fd);
	if (!placed)
		(void)unlink(tmp); /* consumed, whatever happened */
	if (rc != RP_OK)
		rp_log_info("releases: add refused (%s): %s", rp_errname(rc),
		            why);
	rp_free(w);
	return rc;
}

rp_err release_remove(const struct release_ctx *c, const char *id, char *why,
                      size_t cap)
{
	char blob[PATH_MAX];
	rp_err rc = release_blob_path(c, id, blob, sizeof blob);

	why[0] = '\0';
	if (rc != RP_OK) {
		snprintf(why, cap, "a release id is 64 lower-case hex digits");
		return rc == RP_E_INVAL ? RP_E_NOT_FOUND : rc;
	}
	rc = store_release_remove(c->store, id);
	if (rc == RP_E_STATE)
		snprintf(why, cap,
		         "release %s is in use (assigned to a "
		         "device or in a rollout)",
		         id);
	else if (rc == RP_E_NOT_FOUND)
		snprintf(why, cap, "no release %s", id);
	else if (rc != RP_OK)
		snprintf(why, cap, "removing release %s: %s", id,
		         rp_strerror(rc));
	if (rc != RP_OK)
		return rc;
	step(c, "row removed");
	/* the row is gone: the file is garbage now, and the next sweep
	 * removes it if this does not */
	if (unlink(blob) != 0 && errno != ENOENT)
		rp_log_warn("releases: %s: %s (removed at the next start)",
		            blob, strerror(errno));
	else
		(void)rp_file_sync_dir(blob);
	rp_log_info("releases: removed %s", id);
	return RP_OK;
}
