/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_mqtt_broker.c - the Mosquitto plugin (plugin/rampart_auth.so) in a
 * real Mosquitto 2.0 configured by `rampart broker-config`, driven with
 * mosquitto_pub/mosquitto_sub and openssl s_client: what a device may and
 * may not do, who is refused at connect, how quarantine confines, that a
 * revocation cuts an open session on the notification (how fast:
 * bench/70-revocation-latency.sh),
 * that every refusal shows up on the refusal topic, that the read-only
 * monitor identity watches but publishes nothing, and that the shipped
 * configuration has no crlfile an expired CRL could lock the fleet out
 * with. Issue 9: a role comes from the certificate's profile and, for the
 * service and monitor, its pinned key, never from the CN: certificates
 * mis-issued by the real CA (a device profile with CN rampartd or
 * rampart-monitor, a service profile with another key or an unreserved
 * CN, an old-style certificate without SAN) get nothing and never take
 * the real identity's session over; a changed pin cuts the old key's
 * session; a format-1 snapshot is refused. The PKI comes from
 * broker_pki.sh (openssl); the snapshots carry its keys' pins. In a
 * sanitizer build the broker runs with the sanitizer runtime preloaded
 * (RP_PLUGIN_PRELOAD), so the plugin is checked by ASan/UBSan too.
 */
#define _GNU_SOURCE
#include <pwd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmocka_all.h"
#include "rampart/broker.h"
#include "rampart/encode.h"
#include "rpt.h"

static char dir[512], conf[700], snap[700], blog[700], wlog[700];
static char port_s[16];
static int port;
static struct rpt_proc broker, watcher;
static unsigned long long seq = 1;
/* The broker's environment: the sanitizer runtime when the plugin has ASan. */
static char env_preload[800];
static char *env[3];

/* Path of a file of the PKI: certs/NAME.pem or .key. */
static const char *cpath(const char *name, const char *ext)
{
	static char buf[8][700];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof buf[i], "%s/certs/%s.%s", dir, name, ext);
	return buf[i];
}

