/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_mqloop.c - rp_mqloop (lib/port/posix/mqloop.c) against a real
 * Mosquitto 2.0 over mutual TLS (PKI from broker_pki.sh, no plugin): many
 * clients on one libevent loop connect, subscribe and get their own
 * messages back; a killed broker is reported once per client; a connect
 * to a broker that is down fails once; after the broker comes back on the
 * same port the same clients reconnect (new sockets) and work again; a
 * clean DISCONNECT is reported with MOSQ_ERR_SUCCESS; a TLS refusal (a
 * certificate from another CA) is reported once, not spun on; a peer that
 * never answers the handshake is given up after the keepalive.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <mosquitto.h>

#include "cmocka_all.h"
#include "rampart/mem.h"
#include "rampart/mqloop.h"
#include "rpt.h"

#define NCLI 16

struct cli {
	struct mosquitto *m;
	rp_mqloop *l;
	char id[16], topic[64];
	int connacks, msgs, lost, last_rc, subacks;
};

static char dir[512], conf[700], mlog[700], cafile[700];
static int port;
static struct rpt_proc broker;
static struct event_base *base;
static struct cli clis[NCLI];

static const char *cpath(const char *name, const char *ext)
{
	static char buf[8][700];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof buf[i], "%s/certs/%s.%s", dir, name, ext);
	return buf[i];
}

static void start_broker(void)
{
	char *mq[] = {"mosquitto", "-c", conf, NULL};
	char out[760];

	snprintf(out, sizeof out, "%s/broker.out", dir);
	assert_int_equal(rpt_start(&broker, mq, out, NULL), 0);
	if (!rpt_wait_port(&broker, port, RPT_DEADLINE_MS)) {
		char *s = rpt_read_file(out, NULL),
		     *t = rpt_read_file(mlog, NULL);

		fprintf(stderr, "mosquitto:\n%s\n%s\n", s ? s : "", t ? t : "");
		free(s);
		free(t);
		fail();
	}
}

static void kill_broker(void)
{
	kill(-broker.pid, SIGKILL);
	rpt_stop(&broker, 1000);
}

static void on_connect(struct mosquitto *m, void *arg, int rc)
{
	struct cli *c = arg;

	if (rc != 0)
		return;
	c->connacks++;
	assert_int_equal(mosquitto_subscribe(m, NULL, c->topic, 1), 0);
}

static void on_subscribe(struct mosquitto *m, void *arg, int mid, int n,
                         const int *granted)
{
	struct cli *c = arg;

	(void)mid;
	(void)n;
	(void)granted;
	c->subacks++;
	assert_int_equal(
	    mosquitto_publish(m, NULL, c->topic, 5, "hello", 1, false), 0);
}

static void on_message(struct mosquitto *m, void *arg,
                       const struct mosquitto_message *msg)
{
	struct cli *c = arg;

	(void)m;
	if (msg->payloadlen == 5 && memcmp(msg->payload, "hello", 5) == 0)
		c->msgs++;
}

static void on_lost(void *arg, int rc)
{
	struct cli *c = arg;

	c->lost++;
	c->last_rc = rc;
}

/* Run the loop until pred() holds or the deadline passes. */
static bool run_until(bool (*pred)(void), int deadline_ms)
{
	long long end = rpt_now_ms() + deadline_ms;
	struct timeval slice = {0, 50000};

	while (!pred()) {
		if (rpt_now_ms() > end)
			return false;
		event_base_loopexit(base, &slice);
		event_base_dispatch(base);
	}
	return true;
}

static int want_msgs, want_lost;

static bool all_msgs(void)
{
	for (int i = 0; i < NCLI; i++)
		if (clis[i].msgs < want_msgs)
			return false;
	return true;
}

static bool all_lost(void)
{
	for (int i = 0; i < NCLI; i++)
		if (clis[i].lost < want_lost)
			return false;
	return true;
}

/* A full accept queue can refuse a non-blocking connect at once (EAGAIN
 * on loopback): the owner retries, as here, polling with a deadline. */
static void connect_retry(rp_mqloop *l)
{
	long long end = rpt_now_ms() + RPT_DEADLINE_MS;

	while (rp_mqloop_connect(l, "127.0.0.1", port, 30) != RP_OK) {
		assert_true(rpt_now_ms() < end);
		usleep(10000); /* polling interval of a deadline wait */
	}
}

