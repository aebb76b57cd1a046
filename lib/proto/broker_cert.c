/* SPDX-License-Identifier: Apache-2.0 */
/*
 * broker_cert.c - what a client certificate presents to the broker
 * (include/rampart/broker.h, "client certificates"): its single CN, its
 * canonical serial, the role its certificate profile asks for (EKU and SAN
 * read exactly, never the CN alone) and the pin of its public key. On
 * OpenSSL 3 libcrypto; shared by librampart and the Mosquitto plugin.
 */
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "rampart/broker.h"

/* The certificate's single CN into out->id; RP_E_CERT_SUBJECT if not one. */
static rp_err read_cn(const X509 *cert, struct rp_broker_peer *out,
                      const char **why)
{
	const X509_NAME *name = X509_get_subject_name(cert);
	const ASN1_STRING *d;
	int idx, len;

	idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	if (idx < 0) {
		*why = "no CN in the subject";
		return RP_E_CERT_SUBJECT;
	}
	if (X509_NAME_get_index_by_NID(name, NID_commonName, idx) >= 0) {
		*why = "more than one CN in the subject";
		return RP_E_CERT_SUBJECT;
	}
	/*
	 * The raw bytes, whatever the string type: a BMPString's or
	 * UniversalString's NULs, or an embedded NUL, fail the id charset
	 * instead of being converted into something that passes it.
	 */
	d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
	len = ASN1_STRING_length(d);
	if (len < 0 ||
	    !rp_broker_id_valid((const char *)ASN1_STRING_get0_data(d),
	                        (size_t)len)) {
		*why = "CN is not a valid id";
		return RP_E_CERT_SUBJECT;
	}
	memcpy(out->id, ASN1_STRING_get0_data(d), (size_t)len);
	out->id[len] = '\0';
	return RP_OK;
}

static rp_err read_serial(const X509 *cert, struct rp_broker_peer *out,
                          const char **why)
{
	const ASN1_INTEGER *sn = X509_get0_serialNumber(cert);

	/* RFC 5280 4.1.2.2: a positive integer */
	if (sn == NULL || ASN1_STRING_type(sn) != V_ASN1_INTEGER ||
	    ASN1_STRING_length(sn) < 0) {
		*why = "serial number is negative";
		return RP_E_RANGE;
	}
	if (rp_broker_serial_hex(ASN1_STRING_get0_data(sn),
	                         (size_t)ASN1_STRING_length(sn),
	                         out->serial) != RP_OK) {
		out->serial[0] = '\0';
		*why = "serial number longer than 20 octets";
		return RP_E_RANGE;
	}
	return RP_OK;
}

/* True if the extension nid appears more than once. */
static bool ext_repeated(const X509 *cert, int nid)
{
	int i = X509_get_ext_by_NID(cert, nid, -1);

	return i >= 0 && X509_get_ext_by_NID(cert, nid, i) >= 0;
}

/* True if obj is the OID given in dotted text. */
static bool oid_is(const ASN1_OBJECT *obj, const char *dotted)
{
	char buf[128];
	int n = OBJ_obj2txt(buf, sizeof buf, obj, 1);

	return n > 0 && (size_t)n < sizeof buf && strcmp(buf, dotted) == 0;
}

/*
 * The profile the EKU asks for: exactly {clientAuth} (device), or that
 * plus exactly one of the service and monitor OIDs; NONE for anything
 * else (another OID, a repeat, both role OIDs, no clientAuth).
 */
static enum rp_broker_role eku_profile(const EXTENDED_KEY_USAGE *eku)
{
	int i, n = sk_ASN1_OBJECT_num(eku);
	unsigned client = 0, service = 0, monitor = 0, other = 0;

	for (i = 0; i < n; i++) {
		const ASN1_OBJECT *o = sk_ASN1_OBJECT_value(eku, i);

		if (OBJ_obj2nid(o) == NID_client_auth)
			client++;
		else if (oid_is(o, RP_BROKER_OID_SERVICE))
			service++;
		else if (oid_is(o, RP_BROKER_OID_MONITOR))
			monitor++;
		else
			other++;
	}
	if (client != 1 || other != 0 || service + monitor > 1)
		return RP_BROKER_ROLE_NONE;
	return service   ? RP_BROKER_ROLE_SERVICE
	       : monitor ? RP_BROKER_ROLE_MONITOR
	                 : RP_BROKER_ROLE_DEVICE;
}

