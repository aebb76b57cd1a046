/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_update_fetch.c - rp_update_fetch_start, the updater's download into
 * the inactive slot, against a real TLS server (http_stream_server.py with
 * a file folder: /file, /cut, /bad, /deny; it logs every request's Range
 * and If-Range), a flash file (rp_flash_file) with a boot state, and a real
 * signed image (tests/unit/bootimg.c): a whole download ends trial_marked
 * with the slot holding the image; a cut connection leaves a durable
 * offset in the progress file and a new start resumes with exactly
 * "Range: bytes=OFFSET-" and the ETag as If-Range; a corrupted byte is
 * refused by the verifier and nothing is marked; a valid image that is
 * not the release named (its SHA-256) is refused too; more bytes than
 * the size end too_big; a 503 with Retry-After is retried after it; a
 * stale ETag gets a 200 and the download starts over at 0; a cancel in
 * flight frees everything and keeps the durable offset; a 403 ends at once
 * with code http_403, one request and no retry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/ssl.h>
#include <sodium.h>

#include "bootimg.h"
#include "cmocka_all.h"
#include "rampart/boot.h"
#include "rampart/crypto_host.h"
#include "rampart/flash_file.h"
#include "rampart/update.h"
#include "rpt.h"

#define SECTOR   4096
#define NSECTORS 64
#define PAYLOAD  100000
#define HW       "devkit-a"

static char dir[512], cert[600], key[600], logp[600], imgp[600];
static int port;
static struct rpt_proc srv;
static SSL_CTX *ctx;
static struct rp_keyset ks;
static uint8_t img[PAYLOAD + 1024];
static size_t img_len;
static uint8_t other[PAYLOAD + 1024];
static size_t other_len;
static char otherp[600];
static char img_hex[65];
static uint64_t fetch_size; /* ref.size when not 0, else img_len */
/* Cancel from the loop (outside the fetch's callbacks): the first
 * durable progress past 0 breaks the loop when set. */
static bool break_at_progress;

struct run {
	struct event_base *base;
	struct rp_flash_file ff;
	struct rp_boot_layout l;
	char state[600];
	int done, reports[RP_UPD_CANCELLED + 1];
	rp_err rc;
	char code[RP_UPD_CODE_MAX + 1];
	uint64_t last_offset;
	bool broke; /* the loop was broken at break_at_progress */
};

static int start(void **state)
{
	char log[600], ps[16], script[600];
	struct timg_key k;
	uint8_t h[32];
	size_t i;

	(void)state;
	rpt_tmpdir(dir, sizeof dir);
	snprintf(cert, sizeof cert, "%s/srv.pem", dir);
	snprintf(key, sizeof key, "%s/srv.key", dir);
	snprintf(log, sizeof log, "%s/srv.log", dir);
	snprintf(logp, sizeof logp, "%s/requests.log", dir);
	snprintf(imgp, sizeof imgp, "%s/img.bin", dir);
	snprintf(script, sizeof script,
	         "%s/tests/integration/http_stream_server.py", rpt_src_dir());
	assert_int_equal(rpt_server_cert(cert, key), 0);
	timg_key(&k, 7);
	timg_keyset(&ks, &k, 1, 1, 1);
	img_len = timg_make(img, sizeof img, &k, 1, HW, 5, PAYLOAD, 3);
	crypto_hash_sha256(h, img, img_len);
	for (i = 0; i < 32; i++)
		snprintf(img_hex + 2 * i, 3, "%02x", h[i]);
	if (rpt_write_file(imgp, img, img_len, 0644) != 0)
		return -1;
	/* Another valid image of the same size: not the release named. */
	other_len = timg_make(other, sizeof other, &k, 1, HW, 5, PAYLOAD, 4);
	snprintf(otherp, sizeof otherp, "%s/other.bin", dir);
	if (other_len != img_len ||
	    rpt_write_file(otherp, other, other_len, 0644) != 0)
		return -1;
	port = rpt_free_port();
	snprintf(ps, sizeof ps, "%d", port);
	char *argv[] = {"python3", script, ps, cert, key, dir, NULL};
	if (rpt_start(&srv, argv, log, NULL) != 0 ||
	    !rpt_wait_port(&srv, port, RPT_DEADLINE_MS))
		return -1;
	return rp_http_tls_ctx(cert, NULL, NULL, &ctx) == RP_OK ? 0 : -1;
}

static int stop(void **state)
{
	(void)state;
	SSL_CTX_free(ctx);
	(void)rpt_stop(&srv, 2000); /* SIGTERM: its status is not 0 */
	return 0;
}

