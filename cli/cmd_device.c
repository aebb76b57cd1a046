/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_device.c - "rampart device ...": list and show devices, revoke their
 * certificates (a fresh CRL is published at once), decommission, allow
 * re-provisioning, force a renewal, quarantine and release, and read the
 * refusals table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "cli.h"

static void usage(void)
{
	fprintf(stderr,
	        "usage: rampart device list\n"
	        "       rampart device show ID\n"
	        "       rampart device revoke ID --reason REASON "
	        "[--serial HEX]\n"
	        "       rampart device decommission ID [--reason REASON]\n"
	        "       rampart device reprovision ID\n"
	        "       rampart device renew ID\n"
	        "       rampart device quarantine ID --reason TEXT\n"
	        "       rampart device release ID\n"
	        "       rampart device refusals [--limit N]\n"
	        "options: --server URL --token-file FILE [--ca ROOT.pem] "
	        "[--json]\n"
	        "REASON: an RFC 5280 name (keyCompromise, superseded, "
	        "cessationOfOperation, ...)\n");
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2));

	if (s != NULL)
		printf("%s\n", s);
	free(s);
}

int cmd_device(int argc, char **argv)
{
	struct admin_opts o;
	const char *sub = NULL, *id = NULL, *reason = NULL, *serial = NULL,
	           *limit = NULL;
	char path[256];
	char *body = NULL;
	json_t *j = NULL, *in = NULL;
	size_t k;
	int i = 1, r, code = CLI_ERROR;

	admin_opts_init(&o);
	while (i < argc) {
		r = admin_opt(&o, argc, argv, &i);
		if (r < 0)
			return CLI_ERROR;
		if (r > 0)
			continue;
		if (i + 1 < argc && strcmp(argv[i], "--reason") == 0) {
			reason = argv[i + 1];
			i += 2;
		} else if (i + 1 < argc && strcmp(argv[i], "--serial") == 0) {
			serial = argv[i + 1];
			i += 2;
		} else if (i + 1 < argc && strcmp(argv[i], "--limit") == 0) {
			limit = argv[i + 1];
			i += 2;
		} else if (argv[i][0] != '-' && sub == NULL) {
			sub = argv[i++];
		} else if (argv[i][0] != '-' && id == NULL) {
			id = argv[i++];
		} else {
			usage();
			return strcmp(argv[i], "--help") == 0 ? CLI_OK
			                                      : CLI_ERROR;
		}
	}
	if (sub == NULL) {
		usage();
		return CLI_ERROR;
	}
	if (strcmp(sub, "list") == 0 && id == NULL) {
		code =
		    admin_call(&o, "GET", "/api/v1/devices", NULL, NULL, 0, &j);
		if (code == CLI_OK && o.json) {
			print_json(j);
		} else if (code == CLI_OK) {
			for (k = 0; k < json_array_size(j); k++) {
				json_t *e = json_array_get(j, k);

				printf("%-24s %s%s\n",
				       json_string_value(
				           json_object_get(e, "serial")),
				       json_string_value(
				           json_object_get(e, "state")),
				       json_is_true(
				           json_object_get(e, "quarantined"))
				           ? " (quarantined)"
				           : "");
			}
		}
		goto out;
	}
	if (strcmp(sub, "refusals") == 0 && id == NULL) {
		snprintf(path, sizeof path, "/api/v1/refusals?limit=%d",
		         limit ? atoi(limit) : 100);
		code = admin_call(&o, "GET", path, NULL, NULL, 0, &j);
		if (code == CLI_OK)
			print_json(j);
		goto out;
	}
	if (id == NULL || strlen(id) > 64) {
		usage();
		goto out;
	}
	if (strcmp(sub, "show") == 0) {
		snprintf(path, sizeof path, "/api/v1/devices/%s", id);
		code = admin_call(&o, "GET", path, NULL, NULL, 0, &j);
	} else if (strcmp(sub, "revoke") == 0 ||
	           strcmp(sub, "decommission") == 0) {
		if (sub[0] == 'r' && reason == NULL) {
			fprintf(stderr, "rampart: revoke needs --reason\n");
			goto out;
		}
		in = json_object();
		if (reason != NULL)
			json_object_set_new(in, "reason", json_string(reason));
		if (serial != NULL)
			json_object_set_new(in, "serial", json_string(serial));
		body = json_dumps(in, JSON_COMPACT);
		snprintf(path, sizeof path, "/api/v1/devices/%s/%s", id, sub);
		code = admin_call(&o, "POST", path, "application/json", body,
		                  body ? strlen(body) : 0, &j);
	} else if (strcmp(sub, "reprovision") == 0 ||
	           strcmp(sub, "renew") == 0 || strcmp(sub, "release") == 0) {
		snprintf(path, sizeof path, "/api/v1/devices/%s/%s", id, sub);
		code = admin_call(&o, "POST", path, NULL, NULL, 0, &j);
	} else if (strcmp(sub, "quarantine") == 0) {
		if (reason == NULL) {
			fprintf(stderr, "rampart: quarantine needs --reason\n");
			goto out;
		}
		in = json_pack("{s:s}", "reason", reason);
		body = in ? json_dumps(in, JSON_COMPACT) : NULL;
		snprintf(path, sizeof path, "/api/v1/devices/%s/%s", id, sub);
		code = admin_call(&o, "POST", path, "application/json", body,
		                  body ? strlen(body) : 0, &j);
	} else {
		usage();
		goto out;
	}
	if (code == CLI_OK)
		print_json(j);
out:
	free(body);
	json_decref(in);
	json_decref(j);
	return code;
}
