/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sqlite_ingest.c - the SQLite engine's part of ingest (migration 4):
 * what an item of an admitted device writes (history row, status row,
 * trimming), the counters, and the status, event and command listings.
 * Who may send what and the batch's transaction are store.c's; the
 * statements of the ingest path are prepared once and reused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"

static const char *const cached_sql[SQ_COUNT] = {
    [SQ_DEV_STATE] =
        "SELECT d.state, d.quarantined, EXISTS (SELECT 1 FROM certs c "
        "WHERE c.subject = d.serial AND c.kind = 'device' AND "
        "c.revoked_at = 0 AND c.not_after > ?2) "
        "FROM devices d WHERE d.serial = ?1",
    [SQ_TEL_STATUS] =
        "INSERT INTO device_status (serial, first_seen, last_seen, "
        "telemetry_at, seq, ts, uptime_s, cpu_permille, mem_total_kb, "
        "mem_avail_kb, tcp, udp, fw_version, fw_sha256, msgs_sent, dropped, "
        "interval_s, log_seq, log_head, n_telemetry) "
        "VALUES (?1,?2,?2,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,"
        "?16,?17,1) "
        "ON CONFLICT (serial) DO UPDATE SET "
        "last_seen = max(last_seen, ?2), telemetry_at = ?2, seq = ?3, "
        "ts = ?4, uptime_s = ?5, cpu_permille = ?6, mem_total_kb = ?7, "
        "mem_avail_kb = ?8, tcp = ?9, udp = ?10, fw_version = ?11, "
        "fw_sha256 = ?12, msgs_sent = ?13, dropped = ?14, interval_s = ?15, "
        "log_seq = ?16, log_head = ?17, n_telemetry = n_telemetry + 1 "
        "RETURNING n_telemetry",
    [SQ_TEL_ROW] = "INSERT INTO telemetry (serial, received_at, ts, seq, "
                   "uptime_s, cpu_permille, mem_total_kb, mem_avail_kb, "
                   "n_tcp, n_udp, fw_version, msgs_sent, dropped) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [SQ_TOUCH] = "INSERT INTO device_status (serial, first_seen, last_seen, "
                 "n_events, n_results, n_rejected) "
                 "VALUES (?1,?2,?2,?3,?4,?5) "
                 "ON CONFLICT (serial) DO UPDATE SET "
                 "last_seen = max(last_seen, ?2), "
                 "n_events = n_events + ?3, n_results = n_results + ?4, "
                 "n_rejected = n_rejected + ?5 "
                 "RETURNING n_events, n_results",
    [SQ_EVENT_ROW] = "INSERT INTO events (serial, received_at, ts, seq, "
                     "type, severity, count, detail) "
                     "VALUES (?,?,?,?,?,?,?,?)",
    [SQ_RESULT_ROW] = "INSERT INTO command_results (serial, received_at, "
                      "cmd_id, status, seq, ts, detail) "
                      "VALUES (?,?,?,?,?,?,?)",
    [SQ_RESULT_CMD] = "UPDATE commands SET result_at = ?, status = ?, "
                      "result_seq = ?, result_ts = ?, detail = ? "
                      "WHERE id = ? AND serial = ? AND result_at = 0",
    [SQ_TRIM_TEL] = "DELETE FROM telemetry WHERE serial = ?1 AND id <= "
                    "(SELECT id FROM telemetry WHERE serial = ?1 "
                    "ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    [SQ_TRIM_EV] = "DELETE FROM events WHERE serial = ?1 AND id <= "
                   "(SELECT id FROM events WHERE serial = ?1 "
                   "ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    [SQ_TRIM_RES] = "DELETE FROM command_results WHERE serial = ?1 AND "
                    "id <= (SELECT id FROM command_results WHERE "
                    "serial = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    [SQ_COUNTER] = "INSERT INTO ingest_counters (name, value) VALUES (?, ?) "
                   "ON CONFLICT (name) DO UPDATE SET "
                   "value = value + excluded.value",
};

/* The cached statement i, reset and unbound; NULL (logged) on failure. */
static sqlite3_stmt *cached(struct sq *q, int i)
{
	sqlite3_stmt *st = q->cached[i];

	if (st == NULL) {
		st = sq_prep(q, cached_sql[i]);
		q->cached[i] = st;
	} else {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	return st;
}

/* Step a cached statement to its end; *col0, *col1 (when not NULL) get
 * the first two columns of its row (RETURNING). It stays cached. */
static rp_err run_cached(struct sq *q, sqlite3_stmt *st, int64_t *col0,
                         int64_t *col1)
{
	int r = sqlite3_step(st);

	if (r == SQLITE_ROW) {
		if (col0 != NULL)
			*col0 = sqlite3_column_int64(st, 0);
		if (col1 != NULL)
			*col1 = sqlite3_column_int64(st, 1);
		r = sqlite3_step(st);
	}
	sqlite3_reset(st);
	return r == SQLITE_DONE ? RP_OK : sq_fail(q, "ingest step");
}

/* Text bound for the statement's step only (the item outlives it). */
static void bind_static(sqlite3_stmt *st, int i, const char *t)
{
	sqlite3_bind_text(st, i, t, -1, SQLITE_STATIC);
}

/* "22,80,443" from a port list (cap: 6 bytes per port is enough). */
static void ports_text(char *dst, size_t cap, const uint16_t *p, uint16_t n)
{
	size_t o = 0;

	dst[0] = '\0';
	for (uint16_t i = 0; i < n && i < RP_PORTS_MAX && o < cap; i++)
		o += (size_t)snprintf(dst + o, cap - o, "%s%u", i ? "," : "",
		                      (unsigned)p[i]);
}

static uint16_t ports_parse(const char *t, uint16_t *p)
{
	uint16_t n = 0;
	char *end;

	while (t != NULL && *t != '\0' && n < RP_PORTS_MAX) {
		unsigned long v = strtoul(t, &end, 10);

		if (end == t || v == 0 || v > 65535)
			break;
		p[n++] = (uint16_t)v;
		t = *end == ',' ? end + 1 : end;
	}
	return n;
}

static const char *name_or(const char *n)
{
	return n != NULL ? n : "?";
}

rp_err sq_ingest_admit(void *e, const char *serial, int64_t at,
                       struct store_admit *out)
{
	struct sq *q = e;
	sqlite3_stmt *st = cached(q, SQ_DEV_STATE);
	rp_err rc = RP_E_NOT_FOUND;
	int r;

	if (st == NULL)
		return sq_err(q);
	bind_static(st, 1, serial);
	sqlite3_bind_int64(st, 2, at);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		out->state = sqlite3_column_int(st, 0);
		out->quarantined = sqlite3_column_int(st, 1) != 0;
		out->certified = sqlite3_column_int(st, 2) != 0;
		rc = RP_OK;
	} else if (r != SQLITE_DONE) {
		rc = sq_fail(q, "ingest device");
	}
	sqlite3_reset(st);
	return rc;
}

/* Trim statement which to keep rows of serial when count says it is
 * time: every min(keep, 64) rows, so at most keep + 63 are kept. */
static rp_err trim(struct sq *q, int which, const char *serial, int64_t count,
                   int64_t keep)
{
	int64_t every = keep < 64 ? keep : 64;
	sqlite3_stmt *st;

	if (keep <= 0 || count % every != 0)
		return RP_OK;
	st = cached(q, which);
	if (st == NULL)
		return sq_err(q);
	bind_static(st, 1, serial);
	sqlite3_bind_int64(st, 2, keep);
	return run_cached(q, st, NULL, NULL);
}

static rp_err put_telemetry(struct sq *q, const struct store_in *it,
                            const struct store_retention *keep)
{
	const struct rp_telemetry *t = &it->u.tel;
	char tcp[RP_PORTS_MAX * 6 + 1], udp[RP_PORTS_MAX * 6 + 1];
	sqlite3_stmt *st = cached(q, SQ_TEL_STATUS);
	int64_t n = 0;
	rp_err rc;

	if (st == NULL)
		return sq_err(q);
	ports_text(tcp, sizeof tcp, t->tcp, t->n_tcp);
	ports_text(udp, sizeof udp, t->udp, t->n_udp);
	bind_static(st, 1, it->serial);
	sqlite3_bind_int64(st, 2, it->received_at);
	sq_bind_u64(st, 3, t->seq);
	sqlite3_bind_int64(st, 4, t->ts);
	sq_bind_u64(st, 5, t->uptime_s);
	sqlite3_bind_int64(st, 6, t->cpu_permille);
	sq_bind_u64(st, 7, t->mem_total_kb);
	sq_bind_u64(st, 8, t->mem_avail_kb);
	bind_static(st, 9, tcp);
	bind_static(st, 10, udp);
	bind_static(st, 11, t->fw_version);
	bind_static(st, 12, t->fw_sha256);
	sq_bind_u64(st, 13, t->msgs_sent);
	sq_bind_u64(st, 14, t->dropped);
	sqlite3_bind_int64(st, 15, t->interval_s);
	sq_bind_u64(st, 16, t->log_seq);
	bind_static(st, 17, t->log_head);
	rc = run_cached(q, st, &n, NULL);
	if (rc != RP_OK)
		return rc;
	st = cached(q, SQ_TEL_ROW);
	if (st == NULL)
		return sq_err(q);
	bind_static(st, 1, it->serial);
	sqlite3_bind_int64(st, 2, it->received_at);
	sqlite3_bind_int64(st, 3, t->ts);
	sq_bind_u64(st, 4, t->seq);
	sq_bind_u64(st, 5, t->uptime_s);
	sqlite3_bind_int64(st, 6, t->cpu_permille);
	sq_bind_u64(st, 7, t->mem_total_kb);
	sq_bind_u64(st, 8, t->mem_avail_kb);
	sqlite3_bind_int(st, 9, t->n_tcp);
	sqlite3_bind_int(st, 10, t->n_udp);
	bind_static(st, 11, t->fw_version);
	sq_bind_u64(st, 12, t->msgs_sent);
	sq_bind_u64(st, 13, t->dropped);
	rc = run_cached(q, st, NULL, NULL);
	if (rc == RP_OK)
		rc = trim(q, SQ_TRIM_TEL, it->serial, n, keep->telemetry_keep);
	return rc;
}

/* last_seen and one count of kind for it->serial; trims its history. */
static rp_err touch(struct sq *q, const struct store_in *it,
                    const struct store_retention *keep)
{
	sqlite3_stmt *st = cached(q, SQ_TOUCH);
	int64_t n_ev = 0, n_res = 0;
	rp_err rc;

	if (st == NULL)
		return sq_err(q);
	bind_static(st, 1, it->serial);
	sqlite3_bind_int64(st, 2, it->received_at);
	sqlite3_bind_int(st, 3, it->kind == STORE_IN_EVENT);
	sqlite3_bind_int(st, 4, it->kind == STORE_IN_RESULT);
	sqlite3_bind_int(st, 5, it->kind == STORE_IN_REJECT);
	rc = run_cached(q, st, &n_ev, &n_res);
	if (rc == RP_OK && it->kind == STORE_IN_EVENT)
		rc = trim(q, SQ_TRIM_EV, it->serial, n_ev, keep->events_keep);
	if (rc == RP_OK && it->kind == STORE_IN_RESULT)
		rc =
		    trim(q, SQ_TRIM_RES, it->serial, n_res, keep->results_keep);
	return rc;
}

static rp_err put_event(struct sq *q, const struct store_in *it)
{
	const struct rp_event *ev = &it->u.ev;
	sqlite3_stmt *st = cached(q, SQ_EVENT_ROW);

	if (st == NULL)
		return sq_err(q);
	bind_static(st, 1, it->serial);
	sqlite3_bind_int64(st, 2, it->received_at);
	sqlite3_bind_int64(st, 3, ev->ts);
	sq_bind_u64(st, 4, ev->seq);
	bind_static(st, 5, name_or(rp_event_type_name(ev->type)));
	bind_static(st, 6, name_or(rp_severity_name(ev->severity)));
	sq_bind_u64(st, 7, ev->count);
	bind_static(st, 8, ev->detail);
	return run_cached(q, st, NULL, NULL);
}

static rp_err put_result(struct sq *q, const struct store_in *it)
{
	const struct rp_command_result *r = &it->u.res;
	const char *status = name_or(rp_command_status_name(r->status));
	sqlite3_stmt *st = cached(q, SQ_RESULT_ROW);
	rp_err rc;

	if (st == NULL)
		return sq_err(q);
	bind_static(st, 1, it->serial);
	sqlite3_bind_int64(st, 2, it->received_at);
	bind_static(st, 3, r->id);
	bind_static(st, 4, status);
	sq_bind_u64(st, 5, r->seq);
	sqlite3_bind_int64(st, 6, r->ts);
	bind_static(st, 7, r->detail);
	rc = run_cached(q, st, NULL, NULL);
	if (rc != RP_OK)
		return rc;
	/* the first result of a command we sent completes it */
	st = cached(q, SQ_RESULT_CMD);
	if (st == NULL)
		return sq_err(q);
	sqlite3_bind_int64(st, 1, it->received_at);
	bind_static(st, 2, status);
	sq_bind_u64(st, 3, r->seq);
	sqlite3_bind_int64(st, 4, r->ts);
	bind_static(st, 5, r->detail);
	bind_static(st, 6, r->id);
	bind_static(st, 7, it->serial);
	return run_cached(q, st, NULL, NULL);
}

rp_err sq_ingest_put(void *e, const struct store_in *it,
                     const struct store_retention *keep)
{
	struct sq *q = e;
	rp_err rc;

	switch (it->kind) {
	case STORE_IN_TELEMETRY:
		return put_telemetry(q, it, keep);
	case STORE_IN_EVENT:
		rc = put_event(q, it);
		break;
	case STORE_IN_RESULT:
		rc = put_result(q, it);
		break;
	case STORE_IN_REJECT:
		rc = RP_OK;
		break;
	default:
		return RP_E_INVAL;
	}
	return rc == RP_OK ? touch(q, it, keep) : rc;
}

rp_err sq_counter_add(void *e, const char *name, int64_t add)
{
	struct sq *q = e;
	sqlite3_stmt *st = cached(q, SQ_COUNTER);

	if (st == NULL)
		return sq_err(q);
	bind_static(st, 1, name);
	sqlite3_bind_int64(st, 2, add);
	return run_cached(q, st, NULL, NULL);
}

#define STATUS_COLS                                                        \
	"first_seen, last_seen, telemetry_at, seq, ts, uptime_s, "         \
	"cpu_permille, mem_total_kb, mem_avail_kb, tcp, udp, fw_version, " \
	"fw_sha256, msgs_sent, dropped, interval_s, log_seq, log_head, "   \
	"n_telemetry, n_events, n_results, n_rejected"

/* The status columns starting at column c. */
static void read_status(sqlite3_stmt *st, int c, struct store_status *o)
{
	struct rp_telemetry *t = &o->tel;

	memset(o, 0, sizeof *o);
	o->first_seen = sqlite3_column_int64(st, c + 0);
	o->last_seen = sqlite3_column_int64(st, c + 1);
	o->telemetry_at = sqlite3_column_int64(st, c + 2);
	t->seq = (uint64_t)sqlite3_column_int64(st, c + 3);
	t->ts = sqlite3_column_int64(st, c + 4);
	t->uptime_s = (uint64_t)sqlite3_column_int64(st, c + 5);
	t->cpu_permille = (uint32_t)sqlite3_column_int64(st, c + 6);
	t->mem_total_kb = (uint64_t)sqlite3_column_int64(st, c + 7);
	t->mem_avail_kb = (uint64_t)sqlite3_column_int64(st, c + 8);
	t->n_tcp =
	    ports_parse((const char *)sqlite3_column_text(st, c + 9), t->tcp);
	t->n_udp =
	    ports_parse((const char *)sqlite3_column_text(st, c + 10), t->udp);
	sq_text(t->fw_version, sizeof t->fw_version, st, c + 11);
	sq_text(t->fw_sha256, sizeof t->fw_sha256, st, c + 12);
	t->msgs_sent = (uint64_t)sqlite3_column_int64(st, c + 13);
	t->dropped = (uint64_t)sqlite3_column_int64(st, c + 14);
	t->interval_s = (uint32_t)sqlite3_column_int64(st, c + 15);
	t->log_seq = (uint64_t)sqlite3_column_int64(st, c + 16);
	sq_text(t->log_head, sizeof t->log_head, st, c + 17);
	o->n_telemetry = sqlite3_column_int64(st, c + 18);
	o->n_events = sqlite3_column_int64(st, c + 19);
	o->n_results = sqlite3_column_int64(st, c + 20);
	o->n_rejected = sqlite3_column_int64(st, c + 21);
}

rp_err sq_status_get(void *e, const char *serial, struct store_status *out)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "SELECT " STATUS_COLS
	                              " FROM device_status WHERE serial = ?");
	rp_err rc;

	if (st == NULL)
		return sq_err(q);
	rc = sq_row(q, st, serial, "status get");
	if (rc == RP_OK)
		read_status(st, 0, out);
	sqlite3_finalize(st);
	return rc;
}