static void cli_init(struct cli *c, const char *id, const char *cert)
{
	memset(c, 0, sizeof *c);
	snprintf(c->id, sizeof c->id, "%s", id);
	snprintf(c->topic, sizeof c->topic, "rampart/v1/d/%s/cmd", id);
	c->m = rp_mqloop_client_new(c->id, true, c);
	assert_non_null(c->m);
	assert_int_equal(mosquitto_tls_set(c->m, cafile, NULL,
	                                   cpath(cert, "pem"),
	                                   cpath(cert, "key"), NULL),
	                 0);
	mosquitto_connect_callback_set(c->m, on_connect);
	mosquitto_subscribe_callback_set(c->m, on_subscribe);
	mosquitto_message_callback_set(c->m, on_message);
	assert_int_equal(rp_mqloop_new(base, c->m, on_lost, c, &c->l), RP_OK);
}

static void cli_free(struct cli *c)
{
	rp_mqloop_free(c->l);
	mosquitto_destroy(c->m);
}

static int group_setup(void **state)
{
	char script[700], *out = NULL;
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
	/* The clients' and the broker's trust: root and issuing CA. */
	snprintf(cafile, sizeof cafile, "%s/ca.pem", dir);
	char *r = NULL, *i = NULL;
	char path[760];
	snprintf(path, sizeof path, "%s/pki/root.pem", dir);
	r = rpt_read_file(path, NULL);
	snprintf(path, sizeof path, "%s/pki/issuing.pem", dir);
	i = rpt_read_file(path, NULL);
	if (r == NULL || i == NULL)
		return -1;
	f = fopen(cafile, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "%s%s", r, i);
	fclose(f);
	free(r);
	free(i);

	port = rpt_free_port();
	snprintf(conf, sizeof conf, "%s/mosquitto.conf", dir);
	snprintf(mlog, sizeof mlog, "%s/mosquitto.log", dir);
	f = fopen(conf, "w");
	if (f == NULL)
		return -1;
	/* Never drop to another user: the files here are ours (0700). */
	struct passwd *pw = getpwuid(getuid());
	fprintf(f,
	        "user %s\n"
	        "per_listener_settings false\n"
	        "allow_anonymous true\n"
	        "persistence false\n"
	        "log_dest file %s\n"
	        "log_type all\n"
	        "set_tcp_nodelay true\n"
	        "listener %d 127.0.0.1\n"
	        "cafile %s\n"
	        "certfile %s\n"
	        "keyfile %s\n"
	        "require_certificate true\n"
	        "tls_version tlsv1.2\n",
	        pw ? pw->pw_name : "root", mlog, port, cafile,
	        cpath("server", "pem"), cpath("server", "key"));
	fclose(f);
	base = event_base_new();
	if (base == NULL)
		return -1;
	start_broker();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	rpt_stop(&broker, 5000);
	event_base_free(base);
	return 0;
}

/* NCLI clients on one loop: TLS, CONNACK, SUBACK, their message back;
 * the broker killed: each loss reported once; down: a failed connect is
 * reported once; back on the same port: all of them again. */
static void test_many_clients_loss_and_reconnect(void **state)
{
	char id[16];
	int i, fails;

	(void)state;
	for (i = 0; i < NCLI; i++) {
		snprintf(id, sizeof id, "C%d", i);
		cli_init(&clis[i], id, "SN1");
		assert_int_equal(
		    rp_mqloop_connect(clis[i].l, "127.0.0.1", port, 30), RP_OK);
	}
	want_msgs = 1;
	assert_true(run_until(all_msgs, RPT_DEADLINE_MS));
	for (i = 0; i < NCLI; i++) {
		assert_int_equal(clis[i].connacks, 1);
		assert_int_equal(clis[i].lost, 0);
	}

	kill_broker();
	want_lost = 1;
	assert_true(run_until(all_lost, RPT_DEADLINE_MS));
	for (i = 0; i < NCLI; i++) {
		assert_int_equal(clis[i].lost, 1);
		assert_int_not_equal(clis[i].last_rc, MOSQ_ERR_SUCCESS);
	}

	/* Broker down: refused at once (RP_E_MQTT, no on_lost) or later
	 * (exactly one on_lost with an error). */
	fails = 0;
	for (i = 0; i < NCLI; i++) {
		rp_err rc = rp_mqloop_connect(clis[i].l, "127.0.0.1", port, 30);

		if (rc == RP_OK)
			clis[i].lost--; /* expect one more */
		else
			fails++;
	}
	want_lost = 1;
	assert_true(run_until(all_lost, RPT_DEADLINE_MS));
	for (i = 0; i < NCLI; i++) {
		assert_int_equal(clis[i].lost, 1);
		assert_int_not_equal(clis[i].last_rc, MOSQ_ERR_SUCCESS);
	}
	fprintf(stderr, "# broker down: %d of %d refused at once\n", fails,
	        NCLI);

	start_broker();
	for (i = 0; i < NCLI; i++)
		assert_int_equal(
		    rp_mqloop_connect(clis[i].l, "127.0.0.1", port, 30), RP_OK);
	want_msgs = 2;
	assert_true(run_until(all_msgs, RPT_DEADLINE_MS));
	for (i = 0; i < NCLI; i++) {
		assert_int_equal(clis[i].connacks, 2);
		assert_int_equal(clis[i].lost, 1);
	}

	/* A clean DISCONNECT: reported once, with MOSQ_ERR_SUCCESS. */
	for (i = 0; i < NCLI; i++) {
		assert_int_equal(mosquitto_disconnect(clis[i].m), 0);
		rp_mqloop_kick(clis[i].l);
	}
	want_lost = 2;
	assert_true(run_until(all_lost, RPT_DEADLINE_MS));
	for (i = 0; i < NCLI; i++) {
		assert_int_equal(clis[i].lost, 2);
		assert_int_equal(clis[i].last_rc, MOSQ_ERR_SUCCESS);
		cli_free(&clis[i]);
	}
}