static void on_report(void *arg, const struct rp_update_report *r)
{
	struct run *u = arg;

	assert_string_equal(r->release, img_hex);
	assert_string_equal(r->cmd, "upd-1");
	assert_int_equal(r->size, fetch_size != 0 ? fetch_size : img_len);
	u->reports[r->state]++;
	u->last_offset = r->offset;
	if (break_at_progress && r->state == RP_UPD_DOWNLOADING &&
	    r->offset > 0) {
		u->broke = true;
		event_base_loopbreak(u->base);
	}
}

static void on_done(void *arg, rp_err rc, const char *code)
{
	struct run *u = arg;

	u->done++;
	u->rc = rc;
	snprintf(u->code, sizeof u->code, "%s", code);
	event_base_loopbreak(u->base);
}

/* A fresh device: flash file, boot state (slot A active, counter 1). */
static void device(struct run *u, const char *name)
{
	char fp[700];

	memset(u, 0, sizeof *u);
	snprintf(fp, sizeof fp, "%s/%s.flash", dir, name);
	snprintf(u->state, sizeof u->state, "%s/%s.progress", dir, name);
	assert_int_equal(rp_flash_file_create(fp, SECTOR * NSECTORS, true),
	                 RP_OK);
	assert_int_equal(rp_flash_file_open(&u->ff, fp, SECTOR), RP_OK);
	assert_int_equal(rp_boot_layout_default(&u->ff.f, &u->l), RP_OK);
	assert_int_equal(rp_boot_init(&u->ff.f, &u->l, 0, 1, 1), RP_OK);
	u->base = event_base_new();
	assert_non_null(u->base);
}

static void undevice(struct run *u)
{
	rp_flash_file_close(&u->ff);
	event_base_free(u->base);
}

/* One start on the loop until on_done (the test's deadline as guard). */
/* What rp_update_fetch_start must answer in fetch_h (test_trial_kept). */
static rp_err start_want = RP_OK;

static void fetch_h(struct run *u, const char *path, unsigned attempts,
                    rp_update_fetch **h)
{
	struct rp_update_fetch_cfg c;
	struct rp_update_ref ref;
	long long until = rpt_now_ms() + RPT_DEADLINE_MS;

	memset(&c, 0, sizeof c);
	c.base = u->base;
	c.ssl = ctx;
	c.flash = &u->ff.f;
	c.layout = &u->l;
	c.trust = &ks;
	c.crypto = rp_crypto_host();
	c.hw = HW;
	c.cmd = "upd-1";
	c.state_path = u->state;
	c.save_every = 16384;
	c.max_attempts = attempts;
	c.backoff_base_ms = 1;
	c.backoff_cap_ms = 2;
	c.on_report = on_report;
	c.on_done = on_done;
	c.arg = u;
	memset(&ref, 0, sizeof ref);
	memcpy(ref.release, img_hex, sizeof ref.release);
	snprintf(ref.hw, sizeof ref.hw, "%s", HW);
	ref.ver_major = 5;
	ref.counter = 5;
	ref.size = fetch_size != 0 ? fetch_size : img_len;
	snprintf(ref.url, sizeof ref.url, "https://127.0.0.1:%d%s", port, path);
	u->done = 0;
	assert_int_equal(rp_update_fetch_start(&c, &ref, h), start_want);
	assert_int_equal(u->done, 0); /* nothing inside the call */
	if (start_want != RP_OK)
		return;
	while (!u->done && !u->broke && rpt_now_ms() < until)
		event_base_loop(u->base, EVLOOP_ONCE);
}

static void fetch(struct run *u, const char *path, unsigned attempts)
{
	fetch_h(u, path, attempts, NULL);
	assert_int_equal(u->done, 1);
}

static void clear_log(void)
{
	assert_int_equal(rpt_write_file(logp, "", 0, 0644), 0);
}

static int log_lines(char **text)
{
	char *s = rpt_read_file(logp, NULL), *p;
	int n = 0;

	assert_non_null(s);
	for (p = s; *p != '\0'; p++)
		n += *p == '\n';
	*text = s;
	return n;
}

/* The inactive slot (B) holds exactly the image. */
static void assert_slot_is_image(struct run *u)
{
	uint8_t *buf = malloc(img_len);

	assert_non_null(buf);
	assert_int_equal(
	    rp_flash_read(&u->ff.f, u->l.slot_off[1], buf, img_len), RP_OK);
	assert_memory_equal(buf, img, img_len);
	free(buf);
}

static void assert_trial(struct run *u, int trial)
{
	struct rp_boot_state st;

	assert_int_equal(rp_boot_status(&u->ff.f, &u->l, &st), RP_OK);
	assert_int_equal(st.trial, trial);
}

