/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lifecycle.c - device lifecycle transitions (lifecycle.h): revocation
 * and decommissioning in one store transaction each, and the start-up
 * refusal of a store that holds a device with a reserved id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lifecycle/lifecycle.h"
#include "rampart/broker.h"
#include "rampart/encode.h"
#include "rampart/log.h"
#include "rampartd.h"

void lifecycle_done_free(struct lifecycle_done *done)
{
	if (done == NULL)
		return;
	free(done->serials);
	memset(done, 0, sizeof *done);
}

struct collect {
	const char *only; /* serial or NULL: all */
	int64_t now;
	struct lifecycle_done *done;
	size_t cap;
	int oom;
};

/* Collect a valid certificate's serial (they are revoked after the walk). */
static int collect_one(void *arg, const struct store_cert *c)
{
	struct collect *k = arg;
	struct lifecycle_done *d = k->done;

	if (c->revoked_at != 0 || c->not_after <= k->now)
		return 0;
	if (k->only != NULL && strcmp(k->only, c->serial) != 0)
		return 0;
	if (d->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 8;
		char(*s)[41] = realloc(d->serials, cap * sizeof *s);

		if (s == NULL) {
			k->oom = 1;
			return 1;
		}
		d->serials = s;
		k->cap = cap;
	}
	snprintf(d->serials[d->n], sizeof d->serials[0], "%s", c->serial);
	d->n++;
	return 0;
}

rp_err lifecycle_revoke(struct rampartd *rd, const char *id, const char *only,
                        int reason, bool decommission, const char *who,
                        struct lifecycle_done *done)
{
	struct collect k;
	struct store_device d;
	char shown[4 * STORE_SERIAL_MAX + 1];
	size_t i;
	rp_err rc;

	memset(done, 0, sizeof *done);
	memset(&k, 0, sizeof k);
	k.only = only;
	k.now = (int64_t)time(NULL);
	k.done = done;
	rc = store_begin(rd->store);
	if (rc != RP_OK)
		return rc;
	rc = store_device_get(rd->store, id, &d);
	if (rc == RP_OK)
		rc = store_cert_each_of(rd->store, id, collect_one, &k);
	if (rc == RP_OK && k.oom)
		rc = RP_E_NOMEM;
	for (i = 0; rc == RP_OK && i < done->n; i++)
		rc = store_cert_revoke(rd->store, done->serials[i], reason,
		                       k.now);
	if (rc == RP_OK && !decommission && done->n == 0)
		rc = RP_E_STATE;
	if (rc == RP_OK && decommission)
		rc = store_device_set_state(rd->store, id,
		                            STORE_DEV_DECOMMISSIONED);
	if (rc == RP_OK)
		rc = store_commit(rd->store);
	if (rc != RP_OK) {
		store_rollback(rd->store);
		done->n = 0;
		return rc;
	}
	(void)rp_escape(shown, sizeof shown, id, strlen(id));
	rp_log_info("%s: %s %s: revoked %zu certificate(s), reason %s", who,
	            decommission ? "decommissioned" : "revoked", shown, done->n,
	            ca_reason_name(reason));
	return RP_OK;
}

struct reserved {
	size_t n;
	char cmd[1024]; /* the --decommission arguments, cut if long */
	int cut;
};

static int reserved_one(void *arg, const struct store_device *d)
{
	struct reserved *r = arg;
	char shown[4 * STORE_SERIAL_MAX + 1], arg1[STORE_SERIAL_MAX + 32];
	size_t len = strlen(r->cmd);
	int n;

	if (d->state == STORE_DEV_DECOMMISSIONED ||
	    rp_broker_device_id_check(d->serial, strlen(d->serial), NULL, 0) !=
	        RP_E_RESERVED)
		return 0;
	if (r->n++ == 0)
		rp_log_error("refusing to start: the store holds devices whose "
		             "ids are reserved for Rampart's own identities "
		             "(ids beginning with \"" RP_BROKER_RESERVED_PREFIX
		             "\"); no device may carry one, they could never "
		             "connect, and before this version such a device "
		             "could be granted the server's or the monitor's "
		             "rights at the broker:");
	(void)rp_escape(shown, sizeof shown, d->serial, strlen(d->serial));
	rp_log_error("  %s (%s)", shown, store_dev_state_name(d->state));
	/* an id of the valid charset is safe to paste into a shell */
	n = snprintf(arg1, sizeof arg1, " --decommission %s", d->serial);
	if (rp_broker_id_valid(d->serial, strlen(d->serial)) && n > 0 &&
	    len + (size_t)n < sizeof r->cmd)
		memcpy(r->cmd + len, arg1, (size_t)n + 1);
	else
		r->cut = 1;
	return 0;
}

rp_err lifecycle_check_reserved(struct rampartd *rd)
{
	struct reserved r;
	rp_err rc;

	memset(&r, 0, sizeof r);
	rc = store_device_each(rd->store, reserved_one, &r);
	if (rc != RP_OK)
		return rc;
	if (r.n == 0)
		return RP_OK;
	rp_log_error("to go on, start once with --decommission for each: it "
	             "is set decommissioned and its valid certificates are "
	             "revoked (reason cessationOfOperation; the rows stay for "
	             "the record), then rampartd starts as usual:");
	rp_log_error("  rampartd --data-dir %s%s%s", rd->data_dir, r.cmd,
	             r.cut ? " ... (one --decommission ID per device above)"
	                   : "");
	return RP_E_RESERVED;
}
