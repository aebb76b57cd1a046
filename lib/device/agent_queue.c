/* SPDX-License-Identifier: Apache-2.0 */
/*
 * agent_queue.c - the agent's bounded offline queue and its drop policy
 * (agent_queue.h): a singly linked FIFO, one allocation per message.
 */
#include <stdlib.h>
#include <string.h>

#include "agent_queue.h"

#include "rampart/alloc.h"

void agentq_init(struct agentq *q, uint32_t max)
{
	memset(q, 0, sizeof *q);
	q->max = max > 0 ? max : 1;
}

/* Unlink and free the first message of kind (any non-telemetry kind when
 * telemetry is false). 1 if one was found. */
static int drop_first(struct agentq *q, int telemetry)
{
	struct agentq_msg *prev = NULL, *m;

	for (m = q->head; m != NULL; prev = m, m = m->next) {
		if ((m->kind == AGENTQ_TELEMETRY) == (telemetry != 0))
			break;
	}
	if (m == NULL)
		return 0;
	if (prev == NULL)
		q->head = m->next;
	else
		prev->next = m->next;
	if (q->tail == m)
		q->tail = prev;
	q->n--;
	free(m);
	return 1;
}

rp_err agentq_push(struct agentq *q, enum agentq_kind kind, const char *data,
                   size_t len)
{
	struct agentq_msg *m;

	if (q->n >= q->max) {
		if (drop_first(q, 1)) {
			q->dropped_telemetry++;
		} else if (kind == AGENTQ_TELEMETRY) {
			q->dropped_telemetry++;
			return RP_OK;
		} else {
			drop_first(q, 0);
			q->dropped_events++;
		}
	}
	m = rp_malloc(sizeof *m + len + 1);
	if (m == NULL)
		return RP_E_NOMEM;
	m->next = NULL;
	m->kind = kind;
	m->len = len;
	if (len > 0)
		memcpy(m->data, data, len);
	m->data[len] = '\0';
	if (q->tail != NULL)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	q->n++;
	return RP_OK;
}

struct agentq_msg *agentq_pop(struct agentq *q)
{
	struct agentq_msg *m = q->head;

	if (m == NULL)
		return NULL;
	q->head = m->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->n--;
	m->next = NULL;
	return m;
}

void agentq_unpop(struct agentq *q, struct agentq_msg *m)
{
	m->next = q->head;
	q->head = m;
	if (q->tail == NULL)
		q->tail = m;
	q->n++;
}

void agentq_clear(struct agentq *q)
{
	struct agentq_msg *m;

	for (m = agentq_pop(q); m != NULL; m = agentq_pop(q))
		free(m);
}
