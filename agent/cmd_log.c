/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_log.c - `rampart-agent log verify FILE`: rp_chainlog_verify over the
 * event log, its verdict as one line and an exit code (0 intact, 1 broken
 * or torn, 2 cannot tell). docs/agent.md, docs/chainlog.md.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cmd_log.h"
#include "rampart/chainlog.h"

enum { LOG_INTACT = 0, LOG_BROKEN = 1, LOG_ERR = 2 };

static void log_usage(FILE *f)
{
	fprintf(f, "usage: rampart-agent log verify FILE\n");
}

static int log_verify(const char *path)
{
	struct rp_chainlog_report rep;
	rp_err rc;

	rc = rp_chainlog_verify(path, &rep);
	if (rc == RP_OK) {
		printf("%s: intact, %" PRIu64 " records, head %s\n", path,
		       rep.records, rep.records > 0 ? rep.head : "(none)");
		return LOG_INTACT;
	}
	if (rc == RP_E_CHAINLOG || rc == RP_E_CHAINLOG_TORN) {
		printf("%s: %s at line %" PRIu64 ": %s (good records before "
		       "it: %" PRIu64 ", head %s)\n",
		       path, rc == RP_E_CHAINLOG_TORN ? "torn" : "broken",
		       rep.bad_line, rep.reason != NULL ? rep.reason : "?",
		       rep.records, rep.records > 0 ? rep.head : "(none)");
		return LOG_BROKEN;
	}
	fprintf(stderr, "rampart-agent: cannot read %s: %s\n", path,
	        rp_strerror(rc));
	return LOG_ERR;
}

int agent_cmd_log(int argc, char **argv)
{
	if (argc == 2 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0)) {
		log_usage(stdout);
		return LOG_INTACT;
	}
	if (argc != 3 || strcmp(argv[1], "verify") != 0) {
		log_usage(stderr);
		return LOG_ERR;
	}
	return log_verify(argv[2]);
}
