/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_rampartd_fleet.c - the fleet snapshot rampartd derives from its
 * store (server/broker/fleet.c) on a real SQLite file, read back with the
 * plugin's own parser: the state mapping (enrolled -> active, quarantined,
 * decommissioned, allowlisted-only -> unknown), revoked serials in
 * canonical form (expired ones dropped), the service and monitor
 * identities with the pins passed in (the plugin's rp_broker_snapshot_
 * decide grants them only with that key), devices with a reserved id
 * left out, the file and folder modes, a growing seq, the quarantine flag
 * in the store, a failed write that is reported and retried without
 * touching the store, and no snapshot at all while rampartd's service
 * identity has no pin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/fleet.h"
#include "cmocka_all.h"
#include "rampart/broker.h"
#include "rampartd.h"
#include "rpt.h"
#include "store/store.h"

static char dir[512];

static void add_dev(struct store *s, const char *serial, int state)
{
	struct store_device d;

	memset(&d, 0, sizeof d);
	snprintf(d.serial, sizeof d.serial, "%s", serial);
	snprintf(d.hw_type, sizeof d.hw_type, "tpm2");
	snprintf(d.group, sizeof d.group, "g");
	assert_int_equal(store_device_add(s, &d), RP_OK);
	if (state != STORE_DEV_ALLOWLISTED)
		assert_int_equal(store_device_set_state(s, serial, state),
		                 RP_OK);
}

static void add_cert(struct store *s, const char *serial, const char *subject,
                     int64_t not_after, int revoked)
{
	struct store_cert c;

	memset(&c, 0, sizeof c);
	snprintf(c.serial, sizeof c.serial, "%s", serial);
	snprintf(c.subject, sizeof c.subject, "%s", subject);
	snprintf(c.kind, sizeof c.kind, STORE_CERT_DEVICE);
	c.not_before = 1000;
	c.not_after = not_after;
	assert_int_equal(store_cert_add(s, &c, "PEM"), RP_OK);
	if (revoked)
		assert_int_equal(store_cert_revoke(s, serial, 1, 2000), RP_OK);
}

/* A store with one device of each kind; caller closes it. */
static struct store *fleet_store(void)
{
	char path[600];
	struct store *s = NULL;

	rpt_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/rampart.db", dir);
	assert_int_equal(store_open(path, &s), RP_OK);
	add_dev(s, "SN-A", STORE_DEV_ENROLLED);
	add_dev(s, "SN-Q", STORE_DEV_ENROLLED);
	add_dev(s, "SN-D", STORE_DEV_DECOMMISSIONED);
	add_dev(s, "SN-L", STORE_DEV_ALLOWLISTED);
	/* reserved ids (a data directory of before the rule): left out */
	add_dev(s, "rampartd", STORE_DEV_ENROLLED);
	add_dev(s, "rampart-monitor", STORE_DEV_DECOMMISSIONED);
	add_dev(s, "RAMPARTx", STORE_DEV_ENROLLED);
	add_dev(s, "rampart-allow", STORE_DEV_ALLOWLISTED);
	assert_int_equal(
	    store_device_set_quarantine(s, "SN-Q", 1, "odd traffic", 3000),
	    RP_OK);
	add_cert(s, "0a1b", "SN-A", 10000, 1); /* revoked, valid at 5000 */
	add_cert(s, "ff", "SN-A", 4000, 1);    /* revoked, expired at 5000 */
	add_cert(s, "c0de", "SN-Q", 10000, 0);
	return s;
}

/* Two principals with distinct pins: the service's 0x11.., the
 * monitor's 0x22... */
static struct rp_broker_principal svc = {RP_BROKER_SERVICE_ID, {0}};
static struct rp_broker_principal mon = {RP_BROKER_MONITOR_ID, {0}};

static void principals(void)
{
	memset(svc.pin, 0x11, sizeof svc.pin);
	memset(mon.pin, 0x22, sizeof mon.pin);
}

/* What the snapshot grants a certificate of profile role, id and pin
 * byte fill. */
static void decide(const rp_broker_snapshot *snap, enum rp_broker_role profile,
                   const char *id, uint8_t fill, enum rp_broker_role want)
{
	struct rp_broker_peer p;
	enum rp_broker_role role;
	enum rp_broker_state st;

	memset(&p, 0, sizeof p);
	p.profile = profile;
	snprintf(p.id, sizeof p.id, "%s", id);
	snprintf(p.serial, sizeof p.serial, "1");
	memset(p.pin, fill, sizeof p.pin);
	rp_broker_snapshot_decide(snap, &p, &role, &st);
	assert_int_equal(role, want);
	assert_int_equal(st, want == RP_BROKER_ROLE_NONE ? RP_BROKER_UNKNOWN
	                                                 : RP_BROKER_ACTIVE);
}

