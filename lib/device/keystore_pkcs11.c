/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keystore_pkcs11.c - the PKCS#11 keystore (a secure element or HSM;
 * softhsm2 in tests). The P-256 key pair is generated inside the token
 * (CKA_SENSITIVE, not CKA_EXTRACTABLE) through the module's own PKCS#11
 * functions (p11-kit's pkcs11.h, module loaded with dlopen); OpenSSL uses
 * it through the libp11 "pkcs11" engine (platform-facts.md: works for
 * P-256; hashing is done on the host, the token signs with CKM_ECDSA).
 * Erase is C_DestroyObject on every object carrying the key's label.
 */
#define _POSIX_C_SOURCE 200809L
/* The libp11 engine is an ENGINE: OpenSSL 3 marks that API deprecated. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>
#include <sodium.h>

#include "keystore_int.h"
#include "rampart/mem.h"

/* DER of the OID prime256v1 (1.2.840.10045.3.1.7): CKA_EC_PARAMS. */
static const uint8_t p256_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                   0xce, 0x3d, 0x03, 0x01, 0x07};

struct p11 {
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	bool initialized; /* C_Initialize done by us: we finalize */
	bool logged_in;
	CK_SESSION_HANDLE s;
	bool have_session;
};

static void p11_close(struct p11 *p)
{
	if (p->have_session) {
		/* Login state is shared with the engine's sessions when the
		 * module was initialised before us: leave it then. */
		if (p->logged_in && p->initialized)
			p->f->C_Logout(p->s);
		p->f->C_CloseSession(p->s);
	}
	if (p->initialized)
		p->f->C_Finalize(NULL);
	if (p->dl != NULL)
		dlclose(p->dl);
	memset(p, 0, sizeof *p);
}

static bool label_eq(const unsigned char label[32], const char *want)
{
	size_t n = strlen(want), i;

	if (n > 32 || memcmp(label, want, n) != 0)
		return false;
	for (i = n; i < 32; i++) {
		if (label[i] != ' ')
			return false;
	}
	return true;
}