rp_err sq_device_status_each(void *e, int64_t now, store_dev_status_cb cb,
                             void *arg)
{
	struct sq *q = e;
	/* the device columns are 0..12; then whether a status row exists,
	 * the status (14..35) and the two certificate counts */
	sqlite3_stmt *st = sq_prep(
	    q, "SELECT d.serial, d.hw_type, d.hw_token, d.grp, d.tags, "
	       "d.state, d.allow_reprovision, d.force_renew, d.created_at, "
	       "d.updated_at, d.quarantined, d.quarantine_reason, "
	       "d.quarantined_at, s.serial IS NOT NULL, "
	       "s.first_seen, s.last_seen, s.telemetry_at, s.seq, s.ts, "
	       "s.uptime_s, s.cpu_permille, s.mem_total_kb, s.mem_avail_kb, "
	       "s.tcp, s.udp, s.fw_version, s.fw_sha256, s.msgs_sent, "
	       "s.dropped, s.interval_s, s.log_seq, s.log_head, "
	       "s.n_telemetry, s.n_events, s.n_results, s.n_rejected, "
	       "(SELECT COUNT(*) FROM certs c WHERE c.subject = d.serial "
	       " AND c.kind = 'device' AND c.not_after > ?1 "
	       " AND c.revoked_at = 0), "
	       "(SELECT COUNT(*) FROM certs c WHERE c.subject = d.serial "
	       " AND c.kind = 'device' AND c.not_after > ?1 "
	       " AND c.revoked_at != 0) "
	       "FROM devices d LEFT JOIN device_status s "
	       "ON s.serial = d.serial ORDER BY d.serial");
	struct store_device d;
	struct store_status ss;
	rp_err rc;
	int r;

	if (st == NULL)
		return sq_err(q);
	sqlite3_bind_int64(st, 1, now);
	for (r = sqlite3_step(st); r == SQLITE_ROW; r = sqlite3_step(st)) {
		sq_read_device(st, 0, &d);
		if (sqlite3_column_int(st, SQ_DEV_NCOLS))
			read_status(st, SQ_DEV_NCOLS + 1, &ss);
		else
			memset(&ss, 0, sizeof ss);
		ss.certs_valid = sqlite3_column_int64(st, 36);
		ss.certs_revoked = sqlite3_column_int64(st, 37);
		if (cb(arg, &d, &ss) != 0)
			break;
	}
	rc = sq_walk_end(q, r, "device status list");
	sqlite3_finalize(st);
	return rc;
}

