/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keystore_tpm.c - the TPM 2.0 keystore. The P-256 signing key is created
 * by the TPM (sensitiveDataOrigin, fixedTPM, fixedParent: its private part
 * never exists outside the chip) under a transient storage primary in the
 * owner hierarchy, and made persistent at the spec's handle with
 * TPM2_EvictControl (tpm2-tss ESAPI). OpenSSL reaches it as
 * "handle:0x81......" through the tpm2 provider (tpm2-openssl). Erase
 * evicts the handle: the TPM destroys the only copy of the key.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/store.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "keystore_int.h"
#include "rampart/encode.h"

struct tpm {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *ctx;
};

static void tpm_close(struct tpm *t)
{
	if (t->ctx != NULL)
		Esys_Finalize(&t->ctx);
	if (t->tcti != NULL)
		Tss2_TctiLdr_Finalize(&t->tcti);
}

static rp_err tpm_open(const struct rp_keystore_spec *sp, struct tpm *t)
{
	TSS2_RC r;

	memset(t, 0, sizeof *t);
	r = Tss2_TctiLdr_Initialize(sp->tcti[0] != '\0' ? sp->tcti : NULL,
	                            &t->tcti);
	if (r == TSS2_RC_SUCCESS)
		r = Esys_Initialize(&t->ctx, t->tcti, NULL);
	if (r != TSS2_RC_SUCCESS) {
		tpm_close(t);
		return RP_E_KEYSTORE_BACKEND;
	}
	return RP_OK;
}

/* ESYS_TR of the persistent handle, or ESYS_TR_NONE if it is empty. */
static ESYS_TR persistent(struct tpm *t, uint32_t handle)
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more = TPM2_NO;
	ESYS_TR obj = ESYS_TR_NONE;
	bool present;

	/* Ask first: TR_FromTPMPublic on an empty handle logs an error. */
	if (Esys_GetCapability(t->ctx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	                       TPM2_CAP_HANDLES, handle, 1, &more,
	                       &cap) != TSS2_RC_SUCCESS)
		return ESYS_TR_NONE;
	present = cap->data.handles.count > 0 &&
	          cap->data.handles.handle[0] == handle;
	Esys_Free(cap);
	if (!present)
		return ESYS_TR_NONE;
	if (Esys_TR_FromTPMPublic(t->ctx, handle, ESYS_TR_NONE, ESYS_TR_NONE,
	                          ESYS_TR_NONE, &obj) != TSS2_RC_SUCCESS)
		return ESYS_TR_NONE;
	return obj;
}

static bool tpm_has_key(rp_keystore *ks)
{
	struct tpm t;
	ESYS_TR obj;
	bool found;

	if (tpm_open(&ks->spec, &t) != RP_OK)
		return false;
	obj = persistent(&t, ks->spec.handle);
	found = obj != ESYS_TR_NONE;
	if (found)
		Esys_TR_Close(t.ctx, &obj); /* sets obj to ESYS_TR_NONE */
	tpm_close(&t);
	return found;
}

/* TCG EK/SRK-style ECC P-256 storage key template (restricted decrypt). */
static void srk_template(TPM2B_PUBLIC *p)
{
	memset(p, 0, sizeof *p);
	p->publicArea.type = TPM2_ALG_ECC;
	p->publicArea.nameAlg = TPM2_ALG_SHA256;
	p->publicArea.objectAttributes =
	    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
	    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
	    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT | TPMA_OBJECT_NODA;
	p->publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
	p->publicArea.parameters.eccDetail.symmetric.keyBits.aes = 128;
	p->publicArea.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	p->publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	p->publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
}

/* The device key: ECDSA-SHA256 signing only, born in the TPM. */
static void key_template(TPM2B_PUBLIC *p)
{
	memset(p, 0, sizeof *p);
	p->publicArea.type = TPM2_ALG_ECC;
	p->publicArea.nameAlg = TPM2_ALG_SHA256;
	p->publicArea.objectAttributes =
	    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
	    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
	    TPMA_OBJECT_SIGN_ENCRYPT;
	p->publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p->publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p->publicArea.parameters.eccDetail.scheme.details.ecdsa.hashAlg =
	    TPM2_ALG_SHA256;
	p->publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
}