static void test_full(void **state)
{
	struct run u;
	struct rp_update_progress p;
	char *log;

	(void)state;
	device(&u, "full");
	clear_log();
	fetch(&u, "/file/img.bin", 0);
	assert_int_equal(u.rc, RP_OK);
	assert_string_equal(u.code, "");
	assert_true(u.reports[RP_UPD_DOWNLOADING] >= 2);
	assert_int_equal(u.reports[RP_UPD_DOWNLOADED], 1);
	assert_int_equal(u.reports[RP_UPD_VERIFIED], 1);
	assert_int_equal(u.reports[RP_UPD_TRIAL_MARKED], 1);
	assert_int_equal(u.reports[RP_UPD_FAILED], 0);
	assert_int_equal(u.last_offset, img_len);
	assert_slot_is_image(&u);
	assert_trial(&u, 1);
	assert_int_equal(rp_update_progress_load(u.state, &p), RP_OK);
	assert_int_equal(p.state, RP_UPD_TRIAL_MARKED);
	assert_int_equal(p.offset, img_len);
	assert_int_equal(log_lines(&log), 1);
	assert_string_equal(log, "/file/img.bin||\n"); /* no Range from 0 */
	free(log);
	undevice(&u);
}

static void test_resume(void **state)
{
	struct run u;
	struct rp_update_progress p;
	char *log, want[256];

	(void)state;
	device(&u, "resume");
	clear_log();
	/* One attempt: the cut ends this start, as an agent restart would. */
	fetch(&u, "/cut/50000/img.bin", 1);
	assert_int_not_equal(u.rc, RP_OK);
	assert_string_equal(u.code, "download_failed");
	assert_int_equal(u.reports[RP_UPD_FAILED], 1);
	assert_trial(&u, 0);
	assert_int_equal(rp_update_progress_load(u.state, &p), RP_OK);
	assert_int_equal(p.state, RP_UPD_DOWNLOADING);
	assert_true(p.offset > 16384 && p.offset <= 50000);
	assert_int_equal(p.size, img_len);
	assert_int_equal(p.etag[0], '"');
	clear_log();
	fetch(&u, "/cut/50000/img.bin", 1);
	assert_int_equal(u.rc, RP_OK);
	assert_int_equal(u.reports[RP_UPD_TRIAL_MARKED], 1);
	assert_int_equal(log_lines(&log), 1);
	snprintf(want, sizeof want, "/cut/50000/img.bin|bytes=%llu-|\"%s\"\n",
	         (unsigned long long)p.offset, img_hex);
	assert_string_equal(log, want);
	free(log);
	assert_slot_is_image(&u);
	assert_trial(&u, 1);
	undevice(&u);
}

static void test_corrupt(void **state)
{
	struct run u;
	struct rp_update_progress p;

	(void)state;
	device(&u, "bad");
	fetch(&u, "/bad/img.bin", 0);
	assert_int_not_equal(u.rc, RP_OK);
	assert_string_equal(u.code, "verify_failed");
	assert_int_equal(u.reports[RP_UPD_DOWNLOADED], 1);
	assert_int_equal(u.reports[RP_UPD_VERIFIED], 0);
	assert_int_equal(u.reports[RP_UPD_TRIAL_MARKED], 0);
	assert_int_equal(u.reports[RP_UPD_FAILED], 1);
	assert_trial(&u, 0);
	assert_int_equal(rp_update_progress_load(u.state, &p), RP_E_NOT_FOUND);
	undevice(&u);
}

static void test_other_release(void **state)
{
	struct run u;

	(void)state;
	device(&u, "other");
	fetch(&u, "/file/other.bin", 0);
	assert_int_equal(u.rc, RP_E_IMAGE_HASH);
	assert_string_equal(u.code, "release_mismatch");
	assert_int_equal(u.reports[RP_UPD_VERIFIED], 0);
	assert_trial(&u, 0);
	undevice(&u);
}

/* The server sends more than the command's size: too_big, not retried. */
static void test_too_big(void **state)
{
	struct run u;
	char *log;

	(void)state;
	device(&u, "big");
	clear_log();
	fetch_size = img_len - 100;
	fetch(&u, "/file/img.bin", 0);
	fetch_size = 0;
	assert_int_equal(u.rc, RP_E_TOO_BIG);
	assert_string_equal(u.code, "too_big");
	assert_int_equal(u.reports[RP_UPD_DOWNLOADED], 0);
	assert_int_equal(log_lines(&log), 1);
	free(log);
	assert_trial(&u, 0);
	undevice(&u);
}

/* A 503 with Retry-After: 1 is retried, not before a second although
 * the backoff is 1..2 ms, and the second request succeeds. */
static void test_busy_retry(void **state)
{
	struct run u;
	char *log;
	long long t0;

	(void)state;
	device(&u, "busy");
	clear_log();
	t0 = rpt_now_ms();
	fetch(&u, "/busy1/img.bin", 0);
	assert_true(rpt_now_ms() - t0 >= 1000);
	assert_int_equal(u.rc, RP_OK);
	assert_int_equal(u.reports[RP_UPD_TRIAL_MARKED], 1);
	assert_int_equal(log_lines(&log), 2);
	free(log);
	assert_slot_is_image(&u);
	undevice(&u);
}

