/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_keystore.c - each keystore back-end against real parts, chosen by
 * argv[1]: "file", "pkcs11" (softhsm2 token) or "tpm" (swtpm behind
 * tpm2-abrmd on a private D-Bus). For each: a key is born in the store,
 * the CSR it signs passes `openssl req -verify` (and a corrupted one does
 * not), a certificate issued for it by an openssl CA is stored, and a TLS
 * 1.3 handshake with client authentication against `openssl s_server
 * -Verify 1 -verify_return_error` succeeds (a client without the key is
 * refused). Then `rampart-agent erase`: the key cannot be loaded or used
 * any more, and (file) the bytes left behind, including a copy of the
 * sealed file taken before the erase, hold no trace of the private key and
 * open under no 32-byte window of them.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "../../lib/device/keystore_int.h"
#include "cmocka_all.h"
#include "rampart/encode.h"
#include "rampart/keystore.h"
#include "rampart/mem.h"
#include "rpt.h"

#define SOFTHSM_MODULE RPT_SOFTHSM_MODULE
#define TPM_HANDLE     "0x81000010"

static const char *backend;
static char dir[512];
static char spec[2048];
static char ksdir[600];
static struct rpt_proc swtpm, dbus, abrmd;
static char tcti[128];

/* Run a command (NULL-terminated argv); returns its exit code. */
static int run(char **out, char *const argv[])
{
	char *o = NULL;
	int rc = rpt_run(argv, NULL, 0, &o, RPT_DEADLINE_MS);

	if (out != NULL)
		*out = o;
	else
		free(o);
	return rc;
}

static void must_run(char *const argv[])
{
	char *out = NULL;
	int rc = run(&out, argv);

	if (rc != 0)
		fail_msg("%s failed (%d): %s", argv[0], rc, out ? out : "");
	free(out);
}

static bool wait_path(const char *path, int deadline_ms)
{
	long long end = rpt_now_ms() + deadline_ms;

	while (rpt_now_ms() < end) {
		if (access(path, F_OK) == 0)
			return true;
		usleep(20000);
	}
	return false;
}

static int setup_pkcs11(void)
{
	if (rpt_softhsm_init(dir, "rampart") != 0)
		return -1;
	snprintf(
	    spec, sizeof spec,
	    "pkcs11:token=rampart;object=device?module-path=" SOFTHSM_MODULE
	    "&pin-value=1234&x-dir=%s",
	    ksdir);
	return 0;
}

