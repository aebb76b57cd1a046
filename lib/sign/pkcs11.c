/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pkcs11.c - release keys inside a PKCS#11 token, used through the
 * PKCS#11 API directly: the module is dlopen'd and the key is named by an
 * RFC 7512 URI. Not the libp11 engine: it finds no key at all on a token
 * holding an Ed25519 key, and softhsm2 2.6 lacks CKM_ECDSA_SHA256 anyway
 * (platform-facts.md). So: P-256 signs with CKM_ECDSA over a SHA-256
 * computed here, the raw r||s converted to DER; Ed25519 signs with
 * CKM_EDDSA in one C_Sign (softhsm2 signs single-part only, and our
 * messages are small). The private key never leaves the token.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/sha.h>

#include <p11-kit/pkcs11.h>

#include "rampart/crypto_host.h"
#include "rampart/log.h"
#include "rampart/mem.h"
#include "sign_int.h"

#define DEFAULT_MODULE "p11-kit-proxy.so"
#define URI_MAX        1024
#define PIN_MAX        256

struct p11_uri {
	char token[33], serial[17], manuf[33], model[33], object[256];
	uint8_t id[128];
	size_t idlen;
	bool has_token, has_serial, has_manuf, has_model, has_object, has_id;
	char module[512];
	char pin[PIN_MAX];
	bool has_pin;
};

/*
 * A loaded module, shared by every key that uses it: C_Initialize once,
 * C_Finalize when the last key closes. Kept loaded (RTLD_NODELETE): many
 * modules do not survive being unloaded and loaded again, and leak
 * reports then keep their stacks. Not thread-safe, like the CLI.
 */
struct p11_module {
	char path[512];
	void *dl;
	CK_FUNCTION_LIST *f;
	unsigned refs;
};

#define MAX_MODULES 4
static struct p11_module modules[MAX_MODULES];

struct p11_key {
	struct p11_module *m;
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE sess;
	CK_OBJECT_HANDLE key;
	uint8_t alg;
	bool session_open;
};

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

/* Percent-decode [s, s+n) into out (cap bytes); returns length or -1. */
static long pct_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (o == cap)
			return -1;
		if (s[i] == '%') {
			if (i + 2 >= n)
				return -1;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			out[o++] = (uint8_t)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = (uint8_t)s[i];
		}
	}
	return (long)o;
}

/* A string attribute: decoded, NUL-terminated, no embedded NUL. */
static bool attr_str(const char *v, size_t n, char *out, size_t cap)
{
	long len = pct_decode(v, n, (uint8_t *)out, cap - 1);

	if (len < 0 || memchr(out, 0, (size_t)len) != NULL)
		return false;
	out[len] = '\0';
	return true;
}

/* Read the first line of a pin-source file into pin. */
static rp_err read_pin_file(const char *path, char *pin, size_t cap)
{
	FILE *f;
	size_t n;
	rp_err rc = RP_OK;

	f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT ? RP_E_NOT_FOUND : RP_E_IO;
	if (fgets(pin, (int)cap, f) == NULL)
		rc = RP_E_IO;
	fclose(f);
	n = strcspn(pin, "\r\n");
	pin[n] = '\0';
	return rc;
}

/*
 * RFC 7512 section 2.3: "pkcs11:" path-attributes separated by ';', then
 * an optional '?' and query attributes separated by '&'. Known attributes
 * only: a typo must not silently select another key.
 */