/* Wire name back to the enum, for rows written with rp_*_name(). */
static int enum_of(const char *(*name)(int), const char *t, int lo, int hi)
{
	for (int v = lo; v <= hi; v++) {
		const char *n = name(v);

		if (n != NULL && t != NULL && strcmp(n, t) == 0)
			return v;
	}
	return 0;
}

static const char *ev_type_name(int v)
{
	return rp_event_type_name((enum rp_event_type)v);
}

static const char *ev_sev_name(int v)
{
	return rp_severity_name((enum rp_severity)v);
}

static const char *cmd_type_name(int v)
{
	return rp_command_type_name((enum rp_command_type)v);
}

static const char *cmd_status_name(int v)
{
	return rp_command_status_name((enum rp_command_status)v);
}

/* Walk the rows of st: (id, serial, received_at, ts, seq, type,
 * severity, count, detail). */
static rp_err event_walk(struct sq *q, sqlite3_stmt *st, store_event_cb cb,
                         void *arg)
{
	struct store_event ev;
	rp_err rc;
	int r;

	for (r = sqlite3_step(st); r == SQLITE_ROW; r = sqlite3_step(st)) {
		memset(&ev, 0, sizeof ev);
		ev.id = sqlite3_column_int64(st, 0);
		sq_text(ev.serial, sizeof ev.serial, st, 1);
		ev.received_at = sqlite3_column_int64(st, 2);
		ev.ev.ts = sqlite3_column_int64(st, 3);
		ev.ev.seq = (uint64_t)sqlite3_column_int64(st, 4);
		ev.ev.type = (enum rp_event_type)enum_of(
		    ev_type_name, (const char *)sqlite3_column_text(st, 5), 1,
		    32);
		ev.ev.severity = (enum rp_severity)enum_of(
		    ev_sev_name, (const char *)sqlite3_column_text(st, 6), 0,
		    8);
		ev.ev.count = (uint64_t)sqlite3_column_int64(st, 7);
		sq_text(ev.ev.detail, sizeof ev.ev.detail, st, 8);
		if (cb(arg, &ev) != 0)
			break;
	}
	rc = sq_walk_end(q, r, "event list");
	sqlite3_finalize(st);
	return rc;
}

