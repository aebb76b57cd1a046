/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_release.c - rampartd's releases (server/release/release.h) on a
 * real SQLite store with real signed images and key sets made here with
 * lib/sign (Ed25519 release keys A, B, C, D): a good image becomes a
 * content-addressed release; an image signed by an unknown key, below
 * the threshold, by a revoked key, with a tampered payload, for other
 * hardware, before any key set, a delta without base, a bad SBOM are
 * refused and leave nothing; the key set's first install, a rotation,
 * rotations not signed by the current threshold, going down an epoch or
 * dropping a revocation refused, and two installs racing (the second
 * one, checked against the same set, loses); removal, and removal
 * refused while the release is used; and crash safety: a child is
 * killed with SIGKILL at each durable step of an add and a removal (and
 * in the middle of an upload), and the sweep at the next start leaves
 * either no release and no file or the whole release.
 */
#define _GNU_SOURCE /* prctl */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cmocka_all.h"
#include "rampart/crypto_host.h"
#include "rampart/file.h"
#include "rampart/mem.h"
#include "rampart/sign.h"
#include "release/release.h"
#include "rpt.h"

/* The release keys, made once: A, B, C, D. */
static char keydir[512];
static struct rp_pubkey pub[4];
static rp_signer *key[4];
enum { A, B, C, D };

/* The running case's data directory, store and context. */
static char data[512], spec[700], path[900];
static struct store *st;
static struct release_ctx ctx;
static char why[256];

static const char *at(const char *dir, const char *name)
{
	static char p[4][1024];
	static unsigned next;
	char *out = p[next++ % 4];

	snprintf(out, sizeof p[0], "%s/%s", dir, name);
	return out;
}

static int setup_keys(void **state)
{
	char name[16];

	(void)state;
	if (rp_init() != RP_OK)
		return -1;
	rpt_tmpdir(keydir, sizeof keydir);
	for (int i = A; i <= D; i++) {
		snprintf(name, sizeof name, "key-%c", 'A' + i);
		if (rp_key_generate(RP_ALG_ED25519, at(keydir, name), NULL,
		                    &pub[i]) != RP_OK ||
		    rp_signer_open(at(keydir, name), NULL, &key[i]) != RP_OK)
			return -1;
	}
	/* the payload every image carries */
	return rp_file_write_atomic(at(keydir, "payload"),
	                            "firmware payload, version 1\n", 28,
	                            0644) == RP_OK
	           ? 0
	           : -1;
}

static int teardown_keys(void **state)
{
	(void)state;
	for (int i = A; i <= D; i++)
		rp_signer_free(key[i]);
	return 0;
}

/* A new data directory and its store for each case. */
static int setup(void **state)
{
	(void)state;
	rpt_tmpdir(data, sizeof data);
	snprintf(spec, sizeof spec, "%s/rampart.db", data);
	if (store_open(spec, &st) != RP_OK)
		return -1;
	memset(&ctx, 0, sizeof ctx);
	ctx.store = st;
	ctx.data_dir = data;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	store_close(st);
	st = NULL;
	return 0;
}

/* --- key sets and images ------------------------------------------------- */

struct ks_bytes {
	uint8_t b[RP_KEYSET_MAX_SIZE];
	size_t len;
};

/* A key set of the keys in mask (bit i: key i), threshold k, epoch,
 * revoking the keys in revoke, signed by the keys in sign. */
static struct ks_bytes keyset(unsigned mask, unsigned k, uint32_t epoch,
                              unsigned revoke, unsigned sign)
{
	struct rp_keyset ks;
	struct ks_bytes out;
	rp_signer *by[4];
	size_t n = 0;

	memset(&ks, 0, sizeof ks);
	ks.epoch = epoch;
	ks.threshold = (uint8_t)k;
	for (int i = A; i <= D; i++) {
		if (mask & (1u << i))
			ks.keys[ks.nkeys++] = pub[i];
		if (revoke & (1u << i))
			memcpy(ks.revoked[ks.nrevoked++], pub[i].id,
			       RP_KEYID_LEN);
		if (sign & (1u << i))
			by[n++] = key[i];
	}
	assert_int_equal(
	    rp_keyset_sign(&ks, by, n, out.b, sizeof out.b, &out.len), RP_OK);
	return out;
}