/* swtpm on free ports, a private dbus-daemon, tpm2-abrmd on it. */
static int setup_tpm(void)
{
	char state[700], log[700], srv[80], ctrl[80], bus[700], addr[760];
	char abrmd_tcti[80];
	int port = -1, cport = -1, tries;
	bool up = false;
	long long end;

	snprintf(state, sizeof state, "%s/tpmstate", dir);
	if (mkdir(state, 0700) != 0)
		return -1;
	char tpmstate[760];
	snprintf(tpmstate, sizeof tpmstate, "dir=%s", state);
	char *sw[] = {"swtpm",
	              "socket",
	              "--tpm2",
	              "--tpmstate",
	              tpmstate,
	              "--server",
	              srv,
	              "--ctrl",
	              ctrl,
	              "--flags",
	              "not-need-init,startup-clear",
	              NULL};
	snprintf(log, sizeof log, "%s/swtpm.log", dir);
	/* The swtpm TCTI finds the control channel at port + 1. Another
	 * test's client socket can take either port between the choice and
	 * swtpm's bind (it then exits: address in use): choose again. */
	for (tries = 0; !up && tries < 10; tries++) {
		port = rpt_free_port_pair();
		cport = port + 1;
		snprintf(srv, sizeof srv, "type=tcp,port=%d,bindaddr=127.0.0.1",
		         port);
		snprintf(ctrl, sizeof ctrl,
		         "type=tcp,port=%d,bindaddr=127.0.0.1", cport);
		if (rpt_start(&swtpm, sw, log, NULL) != 0)
			return -1;
		up = rpt_wait_port(&swtpm, port, RPT_DEADLINE_MS);
		if (!up)
			rpt_stop(&swtpm, 1000); /* if it still runs */
	}
	if (!up)
		return -1;

	snprintf(bus, sizeof bus, "%s/bus", dir);
	snprintf(addr, sizeof addr, "--address=unix:path=%s", bus);
	char *db[] = {"dbus-daemon", "--session", "--nofork", addr, NULL};
	snprintf(log, sizeof log, "%s/dbus.log", dir);
	if (rpt_start(&dbus, db, log, NULL) != 0 ||
	    !wait_path(bus, RPT_DEADLINE_MS))
		return -1;
	snprintf(addr, sizeof addr, "unix:path=%s", bus);
	setenv("DBUS_SESSION_BUS_ADDRESS", addr, 1);

	snprintf(abrmd_tcti, sizeof abrmd_tcti,
	         "--tcti=swtpm:host=127.0.0.1,port=%d", port);
	char *ab[] = {"tpm2-abrmd", "--session", "--allow-root", abrmd_tcti,
	              NULL};
	snprintf(log, sizeof log, "%s/abrmd.log", dir);
	if (rpt_start(&abrmd, ab, log, NULL) != 0)
		return -1;
	snprintf(tcti, sizeof tcti, "tabrmd:bus_type=session");
	/* Ready when a TPM command goes through the broker. */
	char *probe[] = {"tpm2_getrandom", "-T", tcti, "--hex", "4", NULL};
	end = rpt_now_ms() + RPT_DEADLINE_MS;
	while (run(NULL, probe) != 0) {
		if (rpt_now_ms() > end) {
			char *l = rpt_read_file(log, NULL);

			fprintf(stderr, "tpm2-abrmd never answered:\n%s\n",
			        l ? l : "");
			free(l);
			return -1;
		}
		usleep(50000);
	}
	snprintf(spec, sizeof spec, "tpm:handle=" TPM_HANDLE ";dir=%s;tcti=%s",
	         ksdir, tcti);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	rpt_tmpdir(dir, sizeof dir);
	snprintf(ksdir, sizeof ksdir, "%s/ks", dir);
	setenv("TSS2_LOG", "all+none", 1); /* no ESAPI noise for "absent" */
	if (strcmp(backend, "file") == 0) {
		snprintf(spec, sizeof spec, "file:%s", ksdir);
		return 0;
	}
	if (strcmp(backend, "pkcs11") == 0)
		return setup_pkcs11();
	if (strcmp(backend, "tpm") == 0)
		return setup_tpm();
	return -1;
}

static int teardown(void **state)
{
	(void)state;
	rpt_stop(&abrmd, 5000);
	rpt_stop(&dbus, 5000);
	rpt_stop(&swtpm, 5000);
	return 0;
}

static char *path_in(const char *name)
{
	static char buf[4][800];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
	return buf[i];
}

