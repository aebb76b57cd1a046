/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_broker.c - rampart broker-config: writes the mosquitto.conf Rampart
 * ships (docs/transport.md, "The broker configuration", says why each line
 * is there): one mutual-TLS listener, no plaintext anywhere, TLS 1.2 AEAD
 * floor and 1.3, the rampart_auth plugin, and no crlfile (revocation comes
 * from the snapshot, so an expired CRL cannot lock the fleet out).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_broker.h"
#include "rampart/file.h"

#ifndef RP_PLUGIN_PATH
#define RP_PLUGIN_PATH "/usr/local/lib/rampart/rampart_auth.so"
#endif

/* TLS 1.2: ECDHE with AEAD ciphers only (no CBC, no RSA key exchange). */
#define CIPHERS_TLS12                                                  \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"   \
	"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"
#define CIPHERS_TLS13                                    \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:" \
	"TLS_CHACHA20_POLY1305_SHA256"

struct bopts {
	const char *data_dir, *out, *bind, *cafile, *cert, *key, *plugin;
	const char *snapshot, *log, *user;
	long port, rate, burst;
};

/*
 * Without --plugin: the first rampart_auth.so that exists of, in order,
 * the build tree's (beside this rampart binary, /proc/self/exe), a
 * relocated install's (EXE_DIR/../lib/rampart/, EXE_DIR/../lib/) and the
 * installed RP_PLUGIN_PATH. Its path to out[0..cap), what it is to *how.
 * 0, or -1 after an error naming every path tried.
 */
static int find_plugin(char *out, size_t cap, const char **how)
{
	static const char *const rel[] = {"rampart_auth.so",
	                                  "../lib/rampart/rampart_auth.so",
	                                  "../lib/rampart_auth.so"};
	char exe[4096], tried[4 * 4200] = "";
	size_t i, used = 0;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	char *dir = NULL;

	if (n > 0) {
		exe[n] = '\0';
		dir = dirname(exe);
	}
	for (i = 0; dir != NULL && i < sizeof rel / sizeof rel[0]; i++) {
		snprintf(out, cap, "%s/%s", dir, rel[i]);
		if (access(out, R_OK) == 0) {
			*how = "next to this rampart binary";
			return 0;
		}
		used += (size_t)snprintf(tried + used, sizeof tried - used,
		                         "%s, ", out);
		used = used < sizeof tried ? used : sizeof tried - 1;
	}
	snprintf(out, cap, "%s", RP_PLUGIN_PATH);
	if (access(out, R_OK) == 0) {
		*how = "installed";
		return 0;
	}
	fprintf(stderr,
	        "rampart broker-config: no rampart_auth.so found (tried %s%s); "
	        "build it (make) or install it (make install), or give "
	        "--plugin PATH\n",
	        tried, out);
	return -1;
}

/* A value that goes into mosquitto.conf: one line, no surrounding space. */
static bool conf_safe(const char *what, const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || strpbrk(v, "\n\r#") != NULL || v[0] == ' ' ||
	    v[n - 1] == ' ' || v[0] == '\t' || v[n - 1] == '\t') {
		fprintf(stderr, "rampart broker-config: bad %s '%s'\n", what,
		        v);
		return false;
	}
	return true;
}

static bool conf_path(const char *what, const char *v)
{
	if (!conf_safe(what, v))
		return false;
	if (v[0] != '/') {
		fprintf(stderr,
		        "rampart broker-config: %s must be an absolute path: "
		        "%s\n",
		        what, v);
		return false;
	}
	return true;
}

/*
 * The text written to the memory stream m (open_memstream over *p, *n) to
 * path, mode 0644, replacing it atomically; m is closed, *p freed.
 */
static int commit_stream(FILE *m, char **p, size_t *n, const char *path)
{
	int ok = fclose(m) == 0;

	if (ok && rp_file_write_atomic(path, *p, *n, 0644) != RP_OK) {
		fprintf(stderr, "rampart broker-config: %s: %s\n", path,
		        strerror(errno));
		ok = 0;
	} else if (!ok) {
		fprintf(stderr, "rampart broker-config: cannot write %s\n",
		        path);
	}
	free(*p);
	*p = NULL;
	return ok ? 0 : -1;
}

