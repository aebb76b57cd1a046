/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keys.c - the fleet's trusted release key set in rampartd (release.h):
 * trust on first install, then only the rotations rp_keyset_accept()
 * admits against the current set, written with the store's compare and
 * set so that two installs cannot both win.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rampart/alloc.h"
#include "rampart/crypto_host.h"
#include "rampart/encode.h"
#include "rampart/log.h"
#include "release/release.h"

_Static_assert(RP_KEYSET_MAX_SIZE <= STORE_KEYSET_MAX,
               "a key set fits the store's row");

rp_err release_keys_current(const struct release_ctx *c, struct rp_keyset *ks,
                            struct store_keyset *row)
{
	struct store_keyset *k = rp_malloc(sizeof *k); /* owned here */
	rp_err rc = RP_E_NOMEM;

	if (k == NULL)
		goto out;
	rc = store_keyset_get(c->store, k);
	if (rc != RP_OK)
		goto out;
	/* accepted when it was installed: a set that no longer parses is
	 * a damaged store */
	rc = rp_keyset_parse(k->rpks, k->len, rp_crypto_host(), ks, NULL);
	if (rc != RP_OK) {
		rp_log_error("release keys: the stored key set (epoch %lld) "
		             "does not parse: %s",
		             (long long)k->epoch, rp_strerror(rc));
		rc = RP_E_STORE;
		goto out;
	}
	if (row != NULL)
		*row = *k;
out:
	rp_free(k);
	return rc;
}

/* The first 8 bytes of a key id as hex: enough for an operator to tell
 * keys apart in a log line. */
static void short_id(const uint8_t id[RP_KEYID_LEN], char out[17])
{
	if (rp_hex_encode(id, 8, out, 17) != RP_OK)
		out[0] = '\0';
}

/* Say loudly that the first set is trusted because it came first. */
static void log_first(const struct rp_keyset *ks)
{
	char ids[RP_KEYSET_MAX_KEYS * 18 + 1] = "", one[17];
	size_t n = 0;

	for (unsigned i = 0; i < ks->nkeys; i++) {
		short_id(ks->keys[i].id, one);
		n += (size_t)snprintf(ids + n, sizeof ids - n, "%s%s",
		                      i > 0 ? " " : "", one);
	}
	rp_log_warn("release keys: no key set was installed: trusting this "
	            "first one AS GIVEN (trust on first install): epoch %u, "
	            "%u of %u keys [%s], %u revoked. Check these key ids "
	            "against your release keys: every later set must be "
	            "signed by %u of them",
	            (unsigned)ks->epoch, ks->threshold, ks->nkeys, ids,
	            ks->nrevoked, ks->threshold);
}

/* why for a set that rp_keyset_accept refused with rc. */
static void refusal(char *why, size_t cap, rp_err rc,
                    const struct rp_keyset *cur,
                    const struct rp_image_report *rep)
{
	switch (rc) {
	case RP_E_KEYSET_EPOCH:
		snprintf(why, cap,
		         "the new key set's epoch is not above the current "
		         "set's %u: an old set cannot be installed again",
		         (unsigned)cur->epoch);
		break;
	case RP_E_KEYSET_UNREVOKED:
		snprintf(why, cap,
		         "the new key set drops a revocation of the "
		         "current set: revocation is for ever");
		break;
	case RP_E_SIG_THRESHOLD:
	case RP_E_SIG_UNKNOWN_KEY:
	case RP_E_KEY_REVOKED:
	case RP_E_SIG_BAD:
		snprintf(why, cap,
		         "the new key set is not signed by %u unrevoked keys "
		         "of the current set (epoch %u): %u valid (%s)",
		         cur->threshold, (unsigned)cur->epoch, rep->nvalid,
		         rp_strerror(rc));
		break;
	default:
		snprintf(why, cap, "not a valid key set: %s", rp_strerror(rc));
		break;
	}
}

rp_err release_keys_install(const struct release_ctx *c, const uint8_t *rpks,
                            size_t len, struct rp_keyset *out, char *why,
                            size_t cap)
{
	/* owned here: three key sets and a report are too big for a stack */
	struct {
		struct rp_keyset cur, next;
		struct rp_image_report rep;
		struct store_keyset row;
	} *w = rp_calloc(1, sizeof *w);
	bool first = false;
	rp_err rc = RP_E_NOMEM;

	why[0] = '\0';
	if (w == NULL)
		goto out;
	rc = RP_E_TOO_BIG;
	if (len > RP_KEYSET_MAX_SIZE) {
		snprintf(why, cap, "a key set is at most %u bytes, not %zu",
		         (unsigned)RP_KEYSET_MAX_SIZE, len);
		goto out;
	}
	rc = release_keys_current(c, &w->cur, &w->row);
	first = rc == RP_E_NOT_FOUND;
	if (rc != RP_OK && !first) {
		snprintf(why, cap, "reading the current key set: %s",
		         rp_strerror(rc));
		goto out;
	}
	rc = rp_keyset_parse(rpks, len, rp_crypto_host(), &w->next, NULL);
	if (rc != RP_OK) {
		snprintf(why, cap, "not a valid key set: %s", rp_strerror(rc));
		goto out;
	}
	/* the first set must still carry its own threshold of its own
	 * keys' signatures, as a device's factory set does */
	rc = rp_keyset_accept(first ? NULL : &w->cur, rpks, len,
	                      rp_crypto_host(), &w->next, &w->rep);
	if (rc != RP_OK && first)
		snprintf(why, cap,
		         "the first key set must be signed by %u of its own "
		         "keys: %u valid (%s)",
		         w->next.threshold, w->rep.nvalid, rp_strerror(rc));
	else if (rc != RP_OK)
		refusal(why, cap, rc, &w->cur, &w->rep);
	if (rc != RP_OK)
		goto out;
	if (c->step != NULL)
		c->step(c->step_arg, "keys checked");
	rc = store_keyset_install(c->store, rpks, len, w->next.epoch,
	                          first ? STORE_KEYSET_NONE
	                                : (int64_t)w->cur.epoch);
	if (rc == RP_E_STATE) {
		snprintf(why, cap,
		         "another key set was installed meanwhile: check "
		         "the new set against it and try again");
		goto out;
	}
	if (rc != RP_OK) {
		snprintf(why, cap, "storing the key set: %s", rp_strerror(rc));
		goto out;
	}
	if (first)
		log_first(&w->next);
	else
		rp_log_info("release keys: key set of epoch %u installed "
		            "(%u of %u keys, %u revoked), accepted by %u "
		            "signatures of the set of epoch %u",
		            (unsigned)w->next.epoch, w->next.threshold,
		            w->next.nkeys, w->next.nrevoked, w->rep.nvalid,
		            (unsigned)w->cur.epoch);
	if (out != NULL)
		*out = w->next;
out:
	if (rc != RP_OK && why[0] != '\0')
		rp_log_info("release keys: refused: %s", why);
	rp_free(w);
	return rc;
}
