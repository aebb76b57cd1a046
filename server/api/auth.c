/* SPDX-License-Identifier: Apache-2.0 */
/*
 * auth.c - the admin permission of the route table (api.h): the bearer
 * setup token, whose SHA-256 is in the store, compared in constant time.
 * Operator accounts with roles will be checked here.
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
	const char *h = http_header(req, "Authorization");
	uint8_t want[32], got[32];
	size_t wl = sizeof want;
	rp_err rc = RP_E_AUTH;

	if (h == NULL || strncmp(h, "Bearer ", 7) != 0 || h[7] == '\0') {
		*why = "no bearer token";
		goto out;
	}
	if (store_meta_get(rd->store, RD_META_SETUP_TOKEN, want, &wl) !=
	        RP_OK ||
	    wl != sizeof want) {
		*why = "no setup token is configured";
		goto out;
	}
	SHA256((const unsigned char *)h + 7, strlen(h + 7), got);
	if (rp_memeq(want, got, sizeof want))
		rc = RP_OK;
	else
		*why = "wrong bearer token";
	rp_wipe(got, sizeof got);
out:
	return rc;
}
