/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_log.c - `rampart-agent log verify FILE`: rp_chainlog_verify over the
 * event log, its verdict as one line and an exit code (0 intact, 1 broken
 * or torn, 2 cannot tell). docs/agent.md, docs/chainlog.md.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cmd_log.h"
#include "rampart/chainlog.h"

enum { LOG_INTACT = 0, LOG_BROKEN = 1, LOG_ERR = 2 };

static int log_verify(const struct tool_ctx *c)
{
	const char *path = c->argv[0];
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

static const struct tool_arg file_arg[] = {{"FILE", TOOL_REQUIRED}, {0}};

const struct tool_cmd agent_log_cmds[] = {
    {.name = "verify",
     .summary = "walk the hash chain; exit 0 intact, 1 broken or torn",
     .args = file_arg,
     .run = log_verify,
     .more = "Prints the verdict on one line: the records and the head, or "
             "the first bad line and why (docs/chainlog.md)."},
    {0},
};
