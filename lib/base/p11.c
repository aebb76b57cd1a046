/* SPDX-License-Identifier: Apache-2.0 */
/*
 * p11.c - PKCS#11 through p11-kit (p11_int.h): URIs parsed by p11-kit
 * (p11_kit_uri_parse), modules loaded by it (p11_kit_module_load,
 * unmanaged: the module's own functions, no p11-kit configuration) and
 * shared, reference-counted, by every session open on them: C_Initialize
 * once, C_Finalize with the last session. A login belongs to the token,
 * not to the session (PKCS#11: C_Logout logs out every session of the
 * application on it), so logins are counted per slot and the last one
 * out logs out. A module another part of the process initialised first
 * (OpenSSL's pkcs11 engine) is used but never finalised or logged out here.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/p11-kit.h>

#include "p11_int.h"
#include "rampart/alloc.h"
#include "rampart/log.h"
#include "rampart/mem.h"

#define MAX_MODULES 8
#define MAX_LOGINS  8
#define PATH_CAP    512

struct rp_p11_module {
	char path[PATH_CAP];
	CK_FUNCTION_LIST *f; /* p11-kit's, released with the last ref */
	unsigned refs;
	bool initialized; /* C_Initialize by us: we C_Finalize */
	struct {
		CK_SLOT_ID slot;
		unsigned n; /* sessions of ours logged in on it; 0: free */
	} logins[MAX_LOGINS];
};

static struct rp_p11_module modules[MAX_MODULES];
static pthread_mutex_t modules_lock = PTHREAD_MUTEX_INITIALIZER;

/* Every name=value of the query (after '?') is named in allowed. */
static bool query_known(const char *s, const char *const *allowed)
{
	const char *q = strchr(s, '?');
	size_t n, i;

	if (q == NULL)
		return true;
	for (q++; *q != '\0'; q += n + (q[n] == '&')) {
		n = strcspn(q, "&");
		for (i = 0; allowed != NULL && allowed[i] != NULL; i++) {
			size_t l = strlen(allowed[i]);

			if (l < n && memcmp(q, allowed[i], l) == 0 &&
			    q[l] == '=')
				break;
		}
		if (allowed == NULL || allowed[i] == NULL) {
			rp_log(RP_LOG_ERROR,
			       "pkcs11 URI: unsupported attribute '%.*s'",
			       (int)strcspn(q, "=&"), q);
			return false;
		}
	}
	return true;
}

rp_err rp_p11_uri_parse(const char *s, const char *const *query,
                        P11KitUri **out)
{
	P11KitUri *u = NULL;
	CK_ATTRIBUTE *a;
	int r;
	rp_err rc = RP_E_INVAL;

	*out = NULL;
	if (strlen(s) > RP_P11_URI_MAX || strncmp(s, "pkcs11:", 7) != 0)
		goto out;
	u = p11_kit_uri_new();
	if (u == NULL) {
		rc = RP_E_NOMEM;
		goto out;
	}
	r = p11_kit_uri_parse(s, P11_KIT_URI_FOR_ANY, u);
	if (r != P11_KIT_URI_OK) {
		rp_log(RP_LOG_ERROR, "pkcs11 URI: %s", p11_kit_uri_message(r));
		goto out;
	}
	if (p11_kit_uri_any_unrecognized(u)) {
		rp_log(RP_LOG_ERROR, "pkcs11 URI: unsupported attribute");
		goto out;
	}
	if (!query_known(s, query))
		goto out;
	if (p11_kit_uri_get_module_name(u) != NULL) {
		rp_log(RP_LOG_ERROR, "pkcs11 URI: module-name is not "
		                     "supported (give module-path)");
		goto out;
	}
	a = p11_kit_uri_get_attribute(u, CKA_LABEL);
	if (a != NULL && memchr(a->pValue, 0, a->ulValueLen) != NULL)
		goto out;
	a = p11_kit_uri_get_attribute(u, CKA_CLASS);
	if (a != NULL && (a->ulValueLen != sizeof(CK_OBJECT_CLASS) ||
	                  *(CK_OBJECT_CLASS *)a->pValue != CKO_PRIVATE_KEY)) {
		rp_log(RP_LOG_ERROR, "pkcs11 URI: type must be private");
		goto out;
	}
	*out = u;
	u = NULL;
	rc = RP_OK;
out:
	rp_p11_uri_free(u);
	return rc;
}

void rp_p11_uri_free(P11KitUri *u)
{
	const char *pin;

	if (u == NULL)
		return;
	/* The URI owns its copy of pin-value: wipe it before p11-kit
	 * frees it (p11-kit itself does not). */
	pin = p11_kit_uri_get_pin_value(u);
	if (pin != NULL)
		rp_wipe((char *)pin, strlen(pin));
	p11_kit_uri_free(u);
}

