/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bindcheck.c - start_bind_check (start.h): before rampartd creates its CA,
 * data or setup token, one bind(2) of the address it will listen on, so
 * that a port in use or an address not on this host stops it at once with
 * the reason, not after the first start has made a fleet CA.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "rampart/log.h"
#include "start/start.h"

/* What to look at for an errno of bind(2). */
static const char *hint(int e)
{
	switch (e) {
	case EADDRINUSE:
		return " (another rampartd? see --listen and --port)";
	case EACCES:
	case EPERM:
		return " (a port below 1024 needs root or "
		       "CAP_NET_BIND_SERVICE; "
		       "see --port)";
	case EADDRNOTAVAIL:
		return " (no interface of this host has that address; see "
		       "--listen)";
	default:
		return "";
	}
}

rp_err start_bind_check(const char *addr, int port)
{
	struct addrinfo hints, *ai = NULL;
	char serv[16];
	int fd = -1, one = 1, e, g;
	rp_err rc = RP_OK;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(serv, sizeof serv, "%d", port);
	g = getaddrinfo(addr, serv, &hints, &ai);
	if (g != 0 || ai == NULL) {
		rp_log_error("cannot listen on %s:%d: %s (see --listen)", addr,
		             port, gai_strerror(g));
		rc = RP_E_INVAL;
		goto out;
	}
	/* the first address, as evhttp_bind_socket binds only that one */
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	            ai->ai_protocol);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		char why[128];

		e = errno;
		/* "address already in use", as in a sentence */
		snprintf(why, sizeof why, "%s", strerror(e));
		why[0] = (char)tolower((unsigned char)why[0]);
		rp_log_error("cannot listen on %s:%d: %s%s", addr, port, why,
		             hint(e));
		rc = e == EADDRINUSE ? RP_E_EXISTS : rp_err_errno(e);
	}
out:
	if (fd >= 0)
		(void)close(fd);
	if (ai != NULL)
		freeaddrinfo(ai);
	return rc;
}
