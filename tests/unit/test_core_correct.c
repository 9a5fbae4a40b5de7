/* Unit tests for correct.c through the fake session: XEP-0308 last message
 * correction, received (only from the original's sender: correct_allowed())
 * and sent with /correct, and what the history keeps of it. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/correct.h"
#include "core_harness.h"
#include "msg_helpers.h"

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

#define ME    HARNESS_JID
#define BOB   "bob@example.org"
#define PHONE BOB "/phone"

static void test_correction_from_the_sender_is_applied(void **state)
{
	struct harness *h = *state;
	json_t *ev, *msgs;
	size_t mark;

	harness_online_quiet(h);
	msg_chat_from(h, PHONE, "m1", "helo wrld", NULL);
	mark = harness_mark(h);
	msg_chat_from(h, PHONE, "m2", "hello world",
	              "<replace xmlns='urn:xmpp:message-correct:0' id='m1'/>");
	ev = harness_expect(h, "message", mark);
	assert_string_equal(harness_str(ev, "replaces"), "m1");
	assert_string_equal(harness_str(ev, "body"), "hello world");
	json_decref(ev);
	harness_advance(h, 10);
	ev = msg_history(h, "/history " BOB);
	msgs = json_object_get(ev, "messages");
	assert_int_equal(json_array_size(msgs), 1);
	assert_string_equal(harness_str(json_array_get(msgs, 0), "body"), "hello world");
	assert_true(json_is_true(json_object_get(json_array_get(msgs, 0), "edited")));
	json_decref(ev);
	harness_advance(h, 10);
	ev = msg_history(h, "/history search wrld");
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 0);
	json_decref(ev);
	/* A correction naming the last correction still finds the message. */
	mark = harness_mark(h);
	msg_chat_from(h, PHONE, "m3", "hello, world",
	              "<replace xmlns='urn:xmpp:message-correct:0' id='m2'/>");
	ev = harness_expect(h, "message", mark);
	assert_string_equal(harness_str(ev, "replaces"), "m2");
	json_decref(ev);
	ev = msg_history(h, "/history " BOB);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 1);
	json_decref(ev);
}

static void test_correction_from_anyone_else_is_ordinary(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	size_t mark;

	harness_online_quiet(h);
	msg_chat_from(h, PHONE, "m1", "the original", NULL);
	mark = harness_mark(h);
	/* Another resource of the same account, then the same id from
	 * another account. */
	msg_chat_from(h, BOB "/laptop", "x1", "sibling",
	              "<replace xmlns='urn:xmpp:message-correct:0' id='m1'/>");
	msg_chat_from(h, "mallory@example.org/m", "x2", "stranger",
	              "<replace xmlns='urn:xmpp:message-correct:0' id='m1'/>");
	ev = harness_expect(h, "message", mark);
	assert_null(json_object_get(ev, "replaces"));
	assert_string_equal(harness_str(ev, "body"), "sibling");
	json_decref(ev);
	ev = harness_expect(h, "message", mark + 1);
	assert_null(json_object_get(ev, "replaces"));
	json_decref(ev);
	ev = msg_history(h, "/history " BOB);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 2);
	assert_null(json_object_get(json_array_get(json_object_get(ev, "messages"), 0), "edited"));
	json_decref(ev);
}

static void test_correction_rule_for_rooms(void **state)
{
	struct correct_sender a = {"room@muc.example.org/ann", NULL, true};
	struct correct_sender b = {"room@muc.example.org/ann", NULL, true};
	struct correct_sender c = {"room@muc.example.org/bea", NULL, true};
	struct correct_sender one = {"room@muc.example.org/ann", NULL, false};

	(void)state;
	assert_true(correct_allowed(&a, &b));
	assert_false(correct_allowed(&a, &c));
	assert_false(correct_allowed(&a, &one));
	/* With occupant ids, they decide, whatever the nick. */
	a.occupant_id = "occ-1";
	c.occupant_id = "occ-1";
	assert_true(correct_allowed(&a, &c));
	b.occupant_id = "occ-2";
	assert_false(correct_allowed(&a, &b));
	b.occupant_id = NULL;
	assert_false(correct_allowed(&a, &b));
}

static void test_correct_command(void **state)
{
	struct harness *h = *state;
	const char *s;
	char *id;
	json_t *ev;
	size_t mark;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/correct " BOB " nothing yet", 1), -1);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "item-not-found");
	json_decref(ev);
	assert_int_equal(harness_input(h, "/msg " PHONE " teh cat", 2), 0);
	id = fake_sent_id(h->xs, 0);
	fake_clear_sent(h->xs);
	mark = harness_mark(h);
	assert_int_equal(harness_input(h, "/correct " PHONE " the cat", 3), 0);
	s = fake_sent(h->xs, 0);
	assert_non_null(s);
	assert_non_null(strstr(s, "<body>the cat</body>"));
	assert_non_null(strstr(s, "urn:xmpp:message-correct:0"));
	{
		char *want = NULL;

		assert_true(asprintf(&want, "id=\"%s\"", id) > 0);
		assert_non_null(strstr(strstr(s, "<replace"), want));
		free(want);
	}
	ev = harness_expect(h, "message", mark);
	assert_string_equal(harness_str(ev, "replaces"), id);
	assert_true(json_is_true(json_object_get(ev, "outgoing")));
	json_decref(ev);
	ev = msg_history(h, "/history " BOB);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 1);
	assert_string_equal(harness_str(json_array_get(json_object_get(ev, "messages"), 0), "body"),
	                    "the cat");
	json_decref(ev);
	free(id);
}

/* disco#info says so. */
static void test_feature_offered(void **state)
{
	msg_feature_offered(*state, "urn:xmpp:message-correct:0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_correction_from_the_sender_is_applied),
	    T(test_correction_from_anyone_else_is_ordinary),
	    cmocka_unit_test(test_correction_rule_for_rooms),
	    T(test_correct_command),
	    T(test_feature_offered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
