/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_release.c - rampart release: the fleet's trusted release key set
 * (keys set, keys show) and the releases in rampartd (add, list, show,
 * rm, sbom) over the admin API (docs/releases.md, docs/admin-api.md). An
 * add uploads the image in chunks through an upload session and, after
 * a lost connection, resumes from the offset the server has.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "answer.h"
#include "cli.h"
#include "human.h"
#include "rampart/alloc.h"
#include "rampart/crypto_host.h"
#include "rampart/file.h"

#define API "/api/v1/"
/* The server's chunk limit (server/api/uploads.h UPLOAD_CHUNK_MAX). */
#define CHUNK_MAX (4u * 1024 * 1024)
/* Attempts at one chunk before giving up (each after asking the server
 * where the upload is). */
#define ATTEMPTS 5
/* After an add's POST got no answer (a big image verifies for minutes on
 * a slow disk, past the client's deadline): ask for the release every
 * POLL_S seconds, at most POLL_MAX times (an hour). */
#define POLL_S   2
#define POLL_MAX 1800

/* --- keys --------------------------------------------------------------- */

static void keys_print(json_t *j)
{
	json_t *a = json_object_get(j, "keys"), *v;
	size_t i;

	printf("epoch:        %lld\n", answer_num(j, "epoch"));
	printf("threshold:    %lld of %zu keys\n", answer_num(j, "threshold"),
	       json_array_size(a));
	json_array_foreach(a, i, v)
	    printf("key:          %s\n", json_string_value(v));
	a = json_object_get(j, "revoked");
	json_array_foreach(a, i, v)
	    printf("revoked:      %s\n", json_string_value(v));
	printf("installed_at: %lld\n", answer_num(j, "installed_at"));
}

static int keys_set(const struct tool_ctx *c)
{
	struct admin_opts o;
	char *buf = NULL; /* owned here */
	size_t len = 0;
	json_t *j = NULL;
	int code = CLI_ERROR;

	cli_admin_opts_get(c, &o);
	if (rp_file_read(c->argv[0], 64 * 1024, &buf, &len) != RP_OK) {
		fprintf(stderr,
		        "rampart: cannot read the key set %s (make one with "
		        "rampart keyset create)\n",
		        c->argv[0]);
		goto out;
	}
	code = admin_call(&o, "PUT", API "release-keys",
	                  "application/octet-stream", buf, len, &j);
	if (code != CLI_OK)
		goto out;
	answer_tidy(j);
	if (o.json) {
		answer_print_json(j);
	} else {
		printf("installed the release key set of epoch %lld\n",
		       answer_num(j, "epoch"));
		keys_print(j);
	}
out:
	json_decref(j);
	rp_free(buf);
	return code;
}

static int keys_show(const struct tool_ctx *c)
{
	struct admin_opts o;
	json_t *j = NULL;
	int code;

	cli_admin_opts_get(c, &o);
	code = admin_call(&o, "GET", API "release-keys", NULL, NULL, 0, &j);
	if (code == CLI_OK) {
		answer_tidy(j);
		if (o.json)
			answer_print_json(j);
		else
			keys_print(j);
	}
	json_decref(j);
	return code;
}

/* --- add ---------------------------------------------------------------- */

struct upload_state {
	const struct admin_opts *o;
	const char *image;
	int fd;
	long long size;
	char id[64];
	char path[128];
	bool progress;
	uint8_t *buf; /* CHUNK_MAX bytes, owned by the caller */
	size_t chunk;
};

static void progress(const struct upload_state *u, long long off)
{
	if (u->progress)
		fprintf(stderr,
		        "\rrampart: uploading %s: %lld of %lld bytes "
		        "(%lld%%)%s",
		        u->image, off, u->size,
		        (long long)human_percent(off, u->size),
		        off == u->size ? "\n" : "");
}

/* Where the server has the upload: *off; CLI_NO when it has none. */
static int server_offset(const struct upload_state *u, long long *off)
{
	json_t *j = NULL;
	int code = admin_call(u->o, "GET", u->path, NULL, NULL, 0, &j);

	if (code == CLI_OK) {
		*off = answer_num(j, "offset");
		if (answer_num(j, "size") != u->size) {
			fprintf(stderr,
			        "rampart: upload %s is for %lld bytes, %s has "
			        "%lld: not this image\n",
			        u->id, answer_num(j, "size"), u->image,
			        u->size);
			code = CLI_NO;
		}
	}
	json_decref(j);
	return code;
}