/* Concatenate files into out (mode 0644), replacing it atomically. */
static int bundle(const char *out, const char *a, const char *b)
{
	const char *in[2] = {a, b};
	char buf[8192], *text = NULL;
	size_t n, tlen = 0;
	FILE *o, *f;
	int i, ok = 1;

	o = open_memstream(&text, &tlen);
	if (o == NULL) {
		fprintf(stderr, "rampart broker-config: %s\n", strerror(errno));
		return -1;
	}
	for (i = 0; i < 2 && ok; i++) {
		f = fopen(in[i], "r");
		if (f == NULL) {
			fprintf(stderr, "rampart broker-config: %s: %s\n",
			        in[i], strerror(errno));
			ok = 0;
			break;
		}
		for (;;) {
			n = fread(buf, 1, sizeof buf, f);
			if (n == 0)
				break;
			ok &= fwrite(buf, 1, n, o) == n;
		}
		ok &= !ferror(f);
		fclose(f);
	}
	if (!ok) {
		fclose(o);
		free(text);
		return -1;
	}
	return commit_stream(o, &text, &tlen, out);
}

static char *dflt(char *buf, size_t cap, const char *dir, const char *rel)
{
	snprintf(buf, cap, "%s/%s", dir, rel);
	return buf;
}

/* The configuration text; docs/transport.md explains every line. */
static void emit(FILE *f, const struct bopts *o)
{
	fprintf(f,
	        "# Written by rampart broker-config; docs/transport.md says "
	        "why each line is here.\n"
	        "# Global: plugins apply to every listener, and TICK fires "
	        "(it never does per listener).\n"
	        "per_listener_settings false\n"
	        "allow_anonymous false\n"
	        "# Without it each CONNACK waits for Nagle (~44 ms).\n"
	        "set_tcp_nodelay true\n"
	        "user %s\n"
	        "persistence false\n"
	        "log_dest file %s\n"
	        "log_type error\nlog_type warning\nlog_type notice\n"
	        "log_type information\n"
	        "connection_messages true\n"
	        "log_timestamp_format %%Y-%%m-%%dT%%H:%%M:%%S\n"
	        "\n"
	        "# The one listener: MQTT over mutual TLS; there is no "
	        "plaintext listener.\n"
	        "listener %ld %s\n"
	        "protocol mqtt\n"
	        "cafile %s\n"
	        "certfile %s\n"
	        "keyfile %s\n"
	        "require_certificate true\n"
	        "# Off: with it Mosquitto never asks the plugin "
	        "(BASIC_AUTH), so revocation would not bite.\n"
	        "use_identity_as_username false\n"
	        "# At least TLS 1.2, AEAD ciphers only; TLS 1.3 preferred.\n"
	        "tls_version tlsv1.2\n"
	        "ciphers %s\n"
	        "ciphers_tls1.3 %s\n"
	        "# No crlfile: revoked serials come from the snapshot (an "
	        "expired CRL would refuse every client).\n"
	        "\n"
	        "plugin %s\n"
	        "plugin_opt_snapshot %s\n"
	        "plugin_opt_refusal_rate %ld\n"
	        "plugin_opt_refusal_burst %ld\n",
	        o->user, o->log, o->port, o->bind, o->cafile, o->cert, o->key,
	        CIPHERS_TLS12, CIPHERS_TLS13, o->plugin, o->snapshot, o->rate,
	        o->burst);
}

const struct tool_opt broker_opts[] = {
    {.name = "data-dir",
     .kind = TOOL_PATH,
     .value = "DIR",
     .help = "rampartd's data folder (the defaults below come from it)",
     .flags = TOOL_REQUIRED},
    {.name = "out",
     .kind = TOOL_PATH,
     .value = "FILE",
     .help = "the mosquitto.conf to write",
     .flags = TOOL_REQUIRED},
    {.name = "port",
     .kind = TOOL_UINT,
     .help = "the mutual-TLS listener's port (default 8883)",
     .min = 1,
     .max = 65535},
    {.name = "bind",
     .kind = TOOL_STRING,
     .value = "ADDR",
     .help = "the listener's IP address (default 127.0.0.1)"},
    {.name = "cafile",
     .kind = TOOL_PATH,
     .value = "FILE",
     .help = "CAs devices are checked against (default DIR/broker/ca.pem, "
             "written from DIR/pki/issuing.pem + root.pem)"},
    {.name = "cert",
     .kind = TOOL_PATH,
     .value = "FILE",
     .help = "the broker's certificate (default DIR/pki/server.pem)"},
    {.name = "key",
     .kind = TOOL_PATH,
     .value = "FILE",
     .help = "its key (default DIR/pki/server.key)"},
    {.name = "plugin",
     .kind = TOOL_PATH,
     .value = "PATH",
     .help = "rampart_auth.so (default: beside this program, then the "
             "installed one)"},
    {.name = "snapshot",
     .kind = TOOL_PATH,
     .value = "FILE",
     .help = "the fleet snapshot (default DIR/broker/fleet.snapshot)"},
    {.name = "log",
     .kind = TOOL_PATH,
     .value = "FILE",
     .help = "Mosquitto's log (default DIR/broker/mosquitto.log)"},
    {.name = "user",
     .kind = TOOL_STRING,
     .value = "USER",
     .help = "the user Mosquitto runs as (default mosquitto)"},
    {.name = "refusal-rate",
     .kind = TOOL_UINT,
     .help = "refusals reported per second (default 20)",
     .min = 1,
     .max = 1000000},
    {.name = "refusal-burst",
     .kind = TOOL_UINT,
     .help = "refusals reported in a burst (default 100)",
     .min = 1,
     .max = 1000000},
    {0},
};