static rp_err tpm_generate(rp_keystore *ks)
{
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC srk, tmpl;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION pcrs;
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_PUBLIC *pub = NULL;
	ESYS_TR primary = ESYS_TR_NONE, key = ESYS_TR_NONE;
	ESYS_TR persisted = ESYS_TR_NONE, existing;
	struct tpm t;
	rp_err rc;

	memset(&sens, 0, sizeof sens);
	memset(&outside, 0, sizeof outside);
	memset(&pcrs, 0, sizeof pcrs);
	srk_template(&srk);
	key_template(&tmpl);
	rc = tpm_open(&ks->spec, &t);
	if (rc != RP_OK)
		return rc;
	existing = persistent(&t, ks->spec.handle);
	if (existing != ESYS_TR_NONE) {
		Esys_TR_Close(t.ctx, &existing);
		rc = RP_E_KEYSTORE_HAS_KEY;
		goto out;
	}
	rc = RP_E_KEYSTORE_BACKEND;
	if (Esys_CreatePrimary(t.ctx, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD,
	                       ESYS_TR_NONE, ESYS_TR_NONE, &sens, &srk,
	                       &outside, &pcrs, &primary, NULL, NULL, NULL,
	                       NULL) != TSS2_RC_SUCCESS)
		goto out;
	if (Esys_Create(t.ctx, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE,
	                ESYS_TR_NONE, &sens, &tmpl, &outside, &pcrs, &priv,
	                &pub, NULL, NULL, NULL) != TSS2_RC_SUCCESS)
		goto out;
	if (Esys_Load(t.ctx, primary, ESYS_TR_PASSWORD, ESYS_TR_NONE,
	              ESYS_TR_NONE, priv, pub, &key) != TSS2_RC_SUCCESS)
		goto out;
	/* A persistent copy needs no parent to be used later. */
	if (Esys_EvictControl(t.ctx, ESYS_TR_RH_OWNER, key, ESYS_TR_PASSWORD,
	                      ESYS_TR_NONE, ESYS_TR_NONE, ks->spec.handle,
	                      &persisted) != TSS2_RC_SUCCESS)
		goto out;
	Esys_TR_Close(t.ctx, &persisted);
	rc = RP_OK;
out:
	/* swtpm without a resource manager holds 3 transient objects. */
	if (key != ESYS_TR_NONE)
		Esys_FlushContext(t.ctx, key);
	if (primary != ESYS_TR_NONE)
		Esys_FlushContext(t.ctx, primary);
	Esys_Free(priv);
	Esys_Free(pub);
	tpm_close(&t);
	return rc;
}

static rp_err tpm_erase(rp_keystore *ks)
{
	ESYS_TR obj, out = ESYS_TR_NONE;
	struct tpm t;
	rp_err rc;

	rc = tpm_open(&ks->spec, &t);
	if (rc != RP_OK)
		return rc;
	obj = persistent(&t, ks->spec.handle);
	/* TPM 2.0 Part 3, 28.5: EvictControl on a persistent object
	 * removes it from NV memory. */
	if (obj != ESYS_TR_NONE &&
	    Esys_EvictControl(t.ctx, ESYS_TR_RH_OWNER, obj, ESYS_TR_PASSWORD,
	                      ESYS_TR_NONE, ESYS_TR_NONE, ks->spec.handle,
	                      &out) != TSS2_RC_SUCCESS)
		rc = RP_E_KEYSTORE_BACKEND;
	tpm_close(&t);
	return rc;
}

/*
 * Load the tpm2 provider (and default beside it) once per process. The
 * provider reads its TCTI from TPM2OPENSSL_TCTI when it starts; a spec
 * with tcti= sets it first. Default properties as platform-facts.md says:
 * prefer tpm2 for the key, but never its digests (TLS transcript hashing
 * in the TPM fails).
 */
static rp_err provider_load(const struct rp_keystore_spec *sp)
{
	static OSSL_PROVIDER *tpm2, *dflt;

	if (tpm2 == NULL) {
		if (sp->tcti[0] != '\0' &&
		    setenv("TPM2OPENSSL_TCTI", sp->tcti, 1) != 0)
			return RP_E_NOMEM;
		dflt = OSSL_PROVIDER_load(NULL, "default");
		tpm2 = OSSL_PROVIDER_load(NULL, "tpm2");
	}
	/* Set on every call: a caller may have reset them in between. */
	if (dflt == NULL || tpm2 == NULL ||
	    !EVP_set_default_properties(NULL,
	                                "?provider=tpm2,tpm2.digest!=yes")) {
		ERR_clear_error();
		return RP_E_KEYSTORE_BACKEND;
	}
	return RP_OK;
}

static rp_err tpm_key(rp_keystore *ks, EVP_PKEY **out)
{
	OSSL_STORE_CTX *store = NULL;
	OSSL_STORE_INFO *info;
	char uri[32];
	rp_err rc;

	if (!tpm_has_key(ks)) {
		rc = RP_E_KEYSTORE_NO_KEY;
		goto out;
	}
	rc = provider_load(&ks->spec);
	if (rc != RP_OK)
		goto out;
	rc = RP_E_KEYSTORE_BACKEND;
	snprintf(uri, sizeof uri, "handle:0x%08x", (unsigned)ks->spec.handle);
	store = OSSL_STORE_open_ex(uri, NULL, "?provider=tpm2", NULL, NULL,
	                           NULL, NULL, NULL);
	if (store == NULL || !OSSL_STORE_expect(store, OSSL_STORE_INFO_PKEY))
		goto out;
	while (*out == NULL && !OSSL_STORE_eof(store)) {
		info = OSSL_STORE_load(store);
		if (info == NULL)
			break;
		if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY)
			*out = OSSL_STORE_INFO_get1_PKEY(info);
		OSSL_STORE_INFO_free(info);
	}
	if (*out != NULL)
		rc = RP_OK;
