/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_queue.h - the agent's bounded offline queue (internal to
 * librampart; lib/device/agent.c uses it, tests/unit/test_agent_queue.c pins
 * the policy). Messages wait here while the session is not connected and are
 * sent in order after the next CONNACK. When the queue is full:
 *
 *   1. the oldest telemetry message goes (dropped_telemetry + 1);
 *   2. with no telemetry queued, a new telemetry message is not queued
 *      (dropped_telemetry + 1): security events and command results are
 *      kept in preference to telemetry;
 *   3. with nothing but events and results queued, a new event or result
 *      pushes out the oldest one (dropped_events + 1).
 *
 * No storage is reserved: each message is one allocation of its own size,
 * so an idle agent costs only the head (rampart-sim runs thousands).
 */
#ifndef RAMPART_AGENT_QUEUE_H
#define RAMPART_AGENT_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "rampart/err.h"

enum agentq_kind {
	AGENTQ_TELEMETRY = 0,
	AGENTQ_EVENT = 1,
	AGENTQ_RESULT = 2,
};

struct agentq_msg {
	struct agentq_msg *next;
	enum agentq_kind kind;
	size_t len;
	char data[]; /* len bytes and a NUL */
};

struct agentq {
	struct agentq_msg *head, *tail;
	uint32_t n, max;
	uint64_t dropped_telemetry, dropped_events;
};

/* An empty queue of at most max (>= 1) messages. */
void agentq_init(struct agentq *q, uint32_t max);

/* Append a copy of data[0..len) by the policy above. RP_OK also when the
 * message itself was the one dropped (rule 2); RP_E_NOMEM. */
rp_err agentq_push(struct agentq *q, enum agentq_kind kind, const char *data,
                   size_t len);

/* The oldest message, taken off the queue (caller frees with free()), or
 * NULL when empty. */
struct agentq_msg *agentq_pop(struct agentq *q);

/* Put a message just popped back at the front (it could not be sent). */
void agentq_unpop(struct agentq *q, struct agentq_msg *m);

/* Free every queued message. */
void agentq_clear(struct agentq *q);

#endif