/* Progress with a stale ETag: If-Range fails, the server answers 200 and
 * the download starts over at 0 (the slot's old bytes erased). */
static void test_stale_etag(void **state)
{
	struct run u;
	struct rp_update_progress p;
	uint8_t junk[4096];
	char *log;

	(void)state;
	device(&u, "stale");
	memset(junk, 0x5a, sizeof junk);
	assert_int_equal(rp_flash_erase_range(&u.ff.f, u.l.slot_off[1], SECTOR),
	                 RP_OK);
	assert_int_equal(
	    rp_flash_write(&u.ff.f, u.l.slot_off[1], junk, sizeof junk), RP_OK);
	memset(&p, 0, sizeof p);
	memcpy(p.release, img_hex, sizeof p.release);
	snprintf(p.cmd, sizeof p.cmd, "upd-1");
	p.state = RP_UPD_DOWNLOADING;
	p.size = img_len;
	p.offset = 16384;
	snprintf(p.etag, sizeof p.etag, "\"stale\"");
	assert_int_equal(rp_update_progress_save(u.state, &p), RP_OK);
	clear_log();
	fetch(&u, "/file/img.bin", 0);
	assert_int_equal(u.rc, RP_OK);
	assert_int_equal(log_lines(&log), 1);
	assert_string_equal(log, "/file/img.bin|bytes=16384-|\"stale\"\n");
	free(log);
	assert_slot_is_image(&u);
	assert_trial(&u, 1);
	undevice(&u);
}

/* Cancelled in flight (from the loop, as the agent does on a cancel
 * command): on_done never runs, everything is freed (ASan), the progress
 * keeps its durable offset and nothing is marked; cancelled before the
 * loop ran: no request at all. */
static void test_cancel(void **state)
{
	struct run u;
	struct rp_update_progress p;
	rp_update_fetch *h = NULL;
	char *log;

	(void)state;
	device(&u, "cancel");
	break_at_progress = true;
	fetch_h(&u, "/file/img.bin", 0, &h);
	break_at_progress = false;
	assert_true(u.broke);
	assert_int_equal(u.done, 0);
	assert_non_null(h);
	rp_update_fetch_cancel(h);
	assert_int_equal(event_base_loop(u.base, EVLOOP_NONBLOCK), 1);
	assert_int_equal(u.done, 0);
	assert_int_equal(rp_update_progress_load(u.state, &p), RP_OK);
	assert_true(p.offset >= 16384 && p.offset < img_len);
	assert_trial(&u, 0);
	undevice(&u);

	device(&u, "cancel2");
	clear_log();
	u.broke = true; /* no loop in fetch_h */
	fetch_h(&u, "/file/img.bin", 0, &h);
	rp_update_fetch_cancel(h);
	(void)event_base_loop(u.base, EVLOOP_NONBLOCK);
	assert_int_equal(u.done, 0);
	assert_int_equal(log_lines(&log), 0);
	free(log);
	undevice(&u);
}

static void test_forbidden(void **state)
{
	struct run u;
	char *log;

	(void)state;
	device(&u, "deny");
	clear_log();
	fetch(&u, "/deny/img.bin", 0); /* 8 attempts allowed */
	assert_int_equal(u.rc, RP_E_HTTP_STATUS);
	assert_string_equal(u.code, "http_403");
	assert_int_equal(u.reports[RP_UPD_FAILED], 1);
	assert_int_equal(log_lines(&log), 1);
	free(log);
	assert_trial(&u, 0);
	undevice(&u);
}

/* A marked trial's slot is never written by another download: start
 * refuses it and the slot still holds the marked image. */
static void test_trial_kept(void **state)
{
	struct run u;
	char *log;

	(void)state;
	device(&u, "kept");
	fetch(&u, "/file/img.bin", 0);
	assert_int_equal(u.rc, RP_OK);
	assert_trial(&u, 1);
	clear_log();
	start_want = RP_E_STATE;
	fetch_h(&u, "/file/img.bin", 0, NULL);
	start_want = RP_OK;
	assert_int_equal(u.done, 0);
	assert_slot_is_image(&u);
	assert_trial(&u, 1);
	assert_int_equal(log_lines(&log), 0); /* no request made */
	free(log);
	undevice(&u);
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_resume),
	    cmocka_unit_test(test_corrupt),
	    cmocka_unit_test(test_other_release),
	    cmocka_unit_test(test_too_big),
	    cmocka_unit_test(test_busy_retry),
	    cmocka_unit_test(test_stale_etag),
	    cmocka_unit_test(test_cancel),
	    cmocka_unit_test(test_forbidden),
	    cmocka_unit_test(test_trial_kept),
	};

	return cmocka_run_group_tests(t, start, stop);
}
