/* SPDX-License-Identifier: Apache-2.0 */
/*
 * releases.c - the releases resource of the admin API (docs/admin-api.md,
 * docs/releases.md): the trusted release key set (PUT, GET
 * /release-keys), adding a release from a finished upload (POST
 * /releases, its verification on a worker thread), and listing, showing,
 * removing a release and reading its SBOM. server/release/ does the work;
 * this file parses requests and translates answers.
 *
 * An add hashes and verifies the whole image, seconds for a large one:
 * it runs on a thread of its own with its own store connection (SQLite
 * connections are not shared between threads here), and signals the
 * event loop through a pipe when it is done; the loop answers the
 * request. rampartd keeps answering everything else meanwhile.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "api/api.h"
#include "api/uploads.h"
#include "http/http.h"
#include "rampart/alloc.h"
#include "rampart/encode.h"
#include "rampart/log.h"
#include "rampartd.h"
#include "release/release.h"

/* Test-only (docs/releases.md "Testing"): an add waits at the step named
 * by RAMPARTD_TEST_RELEASE_STEP (default "verified") until one byte can
 * be read from the FIFO RAMPARTD_TEST_RELEASE_HOLD names. */
#define HOLD_ENV      "RAMPARTD_TEST_RELEASE_HOLD"
#define HOLD_STEP_ENV "RAMPARTD_TEST_RELEASE_STEP"

/* One add running on its thread. Fields above "results" are set on the
 * loop before the thread starts and only read by it; the results are
 * the thread's until it signals. */
struct rel_job {
	struct evhttp_request *req; /* answered by the loop */
	struct api_rel *a;          /* the list it is on */
	struct rel_job *next;
	struct event *done;
	pthread_t th;
	int pipe[2];
	char db[PATH_MAX];
	char data_dir[PATH_MAX];
	char tmp[PATH_MAX];
	char hold[PATH_MAX]; /* "": none */
	char hold_step[32];
	char hw[STORE_HW_MAX + 1];
	bool has_hw;
	char *notes; /* owned; NULL: none */
	char *sbom;  /* owned; NULL: none */
	size_t sbom_len;
	/* results */
	rp_err rc;
	char why[512];
	struct store_release rel;
};

/* A refusal's HTTP status. */
static int status_of(rp_err rc)
{
	switch (rc) {
	case RP_E_NOT_FOUND:
		return 404;
	case RP_E_EXISTS:
	case RP_E_STATE:
		return 409;
	case RP_E_IO:
	case RP_E_NOMEM:
	case RP_E_STORE:
	case RP_E_RANGE:
		return 500;
	default:
		return 422;
	}
}

/* {"error": why, "code": name} with rc's status. */
static void reply_refusal(struct evhttp_request *req, rp_err rc,
                          const char *why)
{
	int code = status_of(rc);

	api_reply_json(
	    req, code,
	    json_pack("{s:s, s:s}", "error",
	              code == 500 && why[0] == '\0' ? "internal error" : why,
	              "code", rp_errname(rc)));
}

json_t *api_release_json(const struct store_release *r)
{
	char ver[40];

	snprintf(ver, sizeof ver, "%u.%u.%u", r->ver_major, r->ver_minor,
	         r->ver_patch);
	return json_pack(
	    "{s:s, s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:s, s:b, "
	    "s:I, s:I}",
	    "id", r->id, "hw_type", r->hw_type, "version", ver, "counter",
	    (json_int_t)r->counter, "kind", r->kind == 1 ? "delta" : "full",
	    "payload_size", (json_int_t)r->payload_size, "file_size",
	    (json_int_t)r->file_size, "build_time", (json_int_t)r->build_time,
	    "notes", r->notes, "sbom", r->sbom_len > 0, "sbom_size",
	    (json_int_t)r->sbom_len, "created_at", (json_int_t)r->created_at);
}

/* --- the key set -------------------------------------------------------- */

static json_t *ids_json(const uint8_t (*ids)[RP_KEYID_LEN], size_t n,
                        size_t stride)
{
	json_t *a = json_array();
	char hex[RP_KEYID_LEN * 2 + 1];

	for (size_t i = 0; a != NULL && i < n; i++) {
		const uint8_t *id = (const uint8_t *)ids + i * stride;

		if (rp_hex_encode(id, RP_KEYID_LEN, hex, sizeof hex) == RP_OK)
			json_array_append_new(a, json_string(hex));
	}
	return a;
}

static json_t *keyset_json(const struct rp_keyset *ks, int64_t installed_at)
{
	return json_pack(
	    "{s:I, s:i, s:o, s:o, s:I}", "epoch", (json_int_t)ks->epoch,
	    "threshold", (int)ks->threshold, "keys",
	    ids_json((const uint8_t(*)[RP_KEYID_LEN])ks->keys[0].id, ks->nkeys,
	             sizeof ks->keys[0]),
	    "revoked", ids_json(ks->revoked, ks->nrevoked, RP_KEYID_LEN),
	    "installed_at", (json_int_t)installed_at);
}

