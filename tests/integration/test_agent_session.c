/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_agent_session.c - rp_agent (lib/device/agent.c) against a real Mosquitto
 * 2.0 over mutual TLS (PKI from broker_pki.sh; no plugin, so any client id
 * may connect): many agents on one libevent loop sharing one SSL_CTX
 * connect and send their agent_start event and telemetry; the broker's
 * address is checked against its certificate (a listener on 127.0.0.2,
 * which the certificate does not name, is never connected to: the agent
 * backs off); a ping published to an agent's cmd topic is answered ok on
 * cmd/result; a 1 s keepalive is kept by PINGREQs alone; stop sends a
 * clean DISCONNECT; a queued event over the broker's maximum packet size
 * (a second broker, max_packet_size 300) is dropped and counted without
 * holding back the messages behind it; a retained command is answered
 * rejected; event details are made printable; a broker name (not an
 * address) is refused; everything is freed (ASan's leak check). Prints the
 * heap each connected agent costs (release builds: mallinfo2).
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "cmocka_all.h"
#include "rampart/agent.h"
#include "rampart/mem.h"
#include "rpt.h"

#define NAGENTS 50

static char dir[512], conf[700], mlog[700], cafile[700], sublog[700];
static char port_s[16];
static int port, port2;
static struct rpt_proc broker, sub;
static struct event_base *base;

static const char *cpath(const char *name, const char *ext)
{
	static char buf[8][700];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof buf[i], "%s/certs/%s.%s", dir, name, ext);
	return buf[i];
}

static SSL_CTX *client_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_load_verify_locations(ctx, cafile, NULL), 1);
	assert_int_equal(
	    SSL_CTX_use_certificate_chain_file(ctx, cpath("SN1", "pem")), 1);
	assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, cpath("SN1", "key"),
	                                             SSL_FILETYPE_PEM),
	                 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	return ctx;
}

/* Run the loop in slices until pred(arg) or the deadline. */
static bool run_until(bool (*pred)(void *), void *arg, int deadline_ms)
{
	long long end = rpt_now_ms() + deadline_ms;

	while (!pred(arg)) {
		struct timeval slice = {0, 20000};

		if (rpt_now_ms() > end)
			return false;
		event_base_loopexit(base, &slice);
		event_base_dispatch(base);
	}
	return true;
}

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

struct want {
	const char *needle;
	int n;
};

static bool sub_has(void *arg)
{
	struct want *w = arg;

	return count_in(sublog, w->needle) >= w->n;
}

