/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.c - the admin permission of the route table (api.h): the bearer
 * setup token, whose SHA-256 is in the store, compared in constant time.
 * The token is wiped from the request's parsed header once hashed
 * (libevent frees its headers without wiping; its line buffers and
 * OpenSSL's record buffers stay out of reach). Operator accounts with
 * roles will be checked here.
 */
#include <string.h>

#include <openssl/sha.h>

#include "api/api.h"
#include "http/http.h"
#include "rampart/mem.h"
#include "rampartd.h"

rp_err api_auth_admin(struct rampartd *rd, struct evhttp_request *req,
                      const char **why)
{
	char *h = (char *)http_header(req, "Authorization"); /* ours to wipe */
	uint8_t want[32], got[32];
	size_t wl = sizeof want;
	rp_err rc = RP_E_AUTH;

	if (h == NULL || strncmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
		*why = "no bearer token";
		goto out;
	}
	SHA256((const unsigned char *)h + 7, strlen(h + 7), got);
	rp_wipe(h + 7, strlen(h + 7));
	if (store_meta_get(rd->store, RD_META_SETUP_TOKEN, want, &wl) !=
	        RP_OK ||
	    wl != sizeof want) {
		*why = "no setup token is configured";
		goto out;
	}
	if (rp_memeq(want, got, sizeof want))
		rc = RP_OK;
	else
		*why = "wrong bearer token";
out:
	rp_wipe(got, sizeof got);
	return rc;
}