static void test_generate_and_csr(void **state)
{
	rp_keystore *ks = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	char *out = NULL;

	(void)state;
	assert_int_equal(rp_keystore_open(spec, &ks), RP_OK);
	assert_false(rp_keystore_has_key(ks));
	assert_int_equal(rp_keystore_generate(ks), RP_OK);
	assert_true(rp_keystore_has_key(ks));
	assert_int_equal(rp_keystore_generate(ks), RP_E_KEYSTORE_HAS_KEY);
	assert_int_equal(rp_keystore_csr(ks, "bad serial", NULL, &der, &len),
	                 RP_E_INVAL);
	assert_int_equal(
	    rp_keystore_csr(ks, "dev-0001", "ek-hash-0123", &der, &len), RP_OK);
	assert_int_equal(rpt_write_file(path_in("csr.der"), der, len, 0644), 0);

	char *verify[] = {"openssl", "req", "-in",     path_in("csr.der"),
	                  "-inform", "DER", "-verify", "-noout",
	                  "-text",   NULL};
	assert_int_equal(run(&out, verify), 0);
	assert_non_null(strstr(out, "verify OK"));
	assert_null(strstr(out, "verify failure"));
	assert_non_null(strstr(out, "CN = dev-0001"));
	assert_non_null(strstr(out, "NIST CURVE: P-256"));
	assert_non_null(strstr(out, "ecdsa-with-SHA256"));
	assert_non_null(strstr(out, "ek-hash-0123"));
	free(out);

	/* RFC 5758 3.2: no parameters (not even NULL) after ecdsa-with-SHA256.
	 */
	char *parse[] = {"openssl", "asn1parse",        "-inform", "DER",
	                 "-in",     path_in("csr.der"), NULL};
	assert_int_equal(run(&out, parse), 0);
	assert_non_null(strstr(out, ":ecdsa-with-SHA256"));
	assert_null(strstr(out, "NULL"));
	free(out);

	/* A flipped bit in the signature must not verify. */
	der[len - 3] ^= 0x01;
	assert_int_equal(rpt_write_file(path_in("bad.der"), der, len, 0644), 0);
	char *bad[] = {"openssl",          "req",     "-in",
	               path_in("bad.der"), "-inform", "DER",
	               "-verify",          "-noout",  NULL};
	/* openssl 3.0 req -verify exits 0 either way: read what it says. */
	run(&out, bad);
	assert_null(strstr(out, "verify OK"));
	assert_non_null(strstr(out, "verify failure"));
	free(out);
	free(der);

	/* The hardware says the key cannot leave it. */
	if (strcmp(backend, "pkcs11") == 0) {
		char *ls[] = {"pkcs11-tool",   "--module", SOFTHSM_MODULE,
		              "--token-label", "rampart",  "--login",
		              "--pin",         "1234",     "--list-objects",
		              "--type",        "privkey",  NULL};
		assert_int_equal(run(&out, ls), 0);
		assert_non_null(strstr(out, "label:      device"));
		assert_non_null(strstr(out, "never extractable"));
		assert_non_null(strstr(out, "sensitive"));
		free(out);
	} else if (strcmp(backend, "tpm") == 0) {
		char *rd[] = {"tpm2_readpublic", "-T", tcti, "-c",
		              TPM_HANDLE,        NULL};
		assert_int_equal(run(&out, rd), 0);
		assert_non_null(strstr(out, "fixedtpm"));
		assert_non_null(strstr(out, "fixedparent"));
		assert_non_null(strstr(out, "sensitivedataorigin"));
		free(out);
	}
	rp_keystore_close(ks);
}

/* A CA, a server certificate, and the device certificate for the CSR. */
static void make_pki(void)
{
	char *ca[] = {"openssl",
	              "req",
	              "-x509",
	              "-newkey",
	              "ec",
	              "-pkeyopt",
	              "ec_paramgen_curve:P-256",
	              "-nodes",
	              "-keyout",
	              path_in("ca.key"),
	              "-out",
	              path_in("ca.pem"),
	              "-days",
	              "1",
	              "-subj",
	              "/CN=Test CA",
	              NULL};
	must_run(ca);
	char *sk[] = {"openssl",
	              "req",
	              "-newkey",
	              "ec",
	              "-pkeyopt",
	              "ec_paramgen_curve:P-256",
	              "-nodes",
	              "-keyout",
	              path_in("srv.key"),
	              "-out",
	              path_in("srv.csr"),
	              "-subj",
	              "/CN=127.0.0.1",
	              "-addext",
	              "subjectAltName=IP:127.0.0.1",
	              NULL};
	must_run(sk);
	char *ss[] = {"openssl",
	              "x509",
	              "-req",
	              "-in",
	              path_in("srv.csr"),
	              "-CA",
	              path_in("ca.pem"),
	              "-CAkey",
	              path_in("ca.key"),
	              "-set_serial",
	              "2",
	              "-days",
	              "1",
	              "-copy_extensions",
	              "copyall",
	              "-out",
	              path_in("srv.pem"),
	              NULL};
	must_run(ss);
	char *cv[] = {"openssl", "req", "-in",  path_in("csr.der"),
	              "-inform", "DER", "-out", path_in("csr.pem"),
	              NULL};
	must_run(cv);
	char *dev[] = {"openssl",
	               "x509",
	               "-req",
	               "-in",
	               path_in("csr.pem"),
	               "-CA",
	               path_in("ca.pem"),
	               "-CAkey",
	               path_in("ca.key"),
	               "-set_serial",
	               "3",
	               "-days",
	               "1",
	               "-out",
	               path_in("dev.pem"),
	               NULL};
	must_run(dev);
}

/*
 * Connect to 127.0.0.1:port, handshake, send a line and read it back
 * reversed (s_server -rev). ks: the keystore to authenticate with, or
 * NULL for none. Returns true when the reversed line came back.
 */
