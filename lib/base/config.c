/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c - the strict "key = value" configuration reader (see config.h
 * and docs/config-format.md). One pass over the text, no allocation but the
 * per-key bookkeeping and the STRING values handed to the caller.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rampart/alloc.h"
#include "rampart/config.h"
#include "rampart/mem.h"

struct parser {
	const struct rp_config_key *keys;
	size_t nkeys;
	void *out;
	struct rp_config_diag *diag;
	const char *name;
	unsigned *key_line;  /* per key: line where set, 0 if not */
	unsigned *sect_line; /* per key: line of its section header */
	const char *section; /* current section ("" at top) */
	size_t section_len;
	unsigned line;
};

static void diag_set(struct rp_config_diag *d, const char *name, unsigned line,
                     const char *fmt, ...) RP_PRINTF(4, 5);

static void diag_set(struct rp_config_diag *d, const char *name, unsigned line,
                     const char *fmt, ...)
{
	va_list ap;

	if (d == NULL)
		return;
	snprintf(d->file, sizeof d->file, "%s", name ? name : "(config)");
	d->line = line;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof d->msg, fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(d->text, sizeof d->text, "%s:%u: %s", d->file, line,
		         d->msg);
	else
		snprintf(d->text, sizeof d->text, "%s: %s", d->file, d->msg);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_name_char(char c, bool section)
{
	if ((c >= 'a' && c <= 'z') || is_digit(c) || c == '_')
		return true;
	return section && (c == '-' || c == '.');
}

static bool name_eq(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && memcmp(a, b, alen) == 0;
}

/* Field of key k inside the caller's struct. */
static void *field(const struct parser *p, size_t k)
{
	return (char *)p->out + p->keys[k].offset;
}

/*
 * Parse an unsigned decimal prefix of s[0..len) into *v (no overflow past
 * INT64_MAX). *used gets the digit count; false on overflow or no digits.
 */
static bool parse_digits(const char *s, size_t len, int64_t *v, size_t *used)
{
	int64_t acc = 0;
	size_t i = 0;

	while (i < len && is_digit(s[i])) {
		int d = s[i] - '0';
		if (acc > (INT64_MAX - d) / 10)
			return false;
		acc = acc * 10 + d;
		i++;
	}
	*v = acc;
	*used = i;
	return i > 0;
}

static bool in_range(const struct rp_config_key *k, int64_t v)
{
	if (k->min == 0 && k->max == 0)
		return true;
	return v >= k->min && v <= k->max;
}

/* Parse a number with one of the given suffixes (each with a multiplier). */
static bool parse_scaled(const char *s, size_t len, const char *const *units,
                         const int64_t *mult, int64_t *out)
{
	int64_t v;
	size_t used, i;

	if (!parse_digits(s, len, &v, &used))
		return false;
	if (used == len) {
		*out = v;
		return true;
	}
	for (i = 0; units[i] != NULL; i++) {
		if (name_eq(s + used, len - used, units[i])) {
			if (v > INT64_MAX / mult[i])
				return false;
			*out = v * mult[i];
			return true;
		}
	}
	return false;
}

static rp_err set_value(struct parser *p, size_t k, const char *v, size_t len)
{
	static const char *const dur_units[] = {"s", "m", "h", "d", NULL};
	static const int64_t dur_mult[] = {1, 60, 3600, 86400};
	static const char *const size_units[] = {"B", "KiB", "MiB", "GiB",
	                                         NULL};
	static const int64_t size_mult[] = {1, 1024, 1024 * 1024,
	                                    1024 * 1024 * 1024};
	static const char *const truths[] = {"true", "yes", "on", "1"};
	static const char *const lies[] = {"false", "no", "off", "0"};
	const struct rp_config_key *key = &p->keys[k];
	bool secret = (key->flags & RP_CONFIG_SECRET) != 0;
	int shown = len > 64 ? 64 : (int)len;
	const char *what = "";
	int64_t n = 0;
	size_t i, used;
	char *copy;

	switch (key->type) {
	case RP_CONFIG_STRING:
		copy = rp_malloc(len + 1);
		if (copy == NULL)
			return RP_E_NOMEM;
		memcpy(copy, v, len);
		copy[len] = '\0';
		*(char **)field(p, k) = copy;
		return RP_OK;
	case RP_CONFIG_BOOL:
		for (i = 0; i < 4; i++) {
			if (name_eq(v, len, truths[i]) ||
			    name_eq(v, len, lies[i])) {
				*(int *)field(p, k) =
				    name_eq(v, len, truths[i]);
				return RP_OK;
			}
		}
		what = "expected true or false";
		goto bad;
	case RP_CONFIG_ENUM:
		for (i = 0; key->choices != NULL && key->choices[i] != NULL;
		     i++) {
			if (name_eq(v, len, key->choices[i])) {
				*(int *)field(p, k) = (int)i;
				return RP_OK;
			}
		}
		what = "not one of the allowed values";
		goto bad;
	case RP_CONFIG_INT:
		if (len > 0 && v[0] == '-') {
			if (!parse_digits(v + 1, len - 1, &n, &used) ||
			    used != len - 1)
				goto bad_int;
			n = -n;
		} else if (!parse_digits(v, len, &n, &used) || used != len) {
			goto bad_int;
		}
		if (!in_range(key, n))
			goto bad_range;
		*(int64_t *)field(p, k) = n;
		return RP_OK;
	case RP_CONFIG_DURATION:
		if (!parse_scaled(v, len, dur_units, dur_mult, &n)) {
			what =
			    "expected a duration such as 30s, 15m, 2h or 90d";
			goto bad;
		}
		if (!in_range(key, n))
			goto bad_range;
		*(int64_t *)field(p, k) = n;
		return RP_OK;
	case RP_CONFIG_SIZE:
		if (!parse_scaled(v, len, size_units, size_mult, &n)) {
			what = "expected a size such as 512, 64KiB or 10MiB";
			goto bad;
		}
		if (!in_range(key, n))
			goto bad_range;
		*(int64_t *)field(p, k) = n;
		return RP_OK;
	}
	return RP_E_INTERNAL;

bad_int:
	what = "expected an integer";
	goto bad;
bad_range:
	diag_set(p->diag, p->name, p->line, "%s: value out of range %lld..%lld",
	         key->name, (long long)key->min, (long long)key->max);
	return RP_E_CONFIG_BAD_VALUE;
bad:
	if (secret)
		diag_set(p->diag, p->name, p->line, "%s: bad value (%s)",
		         key->name, what);
	else
		diag_set(p->diag, p->name, p->line,
		         "%s: bad value '%.*s'%s (%s)", key->name, shown, v,
		         (size_t)shown < len ? "..." : "", what);
	return RP_E_CONFIG_BAD_VALUE;
}

static rp_err parse_section(struct parser *p, const char *s, size_t len)
{
	size_t i, k;
	bool known = false;
	const char *name;
	size_t nlen;

	if (len < 2 || s[len - 1] != ']') {
		diag_set(p->diag, p->name, p->line,
		         "section header must be [name]");
		return RP_E_SYNTAX;
	}
	name = s + 1;
	nlen = len - 2;
	while (nlen > 0 && is_space(name[0])) {
		name++;
		nlen--;
	}
	while (nlen > 0 && is_space(name[nlen - 1]))
		nlen--;
	for (i = 0; i < nlen; i++) {
		if (!is_name_char(name[i], true))
			break;
	}
	if (nlen == 0 || i != nlen) {
		diag_set(p->diag, p->name, p->line,
		         "bad section name (use a-z, 0-9, _, - and .)");
		return RP_E_SYNTAX;
	}
	for (k = 0; k < p->nkeys; k++) {
		if (!name_eq(name, nlen, p->keys[k].section))
			continue;
		known = true;
		if (p->sect_line[k] != 0) {
			diag_set(p->diag, p->name, p->line,
			         "section [%.*s] already started on line %u",
			         (int)nlen, name, p->sect_line[k]);
			return RP_E_CONFIG_DUPLICATE;
		}
		p->sect_line[k] = p->line;
	}
	if (!known) {
		diag_set(p->diag, p->name, p->line, "unknown section [%.*s]",
		         (int)nlen, name);
		return RP_E_CONFIG_UNKNOWN_SECTION;
	}
	p->section = name;
	p->section_len = nlen;
	return RP_OK;
}

/*
 * Unquote a "..." value in place into buf (cap >= len). Escapes: \" and
 * \\ only. Returns the length or -1 on a syntax error.
 */
static long unquote(const char *v, size_t len, char *buf)
{
	size_t i, o = 0;

	if (len < 2 || v[len - 1] != '"')
		return -1;
	for (i = 1; i < len - 1; i++) {
		if (v[i] == '"')
			return -1;
		if (v[i] == '\\') {
			if (i + 1 >= len - 1 ||
			    (v[i + 1] != '"' && v[i + 1] != '\\'))
				return -1;
			i++;
		}
		buf[o++] = v[i];
	}
	return (long)o;
}

static rp_err parse_pair(struct parser *p, const char *s, size_t len)
{
	char buf[RP_CONFIG_MAX_LINE];
	const char *eq = memchr(s, '=', len);
	const char *v;
	size_t klen, vlen, i, k;
	long ulen;
	rp_err rc;

	if (eq == NULL) {
		diag_set(p->diag, p->name, p->line, "expected key = value");
		return RP_E_SYNTAX;
	}
	klen = (size_t)(eq - s);
	while (klen > 0 && is_space(s[klen - 1]))
		klen--;
	for (i = 0; i < klen && is_name_char(s[i], false); i++)
		;
	if (klen == 0 || i != klen) {
		diag_set(p->diag, p->name, p->line,
		         "bad key name (use a-z, 0-9 and _)");
		return RP_E_SYNTAX;
	}
	v = eq + 1;
	vlen = len - (size_t)(v - s);
	while (vlen > 0 && is_space(v[0])) {
		v++;
		vlen--;
	}
	for (k = 0; k < p->nkeys; k++) {
		if (name_eq(p->section, p->section_len, p->keys[k].section) &&
		    name_eq(s, klen, p->keys[k].name))
			break;
	}
	if (k == p->nkeys) {
		if (p->section_len == 0)
			diag_set(p->diag, p->name, p->line,
			         "unknown key '%.*s'", (int)klen, s);
		else
			diag_set(p->diag, p->name, p->line,
			         "unknown key '%.*s' in section [%.*s]",
			         (int)klen, s, (int)p->section_len, p->section);
		return RP_E_CONFIG_UNKNOWN_KEY;
	}
	if (p->key_line[k] != 0) {
		diag_set(p->diag, p->name, p->line,
		         "key '%s' already set on line %u", p->keys[k].name,
		         p->key_line[k]);
		return RP_E_CONFIG_DUPLICATE;
	}
	if (vlen > 0 && v[0] == '"') {
		ulen = unquote(v, vlen, buf);
		if (ulen < 0) {
			diag_set(p->diag, p->name, p->line,
			         "%s: bad quoted value (only \\\" and \\\\ "
			         "escapes, closing quote at the end)",
			         p->keys[k].name);
			rp_wipe(buf, sizeof buf);
			return RP_E_SYNTAX;
		}
		v = buf;
		vlen = (size_t)ulen;
	} else if (memchr(v, '"', vlen) != NULL) {
		diag_set(p->diag, p->name, p->line,
		         "%s: a quote inside an unquoted value",
		         p->keys[k].name);
		return RP_E_SYNTAX;
	}
	rc = set_value(p, k, v, vlen);
	rp_wipe(buf, sizeof buf);
	if (rc == RP_OK)
		p->key_line[k] = p->line;
	return rc;
}

static rp_err parse_line(struct parser *p, const char *s, size_t len)
{
	size_t i;

	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (len > RP_CONFIG_MAX_LINE) {
		diag_set(p->diag, p->name, p->line, "line longer than %d bytes",
		         RP_CONFIG_MAX_LINE);
		return RP_E_TOO_BIG;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			diag_set(p->diag, p->name, p->line,
			         "control character 0x%02x in line", c);
			return RP_E_SYNTAX;
		}
	}
	while (len > 0 && is_space(s[0])) {
		s++;
		len--;
	}
	while (len > 0 && is_space(s[len - 1]))
		len--;
	if (len == 0 || s[0] == '#')
		return RP_OK;
	if (s[0] == '[')
		return parse_section(p, s, len);
	return parse_pair(p, s, len);
}