static char *slurp_serial(const char *name)
{
	char *s = rpt_read_file(cpath(name, "serial"), NULL);

	assert_non_null(s);
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* Count non-overlapping occurrences of needle in the file at path. */
static int count_in(const char *path, const char *needle)
{
	char *s = rpt_read_file(path, NULL), *p;
	int n = 0;

	if (s == NULL)
		return 0;
	for (p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	free(s);
	return n;
}

/* Wait until needle occurs at least n times in path. */
static bool wait_count(const char *path, const char *needle, int n,
                       int deadline_ms)
{
	long long end = rpt_now_ms() + deadline_ms;

	do {
		if (count_in(path, needle) >= n)
			return true;
		usleep(10000); /* polling interval of a deadline wait */
	} while (rpt_now_ms() < end);
	fprintf(stderr, "wait_count: '%s' x%d not in %s\n", needle, n, path);
	return false;
}

/* The pin of certificate NAME's key (broker_pki.sh: certs/NAME.pin). */
static void read_pin(const char *name, uint8_t pin[RP_BROKER_PIN_LEN])
{
	char *s = rpt_read_file(cpath(name, "pin"), NULL);
	size_t n = 0;

	assert_non_null(s);
	assert_int_equal(
	    rp_hex_decode(s, 2 * RP_BROKER_PIN_LEN, pin, RP_BROKER_PIN_LEN, &n),
	    RP_OK);
	assert_int_equal(n, RP_BROKER_PIN_LEN);
	free(s);
}

/* 2: both service identities; 1: rampartd-watch only. */
static size_t n_svcs = 2;
/* The certificate whose key the snapshot pins for rampartd. */
static const char *svc_key = "rampartd";

/* Write the fleet state: the given devices, the service identities and
 * the monitor (an operator's read-only watcher), with their keys' pins. */
static void write_snapshot(const struct rp_broker_device *devs, size_t n,
                           const char *const *revoked, size_t nrev)
{
	struct rp_broker_principal svcs[2] = {{"rampartd-watch", {0}},
	                                      {"rampartd", {0}}};
	struct rp_broker_principal mons[1] = {{"rampart-monitor", {0}}};
	struct rp_broker_fleet f = {++seq,   svcs, n_svcs, devs, n,
	                            revoked, nrev, mons,   1};

	read_pin("rampartd-watch", svcs[0].pin);
	read_pin(svc_key, svcs[1].pin);
	read_pin("rampart-monitor", mons[0].pin);
	assert_int_equal(rp_broker_snapshot_write(snap, &f, 0640), RP_OK);
}

static const struct rp_broker_device base_fleet[] = {
    {"SN1", RP_BROKER_ACTIVE},         {"SN2", RP_BROKER_ACTIVE},
    {"SNQ", RP_BROKER_QUARANTINED},    {"SNR", RP_BROKER_REVOKED},
    {"SND", RP_BROKER_DECOMMISSIONED}, {"SNK", RP_BROKER_ACTIVE},
    {"SNS", RP_BROKER_ACTIVE},
};
#define NBASE (sizeof base_fleet / sizeof base_fleet[0])

/*
 * Run mosquitto_pub/_sub (tool) as the certificate NAME with client id
 * ID; extra: further arguments, NULL-terminated. Returns the exit code;
 * *out (if not NULL) the output, caller frees.
 */
static int mqtt(const char *tool, const char *name, const char *id, char **out,
                ...)
{
	char *argv[40];
	int n = 0, rc;
	const char *a;
	va_list ap;

	argv[n++] = (char *)tool;
	argv[n++] = "-h";
	argv[n++] = "127.0.0.1";
	argv[n++] = "-p";
	argv[n++] = port_s;
	argv[n++] = "--cafile";
	argv[n++] = (char *)cpath("../pki/root", "pem");
	if (name != NULL) {
		argv[n++] = "--cert";
		argv[n++] = (char *)cpath(name, "pem");
		argv[n++] = "--key";
		argv[n++] = (char *)cpath(name, "key");
	}
	if (id != NULL) {
		argv[n++] = "-i";
		argv[n++] = (char *)id;
	}
	va_start(ap, out);
	while ((a = va_arg(ap, const char *)) != NULL && n < 39)
		argv[n++] = (char *)a;
	va_end(ap);
	argv[n] = NULL;
	rc = rpt_run(argv, NULL, 0, out, RPT_DEADLINE_MS);
	return rc;
}

/* rampartd's move after writing the snapshot: tell the broker, as the
 * service with the key of certificate NAME. */
static void notify_reload_as(const char *name)
{
	char want[64];
	int n = count_in(wlog, "\"event\":\"reloaded\"");

	assert_int_equal(mqtt("mosquitto_pub", name, "rampartd", NULL, "-t",
	                      RP_BROKER_TOPIC_RELOAD, "-n", NULL),
	                 0);
	snprintf(want, sizeof want, "\"seq\":%llu,", seq);
	assert_true(
	    wait_count(wlog, "\"event\":\"reloaded\"", n + 1, RPT_DEADLINE_MS));
	assert_true(wait_count(wlog, want, 1, RPT_DEADLINE_MS));
}

static void notify_reload(void)
{
	notify_reload_as("rampartd");
}

/* Expect one more refusal event containing needle on the refusal topic. */
static void expect_refusal(const char *needle, int before)
{
	assert_true(wait_count(wlog, needle, before + 1, RPT_DEADLINE_MS));
}

static int group_setup(void **state)
{
	char script[700], *out = NULL, plugin[700], user[64], *preload;
	int rc;

	(void)state;
	rpt_tmpdir(dir, sizeof dir);
	snprintf(script, sizeof script, "%s/tests/integration/broker_pki.sh",
	         rpt_src_dir());
	char *pki[] = {"sh", script, dir, NULL};
	rc = rpt_run(pki, NULL, 0, &out, 120000);
	if (rc != 0) {
		fprintf(stderr, "broker_pki.sh: %s\n", out ? out : "");
		free(out);
		return -1;
	}
	free(out);
	out = NULL;

	snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
	snprintf(snap, sizeof snap, "%s/broker/fleet.snapshot", dir);
	snprintf(blog, sizeof blog, "%s/broker/mosquitto.log", dir);
	snprintf(wlog, sizeof wlog, "%s/watch.log", dir);
	snprintf(plugin, sizeof plugin, "%s/rampart_auth.so", rpt_bin_dir());
	/* Never drop to another user: the files here are ours (0700). */
	struct passwd *pw = getpwuid(getuid());
	snprintf(user, sizeof user, "%s", pw ? pw->pw_name : "root");
	port = rpt_free_port();
	snprintf(port_s, sizeof port_s, "%d", port);
	/* The configuration we ship, with the binary paths of this build. */
	char rampart[700];
	snprintf(rampart, sizeof rampart, "%s/rampart", rpt_bin_dir());
	char *bc[] = {
	    rampart,  "broker-config", "--data-dir", dir,    "--out",  conf,
	    "--port", port_s,          "--plugin",   plugin, "--user", user,
	    NULL};
	rc = rpt_run(bc, NULL, 0, &out, RPT_DEADLINE_MS);
	if (rc != 0) {
		fprintf(stderr, "broker-config: %s\n", out ? out : "");
		free(out);
		return -1;
	}
	free(out);
	/* The notification path alone must be fast: no file polling here. */
	FILE *f = fopen(conf, "a");
	if (f == NULL)
		return -1;
	fprintf(f, "plugin_opt_poll_ms 0\n");
	fclose(f);
	write_snapshot(base_fleet, NBASE, NULL, 0);

	preload = getenv("RP_PLUGIN_PRELOAD");
	if (preload != NULL && preload[0] != '\0') {
		snprintf(env_preload, sizeof env_preload, "LD_PRELOAD=%s",
		         preload);
		env[0] = env_preload;
		env[1] = "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0";
	}
	char blog_out[760];
	snprintf(blog_out, sizeof blog_out, "%s/broker.out", dir);
	char *mq[] = {"mosquitto", "-c", conf, NULL};
	if (rpt_start(&broker, mq, blog_out, env) != 0 ||
	    !rpt_wait_port(&broker, port, RPT_DEADLINE_MS)) {
		fprintf(stderr, "mosquitto did not start; see %s\n", blog_out);
		return -1;
	}
	/* rampartd's watcher: device data and the broker's service topics. */
	char *w[] = {"mosquitto_sub",
	             "-h",
	             "127.0.0.1",
	             "-p",
	             port_s,
	             "--cafile",
	             (char *)cpath("../pki/root", "pem"),
	             "--cert",
	             (char *)cpath("rampartd-watch", "pem"),
	             "--key",
	             (char *)cpath("rampartd-watch", "key"),
	             "-i",
	             "rampartd-watch",
	             "-v",
	             "-t",
	             "rampart/v1/d/+/telemetry",
	             "-t",
	             "rampart/v1/d/+/events",
	             "-t",
	             RP_BROKER_TOPIC_REFUSALS,
	             "-t",
	             RP_BROKER_TOPIC_STATUS,
	             NULL};
	if (rpt_start(&watcher, w, wlog, NULL) != 0 ||
	    !rpt_wait_file_contains(blog, "as rampartd-watch", RPT_DEADLINE_MS))
		return -1;
	/* Subscribed before the first test publishes: a probe round trip. */
	do {
		rc = mqtt("mosquitto_pub", "SN1", "SN1", NULL, "-t",
		          "rampart/v1/d/SN1/telemetry", "-m", "probe", NULL);
	} while (rc == 0 && !rpt_wait_file_contains(wlog, "probe", 500));
	return rc == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	rpt_stop(&watcher, 2000);
	rpt_stop(&broker, 5000);
	/* The broker (and the plugin under ASan) must end cleanly. */
	if (!WIFEXITED(broker.status) || WEXITSTATUS(broker.status) != 0) {
		char path[760], *s;

		snprintf(path, sizeof path, "%s/broker.out", dir);
		s = rpt_read_file(path, NULL);
		fprintf(stderr, "mosquitto ended badly:\n%s\n", s ? s : "");
		free(s);
		return -1;
	}
	return 0;
}

/* A denied publish under MQTT v5 (PUBACK 135) is not delivered. */
static void publish_denied(const char *name, const char *topic,
                           const char *marker)
{
	const char *other = strcmp(name, "SN1") == 0 ? "SN2" : "SN1";
	char *out = NULL, want[300], sentinel[64], otopic[64];
	int before;

	snprintf(want, sizeof want,
	         "\"reason\":\"acl\",\"action\":\"publish\",\"id\":\"%s\","
	         "\"address\":\"127.0.0.1\",\"topic\":\"%s\"",
	         name, topic);
	before = count_in(wlog, want);
	mqtt("mosquitto_pub", name, name, &out, "-V", "mqttv5", "-q", "1", "-t",
	     topic, "-m", marker, NULL);
	assert_non_null(strstr(out, "Not authorized"));
	free(out);
	expect_refusal(want, before);
	/*
	 * Ordering: a later allowed message (from another device) arrives,
	 * the denied one never: every occurrence of the marker is inside
	 * the sentinel.
	 */
	snprintf(sentinel, sizeof sentinel, "after-%s", marker);
	snprintf(otopic, sizeof otopic, "rampart/v1/d/%s/telemetry", other);
	assert_int_equal(mqtt("mosquitto_pub", other, other, NULL, "-t", otopic,
	                      "-m", sentinel, NULL),
	                 0);
	assert_true(rpt_wait_file_contains(wlog, sentinel, RPT_DEADLINE_MS));
	assert_int_equal(count_in(wlog, marker), count_in(wlog, sentinel));
}

/* A denied subscription: SUBACK failure and an acl refusal event. */
static void subscribe_denied(const char *name, const char *filter)
{
	char *out = NULL, want[300];
	int before;

	snprintf(want, sizeof want,
	         "\"action\":\"subscribe\",\"id\":\"%s\","
	         "\"address\":\"127.0.0.1\",\"topic\":\"%s\"",
	         name, filter);
	before = count_in(wlog, want);
	mqtt("mosquitto_sub", name, name, &out, "-V", "mqttv5", "-t", filter,
	     "-C", "1", "-W", "5", NULL);
	assert_non_null(strstr(out, "All subscription requests were denied"));
	free(out);
	expect_refusal(want, before);
}

static void test_device_own_topics(void **state)
{
	(void)state;
	assert_int_equal(mqtt("mosquitto_pub", "SN1", "SN1", NULL, "-t",
	                      "rampart/v1/d/SN1/telemetry", "-m",
	                      "sn1-telemetry-ok", NULL),
	                 0);
	assert_true(rpt_wait_file_contains(
	    wlog, "rampart/v1/d/SN1/telemetry sn1-telemetry-ok",
	    RPT_DEADLINE_MS));
	assert_int_equal(mqtt("mosquitto_pub", "SN1", "SN1", NULL, "-t",
	                      "rampart/v1/d/SN1/events", "-m", "sn1-event-ok",
	                      NULL),
	                 0);
	assert_true(rpt_wait_file_contains(
	    wlog, "rampart/v1/d/SN1/events sn1-event-ok", RPT_DEADLINE_MS));
}

static void test_device_cannot_reach_others(void **state)
{
	(void)state;
	publish_denied("SN1", "rampart/v1/d/SN2/telemetry", "sn1-as-sn2");
	publish_denied("SN1", "rampart/v1/d/SN2/events", "sn1-ev-as-sn2");
	publish_denied("SN1", "rampart/v1/d/SN1/cmd", "sn1-own-cmd");
	subscribe_denied("SN1", "rampart/v1/d/SN2/cmd");
	subscribe_denied("SN1", "rampart/v1/d/SN2/telemetry");
	subscribe_denied("SN1", "#");
	subscribe_denied("SN1", "rampart/v1/d/+/cmd");
	subscribe_denied("SN1", "rampart/v1/d/+/telemetry");
	subscribe_denied("SN1", "$SYS/#");
	subscribe_denied("SN1", "rampart/v1/d/SN1/#");
}

/* Refused at connect by the plugin, with the reason and the id. */
static void connect_refused(const char *name, const char *id,
                            const char *reason, const char *event_id)
{
	char *out = NULL, want[300];
	int before, rc;

	snprintf(want, sizeof want,
	         "\"reason\":\"%s\",\"action\":\"connect\",\"id\":%s%s%s,"
	         "\"address\":\"127.0.0.1\"",
	         reason, event_id ? "\"" : "", event_id ? event_id : "null",
	         event_id ? "\"" : "");
	before = count_in(wlog, want);
	rc = mqtt("mosquitto_pub", name, id, &out, "-t",
	          "rampart/v1/d/SN1/telemetry", "-m", "must-not-arrive", NULL);
	assert_int_not_equal(rc, 0);
	free(out);
	expect_refusal(want, before);
}

static void test_refused_at_connect(void **state)
{
	char *out = NULL, connect[32];
	int before, rc;

	(void)state;
	connect_refused("SNU", "SNU", "unknown", "SNU");
	connect_refused("SNR", "SNR", "revoked", "SNR");
	connect_refused("SND", "SND", "decommissioned", "SND");
	connect_refused("SN1", "SN2", "bad_client_id", "SN2");
	connect_refused("SN1", "SN+1", "bad_client_id", "SN+1");
	connect_refused("SN1", "SN1/x", "bad_client_id", "SN1/x");
	connect_refused("nocn", "nocn", "bad_cn", "nocn");
	/* TLS-level refusals: the handshake fails, the plugin reports it. */
	connect_refused(NULL, "SN1", "tls", NULL);      /* no certificate */
	connect_refused("other", "SN1", "tls", NULL);   /* another CA */
	connect_refused("expired", "SN1", "tls", NULL); /* expired */

	before = count_in(wlog, "\"reason\":\"tls\"");
	snprintf(connect, sizeof connect, "127.0.0.1:%d", port);
	char *tls11[] = {"openssl",
	                 "s_client",
	                 "-connect",
	                 connect,
	                 "-tls1_1",
	                 "-cipher",
	                 "DEFAULT@SECLEVEL=0",
	                 "-cert",
	                 (char *)cpath("SN1", "pem"),
	                 "-key",
	                 (char *)cpath("SN1", "key"),
	                 "-CAfile",
	                 (char *)cpath("../pki/root", "pem"),
	                 NULL};
	rc = rpt_run(tls11, "", 0, &out, RPT_DEADLINE_MS);
	assert_int_not_equal(rc, 0);
	assert_non_null(strstr(out, "alert protocol version"));
	free(out);
	/*
	 * Reported on the refusal topic, except when OpenSSL refuses the
	 * ClientHello while Mosquitto is still accepting the socket: then
	 * 2.0.11 frees the client without any plugin callback and only its
	 * log has it (docs/transport.md, "Refusal events").
	 */
	{
		long long end = rpt_now_ms() + RPT_DEADLINE_MS;
		bool seen = false;

		while (!seen && rpt_now_ms() < end) {
			seen = count_in(wlog, "\"reason\":\"tls\"") > before ||
			       count_in(blog, "unsupported protocol") > 0;
			if (!seen)
				usleep(10000);
		}
		assert_true(seen);
	}
	/* Nothing any of them sent reached the watcher. */
	assert_int_equal(count_in(wlog, "must-not-arrive"), 0);
}

/* The serial revocation that the snapshot carries, without any CRL. */
static void test_revoked_serial_and_no_crl(void **state)
{
	char *text, *sns = slurp_serial("SNS");
	const char *rev[] = {sns};

	(void)state;
	/* The shipped config has no CRL, although rampartd's (expired) CRL
	 * lies in DIR/pki: an expired CRL cannot lock the fleet out. */
	text = rpt_read_file(conf, NULL);
	assert_non_null(text);
	assert_null(strstr(text, "\ncrlfile"));
	assert_null(strstr(text, "use_identity_as_username true"));
	assert_non_null(strstr(text, "require_certificate true"));
	free(text);
	assert_int_equal(access(cpath("../pki/crl", "pem"), R_OK), 0);

	write_snapshot(base_fleet, NBASE, rev, 1);
	notify_reload();
	connect_refused("SNS", "SNS", "cert_revoked", "SNS");
	/* The same device with its new certificate is fine. */
	assert_int_equal(mqtt("mosquitto_pub", "SNS-new", "SNS", NULL, "-t",
	                      "rampart/v1/d/SNS/telemetry", "-m",
	                      "sns-new-cert-ok", NULL),
	                 0);
	assert_true(
	    rpt_wait_file_contains(wlog, "sns-new-cert-ok", RPT_DEADLINE_MS));
	free(sns);
}

static void test_quarantine(void **state)
{
	struct rpt_proc sub;
	char log[760], *out = NULL;

	(void)state;
	/* SNQ is quarantined in the base fleet: events yes, telemetry no. */
	assert_int_equal(mqtt("mosquitto_pub", "SNQ", "SNQ", NULL, "-t",
	                      "rampart/v1/d/SNQ/events", "-m", "snq-event-ok",
	                      NULL),
	                 0);
	assert_true(
	    rpt_wait_file_contains(wlog, "snq-event-ok", RPT_DEADLINE_MS));
	publish_denied("SNQ", "rampart/v1/d/SNQ/telemetry", "snq-telemetry");
	publish_denied("SNQ", "rampart/v1/d/SNQ/shadow/reported", "snq-shadow");
	publish_denied("SNQ", "rampart/v1/d/SNQ/cmd/result", "snq-result");
	subscribe_denied("SNQ", "rampart/v1/d/SNQ/shadow/desired");
	/* ...and it still receives its commands (an update, a lock). */
	snprintf(log, sizeof log, "%s/snq-cmd.log", dir);
	char *s[] = {"mosquitto_sub",
	             "-h",
	             "127.0.0.1",
	             "-p",
	             port_s,
	             "--cafile",
	             (char *)cpath("../pki/root", "pem"),
	             "--cert",
	             (char *)cpath("SNQ", "pem"),
	             "--key",
	             (char *)cpath("SNQ", "key"),
	             "-i",
	             "SNQ",
	             "-t",
	             "rampart/v1/d/SNQ/cmd",
	             "-C",
	             "1",
	             NULL};
	long long end = rpt_now_ms() + RPT_DEADLINE_MS;
	bool got = false;

	assert_int_equal(rpt_start(&sub, s, log, NULL), 0);
	/* The subscription is in place when a command gets through. */
	while (!got && rpt_now_ms() < end) {
		assert_int_equal(mqtt("mosquitto_pub", "rampartd", "rampartd",
		                      &out, "-t", "rampart/v1/d/SNQ/cmd", "-m",
		                      "{\"cmd\":\"update\"}", NULL),
		                 0);
		free(out);
		got = rpt_wait_file_contains(log, "{\"cmd\":\"update\"}", 500);
	}
	assert_true(got);
	assert_true(rpt_wait_exit(&sub, RPT_DEADLINE_MS));
	/* Quarantine reaches an open session at once, no reconnect needed:
	 * SN2 is quarantined now and its telemetry stops. */
	struct rp_broker_device q[NBASE];
	memcpy(q, base_fleet, sizeof q);
	q[1].state = RP_BROKER_QUARANTINED;
	write_snapshot(q, NBASE, NULL, 0);
	notify_reload();
	publish_denied("SN2", "rampart/v1/d/SN2/telemetry", "sn2-quarantined");
	write_snapshot(base_fleet, NBASE, NULL, 0);
	notify_reload();
}

/*
 * Revocation of a device with an open session: rampartd's notification
 * makes the plugin kick it (its latency is measured in bench/, not here).
 */
static void test_revocation_cuts_open_session(void **state)
{
	struct rpt_proc sub;
	char log[760];
	struct rp_broker_device r[NBASE];
	int n;

	(void)state;
	snprintf(log, sizeof log, "%s/snk.log", dir);
	char *s[] = {"mosquitto_sub",
	             "-h",
	             "127.0.0.1",
	             "-p",
	             port_s,
	             "--cafile",
	             (char *)cpath("../pki/root", "pem"),
	             "--cert",
	             (char *)cpath("SNK", "pem"),
	             "--key",
	             (char *)cpath("SNK", "key"),
	             "-i",
	             "SNK",
	             "-V",
	             "mqttv5",
	             "-t",
	             "rampart/v1/d/SNK/cmd",
	             NULL};
	n = count_in(blog, "as SNK");
	assert_int_equal(rpt_start(&sub, s, log, NULL), 0);
	assert_true(wait_count(blog, "as SNK", n + 1, RPT_DEADLINE_MS));

	memcpy(r, base_fleet, sizeof r);
	r[5].state = RP_BROKER_REVOKED; /* SNK */
	write_snapshot(r, NBASE, NULL, 0);
	assert_int_equal(mqtt("mosquitto_pub", "rampartd", "rampartd", NULL,
	                      "-t", RP_BROKER_TOPIC_RELOAD, "-n", NULL),
	                 0);
	assert_true(wait_count(wlog,
	                       "\"reason\":\"revoked\",\"action\":\"kick\","
	                       "\"id\":\"SNK\"",
	                       1, RPT_DEADLINE_MS));
	/* The client sees the disconnection; a new connection is refused. */
	assert_true(rpt_wait_exit(&sub, RPT_DEADLINE_MS));
	connect_refused("SNK", "SNK", "revoked", "SNK");
	write_snapshot(base_fleet, NBASE, NULL, 0);
	notify_reload();
}

/* A certificate revoked by serial (rampartd's revoke of one cert). */
static void test_serial_revocation_cuts_open_session(void **state)
{
	struct rpt_proc sub;
	char log[760], *ser = slurp_serial("SN1");
	const char *rev[] = {ser};
	int n;

	(void)state;
	snprintf(log, sizeof log, "%s/sn1.log", dir);
	char *s[] = {"mosquitto_sub",
	             "-h",
	             "127.0.0.1",
	             "-p",
	             port_s,
	             "--cafile",
	             (char *)cpath("../pki/root", "pem"),
	             "--cert",
	             (char *)cpath("SN1", "pem"),
	             "--key",
	             (char *)cpath("SN1", "key"),
	             "-i",
	             "SN1",
	             "-t",
	             "rampart/v1/d/SN1/shadow/desired",
	             NULL};
	n = count_in(blog, "as SN1 ");
	assert_int_equal(rpt_start(&sub, s, log, NULL), 0);
	assert_true(wait_count(blog, "as SN1 ", n + 1, RPT_DEADLINE_MS));
	write_snapshot(base_fleet, NBASE, rev, 1);
	assert_int_equal(mqtt("mosquitto_pub", "rampartd", "rampartd", NULL,
	                      "-t", RP_BROKER_TOPIC_RELOAD, "-n", NULL),
	                 0);
	assert_true(wait_count(wlog,
	                       "\"reason\":\"cert_revoked\",\"action\":"
	                       "\"kick\",\"id\":\"SN1\"",
	                       1, RPT_DEADLINE_MS));
	assert_true(rpt_wait_exit(&sub, RPT_DEADLINE_MS));
	free(ser);
	write_snapshot(base_fleet, NBASE, NULL, 0);
	notify_reload();
}

/* A device cannot trigger a reload, nor read the service topics. */
static void test_service_topics_are_the_service_s(void **state)
{
	int n = count_in(wlog, "\"event\":\"reloaded\"");

	(void)state;
	publish_denied("SN1", RP_BROKER_TOPIC_RELOAD, "sn1-reload");
	subscribe_denied("SN1", RP_BROKER_TOPIC_REFUSALS);
	assert_int_equal(count_in(wlog, "\"event\":\"reloaded\""), n);
}

/* The running mosquitto_sub process with the monitor certificate. */
static void monitor_start(struct rpt_proc *p, const char *log)
{
	char *m[] = {"mosquitto_sub",
	             "-h",
	             "127.0.0.1",
	             "-p",
	             port_s,
	             "--cafile",
	             (char *)cpath("../pki/root", "pem"),
	             "--cert",
	             (char *)cpath("rampart-monitor", "pem"),
	             "--key",
	             (char *)cpath("rampart-monitor", "key"),
	             "-i",
	             "rampart-monitor",
	             "-v",
	             "-t",
	             "rampart/v1/d/+/telemetry",
	             "-t",
	             RP_BROKER_TOPIC_REFUSALS,
	             NULL};

	assert_int_equal(rpt_start(p, m, log, NULL), 0);
}

/* Publish as rampartd to topic until it shows up in log (a live path). */
static void service_until_seen(const char *topic, const char *msg,
                               const char *log)
{
	long long end = rpt_now_ms() + RPT_DEADLINE_MS;
	bool got = false;

	while (!got && rpt_now_ms() < end) {
		assert_int_equal(mqtt("mosquitto_pub", "rampartd", "rampartd",
		                      NULL, "-t", topic, "-m", msg, NULL),
		                 0);
		got = rpt_wait_file_contains(log, msg, 500);
	}
	assert_true(got);
}

/*
 * The monitor role: an operator watches the fleet with its own
 * certificate (not rampartd's): it receives telemetry and refusals, its
 * session survives reloads, and it can publish nothing, subscribe to
 * nothing wider than what it is given.
 */
static void test_monitor_reads_only(void **state)
{
	struct rpt_proc mon, dsub;
	char mlog[760], dlog[760];
	long long end = rpt_now_ms() + RPT_DEADLINE_MS;
	bool got = false;
	int reloads, kicks;

	(void)state;
	snprintf(mlog, sizeof mlog, "%s/monitor.log", dir);
	snprintf(dlog, sizeof dlog, "%s/sn2-mon.log", dir);
	monitor_start(&mon, mlog);
	/* It receives a device's telemetry through "+". */
	while (!got && rpt_now_ms() < end) {
		assert_int_equal(mqtt("mosquitto_pub", "SN1", "SN1", NULL, "-t",
		                      "rampart/v1/d/SN1/telemetry", "-m",
		                      "mon-sees-sn1", NULL),
		                 0);
		got = rpt_wait_file_contains(
		    mlog, "rampart/v1/d/SN1/telemetry mon-sees-sn1", 500);
	}
	assert_true(got);
	/* A reload does not cut it (it is listed, not revoked). */
	kicks = count_in(wlog, "\"id\":\"rampart-monitor\"");
	write_snapshot(base_fleet, NBASE, NULL, 0);
	notify_reload();
	assert_int_equal(mqtt("mosquitto_pub", "SN2", "SN2", NULL, "-t",
	                      "rampart/v1/d/SN2/telemetry", "-m",
	                      "mon-after-reload", NULL),
	                 0);
	assert_true(
	    rpt_wait_file_contains(mlog, "mon-after-reload", RPT_DEADLINE_MS));
	assert_int_equal(count_in(wlog, "\"id\":\"rampart-monitor\""), kicks);
	/* It receives the refusals too. */
	publish_denied("SN1", "rampart/v1/d/SN2/events", "sn1-ev-seen-by-mon");
	assert_true(rpt_wait_file_contains(
	    mlog,
	    "\"id\":\"SN1\",\"address\":\"127.0.0.1\",\"topic\":"
	    "\"rampart/v1/d/SN2/events\"",
	    RPT_DEADLINE_MS));
	/* From here on, each connection with its client id takes over the
	 * monitor's session (MQTT): stop it first. */
	rpt_stop(&mon, 2000);

	/* SN2 listens to its commands and desired shadow: the path works. */
	char *d[] = {"mosquitto_sub",
	             "-h",
	             "127.0.0.1",
	             "-p",
	             port_s,
	             "--cafile",
	             (char *)cpath("../pki/root", "pem"),
	             "--cert",
	             (char *)cpath("SN2", "pem"),
	             "--key",
	             (char *)cpath("SN2", "key"),
	             "-i",
	             "SN2",
	             "-v",
	             "-t",
	             "rampart/v1/d/SN2/cmd",
	             "-t",
	             "rampart/v1/d/SN2/shadow/desired",
	             NULL};
	assert_int_equal(rpt_start(&dsub, d, dlog, NULL), 0);
	service_until_seen("rampart/v1/d/SN2/cmd", "svc-cmd-before", dlog);
	service_until_seen("rampart/v1/d/SN2/shadow/desired",
	                   "svc-desired-before", dlog);
	/* The monitor publishes nothing: not a command, not a desired
	 * shadow, not a reload. */
	reloads = count_in(wlog, "\"event\":\"reloaded\"");
	publish_denied("rampart-monitor", "rampart/v1/d/SN2/cmd",
	               "mon-cmd-to-sn2");
	publish_denied("rampart-monitor", "rampart/v1/d/SN2/shadow/desired",
	               "mon-desired-to-sn2");
	publish_denied("rampart-monitor", RP_BROKER_TOPIC_RELOAD, "mon-reload");
	publish_denied("rampart-monitor",
	               "rampart/v1/d/rampart-monitor/telemetry",
	               "mon-own-telemetry");
	/* Later service messages arrive at SN2; the monitor's never do. */
	service_until_seen("rampart/v1/d/SN2/cmd", "svc-cmd-after", dlog);
	service_until_seen("rampart/v1/d/SN2/shadow/desired",
	                   "svc-desired-after", dlog);
	assert_int_equal(count_in(dlog, "mon-cmd-to-sn2"), 0);
	assert_int_equal(count_in(dlog, "mon-desired-to-sn2"), 0);
	assert_int_equal(count_in(wlog, "\"event\":\"reloaded\""), reloads);
	/* Nothing wider than it is given. */
	subscribe_denied("rampart-monitor", "#");
	subscribe_denied("rampart-monitor", "$SYS/#");
	subscribe_denied("rampart-monitor", "rampart/v1/d/+/cmd");
	subscribe_denied("rampart-monitor", "rampart/v1/d/+/shadow/desired");
	subscribe_denied("rampart-monitor", "rampart/v1/d/+/#");
	rpt_stop(&dsub, 2000);
}

/*
 * A service session that announces its own reloads, like rampartd's:
 * mosquitto_pub -l as client id rampartd with certificate NAME (one
 * connection, one reload message per line written to *fd). Returns when
 * the broker has admitted it.
 */
static void service_pub_start(struct rpt_proc *pub, const char *name,
                              const char *tag, int *fd)
{
	char fifo[760], log[760], cmd[2400];
	int n;

	snprintf(fifo, sizeof fifo, "%s/%s.fifo", dir, tag);
	snprintf(log, sizeof log, "%s/%s.log", dir, tag);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	snprintf(cmd, sizeof cmd,
	         "exec mosquitto_pub -h 127.0.0.1 -p %s --cafile %s --cert %s "
	         "--key %s -i rampartd -t %s -l <%s",
	         port_s, cpath("../pki/root", "pem"), cpath(name, "pem"),
	         cpath(name, "key"), RP_BROKER_TOPIC_RELOAD, fifo);
	char *argv[] = {"sh", "-c", cmd, NULL};
	n = count_in(blog, "as rampartd ");
	assert_int_equal(rpt_start(pub, argv, log, NULL), 0);
	*fd = open(fifo, O_WRONLY);
	assert_true(*fd >= 0);
	assert_true(wait_count(blog, "as rampartd ", n + 1, RPT_DEADLINE_MS));
}

/* The broker's own reload (SIGHUP) of the snapshot just written. */
static void sighup_reload(void)
{
	char want[64];
	int n = count_in(wlog, "\"trigger\":\"sighup\"");

	snprintf(want, sizeof want, "\"seq\":%llu,", seq);
	kill(broker.pid, SIGHUP);
	assert_true(
	    wait_count(wlog, "\"trigger\":\"sighup\"", n + 1, RPT_DEADLINE_MS));
	assert_true(wait_count(wlog, want, 1, RPT_DEADLINE_MS));
}

/* The refusal events of rampartd's service key, cut and refused again. */
#define SVC_KICK \
	"\"reason\":\"unpinned\",\"action\":\"kick\",\"id\":\"rampartd\""
#define SVC_AGAIN \
	"\"reason\":\"unpinned\",\"action\":\"connect\",\"id\":\"rampartd\""

/*
 * rampartd's session (its key in certs/rampartd.*) writes the snapshot as
 * the test set it (n_svcs, svc_key) and announces it: a snapshot that no
 * longer admits the key cuts that session, not inside its own publish but
 * on the next TICK, and its reconnection is refused.
 */
static void service_cut_by_own_reload(const char *tag)
{
	struct rpt_proc pub;
	int fd, kicks = count_in(wlog, SVC_KICK),
	        agains = count_in(wlog, SVC_AGAIN);

	service_pub_start(&pub, "rampartd", tag, &fd);
	write_snapshot(base_fleet, NBASE, NULL, 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	assert_true(wait_count(wlog, SVC_KICK, kicks + 1, RPT_DEADLINE_MS));
	assert_true(wait_count(wlog, SVC_AGAIN, agains + 1, RPT_DEADLINE_MS));
	close(fd);
	rpt_stop(&pub, 2000);
}

/* rampartd's own identity removed by the reload it sends itself. */
static void test_service_cut_by_its_own_reload(void **state)
{
	(void)state;
	n_svcs = 1;
	service_cut_by_own_reload("svc");
	n_svcs = 2;
	write_snapshot(base_fleet, NBASE, NULL, 0);
	sighup_reload(); /* the service is back */
}

/* ---- issue 9: mis-issued certificates get no role ------------------- */

/* A mosquitto_sub as certificate NAME with client id ID on topic, -v. */
static void sub_start(struct rpt_proc *p, const char *name, const char *id,
                      const char *topic, const char *log)
{
	char *argv[] = {"mosquitto_sub",
	                "-h",
	                "127.0.0.1",
	                "-p",
	                port_s,
	                "--cafile",
	                (char *)cpath("../pki/root", "pem"),
	                "--cert",
	                (char *)cpath(name, "pem"),
	                "--key",
	                (char *)cpath(name, "key"),
	                "-i",
	                (char *)id,
	                "-v",
	                "-t",
	                (char *)topic,
	                NULL};

	assert_int_equal(rpt_start(p, argv, log, NULL), 0);
}

/* Publish as device SN1 to its telemetry until msg shows up in log. */
static void device_until_seen(const char *msg, const char *log)
{
	long long end = rpt_now_ms() + RPT_DEADLINE_MS;
	bool got = false;

	while (!got && rpt_now_ms() < end) {
		assert_int_equal(mqtt("mosquitto_pub", "SN1", "SN1", NULL, "-t",
		                      "rampart/v1/d/SN1/telemetry", "-m", msg,
		                      NULL),
		                 0);
		got = rpt_wait_file_contains(log, msg, 500);
	}
	assert_true(got);
}

/*
 * How often the broker has admitted a client with client id id (n[0]) and
 * closed id's session for a newer connection (n[1], a takeover).
 */
static void admissions(const char *id, int n[2])
{
	char as[96], takeover[128];

	snprintf(as, sizeof as, "as %s ", id);
	snprintf(takeover, sizeof takeover, "Client %s already connected", id);
	n[0] = count_in(blog, as);
	n[1] = count_in(blog, takeover);
}

/*
 * The session of id (whose subscriber writes log and receives SN2's
 * telemetry) survived: a message published now arrives, and the broker
 * admitted no client with that id and took no session over since before.
 */
static void session_kept(const char *id, const char *log, const int before[2],
                         const char *marker)
{
	int after[2];

	assert_int_equal(mqtt("mosquitto_pub", "SN2", "SN2", NULL, "-t",
	                      "rampart/v1/d/SN2/telemetry", "-m", marker, NULL),
	                 0);
	assert_true(rpt_wait_file_contains(log, marker, RPT_DEADLINE_MS));
	admissions(id, after);
	assert_int_equal(after[0], before[0]);
	assert_int_equal(after[1], before[1]);
}

/* An attempt: certificate, the reason it is refused, the event's id. */
struct attempt {
	const char *cert, *reason, *event_id;
};

/* Each attempt, with client id id, is refused at connect. */
static void attempts_refused(const char *id, const struct attempt *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		connect_refused(a[i].cert, id, a[i].reason, a[i].event_id);
}

/*
 * (a) The issue's attack: a device-profile certificate with CN rampartd
 * (what enrolling a device as "rampartd" used to give) while the real
 * service is connected: refused as bad_profile, and the real service's
 * session is neither taken over nor cut (no new "as rampartd" admission,
 * no takeover; it keeps receiving). The same for an old-style certificate
 * (no SAN) and a service profile whose key is not pinned.
 */
static void test_device_profile_rampartd_is_not_the_service(void **state)
{
	static const struct attempt atk[] = {
	    {"atk-dev-rampartd", "bad_profile", "rampartd"},
	    {"atk-old-rampartd", "bad_profile", "rampartd"},
	    {"atk-svc-unpinned", "unpinned", "rampartd"},
	};
	struct rpt_proc svc;
	char slog[760];
	int before[2];

	(void)state;
	snprintf(slog, sizeof slog, "%s/real-svc.log", dir);
	sub_start(&svc, "rampartd", "rampartd", "rampart/v1/d/+/telemetry",
	          slog);
	device_until_seen("real-svc-live", slog);
	admissions("rampartd", before);
	attempts_refused("rampartd", atk, sizeof atk / sizeof atk[0]);
	/* The real service still receives what a device publishes. */
	session_kept("rampartd", slog, before, "real-svc-after-attacks");
	/* Nothing the attempts sent arrived anywhere. */
	assert_int_equal(count_in(slog, "must-not-arrive"), 0);
	assert_int_equal(count_in(wlog, "must-not-arrive"), 0);
	rpt_stop(&svc, 2000);
}

/*
 * (b) With those certificates nothing reaches a device's commands: not
 * under the service's client id, not under the certificate's own CN, not
 * by subscribing to what the service reads; and under the device's own
 * client id the device's session stays.
 */
static void test_mis_issued_cannot_command_devices(void **state)
{
	static const char *const names[] = {"atk-dev-rampartd",
	                                    "atk-old-rampartd",
	                                    "atk-svc-unpinned", "atk-svc-SN1"};
	static const char *const ids[] = {"rampartd", "SN1"};
	static const struct attempt as_sn2[] = {
	    {"atk-dev-rampartd", "bad_profile", "rampartd"},
	    {"atk-svc-SN1", "bad_profile", "SN1"},
	    {"atk-old-SN1", "bad_profile", "SN1"},
	};
	struct rpt_proc dsub;
	char dlog[760], *out = NULL;
	int before[2], after[2];
	size_t i, j;

	(void)state;
	snprintf(dlog, sizeof dlog, "%s/sn2-atk.log", dir);
	sub_start(&dsub, "SN2", "SN2", "rampart/v1/d/SN2/cmd", dlog);
	service_until_seen("rampart/v1/d/SN2/cmd", "svc-cmd-before-atk", dlog);
	admissions("SN2", before);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		for (j = 0; j < sizeof ids / sizeof ids[0]; j++) {
			assert_int_not_equal(mqtt("mosquitto_pub", names[i],
			                          ids[j], &out, "-q", "1", "-t",
			                          "rampart/v1/d/SN2/cmd", "-m",
			                          "atk-cmd-to-sn2", NULL),
			                     0);
			free(out);
			assert_int_not_equal(mqtt("mosquitto_sub", names[i],
			                          ids[j], &out, "-t",
			                          "rampart/v1/d/+/telemetry",
			                          "-C", "1", "-W", "5", NULL),
			                     0);
			/* refused at CONNACK, not merely idle until -W */
			assert_non_null(strstr(out, "not authorised"));
			assert_null(strstr(out, "rampart/v1/d/"));
			free(out);
		}
	}
	attempts_refused("SN2", as_sn2, sizeof as_sn2 / sizeof as_sn2[0]);
	service_until_seen("rampart/v1/d/SN2/cmd", "svc-cmd-after-atk", dlog);
	admissions("SN2", after);
	assert_int_equal(after[0], before[0]);
	assert_int_equal(after[1], before[1]);
	assert_int_equal(count_in(dlog, "atk-cmd-to-sn2"), 0);
	rpt_stop(&dsub, 2000);
}

/*
 * (c) A device-profile certificate with CN rampart-monitor, while the
 * real monitor watches: refused, reads nothing, the monitor keeps its
 * session. (d) A service profile for an unreserved id, an old-style
 * device certificate: bad_profile; a service key not yet pinned: unpinned.
 */
static void test_device_profile_monitor_reads_nothing(void **state)
{
	static const struct attempt atk[] = {
	    {"atk-dev-monitor", "bad_profile", "rampart-monitor"},
	};
	struct rpt_proc mon;
	char mlog[760], *out = NULL;
	int before[2];

	(void)state;
	snprintf(mlog, sizeof mlog, "%s/real-mon.log", dir);
	monitor_start(&mon, mlog);
	device_until_seen("real-mon-live", mlog);
	admissions("rampart-monitor", before);
	attempts_refused("rampart-monitor", atk, 1);
	/* Under another client id it reads nothing either. */
	assert_int_not_equal(mqtt("mosquitto_sub", "atk-dev-monitor", "SN9",
	                          &out, "-t", "rampart/v1/d/+/telemetry", "-C",
	                          "1", "-W", "5", NULL),
	                     0);
	assert_non_null(strstr(out, "not authorised"));
	assert_null(strstr(out, "rampart/v1/d/"));
	free(out);
	session_kept("rampart-monitor", mlog, before, "real-mon-after-attacks");
	rpt_stop(&mon, 2000);
	connect_refused("atk-svc-SN1", "SN1", "bad_profile", "SN1");
	connect_refused("atk-old-SN1", "SN1", "bad_profile", "SN1");
	/* A renewal's key is nothing until the snapshot pins it. */
	connect_refused("rampartd-new", "rampartd", "unpinned", "rampartd");
}

/*
 * (e) rampartd renews its key: the snapshot it writes pins the new key and
 * it announces the reload from its old session, which is cut (unpinned,
 * from TICK); the new key connects with the service's rights, the old one
 * is refused. Back to the old key by the broker's own reload: the new
 * key's open session is cut at once.
 */
static void test_pin_change_cuts_old_key(void **state)
{
	struct rpt_proc svc;
	char slog[760];
	int kicks;

	(void)state;
	svc_key = "rampartd-new";
	service_cut_by_own_reload("renew");
	connect_refused("rampartd", "rampartd", "unpinned", "rampartd");
	/* The new key has the service's rights: reload, read telemetry. */
	write_snapshot(base_fleet, NBASE, NULL, 0);
	notify_reload_as("rampartd-new");
	snprintf(slog, sizeof slog, "%s/new-svc.log", dir);
	sub_start(&svc, "rampartd-new", "rampartd", "rampart/v1/d/+/telemetry",
	          slog);
	device_until_seen("new-svc-live", slog);
	/* Back to the old key: the open session of the new one is cut. */
	kicks = count_in(wlog, SVC_KICK);
	svc_key = "rampartd";
	write_snapshot(base_fleet, NBASE, NULL, 0);
	sighup_reload();
	assert_true(wait_count(wlog, SVC_KICK, kicks + 1, RPT_DEADLINE_MS));
	assert_true(rpt_wait_exit(&svc, RPT_DEADLINE_MS));
	/* (f) The real service works as before. */
	notify_reload();
}

/*
 * The username the ACL check sees before BASIC_AUTH is the client's own:
 * a refused client that sends the username rampartd and a will for
 * another device's cmd topic must deliver nothing (Mosquitto publishes no
 * will of a refused client, and the plugin grants rights only to a
 * session it admitted). MQTT 3.1.1 and 5; a service command afterwards is
 * the ordering marker.
 */
static void test_refused_client_will_not_published(void **state)
{
	static const char *const versions[] = {"mqttv311", "mqttv5"};
	struct rpt_proc dsub;
	char dlog[760], *out = NULL;
	size_t i;

	(void)state;
	snprintf(dlog, sizeof dlog, "%s/will-victim.log", dir);
	sub_start(&dsub, "SN2", "SN2", "rampart/v1/d/SN2/cmd", dlog);
	service_until_seen("rampart/v1/d/SN2/cmd", "svc-cmd-before-will", dlog);
	for (i = 0; i < sizeof versions / sizeof versions[0]; i++) {
		assert_int_not_equal(
		    mqtt("mosquitto_pub", "SN1", "not-SN1", &out, "-V",
		         versions[i], "-u", "rampartd", "-t",
		         "rampart/v1/d/SN1/telemetry", "-m", "x",
		         "--will-topic", "rampart/v1/d/SN2/cmd",
		         "--will-payload", "forged-will", "--will-qos", "1",
		         NULL),
		    0);
		free(out);
		out = NULL;
	}
	service_until_seen("rampart/v1/d/SN2/cmd", "svc-cmd-after-will", dlog);
	assert_int_equal(count_in(dlog, "forged-will"), 0);
	rpt_stop(&dsub, 2000);
}

/*
 * rampartd wrote its new key's pin but could not announce it (the
 * announcement goes over the session the new key is to open) and the
 * broker's file poll is off (as here): the new key's first connection
 * makes the plugin load the replaced file once, and it is admitted.
 * Back to the old key afterwards: the new key's session is cut.
 */
static void test_new_pin_loaded_on_its_first_connect(void **state)
{
	struct rpt_proc svc;
	char slog[760];
	int n = count_in(wlog, "\"trigger\":\"unpinned\"");

	(void)state;
	svc_key = "rampartd-new";
	write_snapshot(base_fleet, NBASE, NULL, 0); /* not announced */
	snprintf(slog, sizeof slog, "%s/unannounced-svc.log", dir);
	sub_start(&svc, "rampartd-new", "rampartd", "rampart/v1/d/+/telemetry",
	          slog);
	device_until_seen("unannounced-pin-live", slog);
	assert_true(wait_count(wlog, "\"trigger\":\"unpinned\"", n + 1,
	                       RPT_DEADLINE_MS));
	svc_key = "rampartd";
	write_snapshot(base_fleet, NBASE, NULL, 0);
	sighup_reload();
	assert_true(rpt_wait_exit(&svc, RPT_DEADLINE_MS));
	notify_reload();
}

/*
 * A listener on which BASIC_AUTH never runs (use_identity_as_username
 * true: the docs forbid it, nothing else stops an operator): Mosquitto
 * takes the username from the certificate's CN, so a device-profile
 * certificate with CN rampartd arrives named "rampartd". It must get no
 * right at all, because rights come only from a session the plugin
 * admitted (issue 9's class through the back door). A second broker: the
 * shipped listener plus such a one, the same snapshot.
 */
static void test_unadmitted_listener_gets_nothing(void **state)
{
	char c3[760], l3[760], o3[760], d3[760], p2s[16], p3s[16], save[16];
	char *text, *out = NULL, tls[3][800] = {{0}};
	struct rpt_proc b3, dsub;
	long long end;
	bool got = false, denied;
	FILE *f;
	int p2 = rpt_free_port(), p3 = rpt_free_port(), rc, pub;

	(void)state;
	while (p3 == p2)
		p3 = rpt_free_port();
	snprintf(c3, sizeof c3, "%s/l2.conf", dir);
	snprintf(l3, sizeof l3, "%s/l2.log", dir);
	snprintf(o3, sizeof o3, "%s/l2.out", dir);
	snprintf(d3, sizeof d3, "%s/l2-victim.log", dir);
	snprintf(p2s, sizeof p2s, "%d", p2);
	snprintf(p3s, sizeof p3s, "%d", p3);
	text = rpt_read_file(conf, NULL);
	assert_non_null(text);
	f = fopen(c3, "w");
	assert_non_null(f);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "cafile ", 7) == 0)
			snprintf(tls[0], sizeof tls[0], "%s", line);
		else if (strncmp(line, "certfile ", 9) == 0)
			snprintf(tls[1], sizeof tls[1], "%s", line);
		else if (strncmp(line, "keyfile ", 8) == 0)
			snprintf(tls[2], sizeof tls[2], "%s", line);
		if (strncmp(line, "listener ", 9) == 0) {
			fprintf(f, "listener %d 127.0.0.1\n", p2);
		} else if (strncmp(line, "log_dest ", 9) == 0) {
			fprintf(f, "log_dest file %s\n", l3);
		} else if (strncmp(line, "plugin ", 7) == 0) {
			/* the misconfigured listener, before the plugin */
			fprintf(f,
			        "listener %d 127.0.0.1\n%s\n%s\n%s\n"
			        "require_certificate true\n"
			        "use_identity_as_username true\n",
			        p3, tls[0], tls[1], tls[2]);
			fprintf(f, "%s\n", line);
		} else {
			fprintf(f, "%s\n", line);
		}
	}
	fclose(f);
	free(text);
	assert_true(tls[0][0] && tls[1][0] && tls[2][0]);
	char *mq[] = {"mosquitto", "-c", c3, NULL};
	assert_int_equal(rpt_start(&b3, mq, o3, env), 0);
	assert_true(rpt_wait_port(&b3, p2, RPT_DEADLINE_MS));
	assert_true(rpt_wait_port(&b3, p3, RPT_DEADLINE_MS));
	/* mqtt() talks to port_s: point it at this broker for a while. */
	snprintf(save, sizeof save, "%s", port_s);
	snprintf(port_s, sizeof port_s, "%s", p2s);
	char *v[] = {"mosquitto_sub",
	             "-h",
	             "127.0.0.1",
	             "-p",
	             p2s,
	             "--cafile",
	             (char *)cpath("../pki/root", "pem"),
	             "--cert",
	             (char *)cpath("SN2", "pem"),
	             "--key",
	             (char *)cpath("SN2", "key"),
	             "-i",
	             "SN2",
	             "-v",
	             "-t",
	             "rampart/v1/d/SN2/cmd",
	             NULL};
	assert_int_equal(rpt_start(&dsub, v, d3, NULL), 0);
	end = rpt_now_ms() + RPT_DEADLINE_MS;
	while (!got && rpt_now_ms() < end) {
		assert_int_equal(mqtt("mosquitto_pub", "rampartd", "rampartd",
		                      NULL, "-t", "rampart/v1/d/SN2/cmd", "-m",
		                      "l2-before", NULL),
		                 0);
		got = rpt_wait_file_contains(d3, "l2-before", 500);
	}
	assert_true(got);
	/* On the other listener, as the issue's attack certificate. */
	snprintf(port_s, sizeof port_s, "%s", p3s);
	(void)mqtt("mosquitto_pub", "atk-dev-rampartd", "rampartd", &out, "-V",
	           "mqttv5", "-q", "1", "-t", "rampart/v1/d/SN2/cmd", "-m",
	           "l2-forged", NULL);
	free(out);
	out = NULL;
	rc = mqtt("mosquitto_sub", "atk-dev-rampartd", "atk-l2", &out, "-V",
	          "mqttv5", "-t", "rampart/v1/d/+/telemetry", "-C", "1", "-W",
	          "5", NULL);
	denied = out != NULL &&
	         strstr(out, "All subscription requests were denied") &&
	         !strstr(out, "rampart/v1/d/");
	/* The ordering marker: the real service's command arrives alone. */
	snprintf(port_s, sizeof port_s, "%s", p2s);
	pub = mqtt("mosquitto_pub", "rampartd", "rampartd", NULL, "-t",
	           "rampart/v1/d/SN2/cmd", "-m", "l2-after", NULL);
	got =
	    pub == 0 && rpt_wait_file_contains(d3, "l2-after", RPT_DEADLINE_MS);
	snprintf(port_s, sizeof port_s, "%s", save);
	rpt_stop(&dsub, 2000);
	rpt_stop(&b3, 5000);
	if (!denied)
		fail_msg("subscription not denied (exit %d): %s", rc,
		         out ? out : "");
	free(out);
	assert_true(got);
	assert_int_equal(count_in(d3, "l2-forged"), 0);
}