static int group_setup(void **state)
{
	char script[700], *out = NULL, path[760], *r, *i;
	FILE *f;
	int rc;

	(void)state;
	if (rp_init() != RP_OK)
		return -1;
	rpt_tmpdir(dir, sizeof dir);
	snprintf(script, sizeof script, "%s/tests/integration/broker_pki.sh",
	         rpt_src_dir());
	char *pki[] = {"sh", script, dir, NULL};
	rc = rpt_run(pki, NULL, 0, &out, 120000);
	free(out);
	if (rc != 0)
		return -1;
	snprintf(cafile, sizeof cafile, "%s/ca.pem", dir);
	snprintf(path, sizeof path, "%s/pki/root.pem", dir);
	r = rpt_read_file(path, NULL);
	snprintf(path, sizeof path, "%s/pki/issuing.pem", dir);
	i = rpt_read_file(path, NULL);
	f = fopen(cafile, "w");
	if (r == NULL || i == NULL || f == NULL)
		return -1;
	fprintf(f, "%s%s", r, i);
	fclose(f);
	free(r);
	free(i);

	port = rpt_free_port();
	port2 = rpt_free_port();
	snprintf(port_s, sizeof port_s, "%d", port);
	snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
	snprintf(mlog, sizeof mlog, "%s/mosquitto.log", dir);
	snprintf(sublog, sizeof sublog, "%s/sub.log", dir);
	struct passwd *pw = getpwuid(getuid());
	f = fopen(conf, "w");
	if (f == NULL)
		return -1;
	fprintf(f,
	        "user %s\nper_listener_settings false\n"
	        "allow_anonymous true\npersistence false\n"
	        "log_dest file %s\nlog_type all\nset_tcp_nodelay true\n"
	        "max_connections -1\n",
	        pw ? pw->pw_name : "root", mlog);
	/* The same TLS listener on two loopback addresses; the server
	 * certificate names 127.0.0.1 (and localhost), not 127.0.0.2. */
	fprintf(f,
	        "listener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\n"
	        "require_certificate true\n",
	        port, cafile, cpath("server", "pem"), cpath("server", "key"));
	fprintf(f,
	        "listener %d 127.0.0.2\ncafile %s\ncertfile %s\nkeyfile %s\n"
	        "require_certificate true\n",
	        port2, cafile, cpath("server", "pem"), cpath("server", "key"));
	fclose(f);
	base = event_base_new();
	if (base == NULL)
		return -1;
	char bout[760];
	snprintf(bout, sizeof bout, "%s/broker.out", dir);
	char *mq[] = {"mosquitto", "-c", conf, NULL};
	if (rpt_start(&broker, mq, bout, NULL) != 0 ||
	    !rpt_wait_port(&broker, port, RPT_DEADLINE_MS))
		return -1;
	char *s[] = {"mosquitto_sub",
	             "-h",
	             "127.0.0.1",
	             "-p",
	             port_s,
	             "--cafile",
	             cafile,
	             "--cert",
	             (char *)cpath("rampartd", "pem"),
	             "--key",
	             (char *)cpath("rampartd", "key"),
	             "-i",
	             "rampartd",
	             "-v",
	             "-q",
	             "1",
	             "-t",
	             "rampart/v1/d/+/telemetry",
	             "-t",
	             "rampart/v1/d/+/events",
	             "-t",
	             "rampart/v1/d/+/cmd/result",
	             NULL};
	if (rpt_start(&sub, s, sublog, NULL) != 0 ||
	    !rpt_wait_file_contains(mlog, "as rampartd", RPT_DEADLINE_MS))
		return -1;
	/* Subscribed before the agents start: a probe round trip. */
	do {
		char *p[] = {"mosquitto_pub",
		             "-h",
		             "127.0.0.1",
		             "-p",
		             port_s,
		             "--cafile",
		             cafile,
		             "--cert",
		             (char *)cpath("SN2", "pem"),
		             "--key",
		             (char *)cpath("SN2", "key"),
		             "-t",
		             "rampart/v1/d/SN2/events",
		             "-m",
		             "probe",
		             NULL};
		rc = rpt_run(p, NULL, 0, NULL, RPT_DEADLINE_MS);
	} while (rc == 0 && !rpt_wait_file_contains(sublog, "probe", 500));
	return rc == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	rpt_stop(&sub, 2000);
	rpt_stop(&broker, 5000);
	event_base_free(base);
	return 0;
}

struct agents {
	rp_agent *a[NAGENTS];
	int n;
};

static bool all_connected(void *arg)
{
	struct agents *g = arg;
	struct rp_agent_stats s;

	for (int i = 0; i < g->n; i++) {
		rp_agent_stats_get(g->a[i], &s);
		if (!s.connected)
			return false;
	}
	return true;
}

static bool all_sent(void *arg)
{
	struct agents *g = arg;
	struct rp_agent_stats s;

	for (int i = 0; i < g->n; i++) {
		rp_agent_stats_get(g->a[i], &s);
		if (s.sent < 2) /* agent_start and a telemetry message */
			return false;
	}
	return true;
}

