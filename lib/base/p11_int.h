/* SPDX-License-Identifier: Apache-2.0 */
/*
 * p11_int.h - PKCS#11 through p11-kit, the one place (lib/base/p11.c) the
 * signer (lib/sign/pkcs11.c) and the device keystore
 * (lib/device/keystore_pkcs11.c) share: RFC 7512 URIs parsed by p11-kit,
 * modules loaded by p11-kit and shared by every session open on them, the
 * token found by URI or label, a session, the user login, object search.
 * Not thread-safe per session; the module table is locked.
 */
#ifndef RAMPART_BASE_P11_INT_H
#define RAMPART_BASE_P11_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

#include "rampart/err.h"
#include "rampart/export.h"

#define RP_P11_URI_MAX 1024 /* longer URIs are refused */
#define RP_P11_PIN_MAX 256  /* a PIN, with its NUL */

struct rp_p11_module;

/* A session on one token of a loaded module (rp_p11_open fills it). */
struct rp_p11 {
	struct rp_p11_module *m;
	CK_FUNCTION_LIST *f;
	CK_SESSION_HANDLE s;
	CK_TOKEN_INFO token; /* the token the session is on */
	CK_SLOT_ID slot;     /* ... in this slot */
	bool have_session;
	bool logged_in; /* counted in the module's logins of slot */
};

/*
 * Parse a pkcs11: URI (at most RP_P11_URI_MAX bytes) with p11-kit.
 * Refused (RP_E_INVAL, the reason logged, never the URI, which may hold a
 * PIN): bad syntax or escapes, a path attribute p11-kit does not know, a
 * query attribute not named in query (a NULL-terminated list: a typo
 * must not be ignored), module-name (we load modules by path only), a
 * CKA_LABEL holding a NUL, a type other than "private". OUT: *out, freed
 * with rp_p11_uri_free.
 */
rp_err rp_p11_uri_parse(const char *s, const char *const *query,
                        P11KitUri **out) RP_WARN_UNUSED;

/* Wipe the URI's pin-value (rp_wipe) and free it. NULL is fine. */
void rp_p11_uri_free(P11KitUri *u);

/*
 * The first line of a pin-source file ("file:PATH" or PATH) into
 * pin[cap]. RP_E_NOT_FOUND if absent, RP_E_IO unreadable or empty.
 */
rp_err rp_p11_pin_file(const char *src, char *pin, size_t cap) RP_WARN_UNUSED;

/*
 * Load module (a path; p11-kit, unmanaged) and C_Initialize it, or take
 * one more reference on it when another session already holds it; find
 * the first token matching uri's token, slot and library attributes (uri
 * not NULL) or whose label is label; open a session on it (rw: read and
 * write). RP_E_PKCS11 when the module cannot be loaded or refuses,
 * RP_E_PKCS11_NO_KEY (logged, naming the token asked for) when no token
 * matches, RP_E_TOO_BIG for too many modules at once. On error *p is
 * closed. Close with rp_p11_close.
 */
rp_err rp_p11_open(const char *module, P11KitUri *uri, const char *label,
                   bool rw, struct rp_p11 *p) RP_WARN_UNUSED;

/*
 * C_Login as the user with pin (not kept). RP_E_PASSPHRASE for a wrong
 * PIN, RP_E_PKCS11 (logged) for other refusals; already logged in (by
 * another session of the process) is RP_OK.
 */
rp_err rp_p11_login(struct rp_p11 *p, const char *pin) RP_WARN_UNUSED;

/*
 * Up to cap objects matching the template t[0..nt); *n gets the count.
 * RP_E_PKCS11 if the token refuses the search.
 */
rp_err rp_p11_find(struct rp_p11 *p, const CK_ATTRIBUTE *t, CK_ULONG nt,
                   CK_OBJECT_HANDLE *objs, CK_ULONG cap,
                   CK_ULONG *n) RP_WARN_UNUSED;

/*
 * Log out (only when this process initialised the module: otherwise the
 * login is shared with whoever did, e.g. OpenSSL's pkcs11 engine), close
 * the session, drop the module reference (the last one finalises and
 * releases it). Safe on a zeroed or already closed *p.
 */
void rp_p11_close(struct rp_p11 *p);

/* How many open sessions hold module (0 when it is not loaded): tests. */
unsigned rp_p11_module_refs(const char *module);

#endif