static rp_err uri_parse(const char *uri, struct p11_uri *u)
{
	const char *p = uri + 7, *end, *eq, *sep;
	char name[32], val[URI_MAX];
	bool query = false;
	size_t nl, vl;
	long idl;
	rp_err rc = RP_E_KEY_FORMAT;

	memset(u, 0, sizeof *u);
	if (strlen(uri) > URI_MAX || strncmp(uri, "pkcs11:", 7) != 0)
		goto out;
	while (*p != '\0') {
		sep = query ? "&" : ";?";
		end = p + strcspn(p, sep);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL)
			goto out;
		nl = (size_t)(eq - p);
		vl = (size_t)(end - eq - 1);
		if (nl == 0 || nl >= sizeof name)
			goto out;
		memcpy(name, p, nl);
		name[nl] = '\0';
		eq++;
		if (!query && strcmp(name, "token") == 0) {
			u->has_token =
			    attr_str(eq, vl, u->token, sizeof u->token);
			if (!u->has_token)
				goto out;
		} else if (!query && strcmp(name, "serial") == 0) {
			u->has_serial =
			    attr_str(eq, vl, u->serial, sizeof u->serial);
			if (!u->has_serial)
				goto out;
		} else if (!query && strcmp(name, "manufacturer") == 0) {
			u->has_manuf =
			    attr_str(eq, vl, u->manuf, sizeof u->manuf);
			if (!u->has_manuf)
				goto out;
		} else if (!query && strcmp(name, "model") == 0) {
			u->has_model =
			    attr_str(eq, vl, u->model, sizeof u->model);
			if (!u->has_model)
				goto out;
		} else if (!query && strcmp(name, "object") == 0) {
			u->has_object =
			    attr_str(eq, vl, u->object, sizeof u->object);
			if (!u->has_object)
				goto out;
		} else if (!query && strcmp(name, "id") == 0) {
			idl = pct_decode(eq, vl, u->id, sizeof u->id);
			if (idl <= 0)
				goto out;
			u->idlen = (size_t)idl;
			u->has_id = true;
		} else if (!query && strcmp(name, "type") == 0) {
			if (!attr_str(eq, vl, val, sizeof val) ||
			    strcmp(val, "private") != 0)
				goto out;
		} else if (query && strcmp(name, "pin-value") == 0) {
			if (!attr_str(eq, vl, u->pin, sizeof u->pin))
				goto out;
			u->has_pin = true;
		} else if (query && strcmp(name, "pin-source") == 0) {
			if (!attr_str(eq, vl, val, sizeof val))
				goto out;
			rc = read_pin_file(
			    strncmp(val, "file:", 5) == 0 ? val + 5 : val,
			    u->pin, sizeof u->pin);
			if (rc != RP_OK)
				goto out;
			rc = RP_E_KEY_FORMAT;
			u->has_pin = true;
		} else if (query && strcmp(name, "module-path") == 0) {
			if (!attr_str(eq, vl, u->module, sizeof u->module))
				goto out;
		} else {
			rp_log(RP_LOG_ERROR,
			       "pkcs11 URI: unsupported attribute "
			       "'%s'",
			       name);
			goto out;
		}
		p = end;
		if (*p == '?') {
			if (query)
				goto out;
			query = true;
			p++;
		} else if (*p != '\0') {
			p++;
		}
	}
	if (!u->has_object && !u->has_id)
		goto out; /* never "whatever key is there" */
	rc = RP_OK;
out:
	rp_wipe(val, sizeof val);
	return rc;
}

/* A blank-padded PKCS#11 string field equals s. */
static bool padded_eq(const unsigned char *field, size_t n, const char *s)
{
	size_t l = strlen(s), i;

	if (l > n || memcmp(field, s, l) != 0)
		return false;
	for (i = l; i < n; i++) {
		if (field[i] != ' ')
			return false;
	}
	return true;
}

static bool token_matches(const CK_TOKEN_INFO *ti, const struct p11_uri *u)
{
	return (!u->has_token || padded_eq(ti->label, 32, u->token)) &&
	       (!u->has_serial || padded_eq(ti->serialNumber, 16, u->serial)) &&
	       (!u->has_manuf || padded_eq(ti->manufacturerID, 32, u->manuf)) &&
	       (!u->has_model || padded_eq(ti->model, 16, u->model));
}

/* Find exactly one object of class cls matching u; OUT: *obj. */
static rp_err find_one(struct p11_key *k, const struct p11_uri *u,
                       CK_OBJECT_CLASS cls, CK_OBJECT_HANDLE *obj)
{
	CK_ATTRIBUTE t[3];
	CK_OBJECT_HANDLE found[2];
	CK_ULONG n = 0, nt = 0;
	rp_err rc = RP_OK;

	t[nt++] = (CK_ATTRIBUTE){CKA_CLASS, &cls, sizeof cls};
	if (u->has_object)
		t[nt++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)u->object,
		                         strlen(u->object)};
	if (u->has_id)
		t[nt++] = (CK_ATTRIBUTE){CKA_ID, (void *)u->id, u->idlen};
	if (k->f->C_FindObjectsInit(k->sess, t, nt) != CKR_OK)
		return RP_E_PKCS11;
	if (k->f->C_FindObjects(k->sess, found, 2, &n) != CKR_OK)
		rc = RP_E_PKCS11;
	(void)k->f->C_FindObjectsFinal(k->sess);
	if (rc == RP_OK && n != 1)
		rc = RP_E_PKCS11_NO_KEY; /* none, or ambiguous */
	if (rc == RP_OK)
		*obj = found[0];
	return rc;
}

/* DER OCTET STRING (short or 1-byte long form) → contents; else NULL. */
static const uint8_t *der_octets(const uint8_t *p, size_t n, size_t *len)
{
	if (n >= 2 && p[0] == 0x04 && p[1] < 0x80 && (size_t)p[1] == n - 2) {
		*len = p[1];
		return p + 2;
	}
	if (n >= 3 && p[0] == 0x04 && p[1] == 0x81 && (size_t)p[2] == n - 3) {
		*len = p[2];
		return p + 3;
	}
	return NULL;
}