static void lookup(const rp_broker_snapshot *snap, const char *id,
                   enum rp_broker_role want_role,
                   enum rp_broker_state want_state)
{
	enum rp_broker_role role;
	enum rp_broker_state st;

	rp_broker_snapshot_lookup(snap, id, &role, &st);
	assert_int_equal(role, want_role);
	assert_int_equal(st, want_state);
}

static void test_build_maps_states(void **state)
{
	struct store *s = fleet_store();
	struct store_device d;
	struct fleet fl;
	rp_broker_snapshot *snap = NULL;
	char *text = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(store_device_get(s, "SN-Q", &d), RP_OK);
	assert_int_equal(d.quarantined, 1);
	assert_string_equal(d.quarantine_reason, "odd traffic");
	assert_int_equal(d.quarantined_at, 3000);

	principals();
	assert_int_equal(fleet_build(s, &svc, &mon, 5000, 42, &fl), RP_OK);
	assert_int_equal(fl.skipped,
	                 3); /* rampartd, rampart-monitor, RAMPARTx */
	assert_int_equal(rp_broker_snapshot_encode(&fl.f, &text, &len), RP_OK);
	assert_non_null(strstr(text,
	                       "\nservice rampartd 1111111111111111111111"
	                       "111111111111111111111111111111111111111111"
	                       "\n"));
	assert_non_null(strstr(text,
	                       "\nmonitor rampart-monitor 22222222222222"
	                       "222222222222222222222222222222222222222222"
	                       "22222222\n"));
	assert_null(strstr(text, "device rampart"));
	assert_null(strstr(text, "device RAMPART"));
	assert_int_equal(rp_broker_snapshot_parse(text, len, NULL, &snap, NULL),
	                 RP_OK);
	assert_int_equal(rp_broker_snapshot_seq(snap), 42);
	lookup(snap, RP_BROKER_SERVICE_ID, RP_BROKER_ROLE_SERVICE,
	       RP_BROKER_ACTIVE);
	lookup(snap, RP_BROKER_MONITOR_ID, RP_BROKER_ROLE_MONITOR,
	       RP_BROKER_ACTIVE);
	lookup(snap, "RAMPARTx", RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
	/* the role goes with the pinned key only, and never to a device */
	decide(snap, RP_BROKER_ROLE_SERVICE, "rampartd", 0x11,
	       RP_BROKER_ROLE_SERVICE);
	decide(snap, RP_BROKER_ROLE_SERVICE, "rampartd", 0x22,
	       RP_BROKER_ROLE_NONE);
	decide(snap, RP_BROKER_ROLE_MONITOR, "rampart-monitor", 0x22,
	       RP_BROKER_ROLE_MONITOR);
	decide(snap, RP_BROKER_ROLE_MONITOR, "rampart-monitor", 0x11,
	       RP_BROKER_ROLE_NONE);
	decide(snap, RP_BROKER_ROLE_DEVICE, "rampartd", 0x11,
	       RP_BROKER_ROLE_NONE);
	lookup(snap, "SN-A", RP_BROKER_ROLE_DEVICE, RP_BROKER_ACTIVE);
	lookup(snap, "SN-Q", RP_BROKER_ROLE_DEVICE, RP_BROKER_QUARANTINED);
	lookup(snap, "SN-D", RP_BROKER_ROLE_DEVICE, RP_BROKER_DECOMMISSIONED);
	lookup(snap, "SN-L", RP_BROKER_ROLE_NONE, RP_BROKER_UNKNOWN);
	assert_true(rp_broker_snapshot_serial_revoked(snap, "a1b"));
	assert_false(rp_broker_snapshot_serial_revoked(snap, "ff"));
	assert_false(rp_broker_snapshot_serial_revoked(snap, "c0de"));
	assert_int_equal(rp_broker_snapshot_count(snap, true), 1);
	rp_broker_snapshot_free(snap);
	free(text);
	fleet_free(&fl);

	/* release: back to active */
	assert_int_equal(store_device_set_quarantine(s, "SN-Q", 0, NULL, 0),
	                 RP_OK);
	assert_int_equal(store_device_get(s, "SN-Q", &d), RP_OK);
	assert_int_equal(d.quarantined, 0);
	assert_string_equal(d.quarantine_reason, "");
	assert_int_equal(fleet_build(s, &svc, NULL, 5000, 43, &fl), RP_OK);
	assert_int_equal(fl.f.n_monitors, 0); /* none given: none listed */
	assert_int_equal(rp_broker_snapshot_encode(&fl.f, &text, &len), RP_OK);
	assert_int_equal(rp_broker_snapshot_parse(text, len, NULL, &snap, NULL),
	                 RP_OK);
	lookup(snap, "SN-Q", RP_BROKER_ROLE_DEVICE, RP_BROKER_ACTIVE);
	rp_broker_snapshot_free(snap);
	free(text);
	fleet_free(&fl);
	assert_int_equal(store_device_set_quarantine(s, "SN-none", 1, "x", 1),
	                 RP_E_NOT_FOUND);
	store_close(s);
}

static void test_sync_writes_and_retries(void **state)
{
	static struct rampartd rd;
	char path[700], bdir[700], saved[720];
	struct store_device d;
	struct stat st;
	FILE *f;
	rp_broker_snapshot *snap = NULL;
	uint64_t seq1;

	(void)state;
	memset(&rd, 0, sizeof rd);
	rd.store = fleet_store();
	snprintf(rd.data_dir, sizeof rd.data_dir, "%s", dir);
	snprintf(path, sizeof path, "%s/" FLEET_SNAPSHOT, dir);
	snprintf(bdir, sizeof bdir, "%s/" FLEET_DIR, dir);
	principals();

	/* No service pin (its identity could not be issued): no snapshot,
	 * rather than one that would lock rampartd out. */
	broker_sync(&rd, "a test without identities");
	assert_int_equal(rd.snap_dirty, 1);
	assert_int_not_equal(stat(path, &st), 0);
	rd.service = svc;
	rd.service_pinned = 1;
	rd.monitor = mon;
	rd.monitor_pinned = 1;

	broker_sync(&rd, "a test");
	assert_int_equal(rd.snap_dirty, 0);
	assert_int_equal(stat(bdir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0750);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(rp_broker_snapshot_load(path, NULL, &snap, NULL),
	                 RP_OK);
	seq1 = rp_broker_snapshot_seq(snap);
	assert_int_equal(seq1, rd.snap_seq);
	decide(snap, RP_BROKER_ROLE_SERVICE, "rampartd", 0x11,
	       RP_BROKER_ROLE_SERVICE);
	decide(snap, RP_BROKER_ROLE_MONITOR, "rampart-monitor", 0x22,
	       RP_BROKER_ROLE_MONITOR);
	rp_broker_snapshot_free(snap);

	/* A write that fails: logged, marked for retry, store unchanged. */
	assert_int_equal(
	    store_device_set_quarantine(rd.store, "SN-A", 1, "test", 1), RP_OK);
	/* broker/ replaced by a plain file: even root cannot write there. */
	snprintf(saved, sizeof saved, "%s.saved", bdir);
	assert_int_equal(rename(bdir, saved), 0);
	f = fopen(bdir, "w");
	assert_non_null(f);
	fclose(f);
	broker_sync(&rd, "a quarantine");
	assert_int_equal(rd.snap_dirty, 1);
	assert_int_equal(store_device_get(rd.store, "SN-A", &d), RP_OK);
	assert_int_equal(d.quarantined, 1); /* the change stays committed */
	assert_int_equal(unlink(bdir), 0);
	assert_int_equal(rename(saved, bdir), 0);
	assert_int_equal(rp_broker_snapshot_load(path, NULL, &snap, NULL),
	                 RP_OK);
	assert_int_equal(rp_broker_snapshot_seq(snap), seq1); /* old file */
	rp_broker_snapshot_free(snap);
	broker_sync(&rd, "the retry");
	assert_int_equal(rd.snap_dirty, 0);
	assert_int_equal(rp_broker_snapshot_load(path, NULL, &snap, NULL),
	                 RP_OK);
	assert_true(rp_broker_snapshot_seq(snap) > seq1);
	{
		enum rp_broker_role role;
		enum rp_broker_state s2;

		rp_broker_snapshot_lookup(snap, "SN-A", &role, &s2);
		assert_int_equal(s2, RP_BROKER_QUARANTINED);
	}
	rp_broker_snapshot_free(snap);
	store_close(rd.store);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_maps_states),
	    cmocka_unit_test(test_sync_writes_and_retries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