int cmd_broker_config(const struct tool_ctx *c)
{
	struct bopts o = {.bind = "127.0.0.1",
	                  .user = "mosquitto",
	                  .port = 8883,
	                  .rate = 20,
	                  .burst = 100};
	char ca[4200], cert[4200], key[4200], snap[4200], log[4200];
	char bdir[4200], iss[4200], root[4200], plug[4200], *text = NULL;
	const char *plug_how = NULL; /* how the plugin was found, or NULL */
	unsigned char addr[16];
	char *dir = NULL;
	FILE *f = NULL;
	size_t tlen = 0;
	int ret = CLI_ERROR;

	o.data_dir = tool_str(c, "data-dir");
	o.out = tool_str(c, "out");
	o.port = (long)tool_uint(c, "port", 8883);
	if (tool_str(c, "bind") != NULL)
		o.bind = tool_str(c, "bind");
	o.cafile = tool_str(c, "cafile");
	o.cert = tool_str(c, "cert");
	o.key = tool_str(c, "key");
	o.plugin = tool_str(c, "plugin");
	o.snapshot = tool_str(c, "snapshot");
	o.log = tool_str(c, "log");
	if (tool_str(c, "user") != NULL)
		o.user = tool_str(c, "user");
	o.rate = (long)tool_uint(c, "refusal-rate", 20);
	o.burst = (long)tool_uint(c, "refusal-burst", 100);
	dir = realpath(o.data_dir, NULL);
	if (dir == NULL) {
		fprintf(stderr, "rampart broker-config: %s: %s\n", o.data_dir,
		        strerror(errno));
		goto out;
	}
	if (inet_pton(AF_INET, o.bind, addr) != 1 &&
	    inet_pton(AF_INET6, o.bind, addr) != 1) {
		ret = tool_usage_error(
		    c, "--bind wants an IP address, not '%s'", o.bind);
		goto out;
	}
	dflt(bdir, sizeof bdir, dir, "broker");
	if (o.snapshot == NULL)
		o.snapshot =
		    dflt(snap, sizeof snap, dir, "broker/fleet.snapshot");
	if (o.log == NULL)
		o.log = dflt(log, sizeof log, dir, "broker/mosquitto.log");
	if (o.cert == NULL)
		o.cert = dflt(cert, sizeof cert, dir, "pki/server.pem");
	if (o.key == NULL)
		o.key = dflt(key, sizeof key, dir, "pki/server.key");
	if (o.plugin == NULL) {
		if (find_plugin(plug, sizeof plug, &plug_how) != 0)
			goto out;
		o.plugin = plug;
	}
	if (!conf_path("--cert", o.cert) || !conf_path("--key", o.key) ||
	    !conf_path("--snapshot", o.snapshot) ||
	    !conf_path("--log", o.log) || !conf_path("--plugin", o.plugin) ||
	    (o.cafile != NULL && !conf_path("--cafile", o.cafile)) ||
	    !conf_safe("--user", o.user) || strpbrk(o.user, " \t") != NULL)
		goto out;
	if (o.cafile == NULL) {
		/* Devices present their leaf: trust issuing CA + root. */
		if (mkdir(bdir, 0755) != 0 && errno != EEXIST) {
			fprintf(stderr, "rampart broker-config: %s: %s\n", bdir,
			        strerror(errno));
			goto out;
		}
		o.cafile = dflt(ca, sizeof ca, dir, "broker/ca.pem");
		if (bundle(ca, dflt(iss, sizeof iss, dir, "pki/issuing.pem"),
		           dflt(root, sizeof root, dir, "pki/root.pem")) != 0)
			goto out;
	}
	f = open_memstream(&text, &tlen);
	if (f == NULL) {
		fprintf(stderr, "rampart broker-config: %s\n", strerror(errno));
		goto out;
	}
	emit(f, &o);
	if (commit_stream(f, &text, &tlen, o.out) != 0)
		goto out;
	if (plug_how != NULL)
		printf("rampart broker-config: plugin %s (%s; --plugin to "
		       "choose another)\n",
		       o.plugin, plug_how);
	ret = CLI_OK;
out:
	free(dir);
	return ret;
}