static void test_many_agents_one_loop(void **state)
{
	struct agents g = {.n = NAGENTS};
	struct rp_agent_conf c;
	struct rp_agent_stats s;
	struct mallinfo2 m0, m1;
	SSL_CTX *ctx = client_ctx();
	char id[16];
	int i;

	(void)state;
	memset(&c, 0, sizeof c);
	c.host = "127.0.0.1";
	c.port = port;
	c.tls = ctx;
	c.base = base;
	c.telemetry_ms = 500;
	c.jitter_pct = 20;
	c.backoff_base_ms = 100;
	c.backoff_cap_ms = 1000;
	m0 = mallinfo2();
	for (i = 0; i < NAGENTS; i++) {
		snprintf(id, sizeof id, "AG-%03d", i);
		c.id = id;
		assert_int_equal(rp_agent_new(&c, &g.a[i]), RP_OK);
		assert_int_equal(rp_agent_start(g.a[i]), RP_OK);
	}
	SSL_CTX_free(ctx); /* each agent holds a reference */
	assert_true(run_until(all_connected, &g, RPT_DEADLINE_MS));
	m1 = mallinfo2();
	fprintf(stderr, "# %d connected agents: %zu bytes of heap each\n",
	        NAGENTS, (m1.uordblks - m0.uordblks) / NAGENTS);
	assert_true(run_until(all_sent, &g, RPT_DEADLINE_MS));
	struct want w = {"\"type\":\"agent_start\"", NAGENTS};
	assert_true(run_until(sub_has, &w, RPT_DEADLINE_MS));
	struct want wt = {"rampart/v1/d/AG-049/telemetry {\"v\":1,", 1};
	assert_true(run_until(sub_has, &wt, RPT_DEADLINE_MS));

	/* A ping to AG-007, published as rampartd would. */
	char *p[] = {"mosquitto_pub",
	             "-h",
	             "127.0.0.1",
	             "-p",
	             port_s,
	             "--cafile",
	             cafile,
	             "--cert",
	             (char *)cpath("rampartd", "pem"),
	             "--key",
	             (char *)cpath("rampartd", "key"),
	             "-i",
	             "rampartd-cmd",
	             "-q",
	             "1",
	             "-t",
	             "rampart/v1/d/AG-007/cmd",
	             "-m",
	             "{\"v\":1,\"id\":\"p-7\",\"type\":\"ping\",\"ts\":1,"
	             "\"arg\":\"\"}",
	             NULL};
	assert_int_equal(rpt_run(p, NULL, 0, NULL, RPT_DEADLINE_MS), 0);
	struct want wr = {"rampart/v1/d/AG-007/cmd/result "
	                  "{\"v\":1,\"id\":\"p-7\",\"status\":\"ok\"",
	                  1};
	assert_true(run_until(sub_has, &wr, RPT_DEADLINE_MS));
	rp_agent_stats_get(g.a[7], &s);
	assert_int_equal(s.commands, 1);
	assert_int_equal(s.commands_rejected, 0);
	assert_int_equal(s.connects, 1);
	assert_int_equal(s.queued, 0);

	/* Stop: a clean DISCONNECT for each. */
	int before = count_in(mlog, " disconnected.");
	for (i = 0; i < NAGENTS; i++)
		rp_agent_stop(g.a[i]);
	for (i = 0; i < NAGENTS; i++) {
		rp_agent_stats_get(g.a[i], &s);
		assert_false(s.connected);
		rp_agent_free(g.a[i]);
	}
	assert_true(rpt_wait_file_contains(mlog, "Client AG-049 disconnected.",
	                                   RPT_DEADLINE_MS));
	assert_true(count_in(mlog, " disconnected.") >= before + NAGENTS);
}

static bool failed_twice(void *arg)
{
	struct rp_agent_stats s;

	rp_agent_stats_get(arg, &s);
	return s.connect_failures >= 2;
}

/* 127.0.0.2 is not in the broker's certificate: no session, backoff. */
static void test_broker_name_checked(void **state)
{
	struct rp_agent_conf c;
	struct rp_agent_stats s;
	SSL_CTX *ctx = client_ctx();
	rp_agent *a = NULL;

	(void)state;
	memset(&c, 0, sizeof c);
	c.id = "AG-NAME";
	c.host = "127.0.0.2";
	c.port = port2;
	c.tls = ctx;
	c.base = base;
	c.backoff_base_ms = 50;
	c.backoff_cap_ms = 100;
	c.queue_max = 2;
	assert_int_equal(rp_agent_new(&c, &a), RP_OK);
	SSL_CTX_free(ctx);
	assert_int_equal(rp_agent_start(a), RP_OK);
	assert_true(run_until(failed_twice, a, RPT_DEADLINE_MS));
	rp_agent_stats_get(a, &s);
	assert_int_equal(s.connects, 0);
	assert_false(s.connected);
	assert_true(s.backoff_ms > 0);
	assert_int_equal(count_in(mlog, "as AG-NAME"), 0);
	/* The handshake reached the broker and the agent refused it. */
	assert_true(count_in(mlog, "alert bad certificate") >= 1);
	/* Events wait in the queue meanwhile (agent_start among them). */
	assert_int_equal(rp_agent_event(a, RP_EVENT_BOOT, RP_SEV_INFO, 1, "ok"),
	                 RP_OK);
	rp_agent_stats_get(a, &s);
	assert_int_equal(s.queued, 2);
	/* A detail with bytes the encoder refuses (a log line, a path) is
	 * made printable, not lost with its event. */
	assert_int_equal(rp_agent_event(a, RP_EVENT_AUTH_FAILURE,
	                                RP_SEV_WARNING, 1,
	                                "user \xc3\xa9\x01\tx"),
	                 RP_OK);
	rp_agent_stats_get(a, &s);
	assert_int_equal(s.queued, 2); /* queue_max 2: the oldest went */
	assert_int_equal(s.dropped_events, 1);
	rp_agent_free(a);
}