/* Send the image from the server's offset to its end. */
static int send_all(struct upload_state *u, long long off)
{
	char path[192];
	int tries = 0, code = CLI_OK;

	while (off < u->size) {
		size_t n = (size_t)(u->size - off < (long long)u->chunk
		                        ? u->size - off
		                        : (long long)u->chunk);
		ssize_t r = pread(u->fd, u->buf, n, (off_t)off);
		json_t *j = NULL;

		if (r != (ssize_t)n) {
			fprintf(stderr, "rampart: cannot read %s: %s\n",
			        u->image, r < 0 ? strerror(errno) : "short");
			return CLI_ERROR;
		}
		snprintf(path, sizeof path, "%s?offset=%lld", u->path, off);
		code = admin_call(u->o, "PUT", path, "application/octet-stream",
		                  u->buf, n, &j);
		if (code == CLI_OK) {
			off = answer_num(j, "offset");
			json_decref(j);
			tries = 0;
			progress(u, off);
			continue;
		}
		/* the chunk may or may not have arrived: ask the server */
		if (++tries >= ATTEMPTS) {
			fprintf(stderr,
			        "rampart: giving up after %d attempts; resume "
			        "with: rampart release add %s --upload %s\n",
			        ATTEMPTS, u->image, u->id);
			return code;
		}
		{
			struct timespec ts = {tries, 0};

			nanosleep(&ts, NULL); /* backoff: 1, 2, 3, 4 s */
		}
		if (server_offset(u, &off) == CLI_OK)
			fprintf(stderr, "rampart: resuming %s at offset %lld\n",
			        u->id, off);
		else if (tries + 1 >= ATTEMPTS)
			return CLI_ERROR;
	}
	return code;
}

static int open_session(struct upload_state *u, const char *id, long long *off)
{
	char body[64];
	json_t *j = NULL;
	int code;

	*off = 0;
	if (id != NULL) {
		snprintf(u->id, sizeof u->id, "%s", id);
		snprintf(u->path, sizeof u->path, API "uploads/%s", u->id);
		code = server_offset(u, off);
		if (code == CLI_OK)
			fprintf(stderr, "rampart: resuming %s at offset %lld\n",
			        u->id, *off);
		return code;
	}
	snprintf(body, sizeof body, "{\"size\": %lld}", u->size);
	code = admin_call(u->o, "POST", API "uploads", "application/json", body,
	                  strlen(body), &j);
	if (code == CLI_OK) {
		snprintf(u->id, sizeof u->id, "%s", answer_str(j, "id"));
		snprintf(u->path, sizeof u->path, API "uploads/%s", u->id);
		if (u->id[0] == '\0' ||
		    strspn(u->id, "0123456789abcdef") != strlen(u->id)) {
			fprintf(stderr, "rampart: the server gave no upload "
			                "id\n");
			code = CLI_ERROR;
		}
	}
	json_decref(j);
	return code;
}

/* The add's JSON body but its upload: notes, SBOM (the file's JSON),
 * made before the upload so that a bad SBOM costs no upload (the
 * caller's, json_decref; NULL after saying why). */
static json_t *add_body(const struct tool_ctx *c)
{
	const char *sbom = tool_str(c, "sbom"), *notes = tool_str(c, "notes");
	const char *hw = tool_str(c, "hw");
	json_t *j = json_object(), *doc, *res = NULL;
	json_error_t jerr;
	char *text = NULL; /* owned here */
	size_t len = 0;

	if (j == NULL)
		return NULL;
	if (sbom != NULL) {
		if (rp_file_read(sbom, CHUNK_MAX - 4096, &text, &len) !=
		    RP_OK) {
			fprintf(stderr,
			        "rampart: cannot read the SBOM %s (at most "
			        "4 MiB of CycloneDX JSON: rampart sbom "
			        "generate)\n",
			        sbom);
			goto out;
		}
		/* sent as the object: escaped as a string, a 4 MiB SBOM
		 * could outgrow the route's body limit */
		doc = json_loadb(text, len, 0, &jerr);
		if (!json_is_object(doc)) {
			fprintf(stderr,
			        "rampart: the SBOM %s is not a JSON object "
			        "(%s, line %d): want CycloneDX JSON (rampart "
			        "sbom generate)\n",
			        sbom, doc == NULL ? jerr.text : "another value",
			        doc == NULL ? jerr.line : 1);
			json_decref(doc);
			goto out;
		}
		json_object_set_new(j, "sbom", doc);
	}
	if (notes != NULL)
		json_object_set_new(j, "notes", json_string(notes));
	if (hw != NULL)
		json_object_set_new(j, "hw", json_string(hw));
	res = j;
	j = NULL;
out:
	rp_free(text);
	json_decref(j);
	return res;
}