/* Load the module, find the token by label, open a R/W session, log in. */
static rp_err p11_open(const struct rp_keystore_spec *sp, struct p11 *p)
{
	CK_C_GetFunctionList getf;
	CK_C_INITIALIZE_ARGS args;
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, i;
	CK_RV rv;
	rp_err rc = RP_E_KEYSTORE_BACKEND;
	bool found = false;

	memset(p, 0, sizeof *p);
	p->dl = dlopen(sp->module, RTLD_NOW | RTLD_LOCAL);
	if (p->dl == NULL)
		goto out;
	*(void **)&getf = dlsym(p->dl, "C_GetFunctionList");
	if (getf == NULL || getf(&p->f) != CKR_OK || p->f == NULL)
		goto out;
	memset(&args, 0, sizeof args);
	args.flags = CKF_OS_LOCKING_OK;
	rv = p->f->C_Initialize(&args);
	if (rv == CKR_OK)
		p->initialized = true;
	else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED)
		goto out;
	if (p->f->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_OK || n == 0)
		goto out;
	slots = calloc(n, sizeof *slots);
	if (slots == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	if (p->f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		goto out;
	for (i = 0; i < n && !found; i++) {
		CK_TOKEN_INFO ti;

		if (p->f->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    label_eq(ti.label, sp->token))
			found = true;
	}
	if (!found)
		goto out;
	if (p->f->C_OpenSession(slots[i - 1],
	                        CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL,
	                        &p->s) != CKR_OK)
		goto out;
	p->have_session = true;
	rv = p->f->C_Login(p->s, CKU_USER, (CK_UTF8CHAR_PTR)sp->pin,
	                   (CK_ULONG)strlen(sp->pin));
	if (rv == CKR_OK)
		p->logged_in = true;
	else if (rv != CKR_USER_ALREADY_LOGGED_IN)
		goto out;
	rc = RP_OK;
out:
	free(slots);
	if (rc != RP_OK)
		p11_close(p);
	return rc;
}

/*
 * Find up to cap objects with the label (and class, unless cls is
 * (CK_ULONG)-1). *n gets the count.
 */
static rp_err p11_find(struct p11 *p, const char *label, CK_ULONG cls,
                       CK_OBJECT_HANDLE *objs, CK_ULONG cap, CK_ULONG *n)
{
	CK_ATTRIBUTE t[2];
	CK_ULONG nt = 0;
	rp_err rc = RP_OK;

	t[nt].type = CKA_LABEL;
	t[nt].pValue = (void *)label;
	t[nt].ulValueLen = (CK_ULONG)strlen(label);
	nt++;
	if (cls != (CK_ULONG)-1) {
		t[nt].type = CKA_CLASS;
		t[nt].pValue = &cls;
		t[nt].ulValueLen = sizeof cls;
		nt++;
	}
	*n = 0;
	if (p->f->C_FindObjectsInit(p->s, t, nt) != CKR_OK)
		return RP_E_KEYSTORE_BACKEND;
	if (p->f->C_FindObjects(p->s, objs, cap, n) != CKR_OK)
		rc = RP_E_KEYSTORE_BACKEND;
	p->f->C_FindObjectsFinal(p->s);
	return rc;
}

static bool pkcs11_has_key(rp_keystore *ks)
{
	struct p11 p;
	CK_OBJECT_HANDLE o;
	CK_ULONG n = 0;

	if (p11_open(&ks->spec, &p) != RP_OK)
		return false;
	if (p11_find(&p, ks->spec.object, CKO_PRIVATE_KEY, &o, 1, &n) != RP_OK)
		n = 0;
	p11_close(&p);
	return n > 0;
}

static rp_err pkcs11_generate(rp_keystore *ks)
{
	CK_MECHANISM mech = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_HANDLE pub, priv, o;
	CK_ULONG n = 0;
	uint8_t id[16];
	const char *label = ks->spec.object;
	CK_ULONG llen = (CK_ULONG)strlen(label);
	struct p11 p;
	rp_err rc;

	CK_ATTRIBUTE pub_t[] = {
	    {CKA_TOKEN, &yes, sizeof yes},
	    {CKA_PRIVATE, &no, sizeof no},
	    {CKA_VERIFY, &yes, sizeof yes},
	    {CKA_EC_PARAMS, (void *)p256_oid, sizeof p256_oid},
	    {CKA_LABEL, (void *)label, llen},
	    {CKA_ID, id, sizeof id},
	};
	/* The secret never leaves: sensitive, not extractable, sign only. */
	CK_ATTRIBUTE priv_t[] = {
	    {CKA_TOKEN, &yes, sizeof yes},
	    {CKA_PRIVATE, &yes, sizeof yes},
	    {CKA_SENSITIVE, &yes, sizeof yes},
	    {CKA_EXTRACTABLE, &no, sizeof no},
	    {CKA_SIGN, &yes, sizeof yes},
	    {CKA_DECRYPT, &no, sizeof no},
	    {CKA_DERIVE, &no, sizeof no},
	    {CKA_LABEL, (void *)label, llen},
	    {CKA_ID, id, sizeof id},
	};

	rc = p11_open(&ks->spec, &p);
	if (rc != RP_OK)
		return rc;
	rc = p11_find(&p, label, CKO_PRIVATE_KEY, &o, 1, &n);
	if (rc == RP_OK && n > 0)
		rc = RP_E_KEYSTORE_HAS_KEY;
	if (rc != RP_OK)
		goto out;
	randombytes_buf(id, sizeof id);
	if (p.f->C_GenerateKeyPair(
	        p.s, &mech, pub_t, sizeof pub_t / sizeof pub_t[0], priv_t,
	        sizeof priv_t / sizeof priv_t[0], &pub, &priv) != CKR_OK)
		rc = RP_E_KEYSTORE_BACKEND;
out:
	p11_close(&p);
	return rc;
}

static rp_err pkcs11_erase(rp_keystore *ks)
{
	CK_OBJECT_HANDLE objs[16];
	CK_ULONG n = 0, i;
	struct p11 p;
	rp_err rc;

	rc = p11_open(&ks->spec, &p);
	if (rc != RP_OK)
		return rc;
	/* Every object under the label: private key, public key, certs. */
	do {
		rc = p11_find(&p, ks->spec.object, (CK_ULONG)-1, objs,
		              sizeof objs / sizeof objs[0], &n);
		for (i = 0; rc == RP_OK && i < n; i++) {
			if (p.f->C_DestroyObject(p.s, objs[i]) != CKR_OK)
				rc = RP_E_KEYSTORE_BACKEND;
		}
	} while (rc == RP_OK && n > 0);
	p11_close(&p);
	return rc;
}

/* RFC 7512 2.3: percent-encode all but the unreserved characters. */
static rp_err pct_encode(const char *in, char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in != '\0'; in++) {
		unsigned char c = (unsigned char)*in;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		             (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		             c == '_' || c == '~';

		if (o + (plain ? 1 : 3) >= cap)
			return RP_E_INVAL;
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return RP_OK;
}

/*
 * One libp11 engine per process, bound to the first module it was given
 * (the engine cannot switch modules once initialised). It stays loaded
 * until exit: the keys it hands out call into it.
 */
static ENGINE *engine;
static char engine_module[RP_KEYSTORE_PATH_MAX];

static rp_err engine_get(const struct rp_keystore_spec *sp, ENGINE **out)
{
	ENGINE *e = NULL;
	rp_err rc = RP_E_KEYSTORE_BACKEND;

	if (engine != NULL) {
		if (strcmp(engine_module, sp->module) != 0)
			return RP_E_UNSUPPORTED;
		if (!ENGINE_ctrl_cmd_string(engine, "PIN", sp->pin, 0))
			return RP_E_KEYSTORE_BACKEND;
		*out = engine;
		return RP_OK;
	}
	ENGINE_load_builtin_engines();
	e = ENGINE_by_id("pkcs11");
	if (e == NULL)
		goto out;
	if (!ENGINE_ctrl_cmd_string(e, "MODULE_PATH", sp->module, 0) ||
	    !ENGINE_ctrl_cmd_string(e, "PIN", sp->pin, 0) || !ENGINE_init(e))
		goto out;
	/* ENGINE_init took a functional reference; drop the structural. */
	ENGINE_free(e);
	engine = e;
	e = NULL;
	snprintf(engine_module, sizeof engine_module, "%s", sp->module);
	*out = engine;
	rc = RP_OK;
out:
	if (e != NULL)
		ENGINE_free(e);
	return rc;
}

static rp_err pkcs11_key(rp_keystore *ks, EVP_PKEY **out)
{
	char tok[3 * 32 + 1], obj[3 * 64 + 1], uri[400];
	ENGINE *e = NULL;
	rp_err rc;
	int n;

	rc = pct_encode(ks->spec.token, tok, sizeof tok);
	if (rc == RP_OK)
		rc = pct_encode(ks->spec.object, obj, sizeof obj);
	if (rc != RP_OK)
		goto out;
	n = snprintf(uri, sizeof uri, "pkcs11:token=%s;object=%s;type=private",
	             tok, obj);
	if (n < 0 || (size_t)n >= sizeof uri) {
		rc = RP_E_INVAL;
		goto out;
	}
	/* Without a key the engine only says "cannot load": ask first. */
	if (!pkcs11_has_key(ks)) {
		rc = RP_E_KEYSTORE_NO_KEY;
		goto out;
	}
	rc = engine_get(&ks->spec, &e);
	if (rc != RP_OK)
		goto out;
	*out = ENGINE_load_private_key(e, uri, NULL, NULL);
	if (*out == NULL)
		rc = RP_E_KEYSTORE_BACKEND;
out:
	if (rc != RP_OK)
		ERR_clear_error();
	return rc;
}

const struct ks_ops ks_pkcs11_ops = {
    .generate = pkcs11_generate,
    .has_key = pkcs11_has_key,
    .key = pkcs11_key,
    .erase = pkcs11_erase,
};