static bool pinged_twice(void *arg)
{
	(void)arg;
	return count_in(mlog, "Received PINGREQ from AG-KA") >= 2;
}

/* Keepalive 5 s (libmosquitto's least) and no telemetry: the 1 s
 * loop_misc timer sends PINGREQ and the broker keeps the session (it cuts
 * after 1.5 keepalives); keepalives of 1..4 s are refused up front. */
static void test_keepalive(void **state)
{
	struct rp_agent_conf c;
	struct rp_agent_stats s;
	SSL_CTX *ctx = client_ctx();
	rp_agent *a = NULL;

	(void)state;
	memset(&c, 0, sizeof c);
	c.id = "AG-KA";
	c.host = "127.0.0.1";
	c.port = port;
	c.tls = ctx;
	c.base = base;
	c.keepalive_s = 4;
	c.telemetry_ms = 3600000;
	assert_int_equal(rp_agent_new(&c, &a), RP_E_INVAL);
	c.keepalive_s = 5;
	assert_int_equal(rp_agent_new(&c, &a), RP_OK);
	SSL_CTX_free(ctx);
	assert_int_equal(rp_agent_start(a), RP_OK);
	assert_true(run_until(pinged_twice, NULL, RPT_DEADLINE_MS));
	rp_agent_stats_get(a, &s);
	assert_true(s.connected);
	assert_int_equal(s.connects, 1);
	assert_int_equal(s.connect_failures, 0);
	rp_agent_free(a);
}

static bool flushed(void *arg)
{
	struct rp_agent_stats s;

	rp_agent_stats_get(arg, &s);
	return s.connected && s.queued == 0 && s.sent >= 3;
}

/* A second broker (name: its files in dir) with extra configuration; its
 * port into *p. */
static void start_b2(struct rpt_proc *b, const char *name, const char *extra,
                     int *p)
{
	char c2[760], l2[760], o2[760];
	struct passwd *pw = getpwuid(getuid());
	FILE *f;

	*p = rpt_free_port();
	snprintf(c2, sizeof c2, "%s/%s.conf", dir, name);
	snprintf(l2, sizeof l2, "%s/%s.log", dir, name);
	snprintf(o2, sizeof o2, "%s/%s.out", dir, name);
	f = fopen(c2, "w");
	assert_non_null(f);
	fprintf(f, "user %s\n", pw ? pw->pw_name : "root");
	fprintf(f,
	        "per_listener_settings false\nallow_anonymous true\n"
	        "persistence false\nlog_dest file %s\nlog_type all\n%s"
	        "listener %d 127.0.0.1\ncafile %s\ncertfile %s\n"
	        "keyfile %s\nrequire_certificate true\n",
	        l2, extra, *p, cafile, cpath("server", "pem"),
	        cpath("server", "key"));
	fclose(f);
	char *mq[] = {"mosquitto", "-c", c2, NULL};
	assert_int_equal(rpt_start(b, mq, o2, NULL), 0);
	assert_true(rpt_wait_port(b, *p, RPT_DEADLINE_MS));
}

/*
 * A broker announcing a 300-byte maximum packet (MQTT v5 CONNACK): a
 * queued event too big for it is refused by libmosquitto for good. It is
 * dropped and counted; the messages behind it still go out (they were
 * stuck behind it for the whole session before).
 */
static void test_oversize_dropped(void **state)
{
	char big[RP_DETAIL_MAX + 1];
	struct rpt_proc b2;
	struct rp_agent_conf c;
	struct rp_agent_stats s;
	SSL_CTX *ctx = client_ctx();
	rp_agent *a = NULL;
	int p3;

	(void)state;
	start_b2(&b2, "mosquitto-small", "max_packet_size 300\n", &p3);
	memset(&c, 0, sizeof c);
	c.id = "AG-BIG";
	c.host = "127.0.0.1";
	c.port = p3;
	c.tls = ctx;
	c.base = base;
	c.telemetry_ms = 3600000;
	assert_int_equal(rp_agent_new(&c, &a), RP_OK);
	SSL_CTX_free(ctx);
	memset(big, 'x', RP_DETAIL_MAX);
	big[RP_DETAIL_MAX] = '\0';
	/* Queued before the CONNACK: agent_start, the big one, a small one. */
	assert_int_equal(rp_agent_start(a), RP_OK);
	assert_int_equal(rp_agent_event(a, RP_EVENT_BOOT, RP_SEV_INFO, 1, big),
	                 RP_OK);
	assert_int_equal(
	    rp_agent_event(a, RP_EVENT_BOOT, RP_SEV_INFO, 1, "after"), RP_OK);
	assert_true(run_until(flushed, a, RPT_DEADLINE_MS));
	rp_agent_stats_get(a, &s);
	assert_int_equal(s.dropped_events, 1);
	assert_int_equal(s.dropped_telemetry, 0);
	/* agent_start, "after", and the queue_drop event that reports it. */
	assert_int_equal(s.sent, 3);
	rp_agent_free(a);
	rpt_stop(&b2, 5000);
}