/*
 * The add's POST got no answer: the release id is the image's SHA-256, so
 * ask for it until it is there (*out, CLI_OK). The upload still there
 * means the add never started (CLI_ERROR, resume with --upload); neither
 * the upload nor the release means the server is still verifying (or
 * refused it: the bound ends the wait).
 */
static int wait_release(const struct upload_state *u, json_t **out)
{
	struct admin_opts q = *u->o;
	char hex[65], path[160];
	int status = 0, i, silent = 0;
	json_t *j = NULL;

	*out = NULL;
	q.quiet = 1;
	q.status = &status;
	if (rp_sha256_fd_hex(u->fd, hex) != RP_OK) {
		fprintf(stderr, "rampart: cannot read %s\n", u->image);
		return CLI_ERROR;
	}
	snprintf(path, sizeof path, API "releases/%s", hex);
	for (i = 0; i < POLL_MAX; i++) {
		struct timespec ts = {POLL_S, 0};

		fprintf(stderr,
		        "rampart: no answer yet: still verifying %s on the "
		        "server\n",
		        u->image);
		(void)nanosleep(&ts, NULL); /* a poll interval, not a sync */
		if (admin_call(&q, "GET", path, NULL, NULL, 0, &j) == CLI_OK) {
			*out = j;
			return CLI_OK;
		}
		if (status == 0 && ++silent >= 3) {
			fprintf(stderr,
			        "rampart: rampartd does not answer: whether "
			        "it stored %s is unknown (rampart release show "
			        "%s)\n",
			        u->image, hex);
			return CLI_ERROR;
		}
		if (status != 404)
			continue; /* asked again next time */
		silent = 0;
		if (admin_call(&q, "GET", u->path, NULL, NULL, 0, &j) ==
		    CLI_OK) {
			json_decref(j);
			fprintf(stderr,
			        "rampart: the server did not start the add; "
			        "retry with: rampart release add %s --upload "
			        "%s\n",
			        u->image, u->id);
			return CLI_ERROR;
		}
	}
	fprintf(stderr,
	        "rampart: no release %s after %d s: the server refused the "
	        "image or is still verifying it (see rampartd's log; "
	        "rampart release show %s)\n",
	        hex, POLL_S * POLL_MAX, hex);
	return CLI_ERROR;
}

static void release_print(json_t *r)
{
	printf("id:         %s\n", answer_str(r, "id"));
	printf("hw_type:    %s\n", answer_str(r, "hw_type"));
	printf("version:    %s\n", answer_str(r, "version"));
	printf("counter:    %lld\n", answer_num(r, "counter"));
	printf("kind:       %s\n", answer_str(r, "kind"));
	printf("size:       %lld bytes (payload %lld)\n",
	       answer_num(r, "file_size"), answer_num(r, "payload_size"));
	printf("build_time: %lld\n", answer_num(r, "build_time"));
	printf("sbom:       %s\n",
	       json_is_true(json_object_get(r, "sbom")) ? "yes" : "no");
	printf("notes:      %s\n", answer_str(r, "notes"));
	printf("created_at: %lld\n", answer_num(r, "created_at"));
}

static int release_add(const struct tool_ctx *c)
{
	struct admin_opts o;
	struct upload_state u;
	struct stat st;
	long long off = 0;
	char *body = NULL;             /* jansson's */
	json_t *j = NULL, *add = NULL; /* add: the body, owned here */
	int code = CLI_ERROR, status = 0;

	cli_admin_opts_get(c, &o);
	memset(&u, 0, sizeof u);
	u.o = &o;
	u.image = c->argv[0];
	u.chunk = (size_t)tool_uint(c, "chunk-size", CHUNK_MAX);
	u.progress =
	    tool_flag(c, "progress") || (isatty(STDERR_FILENO) == 1 && !o.json);
	u.fd = open(u.image, O_RDONLY | O_CLOEXEC);
	if (u.fd < 0 || fstat(u.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr,
		        "rampart: cannot read %s (a signed image: rampart "
		        "sign)\n",
		        u.image);
		goto out;
	}
	u.size = (long long)st.st_size;
	u.buf = rp_malloc(u.chunk);
	if (u.buf == NULL)
		goto out;
	add = add_body(c);
	if (add == NULL)
		goto out;
	code = open_session(&u, tool_str(c, "upload"), &off);
	if (code != CLI_OK)
		goto out;
	progress(&u, off);
	code = send_all(&u, off);
	if (code != CLI_OK)
		goto out;
	if (json_object_set_new(add, "upload", json_string(u.id)) == 0)
		body = json_dumps(add, JSON_COMPACT);
	if (body == NULL) {
		code = CLI_ERROR;
		goto out;
	}
	if (u.progress)
		fprintf(stderr, "rampart: verifying %s on the server\n",
		        u.image);
	o.status = &status;
	code = admin_call(&o, "POST", API "releases", "application/json", body,
	                  strlen(body), &j);
	o.status = NULL;
	if (code == CLI_ERROR && status == 0)
		code = wait_release(&u, &j);
	if (code != CLI_OK)
		goto out;
	answer_tidy(j);
	if (o.json) {
		answer_print_json(j);
	} else {
		printf("added release %s\n", answer_str(j, "id"));
		release_print(j);
	}
out:
	if (u.fd >= 0)
		(void)close(u.fd);
	free(body);
	json_decref(add);
	rp_free(u.buf);
	json_decref(j);
	return code;
}