/* Read the public key object's CKA_EC_POINT matching the private key. */
static rp_err read_pub(struct p11_key *k, const struct p11_uri *u,
                       CK_KEY_TYPE kt, struct rp_pubkey *pub)
{
	CK_OBJECT_HANDLE obj;
	uint8_t pt[128];
	CK_ATTRIBUTE a = {CKA_EC_POINT, pt, sizeof pt};
	const uint8_t *raw = pt;
	size_t rawlen;
	rp_err rc;

	rc = find_one(k, u, CKO_PUBLIC_KEY, &obj);
	if (rc != RP_OK)
		goto out;
	if (k->f->C_GetAttributeValue(k->sess, obj, &a, 1) != CKR_OK) {
		rc = RP_E_PKCS11;
		goto out;
	}
	/* Usually a DER OCTET STRING; some tokens store the raw point. */
	rawlen = a.ulValueLen;
	if (!((kt == CKK_EC && rawlen == RP_P256_KEY_LEN && pt[0] == 0x04) ||
	      (kt == CKK_EC_EDWARDS && rawlen == RP_ED25519_KEY_LEN))) {
		raw = der_octets(pt, a.ulValueLen, &rawlen);
		if (raw == NULL) {
			rc = RP_E_KEY_FORMAT;
			goto out;
		}
	}
	rc = rp_pubkey_init(pub,
	                    kt == CKK_EC ? RP_ALG_P256_SHA256 : RP_ALG_ED25519,
	                    raw, rawlen, rp_crypto_host());
out:
	return rc;
}

/* Load and initialise module (or take another reference). */
static rp_err module_get(const char *path, struct p11_module **out)
{
	CK_C_INITIALIZE_ARGS init = {0};
	CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
	struct p11_module *m = NULL;
	CK_RV rv;
	size_t i;

	for (i = 0; i < MAX_MODULES; i++) {
		if (modules[i].refs > 0 && strcmp(modules[i].path, path) == 0) {
			modules[i].refs++;
			*out = &modules[i];
			return RP_OK;
		}
		if (modules[i].refs == 0 && m == NULL)
			m = &modules[i];
	}
	if (m == NULL || strlen(path) >= sizeof m->path)
		return RP_E_TOO_BIG;
	memset(m, 0, sizeof *m);
	m->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (m->dl == NULL) {
		rp_log(RP_LOG_ERROR, "pkcs11: cannot load module %s: %s", path,
		       dlerror());
		return RP_E_PKCS11;
	}
	*(void **)&get_list = dlsym(m->dl, "C_GetFunctionList");
	if (get_list == NULL || get_list(&m->f) != CKR_OK || m->f == NULL) {
		dlclose(m->dl);
		return RP_E_PKCS11;
	}
	init.flags = CKF_OS_LOCKING_OK;
	rv = m->f->C_Initialize(&init);
	if (rv != CKR_OK) {
		rp_log(RP_LOG_ERROR, "pkcs11: C_Initialize failed (0x%lx)", rv);
		dlclose(m->dl);
		return RP_E_PKCS11;
	}
	snprintf(m->path, sizeof m->path, "%s", path); /* fits: checked */
	m->refs = 1;
	*out = m;
	return RP_OK;
}

static void module_put(struct p11_module *m)
{
	if (--m->refs > 0)
		return;
	(void)m->f->C_Finalize(NULL);
	dlclose(m->dl);
	memset(m, 0, sizeof *m);
}

rp_err p11_open(const char *uri, const char *pin, struct p11_key **out,
                struct rp_pubkey *pub)
{
	CK_SLOT_ID slots[64];
	CK_ULONG nslots = 64, i;
	CK_TOKEN_INFO ti;
	CK_KEY_TYPE kt = 0;
	CK_ATTRIBUTE a = {CKA_KEY_TYPE, &kt, sizeof kt};
	struct p11_uri *u;
	struct p11_key *k = NULL;
	const char *module;
	bool found = false;
	CK_RV rv;
	rp_err rc;

