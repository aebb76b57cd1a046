/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mqloop.c - rp_mqloop (mqloop.h): a libmosquitto 2.0 client moved by a
 * libevent loop. Its socket is watched for reading (EV_PERSIST), for
 * writing while there is something to write, and a 1 s timer runs
 * mosquitto_loop_misc() (keepalive). Relies on these libmosquitto 2.0.11
 * facts (lib/loop.c, lib/net_mosq.c):
 *
 * - mosquitto_connect_async/reconnect_async start a non-blocking TCP
 *   connect, create the SSL object and call SSL_connect once; the CONNECT
 *   packet is queued at once.
 * - While the TLS handshake runs (want_connect), mosquitto_loop_read()
 *   calls SSL_connect again, mosquitto_loop_write() does nothing. So a
 *   handshake step is driven with loop_read whichever way the socket
 *   became ready, and the direction to wait for is taken from the SSL
 *   object itself (SSL_want_write), because mosquitto_want_write() keeps
 *   a stale want_write flag after SSL_connect asked for reading.
 * - A hard socket error during the handshake (connection refused, reset)
 *   shows as SSL_ERROR_SYSCALL, which libmosquitto turns into "keep
 *   waiting": the socket would then stay ready for ever. While handshaking
 *   the socket's SO_ERROR and end of file are therefore checked here.
 * - mosquitto_loop_misc() (keepalive) also bounds a connect: a handshake
 *   or CONNACK a keepalive late closes the connection, so it runs while
 *   connecting too (else a peer that accepts and stays silent would hold
 *   the client for ever).
 * - Every failure closes the socket (or leaves it for reconnect to close);
 *   a clean DISCONNECT closes it with MOSQ_ERR_SUCCESS. The fd may differ
 *   after each (re)connect, so the watches are made per connection.
 *
 * mosquitto_lib_init() is called here, once per process, before the
 * first client is made (rp_mqloop_client_new): libmosquitto is the port's,
 * not every program's.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <mosquitto.h>
#include <openssl/ssl.h>

#include "rampart/alloc.h"
#include "rampart/mqloop.h"

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_rc = MOSQ_ERR_UNKNOWN;

static void lib_start(void)
{
	/* reference-counted in 2.0; never undone: clients may live until
	 * the process exits */
	lib_rc = mosquitto_lib_init();
}

struct mosquitto *rp_mqloop_client_new(const char *id, bool clean, void *obj)
{
	if (pthread_once(&lib_once, lib_start) != 0 ||
	    lib_rc != MOSQ_ERR_SUCCESS) {
		errno = ENOMEM;
		return NULL;
	}
	return mosquitto_new(id, clean, obj);
}

struct rp_mqloop {
	struct event_base *base;
	struct mosquitto *m;
	rp_mqloop_lost_cb on_lost;
	void *arg;
	struct event *rd, *wr; /* on fd, made per connection */
	struct event *tick;    /* keepalive: loop_misc every second */
	int fd;                /* the socket watched, -1 when none */
	bool wr_on;            /* wr is added */
	bool first_write;      /* TCP connect completion not yet seen */
	bool started;          /* connect_async done once: reconnect next */
};

static void unwatch(rp_mqloop *l)
{
	if (l->rd != NULL)
		event_free(l->rd);
	if (l->wr != NULL)
		event_free(l->wr);
	if (l->tick != NULL)
		event_del(l->tick);
	l->rd = l->wr = NULL;
	l->fd = -1;
	l->wr_on = false;
}

/* The SSL object while its handshake runs, else NULL. */
static SSL *handshaking(const rp_mqloop *l)
{
	SSL *ssl = mosquitto_ssl_get(l->m);

	if (ssl == NULL || SSL_is_init_finished(ssl))
		return NULL;
	return ssl;
}

/* A pending error or end of file on a socket whose handshake runs. */
static bool sock_dead(int fd)
{
	int err = 0;
	socklen_t len = sizeof err;
	char c;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
		errno = err != 0 ? err : errno;
		return true;
	}
	if (recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
		errno = ECONNRESET;
		return true;
	}
	return false;
}

/*
 * After every step: report a lost connection (rc from libmosquitto, or the
 * socket gone or changed), else arm the write watch as needed. Calls
 * on_lost last: the owner may reconnect or free l inside it.
 */
static void settle(rp_mqloop *l, int rc)
{
	SSL *ssl;
	bool want;
	int s;

	if (l->fd < 0)
		return;
	s = mosquitto_socket(l->m);
	/* Closed without an error: after the owner's DISCONNECT went out
	 * (reported as MOSQ_ERR_SUCCESS). Another fd: never ours. */
	if (rc == MOSQ_ERR_SUCCESS && s >= 0 && s != l->fd)
		rc = MOSQ_ERR_CONN_LOST;
	if (rc != MOSQ_ERR_SUCCESS || s != l->fd) {
		unwatch(l);
		l->on_lost(l->arg, rc);
		return;
	}
	ssl = handshaking(l);
	if (l->first_write)
		want = true;
	else if (ssl != NULL)
		want = SSL_want_write(ssl);
	else
		want = mosquitto_want_write(l->m);
	if (want && !l->wr_on) {
		if (event_add(l->wr, NULL) == 0)
			l->wr_on = true;
	} else if (!want && l->wr_on) {
		event_del(l->wr);
		l->wr_on = false;
	}
}

