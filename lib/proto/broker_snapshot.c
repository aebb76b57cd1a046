/* SPDX-License-Identifier: Apache-2.0 */
/*
 * broker_snapshot.c - the fleet-state snapshot that rampartd writes and the
 * Mosquitto plugin reads (format 2, docs/transport.md): a strict
 * line-oriented text file, parsed into two open-addressing hash tables
 * (identities with role, state and, for services and monitors, their key's
 * pin; revoked serials) over one arena, with allocator hooks so the plugin
 * allocates with mosquitto_calloc; and the connect decision on them. The
 * writer encodes, checks its own output with the parser, and replaces the
 * file atomically.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rampart/alloc.h"
#include "rampart/broker.h"
#include "rampart/file.h"

#define MAGIC_WORD "rampart-broker-snapshot"
#define MAGIC      MAGIC_WORD " 2"
#define PIN_HEX    (2 * RP_BROKER_PIN_LEN)

struct ident {
	const char *key; /* NUL-terminated, inside the arena; NULL = empty */
	unsigned char role;
	unsigned char state;
	/* service and monitor only: RP_BROKER_PIN_LEN bytes in the arena,
	 * decoded over the line's hex; NULL for a device */
	const uint8_t *pin;
};

struct rp_broker_snapshot {
	struct rp_broker_alloc a;
	char *arena;          /* copy of the text, lines NUL-split */
	struct ident *ids;    /* cap_ids slots */
	const char **serials; /* cap_serials slots */
	size_t cap_ids, cap_serials, n_ids, n_serials;
	uint64_t seed, seq;
};

static void *def_calloc(size_t n, size_t s)
{
	return rp_calloc(n, s);
}

static void def_free(void *p)
{
	free(p);
}

/* FNV-1a with a per-table seed and a final mix. */
static uint64_t hash(uint64_t seed, const char *s)
{
	uint64_t h = 14695981039346656037ull ^ seed;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ull;
	}
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ull;
	h ^= h >> 32;
	return h;
}

static size_t table_cap(size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap <<= 1;
	return cap;
}

void rp_broker_snapshot_free(rp_broker_snapshot *s)
{
	void (*f)(void *);

	if (s == NULL)
		return;
	f = s->a.free_fn;
	f(s->arena);
	f(s->ids);
	f(s->serials);
	f(s);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Strict decimal: no sign, no leading zero (but "0"), fits 64 bits. */
static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!is_digit(*s) || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (; *s != '\0'; s++) {
		if (!is_digit(*s) || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

static bool serial_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > RP_BROKER_SERIAL_MAX || (s[0] == '0' && n > 1))
		return false;
	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	}
	return true;
}

/*
 * The pin's hex, here rather than rp_hex_decode/rp_hex_encode (encode.h):
 * the format allows lower case only, which rp_hex_decode does not check,
 * and the plugin links lib/proto/broker_*.c without libsodium, on which
 * encode.c stands. A pin is public: no constant time needed.
 */
static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Exactly 64 lower-case hex digits into pin. pin may be s itself (the
 * parser decodes in place): byte i is written after digits 2i and 2i+1
 * are read, and never over a digit still to be read.
 */