void rp_config_free(const struct rp_config_key *keys, size_t nkeys, void *out)
{
	size_t k;

	if (keys == NULL || out == NULL)
		return;
	for (k = 0; k < nkeys; k++) {
		char **sp;
		if (keys[k].type != RP_CONFIG_STRING)
			continue;
		sp = (char **)((char *)out + keys[k].offset);
		if (*sp != NULL && (keys[k].flags & RP_CONFIG_SECRET))
			rp_wipe(*sp, strlen(*sp));
		free(*sp);
		*sp = NULL;
	}
}

static rp_err finish(struct parser *p)
{
	size_t k;

	for (k = 0; k < p->nkeys; k++) {
		const struct rp_config_key *key = &p->keys[k];
		char **sp;

		if (p->key_line[k] != 0)
			continue;
		if (key->flags & RP_CONFIG_REQUIRED) {
			if (key->section[0] == '\0')
				diag_set(p->diag, p->name, 0,
				         "missing required key '%s'",
				         key->name);
			else
				diag_set(p->diag, p->name, 0,
				         "missing required key '%s' in [%s]",
				         key->name, key->section);
			return RP_E_CONFIG_MISSING;
		}
		if (key->type == RP_CONFIG_STRING && key->def != NULL) {
			sp = (char **)field(p, k);
			*sp = rp_strdup(key->def);
			if (*sp == NULL)
				return RP_E_NOMEM;
		}
	}
	return RP_OK;
}

