/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_agent_queue.c - the agent's offline queue (lib/device/agent_queue.c):
 * FIFO order, the oldest telemetry dropped first when full, events and results
 * kept in preference to telemetry, the oldest event dropped only when
 * nothing but events is queued, the counters, unpop, clear.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_queue.h"
#include "cmocka_all.h"

static void push(struct agentq *q, enum agentq_kind k, const char *s)
{
	assert_int_equal(agentq_push(q, k, s, strlen(s)), RP_OK);
}

/* Pop everything; the payloads joined with ',' into out. */
static void drain(struct agentq *q, char *out, size_t cap)
{
	struct agentq_msg *m;
	size_t n = 0;

	out[0] = '\0';
	for (m = agentq_pop(q); m != NULL; m = agentq_pop(q)) {
		n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? "," : "",
		                      m->data);
		free(m);
	}
	assert_int_equal(q->n, 0);
	assert_null(q->head);
	assert_null(q->tail);
}

static void test_fifo(void **state)
{
	struct agentq q;
	char out[256];

	(void)state;
	agentq_init(&q, 8);
	push(&q, AGENTQ_TELEMETRY, "t1");
	push(&q, AGENTQ_EVENT, "e1");
	push(&q, AGENTQ_RESULT, "r1");
	push(&q, AGENTQ_TELEMETRY, "t2");
	assert_int_equal(q.n, 4);
	drain(&q, out, sizeof out);
	assert_string_equal(out, "t1,e1,r1,t2");
	assert_int_equal(q.dropped_telemetry, 0);
	assert_int_equal(q.dropped_events, 0);
}

static void test_full_drops_oldest_telemetry(void **state)
{
	struct agentq q;
	char out[256];

	(void)state;
	agentq_init(&q, 4);
	push(&q, AGENTQ_EVENT, "e1");
	push(&q, AGENTQ_TELEMETRY, "t1");
	push(&q, AGENTQ_TELEMETRY, "t2");
	push(&q, AGENTQ_EVENT, "e2");
	/* Full: an event pushes out the oldest telemetry, not e1. */
	push(&q, AGENTQ_EVENT, "e3");
	/* And telemetry pushes out the next oldest telemetry. */
	push(&q, AGENTQ_TELEMETRY, "t3");
	assert_int_equal(q.n, 4);
	assert_int_equal(q.dropped_telemetry, 2);
	assert_int_equal(q.dropped_events, 0);
	drain(&q, out, sizeof out);
	assert_string_equal(out, "e1,e2,e3,t3");
}

static void test_events_kept_over_new_telemetry(void **state)
{
	struct agentq q;
	char out[256];

	(void)state;
	agentq_init(&q, 3);
	push(&q, AGENTQ_EVENT, "e1");
	push(&q, AGENTQ_RESULT, "r1");
	push(&q, AGENTQ_EVENT, "e2");
	/* Nothing but events: new telemetry is the one dropped. */
	push(&q, AGENTQ_TELEMETRY, "t1");
	assert_int_equal(q.dropped_telemetry, 1);
	assert_int_equal(q.dropped_events, 0);
	/* A new event then drops the oldest event, counted apart. */
	push(&q, AGENTQ_EVENT, "e3");
	assert_int_equal(q.dropped_events, 1);
	assert_int_equal(q.n, 3);
	drain(&q, out, sizeof out);
	assert_string_equal(out, "r1,e2,e3");
}

static void test_drop_last_telemetry_fixes_tail(void **state)
{
	struct agentq q;
	char out[256];

	(void)state;
	agentq_init(&q, 2);
	push(&q, AGENTQ_EVENT, "e1");
	push(&q, AGENTQ_TELEMETRY, "t1");
	/* The telemetry dropped is the tail: the append must relink. */
	push(&q, AGENTQ_EVENT, "e2");
	push(&q, AGENTQ_EVENT, "e3");
	drain(&q, out, sizeof out);
	assert_string_equal(out, "e2,e3");
	assert_int_equal(q.dropped_telemetry, 1);
	assert_int_equal(q.dropped_events, 1);
}

static void test_unpop_and_clear(void **state)
{
	struct agentq q;
	struct agentq_msg *m;
	char out[256];

	(void)state;
	agentq_init(&q, 0); /* at least one */
	assert_int_equal(q.max, 1);
	agentq_init(&q, 5);
	push(&q, AGENTQ_EVENT, "e1");
	push(&q, AGENTQ_EVENT, "e2");
	m = agentq_pop(&q);
	assert_string_equal(m->data, "e1");
	agentq_unpop(&q, m);
	assert_int_equal(q.n, 2);
	drain(&q, out, sizeof out);
	assert_string_equal(out, "e1,e2");
	m = NULL;
	agentq_unpop(&q, malloc(sizeof *m + 1));
	assert_int_equal(q.n, 1);
	agentq_clear(&q);
	assert_int_equal(q.n, 0);
	assert_null(agentq_pop(&q));
	/* Empty payloads are fine. */
	assert_int_equal(agentq_push(&q, AGENTQ_TELEMETRY, NULL, 0), RP_OK);
	agentq_clear(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fifo),
	    cmocka_unit_test(test_full_drops_oldest_telemetry),
	    cmocka_unit_test(test_events_kept_over_new_telemetry),
	    cmocka_unit_test(test_drop_last_telemetry_fixes_tail),
	    cmocka_unit_test(test_unpop_and_clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