static bool pin_parse(const char *s, uint8_t pin[RP_BROKER_PIN_LEN])
{
	size_t i;
	int hi, lo;

	if (strlen(s) != PIN_HEX)
		return false;
	for (i = 0; i < RP_BROKER_PIN_LEN; i++) {
		hi = hex_digit(s[2 * i]);
		lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		pin[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static void pin_hex(const uint8_t pin[RP_BROKER_PIN_LEN], char out[PIN_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < RP_BROKER_PIN_LEN; i++) {
		out[2 * i] = hex[pin[i] >> 4];
		out[2 * i + 1] = hex[pin[i] & 15];
	}
	out[PIN_HEX] = '\0';
}

/* A service's or monitor's id: valid and reserved. */
static bool principal_id_ok(const char *id)
{
	size_t n = strlen(id);

	return rp_broker_id_valid(id, n) && rp_broker_id_reserved(id, n);
}

static int state_parse(const char *s)
{
	static const enum rp_broker_state states[] = {
	    RP_BROKER_ACTIVE, RP_BROKER_QUARANTINED, RP_BROKER_REVOKED,
	    RP_BROKER_DECOMMISSIONED};
	size_t i;

	for (i = 0; i < sizeof states / sizeof states[0]; i++) {
		if (strcmp(s, rp_broker_state_name(states[i])) == 0)
			return (int)states[i];
	}
	return -1;
}

/* key, pin: inside the arena; pin NULL for a device. */
static rp_err id_insert(rp_broker_snapshot *s, const char *key,
                        enum rp_broker_role role, int state, const uint8_t *pin)
{
	size_t mask = s->cap_ids - 1, i = hash(s->seed, key) & mask;

	while (s->ids[i].key != NULL) {
		if (strcmp(s->ids[i].key, key) == 0)
			return RP_E_EXISTS;
		i = (i + 1) & mask;
	}
	s->ids[i].key = key;
	s->ids[i].role = (unsigned char)role;
	s->ids[i].state = (unsigned char)state;
	s->ids[i].pin = pin;
	s->n_ids++;
	return RP_OK;
}

static rp_err serial_insert(rp_broker_snapshot *s, const char *key)
{
	size_t mask = s->cap_serials - 1, i = hash(s->seed, key) & mask;

	while (s->serials[i] != NULL) {
		if (strcmp(s->serials[i], key) == 0)
			return RP_E_EXISTS;
		i = (i + 1) & mask;
	}
	s->serials[i] = key;
	s->n_serials++;
	return RP_OK;
}

/*
 * Split off the first space-separated word of *line (NUL-terminating it);
 * returns the word and moves *line past the space, or to NULL at the end.
 */
static char *word(char **line)
{
	char *w = *line, *sp;

	if (w == NULL)
		return NULL;
	sp = strchr(w, ' ');
	if (sp != NULL) {
		*sp = '\0';
		*line = sp + 1;
	} else {
		*line = NULL;
	}
	return w;
}

/* One record line (already NUL-terminated). */
static rp_err parse_record(rp_broker_snapshot *s, char *line, bool *is_end,
                           uint64_t *end_count)
{
	char *rest = line, *kw = word(&rest), *a = word(&rest);
	char *b = word(&rest);
	int st;

	if (kw == NULL || a == NULL || rest != NULL)
		return RP_E_SYNTAX;
	if (strcmp(kw, "end") == 0 && b == NULL) {
		*is_end = true;
		return parse_u64(a, end_count) ? RP_OK : RP_E_SYNTAX;
	}
	/* "service ID PIN", "monitor ID PIN": a reserved id, its key's pin */
	if ((strcmp(kw, "service") == 0 || strcmp(kw, "monitor") == 0) &&
	    b != NULL) {
		if (!principal_id_ok(a) || !pin_parse(b, (uint8_t *)b))
			return RP_E_SYNTAX;
		return id_insert(s, a,
		                 kw[0] == 's' ? RP_BROKER_ROLE_SERVICE
		                              : RP_BROKER_ROLE_MONITOR,
		                 RP_BROKER_ACTIVE, (const uint8_t *)b);
	}
	/* "device ID STATE": THE device-id rule, so never a reserved id */
	if (strcmp(kw, "device") == 0 && b != NULL) {
		st = state_parse(b);
		if (rp_broker_device_id_check(a, strlen(a), NULL, 0) != RP_OK ||
		    st < 0)
			return RP_E_SYNTAX;
		return id_insert(s, a, RP_BROKER_ROLE_DEVICE, st, NULL);
	}
	if (strcmp(kw, "revoked-serial") == 0 && b == NULL) {
		if (!serial_valid(a))
			return RP_E_SYNTAX;
		return serial_insert(s, a);
	}
	return RP_E_SYNTAX;
}

/*
 * Line 1: this format, RP_E_UNSUPPORTED for another version (format 1's
 * services carried no pin: reading it would grant a role on a name).
 */
static rp_err magic_check(const char *line)
{
	const char *v;

	if (strcmp(line, MAGIC) == 0)
		return RP_OK;
	if (strncmp(line, MAGIC_WORD " ", sizeof MAGIC_WORD) != 0)
		return RP_E_SYNTAX;
	v = line + sizeof MAGIC_WORD;
	if (!is_digit(*v))
		return RP_E_SYNTAX;
	while (is_digit(*v))
		v++;
	return *v == '\0' ? RP_E_UNSUPPORTED : RP_E_SYNTAX;
}

rp_err rp_broker_snapshot_parse(const char *buf, size_t len,
                                const struct rp_broker_alloc *alloc,
                                rp_broker_snapshot **out, size_t *err_line)
{
	struct rp_broker_alloc a = {def_calloc, def_free};
	rp_broker_snapshot *s = NULL;
	size_t nlines = 0, i, line_no = 0, records = 0;
	uint64_t end_count = 0;
	bool is_end = false;
	char *p, *nl;
	rp_err rc = RP_OK;

	if (alloc != NULL && alloc->calloc_fn != NULL && alloc->free_fn != NULL)
		a = *alloc;
	if (err_line != NULL)
		*err_line = 0;
	if (out == NULL || (buf == NULL && len > 0))
		return RP_E_INVAL;
	*out = NULL;
	if (len > RP_BROKER_SNAPSHOT_MAX)
		return RP_E_TOO_BIG;
	if (len == 0 || buf[len - 1] != '\n')
		return RP_E_TRUNCATED;
	if (memchr(buf, '\0', len) != NULL)
		return RP_E_SYNTAX;
	for (i = 0; i < len; i++)
		nlines += buf[i] == '\n';

	s = a.calloc_fn(1, sizeof *s);
	if (s == NULL)
		return RP_E_NOMEM;
	s->a = a;
	s->cap_ids = table_cap(nlines);
	s->cap_serials = table_cap(nlines);
	s->arena = a.calloc_fn(len + 1, 1);
	s->ids = a.calloc_fn(s->cap_ids, sizeof *s->ids);
	s->serials = a.calloc_fn(s->cap_serials, sizeof *s->serials);
	if (s->arena == NULL || s->ids == NULL || s->serials == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	if (getrandom(&s->seed, sizeof s->seed, GRND_NONBLOCK) !=
	    (ssize_t)sizeof s->seed)
		s->seed = (uint64_t)(uintptr_t)s ^ (uint64_t)len;
	memcpy(s->arena, buf, len);

	for (p = s->arena; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		*nl = '\0';
		line_no++;
		if (is_end) { /* nothing may follow the trailer */
			rc = RP_E_SYNTAX;
			goto out;
		}
		if (line_no == 1) {
			rc = magic_check(p);
		} else if (line_no == 2) {
			if (strncmp(p, "seq ", 4) != 0 ||
			    !parse_u64(p + 4, &s->seq))
				rc = RP_E_SYNTAX;
		} else {
			rc = parse_record(s, p, &is_end, &end_count);
			records += !is_end;
		}
		if (rc != RP_OK)
			goto out;
	}
	if (!is_end || end_count != records) {
		rc = RP_E_TRUNCATED;
		line_no = 0;
	}
out:
	if (rc != RP_OK) {
		if (err_line != NULL)
			*err_line = line_no;
		rp_broker_snapshot_free(s);
		s = NULL;
	}
	*out = s;
	return rc;
}

rp_err rp_broker_snapshot_load(const char *path,
                               const struct rp_broker_alloc *alloc,
                               rp_broker_snapshot **out, size_t *err_line)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd = -1;
	rp_err rc;

	if (err_line != NULL)
		*err_line = 0;
	if (out == NULL || path == NULL)
		return RP_E_INVAL;
	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno == ENOENT ? RP_E_NOT_FOUND : RP_E_IO;
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = RP_E_IO;
		goto out;
	}
	if ((uint64_t)st.st_size > RP_BROKER_SNAPSHOT_MAX) {
		rc = RP_E_TOO_BIG;
		goto out;
	}
	buf = rp_malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got != (size_t)st.st_size) {
		rc = RP_E_IO;
		goto out;
	}
	rc = rp_broker_snapshot_parse(buf, got, alloc, out, err_line);
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

/* The entry for id, or NULL. */
static const struct ident *id_find(const rp_broker_snapshot *s, const char *id)
{
	size_t mask, i;

	if (s == NULL || id == NULL)
		return NULL;
	mask = s->cap_ids - 1;
	for (i = hash(s->seed, id) & mask; s->ids[i].key != NULL;
	     i = (i + 1) & mask) {
		if (strcmp(s->ids[i].key, id) == 0)
			return &s->ids[i];
	}
	return NULL;
}

void rp_broker_snapshot_lookup(const rp_broker_snapshot *s, const char *id,
                               enum rp_broker_role *role,
                               enum rp_broker_state *state)
{
	const struct ident *e = id_find(s, id);

	*role = e ? (enum rp_broker_role)e->role : RP_BROKER_ROLE_NONE;
	*state = e ? (enum rp_broker_state)e->state : RP_BROKER_UNKNOWN;
}

void rp_broker_snapshot_decide(const rp_broker_snapshot *s,
                               const struct rp_broker_peer *p,
                               enum rp_broker_role *role,
                               enum rp_broker_state *state)
{
	const struct ident *e = NULL;

	*role = RP_BROKER_ROLE_NONE;
	*state = RP_BROKER_UNKNOWN;
	if (s == NULL || p == NULL || memchr(p->id, '\0', sizeof p->id) == NULL)
		return;
	e = id_find(s, p->id);
	/* The profile names the one table that may grant anything. */
	if (e == NULL || e->role != (unsigned char)p->profile)
		return;
	switch (p->profile) {
	case RP_BROKER_ROLE_DEVICE:
		*role = RP_BROKER_ROLE_DEVICE;
		*state = (enum rp_broker_state)e->state;
		break;
	case RP_BROKER_ROLE_SERVICE:
	case RP_BROKER_ROLE_MONITOR:
		/*
		 * Plain memcmp on purpose: a pin is the hash of a public key,
		 * no secret, so its compare's timing tells an attacker
		 * nothing the certificate does not.
		 */
		if (e->pin != NULL &&
		    memcmp(e->pin, p->pin, RP_BROKER_PIN_LEN) == 0) {
			*role = p->profile;
			*state = RP_BROKER_ACTIVE;
		}
		break;
	case RP_BROKER_ROLE_NONE:
		break;
	}
}

bool rp_broker_snapshot_serial_revoked(const rp_broker_snapshot *s,
                                       const char *serial_hex)
{
	size_t mask, i;

	if (s == NULL || serial_hex == NULL)
		return false;
	mask = s->cap_serials - 1;
	for (i = hash(s->seed, serial_hex) & mask; s->serials[i] != NULL;
	     i = (i + 1) & mask) {
		if (strcmp(s->serials[i], serial_hex) == 0)
			return true;
	}
	return false;
}

uint64_t rp_broker_snapshot_seq(const rp_broker_snapshot *s)
{
	return s ? s->seq : 0;
}

size_t rp_broker_snapshot_count(const rp_broker_snapshot *s, bool serials)
{
	if (s == NULL)
		return 0;
	return serials ? s->n_serials : s->n_ids;
}

/* ---- writer ---------------------------------------------------------- */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *a, const char *c, const char *d)
{
	const char *parts[3] = {a, c, d};
	size_t i, n;

	for (i = 0; i < 3 && !b->oom; i++) {
		if (parts[i] == NULL)
			continue;
		n = strlen(parts[i]);
		if (b->len + n + 1 > b->cap) {
			size_t cap = b->cap ? b->cap : 4096;
			char *np;

			while (cap < b->len + n + 1)
				cap *= 2;
			np = rp_realloc(b->p, cap);
			if (np == NULL) {
				b->oom = true;
				return;
			}
			b->p = np;
			b->cap = cap;
		}
		memcpy(b->p + b->len, parts[i], n);
		b->len += n;
		b->p[b->len] = '\0';
	}
}

rp_err rp_broker_snapshot_encode(const struct rp_broker_fleet *f, char **out,
                                 size_t *len)
{
	struct sbuf b = {0};
	rp_broker_snapshot *check = NULL;
	const struct rp_broker_principal *pr;
	char num[32], hex[PIN_HEX + 1];
	size_t i, records;
	rp_err rc = RP_OK;

	if (out != NULL)
		*out = NULL;
	if (f == NULL || out == NULL || len == NULL ||
	    (f->n_services && f->services == NULL) ||
	    (f->n_monitors && f->monitors == NULL) ||
	    (f->n_devices && f->devices == NULL) ||
	    (f->n_revoked && f->revoked == NULL))
		return RP_E_INVAL;
	snprintf(num, sizeof num, "%llu", (unsigned long long)f->seq);
	sb_add(&b, MAGIC "\nseq ", num, "\n");
	/* services first, then monitors (i < n_services + n_monitors) */
	for (i = 0; i < f->n_services + f->n_monitors; i++) {
		bool svc = i < f->n_services;

		pr = svc ? &f->services[i] : &f->monitors[i - f->n_services];
		if (pr->id == NULL || !principal_id_ok(pr->id)) {
			rc = RP_E_INVAL;
			goto out;
		}
		pin_hex(pr->pin, hex);
		sb_add(&b, svc ? "service " : "monitor ", pr->id, " ");
		sb_add(&b, hex, "\n", NULL);
	}
	for (i = 0; i < f->n_devices; i++) {
		const struct rp_broker_device *d = &f->devices[i];

		if (d->id == NULL ||
		    rp_broker_device_id_check(d->id, strlen(d->id), NULL, 0) !=
		        RP_OK ||
		    d->state < RP_BROKER_ACTIVE ||
		    d->state > RP_BROKER_DECOMMISSIONED) {
			rc = RP_E_INVAL;
			goto out;
		}
		sb_add(&b, "device ", d->id, " ");
		sb_add(&b, rp_broker_state_name(d->state), "\n", NULL);
	}
	for (i = 0; i < f->n_revoked; i++) {
		if (f->revoked[i] == NULL || !serial_valid(f->revoked[i])) {
			rc = RP_E_INVAL;
			goto out;
		}
		sb_add(&b, "revoked-serial ", f->revoked[i], "\n");
	}
	records = f->n_services + f->n_monitors + f->n_devices + f->n_revoked;
	snprintf(num, sizeof num, "%zu", records);
	sb_add(&b, "end ", num, "\n");
	if (b.oom) {
		rc = RP_E_NOMEM;
		goto out;
	}
	/* What we write must be what the plugin reads (duplicates, limits). */
	rc = rp_broker_snapshot_parse(b.p, b.len, NULL, &check, NULL);
	rp_broker_snapshot_free(check);
out:
	if (rc != RP_OK) {
		free(b.p);
		return rc;
	}
	*out = b.p;
	*len = b.len;
	return RP_OK;
}

rp_err rp_broker_snapshot_write(const char *path,
                                const struct rp_broker_fleet *f, unsigned mode)
{
	char *text = NULL;
	size_t len = 0;
	rp_err rc;

	if (path == NULL || (mode & ~0777u) != 0)
		return RP_E_INVAL;
	rc = rp_broker_snapshot_encode(f, &text, &len);
	if (rc != RP_OK)
		goto out;
	rc = rp_file_write_atomic(path, text, len, mode);
out:
	free(text);
	return rc;
}