static bool tls_roundtrip(int port, rp_keystore *ks)
{
	struct sockaddr_in sa;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	char buf[64];
	int fd = -1, n, got = 0;
	bool ok = false;

	assert_non_null(ctx);
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	assert_int_equal(
	    SSL_CTX_load_verify_locations(ctx, path_in("ca.pem"), NULL), 1);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (ks != NULL)
		assert_int_equal(rp_keystore_ssl_ctx_use(ks, ctx), RP_OK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set1_host(ssl, "127.0.0.1");
	if (SSL_connect(ssl) != 1)
		goto out;
	if (SSL_write(ssl, "rampart\n", 8) != 8)
		goto out;
	while (got < 8) {
		n = SSL_read(ssl, buf + got, (int)sizeof buf - 1 - got);
		if (n <= 0)
			goto out;
		got += n;
	}
	buf[got] = '\0';
	ok = strncmp(buf, "trapmar", 7) == 0;
out:
	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	return ok;
}

static void test_tls_client_auth(void **state)
{
	rp_keystore *ks = NULL;
	struct rpt_proc srv;
	char *pem = NULL, *ca = NULL, accept[32], log[700];
	size_t plen = 0, clen = 0;
	int port = rpt_free_port();

	(void)state;
	make_pki();
	assert_int_equal(rp_keystore_open(spec, &ks), RP_OK);
	/* The certificate and its chain (the CA) stored beside the key. */
	pem = rpt_read_file(path_in("dev.pem"), &plen);
	ca = rpt_read_file(path_in("ca.pem"), &clen);
	assert_non_null(pem);
	assert_non_null(ca);
	pem = realloc(pem, plen + clen + 1);
	memcpy(pem + plen, ca, clen + 1);
	assert_int_equal(rp_keystore_cert_store(ks, pem, plen + clen), RP_OK);
	free(pem);
	free(ca);
	/* A certificate for another key is refused. */
	pem = rpt_read_file(path_in("srv.pem"), &plen);
	assert_int_equal(rp_keystore_cert_store(ks, pem, plen),
	                 RP_E_KEYSTORE_CERT);
	free(pem);

	snprintf(accept, sizeof accept, "127.0.0.1:%d", port);
	snprintf(log, sizeof log, "%s/s_server.log", dir);
	char *argv[] = {"openssl",
	                "s_server",
	                "-accept",
	                accept,
	                "-cert",
	                path_in("srv.pem"),
	                "-key",
	                path_in("srv.key"),
	                "-CAfile",
	                path_in("ca.pem"),
	                "-Verify",
	                "1",
	                "-verify_return_error",
	                "-tls1_3",
	                "-rev",
	                NULL};
	assert_int_equal(rpt_start(&srv, argv, log, NULL), 0);
	assert_true(rpt_wait_port(&srv, port, RPT_DEADLINE_MS));

	/* Without a client certificate the server says no. */
	assert_false(tls_roundtrip(port, NULL));
	/* With the keystore's key and certificate it says yes. */
	assert_true(tls_roundtrip(port, ks));
	assert_true(
	    rpt_wait_file_contains(log, "CN = dev-0001", RPT_DEADLINE_MS));
	rpt_stop(&srv, 5000);
	rp_keystore_close(ks);
}

static bool contains(const uint8_t *hay, size_t n, const uint8_t *needle,
                     size_t m)
{
	return memmem(hay, n, needle, m) != NULL;
}

/*
 * Every regular file under path: no trace of the scalar (raw or hex),
 * and no 32-byte window opens the sealed copy.
 */
static void scan_tree(const char *path, const uint8_t scalar[32],
                      const char *hex, const uint8_t *sealed, size_t slen,
                      int *files)
{
	DIR *d = opendir(path);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char p[1200];
		struct stat st;
		uint8_t *data;
		size_t n = 0, i;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", path, e->d_name);
		if (lstat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			scan_tree(p, scalar, hex, sealed, slen, files);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		data = (uint8_t *)rpt_read_file(p, &n);
		assert_non_null(data);
		(*files)++;
		if (contains(data, n, scalar, 32) ||
		    contains(data, n, (const uint8_t *)hex, 64))
			fail_msg("private key found in %s", p);
		for (i = 0; i + KS_KEK <= n; i++) {
			uint8_t s[KS_SCALAR];

			if (ks_file_unseal(sealed, slen, data + i, s) == RP_OK)
				fail_msg("sealed copy opens with %s@%zu", p, i);
		}
		free(data);
	}
	closedir(d);
}

static bool sign_works(EVP_PKEY *key)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t sig[128];
	size_t slen = sizeof sig;
	bool ok;

	ok = EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, key, NULL) ==
	         1 &&
	     EVP_DigestSign(md, sig, &slen, (const uint8_t *)"x", 1) == 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

