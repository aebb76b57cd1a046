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

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/store.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_tctildr.h>

#include "keystore_int.h"

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
	ESYS_TR obj = ESYS_TR_NONE;

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

const struct ks_ops ks_tpm_ops = {
    .generate = tpm_generate,
    .has_key = tpm_has_key,
    .key = tpm_key,
    .erase = tpm_erase,
};