#define KA (1u << A)
#define KB (1u << B)
#define KC (1u << C)
#define KD (1u << D)

static rp_err install(struct ks_bytes ks)
{
	return release_keys_install(&ctx, ks.b, ks.len, NULL, why, sizeof why);
}

/* The fleet's first set: 2 of A, B, C at epoch 1. */
static void first_set(void)
{
	assert_int_equal(install(keyset(KA | KB | KC, 2, 1, 0, KA | KB)),
	                 RP_OK);
}

/* A signed image at keydir/name: hardware hw, version 1.2.patch, counter
 * 5, signed by the keys in sign; kind delta when base is not NULL. */
static const char *image(const char *name, const char *hw, uint32_t patch,
                         unsigned sign, const uint8_t *base)
{
	static char paths[32][1024]; /* each image's path stays valid */
	static unsigned next;
	struct rp_image_hdr h;
	rp_signer *by[4];
	size_t n = 0;
	char *out = paths[next++ % 32];

	snprintf(out, sizeof paths[0], "%s/%s", keydir, name);

	memset(&h, 0, sizeof h);
	h.kind = base != NULL ? RP_IMAGE_DELTA : RP_IMAGE_FULL;
	h.counter = 5;
	snprintf(h.hw, sizeof h.hw, "%s", hw);
	h.ver_major = 1;
	h.ver_minor = 2;
	h.ver_patch = patch;
	h.build_time = 1760000000;
	if (base != NULL) {
		memcpy(h.base_sha256, base, RP_SHA256_LEN);
		memset(h.result_sha256, 0x5a, RP_SHA256_LEN);
	}
	for (int i = A; i <= D; i++)
		if (sign & (1u << i))
			by[n++] = key[i];
	assert_int_equal(
	    rp_image_sign_file(at(keydir, "payload"), out, &h, by, n, NULL),
	    RP_OK);
	return out;
}

/* Copy the file src into a new upload file; its path into tmp. */
static void upload(const char *src, char *tmp, size_t cap)
{
	size_t len = 0;
	char *buf = rpt_read_file(src, &len);
	int fd = -1;

	assert_non_null(buf);
	assert_int_equal(release_upload_open(&ctx, tmp, cap, &fd), RP_OK);
	assert_int_equal(rp_file_write_all(fd, buf, len), RP_OK);
	assert_int_equal(close(fd), 0);
	free(buf);
}

/* Upload src and add it with in (NULL: nothing more). */
static rp_err add(const char *src, const struct release_add_in *in,
                  struct store_release *out)
{
	struct release_add_in none = {0};
	char tmp[1024];

	upload(src, tmp, sizeof tmp);
	return release_add(&ctx, tmp, in != NULL ? in : &none, out, why,
	                   sizeof why);
}

