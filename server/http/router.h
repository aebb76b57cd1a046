/* SPDX-License-Identifier: Apache-2.0 */
/*
 * router.h - rampartd's route table: each route is {method, path pattern,
 * permission, body limit, handler}. A pattern is literal segments and
 * one-segment parameters ("/api/v1/devices/{id}/revoke"); the router finds
 * the route of a request, or says that the path is unknown (404) or known
 * under other methods (405, with the Allow list). What a permission means
 * and how big each body class may be is the table owner's (routes.c): the
 * router only carries them, so that operator roles can hang on the
 * permission later without another dispatch.
 */
#ifndef RAMPARTD_ROUTER_H
#define RAMPARTD_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include <event2/http.h>

struct rampartd;

/* Who may call a route; checked before its handler runs. */
enum router_perm {
	ROUTER_PERM_NONE,   /* anyone who completes the TLS handshake */
	ROUTER_PERM_CLAIM,  /* a claim certificate this server issued */
	ROUTER_PERM_DEVICE, /* a current device certificate of ours */
	ROUTER_PERM_ADMIN,  /* the admin bearer token */
};

#define ROUTER_PARAMS_MAX 1  /* {param} segments in one pattern */
#define ROUTER_PARAM_MAX  64 /* bytes of one parameter: a device id */
#define ROUTER_PATH_MAX   511

/* What a permission check proved about the caller (routes.c fills it). */
struct router_principal {
	enum router_perm perm;
	char id[ROUTER_PARAM_MAX + 1]; /* claim group or device id */
	char serial[41];               /* of the certificate shown */
	int64_t not_after;             /* of the device certificate */
};

struct route;

/* One request as the router matched it, handed to the handler. */
struct router_req {
	const struct route *route;
	const char *path; /* the request path, without the query */
	char param[ROUTER_PARAMS_MAX][ROUTER_PARAM_MAX + 1];
	size_t n_params;
	struct router_principal who;
};

struct route {
	unsigned method;     /* one EVHTTP_REQ_* */
	const char *pattern; /* "/a/{x}/b": literal and {name} segments */
	enum router_perm perm;
	unsigned body;  /* the owner's body-limit class of the route */
	unsigned flags; /* the owner's */
	void (*handler)(struct rampartd *rd, struct evhttp_request *req,
	                const struct router_req *rr);
};

/*
 * The route of method on path (no query) in table[n], or NULL. On a match
 * rr gets the route, path and parameters (rr->who zeroed). *allow gets the
 * EVHTTP_REQ_* bits of every route whose pattern matches path, so that
 * NULL with *allow == 0 is an unknown path (404) and NULL with *allow != 0
 * a known path asked with another method (405). rr and allow may be NULL.
 */
const struct route *router_find(const struct route *table, size_t n,
                                unsigned method, const char *path,
                                struct router_req *rr, unsigned *allow);

/* "GET, POST" (the Allow header) of the EVHTTP_REQ_* bits allow. */
void router_allow_list(unsigned allow, char *out, size_t cap);

/* The EVHTTP_REQ_* of a request-line method name[len]; 0 when unknown. */
unsigned router_method(const char *name, size_t len);

#endif
