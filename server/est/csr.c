/* SPDX-License-Identifier: Apache-2.0 */
/*
 * csr.c - decoding and stateless checks of EST certificate requests
 * (csr.h). Base64 through librampart's strict decoder, DER and signatures
 * through OpenSSL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "csr.h"
#include "pki/ca.h"
#include "rampart/alloc.h"
#include "rampart/broker.h"
#include "rampart/encode.h"
#include "rampart/id.h"

_Static_assert(CSR_ID_MAX == RP_BROKER_ID_MAX,
               "a CSR's CN holds exactly a broker id");

/* The one id rule (rampart/id.h). */
int csr_id_valid(const char *s)
{
	return rp_id_valid(s, strlen(s));
}

int csr_token_valid(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i >= CSR_TOKEN_MAX ||
		    !(rp_id_char((unsigned char)s[i]) || s[i] == ':' ||
		      s[i] == '+' || s[i] == '/' || s[i] == '='))
			return 0;
	}
	return i > 0;
}

/*
 * rc, or RP_E_NOMEM ("out of memory" in why) when OpenSSL's error queue
 * says one of its allocations failed: a request OpenSSL had no memory to
 * read or verify is not a malformed or forged one. Empties the queue.
 */
static rp_err memory_or(rp_err rc, char *why, size_t cap)
{
	unsigned long e = ERR_get_error();

	while (e != 0) {
		if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE) {
			snprintf(why, cap, "out of memory");
			rc = RP_E_NOMEM;
		}
		e = ERR_get_error();
	}
	return rc;
}

rp_err csr_decode(const char *body, size_t len, X509_REQ **out, char *why,
                  size_t cap)
{
	uint8_t *der = NULL;
	const unsigned char *p;
	size_t n = 0;
	X509_REQ *req = NULL;
	rp_err rc;

	*out = NULL;
	/* base64 of CSR_DER_MAX bytes plus generous line breaks */
	if (len > CSR_DER_MAX * 2) {
		snprintf(why, cap, "body of %zu bytes is too big for a CSR",
		         len);
		return RP_E_TOO_BIG;
	}
	der = rp_malloc(len / 4 * 3 + 3);
	if (der == NULL) {
		snprintf(why, cap, "out of memory");
		return RP_E_NOMEM;
	}
	rc = rp_b64_decode(body, len, RP_B64_STD, " \t\r\n", der,
	                   len / 4 * 3 + 3, &n);
	if (rc != RP_OK) {
		snprintf(why, cap, "body is not valid base64");
		rc = RP_E_ENCODING;
		goto out;
	}
	p = der;
	req = d2i_X509_REQ(NULL, &p, (long)n);
	if (req == NULL) {
		snprintf(why, cap, "body is not a DER PKCS#10 request");
		rc = RP_E_CSR;
		goto out;
	}
	if ((size_t)(p - der) != n) {
		snprintf(why, cap, "%zu bytes after the PKCS#10 request",
		         n - (size_t)(p - der));
		rc = RP_E_CSR;
		goto out;
	}
	*out = req;
	req = NULL;
	rc = RP_OK;
out:
	if (rc != RP_OK)
		rc = memory_or(rc, why, cap);
	ERR_clear_error();
	X509_REQ_free(req);
	free(der);
	return rc;
}

static rp_err check_key(EVP_PKEY *pub, char *why, size_t cap)
{
	char group[32] = "";
	size_t glen = 0;

	if (pub == NULL) {
		snprintf(why, cap, "CSR has no usable public key");
		return RP_E_CSR_KEY;
	}
	if (EVP_PKEY_get_base_id(pub) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME,
	                                   group, sizeof group, &glen) != 1 ||
	    strcmp(group, "prime256v1") != 0) {
		snprintf(
		    why, cap, "CSR key is %s%s%s, only EC P-256 is accepted",
		    EVP_PKEY_get0_type_name(pub) ? EVP_PKEY_get0_type_name(pub)
		                                 : "unknown",
		    group[0] ? " " : "", group);
		return RP_E_CSR_KEY;
	}
	return RP_OK;
}

