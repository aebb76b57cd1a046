/* SPDX-License-Identifier: Apache-2.0 */
/*
 * connect_storm.c - the load client of bench/40-connect-storm.sh: opens new
 * mutual-TLS connections as fast as it can for a given time, with raw
 * OpenSSL (one shared SSL_CTX, no session resumption, so each is a full
 * handshake) and, in mqtt mode, a minimal MQTT 3.1.1 CONNECT / CONNACK /
 * DISCONNECT on each. WORKERS processes run in parallel; in CERT, KEY and
 * CLIENT_ID a "%d" stands for the worker's number (the broker wants the
 * client id to be the certificate's CN, and one session per id). Prints
 * the completed connections per second and their number; any failure is
 * counted and makes the exit status 1.
 *
 * usage: connect_storm mqtt|tls HOST PORT CAFILE CERT KEY CLIENT_ID SECONDS
 *        [WORKERS]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int tcp_connect(const char *host, int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((unsigned short)port);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int read_full(SSL *ssl, unsigned char *buf, int n)
{
	int got = 0, r;

	while (got < n) {
		r = SSL_read(ssl, buf + got, n - got);
		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

/* One connection; 0 on success. */
static int one(SSL_CTX *ctx, const char *host, int port, int mqtt,
               const char *id)
{
	unsigned char pkt[256], ack[4];
	size_t idlen = strlen(id), n = 0;
	int fd, rc = -1;
	SSL *ssl = NULL;

	fd = tcp_connect(host, port);
	if (fd < 0)
		return -1;
	ssl = SSL_new(ctx);
	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1)
		goto out;
	if (mqtt) {
		/* MQTT 3.1.1 CONNECT: clean session, keepalive 60. */
		pkt[n++] = 0x10;
		pkt[n++] = (unsigned char)(10 + 2 + idlen);
		memcpy(pkt + n, "\x00\x04MQTT\x04\x02\x00\x3c", 10);
		n += 10;
		pkt[n++] = 0;
		pkt[n++] = (unsigned char)idlen;
		memcpy(pkt + n, id, idlen);
		n += idlen;
		if (SSL_write(ssl, pkt, (int)n) != (int)n ||
		    read_full(ssl, ack, 4) != 0 || ack[0] != 0x20 ||
		    ack[3] != 0)
			goto out;
		if (SSL_write(ssl, "\xe0\x00", 2) != 2)
			goto out;
	}
	rc = 0;
	SSL_shutdown(ssl);
out:
	SSL_free(ssl);
	close(fd);
	ERR_clear_error();
	return rc;
}

/* Copy fmt to out with the first "%d" replaced by n. */
static void subst(char *out, size_t cap, const char *fmt, int n)
{
	const char *p = strstr(fmt, "%d");

	if (p == NULL)
		snprintf(out, cap, "%s", fmt);
	else
		snprintf(out, cap, "%.*s%d%s", (int)(p - fmt), fmt, n, p + 2);
}

/* One client context: full handshakes only (no resumption). */
static SSL_CTX *client_ctx(const char *ca, const char *cert, const char *key)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL || SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	return ctx;
}

int main(int argc, char **argv)
{
	SSL_CTX *ctx;
	double secs, t0, elapsed;
	long *counts;
	int mqtt, port, workers = 1, w, st, fails = 0;
	long total = 0;

	if (argc < 9 || argc > 10 || strlen(argv[7]) > 200) {
		fprintf(stderr,
		        "usage: connect_storm mqtt|tls HOST PORT "
		        "CAFILE CERT KEY CLIENT_ID SECONDS [WORKERS]\n");
		return 2;
	}
	mqtt = strcmp(argv[1], "mqtt") == 0;
	port = atoi(argv[3]);
	secs = atof(argv[8]);
	if (argc == 10)
		workers = atoi(argv[9]);
	if (workers < 1 || workers > 64 || secs <= 0)
		return 2;
	/* counts[2w] = connections, counts[2w+1] = failures */
	counts =
	    mmap(NULL, sizeof(long) * 2 * (size_t)workers,
	         PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED)
		return 2;
	t0 = now_s();
	for (w = 0; w < workers; w++) {
		if (fork() == 0) {
			char id[256], cert[4096], key[4096];

			subst(id, sizeof id, argv[7], w);
			subst(cert, sizeof cert, argv[5], w);
			subst(key, sizeof key, argv[6], w);
			ctx = client_ctx(argv[4], cert, key);
			if (ctx == NULL)
				_exit(2);
			while (now_s() - t0 < secs) {
				if (one(ctx, argv[2], port, mqtt, id) == 0)
					counts[2 * w]++;
				else
					counts[2 * w + 1]++;
			}
			SSL_CTX_free(ctx);
			_exit(0);
		}
	}
	while (wait(&st) > 0) {
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			fails++;
	}
	elapsed = now_s() - t0;
	for (w = 0; w < workers; w++) {
		total += counts[2 * w];
		fails += (int)counts[2 * w + 1];
	}
	printf("%.1f %ld\n", (double)total / elapsed, total);
	if (fails)
		fprintf(stderr, "connect_storm: %d failed connections\n",
		        fails);
	return fails ? 1 : 0;
}