rp_err sq_event_each(void *e, const char *serial, int limit, store_event_cb cb,
                     void *arg)
{
	struct sq *q = e;
	sqlite3_stmt *st = sq_prep(q, "SELECT id, serial, received_at, ts, "
	                              "seq, type, severity, count, detail "
	                              "FROM events WHERE serial = ? ORDER BY "
	                              "id DESC LIMIT ?");

	if (st == NULL)
		return sq_err(q);
	sq_bind_text(st, 1, serial);
	sqlite3_bind_int(st, 2, limit);
	return event_walk(q, st, cb, arg);
}

rp_err sq_event_feed(void *e, int64_t after, int limit, store_event_cb cb,
                     void *arg)
{
	struct sq *q = e;
	sqlite3_stmt *st =
	    after >= 0
	        ? sq_prep(q, "SELECT id, serial, received_at, ts, seq, type, "
	                     "severity, count, detail FROM events WHERE id > "
	                     "? ORDER BY id LIMIT ?")
	        : sq_prep(q, "SELECT * FROM (SELECT id, serial, received_at, "
	                     "ts, seq, type, severity, count, detail FROM "
	                     "events WHERE id > ? ORDER BY id DESC LIMIT ?) "
	                     "ORDER BY id");

	if (st == NULL)
		return sq_err(q);
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int(st, 2, limit);
	return event_walk(q, st, cb, arg);
}