/* The format-1 file of the last release (services bound by name only). */
#define FORMAT1                                                \
	"rampart-broker-snapshot 1\nseq 1\nservice rampartd\n" \
	"monitor rampart-monitor\ndevice SN1 active\nend 3\n"

/*
 * A broker as shipped but with the snapshot text given: it must not start
 * (fail closed), and its log must say why (needle).
 */
static void broker_refuses_to_start(const char *tag, const char *snapshot,
                                    const char *needle)
{
	char c2[760], s2[760], l2[760], *text, *out = NULL;
	struct rpt_proc b2;
	FILE *f;
	int p2 = rpt_free_port();

	snprintf(c2, sizeof c2, "%s/%s.conf", dir, tag);
	snprintf(s2, sizeof s2, "%s/%s.snapshot", dir, tag);
	snprintf(l2, sizeof l2, "%s/%s.out", dir, tag);
	assert_int_equal(rpt_write_file(s2, snapshot, strlen(snapshot), 0644),
	                 0);
	text = rpt_read_file(conf, NULL);
	assert_non_null(text);
	f = fopen(c2, "w");
	assert_non_null(f);
	/* Same configuration, other port, stdout log, that snapshot. */
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "listener ", 9) == 0)
			fprintf(f, "listener %d 127.0.0.1\n", p2);
		else if (strncmp(line, "plugin_opt_snapshot ", 20) == 0)
			fprintf(f, "plugin_opt_snapshot %s\n", s2);
		else if (strncmp(line, "log_dest ", 9) == 0)
			fprintf(f, "log_dest file %s\n", l2);
		else
			fprintf(f, "%s\n", line);
	}
	fclose(f);
	free(text);
	char *mq[] = {"mosquitto", "-c", c2, NULL};
	/* Mosquitto's own exit path after a failed plugin leaks: not ours. */
	char *env2[] = {env[0], env[0] ? "ASAN_OPTIONS=detect_leaks=0" : NULL,
	                NULL};
	assert_int_equal(rpt_start(&b2, mq, l2, env2), 0);
	assert_true(rpt_wait_exit(&b2, RPT_DEADLINE_MS));
	assert_false(WIFEXITED(b2.status) && WEXITSTATUS(b2.status) == 0);
	out = rpt_read_file(l2, NULL);
	assert_non_null(out);
	assert_non_null(strstr(out, "rampart: cannot load snapshot"));
	if (strstr(out, needle) == NULL)
		fprintf(stderr, "'%s' not in:\n%s\n", needle, out);
	assert_non_null(strstr(out, needle));
	free(out);
	assert_false(rpt_port_open(p2));
}

