/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sdk_enroll.c - a device program written against the shipped SDK alone
 * (linked with librampart.so and nothing else of ours; test_sdk.sh runs
 * it against a real rampartd): a file keystore enrolled with a claim
 * certificate (rp_enroll), its renewal due (rp_renew_when), a renewal on
 * the program's own libevent loop (rp_renew_start) while a timer on that
 * loop keeps ticking, a second one cancelled before it ends
 * (rp_renew_cancel: its callback never runs, the keystore unchanged),
 * one blocking renewal (rp_renew), and a blocking renewal against a
 * server that takes the connection and never answers, ended by its
 * timeout_ms (0.2 s; alarm() ends the program at 15 s, long before the
 * 30 s default, when the deadline is not honoured). Prints one line per
 * step; exit 0 when every step did what the SDK's header promises.
 * usage: sdk_enroll URL CA CLAIM_CERT CLAIM_KEY KEYSTORE_DIR SERIAL
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/bn.h>
#include <openssl/x509.h>

#include "rampart/enroll.h"
#include "rampart/keystore.h"
#include "rampart/mem.h"

/* test_sdk.sh's rampartd renews this long before expiry (renew_window);
 * the devices' default, RP_RENEW_WINDOW_S, would not be due yet */
#define RENEW_WINDOW_S (100LL * 86400)

/* A listening socket on 127.0.0.1 that accepts nothing: connections
 * complete in the kernel, and no TLS answer ever comes. */
static int silent_server(char *url, size_t cap)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		perror("silent server");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(url, cap, "https://127.0.0.1:%d", ntohs(a.sin_port));
	return fd;
}

struct loop {
	struct event_base *base;
	int done, cancelled_cb, ticks;
	rp_err rc;
	int status;
};

static void on_renewed(void *arg, rp_err rc, int status)
{
	struct loop *l = arg;

	l->done++;
	l->rc = rc;
	l->status = status;
	event_base_loopbreak(l->base);
}

static void on_cancelled(void *arg, rp_err rc, int status)
{
	(void)rc;
	(void)status;
	((struct loop *)arg)->cancelled_cb++;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	((struct loop *)arg)->ticks++;
}

/* The stored certificate's serial (hex) and CN. */
static int cert_id(rp_keystore *ks, char *serial, size_t cap, char *cn,
                   size_t cn_cap)
{
	X509 *x = NULL;
	BIGNUM *bn = NULL;
	char *hex = NULL;
	int ok = 0;

	if (rp_keystore_cert_load(ks, &x, NULL) != RP_OK)
		goto out;
	bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	if (hex == NULL ||
	    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName,
	                              cn, (int)cn_cap) <= 0)
		goto out;
	snprintf(serial, cap, "%s", hex);
	ok = 1;
out:
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
	return ok;
}

