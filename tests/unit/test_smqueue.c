/* Unit tests for xmpp/smqueue: what natter keeps until the server has it. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <cmocka.h>

#include "xmpp/smqueue.h"

#define UNUSED __attribute__((unused))

static xmpp_ctx_t *ctx;

/* What was handed back, by id, in order. */
struct taken {
	char ids[256];
};

static void take(void *ud, xmpp_stanza_t *st)
{
	struct taken *t = ud;
	const char *id = xmpp_stanza_get_id(st);

	strcat(t->ids, id ? id : "?");
	strcat(t->ids, " ");
	xmpp_stanza_release(st);
}

/* Sends a message with this id: the text is what libstrophe would log. */
static char *send(struct smq *q, const char *id)
{
	xmpp_stanza_t *st = xmpp_message_new(ctx, "chat", "bob@example.org", id);
	char *text, *copy;
	size_t len;

	assert_non_null(st);
	assert_int_equal(xmpp_stanza_to_text(st, &text, &len), XMPP_EOK);
	copy = strdup(text);
	assert_non_null(copy);
	xmpp_free(ctx, text);
	assert_int_equal(smq_sent(q, st, strdup(copy)), 0);
	return copy; /* the caller's, to "write" */
}

static void written(struct smq *q, char *text)
{
	smq_written(q, text);
	free(text);
}

/* A fresh session with messages a, b and c sent, none written yet. */
static void start_abc(struct smq *q, char **a, char **b, char **c)
{
	smq_init(q);
	smq_session_start(q);
	*a = send(q, "a");
	*b = send(q, "b");
	*c = send(q, "c");
}

static void test_acknowledged_stanzas_are_let_go(void UNUSED **state)
{
	struct smq q;
	struct taken t = {{0}};
	char *a, *b, *c;

	start_abc(&q, &a, &b, &c);
	written(&q, a);
	/* libstrophe's own elements in between match nothing. */
	smq_written(&q, "<r xmlns='urn:xmpp:sm:3'/>");
	written(&q, b);
	assert_int_equal(smq_len(&q), 3);
	assert_true(smq_acked(&q, 1));
	assert_int_equal(smq_len(&q), 2);
	/* The same count again frees nothing more. */
	assert_true(smq_acked(&q, 1));
	assert_int_equal(smq_len(&q), 2);
	/* c was never written: the server cannot have it. */
	assert_false(smq_acked(&q, 3));
	assert_int_equal(smq_len(&q), 2);
	/* The connection drops: c goes back, b stays for the resumption. */
	smq_take_unwritten(&q, take, &t);
	assert_string_equal(t.ids, "c ");
	assert_int_equal(smq_len(&q), 1);
	/* The resumption fails: b goes back too. */
	smq_take_all(&q, take, &t);
	assert_string_equal(t.ids, "c b ");
	assert_int_equal(smq_len(&q), 0);
	free(c);
	smq_clear(&q);
}

static void test_a_missed_line_implies_the_earlier_were_written(void UNUSED **state)
{
	struct smq q;
	struct taken t = {{0}};
	char *a, *b, *c;

	start_abc(&q, &a, &b, &c);
	/* a's line never came: b's says a went before it. */
	written(&q, b);
	assert_true(smq_acked(&q, 2));
	assert_int_equal(smq_len(&q), 1);
	smq_take_unwritten(&q, take, &t);
	assert_string_equal(t.ids, "c ");
	/* After the cut the list is whole: a new stanza can be kept. */
	free(send(&q, "d"));
	assert_int_equal(smq_len(&q), 1);
	free(a);
	free(c);
	smq_clear(&q);
}

static void test_nonzas_are_counted_but_never_handed_back(void UNUSED **state)
{
	struct smq q;
	struct taken t = {{0}};
	char *a, *b;

	smq_init(&q);
	smq_session_start(&q);
	a = send(&q, "a");
	assert_int_equal(smq_sent(&q, NULL, strdup("<iq id='ping'/><active/>")), 0);
	b = send(&q, "b");
	written(&q, a);
	smq_written(&q, "<iq id='ping'/><active/>");
	written(&q, b);
	assert_true(smq_acked(&q, 1));
	smq_take_all(&q, take, &t);
	assert_string_equal(t.ids, "b ");
	smq_clear(&q);
}

static void test_resumed_count_and_a_fresh_session(void UNUSED **state)
{
	struct smq q;
	struct taken t = {{0}};
	char *text[4];
	const char *ids[] = {"m1", "m2", "m3", "m4"};

	smq_init(&q);
	smq_session_start(&q);
	for (int i = 0; i < 4; i++)
		text[i] = send(&q, ids[i]);
	for (int i = 0; i < 4; i++)
		written(&q, text[i]);
	assert_true(smq_acked(&q, 2));
	/* Cut and resumed: the server had 3 (<resumed h='3'/>); libstrophe
	 * writes m4 again, and it stays kept until acknowledged. */
	smq_take_unwritten(&q, take, &t);
	assert_string_equal(t.ids, "");
	assert_true(smq_acked(&q, 3));
	assert_int_equal(smq_len(&q), 1);
	assert_true(smq_acked(&q, 4));
	assert_int_equal(smq_len(&q), 0);
	/* A count that goes backwards lets nothing go. */
	free(send(&q, "m5"));
	smq_written(&q, "nothing of ours");
	assert_false(smq_acked(&q, 2));
	/* A fresh session counts from 0. */
	smq_take_all(&q, take, &t);
	assert_string_equal(t.ids, "m5 ");
	smq_session_start(&q);
	text[0] = send(&q, "n1");
	written(&q, text[0]);
	assert_true(smq_acked(&q, 1));
	assert_int_equal(smq_len(&q), 0);
	smq_clear(&q);
}

static void test_a_server_that_never_acknowledges_costs_a_bounded_queue(void UNUSED **state)
{
	struct smq q;
	char id[16];

	smq_init(&q);
	smq_session_start(&q);
	for (int i = 0; i < 2500; i++) {
		snprintf(id, sizeof(id), "x%d", i);
		written(&q, send(&q, id));
	}
	assert_int_equal(smq_len(&q), 2000);
	/* The oldest were counted as let go: the server's count still lines
	 * up with what is kept. */
	assert_true(smq_acked(&q, 2400));
	assert_int_equal(smq_len(&q), 100);
	smq_clear(&q);
}

static void test_counter_wraps(void UNUSED **state)
{
	struct smq q;
	char *a, *b;

	smq_init(&q);
	smq_session_start(&q);
	q.acked = UINT32_MAX; /* as after 2^32 - 1 stanzas */
	a = send(&q, "a");
	b = send(&q, "b");
	written(&q, a);
	written(&q, b);
	assert_true(smq_acked(&q, 1)); /* UINT32_MAX + 2, wrapped */
	assert_int_equal(smq_len(&q), 0);
	smq_clear(&q);
}

static int setup(void UNUSED **state)
{
	ctx = xmpp_ctx_new(NULL, NULL);
	return ctx ? 0 : -1;
}

static int teardown(void UNUSED **state)
{
	xmpp_ctx_free(ctx);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_acknowledged_stanzas_are_let_go),
	    cmocka_unit_test(test_a_missed_line_implies_the_earlier_were_written),
	    cmocka_unit_test(test_nonzas_are_counted_but_never_handed_back),
	    cmocka_unit_test(test_resumed_count_and_a_fresh_session),
	    cmocka_unit_test(test_a_server_that_never_acknowledges_costs_a_bounded_queue),
	    cmocka_unit_test(test_counter_wraps),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
