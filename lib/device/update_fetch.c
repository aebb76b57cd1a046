/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update_fetch.c - the updater's download of a release into the inactive
 * slot (include/rampart/update.h, docs/updates.md "The download"): on the
 * caller's event_base through rp_http_start, programmed into flash as the
 * bytes arrive (a sector erased before the first write into it, a small
 * buffer to the flash's write granularity, never the image in RAM), the
 * durable offset saved in the progress file every save_every bytes,
 * resumed with Range + If-Range, retried with rp_backoff_ms honouring
 * Retry-After; then the slot verified and the trial marked.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "rampart/alloc.h"
#include "rampart/backoff.h"
#include "rampart/boot.h"
#include "rampart/encode.h"
#include "rampart/flash.h"
#include "rampart/image.h"
#include "rampart/update.h"

#define PAGE 256 /* bytes gathered before a flash write */

struct rp_update_fetch {
	struct rp_update_fetch_cfg c;
	struct rp_update_ref ref;
	struct event *timer; /* owned: the next attempt */
	rp_http_call *call;  /* owned by rp_http while in flight */
	uint32_t slot_off;   /* the inactive slot */
	uint32_t min_counter;
	uint64_t off;      /* bytes of the image received */
	uint64_t written;  /* bytes programmed (a multiple of write_align,
	                      or size) */
	uint64_t erased;   /* bytes of the slot erased from its start */
	uint64_t saved;    /* offset last saved */
	uint64_t asked;    /* range_start of the request in flight */
	unsigned attempts; /* requests made by this start */
	int64_t retry_after_s;
	rp_err fail_rc; /* set by a callback that stopped the request */
	const char *fail_code;
	size_t npage;
	uint8_t page[PAGE];
	char etag[RP_HTTP_ETAG_MAX + 1];
};

static void report(struct rp_update_fetch *f, enum rp_update_state st,
                   const char *code)
{
	struct rp_update_report r;

	if (f->c.on_report == NULL)
		return;
	memset(&r, 0, sizeof r);
	memcpy(r.release, f->ref.release, sizeof r.release);
	snprintf(r.cmd, sizeof r.cmd, "%s", f->c.cmd);
	r.state = st;
	r.offset = f->saved;
	r.size = f->ref.size;
	snprintf(r.code, sizeof r.code, "%s", code);
	f->c.on_report(f->c.arg, &r);
}

static rp_err save(struct rp_update_fetch *f, enum rp_update_state st)
{
	struct rp_update_progress p;
	rp_err rc;

	memset(&p, 0, sizeof p);
	memcpy(p.release, f->ref.release, sizeof p.release);
	snprintf(p.cmd, sizeof p.cmd, "%s", f->c.cmd);
	p.state = st;
	p.size = f->ref.size;
	p.offset = f->written;
	memcpy(p.etag, f->etag, sizeof p.etag);
	rc = rp_update_progress_save(f->c.state_path, &p);
	if (rc == RP_OK)
		f->saved = f->written;
	return rc;
}

/* Make state st durable, then report it. */
static rp_err step(struct rp_update_fetch *f, enum rp_update_state st)
{
	rp_err rc = save(f, st);

	if (rc == RP_OK)
		report(f, st, "");
	return rc;
}

static void free_fetch(struct rp_update_fetch *f)
{
	if (f->timer != NULL)
		event_free(f->timer);
	rp_free(f);
}

/* End: free f, then tell the caller. */
static void finish(struct rp_update_fetch *f, rp_err rc, const char *code)
{
	void (*done)(void *, rp_err, const char *) = f->c.on_done;
	void *arg = f->c.arg;

	if (rc != RP_OK)
		report(f, RP_UPD_FAILED, code);
	free_fetch(f);
	if (done != NULL)
		done(arg, rc, rc == RP_OK ? "" : code);
}

/* Program the gathered page (padded with 0xFF to write_align) at
 * written, erasing the sectors it reaches first. */
static rp_err flush_page(struct rp_update_fetch *f)
{
	uint32_t al = f->c.flash->write_align, sec = f->c.flash->sector_size;
	size_t n = (f->npage + al - 1) & ~(size_t)(al - 1);
	rp_err rc = RP_OK;

	if (f->npage == 0)
		goto out;
	while (f->erased < f->written + n) {
		rc = rp_flash_erase_range(
		    f->c.flash, f->slot_off + (uint32_t)f->erased, sec);
		if (rc != RP_OK)
			goto out;
		f->erased += sec;
	}
	memset(f->page + f->npage, 0xff, n - f->npage);
	rc = rp_flash_write(f->c.flash, f->slot_off + (uint32_t)f->written,
	                    f->page, n);
	if (rc != RP_OK)
		goto out;
	f->written += f->npage;
	f->npage = 0;
out:
	return rc;
}

static void restart_at_zero(struct rp_update_fetch *f)
{
	f->off = f->written = f->erased = f->saved = 0;
	f->npage = 0;
}

static void on_meta(void *arg, const struct rp_http_meta *m)
{
	struct rp_update_fetch *f = arg;

	f->retry_after_s = m->retry_after_s;
	if (m->etag[0] != '\0')
		memcpy(f->etag, m->etag, sizeof f->etag);
}

static rp_err on_head(void *arg, int status, const char *ct, uint64_t off)
{
	struct rp_update_fetch *f = arg;

	(void)ct;
	if (status != 200 && status != 206)
		return RP_OK;  /* judged in on_done */
	if (off != f->asked) { /* a 200 to a Range: the whole body again */
		restart_at_zero(f);
		report(f, RP_UPD_DOWNLOADING, "");
	}
	return RP_OK;
}

static rp_err on_body(void *arg, const void *data, size_t len)
{
	struct rp_update_fetch *f = arg;
	const uint8_t *d = data;
	rp_err rc = RP_OK;
	size_t n;

	if (len > f->ref.size - f->off) {
		f->fail_code = "too_big";
		rc = f->fail_rc = RP_E_TOO_BIG;
		goto out;
	}
	while (len > 0) {
		n = PAGE - f->npage < len ? PAGE - f->npage : len;
		memcpy(f->page + f->npage, d, n);
		f->npage += n;
		f->off += n;
		d += n;
		len -= n;
		if (f->npage == PAGE) {
			rc = flush_page(f);
			if (rc != RP_OK) {
				f->fail_code = "flash_failed";
				f->fail_rc = rc;
				goto out;
			}
		}
	}
	if (f->written - f->saved >= f->c.save_every) {
		rc = step(f, RP_UPD_DOWNLOADING);
		if (rc != RP_OK) {
			f->fail_code = "state_io";
			f->fail_rc = rc;
			goto out;
		}
	}
out:
	return rc;
}

static rp_err slot_read(void *ctx, uint64_t off, uint8_t *buf, size_t len)
{
	const struct rp_update_fetch *f = ctx;

	if (off > f->ref.size || len > f->ref.size - off)
		return RP_E_IMAGE_TRUNCATED;
	return rp_flash_read(f->c.flash, f->slot_off + (uint32_t)off, buf, len);
}

/* The SHA-256 of the slot's ref.size bytes (the device's crypto port), as
 * lower-case hex == ref.release. */
static rp_err slot_hash_matches(struct rp_update_fetch *f, bool *match)
{
	const struct rp_crypto *c = f->c.crypto;
	_Alignas(16) uint8_t hs[RP_HASH_STATE_MAX];
	uint8_t buf[1024], h[RP_SHA256_LEN];
	char hex[RP_HEX_LEN(RP_SHA256_LEN)];
	uint64_t o;
	size_t n;
	rp_err rc;

	*match = false;
	rc = c->sha256_init(c->ctx, hs);
	for (o = 0; rc == RP_OK && o < f->ref.size; o += n) {
		n = f->ref.size - o < sizeof buf ? (size_t)(f->ref.size - o)
		                                 : sizeof buf;
		rc = slot_read(f, o, buf, n);
		if (rc == RP_OK)
			rc = c->sha256_update(c->ctx, hs, buf, n);
	}
	if (rc == RP_OK)
		rc = c->sha256_final(c->ctx, hs, h);
	if (rc == RP_OK)
		rc = rp_hex_encode(h, sizeof h, hex, sizeof hex);
	if (rc == RP_OK)
		*match = strcmp(hex, f->ref.release) == 0;
	return rc;
}

/* Every byte is in the slot: verify, mark the trial. */
static void complete(struct rp_update_fetch *f)
{
	struct rp_image_src src = {f, slot_read, f->ref.size};
	struct rp_image_policy pol = {f->c.hw, f->min_counter, true};
	uint8_t work[1024];
	const char *code = "state_io";
	bool match;
	rp_err rc = step(f, RP_UPD_DOWNLOADED);

	if (rc != RP_OK)
		goto out;
	code = "verify_failed";
	rc = rp_image_verify(&src, f->c.trust, f->c.crypto, &pol, work,
	                     sizeof work, NULL);
	if (rc != RP_OK)
		goto out;
	code = "release_mismatch";
	rc = slot_hash_matches(f, &match);
	if (rc == RP_OK && !match)
		rc = RP_E_IMAGE_HASH;
	if (rc != RP_OK)
		goto out;
	code = "state_io";
	rc = step(f, RP_UPD_VERIFIED);
	if (rc != RP_OK)
		goto out;
	code = "trial_failed";
	rc = rp_boot_set_trial(f->c.flash, f->c.layout, f->c.trials);
	if (rc != RP_OK)
		goto out;
	code = "state_io";
	rc = step(f, RP_UPD_TRIAL_MARKED);
out:
	if (rc != RP_OK && strcmp(code, "state_io") != 0 &&
	    strcmp(code, "trial_failed") != 0) {
		/* The slot holds a refused image: the next start begins at
		 * 0. If the file cannot be removed, the next start finds it
		 * at offset size and verifies (and refuses) the slot again:
		 * the code stays the verifier's. */
		rp_err crc = rp_update_progress_clear(f->c.state_path);

		(void)crc;
	}
	finish(f, rc, code);
}

static void attempt(evutil_socket_t fd, short what, void *arg);

/* A retryable failure: the next attempt after the backoff (at least
 * Retry-After), unless the budget is spent. */
static void retry(struct rp_update_fetch *f, rp_err rc)
{
	uint32_t rnd = 0;
	uint64_t ms;
	struct timeval tv;

	if (f->attempts >= f->c.max_attempts) {
		finish(f, rc, "download_failed");
		return;
	}
	if (RAND_bytes((unsigned char *)&rnd, sizeof rnd) != 1)
		rnd = 0;
	ms = rp_backoff_ms(f->attempts - 1, f->c.backoff_base_ms,
	                   f->c.backoff_cap_ms, rnd);
	if (f->retry_after_s > 0 && ms < (uint64_t)f->retry_after_s * 1000)
		ms = (uint64_t)f->retry_after_s * 1000;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(f->timer, &tv);
}

static void on_done(void *arg, rp_err rc, int status)
{
	struct rp_update_fetch *f = arg;
	char code[RP_UPD_CODE_MAX + 1];
	rp_err src;

	f->call = NULL;
	if (f->fail_code != NULL) { /* stopped by on_body: terminal */
		finish(f, f->fail_rc, f->fail_code);
		return;
	}
	if (rc == RP_E_TOO_BIG) { /* more than ref.size bytes */
		finish(f, rc, "too_big");
		return;
	}
	if (rc == RP_OK && (status == 200 || status == 206)) {
		src = flush_page(f);
		if (src != RP_OK) {
			finish(f, src, "flash_failed");
			return;
		}
		if (f->written == f->ref.size) {
			complete(f);
			return;
		}
		rc = RP_E_HTTP; /* a short body: as a cut connection */
	} else if (rc == RP_OK && status >= 400 && status < 500 &&
	           status != 408 && status != 429) {
		snprintf(code, sizeof code, "http_%d", status);
		finish(f, RP_E_HTTP_STATUS, code);
		return;
	} else if (rc == RP_OK) {
		rc = RP_E_HTTP_STATUS; /* 408, 429, 5xx, other: retried */
	}
	/* Keep what is in flash: the partial page is fetched again. */
	f->off = f->written;
	f->npage = 0;
	if (f->written != f->saved && save(f, RP_UPD_DOWNLOADING) != RP_OK) {
		finish(f, RP_E_IO, "state_io");
		return;
	}
	retry(f, rc);
}

static void attempt(evutil_socket_t fd, short what, void *arg)
{
	struct rp_update_fetch *f = arg;
	struct rp_http_request q;
	struct rp_http_opts o;
	struct rp_http_callbacks cb = {on_head, on_body, on_done, f};
	rp_err rc;

	(void)fd;
	(void)what;
	if (f->attempts == 0)
		report(f, RP_UPD_DOWNLOADING, "");
	if (f->written == f->ref.size) { /* resumed after the last byte */
		complete(f);
		return;
	}
	memset(&q, 0, sizeof q);
	q.method = "GET";
	q.url = f->ref.url;
	/* A 200 to a Range is the whole file again: bound by size. */
	q.max_response = (size_t)f->ref.size + 1;
	q.timeout_ms = 24 * 3600 * 1000; /* the idle deadline is the guard */
	memset(&o, 0, sizeof o);
	o.idle_ms = f->c.idle_ms;
	o.range_start = f->written;
	o.if_range = f->etag[0] != '\0' ? f->etag : NULL;
	o.on_meta = on_meta;
	f->asked = f->written;
	f->retry_after_s = -1;
	f->attempts++;
	rc = rp_http_start(f->c.base, f->c.ssl, &q, &o, &cb, &f->call);
	if (rc != RP_OK)
		finish(f, rc, "download_failed");
}

rp_err rp_update_fetch_start(const struct rp_update_fetch_cfg *cfg,
                             const struct rp_update_ref *ref,
                             rp_update_fetch **out)
{
	struct rp_update_fetch *f = NULL; /* owned here until scheduled */
	struct rp_update_progress p;
	struct rp_boot_state st;
	struct timeval now = {0, 0};
	rp_err rc = RP_E_INVAL;

	if (out != NULL)
		*out = NULL;
	if (cfg == NULL || ref == NULL || cfg->base == NULL ||
	    cfg->ssl == NULL || cfg->flash == NULL || cfg->layout == NULL ||
	    cfg->trust == NULL || cfg->crypto == NULL || cfg->hw == NULL ||
	    cfg->cmd == NULL || cfg->state_path == NULL || ref->size == 0)
		goto out;
	rc = rp_boot_status(cfg->flash, cfg->layout, &st);
	if (rc != RP_OK)
		goto out;
	/* The inactive slot holds a marked or running trial: writing it
	 * would destroy the image the boot core is about to start or is
	 * running (a running trial that then confirms would make a torn
	 * image active). It must be confirmed, rolled back or cancelled
	 * (rp_boot_cancel_trial) first. */
	rc = RP_E_STATE;
	if (st.trial)
		goto out;
	rc = RP_E_TOO_BIG;
	if (ref->size > cfg->layout->slot_size)
		goto out;
	rc = RP_E_NOMEM;
	f = rp_calloc(1, sizeof *f);
	if (f == NULL)
		goto out;
	f->c = *cfg;
	f->ref = *ref;
	if (f->c.save_every == 0)
		f->c.save_every = RP_UPDATE_SAVE_EVERY;
	if (f->c.max_attempts == 0)
		f->c.max_attempts = 8;
	if (f->c.backoff_base_ms == 0)
		f->c.backoff_base_ms = 1000;
	if (f->c.backoff_cap_ms == 0)
		f->c.backoff_cap_ms = 300000;
	if (f->c.idle_ms == 0)
		f->c.idle_ms = 60000;
	f->slot_off = cfg->layout->slot_off[rp_boot_inactive_slot(&st)];
	f->min_counter = st.counter;
	/* Resume only the same release of the same size, at a durable
	 * offset, with the ETag that makes the Range safe (If-Range). */
	if (rp_update_progress_load(cfg->state_path, &p) == RP_OK &&
	    strcmp(p.release, ref->release) == 0 && p.size == ref->size &&
	    p.etag[0] != '\0' && p.state >= RP_UPD_DOWNLOADING &&
	    p.state <= RP_UPD_DOWNLOADED &&
	    (p.offset % cfg->flash->write_align == 0 ||
	     p.offset == ref->size)) {
		f->off = f->written = f->saved = p.offset;
		f->erased = (p.offset + cfg->flash->sector_size - 1) &
		            ~(uint64_t)(cfg->flash->sector_size - 1);
		memcpy(f->etag, p.etag, sizeof f->etag);
	}
	f->timer = evtimer_new(cfg->base, attempt, f);
	if (f->timer == NULL)
		goto out;
	rc = save(f, RP_UPD_DOWNLOADING);
	if (rc != RP_OK)
		goto out;
	evtimer_add(f->timer, &now);
	if (out != NULL)
		*out = f;
	f = NULL;
	rc = RP_OK;
out:
	if (f != NULL)
		free_fetch(f);
	return rc;
}

void rp_update_fetch_cancel(rp_update_fetch *f)
{
	if (f == NULL)
		return;
	rp_http_cancel(f->call);
	free_fetch(f);
}