	*out = NULL;
	u = rp_secret_alloc(sizeof *u); /* holds the PIN */
	k = calloc(1, sizeof *k);
	if (u == NULL || k == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	rc = uri_parse(uri, u);
	if (rc != RP_OK)
		goto out;
	rc = RP_E_PKCS11;
	module =
	    u->module[0] != '\0' ? u->module : getenv("RAMPART_PKCS11_MODULE");
	if (module == NULL || module[0] == '\0')
		module = DEFAULT_MODULE;
	rc = module_get(module, &k->m);
	if (rc != RP_OK)
		goto out;
	k->f = k->m->f;
	rc = RP_E_PKCS11;
	if (k->f->C_GetSlotList(CK_TRUE, slots, &nslots) != CKR_OK)
		goto out;
	for (i = 0; i < nslots && !found; i++) {
		if (k->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		found = token_matches(&ti, u);
	}
	if (!found) {
		rc = RP_E_PKCS11_NO_KEY;
		rp_log(RP_LOG_ERROR, "pkcs11: no token matches the URI");
		goto out;
	}
	if (k->f->C_OpenSession(slots[i - 1], CKF_SERIAL_SESSION, NULL, NULL,
	                        &k->sess) != CKR_OK)
		goto out;
	k->session_open = true;
	if (u->has_pin || pin != NULL) {
		const char *pv = u->has_pin ? u->pin : pin;

		rv = k->f->C_Login(k->sess, CKU_USER, (CK_UTF8CHAR *)pv,
		                   strlen(pv));
		if (rv == CKR_PIN_INCORRECT) {
			rc = RP_E_PASSPHRASE;
			goto out;
		}
		if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
			rp_log(RP_LOG_ERROR, "pkcs11: C_Login failed (0x%lx)",
			       rv);
			goto out;
		}
	}
	rc = find_one(k, u, CKO_PRIVATE_KEY, &k->key);
	if (rc == RP_E_PKCS11_NO_KEY && !u->has_pin && pin == NULL &&
	    (ti.flags & CKF_LOGIN_REQUIRED))
		rp_log(RP_LOG_ERROR, "pkcs11: the token wants a PIN to show "
		                     "its private keys (pin-value, pin-source "
		                     "or --passphrase-file)");
	if (rc != RP_OK)
		goto out;
	if (k->f->C_GetAttributeValue(k->sess, k->key, &a, 1) != CKR_OK) {
		rc = RP_E_PKCS11;
		goto out;
	}
	if (kt != CKK_EC && kt != CKK_EC_EDWARDS) {
		rc = RP_E_KEY_FORMAT;
		goto out;
	}
	rc = read_pub(k, u, kt, pub);
	if (rc != RP_OK)
		goto out;
	k->alg = pub->alg;
	*out = k;
	k = NULL;
out:
	if (k != NULL)
		p11_close(k);
	if (u != NULL)
		rp_secret_free(u);
	return rc;
}

/* Raw r||s (64 bytes) → DER ECDSA-Sig-Value. */
static rp_err rs_to_der(const uint8_t rs[64], uint8_t *sig, size_t *siglen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, 32, NULL), *s = BN_bin2bn(rs + 32, 32, NULL);
	unsigned char *p = sig;
	int n;
	rp_err rc = RP_E_CRYPTO;

	if (es == NULL || r == NULL || s == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL; /* owned by es now */
	if (i2d_ECDSA_SIG(es, NULL) > RP_SIG_MAX)
		goto out;
	n = i2d_ECDSA_SIG(es, &p);
	if (n <= 0)
		goto out;
	*siglen = (size_t)n;
	rc = RP_OK;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

rp_err p11_sign(struct p11_key *k, const uint8_t *msg, size_t len,
                uint8_t sig[RP_SIG_MAX], size_t *siglen)
{
	CK_MECHANISM mech = {0};
	uint8_t digest[SHA256_DIGEST_LENGTH], raw[64];
	const uint8_t *in = msg;
	CK_ULONG inlen = len, rawlen = sizeof raw;
	CK_RV rv;
	rp_err rc = RP_E_PKCS11;

	if (k->alg == RP_ALG_P256_SHA256) {
		SHA256(msg, len, digest);
		in = digest;
		inlen = sizeof digest;
		mech.mechanism = CKM_ECDSA;
	} else {
		mech.mechanism = CKM_EDDSA;
	}
	rv = k->f->C_SignInit(k->sess, &mech, k->key);
	if (rv == CKR_OK)
		rv = k->f->C_Sign(k->sess, (CK_BYTE *)in, inlen, raw, &rawlen);
	if (rv != CKR_OK || rawlen != 64) {
		rp_log(RP_LOG_ERROR, "pkcs11: signing failed (0x%lx)", rv);
		goto out;
	}
	if (k->alg == RP_ALG_P256_SHA256) {
		rc = rs_to_der(raw, sig, siglen);
	} else {
		memcpy(sig, raw, 64);
		*siglen = 64;
		rc = RP_OK;
	}
out:
	return rc;
}

void p11_close(struct p11_key *k)
{
	if (k->session_open) {
		(void)k->f->C_Logout(k->sess);
		(void)k->f->C_CloseSession(k->sess);
	}
	if (k->m != NULL)
		module_put(k->m);
	free(k);
}
