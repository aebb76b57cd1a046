/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ca.c - creates, loads and uses the fleet CAs (ca.h, docs/pki.md) with
 * OpenSSL 3: P-256 keys, X.509 v3 certificates with random 128-bit
 * serials, and the issuing CA's CRL.
 */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "rampart/alloc.h"
#include "rampart/file.h"
#include "rampart/keystore.h"
#include "rampart/log.h"

#define YEAR (365LL * 86400)

static const char *const reasons[] = {
    "unspecified",        "keyCompromise",     "cACompromise",
    "affiliationChanged", "superseded",        "cessationOfOperation",
    "certificateHold",    NULL /* 7 unused */, "removeFromCRL",
    "privilegeWithdrawn", "aACompromise",
};

int ca_reason_code(const char *name)
{
	int i;

	for (i = 0; i < (int)(sizeof reasons / sizeof reasons[0]); i++) {
		if (reasons[i] != NULL && strcmp(reasons[i], name) == 0 &&
		    i != 8)
			return i;
	}
	return -1;
}

const char *ca_reason_name(int code)
{
	if (code < 0 || code >= (int)(sizeof reasons / sizeof reasons[0]) ||
	    reasons[code] == NULL)
		return "unspecified";
	return reasons[code];
}

static void ssl_errors(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof buf);
	rp_log_error("pki: %s: %s", what, e ? buf : "failed");
	ERR_clear_error();
}

int64_t ca_time(const ASN1_TIME *t)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

rp_err ca_serial_hex(const X509 *cert, char out[41])
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	rp_err rc = RP_E_CRYPTO;
	size_t i;

	if (hex != NULL && strlen(hex) <= 40) {
		for (i = 0; hex[i]; i++)
			out[i] = (char)((hex[i] >= 'A' && hex[i] <= 'F')
			                    ? hex[i] - 'A' + 'a'
			                    : hex[i]);
		out[i] = '\0';
		rc = RP_OK;
	}
	OPENSSL_free(hex);
	BN_free(bn);
	return rc;
}

char *ca_cert_pem(X509 *cert)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *pem = NULL;
	long n;

	if (b != NULL && PEM_write_bio_X509(b, cert) == 1) {
		n = BIO_get_mem_data(b, &data);
		pem = rp_malloc((size_t)n + 1);
		if (pem != NULL) {
			memcpy(pem, data, (size_t)n);
			pem[n] = '\0';
		}
	}
	BIO_free(b);
	return pem;
}

rp_err ca_write_file(const char *path, const void *data, size_t len, int mode)
{
	rp_err rc = rp_file_write_atomic(path, data, len, (unsigned)mode);

	if (rc != RP_OK)
		rp_log_error("pki: cannot write %s: %s", path, strerror(errno));
	return rc;
}

static EVP_PKEY *gen_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	if (k == NULL)
		ssl_errors("key generation");
	return k;
}

static rp_err write_key(const char *path, EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	long n;
	rp_err rc = RP_E_CRYPTO;

	if (b != NULL &&
	    PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL) == 1) {
		n = BIO_get_mem_data(b, &data);
		rc = ca_write_file(path, data, (size_t)n, 0600);
		OPENSSL_cleanse(data, (size_t)n);
	}
	BIO_free(b);
	return rc;
}

static rp_err write_cert(const char *path, X509 *cert)
{
	char *pem = ca_cert_pem(cert);
	rp_err rc = RP_E_CRYPTO;

	if (pem != NULL)
		rc = ca_write_file(path, pem, strlen(pem), 0644);
	free(pem);
	return rc;
}

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *c = NULL;

	if (f != NULL) {
		c = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (c == NULL)
		rp_log_error("pki: cannot read certificate %s", path);
	return c;
}

static EVP_PKEY *read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = NULL;
	struct stat st;

	if (f != NULL) {
		if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0)
			rp_log_warn("pki: %s is readable by others "
			            "(mode %o); should be 0600",
			            path, (unsigned)(st.st_mode & 0777));
		k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	if (k == NULL)
		rp_log_error("pki: cannot read key %s", path);
	return k;
}