rp_err rp_p11_pin_file(const char *src, char *pin, size_t cap)
{
	const char *path = strncmp(src, "file:", 5) == 0 ? src + 5 : src;
	FILE *f;
	rp_err rc = RP_OK;

	pin[0] = '\0';
	f = fopen(path, "re");
	if (f == NULL)
		return errno == ENOENT ? RP_E_NOT_FOUND : RP_E_IO;
	if (fgets(pin, (int)cap, f) == NULL)
		rc = RP_E_IO;
	fclose(f);
	pin[strcspn(pin, "\r\n")] = '\0';
	return rc;
}

/* Load and initialise path, or take one more reference on it. */
static rp_err module_get(const char *path, struct rp_p11_module **out)
{
	struct rp_p11_module *m = NULL;
	char *msg;
	CK_RV rv;
	size_t i;
	rp_err rc = RP_E_PKCS11;

	pthread_mutex_lock(&modules_lock);
	for (i = 0; i < MAX_MODULES; i++) {
		if (modules[i].refs > 0 && strcmp(modules[i].path, path) == 0) {
			modules[i].refs++;
			*out = &modules[i];
			rc = RP_OK;
			goto out;
		}
		if (modules[i].refs == 0 && m == NULL)
			m = &modules[i];
	}
	if (m == NULL || strlen(path) >= sizeof m->path) {
		rc = RP_E_TOO_BIG;
		goto out;
	}
	memset(m, 0, sizeof *m);
	m->f = p11_kit_module_load(path, P11_KIT_MODULE_UNMANAGED);
	if (m->f == NULL) {
		msg = (char *)p11_kit_message();
		rp_log(RP_LOG_ERROR, "pkcs11: cannot load module %s: %s", path,
		       msg != NULL ? msg : "?");
		goto out;
	}
	rv = p11_kit_module_initialize(m->f);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		rp_log(RP_LOG_ERROR, "pkcs11: %s: C_Initialize failed (0x%lx)",
		       path, rv);
		p11_kit_module_release(m->f);
		m->f = NULL;
		goto out;
	}
	m->initialized = rv == CKR_OK;
	snprintf(m->path, sizeof m->path, "%s", path); /* fits: checked */
	m->refs = 1;
	*out = m;
	rc = RP_OK;
out:
	pthread_mutex_unlock(&modules_lock);
	return rc;
}

static void module_put(struct rp_p11_module *m)
{
	pthread_mutex_lock(&modules_lock);
	if (--m->refs == 0) {
		if (m->initialized)
			(void)p11_kit_module_finalize(m->f);
		p11_kit_module_release(m->f);
		memset(m, 0, sizeof *m);
	}
	pthread_mutex_unlock(&modules_lock);
}

unsigned rp_p11_module_refs(const char *module)
{
	unsigned refs = 0;
	size_t i;

	pthread_mutex_lock(&modules_lock);
	for (i = 0; i < MAX_MODULES; i++) {
		if (modules[i].refs > 0 && strcmp(modules[i].path, module) == 0)
			refs = modules[i].refs;
	}
	pthread_mutex_unlock(&modules_lock);
	return refs;
}

/* Log that no token of module matches the token part of want. */
static void log_no_token(const char *module, P11KitUri *want)
{
	char *s = NULL;

	/* FOR_TOKEN: token attributes only, never the query (PIN). */
	if (p11_kit_uri_format(want, P11_KIT_URI_FOR_TOKEN, &s) !=
	    P11_KIT_URI_OK)
		s = NULL;
	rp_log(RP_LOG_ERROR, "pkcs11: no token %s in module %s",
	       s != NULL ? s : "matching the URI", module);
	free(s);
}