static int history_one(void *arg, const struct store_keyset *k)
{
	return json_array_append_new(
	           arg,
	           json_pack("{s:I, s:I}", "epoch", (json_int_t)k->epoch,
	                     "installed_at", (json_int_t)k->installed_at)) != 0;
}

API_HANDLER(api_release_keys_show)
{
	struct release_ctx c = {rd->store, rd->data_dir, NULL, NULL};
	/* owned here: a key set and its row are too big for a stack */
	struct {
		struct rp_keyset ks;
		struct store_keyset row;
	} *w = rp_malloc(sizeof *w);
	json_t *j, *hist;
	rp_err rc;

	(void)rr;
	if (w == NULL) {
		api_reply_error(req, 500, "internal error");
		return;
	}
	rc = release_keys_current(&c, &w->ks, &w->row);
	if (rc == RP_E_NOT_FOUND) {
		api_reply_error(req, 404,
		                "no release key set is installed (rampart "
		                "release keys set KEYSET)");
		goto out;
	}
	if (rc != RP_OK) {
		api_reply_error(req, 500, "cannot read the key set");
		goto out;
	}
	j = keyset_json(&w->ks, w->row.installed_at);
	hist = json_array();
	if (store_keyset_each(rd->store, history_one, hist) != RP_OK) {
		json_decref(hist);
		hist = json_null();
	}
	json_object_set_new(j, "history", hist);
	api_reply_json(req, 200, j);
out:
	rp_free(w);
}

API_HANDLER(api_release_keys_set)
{
	struct release_ctx c = {rd->store, rd->data_dir, NULL, NULL};
	struct rp_keyset *ks = rp_malloc(sizeof *ks); /* owned here */
	struct evbuffer *b = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(b);
	unsigned char *p;
	char why[512];
	rp_err rc;

	(void)rr;
	p = len > 0 ? evbuffer_pullup(b, -1) : NULL;
	if (ks == NULL || (len > 0 && p == NULL)) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	if (len == 0) {
		api_reply_error(req, 400,
		                "the body is the key set's RPKS bytes "
		                "(rampart keyset create)");
		goto out;
	}
	rc = release_keys_install(&c, p, len, ks, why, sizeof why);
	if (rc != RP_OK) {
		reply_refusal(req, rc, why);
		goto out;
	}
	api_reply_json(req, 200, keyset_json(ks, (int64_t)time(NULL)));
out:
	rp_free(ks);
}

/* --- adding a release --------------------------------------------------- */

/* release_ctx.step of a job: the test hold. */
static void job_step(void *arg, const char *what)
{
	struct rel_job *j = arg;
	char byte;
	int fd;

	if (j->hold[0] == '\0' || strcmp(what, j->hold_step) != 0)
		return;
	rp_log_info("releases: test hold at '%s' (%s)", what, j->hold);
	fd = open(j->hold, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		while (read(fd, &byte, 1) < 0 && errno == EINTR)
			;
		(void)close(fd);
	}
}