rp_err rp_config_parse(const struct rp_config_key *keys, size_t nkeys,
                       const char *text, size_t len, const char *name,
                       void *out, struct rp_config_diag *diag)
{
	struct parser p;
	size_t pos = 0;
	rp_err rc = RP_OK;

	memset(&p, 0, sizeof p);
	if (keys == NULL || out == NULL || (text == NULL && len > 0))
		return RP_E_INVAL;
	if (diag != NULL)
		memset(diag, 0, sizeof *diag);
	p.keys = keys;
	p.nkeys = nkeys;
	p.out = out;
	p.diag = diag;
	p.name = name;
	p.section = "";
	if (len > RP_CONFIG_MAX_BYTES) {
		diag_set(diag, name, 0, "file larger than %d bytes",
		         RP_CONFIG_MAX_BYTES);
		return RP_E_TOO_BIG;
	}
	p.key_line = rp_calloc(nkeys + 1, sizeof *p.key_line);
	p.sect_line = rp_calloc(nkeys + 1, sizeof *p.sect_line);
	if (p.key_line == NULL || p.sect_line == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;

		p.line++;
		if (memchr(text + pos, '\0', end - pos) != NULL) {
			diag_set(diag, name, p.line, "NUL byte in line");
			rc = RP_E_SYNTAX;
			goto out;
		}
		rc = parse_line(&p, text + pos, end - pos);
		if (rc != RP_OK)
			goto out;
		pos = end + 1;
	}
	rc = finish(&p);
out:
	if (rc != RP_OK) {
		/* every error says why, running out of memory too */
		if (diag != NULL && diag->text[0] == '\0')
			diag_set(diag, name, p.line, "%s", rp_strerror(rc));
		rp_config_free(keys, nkeys, out);
	}
	free(p.key_line);
	free(p.sect_line);
	return rc;
}

