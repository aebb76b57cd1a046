/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update.c - the updater's decision on an update command and its durable
 * progress (include/rampart/update.h, docs/updates.md). The progress file
 * is JSON through jansson, written with rp_file_write_atomic and read back
 * as strictly as any other input.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "rampart/alloc.h"
#include "rampart/file.h"
#include "rampart/id.h"
#include "rampart/json.h"
#include "rampart/update.h"

#define PROGRESS_MAX 1024 /* bytes: the largest progress file read */

static void set_code(char code[RP_UPD_CODE_MAX + 1], const char *c)
{
	snprintf(code, RP_UPD_CODE_MAX + 1, "%s", c);
}

rp_err rp_update_decide(const struct rp_update_facts *f,
                        const struct rp_update_ref *u,
                        char code[RP_UPD_CODE_MAX + 1],
                        char detail[RP_DETAIL_MAX + 1])
{
	rp_err rc = RP_E_INVAL;

	if (f == NULL || u == NULL || code == NULL || detail == NULL ||
	    f->hw == NULL)
		goto out;
	code[0] = detail[0] = '\0';
	rc = RP_E_STATE;
	if (f->busy) {
		set_code(code, "busy");
		snprintf(detail, RP_DETAIL_MAX + 1,
		         "busy: another update is running");
	} else if (f->trial) {
		set_code(code, "trial_in_progress");
		snprintf(detail, RP_DETAIL_MAX + 1,
		         "trial_in_progress: a trial image is marked or "
		         "running; it must be confirmed or rolled back first");
	} else if (strcmp(u->hw, f->hw) != 0) {
		set_code(code, "hw_mismatch");
		snprintf(detail, RP_DETAIL_MAX + 1,
		         "hw_mismatch: the release is for %.31s, this device "
		         "is %.31s",
		         u->hw, f->hw);
	} else if (f->running_sha256 != NULL &&
	           strcmp(f->running_sha256, u->release) == 0) {
		set_code(code, "already_running");
		snprintf(detail, RP_DETAIL_MAX + 1,
		         "already_running: release %.12s is the running image",
		         u->release);
	} else if (u->counter < f->confirmed_counter) {
		set_code(code, "downgrade");
		snprintf(detail, RP_DETAIL_MAX + 1,
		         "downgrade: the release's counter %" PRIu32
		         " is below the confirmed counter %" PRIu32,
		         u->counter, f->confirmed_counter);
	} else if (f->slot_size != 0 && u->size > f->slot_size) {
		set_code(code, "too_big");
		snprintf(detail, RP_DETAIL_MAX + 1,
		         "too_big: %" PRIu64 " bytes, the slot holds %" PRIu64,
		         u->size, f->slot_size);
	} else {
		rc = RP_OK;
		snprintf(detail, RP_DETAIL_MAX + 1, "accepted");
	}
out:
	return rc;
}

static bool hex64(const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return s[64] == '\0';
}

static bool printable(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= max || s[i] < 0x20 || s[i] > 0x7e)
			return false;
	}
	return true;
}

static bool progress_ok(const struct rp_update_progress *p)
{
	const char *nul = memchr(p->cmd, '\0', sizeof p->cmd);
	size_t n = nul != NULL ? (size_t)(nul - p->cmd) : sizeof p->cmd;

	return hex64(p->release) && n > 0 && n < sizeof p->cmd &&
	       rp_id_valid(p->cmd, n) &&
	       rp_update_state_name(p->state) != NULL && p->size <= INT64_MAX &&
	       p->offset <= p->size &&
	       memchr(p->etag, '\0', sizeof p->etag) != NULL &&
	       printable(p->etag, RP_HTTP_ETAG_MAX);
}

rp_err rp_update_progress_save(const char *path,
                               const struct rp_update_progress *p)
{
	json_t *o = NULL;
	char *text = NULL; /* json_dumps's, through rp_malloc: rp_free */
	unsigned long refused = rp_alloc_refused();
	rp_err rc = RP_E_INVAL;

	if (path == NULL || p == NULL || !progress_ok(p))
		goto out;
	rp_json_use_alloc();
	rc = RP_E_NOMEM;
	o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:I, s:s}", "v", 1, "release",
	              p->release, "cmd", p->cmd, "state",
	              rp_update_state_name(p->state), "size",
	              (json_int_t)p->size, "offset", (json_int_t)p->offset,
	              "etag", p->etag);
	if (o == NULL)
		goto out;
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	/* jansson 2.14 may go on past a failed allocation of its dump */
	if (text == NULL || rp_alloc_refused() != refused)
		goto out;
	rc = rp_file_write_atomic(path, text, strlen(text), 0600);
out:
	rp_free(text);
	json_decref(o);
	return rc;
}

/* s into out[cap) when it fits, else false. */
static bool copy_str(json_t *v, char *out, size_t cap)
{
	size_t n;

	if (!json_is_string(v))
		return false;
	n = json_string_length(v);
	if (n >= cap || strlen(json_string_value(v)) != n)
		return false;
	memcpy(out, json_string_value(v), n + 1);
	return true;
}

static bool get_u63(json_t *v, uint64_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

rp_err rp_update_progress_load(const char *path, struct rp_update_progress *p)
{
	static const char *const keys[] = {"v",    "release", "cmd", "state",
	                                   "size", "offset",  "etag"};
	char *buf = NULL; /* rp_file_read's: rp_free */
	char state[32];
	json_t *o = NULL;
	size_t len, i;
	rp_err rc = RP_E_INVAL;

	if (p == NULL)
		goto out;
	memset(p, 0, sizeof *p);
	if (path == NULL)
		goto out;
	rc = rp_file_read(path, PROGRESS_MAX, &buf, &len);
	if (rc == RP_E_TOO_BIG)
		rc = RP_E_SYNTAX;
	if (rc != RP_OK)
		goto out;
	rc = rp_json_load_object(buf, len, &o, NULL);
	if (rc != RP_OK) {
		if (rc != RP_E_NOMEM)
			rc = RP_E_SYNTAX;
		goto out;
	}
	rc = RP_E_SYNTAX;
	if (json_object_size(o) != sizeof keys / sizeof keys[0])
		goto out;
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (json_object_get(o, keys[i]) == NULL)
			goto out;
	}
	if (!json_is_integer(json_object_get(o, "v")) ||
	    json_integer_value(json_object_get(o, "v")) != 1 ||
	    !copy_str(json_object_get(o, "release"), p->release,
	              sizeof p->release) ||
	    !copy_str(json_object_get(o, "cmd"), p->cmd, sizeof p->cmd) ||
	    !copy_str(json_object_get(o, "state"), state, sizeof state) ||
	    rp_update_state_parse(state, &p->state) != RP_OK ||
	    !get_u63(json_object_get(o, "size"), &p->size) ||
	    !get_u63(json_object_get(o, "offset"), &p->offset) ||
	    !copy_str(json_object_get(o, "etag"), p->etag, sizeof p->etag) ||
	    !progress_ok(p))
		goto out;
	rc = RP_OK;
out:
	json_decref(o);
	rp_free(buf);
	if (rc != RP_OK && p != NULL)
		memset(p, 0, sizeof *p);
	return rc;
}

rp_err rp_update_progress_clear(const char *path)
{
	if (path == NULL)
		return RP_E_INVAL;
	if (unlink(path) != 0 && errno != ENOENT)
		return RP_E_IO;
	return rp_file_sync_dir(path) == 0 ? RP_OK : RP_E_IO;
}