static rp_err check_subject(X509_REQ *req, struct csr_info *info, char *why,
                            size_t cap)
{
	X509_NAME *name = X509_REQ_get_subject_name(req);
	int idx, n = 0, len;
	unsigned char *utf8 = NULL;
	rp_err rc = RP_E_CSR_SUBJECT;

	idx = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
	if (idx < 0) {
		snprintf(why, cap, "CSR subject has no CN (the device serial)");
		return rc;
	}
	if (X509_NAME_get_index_by_NID(name, NID_commonName, idx) >= 0) {
		snprintf(why, cap, "CSR subject has more than one CN");
		return rc;
	}
	len = ASN1_STRING_to_UTF8(
	    &utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
	if (len <= 0 || len > CSR_ID_MAX ||
	    memchr(utf8, '\0', (size_t)len) != NULL) {
		snprintf(why, cap, "CSR subject CN is empty or too long");
		goto out;
	}
	memcpy(info->id, utf8, (size_t)len);
	info->id[len] = '\0';
	if (!csr_id_valid(info->id)) {
		for (n = 0; info->id[n]; n++)
			if (!rp_id_char((unsigned char)info->id[n]))
				info->id[n] = '?';
		snprintf(why, cap,
		         "CSR subject CN '%s' has characters "
		         "outside [A-Za-z0-9._-]",
		         info->id);
		info->id[0] = '\0';
		goto out;
	}
	rc = RP_OK;
out:
	OPENSSL_free(utf8);
	return rc;
}

static rp_err check_token(X509_REQ *req, struct csr_info *info, char *why,
                          size_t cap)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	ASN1_OBJECT *oid = OBJ_txt2obj(RP_OID_HWTOKEN, 1);
	ASN1_UTF8STRING *s = NULL;
	const unsigned char *p;
	int i, found = 0;
	rp_err rc = RP_E_CSR;

	if (oid == NULL) {
		snprintf(why, cap, "out of memory");
		rc = RP_E_NOMEM;
		goto out;
	}
	/* NULL with an extension request present: it could not be read
	 * (for memory too), so a token in it is not just absent */
	if (exts == NULL &&
	    (X509_REQ_get_attr_by_NID(req, NID_ext_req, -1) >= 0 ||
	     X509_REQ_get_attr_by_NID(req, NID_ms_ext_req, -1) >= 0)) {
		snprintf(why, cap, "CSR extensions are not readable");
		goto out;
	}
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
		ASN1_OCTET_STRING *v;

		if (OBJ_cmp(X509_EXTENSION_get_object(e), oid) != 0)
			continue;
		if (found++) {
			snprintf(why, cap,
			         "CSR has two hardware token "
			         "extensions");
			goto out;
		}
		v = X509_EXTENSION_get_data(e);
		p = ASN1_STRING_get0_data(v);
		s = d2i_ASN1_UTF8STRING(NULL, &p, ASN1_STRING_length(v));
		if (s == NULL ||
		    p != ASN1_STRING_get0_data(v) + ASN1_STRING_length(v) ||
		    ASN1_STRING_length(s) > CSR_TOKEN_MAX ||
		    ASN1_STRING_length(s) < 1) {
			snprintf(why, cap,
			         "CSR hardware token extension is "
			         "not a UTF8String of 1..128 bytes");
			goto out;
		}
		memcpy(info->hwtoken, ASN1_STRING_get0_data(s),
		       (size_t)ASN1_STRING_length(s));
		info->hwtoken[ASN1_STRING_length(s)] = '\0';
		if (!csr_token_valid(info->hwtoken)) {
			info->hwtoken[0] = '\0';
			snprintf(why, cap,
			         "CSR hardware token has bad "
			         "characters");
			goto out;
		}
		info->has_hwtoken = 1;
		ASN1_UTF8STRING_free(s);
		s = NULL;
	}
	rc = RP_OK;
out:
	ASN1_UTF8STRING_free(s);
	ASN1_OBJECT_free(oid);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return rc;
}

rp_err csr_check(X509_REQ *req, struct csr_info *info, char *why, size_t cap)
{
	EVP_PKEY *pub;
	rp_err rc;

	memset(info, 0, sizeof *info);
	pub = X509_REQ_get0_pubkey(req);
	rc = check_key(pub, why, cap);
	if (rc != RP_OK)
		goto out;
	/* Proof of possession: signed by the key it carries. */
	if (X509_REQ_verify(req, pub) != 1) {
		snprintf(why, cap,
		         "CSR signature does not verify with its "
		         "own public key");
		rc = RP_E_CSR_SIG;
		goto out;
	}
	rc = check_subject(req, info, why, cap);
	if (rc != RP_OK)
		goto out;
	rc = check_token(req, info, why, cap);
out:
	if (rc != RP_OK)
		rc = memory_or(rc, why, cap);
	ERR_clear_error();
	return rc;
}