/* One handshake step (either direction), or a failure. */
static int handshake_step(rp_mqloop *l)
{
	if (sock_dead(l->fd))
		return MOSQ_ERR_ERRNO;
	return mosquitto_loop_read(l->m, 1);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	rp_mqloop *l = arg;
	int rc;

	(void)fd;
	(void)what;
	if (handshaking(l) != NULL)
		rc = handshake_step(l);
	else
		rc = mosquitto_loop_read(l->m, 1);
	settle(l, rc);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	rp_mqloop *l = arg;
	int rc;

	(void)fd;
	(void)what;
	l->first_write = false;
	if (handshaking(l) != NULL) {
		rc = handshake_step(l);
	} else {
		rc = mosquitto_loop_write(l->m, 1);
		/* A record that completed the handshake may leave the CONNECT
		 * packet queued: the next settle arms the watch for it. */
	}
	settle(l, rc);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	rp_mqloop *l = arg;

	(void)fd;
	(void)what;
	/* Also while connecting: libmosquitto's keepalive check closes a
	 * connection whose handshake or CONNACK is a keepalive late. */
	if (l->fd >= 0)
		settle(l, mosquitto_loop_misc(l->m));
}

rp_err rp_mqloop_new(struct event_base *base, struct mosquitto *m,
                     rp_mqloop_lost_cb on_lost, void *arg, rp_mqloop **out)
{
	rp_mqloop *l = NULL;
	rp_err rc = RP_E_INVAL;

	*out = NULL;
	if (base == NULL || m == NULL || on_lost == NULL)
		goto out;
	rc = RP_E_NOMEM;
	l = rp_calloc(1, sizeof *l);
	if (l == NULL)
		goto out;
	l->base = base;
	l->m = m;
	l->on_lost = on_lost;
	l->arg = arg;
	l->fd = -1;
	l->tick = event_new(base, -1, EV_PERSIST, on_tick, l);
	if (l->tick == NULL)
		goto out;
	*out = l;
	l = NULL;
	rc = RP_OK;
out:
	rp_mqloop_free(l);
	return rc;
}

rp_err rp_mqloop_connect(rp_mqloop *l, const char *host, int port,
                         int keepalive_s)
{
	const struct timeval one_s = {1, 0};
	int mrc, fd;
	rp_err rc = RP_E_MQTT;

	/* Before libmosquitto closes the old socket: its fd may come back. */
	unwatch(l);
	if (!l->started)
		mrc = mosquitto_connect_async(l->m, host, port, keepalive_s);
	else
		mrc = mosquitto_reconnect_async(l->m);
	if (mrc != MOSQ_ERR_SUCCESS)
		goto out;
	l->started = true;
	fd = mosquitto_socket(l->m);
	if (fd < 0)
		goto out;
	rc = RP_E_NOMEM;
	l->rd = event_new(l->base, fd, EV_READ | EV_PERSIST, on_read, l);
	l->wr = event_new(l->base, fd, EV_WRITE | EV_PERSIST, on_write, l);
	if (l->rd == NULL || l->wr == NULL || event_add(l->rd, NULL) != 0 ||
	    event_add(l->tick, &one_s) != 0)
		goto out;
	l->fd = fd;
	l->first_write = true;
	settle(l, MOSQ_ERR_SUCCESS);
	rc = RP_OK;
out:
	if (rc != RP_OK)
		unwatch(l);
	return rc;
}

void rp_mqloop_kick(rp_mqloop *l)
{
	if (l != NULL)
		settle(l, MOSQ_ERR_SUCCESS);
}

void rp_mqloop_detach(rp_mqloop *l)
{
	if (l != NULL)
		unwatch(l);
}

void rp_mqloop_free(rp_mqloop *l)
{
	if (l == NULL)
		return;
	unwatch(l);
	if (l->tick != NULL)
		event_free(l->tick);
	free(l);
}

rp_err rp_mqloop_addr_parse(const char *s, char *host, size_t cap, int *port)
{
	const char *colon = s != NULL ? strrchr(s, ':') : NULL;
	unsigned char addr[sizeof(struct in6_addr)];
	const char *h = s;
	size_t n;
	char *end;
	long p;

	if (colon == NULL || host == NULL || port == NULL)
		return RP_E_INVAL;
	n = (size_t)(colon - s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		h = s + 1;
		n -= 2;
	}
	if (n == 0 || n >= cap)
		return RP_E_INVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || p < 1 ||
	    p > 65535)
		return RP_E_INVAL;
	if (inet_pton(AF_INET, host, addr) != 1 &&
	    inet_pton(AF_INET6, host, addr) != 1)
		return RP_E_INVAL;
	*port = (int)p;
	return RP_OK;
}