/* True if the SAN is exactly one URI, byte for byte prefix + id. */
static bool san_matches(const GENERAL_NAMES *san, const char *prefix,
                        const char *id)
{
	const GENERAL_NAME *gn;
	const unsigned char *uri;
	size_t plen = strlen(prefix), ilen = strlen(id);
	int len;

	if (sk_GENERAL_NAME_num(san) != 1)
		return false;
	gn = sk_GENERAL_NAME_value(san, 0);
	if (gn == NULL || gn->type != GEN_URI)
		return false;
	uri = ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
	len = ASN1_STRING_length(gn->d.uniformResourceIdentifier);
	return len >= 0 && (size_t)len == plen + ilen &&
	       memcmp(uri, prefix, plen) == 0 &&
	       memcmp(uri + plen, id, ilen) == 0;
}

/* The profile of cert (its id already read): RP_E_CERT_PROFILE if none. */
static rp_err read_profile(const X509 *cert, const char *id,
                           enum rp_broker_role *profile, const char **why)
{
	EXTENDED_KEY_USAGE *eku = NULL; /* ours, freed at out */
	GENERAL_NAMES *san = NULL;      /* ours, freed at out */
	BASIC_CONSTRAINTS *bc = NULL;   /* ours, freed at out */
	enum rp_broker_role role = RP_BROKER_ROLE_NONE;
	const char *prefix;
	bool reserved = rp_broker_id_reserved(id, strlen(id));
	int crit = 0;
	rp_err rc = RP_E_CERT_PROFILE;

	if (ext_repeated(cert, NID_basic_constraints) ||
	    ext_repeated(cert, NID_ext_key_usage) ||
	    ext_repeated(cert, NID_subject_alt_name)) {
		*why = "an extension appears twice";
		goto out;
	}
	bc = X509_get_ext_d2i(cert, NID_basic_constraints, &crit, NULL);
	if (bc == NULL && crit != -1) { /* present but unreadable */
		*why = "unreadable basicConstraints";
		goto out;
	}
	if (bc != NULL && bc->ca) {
		*why = "a CA certificate (basicConstraints CA:TRUE)";
		goto out;
	}
	eku = X509_get_ext_d2i(cert, NID_ext_key_usage, &crit, NULL);
	if (eku == NULL) {
		*why = "no readable extendedKeyUsage";
		goto out;
	}
	role = eku_profile(eku);
	if (role == RP_BROKER_ROLE_NONE) {
		*why = "extendedKeyUsage matches no profile";
		goto out;
	}
	prefix = role == RP_BROKER_ROLE_DEVICE    ? RP_BROKER_URI_DEVICE
	         : role == RP_BROKER_ROLE_SERVICE ? RP_BROKER_URI_SERVICE
	                                          : RP_BROKER_URI_MONITOR;
	san = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
	if (san == NULL) {
		*why = "no readable subjectAltName";
		goto out;
	}
	if (!san_matches(san, prefix, id)) {
		*why =
		    "subjectAltName is not exactly the profile's URI for the "
		    "CN";
		goto out;
	}
	/* The namespaces never meet: a device never holds a reserved id. */
	if (role == RP_BROKER_ROLE_DEVICE && reserved) {
		*why = "device profile with a reserved id";
		goto out;
	}
	if (role != RP_BROKER_ROLE_DEVICE && !reserved) {
		*why = "service or monitor profile with an unreserved id";
		goto out;
	}
	*profile = role;
	rc = RP_OK;
out:
	BASIC_CONSTRAINTS_free(bc);
	EXTENDED_KEY_USAGE_free(eku);
	GENERAL_NAMES_free(san);
	return rc;
}