/* Entries of DATA/releases, but . and .. */
static int files(void)
{
	DIR *d = opendir(at(data, RELEASE_DIR));
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	for (e = readdir(d); e != NULL; e = readdir(d))
		n +=
		    strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

static int count_cb(void *arg, const struct store_release *r)
{
	(void)r;
	++*(int *)arg;
	return 0;
}

static int releases(void)
{
	int n = 0;

	assert_int_equal(store_release_each(st, NULL, count_cb, &n), RP_OK);
	return n;
}

/* Nothing stored, nothing left on disk. */
static void nothing(void)
{
	assert_int_equal(releases(), 0);
	assert_int_equal(files(), 0);
}

/* --- adding -------------------------------------------------------------- */

/* The step hook of test_changed: at "verified", the upload named
 * changed_tmp is rewritten in place (same size) or replaced by a copy
 * under its name. */
static const char *changed_tmp;
static int changed_how; /* 0: rewrite a byte, 1: rename another file in */

static void changed_step(void *arg, const char *step)
{
	char other[1100];
	int fd;

	(void)arg;
	if (strcmp(step, "verified") != 0)
		return;
	if (changed_how == 0) {
		fd = open(changed_tmp, O_WRONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		/* the payload's first byte (after the 192-byte header) */
		assert_int_equal(pwrite(fd, "X", 1, 192), 1);
		assert_int_equal(close(fd), 0);
		return;
	}
	snprintf(other, sizeof other, "%s.other", changed_tmp);
	assert_int_equal(link(changed_tmp, other), 0);
	{
		size_t len = 0;
		char *buf = rpt_read_file(changed_tmp, &len);

		assert_non_null(buf);
		assert_int_equal(unlink(other), 0);
		buf[192] ^= 1;
		assert_int_equal(rpt_write_file(other, buf, len, 0600), 0);
		free(buf);
	}
	assert_int_equal(rename(other, changed_tmp), 0);
}

/* The upload changed between its verification and its placing: refused,
 * no release, no file (review: it was verified by name, hashed by name,
 * and placed if only its inode and size held). */
static void test_changed(void **state)
{
	struct release_add_in in = {0};
	const char *img = image("chg.img", "board-x", 3, KA | KB, NULL);
	char tmp[1024];

	(void)state;
	first_set();
	for (changed_how = 0; changed_how < 2; changed_how++) {
		upload(img, tmp, sizeof tmp);
		changed_tmp = tmp;
		ctx.step = changed_step;
		assert_int_not_equal(
		    release_add(&ctx, tmp, &in, NULL, why, sizeof why), RP_OK);
		ctx.step = NULL;
		assert_non_null(strstr(why, "changed while it was verified"));
		assert_int_equal(releases(), 0);
		assert_int_equal(files(), 0);
	}
}

static void test_add_good(void **state)
{
	struct release_add_in in = {0};
	struct store_release r, got;
	static const char sbom[] =
	    "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\","
	    "\"version\":1,\"components\":[{\"type\":\"library\","
	    "\"name\":\"zlib\",\"version\":\"1.3\"}]}";
	const char *img = image("good.img", "board-x", 3, KA | KB, NULL);
	char hex[65], *text = NULL;
	size_t len = 0;
	struct stat sb;

	(void)state;
	first_set();
	in.hw = "board-x";
	in.notes = "first release";
	in.sbom = sbom;
	in.sbom_len = strlen(sbom);
	assert_int_equal(add(img, &in, &r), RP_OK);
	/* content-addressed: the id is the file's SHA-256 */
	assert_int_equal(rp_sha256_file_hex(img, hex), RP_OK);
	assert_string_equal(r.id, hex);
	assert_string_equal(r.hw_type, "board-x");
	assert_int_equal(r.ver_major, 1);
	assert_int_equal(r.ver_minor, 2);
	assert_int_equal(r.ver_patch, 3);
	assert_int_equal(r.counter, 5);
	assert_int_equal(r.kind, 0);
	assert_int_equal(r.payload_size, 28);
	assert_int_equal(r.build_time, 1760000000);
	assert_string_equal(r.notes, "first release");
	assert_int_equal(r.sbom_len, strlen(sbom));
	assert_int_equal(stat(img, &sb), 0);
	assert_int_equal(r.file_size, sb.st_size);
	assert_int_equal(store_release_get(st, hex, &got), RP_OK);
	assert_int_equal(store_release_sbom(st, hex, &text, &len), RP_OK);
	assert_string_equal(text, sbom);
	free(text);
	/* the file, whole, and nothing else */
	assert_int_equal(release_blob_path(&ctx, hex, path, sizeof path),
	                 RP_OK);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(rp_sha256_file_hex(path, hex), RP_OK);
	assert_string_equal(r.id, hex);
	assert_int_equal(files(), 1);
	/* the same image again: refused, the upload gone */
	assert_int_equal(add(img, NULL, NULL), RP_E_EXISTS);
	assert_int_equal(files(), 1);
	assert_int_equal(releases(), 1);
	/* any hardware when none is asked for; a maker-signed delta */
	assert_int_equal(
	    add(image("other.img", "board-y", 4, KB | KC, NULL), NULL, NULL),
	    RP_OK);
	assert_int_equal(add(image("delta.img", "board-x", 5, KA | KC,
	                           (const uint8_t *)"0123456789abcdef0123456789"
	                                            "abcdef"),
	                     NULL, &r),
	                 RP_OK);
	assert_int_equal(r.kind, 1);
	assert_int_equal(releases(), 3);
	assert_int_equal(files(), 3);
}

static void test_add_refused(void **state)
{
	struct release_add_in in = {0};
	const char *good = image("good.img", "board-x", 3, KA | KB, NULL);
	static const uint8_t zero[RP_SHA256_LEN];
	static const char bad_sbom[] =
	    "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\","
	    "\"version\":1,\"components\":[{\"type\":\"library\","
	    "\"name\":\"zlib\",\"purl\":\"zlib@1.3\"}]}";
	size_t len = 0;
	char *buf;

	(void)state;
	/* before any key set */
	assert_int_equal(add(good, NULL, NULL), RP_E_STATE);
	assert_non_null(strstr(why, "no release key set"));
	nothing();
	first_set();
	/* unknown key: D is not in the set */
	assert_int_equal(
	    add(image("d.img", "board-x", 3, KD, NULL), NULL, NULL),
	    RP_E_SIG_UNKNOWN_KEY);
	assert_non_null(strstr(why, "unknown key"));
	nothing();
	/* below the threshold: A alone, A and D */
	assert_int_equal(
	    add(image("a.img", "board-x", 3, KA, NULL), NULL, NULL),
	    RP_E_SIG_THRESHOLD);
	assert_non_null(strstr(why, "1 valid signature(s)"));
	assert_int_equal(
	    add(image("ad.img", "board-x", 3, KA | KD, NULL), NULL, NULL),
	    RP_E_SIG_THRESHOLD);
	nothing();
	/* a payload byte changed after signing */
	buf = rpt_read_file(good, &len);
	assert_non_null(buf);
	buf[RP_IMAGE_HDR_SIZE + 3] ^= 1;
	assert_int_equal(
	    rpt_write_file(at(keydir, "tampered.img"), buf, len, 0644), 0);
	free(buf);
	assert_int_equal(add(at(keydir, "tampered.img"), NULL, NULL),
	                 RP_E_IMAGE_HASH);
	assert_non_null(strstr(why, "tampered"));
	nothing();
	/* for another hardware type */
	in.hw = "board-y";
	assert_int_equal(add(good, &in, NULL), RP_E_IMAGE_HW);
	assert_non_null(strstr(why, "'board-x', not 'board-y'"));
	nothing();
	/* a delta that names no base */
	assert_int_equal(
	    add(image("delta0.img", "board-x", 3, KA | KB, zero), NULL, NULL),
	    RP_E_IMAGE_HEADER);
	nothing();
	/* a bad SBOM: its JSON path */
	in.hw = NULL;
	in.sbom = bad_sbom;
	in.sbom_len = strlen(bad_sbom);
	assert_int_equal(add(good, &in, NULL), RP_E_SYNTAX);
	assert_non_null(strstr(why, "$.components[0].purl"));
	nothing();
	/* a file that is no image, and one cut short */
	assert_int_equal(add(at(keydir, "payload"), NULL, NULL),
	                 RP_E_IMAGE_MAGIC);
	buf = rpt_read_file(good, &len);
	assert_non_null(buf);
	assert_int_equal(
	    rpt_write_file(at(keydir, "cut.img"), buf, len - 1, 0644), 0);
	free(buf);
	assert_int_equal(add(at(keydir, "cut.img"), NULL, NULL),
	                 RP_E_IMAGE_TRUNCATED);
	nothing();
	/* revoked: the set of epoch 2 revokes C, and A + C is one valid
	 * signature (C's no longer counts) */
	assert_int_equal(
	    add(image("ac.img", "board-x", 3, KA | KC, NULL), NULL, NULL),
	    RP_OK);
	assert_int_equal(install(keyset(KA | KB | KD, 2, 2, KC, KA | KB)),
	                 RP_OK);
	assert_int_equal(
	    add(image("ac2.img", "board-x", 4, KA | KC, NULL), NULL, NULL),
	    RP_E_KEY_REVOKED);
	assert_non_null(strstr(why, "revoked key"));
	assert_int_equal(releases(), 1);
	assert_int_equal(files(), 1);
	/* and the good one still goes in */
	assert_int_equal(add(good, NULL, NULL), RP_OK);
}

/* --- key sets ------------------------------------------------------------ */

static int keyset_cb(void *arg, const struct store_keyset *k)
{
	char *buf = arg;
	size_t n = strlen(buf);

	snprintf(buf + n, 64 - n, "%lld;", (long long)k->epoch);
	return 0;
}

static void test_keys(void **state)
{
	struct rp_keyset cur;
	struct ks_bytes ks;
	char seen[64] = "";

	(void)state;
	assert_int_equal(release_keys_current(&ctx, &cur, NULL),
	                 RP_E_NOT_FOUND);
	/* a first set must carry its own threshold */
	assert_int_equal(install(keyset(KA | KB | KC, 2, 1, 0, KA)),
	                 RP_E_SIG_THRESHOLD);
	assert_non_null(strstr(why, "first key set"));
	ks = keyset(KA | KB | KC, 2, 1, 0, KA | KB);
	ks.b[20] ^= 1; /* a key byte: malformed or its signatures fail */
	assert_int_not_equal(install(ks), RP_OK);
	assert_int_equal(install((struct ks_bytes){{1, 2, 3}, 3}), RP_E_KEYSET);
	assert_non_null(strstr(why, "not a valid key set"));
	assert_int_equal(release_keys_current(&ctx, &cur, NULL),
	                 RP_E_NOT_FOUND);
	/* trust on first install */
	first_set();
	assert_int_equal(release_keys_current(&ctx, &cur, NULL), RP_OK);
	assert_int_equal(cur.epoch, 1);
	assert_int_equal(cur.nkeys, 3);
	/* a rotation signed by the current threshold: C out, D in */
	assert_int_equal(install(keyset(KA | KB | KD, 2, 2, 0, KA | KB)),
	                 RP_OK);
	/* by a key the current set no longer has, or by one key: refused */
	assert_int_equal(install(keyset(KA | KB | KD, 2, 3, 0, KC)),
	                 RP_E_SIG_UNKNOWN_KEY);
	assert_non_null(strstr(why, "not signed by 2"));
	assert_int_equal(install(keyset(KA | KB | KD, 2, 3, 0, KB)),
	                 RP_E_SIG_THRESHOLD);
	/* an epoch going down, or staying */
	assert_int_equal(install(keyset(KA | KB | KD, 2, 1, 0, KA | KB)),
	                 RP_E_KEYSET_EPOCH);
	assert_int_equal(install(keyset(KA | KB | KD, 2, 2, 0, KA | KB)),
	                 RP_E_KEYSET_EPOCH);
	assert_non_null(strstr(why, "not above the current set's 2"));
	/* revoke D at 3; a later set may not drop it */
	assert_int_equal(install(keyset(KA | KB, 2, 3, KD, KA | KB)), RP_OK);
	assert_int_equal(install(keyset(KA | KB, 1, 4, 0, KA | KB)),
	                 RP_E_KEYSET_UNREVOKED);
	assert_int_equal(release_keys_current(&ctx, &cur, NULL), RP_OK);
	assert_int_equal(cur.epoch, 3);
	assert_int_equal(cur.nrevoked, 1);
	assert_int_equal(store_keyset_each(st, keyset_cb, seen), RP_OK);
	assert_string_equal(seen, "1;2;3;");
}

/* The race: while this install is between its check and its write,
 * another connection installs a set checked against the same one. */
static struct release_ctx other;
static struct ks_bytes other_set;
static rp_err other_rc;

static void race_step(void *arg, const char *step)
{
	(void)arg;
	if (strcmp(step, "keys checked") == 0)
		other_rc = release_keys_install(
		    &other, other_set.b, other_set.len, NULL, why, sizeof why);
}

static void test_keys_race(void **state)
{
	struct rp_keyset cur;

	(void)state;
	first_set();
	memset(&other, 0, sizeof other);
	assert_int_equal(store_open(spec, &other.store), RP_OK);
	other.data_dir = data;
	/* both checked against epoch 1: the other's (epoch 2) is written
	 * first, this one (epoch 3) must lose, not go over it */
	other_set = keyset(KA | KB | KD, 2, 2, 0, KA | KB);
	other_rc = RP_E_INTERNAL;
	ctx.step = race_step;
	assert_int_equal(install(keyset(KA | KB | KC, 2, 3, 0, KA | KB)),
	                 RP_E_STATE);
	assert_non_null(strstr(why, "installed meanwhile"));
	ctx.step = NULL;
	assert_int_equal(other_rc, RP_OK);
	assert_int_equal(release_keys_current(&ctx, &cur, NULL), RP_OK);
	assert_int_equal(cur.epoch, 2);
	/* checked again against epoch 2, it goes in */
	assert_int_equal(install(keyset(KA | KB | KC, 2, 3, 0, KA | KB)),
	                 RP_OK);
	store_close(other.store);
}

/* --- removal ---------------------------------------------------------------
 */

static void sql(const char *q)
{
	sqlite3 *db = NULL;
	char *err = NULL;

	assert_int_equal(sqlite3_open(spec, &db), SQLITE_OK);
	if (sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", q, err);
	sqlite3_close(db);
}

static void test_remove(void **state)
{
	struct store_release r, got;
	char q[512];

	(void)state;
	first_set();
	assert_int_equal(
	    add(image("good.img", "board-x", 3, KA | KB, NULL), NULL, &r),
	    RP_OK);
	assert_int_equal(files(), 1);
	/* a use, as the migration of device assignments will make one */
	snprintf(q, sizeof q,
	         "DROP VIEW release_uses; CREATE TABLE uses (release_id); "
	         "CREATE VIEW release_uses (release_id, what) AS SELECT "
	         "release_id, 'test' FROM uses; INSERT INTO uses VALUES "
	         "('%s')",
	         r.id);
	sql(q);
	assert_int_equal(release_remove(&ctx, r.id, why, sizeof why),
	                 RP_E_STATE);
	assert_non_null(strstr(why, "in use"));
	assert_int_equal(store_release_get(st, r.id, &got), RP_OK);
	assert_int_equal(files(), 1);
	sql("DELETE FROM uses");
	assert_int_equal(release_remove(&ctx, r.id, why, sizeof why), RP_OK);
	nothing();
	assert_int_equal(release_remove(&ctx, r.id, why, sizeof why),
	                 RP_E_NOT_FOUND);
	assert_int_equal(release_remove(&ctx, "../rampart.db", why, sizeof why),
	                 RP_E_NOT_FOUND);
	assert_int_equal(access(spec, F_OK), 0);
}

/* --- crash safety ----------------------------------------------------------
 */

/* Where the child is killed: in the middle of an upload, or at a step. */
static const char *kill_at;
static int tell_fd = -1;

static void die_here(void)
{
	char ok = 'k';

	if (write(tell_fd, &ok, 1) != 1)
		_exit(5);
	for (;;)
		pause(); /* SIGKILL comes */
}

static void crash_step(void *arg, const char *step)
{
	(void)arg;
	if (strcmp(step, kill_at) == 0)
		die_here();
}

/* The child: its own connection, the add (or remove) of img, killed
 * where kill_at says. */
static void child(const char *img, const char *rm_id)
{
	struct release_add_in in = {0};
	struct store *s = NULL;
	char tmp[1024], w[256];
	size_t len = 0;
	char *buf;
	int fd = -1;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (store_open(spec, &s) != RP_OK)
		_exit(3);
	ctx.store = s;
	ctx.step = crash_step;
	if (rm_id != NULL) {
		/* not killed: the step never came */
		_exit(release_remove(&ctx, rm_id, w, sizeof w) == RP_OK ? 4
		                                                        : 8);
	}
	buf = rpt_read_file(img, &len);
	if (buf == NULL || release_upload_open(&ctx, tmp, sizeof tmp, &fd))
		_exit(6);
	if (strcmp(kill_at, "upload") == 0) {
		/* half of it written, as a connection cut mid-upload */
		if (rp_file_write_all(fd, buf, len / 2) != RP_OK)
			_exit(7);
		die_here();
	}
	if (rp_file_write_all(fd, buf, len) != RP_OK || close(fd) != 0)
		_exit(7);
	_exit(release_add(&ctx, tmp, &in, NULL, w, sizeof w) == RP_OK ? 4 : 8);
}

static void crash(const char *where, const char *img, const char *rm_id)
{
	int p[2], status = 0;
	pid_t pid;
	char got = 0;
	ssize_t n;

	kill_at = where;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		tell_fd = p[1];
		child(img, rm_id);
	}
	close(p[1]);
	do {
		n = read(p[0], &got, 1);
	} while (n < 0 && errno == EINTR);
	close(p[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (n != 1)
		fail_msg("child for %s failed: status %d", where, status);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* What the sweep at the next start finds (a new connection, as rampartd
 * after a restart). */
static struct release_sweep restart(void)
{
	struct release_ctx c = {NULL, data, NULL, NULL};
	struct release_sweep n;

	assert_int_equal(store_open(spec, &c.store), RP_OK);
	assert_int_equal(release_sweep(&c, &n), RP_OK);
	store_close(c.store);
	return n;
}

static void test_crash_add(void **state)
{
	const char *img = image("good.img", "board-x", 3, KA | KB, NULL);
	struct release_sweep n;
	struct store_release r;
	char hex[65];

	(void)state;
	first_set();
	assert_int_equal(rp_sha256_file_hex(img, hex), RP_OK);
	/* killed mid-upload: the temp file is all there is */
	crash("upload", img, NULL);
	assert_int_equal(files(), 1);
	n = restart();
	assert_int_equal(n.temps, 1);
	assert_int_equal(n.orphans, 0);
	nothing();
	/* killed after the rename, before the row: an orphan */
	crash("renamed", img, NULL);
	assert_int_equal(files(), 1);
	assert_int_equal(releases(), 0);
	n = restart();
	assert_int_equal(n.orphans, 1);
	assert_int_equal(n.temps, 0);
	nothing();
	/* killed after the row: the whole release */
	crash("row", img, NULL);
	n = restart();
	assert_int_equal(n.temps + n.orphans + n.missing + n.bad_size, 0);
	assert_int_equal(n.releases, 1);
	assert_int_equal(store_release_get(st, hex, &r), RP_OK);
	assert_int_equal(release_blob_path(&ctx, hex, path, sizeof path),
	                 RP_OK);
	assert_int_equal(rp_sha256_file_hex(path, hex), RP_OK);
	assert_string_equal(hex, r.id);
	assert_int_equal(files(), 1);
	/* killed after the row's removal: the file goes at the restart */
	crash("row removed", NULL, r.id);
	assert_int_equal(files(), 1);
	n = restart();
	assert_int_equal(n.orphans, 1);
	assert_int_equal(n.releases, 0);
	nothing();
}

/* A row whose file is missing or damaged is reported and kept; a file
 * the sweep does not know is left alone. */
static void test_sweep_reports(void **state)
{
	struct store_release r1, r2;
	struct release_sweep n;

	(void)state;
	first_set();
	assert_int_equal(
	    add(image("one.img", "board-x", 1, KA | KB, NULL), NULL, &r1),
	    RP_OK);
	assert_int_equal(
	    add(image("two.img", "board-x", 2, KA | KB, NULL), NULL, &r2),
	    RP_OK);
	assert_int_equal(release_blob_path(&ctx, r1.id, path, sizeof path),
	                 RP_OK);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(release_blob_path(&ctx, r2.id, path, sizeof path),
	                 RP_OK);
	assert_int_equal(truncate(path, 100), 0);
	snprintf(path, sizeof path, "%s/%s/README", data, RELEASE_DIR);
	assert_int_equal(rpt_write_file(path, "x", 1, 0644), 0);
	n = restart();
	assert_int_equal(n.releases, 2);
	assert_int_equal(n.missing, 1);
	assert_int_equal(n.bad_size, 1);
	assert_int_equal(n.unknown, 1);
	assert_int_equal(n.orphans + n.temps, 0);
	assert_int_equal(releases(), 2);
	assert_int_equal(files(), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_add_good, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_changed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keys_race, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crash_add, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sweep_reports, setup,
	                                    teardown),
	};

	return cmocka_run_group_tests_name("release", tests, setup_keys,
	                                   teardown_keys);
}