/* A broken snapshot at start: the broker does not start (fails closed). */
static void test_broken_snapshot_fails_closed(void **state)
{
	char want[128];

	(void)state;
	broker_refuses_to_start("broken",
	                        "rampart-broker-snapshot 2\nseq 1\n"
	                        "device SN1 active\n",
	                        rp_strerror(RP_E_TRUNCATED));
	/* Format 1 is refused whole, with what to do about it. */
	snprintf(want, sizeof want, "%s (line 1; not format 2",
	         rp_strerror(RP_E_UNSUPPORTED));
	broker_refuses_to_start("format1", FORMAT1, want);
}

/*
 * A format-1 snapshot at a reload: refused (reload_failed), the snapshot
 * already loaded stays in force (SN2, which the file does not list, still
 * connects; the service too).
 */
static void test_format1_reload_keeps_snapshot(void **state)
{
	char want[64];
	char why[96];
	int fails = count_in(wlog, "\"event\":\"reload_failed\""), logged;

	(void)state;
	snprintf(why, sizeof why, "not reloaded (%s, line 1; not format 2",
	         rp_strerror(RP_E_UNSUPPORTED));
	logged = count_in(blog, why);
	assert_int_equal(rpt_write_file(snap, FORMAT1, strlen(FORMAT1), 0640),
	                 0);
	assert_int_equal(mqtt("mosquitto_pub", "rampartd", "rampartd", NULL,
	                      "-t", RP_BROKER_TOPIC_RELOAD, "-n", NULL),
	                 0);
	assert_true(wait_count(wlog, "\"event\":\"reload_failed\"", fails + 1,
	                       RPT_DEADLINE_MS));
	assert_true(wait_count(blog, why, logged + 1, RPT_DEADLINE_MS));
	/* The failed event names the seq in force: the last one written. */
	snprintf(want, sizeof want,
	         "\"event\":\"reload_failed\",\"trigger\":"
	         "\"notify\",\"seq\":%llu,",
	         seq);
	assert_true(wait_count(wlog, want, 1, RPT_DEADLINE_MS));
	assert_int_equal(mqtt("mosquitto_pub", "SN2", "SN2", NULL, "-t",
	                      "rampart/v1/d/SN2/telemetry", "-m",
	                      "sn2-after-format1", NULL),
	                 0);
	assert_true(
	    rpt_wait_file_contains(wlog, "sn2-after-format1", RPT_DEADLINE_MS));
	write_snapshot(base_fleet, NBASE, NULL, 0);
	notify_reload();
}