/* --- list, show, rm, sbom ----------------------------------------------- */

static int release_list(const struct tool_ctx *c)
{
	struct admin_opts o;
	const char *hw = tool_str(c, "hw");
	char path[128];
	json_t *j = NULL, *a, *r;
	size_t i;
	int code;

	cli_admin_opts_get(c, &o);
	if (hw != NULL &&
	    strspn(hw, "abcdefghijklmnopqrstuvwxyz"
	               "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(hw))
		return tool_usage_error(c, "--hw wants a hardware type "
		                           "(letters, digits, - _ .)");
	snprintf(path, sizeof path, API "releases%s%.40s",
	         hw != NULL ? "?hw=" : "", hw != NULL ? hw : "");
	code = admin_call(&o, "GET", path, NULL, NULL, 0, &j);
	if (code != CLI_OK)
		goto out;
	answer_tidy(j);
	if (o.json) {
		answer_print_json(j);
		goto out;
	}
	a = json_object_get(j, "releases");
	if (json_array_size(a) == 0)
		printf("no releases (add one: rampart release add IMAGE)\n");
	else
		printf("%-16s %-16s %-10s %7s %-5s %12s %s\n", "ID", "HW",
		       "VERSION", "COUNTER", "KIND", "SIZE", "SBOM");
	json_array_foreach(a, i, r)
	    printf("%-16.16s %-16s %-10s %7lld %-5s %12lld %s\n",
	           answer_str(r, "id"), answer_str(r, "hw_type"),
	           answer_str(r, "version"), answer_num(r, "counter"),
	           answer_str(r, "kind"), answer_num(r, "file_size"),
	           json_is_true(json_object_get(r, "sbom")) ? "yes" : "-");
out:
	json_decref(j);
	return code;
}

/* GET /releases/ID/vulns for a person or as JSON: CLI_NO when there
 * are findings (as rampart sbom vulns). */
static int vulns_print(json_t *j, bool json)
{
	json_t *a = json_object_get(j, "findings"), *f, *al, *v;
	size_t i, k;

	if (json) {
		answer_print_json(j);
		return json_array_size(a) > 0 ? CLI_NO : CLI_OK;
	}
	if (json_array_size(a) > 0)
		printf("%-24s %-24s %-20s %-20s %s\n", "COMPONENT", "VERSION",
		       "ID", "ALIASES", "FIXED");
	json_array_foreach(a, i, f)
	{
		char aliases[256] = "";
		size_t n = 0;

		al = json_object_get(f, "aliases");
		json_array_foreach(al, k, v) if (n < sizeof aliases) n +=
		    (size_t)snprintf(aliases + n, sizeof aliases - n, "%s%s",
		                     k ? "," : "", json_string_value(v));
		printf("%-24s %-24s %-20s %-20s %s\n",
		       answer_str(f, "component"), answer_str(f, "version"),
		       answer_str(f, "id"), aliases[0] ? aliases : "-",
		       answer_str(f, "fixed")[0] ? answer_str(f, "fixed")
		                                 : "unknown");
	}
	if (json_array_size(a) == 0)
		printf("no known vulnerabilities\n");
	printf("%zu finding%s in %lld components, %lld OSV records\n",
	       json_array_size(a), json_array_size(a) == 1 ? "" : "s",
	       answer_num(j, "components"), answer_num(j, "records"));
	return json_array_size(a) > 0 ? CLI_NO : CLI_OK;
}

/* ID is 64 lower-case hex digits (a release's SHA-256). */
static bool id_ok(const struct tool_ctx *c, const char *id)
{
	if (strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64)
		return true;
	(void)tool_usage_error(c,
	                       "a release ID is the 64 hex digits of its "
	                       "SHA-256 (rampart release list --json), not "
	                       "'%.80s'",
	                       id);
	return false;
}

static int release_one(const struct tool_ctx *c)
{
	const char *sub = c->cmd->name, *id = c->argv[0];
	struct admin_opts o;
	char path[160];
	json_t *j = NULL;
	int code;

	cli_admin_opts_get(c, &o);
	if (!id_ok(c, id))
		return CLI_ERROR;
	snprintf(path, sizeof path, API "releases/%s%s", id,
	         strcmp(sub, "sbom") == 0    ? "/sbom"
	         : strcmp(sub, "vulns") == 0 ? "/vulns"
	                                     : "");
	code = admin_call(&o, strcmp(sub, "rm") == 0 ? "DELETE" : "GET", path,
	                  NULL, NULL, 0, &j);
	if (code != CLI_OK)
		goto out;
	if (strcmp(sub, "sbom") == 0) {
		/* the SBOM as stored: JSON for a tool, whatever --json */
		if (json_dumpf(j, stdout, JSON_INDENT(2)) != 0)
			code = CLI_ERROR;
		putchar('\n');
		goto out;
	}
	answer_tidy(j);
	if (strcmp(sub, "vulns") == 0) {
		code = vulns_print(j, o.json);
		goto out;
	}
	if (o.json)
		answer_print_json(j);
	else if (strcmp(sub, "rm") == 0)
		printf("removed release %s\n", id);
	else
		release_print(j);
out:
	json_decref(j);
	return code;
}

static const struct tool_arg keyset_arg[] = {{"KEYSET", TOOL_REQUIRED}, {0}};
static const struct tool_arg image_arg[] = {{"IMAGE", TOOL_REQUIRED}, {0}};
static const struct tool_arg id_arg[] = {{"ID", TOOL_REQUIRED}, {0}};

static const struct tool_cmd keys_cmds[] = {
    {.name = "set",
     .summary = "install the fleet's trusted release key set (RPKS)",
     .shared = cli_admin_opts,
     .args = keyset_arg,
     .run = keys_set,
     .more = "The first set is trusted as given (check its key ids); every "
             "later one must be signed by the current set's threshold "
             "(docs/releases.md)."},
    {.name = "show",
     .summary = "the current release key set",
     .shared = cli_admin_opts,
     .run = keys_show},
    {0},
};

static const struct tool_opt add_opts[] = {
    {.name = "sbom",
     .kind = TOOL_PATH,
     .value = "FILE",
     .help = "the release's SBOM (CycloneDX JSON: rampart sbom generate)"},
    {.name = "notes",
     .kind = TOOL_STRING,
     .value = "TEXT",
     .help = "notes kept with the release (at most 1024 bytes)"},
    {.name = "hw",
     .kind = TOOL_STRING,
     .value = "TYPE",
     .help = "refuse the image unless it is for this hardware type"},
    {.name = "progress",
     .kind = TOOL_FLAG,
     .help = "show the upload's progress on stderr (default: on a tty)"},
    {.name = "upload",
     .kind = TOOL_STRING,
     .value = "ID",
     .help = "resume this upload (the id a failed add printed)"},
    {.name = "chunk-size",
     .kind = TOOL_UINT,
     .value = "BYTES",
     .help = "bytes per upload request (default and most: 4 MiB)",
     .min = 1,
     .max = CHUNK_MAX,
     .unit = "bytes"},
    {0},
};

static const struct tool_opt list_opts[] = {
    {.name = "hw",
     .kind = TOOL_STRING,
     .value = "TYPE",
     .help = "only the releases of this hardware type"},
    {0},
};

#define REL(n, s, o, a, r)                                                    \
	{                                                                     \
		.name = n, .summary = s, .opts = o, .shared = cli_admin_opts, \
		.args = a, .run = r                                           \
	}
const struct tool_cmd release_cmds[] = {
    {.name = "keys",
     .summary = "the fleet's trusted release key set",
     .subs = keys_cmds},
    REL("add", "upload, verify and store a signed image as a release", add_opts,
        image_arg, release_add),
    REL("list", "the releases, newest first per hardware type", list_opts, NULL,
        release_list),
    REL("show", "one release", NULL, id_arg, release_one),
    REL("rm", "remove a release (refused while an update uses it)", NULL,
        id_arg, release_one),
    REL("sbom", "print a release's SBOM (CycloneDX JSON)", NULL, id_arg,
        release_one),
    {.name = "vulns",
     .summary = "a release's SBOM matched against the known vulnerabilities",
     .shared = cli_admin_opts,
     .args = id_arg,
     .run = release_one,
     .more = "The records come from rampart vuln import. Exit 0 none found, "
             "1 findings printed, 2 could not ask."},
    {0},
};