static void *job_run(void *arg)
{
	struct rel_job *j = arg;
	struct store *s = NULL; /* owned here */
	struct release_ctx c = {NULL, j->data_dir, job_step, j};
	struct release_add_in in = {j->has_hw ? j->hw : NULL, j->notes, j->sbom,
	                            j->sbom_len};
	char byte = 1;

	j->why[0] = '\0';
	j->rc = store_open(j->db, &s);
	if (j->rc == RP_OK) {
		c.store = s;
		j->rc = release_add(&c, j->tmp, &in, &j->rel, j->why,
		                    sizeof j->why);
	} else {
		(void)unlink(j->tmp);
		snprintf(j->why, sizeof j->why, "cannot open the store");
	}
	store_close(s);
	while (write(j->pipe[1], &byte, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static void job_free(struct rel_job *j)
{
	if (j->done != NULL)
		event_free(j->done);
	if (j->pipe[0] >= 0)
		(void)close(j->pipe[0]);
	if (j->pipe[1] >= 0)
		(void)close(j->pipe[1]);
	rp_free(j->notes);
	rp_free(j->sbom);
	rp_free(j);
}

static void job_unlist(struct api_rel *a, struct rel_job *j)
{
	struct rel_job **p = &a->jobs;

	while (*p != NULL && *p != j)
		p = &(*p)->next;
	if (*p != NULL)
		*p = j->next;
}

/* The finished (joined) job's answer: its release or its refusal. */
static void job_answer(struct rel_job *j)
{
	if (j->rc == RP_OK)
		api_reply_json(j->req, 201, api_release_json(&j->rel));
	else
		reply_refusal(j->req, j->rc, j->why);
}

/* The job's thread signalled: answer its request on the loop. */
static void job_done(evutil_socket_t fd, short what, void *arg)
{
	struct rel_job *j = arg;

	(void)fd;
	(void)what;
	pthread_join(j->th, NULL);
	job_unlist(j->a, j);
	job_answer(j);
	job_free(j);
}

void releases_jobs_stop(struct api_rel *a)
{
	while (a->jobs != NULL) {
		struct rel_job *j = a->jobs;

		a->jobs = j->next;
		/* the join waits for the add to end: answer what it did, not
		 * a 503 for an add that stored its release */
		pthread_join(j->th, NULL);
		job_answer(j);
		job_free(j);
	}
}

/* The SBOM member: CycloneDX JSON text, or the object itself. */
static rp_err sbom_of(json_t *v, char **out, size_t *len)
{
	const char *t = NULL;
	char *dump = NULL; /* jansson's */
	rp_err rc = RP_OK;

	*out = NULL;
	*len = 0;
	if (v == NULL || json_is_null(v))
		return RP_OK;
	if (json_is_string(v)) {
		t = json_string_value(v);
		*len = json_string_length(v);
	} else if (json_is_object(v)) {
		dump = json_dumps(v, JSON_COMPACT);
		if (dump == NULL)
			return RP_E_NOMEM;
		t = dump;
		*len = strlen(dump);
	} else {
		return RP_E_INVAL;
	}
	*out = rp_malloc(*len + 1); /* the caller's */
	if (*out == NULL)
		rc = RP_E_NOMEM;
	else
		memcpy(*out, t, *len + 1);
	free(dump);
	return rc;
}

/* A string member into a new copy (*out NULL when absent). */
static rp_err str_of(json_t *v, char **out)
{
	*out = NULL;
	if (v == NULL || json_is_null(v))
		return RP_OK;
	if (!json_is_string(v))
		return RP_E_INVAL;
	*out = rp_strdup(json_string_value(v));
	return *out != NULL ? RP_OK : RP_E_NOMEM;
}

API_HANDLER(api_release_add)
{
	struct rel_job *j = rp_calloc(1, sizeof *j); /* owned here until
	                                                 listed */
	const char *hold = getenv(HOLD_ENV), *hstep = getenv(HOLD_STEP_ENV);
	json_t *in = NULL, *hw, *ignored = NULL;
	json_error_t jerr;
	const char *id = NULL;
	struct upload *u;
	char *body = NULL, msg[240];
	size_t len;

	(void)rr;
	if (j == NULL) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	j->pipe[0] = j->pipe[1] = -1;
	if (http_body(req, UPLOAD_CHUNK_MAX, &body, &len) != RP_OK) {
		api_reply_error(req, 413, "body too big");
		goto out;
	}
	in = json_loadb(body, len, 0, &jerr);
	/* strict: a misspelt member ("sbon") would drop what it carries */
	if (in == NULL ||
	    json_unpack_ex(in, &jerr, JSON_STRICT, "{s:s, s?:o, s?:o, s?:o}",
	                   "upload", &id, "notes", &ignored, "sbom", &ignored,
	                   "hw", &ignored) != 0) {
		snprintf(msg, sizeof msg,
		         "%.80s: want {\"upload\": ID, \"notes\": TEXT, "
		         "\"sbom\": CycloneDX JSON, \"hw\": TYPE}",
		         jerr.text);
		api_reply_error(req, 400, msg);
		goto out;
	}
	if (str_of(json_object_get(in, "notes"), &j->notes) != RP_OK ||
	    sbom_of(json_object_get(in, "sbom"), &j->sbom, &j->sbom_len) !=
	        RP_OK) {
		api_reply_error(req, 400,
		                "notes must be a string, sbom a CycloneDX JSON "
		                "object or its text");
		goto out;
	}
	hw = json_object_get(in, "hw");
	if (hw != NULL && !json_is_null(hw)) {
		if (!json_is_string(hw) ||
		    json_string_length(hw) > STORE_HW_MAX) {
			api_reply_error(req, 400, "hw must be a hardware type");
			goto out;
		}
		snprintf(j->hw, sizeof j->hw, "%s", json_string_value(hw));
		j->has_hw = true;
	}
	u = uploads_find(rd->rel, id);
	if (u == NULL) {
		api_reply_error(
		    req, 404,
		    "no such upload (finished, cancelled, expired, "
		    "or rampartd restarted): upload the image again");
		goto out;
	}
	if (u->offset != u->size) {
		snprintf(msg, sizeof msg,
		         "the upload has %lld of its %lld bytes: send the rest "
		         "first",
		         (long long)u->offset, (long long)u->size);
		api_reply_json(req, 409,
		               json_pack("{s:s, s:I, s:I}", "error", msg,
		                         "offset", (json_int_t)u->offset,
		                         "size", (json_int_t)u->size));
		goto out;
	}
	snprintf(j->db, sizeof j->db, "%s/rampart.db", rd->data_dir);
	snprintf(j->data_dir, sizeof j->data_dir, "%s", rd->data_dir);
	snprintf(j->tmp, sizeof j->tmp, "%s", u->tmp);
	snprintf(j->hold, sizeof j->hold, "%s", hold != NULL ? hold : "");
	snprintf(j->hold_step, sizeof j->hold_step, "%s",
	         hstep != NULL ? hstep : "verified");
	j->req = req;
	j->a = rd->rel;
	if (pipe2(j->pipe, O_CLOEXEC) == 0)
		j->done = event_new(rd->base, j->pipe[0], EV_READ, job_done, j);
	if (j->done == NULL || event_add(j->done, NULL) != 0) {
		api_reply_error(req, 500, "internal error");
		goto out;
	}
	/* the file is the job's now: release_add consumes it */
	uploads_detach(rd->rel, u);
	rp_free(u);
	if (pthread_create(&j->th, NULL, job_run, j) != 0) {
		(void)unlink(j->tmp);
		api_reply_error(req, 500, "cannot start the verification");
		goto out;
	}
	j->next = rd->rel->jobs;
	rd->rel->jobs = j;
	j = NULL;
out:
	if (j != NULL)
		job_free(j);
	json_decref(in);
	free(body);
}

/* --- list, show, remove, SBOM ------------------------------------------- */

static int release_one(void *arg, const struct store_release *r)
{
	return json_array_append_new(arg, api_release_json(r)) != 0;
}

API_HANDLER(api_releases_list)
{
	struct evkeyvalq q;
	const char *hw = NULL;
	const char *query =
	    evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	json_t *a = json_array();

	(void)rr;
	memset(&q, 0, sizeof q);
	if (query != NULL && evhttp_parse_query_str(query, &q) != 0) {
		api_reply_error(req, 400, "malformed query");
		json_decref(a);
		return;
	}
	hw = evhttp_find_header(&q, "hw");
	if (a == NULL ||
	    store_release_each(rd->store, hw != NULL && hw[0] ? hw : NULL,
	                       release_one, a) != RP_OK) {
		api_reply_error(req, 500, "cannot list the releases");
		json_decref(a);
	} else {
		api_reply_json(req, 200, json_pack("{s:o}", "releases", a));
	}
	evhttp_clear_headers(&q);
}

/* The release of the path, or an answer (false). */
static bool get_release(struct rampartd *rd, struct evhttp_request *req,
                        const char *id, struct store_release *r)
{
	char msg[120];
	rp_err rc = store_release_get(rd->store, id, r);

	if (rc == RP_OK)
		return true;
	if (rc == RP_E_NOT_FOUND || rc == RP_E_INVAL) {
		snprintf(msg, sizeof msg, "no release '%.64s'", id);
		api_reply_error(req, 404, msg);
	} else {
		api_reply_error(req, 500, "cannot read the release");
	}
	return false;
}

API_HANDLER(api_release_show)
{
	struct store_release *r = rp_malloc(sizeof *r); /* owned here */

	if (r == NULL)
		api_reply_error(req, 500, "internal error");
	else if (get_release(rd, req, rr->param[0], r))
		api_reply_json(req, 200, api_release_json(r));
	rp_free(r);
}

API_HANDLER(api_release_sbom)
{
	char *text = NULL; /* owned here */
	size_t len = 0;
	rp_err rc = store_release_sbom(rd->store, rr->param[0], &text, &len);

	if (rc == RP_OK && text != NULL)
		http_reply(req, 200, "application/vnd.cyclonedx+json", text,
		           len);
	else if (rc == RP_OK)
		api_reply_error(req, 404, "the release has no SBOM");
	else if (rc == RP_E_NOT_FOUND || rc == RP_E_INVAL)
		api_reply_error(req, 404, "no such release");
	else
		api_reply_error(req, 500, "cannot read the SBOM");
	rp_free(text);
}

API_HANDLER(api_release_remove)
{
	struct release_ctx c = {rd->store, rd->data_dir, NULL, NULL};
	char why[300];
	rp_err rc = release_remove(&c, rr->param[0], why, sizeof why);

	if (rc == RP_OK)
		api_reply_json(req, 200,
		               json_pack("{s:s}", "removed", rr->param[0]));
	else
		reply_refusal(req, rc, why);
}