rp_err rp_config_load(const struct rp_config_key *keys, size_t nkeys,
                      const char *path, void *out, struct rp_config_diag *diag)
{
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	ssize_t n;
	int fd = -1;
	rp_err rc;

	if (path == NULL)
		return RP_E_INVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0) {
		diag_set(diag, path, 0, "cannot open: %s", strerror(errno));
		rc = errno == ENOENT ? RP_E_NOT_FOUND : RP_E_IO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_set(diag, path, 0, "not a regular file");
		rc = RP_E_IO;
		goto out;
	}
	if (st.st_size > RP_CONFIG_MAX_BYTES) {
		diag_set(diag, path, 0, "file larger than %d bytes",
		         RP_CONFIG_MAX_BYTES);
		rc = RP_E_TOO_BIG;
		goto out;
	}
	buf = rp_malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	/* Read to EOF but never past the limit, even if the file grows. */
	while (len <= (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			diag_set(diag, path, 0, "read failed: %s",
			         strerror(errno));
			rc = RP_E_IO;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > (size_t)st.st_size) {
		diag_set(diag, path, 0, "file changed while being read");
		rc = RP_E_IO;
		goto out;
	}
	rc = rp_config_parse(keys, nkeys, buf, len, path, out, diag);
out:
	if (buf != NULL) {
		rp_wipe(buf, len);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}