static void test_erase(void **state)
{
	rp_keystore *ks = NULL;
	EVP_PKEY *key = NULL;
	uint8_t scalar[32], *sealed = NULL;
	char hex[65], agent[600], *out = NULL;
	size_t slen = 0;
	int files = 0;

	(void)state;
	assert_int_equal(rp_keystore_open(spec, &ks), RP_OK);
	assert_int_equal(rp_keystore_key(ks, &key), RP_OK);
	assert_true(sign_works(key));
	if (strcmp(backend, "file") == 0) {
		BIGNUM *d = NULL;
		char copy[700];

		/* What an attacker might have kept: the sealed file. */
		assert_true(
		    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d));
		assert_int_equal(BN_bn2binpad(d, scalar, 32), 32);
		BN_clear_free(d);
		assert_int_equal(rp_hex_encode(scalar, 32, hex, sizeof hex),
		                 RP_OK);
		snprintf(copy, sizeof copy, "%s/key.sealed", ksdir);
		sealed = (uint8_t *)rpt_read_file(copy, &slen);
		assert_non_null(sealed);
		assert_int_equal(slen, KS_SEALED_SIZE);
		assert_int_equal(rpt_write_file(path_in("stolen.sealed"),
		                                sealed, slen, 0600),
		                 0);
	}

	snprintf(agent, sizeof agent, "%s/rampart-agent", rpt_bin_dir());
	char *erase[] = {agent, "erase", "--keystore", spec, NULL};
	if (run(&out, erase) != 0)
		fail_msg("rampart-agent erase: %s", out);
	free(out);

	assert_false(rp_keystore_has_key(ks));
	EVP_PKEY *again = NULL;
	assert_int_equal(rp_keystore_key(ks, &again), RP_E_KEYSTORE_NO_KEY);
	X509 *leaf = NULL;
	assert_int_equal(rp_keystore_cert_load(ks, &leaf, NULL),
	                 RP_E_KEYSTORE_NO_CERT);
	/* Erasing twice is fine (a retried decommission). */
	out = NULL;
	assert_int_equal(run(&out, erase), 0);
	free(out);

	if (strcmp(backend, "file") == 0) {
		/* Nothing left behind reveals or unlocks the key. */
		scan_tree(dir, scalar, hex, sealed, slen, &files);
		assert_true(files > 3);
		free(sealed);
		rp_wipe(scalar, sizeof scalar);
	} else {
		/* The hardware destroyed it: the old handle signs no more. */
		assert_false(sign_works(key));
	}
	if (strcmp(backend, "pkcs11") == 0) {
		char *ls[] = {"pkcs11-tool",    "--module",
		              SOFTHSM_MODULE,   "--token-label",
		              "rampart",        "--login",
		              "--pin",          "1234",
		              "--list-objects", NULL};
		assert_int_equal(run(&out, ls), 0);
		assert_null(strstr(out, "device"));
		free(out);
	} else if (strcmp(backend, "tpm") == 0) {
		char *gc[] = {"tpm2_getcap", "-T", tcti, "handles-persistent",
		              NULL};
		assert_int_equal(run(&out, gc), 0);
		assert_null(strcasestr(out, TPM_HANDLE));
		free(out);
	}
	EVP_PKEY_free(key);
	rp_keystore_close(ks);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_generate_and_csr),
	    cmocka_unit_test(test_tls_client_auth),
	    cmocka_unit_test(test_erase),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: test_keystore file|pkcs11|tpm\n");
		return 2;
	}
	backend = argv[1];
	if (rp_init() != RP_OK)
		return 1;
	return cmocka_run_group_tests_name(backend, tests, setup, teardown);
}