out:
	if (rc != RP_OK)
		ERR_clear_error();
	OSSL_STORE_close(store);
	return rc;
}

/*
 * TCG EK Credential Profile 2.0, template L-2: the ECC NIST P-256
 * endorsement key every TPM derives from its endorsement seed (what
 * `tpm2_createek -G ecc` makes). authPolicy = PolicySecret(TPM_RH_ENDORSEMENT).
 */
static void ek_template(TPM2B_PUBLIC *p)
{
	static const uint8_t policy[32] = {
	    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc,
	    0x8d, 0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52,
	    0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa};

	memset(p, 0, sizeof *p);
	p->publicArea.type = TPM2_ALG_ECC;
	p->publicArea.nameAlg = TPM2_ALG_SHA256;
	p->publicArea.objectAttributes =
	    TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
	    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
	    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	p->publicArea.authPolicy.size = sizeof policy;
	memcpy(p->publicArea.authPolicy.buffer, policy, sizeof policy);
	p->publicArea.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
	p->publicArea.parameters.eccDetail.symmetric.keyBits.aes = 128;
	p->publicArea.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	p->publicArea.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	p->publicArea.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->publicArea.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	/* L-2: unique is two 32-byte zero coordinates. */
	p->publicArea.unique.ecc.x.size = 32;
	p->publicArea.unique.ecc.y.size = 32;
}

/* Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo of a P-256 point. */
static rp_err spki_hash_hex(const TPMS_ECC_POINT *pt, char *out, size_t cap)
{
	uint8_t point[65], digest[32];
	unsigned char *der = NULL;
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *pub = NULL;
	char group[] = "prime256v1";
	unsigned int dlen = 0;
	int n;
	rp_err rc = RP_E_KEYSTORE_BACKEND;

	if (pt->x.size > 32 || pt->y.size > 32 || cap < 65)
		return cap < 65 ? RP_E_BUFFER : rc;
	memset(point, 0, sizeof point);
	point[0] = 0x04;
	memcpy(point + 1 + 32 - pt->x.size, pt->x.buffer, pt->x.size);
	memcpy(point + 33 + 32 - pt->y.size, pt->y.buffer, pt->y.size);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
	                                             group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
	                                              point, sizeof point);
	params[2] = OSSL_PARAM_construct_end();
	pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", "provider=default");
	if (pctx == NULL || EVP_PKEY_fromdata_init(pctx) <= 0 ||
	    EVP_PKEY_fromdata(pctx, &pub, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		goto out;
	n = i2d_PUBKEY(pub, &der);
	if (n <= 0 ||
	    !EVP_Digest(der, (size_t)n, digest, &dlen, EVP_sha256(), NULL))
		goto out;
	rc = rp_hex_encode(digest, sizeof digest, out, cap);
out:
	ERR_clear_error();
	OPENSSL_free(der);
	EVP_PKEY_free(pub);
	EVP_PKEY_CTX_free(pctx);
	return rc;
}

rp_err ks_tpm_ek_hash(const struct rp_keystore_spec *sp, char *out, size_t cap)
{
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC tmpl, *pub = NULL;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION pcrs;
	ESYS_TR ek = ESYS_TR_NONE;
	struct tpm t;
	rp_err rc;

	memset(&sens, 0, sizeof sens);
	memset(&outside, 0, sizeof outside);
	memset(&pcrs, 0, sizeof pcrs);
	ek_template(&tmpl);
	rc = tpm_open(sp, &t);
	if (rc != RP_OK)
		return rc;
	if (Esys_CreatePrimary(t.ctx, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD,
	                       ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl,
	                       &outside, &pcrs, &ek, &pub, NULL, NULL,
	                       NULL) != TSS2_RC_SUCCESS) {
		rc = RP_E_KEYSTORE_BACKEND;
		goto out;
	}
	rc = spki_hash_hex(&pub->publicArea.unique.ecc, out, cap);
out:
	if (ek != ESYS_TR_NONE)
		Esys_FlushContext(t.ctx, ek);
	Esys_Free(pub);
	tpm_close(&t);
	return rc;
}

const struct ks_ops ks_tpm_ops = {
    .generate = tpm_generate,
    .has_key = tpm_has_key,
    .key = tpm_key,
    .erase = tpm_erase,
};