/*
 * A second broker, as shipped but with a tight refusal budget: a refusal
 * storm is counted, not amplified (at most the burst is published, then
 * one "suppressed" summary); a snapshot change nobody announced is picked
 * up by the file poll; SIGHUP reloads too.
 */
static void test_storm_poll_and_sighup(void **state)
{
	char c2[760], l2[760], o2[760], w2[760], p2s[16], *text;
	struct rpt_proc b2, w;
	struct rp_broker_device r[NBASE];
	long long end;
	FILE *f;
	int p2 = rpt_free_port(), i;

	(void)state;
	snprintf(c2, sizeof c2, "%s/storm.conf", dir);
	snprintf(l2, sizeof l2, "%s/storm.log", dir);
	snprintf(o2, sizeof o2, "%s/storm.out", dir);
	snprintf(w2, sizeof w2, "%s/storm-watch.log", dir);
	snprintf(p2s, sizeof p2s, "%d", p2);
	text = rpt_read_file(conf, NULL);
	assert_non_null(text);
	f = fopen(c2, "w");
	assert_non_null(f);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "listener ", 9) == 0)
			fprintf(f, "listener %d 127.0.0.1\n", p2);
		else if (strncmp(line, "log_dest ", 9) == 0)
			fprintf(f, "log_dest file %s\n", l2);
		else if (strncmp(line, "plugin_opt_refusal_", 19) == 0 ||
		         strncmp(line, "plugin_opt_poll_ms", 18) == 0)
			continue;
		else
			fprintf(f, "%s\n", line);
	}
	fprintf(f, "plugin_opt_refusal_rate 1\nplugin_opt_refusal_burst 3\n");
	fclose(f);
	free(text);
	write_snapshot(base_fleet, NBASE, NULL, 0);
	char *mq[] = {"mosquitto", "-c", c2, NULL};
	assert_int_equal(rpt_start(&b2, mq, o2, env), 0);
	assert_true(rpt_wait_port(&b2, p2, RPT_DEADLINE_MS));
	char *ws[] = {"mosquitto_sub",
	              "-h",
	              "127.0.0.1",
	              "-p",
	              p2s,
	              "--cafile",
	              (char *)cpath("../pki/root", "pem"),
	              "--cert",
	              (char *)cpath("rampartd-watch", "pem"),
	              "--key",
	              (char *)cpath("rampartd-watch", "key"),
	              "-i",
	              "rampartd-watch",
	              "-t",
	              RP_BROKER_TOPIC_REFUSALS,
	              "-t",
	              RP_BROKER_TOPIC_STATUS,
	              NULL};
	assert_int_equal(rpt_start(&w, ws, w2, NULL), 0);
	assert_true(
	    rpt_wait_file_contains(l2, "as rampartd-watch", RPT_DEADLINE_MS));
	/* The subscription is live once a SIGHUP's status arrives. */
	end = rpt_now_ms() + RPT_DEADLINE_MS;
	do {
		kill(b2.pid, SIGHUP);
	} while (!rpt_wait_file_contains(w2, "\"trigger\":\"sighup\"", 500) &&
	         rpt_now_ms() < end);
	assert_true(count_in(w2, "\"trigger\":\"sighup\"") > 0);

	/* A storm of 12 unknown devices: 3 published, the rest counted. */
	for (i = 0; i < 12; i++) {
		char *out = NULL;
		char *argv[] = {"mosquitto_pub",
		                "-h",
		                "127.0.0.1",
		                "-p",
		                p2s,
		                "--cafile",
		                (char *)cpath("../pki/root", "pem"),
		                "--cert",
		                (char *)cpath("SNU", "pem"),
		                "--key",
		                (char *)cpath("SNU", "key"),
		                "-i",
		                "SNU",
		                "-t",
		                "x",
		                "-m",
		                "x",
		                NULL};
		assert_int_not_equal(
		    rpt_run(argv, NULL, 0, &out, RPT_DEADLINE_MS), 0);
		free(out);
	}
	assert_true(
	    wait_count(l2, "\"reason\":\"unknown\"", 3, RPT_DEADLINE_MS));
	/* Tokens return at 1/s: the summary of what was held back comes. */
	assert_true(
	    wait_count(w2, "\"reason\":\"suppressed\"", 1, RPT_DEADLINE_MS));
	assert_true(count_in(w2, "\"reason\":\"unknown\"") < 12);

	/* Poll: revoke SN2 without notifying; its session is cut anyway. */
	struct rpt_proc sub;
	char log[760];
	snprintf(log, sizeof log, "%s/sn2-poll.log", dir);
	char *s2[] = {"mosquitto_sub",
	              "-h",
	              "127.0.0.1",
	              "-p",
	              p2s,
	              "--cafile",
	              (char *)cpath("../pki/root", "pem"),
	              "--cert",
	              (char *)cpath("SN2", "pem"),
	              "--key",
	              (char *)cpath("SN2", "key"),
	              "-i",
	              "SN2",
	              "-t",
	              "rampart/v1/d/SN2/cmd",
	              NULL};
	assert_int_equal(rpt_start(&sub, s2, log, NULL), 0);
	assert_true(rpt_wait_file_contains(l2, "as SN2", RPT_DEADLINE_MS));
	memcpy(r, base_fleet, sizeof r);
	r[1].state = RP_BROKER_DECOMMISSIONED;
	write_snapshot(r, NBASE, NULL, 0);
	assert_true(
	    rpt_wait_file_contains(l2, "loaded (poll)", RPT_DEADLINE_MS));
	assert_true(rpt_wait_exit(&sub, RPT_DEADLINE_MS));
	rpt_stop(&w, 2000);
	rpt_stop(&b2, 5000);
	assert_true(WIFEXITED(b2.status) && WEXITSTATUS(b2.status) == 0);
	write_snapshot(base_fleet, NBASE, NULL, 0);
	notify_reload();
}