/* Publish msg (NULL: clear) retained on AG-RET's cmd topic, as rampartd. */
static void pub_retained(const char *msg)
{
	char *p[] = {"mosquitto_pub",
	             "-h",
	             "127.0.0.1",
	             "-p",
	             port_s,
	             "--cafile",
	             cafile,
	             "--cert",
	             (char *)cpath("rampartd", "pem"),
	             "--key",
	             (char *)cpath("rampartd", "key"),
	             "-i",
	             "rampartd-ret",
	             "-q",
	             "1",
	             "-r",
	             "-t",
	             "rampart/v1/d/AG-RET/cmd",
	             msg != NULL ? "-m" : "-n",
	             (char *)msg,
	             NULL};

	assert_int_equal(rpt_run(p, NULL, 0, NULL, RPT_DEADLINE_MS), 0);
}

/* A retained command reaches the agent at every subscribe (after every
 * reconnect): it is answered rejected, never acted on. */
static void test_retained_refused(void **state)
{
	struct rp_agent_conf c;
	struct rp_agent_stats s;
	SSL_CTX *ctx = client_ctx();
	rp_agent *a = NULL;

	(void)state;
	pub_retained("{\"v\":1,\"id\":\"r-1\",\"type\":\"ping\",\"ts\":1,"
	             "\"arg\":\"\"}");
	memset(&c, 0, sizeof c);
	c.id = "AG-RET";
	c.host = "127.0.0.1";
	c.port = port;
	c.tls = ctx;
	c.base = base;
	c.telemetry_ms = 3600000;
	assert_int_equal(rp_agent_new(&c, &a), RP_OK);
	SSL_CTX_free(ctx);
	assert_int_equal(rp_agent_start(a), RP_OK);
	struct want w = {"rampart/v1/d/AG-RET/cmd/result "
	                 "{\"v\":1,\"id\":\"r-1\",\"status\":\"rejected\"",
	                 1};
	bool got = run_until(sub_has, &w, RPT_DEADLINE_MS);
	pub_retained(NULL);
	assert_true(got);
	rp_agent_stats_get(a, &s);
	assert_int_equal(s.commands_rejected, 1);
	rp_agent_free(a);
}

static void test_bad_conf(void **state)
{
	struct rp_agent_conf c;
	SSL_CTX *ctx = client_ctx();
	rp_agent *a = (rp_agent *)&c;

	(void)state;
	memset(&c, 0, sizeof c);
	c.host = "127.0.0.1";
	c.port = port;
	c.tls = ctx;
	c.base = base;
	c.id = "bad/id";
	assert_int_equal(rp_agent_new(&c, &a), RP_E_INVAL);
	assert_null(a);
	c.id = "";
	assert_int_equal(rp_agent_new(&c, &a), RP_E_INVAL);
	c.id = "OK";
	c.jitter_pct = 51;
	assert_int_equal(rp_agent_new(&c, &a), RP_E_INVAL);
	c.jitter_pct = 0;
	/* A name: libmosquitto would resolve it blocking the loop. */
	c.host = "localhost";
	assert_int_equal(rp_agent_new(&c, &a), RP_E_INVAL);
	c.host = "127.0.0.1";
	c.tls = NULL;
	assert_int_equal(rp_agent_new(&c, &a), RP_E_INVAL);
	SSL_CTX_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_many_agents_one_loop),
	    cmocka_unit_test(test_broker_name_checked),
	    cmocka_unit_test(test_keepalive),
	    cmocka_unit_test(test_oversize_dropped),
	    cmocka_unit_test(test_retained_refused),
	    cmocka_unit_test(test_bad_conf),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