rp_err sq_command_add(void *e, const char *serial, const struct rp_command *c)
{
	struct sq *q = e;
	/* added_seq: the order of addition (migration 5) */
	sqlite3_stmt *st =
	    sq_prep(q, "INSERT INTO commands (id, serial, type, arg, "
	               "issued_at, added_seq) VALUES (?,?,?,?,?, "
	               "(SELECT COALESCE(MAX(added_seq), 0) + 1 "
	               "FROM commands))");

	if (st == NULL)
		return sq_err(q);
	sq_bind_text(st, 1, c->id);
	sq_bind_text(st, 2, serial);
	bind_static(st, 3, name_or(rp_command_type_name(c->type)));
	sq_bind_text(st, 4, c->arg);
	sqlite3_bind_int64(st, 5, c->ts);
	return sq_done(q, st);
}

rp_err sq_command_each(void *e, const char *serial, int limit,
                       store_command_cb cb, void *arg)
{
	struct sq *q = e;
	sqlite3_stmt *st =
	    sq_prep(q, "SELECT id, serial, type, arg, issued_at, "
	               "result_at, status, result_seq, "
	               "result_ts, detail FROM commands "
	               "WHERE serial = ? ORDER BY issued_at "
	               "DESC, added_seq DESC, id DESC LIMIT ?");
	struct store_command c;
	rp_err rc;
	int r;

	if (st == NULL)
		return sq_err(q);
	sq_bind_text(st, 1, serial);
	sqlite3_bind_int(st, 2, limit);
	for (r = sqlite3_step(st); r == SQLITE_ROW; r = sqlite3_step(st)) {
		memset(&c, 0, sizeof c);
		sq_text(c.cmd.id, sizeof c.cmd.id, st, 0);
		sq_text(c.serial, sizeof c.serial, st, 1);
		c.cmd.type = (enum rp_command_type)enum_of(
		    cmd_type_name, (const char *)sqlite3_column_text(st, 2), 1,
		    32);
		sq_text(c.cmd.arg, sizeof c.cmd.arg, st, 3);
		c.cmd.ts = sqlite3_column_int64(st, 4);
		c.result_at = sqlite3_column_int64(st, 5);
		snprintf(c.res.id, sizeof c.res.id, "%s", c.cmd.id);
		c.res.status = (enum rp_command_status)enum_of(
		    cmd_status_name, (const char *)sqlite3_column_text(st, 6),
		    0, 8);
		c.res.seq = (uint64_t)sqlite3_column_int64(st, 7);
		c.res.ts = sqlite3_column_int64(st, 8);
		sq_text(c.res.detail, sizeof c.res.detail, st, 9);
		if (cb(arg, &c) != 0)
			break;
	}
	rc = sq_walk_end(q, r, "command list");
	sqlite3_finalize(st);
	return rc;
}

rp_err sq_counter_each(void *e, store_counter_cb cb, void *arg)
{
	struct sq *q = e;
	sqlite3_stmt *st =
	    sq_prep(q, "SELECT name, value FROM ingest_counters ORDER BY name");
	rp_err rc;
	int r;

	if (st == NULL)
		return sq_err(q);
	for (r = sqlite3_step(st); r == SQLITE_ROW; r = sqlite3_step(st)) {
		const unsigned char *name = sqlite3_column_text(st, 0);

		if (cb(arg, name != NULL ? (const char *)name : "",
		       sqlite3_column_int64(st, 1)) != 0)
			break;
	}
	rc = sq_walk_end(q, r, "counter list");
	sqlite3_finalize(st);
	return rc;
}