/* The broker-config command refuses what would make a bad config. */
static void test_broker_config_refuses_bad_input(void **state)
{
	char rampart[700], out_conf[760];

	(void)state;
	snprintf(rampart, sizeof rampart, "%s/rampart", rpt_bin_dir());
	snprintf(out_conf, sizeof out_conf, "%s/x.conf", dir);
	char *bad_bind[] = {
	    rampart, "broker-config", "--data-dir", dir,
	    "--out", out_conf,        "--bind",     "0.0.0.0\nlistener 1883",
	    NULL};
	char *bad_port[] = {rampart, "broker-config", "--data-dir", dir,
	                    "--out", out_conf,        "--port",     "0",
	                    NULL};
	char *rel[] = {rampart,      "broker-config",  "--data-dir",
	               dir,          "--out",          out_conf,
	               "--snapshot", "fleet.snapshot", NULL};
	char *inj[] = {
	    rampart,  "broker-config", "--data-dir",        dir, "--out",
	    out_conf, "--log",         "/x\nlistener 1883", NULL};
	assert_int_equal(rpt_run(bad_bind, NULL, 0, NULL, RPT_DEADLINE_MS), 2);
	assert_int_equal(rpt_run(bad_port, NULL, 0, NULL, RPT_DEADLINE_MS), 2);
	assert_int_equal(rpt_run(rel, NULL, 0, NULL, RPT_DEADLINE_MS), 2);
	assert_int_equal(rpt_run(inj, NULL, 0, NULL, RPT_DEADLINE_MS), 2);
	assert_int_not_equal(access(out_conf, F_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_device_own_topics),
	    cmocka_unit_test(test_device_cannot_reach_others),
	    cmocka_unit_test(test_refused_at_connect),
	    cmocka_unit_test(test_revoked_serial_and_no_crl),
	    cmocka_unit_test(test_quarantine),
	    cmocka_unit_test(test_revocation_cuts_open_session),
	    cmocka_unit_test(test_serial_revocation_cuts_open_session),
	    cmocka_unit_test(test_service_topics_are_the_service_s),
	    cmocka_unit_test(test_monitor_reads_only),
	    cmocka_unit_test(test_service_cut_by_its_own_reload),
	    cmocka_unit_test(test_device_profile_rampartd_is_not_the_service),
	    cmocka_unit_test(test_mis_issued_cannot_command_devices),
	    cmocka_unit_test(test_device_profile_monitor_reads_nothing),
	    cmocka_unit_test(test_pin_change_cuts_old_key),
	    cmocka_unit_test(test_refused_client_will_not_published),
	    cmocka_unit_test(test_new_pin_loaded_on_its_first_connect),
	    cmocka_unit_test(test_unadmitted_listener_gets_nothing),
	    cmocka_unit_test(test_broken_snapshot_fails_closed),
	    cmocka_unit_test(test_format1_reload_keeps_snapshot),
	    cmocka_unit_test(test_storm_poll_and_sighup),
	    cmocka_unit_test(test_broker_config_refuses_bad_input),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
