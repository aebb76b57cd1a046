/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keystore_pkcs11.c - the PKCS#11 keystore (a secure element or HSM;
 * softhsm2 in tests). The P-256 key pair is generated inside the token
 * (CKA_SENSITIVE, not CKA_EXTRACTABLE) through the module's own PKCS#11
 * functions (lib/base/p11.c: p11-kit loads the module and finds the
 * token by its label); OpenSSL uses
 * it through the libp11 "pkcs11" engine (platform-facts.md: works for
 * P-256; hashing is done on the host, the token signs with CKM_ECDSA),
 * given the key as a URI p11-kit formats.
 * Erase is C_DestroyObject on every object carrying the key's label.
 */
#define _POSIX_C_SOURCE 200809L
/* The libp11 engine is an ENGINE: OpenSSL 3 marks that API deprecated. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "base/p11_int.h"
#include "keystore_int.h"
#include "rampart/alloc.h"
#include "rampart/mem.h"

/* DER of the OID prime256v1 (1.2.840.10045.3.1.7): CKA_EC_PARAMS. */
static const uint8_t p256_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48,
                                   0xce, 0x3d, 0x03, 0x01, 0x07};

/* Open the spec's token by label, R/W, logged in with its PIN. */
static rp_err ks_open(const struct rp_keystore_spec *sp, struct rp_p11 *p)
{
	rp_err rc;

	rc = rp_p11_open(sp->module, NULL, sp->token, true, p);
	if (rc == RP_OK)
		rc = rp_p11_login(p, sp->pin);
	if (rc != RP_OK)
		rp_p11_close(p);
	return rc == RP_OK || rc == RP_E_NOMEM ? rc : RP_E_KEYSTORE_BACKEND;
}

/*
 * Find up to cap objects with the label (and class, unless cls is
 * (CK_ULONG)-1). *n gets the count.
 */
static rp_err ks_find(struct rp_p11 *p, const char *label, CK_ULONG cls,
                      CK_OBJECT_HANDLE *objs, CK_ULONG cap, CK_ULONG *n)
{
	CK_ATTRIBUTE t[2] = {
	    {CKA_LABEL, (void *)label, (CK_ULONG)strlen(label)},
	    {CKA_CLASS, &cls, sizeof cls},
	};

	if (rp_p11_find(p, t, cls != (CK_ULONG)-1 ? 2 : 1, objs, cap, n) !=
	    RP_OK)
		return RP_E_KEYSTORE_BACKEND;
	return RP_OK;
}

static bool pkcs11_has_key(rp_keystore *ks)
{
	struct rp_p11 p;
	CK_OBJECT_HANDLE o;
	CK_ULONG n = 0;

	if (ks_open(&ks->spec, &p) != RP_OK)
		return false;
	if (ks_find(&p, ks->spec.object, CKO_PRIVATE_KEY, &o, 1, &n) != RP_OK)
		n = 0;
	rp_p11_close(&p);
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
	struct rp_p11 p;
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

	rc = ks_open(&ks->spec, &p);
	if (rc != RP_OK)
		return rc;
	rc = ks_find(&p, label, CKO_PRIVATE_KEY, &o, 1, &n);
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
	rp_p11_close(&p);
	return rc;
}

static rp_err pkcs11_erase(rp_keystore *ks)
{
	CK_OBJECT_HANDLE objs[16];
	CK_ULONG n = 0, i;
	struct rp_p11 p;
	rp_err rc;

	rc = ks_open(&ks->spec, &p);
	if (rc != RP_OK)
		return rc;
	/* Every object under the label: private key, public key, certs. */
	do {
		rc = ks_find(&p, ks->spec.object, (CK_ULONG)-1, objs,
		             sizeof objs / sizeof objs[0], &n);
		for (i = 0; rc == RP_OK && i < n; i++) {
			if (p.f->C_DestroyObject(p.s, objs[i]) != CKR_OK)
				rc = RP_E_KEYSTORE_BACKEND;
		}
	} while (rc == RP_OK && n > 0);
	rp_p11_close(&p);
	return rc;
}

/* The engine's URI for the key: token label, object label, private. */
static rp_err engine_uri(const struct rp_keystore_spec *sp, char **out)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE a[2] = {
	    {CKA_LABEL, (void *)sp->object, (CK_ULONG)strlen(sp->object)},
	    {CKA_CLASS, &cls, sizeof cls},
	};
	P11KitUri *u = p11_kit_uri_new();
	CK_TOKEN_INFO *ti;
	size_t l = strlen(sp->token);
	rp_err rc = RP_E_INVAL;

	*out = NULL;
	if (u == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	ti = p11_kit_uri_get_token_info(u);
	if (l > sizeof ti->label)
		goto out;
	memset(ti->label, ' ', sizeof ti->label); /* blank-padded */
	memcpy(ti->label, sp->token, l);
	if (p11_kit_uri_set_attributes(u, a, 2) != P11_KIT_URI_OK ||
	    p11_kit_uri_format(u, P11_KIT_URI_FOR_OBJECT_ON_TOKEN, out) !=
	        P11_KIT_URI_OK)
		goto out;
	rc = RP_OK;
out:
	p11_kit_uri_free(u);
	return rc;
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
	char *uri = NULL; /* p11-kit's, free() */
	ENGINE *e = NULL;
	rp_err rc;

	rc = engine_uri(&ks->spec, &uri);
	if (rc != RP_OK)
		goto out;
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
	free(uri);
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