/*
 * A key in a PKCS#11 token, by a librampart keystore spec
 * (docs/keystore.md): the EVP_PKEY is a handle, the key stays inside.
 */
static EVP_PKEY *hsm_key(const char *spec)
{
	rp_keystore *ks = NULL;
	EVP_PKEY *k = NULL;
	rp_err rc = rp_keystore_open(spec, &ks);

	if (rc == RP_OK)
		rc = rp_keystore_key(ks, &k);
	rp_keystore_close(ks);
	if (rc != RP_OK)
		rp_log_error("pki: cannot use the root key in the PKCS#11 "
		             "token: %s",
		             rp_strerror(rc));
	return k;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* 128 random bits as a positive INTEGER (never zero). */
static int set_serial(X509 *cert)
{
	uint8_t r[16];
	BIGNUM *bn = NULL;
	int ok = 0;

	do {
		if (RAND_bytes(r, sizeof r) != 1)
			goto out;
		BN_free(bn);
		bn = BN_bin2bn(r, sizeof r, NULL);
	} while (bn != NULL && BN_is_zero(bn));
	if (bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)))
		ok = 1;
out:
	BN_free(bn);
	return ok;
}

struct ext_spec {
	int nid;
	const char *value;
};

/*
 * Build and sign a certificate. issuer NULL: self-signed (subject is the
 * issuer). exts applied in order; "SAN" etc. are the caller's strings.
 */
static X509 *make_cert(X509 *issuer, EVP_PKEY *issuer_key, EVP_PKEY *pub,
                       const char *cn, const char *org, int64_t lifetime,
                       const struct ext_spec *exts, size_t nexts)
{
	X509 *c = X509_new();
	X509_NAME *name = X509_NAME_new();
	size_t i;
	int ok = 0;

	if (c == NULL || name == NULL)
		goto out;
	if (X509_set_version(c, 2) != 1 || !set_serial(c))
		goto out;
	if (org != NULL && X509_NAME_add_entry_by_txt(
	                       name, "O", MBSTRING_UTF8,
	                       (const unsigned char *)org, -1, -1, 0) != 1)
		goto out;
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	                               (const unsigned char *)cn, -1, -1,
	                               0) != 1)
		goto out;
	if (X509_set_subject_name(c, name) != 1 ||
	    X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer)
	                                   : name) != 1)
		goto out;
	/* Back-date by 5 minutes for clocks that lag. */
	if (X509_gmtime_adj(X509_getm_notBefore(c), -300) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(c), (int)(lifetime / 86400),
	                     (long)(lifetime % 86400), NULL) == NULL)
		goto out;
	if (X509_set_pubkey(c, pub) != 1)
		goto out;
	for (i = 0; i < nexts; i++) {
		if (!add_ext(c, issuer ? issuer : c, exts[i].nid,
		             exts[i].value))
			goto out;
	}
	if (X509_sign(c, issuer_key, EVP_sha256()) <= 0)
		goto out;
	ok = 1;
out:
	X509_NAME_free(name);
	if (!ok) {
		ssl_errors("certificate signing");
		X509_free(c);
		c = NULL;
	}
	return c;
}

static const struct ext_spec root_exts[] = {
    {NID_basic_constraints, "critical,CA:TRUE"},
    {NID_key_usage, "critical,keyCertSign,cRLSign"},
    {NID_subject_key_identifier, "hash"},
};