static struct cli bad;

static bool bad_lost(void)
{
	return bad.lost > 0;
}

/* A certificate of another CA: the broker refuses the handshake. */
static void test_tls_refusal_reported_once(void **state)
{
	(void)state;
	cli_init(&bad, "SN1", "other");
	connect_retry(bad.l);
	long long end;
	assert_true(run_until(bad_lost, RPT_DEADLINE_MS));
	/* Nothing more happens on this client afterwards. */
	end = rpt_now_ms() + 300;
	while (rpt_now_ms() < end) {
		struct timeval slice = {0, 50000};

		event_base_loopexit(base, &slice);
		event_base_dispatch(base);
	}
	assert_int_equal(bad.lost, 1);
	assert_int_not_equal(bad.last_rc, MOSQ_ERR_SUCCESS);
	assert_int_equal(bad.connacks, 0);
	rp_mqloop_detach(bad.l);
	cli_free(&bad);
}

static struct cli mute;

static bool mute_lost(void)
{
	return mute.lost > 0;
}

/* A peer that accepts TCP and never answers the handshake: the keepalive
 * check (1 s timer) gives up after the keepalive, reported once. */
static void test_silent_peer_times_out(void **state)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	(void)state;
	assert_true(s >= 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(s, 4), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	cli_init(&mute, "SN1", "SN1");
	assert_int_equal(
	    rp_mqloop_connect(mute.l, "127.0.0.1", ntohs(sa.sin_port), 5),
	    RP_OK);
	assert_true(run_until(mute_lost, RPT_DEADLINE_MS));
	assert_int_equal(mute.lost, 1);
	assert_int_not_equal(mute.last_rc, MOSQ_ERR_SUCCESS);
	assert_int_equal(mute.connacks, 0);
	cli_free(&mute);
	close(s);
}

/* Broker addresses as operators write them (pure). */
static void test_addr_parse(void **state)
{
	char host[64];
	int p = 0;

	(void)state;
	assert_int_equal(
	    rp_mqloop_addr_parse("127.0.0.1:8883", host, sizeof host, &p),
	    RP_OK);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(p, 8883);
	assert_int_equal(rp_mqloop_addr_parse("[::1]:1", host, sizeof host, &p),
	                 RP_OK);
	assert_string_equal(host, "::1");
	assert_int_equal(p, 1);
	static const char *const bad_addr[] = {
	    "",
	    "127.0.0.1",
	    "127.0.0.1:",
	    ":8883",
	    "[]:8883",
	    "127.0.0.1:0",
	    "127.0.0.1:65536",
	    "127.0.0.1:88x",
	    "broker:8883",
	    "::1:8883x",
	    "127.0.0.1:-1",
	    "[::1:8883",
	};
	for (size_t i = 0; i < sizeof bad_addr / sizeof bad_addr[0]; i++)
		assert_int_equal(
		    rp_mqloop_addr_parse(bad_addr[i], host, sizeof host, &p),
		    RP_E_INVAL);
	/* an address longer than the caller's buffer */
	assert_int_equal(rp_mqloop_addr_parse("127.0.0.1:8883", host, 9, &p),
	                 RP_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_many_clients_loss_and_reconnect),
	    cmocka_unit_test(test_tls_refusal_reported_once),
	    cmocka_unit_test(test_silent_peer_times_out),
	    cmocka_unit_test(test_addr_parse),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