/* SHA-256 of the DER SubjectPublicKeyInfo (RFC 7469 2.4). */
static rp_err read_pin(X509 *cert, uint8_t pin[RP_BROKER_PIN_LEN],
                       const char **why)
{
	unsigned char *spki = NULL; /* ours (i2d allocates), freed at out */
	unsigned int mdlen = 0;
	int n;
	rp_err rc = RP_E_NOMEM;

	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &spki);
	if (n <= 0) {
		*why = "public key could not be encoded";
		goto out;
	}
	if (EVP_Digest(spki, (size_t)n, pin, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != RP_BROKER_PIN_LEN) {
		*why = "public key could not be hashed";
		goto out;
	}
	rc = RP_OK;
out:
	OPENSSL_free(spki);
	return rc;
}

/* What both entry points read from a parsed certificate. */
static rp_err peer_read(X509 *cert, struct rp_broker_peer *out,
                        const char **reason)
{
	enum rp_broker_role profile = RP_BROKER_ROLE_NONE;
	rp_err rc, rc_serial;

	/* Both serial and CN, as far as they read, for the refusal event. */
	rc_serial = read_serial(cert, out, reason);
	rc = read_cn(cert, out, reason);
	if (rc == RP_OK)
		rc = rc_serial;
	if (rc == RP_OK)
		rc = read_profile(cert, out->id, &profile, reason);
	if (rc == RP_OK)
		rc = read_pin(cert, out->pin, reason);
	if (rc == RP_OK)
		out->profile = profile;
	return rc;
}

/* Whether OpenSSL's error queue says one of its allocations failed. */
static bool malloc_failed(void)
{
	unsigned long e = ERR_get_error();
	bool failed = false;

	while (e != 0) {
		if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
			failed = true;
		e = ERR_get_error();
	}
	return failed;
}

/*
 * A failure leaves no profile and no pin; *why (if asked) says why. A
 * certificate OpenSSL had no memory to read is not a malformed one:
 * RP_E_NOMEM then, whatever the step that saw its NULL made of it.
 */
static rp_err peer_done(rp_err rc, struct rp_broker_peer *out,
                        const char *reason, const char **why)
{
	if (rc != RP_OK && malloc_failed()) {
		rc = RP_E_NOMEM;
		reason = "out of memory";
	}
	if (rc != RP_OK) {
		out->profile = RP_BROKER_ROLE_NONE;
		memset(out->pin, 0, sizeof out->pin);
		if (why != NULL)
			*why = reason;
	}
	ERR_clear_error();
	return rc;
}

rp_err rp_broker_peer_from_der(const uint8_t *der, size_t len,
                               struct rp_broker_peer *out, const char **why)
{
	const unsigned char *p = der;
	const char *reason = NULL;
	X509 *cert = NULL; /* ours, freed at out */
	rp_err rc;

	if (why != NULL)
		*why = NULL;
	if (out == NULL)
		return RP_E_INVAL;
	memset(out, 0, sizeof *out);
	ERR_clear_error(); /* the queue holds this call's errors only */
	if (der == NULL || len == 0 || len > LONG_MAX) {
		reason = "not a DER certificate";
		rc = RP_E_SYNTAX;
		goto out;
	}
	cert = d2i_X509(NULL, &p, (long)len);
	if (cert == NULL) {
		reason = "not a DER certificate";
		rc = RP_E_SYNTAX;
		goto out;
	}
	if (p != der + len) {
		reason = "bytes after the certificate";
		rc = RP_E_SYNTAX;
		goto out;
	}
	rc = peer_read(cert, out, &reason);
out:
	X509_free(cert);
	return peer_done(rc, out, reason, why);
}

rp_err rp_broker_peer_from_x509(struct x509_st *cert,
                                struct rp_broker_peer *out, const char **why)
{
	const char *reason = "no certificate";
	rp_err rc = RP_E_SYNTAX;

	if (why != NULL)
		*why = NULL;
	if (out == NULL)
		return RP_E_INVAL;
	memset(out, 0, sizeof *out);
	ERR_clear_error(); /* the queue holds this call's errors only */
	if (cert != NULL)
		rc = peer_read(cert, out, &reason);
	return peer_done(rc, out, reason, why);
}
