/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keystore.c - the keystore front: the spec-string parser, dispatch to the
 * back-ends, certificate and chain storage beside the key (PEM files in the
 * spec's folder), the SSL_CTX helper, and the file helpers the back-ends
 * share (atomic write, private read, shred). docs/keystore.md describes
 * the spec grammar and the guarantees.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "keystore_int.h"
#include "base/p11_int.h"
#include "rampart/alloc.h"
#include "rampart/file.h"
#include "rampart/id.h"
#include "rampart/log.h"
#include "rampart/mem.h"

#define CERT_FILE  "cert.pem"
#define CHAIN_FILE "chain.pem"
#define CERT_MAX   (64 * 1024)
#define PIN_MAX    64

/* ---- spec parsing ---------------------------------------------------- */

struct span {
	const char *p;
	size_t n;
};

static bool span_eq(struct span s, const char *lit)
{
	return strlen(lit) == s.n && memcmp(s.p, lit, s.n) == 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Copy a value into dst (cap bytes with the NUL). Refuses empty values,
 * NUL bytes, values that do not fit, and a field set twice.
 */
static rp_err set_val(char *dst, size_t cap, struct span v)
{
	if (dst[0] != '\0' || v.n == 0 || v.n >= cap ||
	    memchr(v.p, '\0', v.n) != NULL)
		return RP_E_KEYSTORE_SPEC;
	memcpy(dst, v.p, v.n);
	dst[v.n] = '\0';
	return RP_OK;
}

/* Split s at the first sep: *head gets the part before, s the rest. */
static bool split(struct span *s, char sep, struct span *head)
{
	const char *q = memchr(s->p, sep, s->n);

	if (q == NULL) {
		*head = *s;
		s->p += s->n;
		s->n = 0;
		return false;
	}
	head->p = s->p;
	head->n = (size_t)(q - s->p);
	s->n -= head->n + 1;
	s->p = q + 1;
	return true;
}

/* "name=value" into name and value; false without '='. */
static bool attr(struct span a, struct span *name, struct span *val)
{
	*val = a;
	return split(val, '=', name);
}

static rp_err parse_handle(struct span v, uint32_t *out)
{
	unsigned long long h = 0;
	size_t i = 0;
	int base = 10;

	if (v.n > 2 && v.p[0] == '0' && (v.p[1] == 'x' || v.p[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == v.n || v.n - i > 10)
		return RP_E_KEYSTORE_SPEC;
	for (; i < v.n; i++) {
		int d = hexval(v.p[i]);

		if (d < 0 || d >= base)
			return RP_E_KEYSTORE_SPEC;
		h = h * (unsigned)base + (unsigned)d;
	}
	/* TPM 2.0 Part 2, 7.5: owner persistent handles 0x81000000.. */
	if (h < 0x81000000ull || h > 0x81ffffffull)
		return RP_E_KEYSTORE_SPEC;
	*out = (uint32_t)h;
	return RP_OK;
}

static rp_err parse_file(struct span s, struct rp_keystore_spec *o)
{
	struct span a, name, val;
	rp_err rc;
	bool more = split(&s, ';', &a);

	rc = set_val(o->dir, sizeof o->dir, a);
	while (rc == RP_OK && more) {
		more = split(&s, ';', &a);
		if (!attr(a, &name, &val))
			return RP_E_KEYSTORE_SPEC;
		if (span_eq(name, "kek"))
			rc = set_val(o->kek, sizeof o->kek, val);
		else
			rc = RP_E_KEYSTORE_SPEC;
	}
	if (rc == RP_OK && o->kek[0] == '\0') {
		int n = snprintf(o->kek, sizeof o->kek, "%s/kek", o->dir);

		if (n < 0 || (size_t)n >= sizeof o->kek)
			rc = RP_E_KEYSTORE_SPEC;
	}
	return rc;
}

static rp_err parse_tpm(struct span s, struct rp_keystore_spec *o)
{
	struct span a, name, val;
	rp_err rc = RP_OK;
	bool more = true, have_handle = false;

	while (rc == RP_OK && more) {
		more = split(&s, ';', &a);
		if (!attr(a, &name, &val))
			return RP_E_KEYSTORE_SPEC;
		if (span_eq(name, "handle") && !have_handle) {
			rc = parse_handle(val, &o->handle);
			have_handle = true;
		} else if (span_eq(name, "dir")) {
			rc = set_val(o->dir, sizeof o->dir, val);
		} else if (span_eq(name, "tcti")) {
			rc = set_val(o->tcti, sizeof o->tcti, val);
		} else {
			rc = RP_E_KEYSTORE_SPEC;
		}
	}
	if (rc == RP_OK && (!have_handle || o->dir[0] == '\0'))
		rc = RP_E_KEYSTORE_SPEC;
	return rc;
}

/* RFC 7512: pkcs11:path-attrs[?query-attrs]. */
/*
 * The attribute names of a pkcs11: spec, before p11-kit decodes it: in
 * the path only token, object and type; each name (path and query) once.
 * p11-kit would take a repeated one's last value and read, say, serial=
 * as a constraint the keystore does not apply.
 */
static bool pkcs11_names_ok(struct span s)
{
	static const char *const path_names[] = {"token", "object", "type"};
	struct span part, a, name, val, seen[16];
	size_t nseen = 0, i;
	bool query = false, more;

	do {
		more = split(&s, '?', &part);
		while (part.n > 0) {
			split(&part, query ? '&' : ';', &a);
			if (!attr(a, &name, &val))
				return false;
			for (i = 0; !query && i < 3; i++)
				if (span_eq(name, path_names[i]))
					break;
			if (!query && i == 3)
				return false;
			for (i = 0; i < nseen; i++)
				if (seen[i].n == name.n &&
				    memcmp(seen[i].p, name.p, name.n) == 0)
					return false;
			if (nseen == sizeof seen / sizeof seen[0])
				return false;
			seen[nseen++] = name;
		}
		query = true;
	} while (more && s.n > 0);
	return !more || s.n == 0;
}

/* A fixed-width, blank-padded PKCS#11 string (len bytes) into dst[cap];
 * empty when it was not in the URI (p11-kit leaves it zero). */
static rp_err padded(char *dst, size_t cap, const CK_UTF8CHAR *v, size_t len)
{
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\0'))
		len--;
	if (len >= cap || memchr(v, '\0', len) != NULL)
		return RP_E_KEYSTORE_SPEC;
	memcpy(dst, v, len);
	dst[len] = '\0';
	return RP_OK;
}

/* A decoded URI value into dst[cap]: present, not empty, fits. */
static rp_err uri_val(char *dst, size_t cap, const char *v)
{
	if (v == NULL || v[0] == '\0' || strlen(v) >= cap)
		return RP_E_KEYSTORE_SPEC;
	memcpy(dst, v, strlen(v) + 1);
	return RP_OK;
}

/*
 * pkcs11:token=T;object=O[;type=private]?module-path=M&(pin-value=P|
 * pin-source=F)&x-dir=D: an RFC 7512 URI, decoded by p11-kit
 * (lib/base/p11.c), with the keystore's own vendor attribute x-dir.
 */
static rp_err parse_pkcs11(const char *spec, size_t len,
                           struct rp_keystore_spec *o)
{
	static const char *const query[] = {"module-path", "pin-value",
	                                    "pin-source", "x-dir", NULL};
	struct span s = {spec + 7, len - 7};
	char buf[RP_P11_URI_MAX + 1]; /* may hold the PIN: wiped */
	P11KitUri *u = NULL;
	CK_TOKEN_INFO *ti;
	CK_ATTRIBUTE *label;
	const char *pin, *src;
	rp_err rc = RP_E_KEYSTORE_SPEC;

	if (len > RP_P11_URI_MAX || !pkcs11_names_ok(s))
		goto out;
	memcpy(buf, spec, len);
	buf[len] = '\0';
	rc = rp_p11_uri_parse(buf, query, &u);
	if (rc != RP_OK) {
		rc = rc == RP_E_NOMEM ? rc : RP_E_KEYSTORE_SPEC;
		goto out;
	}
	rc = RP_E_KEYSTORE_SPEC;
	ti = p11_kit_uri_get_token_info(u);
	label = p11_kit_uri_get_attribute(u, CKA_LABEL);
	if (ti == NULL || label == NULL || label->ulValueLen == 0 ||
	    label->ulValueLen >= sizeof o->object)
		goto out;
	if (padded(o->token, sizeof o->token, ti->label, sizeof ti->label) !=
	        RP_OK ||
	    o->token[0] == '\0')
		goto out;
	memcpy(o->object, label->pValue, label->ulValueLen);
	o->object[label->ulValueLen] = '\0';
	if (uri_val(o->module, sizeof o->module,
	            p11_kit_uri_get_module_path(u)) != RP_OK ||
	    uri_val(o->dir, sizeof o->dir,
	            p11_kit_uri_get_vendor_query(u, "x-dir")) != RP_OK)
		goto out;
	/* exactly one way to get the PIN */
	pin = p11_kit_uri_get_pin_value(u);
	src = p11_kit_uri_get_pin_source(u);
	if ((pin != NULL) == (src != NULL))
		goto out;
	if (pin != NULL && uri_val(o->pin, sizeof o->pin, pin) != RP_OK)
		goto out;
	if (src != NULL &&
	    uri_val(o->pin_source, sizeof o->pin_source, src) != RP_OK)
		goto out;
	rc = RP_OK;
out:
	rp_p11_uri_free(u);
	rp_wipe(buf, sizeof buf);
	return rc;
}

rp_err rp_keystore_spec_parse(const char *spec, size_t len,
                              struct rp_keystore_spec *out)
{
	struct span s = {spec, len};
	rp_err rc;

	if (spec == NULL || out == NULL)
		return RP_E_INVAL;
	memset(out, 0, sizeof *out);
	if (len > RP_KEYSTORE_SPEC_MAX || memchr(spec, '\0', len) != NULL) {
		rc = RP_E_KEYSTORE_SPEC;
		goto out;
	}
	if (len > 5 && memcmp(spec, "file:", 5) == 0) {
		out->kind = RP_KEYSTORE_FILE;
		s.p += 5;
		s.n -= 5;
		rc = parse_file(s, out);
	} else if (len > 7 && memcmp(spec, "pkcs11:", 7) == 0) {
		out->kind = RP_KEYSTORE_PKCS11;
		rc = parse_pkcs11(spec, len, out);
	} else if (len > 4 && memcmp(spec, "tpm:", 4) == 0) {
		out->kind = RP_KEYSTORE_TPM;
		s.p += 4;
		s.n -= 4;
		rc = parse_tpm(s, out);
	} else {
		rc = RP_E_KEYSTORE_SPEC;
	}
out:
	if (rc != RP_OK)
		rp_wipe(out, sizeof *out);
	return rc;
}

/* ---- file helpers ----------------------------------------------------- */

rp_err ks_write_file(const char *path, const void *data, size_t len, int mode,
                     bool excl)
{
	if (excl)
		return rp_file_create_atomic(path, data, len, (unsigned)mode);
	return rp_file_write_atomic(path, data, len, (unsigned)mode);
}

rp_err ks_read_file(const char *path, uint8_t *buf, size_t max, size_t *len,
                    bool private_file)
{
	struct stat st;
	size_t got = 0;
	int fd;
	rp_err rc = RP_OK;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? RP_E_NOT_FOUND : RP_E_IO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = RP_E_IO;
		goto out;
	}
	if (private_file && (st.st_mode & 077) != 0) {
		rc = RP_E_KEYSTORE_MODE;
		goto out;
	}
	if ((uintmax_t)st.st_size > max) {
		rc = RP_E_TOO_BIG;
		goto out;
	}
	while (got < max) {
		ssize_t r = read(fd, buf + got, max - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = RP_E_IO;
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	*len = got;
out:
	close(fd);
	return rc;
}

rp_err ks_shred(const char *path)
{
	uint8_t block[4096];
	struct stat st;
	int fd, pass;
	rp_err rc = RP_OK;

	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? RP_OK : RP_E_IO;
	if (fstat(fd, &st) != 0) {
		rc = RP_E_IO;
		goto out;
	}
	/* Pass 0 writes random bytes, pass 1 zeros; each reaches the disk. */
	for (pass = 0; pass < 2 && rc == RP_OK; pass++) {
		off_t done = 0;

		if (lseek(fd, 0, SEEK_SET) != 0) {
			rc = RP_E_IO;
			break;
		}
		while (done < st.st_size && rc == RP_OK) {
			size_t n = sizeof block;

			if ((off_t)n > st.st_size - done)
				n = (size_t)(st.st_size - done);
			if (pass == 0)
				randombytes_buf(block, n);
			else
				memset(block, 0, n);
			rc = rp_file_write_all(fd, block, n);
			done += (off_t)n;
		}
		if (rc == RP_OK && fsync(fd) != 0)
			rc = RP_E_IO;
	}
out:
	close(fd);
	if (unlink(path) != 0 && rc == RP_OK)
		rc = RP_E_IO;
	(void)rp_file_sync_dir(path);
	return rc;
}

bool ks_pubkey_eq(EVP_PKEY *a, EVP_PKEY *b)
{
	unsigned char *da = NULL, *db = NULL;
	int na, nb;
	bool eq;

	na = i2d_PUBKEY(a, &da);
	nb = i2d_PUBKEY(b, &db);
	eq = na > 0 && na == nb && memcmp(da, db, (size_t)na) == 0;
	OPENSSL_free(da);
	OPENSSL_free(db);
	return eq;
}

/* ---- front ------------------------------------------------------------ */

/* Read the PIN named by pin-source (a path or a file: URI). */
static rp_err load_pin(struct rp_keystore_spec *s)
{
	uint8_t buf[PIN_MAX + 2];
	const char *path = s->pin_source;
	size_t len = 0;
	rp_err rc;

	if (strncmp(path, "file:", 5) == 0)
		path += 5;
	rc = ks_read_file(path, buf, sizeof buf - 1, &len, true);
	if (rc == RP_E_TOO_BIG)
		rc = RP_E_KEYSTORE_SPEC;
	if (rc != RP_OK)
		goto out;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	if (len == 0 || len >= sizeof s->pin || memchr(buf, 0, len) != NULL) {
		rc = RP_E_KEYSTORE_SPEC;
		goto out;
	}
	memcpy(s->pin, buf, len);
	s->pin[len] = '\0';
out:
	rp_wipe(buf, sizeof buf);
	return rc;
}

rp_err rp_keystore_open(const char *spec, rp_keystore **out)
{
	rp_keystore *ks = NULL;
	rp_err rc;

	if (spec == NULL || out == NULL)
		return RP_E_INVAL;
	*out = NULL;
	ks = rp_calloc(1, sizeof *ks);
	if (ks == NULL)
		return RP_E_NOMEM;
	rc = rp_keystore_spec_parse(spec, strlen(spec), &ks->spec);
	if (rc != RP_OK)
		goto out;
	switch (ks->spec.kind) {
	case RP_KEYSTORE_FILE:
		ks->ops = &ks_file_ops;
		break;
	case RP_KEYSTORE_PKCS11:
		ks->ops = &ks_pkcs11_ops;
		if (ks->spec.pin_source[0] != '\0')
			rc = load_pin(&ks->spec);
		break;
	case RP_KEYSTORE_TPM:
		ks->ops = &ks_tpm_ops;
		break;
	}
	if (rc == RP_OK)
		*out = ks;
out:
	if (rc != RP_OK)
		rp_keystore_close(ks);
	return rc;
}

void rp_keystore_close(rp_keystore *ks)
{
	if (ks == NULL)
		return;
	rp_wipe(&ks->spec, sizeof ks->spec);
	free(ks);
}

enum rp_keystore_kind rp_keystore_kind(const rp_keystore *ks)
{
	return ks->spec.kind;
}

rp_err rp_keystore_generate(rp_keystore *ks)
{
	if (ks == NULL)
		return RP_E_INVAL;
	if (mkdir(ks->spec.dir, 0700) != 0 && errno != EEXIST) {
		/* Only the last component is made: a missing parent is
		 * more likely a typo than a wish. */
		rp_log_error("keystore: cannot create directory %s: %s",
		             ks->spec.dir, strerror(errno));
		return RP_E_IO;
	}
	return ks->ops->generate(ks);
}

bool rp_keystore_has_key(rp_keystore *ks)
{
	return ks != NULL && ks->ops->has_key(ks);
}

rp_err rp_keystore_key(rp_keystore *ks, EVP_PKEY **out)
{
	if (ks == NULL || out == NULL)
		return RP_E_INVAL;
	*out = NULL;
	return ks->ops->key(ks, out);
}

static rp_err cert_path(const rp_keystore *ks, const char *name, char *out,
                        size_t cap)
{
	int n = snprintf(out, cap, "%s/%s", ks->spec.dir, name);

	return n < 0 || (size_t)n >= cap ? RP_E_INVAL : RP_OK;
}

/* PEM text of certs, leaf and chain parsed from pem[0..len). */
static rp_err parse_pem_certs(const char *pem, size_t len, X509 **leaf,
                              STACK_OF(X509) * *chain)
{
	BIO *bio = NULL;
	X509 *x = NULL;
	rp_err rc = RP_OK;

	*leaf = NULL;
	*chain = sk_X509_new_null();
	if (*chain == NULL || len > INT_MAX)
		return RP_E_NOMEM;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	for (;;) {
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		if (x == NULL)
			break;
		if (*leaf == NULL) {
			*leaf = x;
		} else if (!sk_X509_push(*chain, x)) {
			X509_free(x);
			rc = RP_E_NOMEM;
			goto out;
		}
	}
	ERR_clear_error();
	if (*leaf == NULL)
		rc = RP_E_KEYSTORE_NO_CERT;
out:
	BIO_free(bio);
	if (rc != RP_OK) {
		X509_free(*leaf);
		*leaf = NULL;
		sk_X509_pop_free(*chain, X509_free);
		*chain = NULL;
	}
	return rc;
}

static rp_err write_pem(const char *path, X509 *first, STACK_OF(X509) * rest)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int i;
	rp_err rc = RP_E_CRYPTO;

	if (bio == NULL)
		return RP_E_NOMEM;
	if (first != NULL && !PEM_write_bio_X509(bio, first))
		goto out;
	for (i = 0; rest != NULL && i < sk_X509_num(rest); i++) {
		if (!PEM_write_bio_X509(bio, sk_X509_value(rest, i)))
			goto out;
	}
	n = BIO_get_mem_data(bio, &data);
	rc = ks_write_file(path, data, n > 0 ? (size_t)n : 0, 0644, false);
out:
	BIO_free(bio);
	return rc;
}

rp_err rp_keystore_cert_store(rp_keystore *ks, const char *pem, size_t len)
{
	char path[PATH_MAX];
	X509 *leaf = NULL;
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *key = NULL;
	rp_err rc;

	if (ks == NULL || pem == NULL)
		return RP_E_INVAL;
	rc = parse_pem_certs(pem, len, &leaf, &chain);
	if (rc != RP_OK)
		goto out;
	rc = rp_keystore_key(ks, &key);
	if (rc != RP_OK)
		goto out;
	if (!ks_pubkey_eq(X509_get0_pubkey(leaf), key)) {
		rc = RP_E_KEYSTORE_CERT;
		goto out;
	}
	/* The chain first: a reader that finds the new leaf finds its chain. */
	rc = cert_path(ks, CHAIN_FILE, path, sizeof path);
	if (rc == RP_OK)
		rc = write_pem(path, NULL, chain);
	if (rc == RP_OK)
		rc = cert_path(ks, CERT_FILE, path, sizeof path);
	if (rc == RP_OK)
		rc = write_pem(path, leaf, NULL);
out:
	EVP_PKEY_free(key);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

static rp_err read_pem_file(const char *path, char **out, size_t *len)
{
	char *buf = rp_malloc(CERT_MAX);
	rp_err rc;

	if (buf == NULL)
		return RP_E_NOMEM;
	rc = ks_read_file(path, (uint8_t *)buf, CERT_MAX, len, false);
	if (rc != RP_OK) {
		free(buf);
		buf = NULL;
	}
	*out = buf;
	return rc;
}

rp_err rp_keystore_cert_load(rp_keystore *ks, X509 **leaf,
                             STACK_OF(X509) * *chain)
{
	char path[PATH_MAX];
	char *pem = NULL, *cpem = NULL;
	size_t len = 0, clen = 0;
	X509 *l = NULL, *x;
	STACK_OF(X509) *rest = NULL, *c = NULL;
	rp_err rc;

	if (ks == NULL || leaf == NULL)
		return RP_E_INVAL;
	*leaf = NULL;
	if (chain != NULL)
		*chain = NULL;
	rc = cert_path(ks, CERT_FILE, path, sizeof path);
	if (rc == RP_OK)
		rc = read_pem_file(path, &pem, &len);
	if (rc == RP_E_NOT_FOUND)
		rc = RP_E_KEYSTORE_NO_CERT;
	if (rc != RP_OK)
		goto out;
	rc = parse_pem_certs(pem, len, &l, &rest);
	if (rc != RP_OK || chain == NULL)
		goto out;
	rc = cert_path(ks, CHAIN_FILE, path, sizeof path);
	if (rc == RP_OK)
		rc = read_pem_file(path, &cpem, &clen);
	if (rc == RP_E_NOT_FOUND) {
		rc = RP_OK;
		clen = 0;
	}
	if (rc != RP_OK)
		goto out;
	if (clen > 0) {
		rc = parse_pem_certs(cpem, clen, &x, &c);
		if (rc != RP_OK)
			goto out;
		if (!sk_X509_insert(c, x, 0)) {
			X509_free(x);
			rc = RP_E_NOMEM;
			goto out;
		}
	} else {
		c = sk_X509_new_null();
		if (c == NULL) {
			rc = RP_E_NOMEM;
			goto out;
		}
	}
	*chain = c;
	c = NULL;
out:
	if (rc == RP_OK) {
		*leaf = l;
		l = NULL;
	}
	X509_free(l);
	sk_X509_pop_free(rest, X509_free);
	sk_X509_pop_free(c, X509_free);
	free(pem);
	free(cpem);
	return rc;
}

/* docs/enrollment.md: the CSR extension carrying the hardware token. */
#define HWTOKEN_OID "2.25.137553760100012191238587036453560585111.2"

/* A CSR's CN is an id (rampart/id.h). */
static bool cn_ok(const char *cn)
{
	return rp_id_valid(cn, strlen(cn));
}

/* The extension request (RFC 2986 5.4.2) with the hardware token. */
static rp_err add_hwtoken(X509_REQ *req, const char *tok)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ext = NULL;
	ASN1_OBJECT *oid = NULL;
	ASN1_UTF8STRING *u = NULL;
	ASN1_OCTET_STRING *val = NULL;
	unsigned char *der = NULL;
	int n;
	rp_err rc = RP_E_CRYPTO;

	oid = OBJ_txt2obj(HWTOKEN_OID, 1);
	u = ASN1_UTF8STRING_new();
	val = ASN1_OCTET_STRING_new();
	exts = sk_X509_EXTENSION_new_null();
	if (oid == NULL || u == NULL || val == NULL || exts == NULL ||
	    !ASN1_STRING_set(u, tok, (int)strlen(tok)))
		goto out;
	n = i2d_ASN1_UTF8STRING(u, &der);
	if (n <= 0 || !ASN1_OCTET_STRING_set(val, der, n))
		goto out;
	ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, val);
	if (ext == NULL || !sk_X509_EXTENSION_push(exts, ext))
		goto out;
	ext = NULL;
	if (!X509_REQ_add_extensions(req, exts))
		goto out;
	rc = RP_OK;
out:
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	OPENSSL_free(der);
	ASN1_OCTET_STRING_free(val);
	ASN1_UTF8STRING_free(u);
	ASN1_OBJECT_free(oid);
	return rc;
}

/*
 * Sign the request with ECDSA-SHA256 by hand rather than X509_REQ_sign:
 * the tpm2 provider writes the AlgorithmIdentifier with a NULL parameter,
 * which RFC 5758 3.2 forbids for ECDSA. Hash and signature are fetched
 * through the default properties (TPM key: tpm2 signs, default hashes).
 */
static rp_err sign_req(X509_REQ *req, EVP_PKEY *key)
{
	EVP_MD_CTX *md = NULL;
	X509_ALGOR *alg = NULL;
	ASN1_BIT_STRING *sig = NULL;
	unsigned char *tbs = NULL, *buf = NULL;
	size_t siglen = 0;
	int tbslen;
	rp_err rc = RP_E_CRYPTO;

	alg = X509_ALGOR_new();
	if (alg == NULL ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(NID_ecdsa_with_SHA256),
	                     V_ASN1_UNDEF, NULL) ||
	    !X509_REQ_set1_signature_algo(req, alg))
		goto out;
	tbslen = i2d_re_X509_REQ_tbs(req, &tbs);
	if (tbslen <= 0)
		goto out;
	md = EVP_MD_CTX_new();
	if (md == NULL ||
	    EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL) !=
	        1 ||
	    EVP_DigestSign(md, NULL, &siglen, tbs, (size_t)tbslen) != 1)
		goto out;
	buf = OPENSSL_malloc(siglen);
	if (buf == NULL ||
	    EVP_DigestSign(md, buf, &siglen, tbs, (size_t)tbslen) != 1)
		goto out;
	sig = ASN1_BIT_STRING_new();
	if (sig == NULL || !ASN1_BIT_STRING_set(sig, buf, (int)siglen))
		goto out;
	/* No unused bits in the signature BIT STRING. */
	sig->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
	sig->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	X509_REQ_set0_signature(req, sig);
	sig = NULL;
	rc = RP_OK;
out:
	ASN1_BIT_STRING_free(sig);
	OPENSSL_free(buf);
	OPENSSL_free(tbs);
	EVP_MD_CTX_free(md);
	X509_ALGOR_free(alg);
	return rc;
}

rp_err rp_keystore_csr(rp_keystore *ks, const char *cn, const char *hwtoken,
                       uint8_t **der, size_t *len)
{
	X509_REQ *req = NULL;
	EVP_PKEY *key = NULL;
	unsigned char *p = NULL;
	int n;
	rp_err rc;

	if (ks == NULL || cn == NULL || der == NULL || len == NULL)
		return RP_E_INVAL;
	*der = NULL;
	*len = 0;
	if (!cn_ok(cn) ||
	    (hwtoken != NULL && (hwtoken[0] == '\0' || strlen(hwtoken) > 256)))
		return RP_E_INVAL;
	rc = rp_keystore_key(ks, &key);
	if (rc != RP_OK)
		goto out;
	rc = RP_E_CRYPTO;
	req = X509_REQ_new();
	if (req == NULL || !X509_REQ_set_version(req, X509_REQ_VERSION_1) ||
	    !X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN",
	                                MBSTRING_ASC, (const unsigned char *)cn,
	                                -1, -1, 0) ||
	    !X509_REQ_set_pubkey(req, key))
		goto out;
	if (hwtoken != NULL && add_hwtoken(req, hwtoken) != RP_OK)
		goto out;
	rc = sign_req(req, key);
	if (rc != RP_OK)
		goto out;
	rc = RP_E_CRYPTO;
	n = i2d_X509_REQ(req, NULL);
	if (n <= 0)
		goto out;
	*der = rp_malloc((size_t)n);
	if (*der == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	p = *der;
	if (i2d_X509_REQ(req, &p) != n) {
		free(*der);
		*der = NULL;
		goto out;
	}
	*len = (size_t)n;
	rc = RP_OK;
out:
	if (rc != RP_OK)
		ERR_clear_error();
	X509_REQ_free(req);
	EVP_PKEY_free(key);
	return rc;
}

rp_err rp_keystore_ssl_ctx_use(rp_keystore *ks, SSL_CTX *ctx)
{
	EVP_PKEY *key = NULL;
	X509 *leaf = NULL;
	STACK_OF(X509) *chain = NULL;
	rp_err rc;

	if (ks == NULL || ctx == NULL)
		return RP_E_INVAL;
	rc = rp_keystore_cert_load(ks, &leaf, &chain);
	if (rc == RP_OK)
		rc = rp_keystore_key(ks, &key);
	if (rc != RP_OK)
		goto out;
	/* SSL_CTX_use_cert_and_key checks that key and certificate match. */
	if (SSL_CTX_use_cert_and_key(ctx, leaf, key, chain, 1) != 1) {
		ERR_clear_error();
		rc = RP_E_KEYSTORE_CERT;
	}
out:
	EVP_PKEY_free(key);
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

rp_err rp_keystore_hw_token(rp_keystore *ks, char *out, size_t cap)
{
	if (ks == NULL || out == NULL)
		return RP_E_INVAL;
	if (ks->spec.kind != RP_KEYSTORE_TPM)
		return RP_E_UNSUPPORTED;
	return ks_tpm_ek_hash(&ks->spec, out, cap);
}

rp_err rp_keystore_erase(rp_keystore *ks)
{
	char path[PATH_MAX];
	rp_err rc, rc2;

	if (ks == NULL)
		return RP_E_INVAL;
	rc = ks->ops->erase(ks);
	rc2 = cert_path(ks, CERT_FILE, path, sizeof path);
	if (rc2 == RP_OK && unlink(path) != 0 && errno != ENOENT)
		rc2 = RP_E_IO;
	if (rc == RP_OK)
		rc = rc2;
	rc2 = cert_path(ks, CHAIN_FILE, path, sizeof path);
	if (rc2 == RP_OK && unlink(path) != 0 && errno != ENOENT)
		rc2 = RP_E_IO;
	if (rc == RP_OK)
		rc = rc2;
	return rc;
}