int main(int argc, char **argv)
{
	struct rp_enroll_opts eo;
	struct rp_enroll_result res;
	struct rp_renew_opts ro;
	struct loop l;
	struct event *tick = NULL;
	struct timeval ms10 = {0, 10000};
	rp_keystore *ks = NULL;
	rp_renew_call *call = NULL, *other = NULL;
	enum rp_renew_state st;
	int64_t wait_s = -1, na = 0;
	char spec[600], s0[80], s1[80], s2[80], s3[80], cn[80], silent_url[64];
	int ret = 1, status = 0, silent = -1;
	rp_err rc;

	memset(&l, 0, sizeof l);
	if (argc != 7) {
		fprintf(stderr, "usage: sdk_enroll URL CA CLAIM_CERT "
		                "CLAIM_KEY KEYSTORE_DIR SERIAL\n");
		return 2;
	}
	if (rp_init() != RP_OK)
		return 1;
	snprintf(spec, sizeof spec, "file:%s", argv[5]);
	if ((rc = rp_keystore_open(spec, &ks)) != RP_OK) {
		fprintf(stderr, "keystore: %s\n", rp_strerror(rc));
		goto out;
	}
	memset(&eo, 0, sizeof eo);
	eo.server = argv[1];
	eo.ca_file = argv[2];
	eo.claim_cert = argv[3];
	eo.claim_key = argv[4];
	eo.serial = argv[6];
	rc = rp_enroll(&eo, ks, &res);
	if (rc != RP_OK || !cert_id(ks, s0, sizeof s0, cn, sizeof cn) ||
	    strcmp(cn, argv[6]) != 0) {
		fprintf(stderr, "rp_enroll: %s (%s)\n", rp_strerror(rc),
		        res.step ? res.step : "-");
		goto out;
	}
	printf("enrolled %s serial %s\n", cn, s0);
	/* a second enrollment of the same keystore is refused, untouched */
	rc = rp_enroll(&eo, ks, &res);
	if (rc != RP_E_EXISTS || !cert_id(ks, s1, sizeof s1, cn, sizeof cn) ||
	    strcmp(s1, s0) != 0) {
		fprintf(stderr, "second rp_enroll: %s\n", rp_strerror(rc));
		goto out;
	}
	rc = rp_renew_when(ks, (int64_t)time(NULL), RENEW_WINDOW_S, 0, &st,
	                   &wait_s, &na);
	if (rc != RP_OK || st != RP_RENEW_NOW || wait_s != 0 ||
	    na <= (int64_t)time(NULL)) {
		fprintf(stderr, "rp_renew_when: %s, state %d\n",
		        rp_strerror(rc), (int)st);
		goto out;
	}
	printf("renewal due now\n");

	memset(&ro, 0, sizeof ro);
	ro.server = argv[1];
	ro.ca_file = argv[2];
	l.base = event_base_new();
	tick = l.base ? event_new(l.base, -1, EV_PERSIST, on_tick, &l) : NULL;
	if (tick == NULL || event_add(tick, &ms10) != 0)
		goto out;
	/* started and cancelled at once: no callback, nothing stored */
	rc = rp_renew_start(l.base, &ro, ks, on_cancelled, &l, &other);
	if (rc != RP_OK) {
		fprintf(stderr, "rp_renew_start: %s\n", rp_strerror(rc));
		goto out;
	}
	rp_renew_cancel(other);
	rc = rp_renew_start(l.base, &ro, ks, on_renewed, &l, &call);
	if (rc != RP_OK) {
		fprintf(stderr, "rp_renew_start: %s\n", rp_strerror(rc));
		goto out;
	}
	/* the renewal runs on this loop: it does not block it */
	if (event_base_dispatch(l.base) < 0 || l.done != 1 || l.rc != RP_OK) {
		fprintf(stderr, "renewal on the loop: %s (HTTP %d)\n",
		        rp_strerror(l.rc), l.status);
		goto out;
	}
	if (l.cancelled_cb != 0) {
		fprintf(stderr, "a cancelled renewal called back\n");
		goto out;
	}
	if (!cert_id(ks, s2, sizeof s2, cn, sizeof cn) || strcmp(s2, s0) == 0 ||
	    strcmp(cn, argv[6]) != 0) {
		fprintf(stderr, "renewal stored no new certificate\n");
		goto out;
	}
	printf("renewed on the loop: serial %s -> %s\n", s0, s2);

	rc = rp_renew(&ro, ks, &status);
	if (rc != RP_OK || !cert_id(ks, s3, sizeof s3, cn, sizeof cn) ||
	    strcmp(s3, s2) == 0) {
		fprintf(stderr, "rp_renew: %s (HTTP %d)\n", rp_strerror(rc),
		        status);
		goto out;
	}
	printf("renewed blocking: serial %s -> %s\n", s2, s3);

	/* a server that never answers: the deadline ends the renewal */
	silent = silent_server(silent_url, sizeof silent_url);
	if (silent < 0)
		goto out;
	ro.server = silent_url;
	ro.timeout_ms = 200;
	alarm(15);
	rc = rp_renew(&ro, ks, &status);
	alarm(0);
	if (rc != RP_E_EST_UNREACHABLE ||
	    !cert_id(ks, s2, sizeof s2, cn, sizeof cn) || strcmp(s2, s3) != 0) {
		fprintf(stderr, "a renewal against a silent server: %s\n",
		        rp_strerror(rc));
		goto out;
	}
	printf("a silent server: renewal ended by its timeout_ms, the "
	       "certificate kept\n");
	ret = 0;
out:
	if (silent >= 0)
		close(silent);
	if (tick != NULL)
		event_free(tick);
	if (l.base != NULL)
		event_base_free(l.base);
	rp_keystore_close(ks);
	return ret;
}