rp_err rp_p11_open(const char *module, P11KitUri *uri, const char *label,
                   bool rw, struct rp_p11 *p)
{
	P11KitUri *byname = NULL, *want = uri;
	CK_SLOT_ID *slots = NULL;
	CK_ULONG n = 0, i;
	CK_INFO info;
	CK_SLOT_INFO si;
	CK_FLAGS fl = CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0);
	CK_TOKEN_INFO *ti;
	size_t l;
	bool found = false;
	rp_err rc;

	memset(p, 0, sizeof *p);
	if (want == NULL) {
		/* A label: the same match as token=label. */
		l = strlen(label);
		byname = p11_kit_uri_new();
		if (byname == NULL) {
			rc = RP_E_NOMEM;
			goto out;
		}
		rc = RP_E_PKCS11_NO_KEY;
		if (l > sizeof ti->label)
			goto out;
		ti = p11_kit_uri_get_token_info(byname);
		memset(ti->label, ' ', sizeof ti->label);
		memcpy(ti->label, label, l);
		want = byname;
	}
	rc = module_get(module, &p->m);
	if (rc != RP_OK)
		goto out;
	p->f = p->m->f;
	rc = RP_E_PKCS11;
	if (p->f->C_GetInfo(&info) != CKR_OK)
		goto out;
	if (p->f->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_OK)
		goto out;
	if (n > 0) {
		slots = rp_calloc(n, sizeof *slots);
		if (slots == NULL) {
			rc = RP_E_NOMEM;
			goto out;
		}
		if (p->f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
			goto out;
	}
	found = p11_kit_uri_match_module_info(want, &info) == 1;
	for (i = 0; found && i < n; i++) {
		if (p->f->C_GetSlotInfo(slots[i], &si) == CKR_OK &&
		    p->f->C_GetTokenInfo(slots[i], &p->token) == CKR_OK &&
		    p11_kit_uri_match_slot_info(want, &si) == 1 &&
		    p11_kit_uri_match_token_info(want, &p->token) == 1)
			break;
	}
	if (!found || i == n) {
		rc = RP_E_PKCS11_NO_KEY;
		log_no_token(module, want);
		goto out;
	}
	if (p->f->C_OpenSession(slots[i], fl, NULL, NULL, &p->s) != CKR_OK)
		goto out;
	p->slot = slots[i];
	p->have_session = true;
	rc = RP_OK;
out:
	free(slots);
	p11_kit_uri_free(byname);
	if (rc != RP_OK)
		rp_p11_close(p);
	return rc;
}

/* Count p's login on its slot (+1) or its end (-1); true when the count
 * went to 0 (the last of ours: log out). false for +1 without a free
 * entry, which leaves p uncounted: it then never logs out. */
static bool login_count(struct rp_p11 *p, int d)
{
	struct rp_p11_module *m = p->m;
	bool last = false;
	size_t i, free_i = MAX_LOGINS;

	pthread_mutex_lock(&modules_lock);
	for (i = 0; i < MAX_LOGINS; i++) {
		if (m->logins[i].n > 0 && m->logins[i].slot == p->slot)
			break;
		if (m->logins[i].n == 0 && free_i == MAX_LOGINS)
			free_i = i;
	}
	if (d > 0 && i == MAX_LOGINS && free_i < MAX_LOGINS) {
		m->logins[free_i].slot = p->slot;
		i = free_i;
	}
	if (i < MAX_LOGINS) {
		if (d > 0) {
			m->logins[i].n++;
			p->logged_in = true;
		} else {
			last = --m->logins[i].n == 0;
		}
	}
	pthread_mutex_unlock(&modules_lock);
	return last;
}

rp_err rp_p11_login(struct rp_p11 *p, const char *pin)
{
	CK_RV rv;

	if (p->logged_in)
		return RP_OK;
	rv = p->f->C_Login(p->s, CKU_USER, (CK_UTF8CHAR *)pin,
	                   (CK_ULONG)strlen(pin));
	/* already logged in: by another session of ours on the token (it
	 * counts, and the last of us logs out), or by someone else */
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN) {
		(void)login_count(p, +1);
		return RP_OK;
	}
	if (rv == CKR_PIN_INCORRECT)
		return RP_E_PASSPHRASE;
	rp_log(RP_LOG_ERROR, "pkcs11: C_Login failed (0x%lx)", rv);
	return RP_E_PKCS11;
}

rp_err rp_p11_find(struct rp_p11 *p, const CK_ATTRIBUTE *t, CK_ULONG nt,
                   CK_OBJECT_HANDLE *objs, CK_ULONG cap, CK_ULONG *n)
{
	rp_err rc = RP_OK;

	*n = 0;
	if (p->f->C_FindObjectsInit(p->s, (CK_ATTRIBUTE *)t, nt) != CKR_OK)
		return RP_E_PKCS11;
	if (p->f->C_FindObjects(p->s, objs, cap, n) != CKR_OK)
		rc = RP_E_PKCS11;
	(void)p->f->C_FindObjectsFinal(p->s);
	return rc;
}

void rp_p11_close(struct rp_p11 *p)
{
	if (p->have_session) {
		/* the token's login ends with the last session of ours on it;
		 * not at all in a module someone else initialised */
		if (p->logged_in && login_count(p, -1) && p->m->initialized)
			(void)p->f->C_Logout(p->s);
		(void)p->f->C_CloseSession(p->s);
	}
	if (p->m != NULL)
		module_put(p->m);
	memset(p, 0, sizeof *p);
}