static const struct ext_spec issuing_exts[] = {
    {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
    {NID_key_usage, "critical,keyCertSign,cRLSign"},
    {NID_subject_key_identifier, "hash"},
    {NID_authority_key_identifier, "keyid:always"},
};

static rp_err path_in(char *out, size_t cap, const char *dir, const char *f)
{
	int n = snprintf(out, cap, "%s/%s", dir, f);

	return n >= 0 && (size_t)n < cap ? RP_OK : RP_E_RANGE;
}

/* The server's TLS certificate from the issuing CA. */
static X509 *make_server_cert(struct ca *ca, EVP_PKEY *key, const char *names,
                              int64_t lifetime)
{
	char san[1024] = "DNS:localhost,IP:127.0.0.1,IP:::1";
	char tmp[256];
	size_t used = strlen(san), len;
	const char *p = names ? names : "";
	struct ext_spec exts[] = {
	    {NID_basic_constraints, "critical,CA:FALSE"},
	    {NID_key_usage, "critical,digitalSignature"},
	    {NID_ext_key_usage, "serverAuth"},
	    {NID_subject_key_identifier, "hash"},
	    {NID_authority_key_identifier, "keyid:always"},
	    {NID_subject_alt_name, san},
	};

	while (*p != '\0') {
		size_t n = strcspn(p, ",");

		if (n > 0 && n < 200) {
			snprintf(tmp, sizeof tmp, ",DNS:%.*s", (int)n, p);
			len = strlen(tmp);
			if (used + len < sizeof san) {
				memcpy(san + used, tmp, len + 1);
				used += len;
			}
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return make_cert(ca->issuing, ca->issuing_key, key, "rampartd",
	                 "Rampart", lifetime, exts,
	                 sizeof exts / sizeof exts[0]);
}

/* A file of the PKI directory: a certificate, or else a key. */
struct pki_file {
	const char *name;
	X509 *cert;
	EVP_PKEY *key;
};

/* First run: build every CA in dir.new, then rename it to dir. */
static rp_err create_pki(const char *dir, const struct ca_opts *o)
{
	char tmpdir[PATH_MAX], p[PATH_MAX];
	size_t i;
	EVP_PKEY *root_key = NULL, *iss_key = NULL, *claim_key = NULL,
	         *srv_key = NULL;
	X509 *root = NULL, *iss = NULL, *claim = NULL, *srv = NULL;
	struct ca tmp;
	rp_err rc = RP_E_CRYPTO;
	static const struct ext_spec claim_ca_exts[] = {
	    {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
	    {NID_key_usage, "critical,keyCertSign,cRLSign"},
	    {NID_subject_key_identifier, "hash"},
	};

	memset(&tmp, 0, sizeof tmp);
	snprintf(tmpdir, sizeof tmpdir, "%s.new", dir);
	if (mkdir(tmpdir, 0700) != 0 && errno != EEXIST) {
		rp_log_error("pki: cannot create %s: %s", tmpdir,
		             strerror(errno));
		return RP_E_IO;
	}
	if (o->import_root_cert != NULL) {
		root = read_cert(o->import_root_cert);
		root_key = strncmp(o->import_root_key, "pkcs11:", 7) == 0
		               ? hsm_key(o->import_root_key)
		               : read_key(o->import_root_key);
		if (root == NULL || root_key == NULL ||
		    X509_check_private_key(root, root_key) != 1 ||
		    X509_check_ca(root) < 1) {
			rp_log_error("pki: the imported root is not a CA "
			             "certificate with its key");
			rc = RP_E_KEY_FORMAT;
			goto out;
		}
		rp_log_info("pki: signing the issuing CA with the imported "
		            "root; its key is not stored");
	} else {
		root_key = gen_key();
		if (root_key == NULL)
			goto out;
		root =
		    make_cert(NULL, root_key, root_key, "Rampart fleet root CA",
		              "Rampart", 20 * YEAR, root_exts, 3);
		if (root == NULL)
			goto out;
		rc = path_in(p, sizeof p, tmpdir, "root.key");
		if (rc == RP_OK)
			rc = write_key(p, root_key);
		if (rc != RP_OK)
			goto out;
		rc = RP_E_CRYPTO;
	}
	iss_key = gen_key();
	claim_key = gen_key();
	srv_key = gen_key();
	if (iss_key == NULL || claim_key == NULL || srv_key == NULL)
		goto out;
	iss = make_cert(root, root_key, iss_key, "Rampart fleet issuing CA",
	                "Rampart", 5 * YEAR, issuing_exts, 4);
	claim = make_cert(NULL, claim_key, claim_key, "Rampart claim CA",
	                  "Rampart", 10 * YEAR, claim_ca_exts, 3);
	if (iss == NULL || claim == NULL)
		goto out;
	tmp.issuing = iss;
	tmp.issuing_key = iss_key;
	srv = make_server_cert(&tmp, srv_key, o->server_names,
	                       o->server_lifetime);
	if (srv == NULL)
		goto out;
	{
		const struct pki_file files[] = {
		    {"root.pem", root, NULL},
		    {"issuing.pem", iss, NULL},
		    {"issuing.key", NULL, iss_key},
		    {"claim-ca.pem", claim, NULL},
		    {"claim-ca.key", NULL, claim_key},
		    {"server.pem", srv, NULL},
		    {"server.key", NULL, srv_key},
		};

		for (i = 0; i < sizeof files / sizeof files[0]; i++) {
			rc = path_in(p, sizeof p, tmpdir, files[i].name);
			if (rc == RP_OK && files[i].cert != NULL)
				rc = write_cert(p, files[i].cert);
			else if (rc == RP_OK)
				rc = write_key(p, files[i].key);
			if (rc != RP_OK)
				goto out;
		}
	}
	if (rename(tmpdir, dir) != 0) {
		rp_log_error("pki: cannot rename %s: %s", tmpdir,
		             strerror(errno));
		rc = RP_E_IO;
		goto out;
	}
	rc = RP_OK;
	rp_log_info("pki: created the fleet CAs in %s", dir);
out:
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(iss_key);
	EVP_PKEY_free(claim_key);
	EVP_PKEY_free(srv_key);
	X509_free(root);
	X509_free(iss);
	X509_free(claim);
	X509_free(srv);
	return rc;
}

/*
 * Remove a half-built pki.new/ left by a crash during first run: every
 * file in it (the CA files and any temp file of rp_file_write_atomic,
 * NAME.tmp.XXXXXX, a kill left), then the folder.
 */
static void remove_partial(const char *dir)
{
	char tmpdir[PATH_MAX], p[PATH_MAX + 300];
	struct dirent *e;
	DIR *d;

	snprintf(tmpdir, sizeof tmpdir, "%s.new", dir);
	d = opendir(tmpdir);
	if (d == NULL)
		return;
	for (e = readdir(d); e != NULL; e = readdir(d)) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
		(void)unlink(p);
	}
	closedir(d);
	(void)rmdir(tmpdir);
}

static X509_STORE *store_of(X509 *anchor)
{
	X509_STORE *s = X509_STORE_new();

	if (s != NULL && X509_STORE_add_cert(s, anchor) != 1) {
		X509_STORE_free(s);
		s = NULL;
	}
	return s;
}

static rp_err load_pki(struct ca *ca, const struct ca_opts *o)
{
	char p[PATH_MAX];
	rp_err rc = RP_E_CRYPTO;

	path_in(p, sizeof p, ca->dir, "root.pem");
	ca->root = read_cert(p);
	path_in(p, sizeof p, ca->dir, "issuing.pem");
	ca->issuing = read_cert(p);
	path_in(p, sizeof p, ca->dir, "issuing.key");
	ca->issuing_key = read_key(p);
	path_in(p, sizeof p, ca->dir, "claim-ca.pem");
	ca->claim = read_cert(p);
	path_in(p, sizeof p, ca->dir, "claim-ca.key");
	ca->claim_key = read_key(p);
	path_in(p, sizeof p, ca->dir, "server.pem");
	ca->server = read_cert(p);
	path_in(p, sizeof p, ca->dir, "server.key");
	ca->server_key = read_key(p);
	if (!ca->root || !ca->issuing || !ca->issuing_key || !ca->claim ||
	    !ca->claim_key || !ca->server || !ca->server_key)
		return RP_E_IO;
	if (X509_check_private_key(ca->issuing, ca->issuing_key) != 1 ||
	    X509_check_private_key(ca->claim, ca->claim_key) != 1 ||
	    X509_check_private_key(ca->server, ca->server_key) != 1) {
		rp_log_error("pki: a certificate in %s does not match its key",
		             ca->dir);
		return RP_E_KEY_FORMAT;
	}
	/* Renew rampartd's own TLS certificate when it has < 30 days. */
	if (X509_cmp_time(X509_get0_notAfter(ca->server),
	                  &(time_t){time(NULL) + 30 * 86400}) < 0) {
		X509 *n = make_server_cert(ca, ca->server_key, o->server_names,
		                           o->server_lifetime);

		path_in(p, sizeof p, ca->dir, "server.pem");
		if (n == NULL || write_cert(p, n) != RP_OK) {
			X509_free(n);
			return RP_E_CRYPTO;
		}
		X509_free(ca->server);
		ca->server = n;
		rp_log_info("pki: renewed rampartd's TLS certificate");
	}
	ca->claim_store = store_of(ca->claim);
	ca->device_store = store_of(ca->root);
	ca->chain = sk_X509_new_null();
	if (ca->claim_store && ca->device_store && ca->chain &&
	    sk_X509_push(ca->chain, ca->issuing) > 0) {
		X509_up_ref(ca->issuing);
		rc = RP_OK;
	}
	return rc;
}

rp_err ca_open(const char *data_dir, const struct ca_opts *o, struct ca **out,
               int *created)
{
	struct ca *ca = rp_calloc(1, sizeof *ca);
	struct stat st;
	rp_err rc = RP_OK;

	*out = NULL;
	*created = 0;
	if (ca == NULL)
		return RP_E_NOMEM;
	if (snprintf(ca->dir, sizeof ca->dir, "%s/pki", data_dir) >=
	    (int)sizeof ca->dir) {
		rc = RP_E_RANGE;
		goto out;
	}
	if (stat(ca->dir, &st) != 0) {
		remove_partial(ca->dir);
		rc = create_pki(ca->dir, o);
		if (rc != RP_OK)
			goto out;
		*created = 1;
	} else if (o->import_root_cert != NULL) {
		rp_log_error("pki: %s exists; a root can only be imported on "
		             "first run",
		             ca->dir);
		rc = RP_E_EXISTS;
		goto out;
	}
	rc = load_pki(ca, o);
out:
	if (rc != RP_OK) {
		ca_free(ca);
		return rc;
	}
	*out = ca;
	return RP_OK;
}

void ca_free(struct ca *ca)
{
	if (ca == NULL)
		return;
	X509_free(ca->root);
	X509_free(ca->issuing);
	EVP_PKEY_free(ca->issuing_key);
	X509_free(ca->claim);
	EVP_PKEY_free(ca->claim_key);
	X509_free(ca->server);
	EVP_PKEY_free(ca->server_key);
	X509_STORE_free(ca->claim_store);
	X509_STORE_free(ca->device_store);
	sk_X509_pop_free(ca->chain, X509_free);
	free(ca);
}

/*
 * The device profile comes from here only: the CSR gave its key (and, to
 * est.c, its CN), but none of its extensions is ever copied, so a CSR
 * cannot ask for another EKU, another SAN or a CA certificate.
 */
rp_err ca_issue_device(struct ca *ca, X509_REQ *csr, const char *id,
                       int64_t lifetime, X509 **out)
{
	char san[160], why[160];
	EVP_PKEY *pub = X509_REQ_get0_pubkey(csr);
	struct ext_spec exts[] = {
	    {NID_basic_constraints, "critical,CA:FALSE"},
	    {NID_key_usage, "critical,digitalSignature"},
	    {NID_ext_key_usage, "clientAuth"},
	    {NID_subject_key_identifier, "hash"},
	    {NID_authority_key_identifier, "keyid:always"},
	    {NID_subject_alt_name, san},
	};
	rp_err rc;

	*out = NULL;
	/* THE device-id rule: never a device certificate for a reserved id */
	rc = rp_broker_device_id_check(id, strlen(id), why, sizeof why);
	if (rc != RP_OK) {
		rp_log_error("pki: no device certificate issued: %s", why);
		return rc == RP_E_RESERVED ? RP_E_RESERVED : RP_E_CSR_SUBJECT;
	}
	if (pub == NULL)
		return RP_E_CSR;
	snprintf(san, sizeof san, "URI:%s%s", RP_BROKER_URI_DEVICE, id);
	*out = make_cert(ca->issuing, ca->issuing_key, pub, id, NULL, lifetime,
	                 exts, sizeof exts / sizeof exts[0]);
	return *out ? RP_OK : RP_E_CRYPTO;
}

rp_err ca_issue_principal(struct ca *ca, EVP_PKEY *pub,
                          enum rp_broker_role role, const char *id,
                          int64_t lifetime, X509 **out)
{
	char san[160];
	const char *eku, *uri;
	struct ext_spec exts[] = {
	    {NID_basic_constraints, "critical,CA:FALSE"},
	    {NID_key_usage, "critical,digitalSignature"},
	    {NID_ext_key_usage, NULL},
	    {NID_subject_key_identifier, "hash"},
	    {NID_authority_key_identifier, "keyid:always"},
	    {NID_subject_alt_name, san},
	};
	size_t len = strlen(id);

	*out = NULL;
	if (role == RP_BROKER_ROLE_SERVICE) {
		eku = "clientAuth," RP_BROKER_OID_SERVICE;
		uri = RP_BROKER_URI_SERVICE;
	} else if (role == RP_BROKER_ROLE_MONITOR) {
		eku = "clientAuth," RP_BROKER_OID_MONITOR;
		uri = RP_BROKER_URI_MONITOR;
	} else {
		rp_log_error("pki: role %d has no principal profile",
		             (int)role);
		return RP_E_INVAL;
	}
	/* service and monitor ids are reserved, device ids never are */
	if (pub == NULL || !rp_broker_id_valid(id, len) ||
	    !rp_broker_id_reserved(id, len)) {
		rp_log_error("pki: a service or monitor id must be a reserved "
		             "id (beginning with \"" RP_BROKER_RESERVED_PREFIX
		             "\")");
		return RP_E_INVAL;
	}
	exts[2].value = eku;
	snprintf(san, sizeof san, "URI:%s%s", uri, id);
	*out = make_cert(ca->issuing, ca->issuing_key, pub, id, NULL, lifetime,
	                 exts, sizeof exts / sizeof exts[0]);
	return *out ? RP_OK : RP_E_CRYPTO;
}

rp_err ca_issue_claim(struct ca *ca, EVP_PKEY *pub, const char *group,
                      int64_t lifetime, X509 **out)
{
	static const struct ext_spec exts[] = {
	    {NID_basic_constraints, "critical,CA:FALSE"},
	    {NID_key_usage, "critical,digitalSignature"},
	    {NID_ext_key_usage, "critical," RP_OID_CLAIM_EKU},
	    {NID_subject_key_identifier, "hash"},
	    {NID_authority_key_identifier, "keyid:always"},
	};

	*out = make_cert(ca->claim, ca->claim_key, pub, group, "Rampart claim",
	                 lifetime, exts, sizeof exts / sizeof exts[0]);
	return *out ? RP_OK : RP_E_CRYPTO;
}

static int add_revoked(X509_CRL *crl, const struct ca_revoked *r)
{
	X509_REVOKED *rev = X509_REVOKED_new();
	ASN1_INTEGER *serial = NULL;
	ASN1_TIME *at = NULL;
	ASN1_ENUMERATED *reason = NULL;
	BIGNUM *bn = NULL;
	int ok = 0;

	if (rev == NULL || BN_hex2bn(&bn, r->serial_hex) == 0)
		goto out;
	serial = BN_to_ASN1_INTEGER(bn, NULL);
	at = ASN1_TIME_set(NULL, (time_t)r->at);
	reason = ASN1_ENUMERATED_new();
	if (serial == NULL || at == NULL || reason == NULL ||
	    ASN1_ENUMERATED_set(reason, r->reason) != 1)
		goto out;
	if (X509_REVOKED_set_serialNumber(rev, serial) != 1 ||
	    X509_REVOKED_set_revocationDate(rev, at) != 1 ||
	    X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, reason, 0, 0) != 1)
		goto out;
	if (X509_CRL_add0_revoked(crl, rev) != 1)
		goto out;
	rev = NULL;
	ok = 1;
out:
	X509_REVOKED_free(rev);
	ASN1_INTEGER_free(serial);
	ASN1_TIME_free(at);
	ASN1_ENUMERATED_free(reason);
	BN_free(bn);
	return ok;
}

rp_err ca_make_crl(struct ca *ca, const struct ca_revoked *r, size_t n,
                   int64_t number, int64_t lifetime, uint8_t **der,
                   size_t *der_len, char **pem)
{
	X509_CRL *crl = X509_CRL_new();
	ASN1_TIME *t = NULL;
	ASN1_INTEGER *num = NULL;
	X509V3_CTX ctx;
	X509_EXTENSION *ext = NULL;
	BIO *b = NULL;
	unsigned char *d = NULL;
	char *data;
	long len;
	int dlen;
	size_t i;
	rp_err rc = RP_E_CRYPTO;

	*der = NULL;
	*pem = NULL;
	if (crl == NULL || X509_CRL_set_version(crl, 1) != 1 ||
	    X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca->issuing)) !=
	        1)
		goto out;
	t = ASN1_TIME_set(NULL, time(NULL));
	if (t == NULL || X509_CRL_set1_lastUpdate(crl, t) != 1)
		goto out;
	if (ASN1_TIME_adj(t, time(NULL), (int)(lifetime / 86400),
	                  (long)(lifetime % 86400)) == NULL ||
	    X509_CRL_set1_nextUpdate(crl, t) != 1)
		goto out;
	for (i = 0; i < n; i++) {
		if (!add_revoked(crl, &r[i]))
			goto out;
	}
	num = ASN1_INTEGER_new();
	if (num == NULL || ASN1_INTEGER_set_int64(num, number) != 1 ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1)
		goto out;
	X509V3_set_ctx(&ctx, ca->issuing, NULL, NULL, crl, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier,
	                          "keyid:always");
	if (ext == NULL || X509_CRL_add_ext(crl, ext, -1) != 1)
		goto out;
	X509_CRL_sort(crl);
	if (X509_CRL_sign(crl, ca->issuing_key, EVP_sha256()) <= 0)
		goto out;
	dlen = i2d_X509_CRL(crl, &d);
	b = BIO_new(BIO_s_mem());
	if (dlen <= 0 || b == NULL || PEM_write_bio_X509_CRL(b, crl) != 1)
		goto out;
	len = BIO_get_mem_data(b, &data);
	*pem = rp_malloc((size_t)len + 1);
	*der = rp_malloc((size_t)dlen);
	if (*pem == NULL || *der == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	memcpy(*pem, data, (size_t)len);
	(*pem)[len] = '\0';
	memcpy(*der, d, (size_t)dlen);
	*der_len = (size_t)dlen;
	rc = RP_OK;
out:
	if (rc != RP_OK) {
		ssl_errors("CRL");
		free(*pem);
		free(*der);
		*pem = NULL;
		*der = NULL;
	}
	OPENSSL_free(d);
	BIO_free(b);
	X509_EXTENSION_free(ext);
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(t);
	X509_CRL_free(crl);
	return rc;
}
