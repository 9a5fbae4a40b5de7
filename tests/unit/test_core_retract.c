/* Unit tests for retract.c through the fake session: XEP-0424 retractions
 * received (version 1 and the XEP-0422 fastening of version 0), only from
 * the sender's account, and what the history and search keep of them. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core_harness.h"
#include "msg_helpers.h"

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

#define ME    HARNESS_JID
#define BOB   "bob@example.org"
#define PHONE BOB "/phone"

static void test_retraction_from_the_sender(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	size_t mark;

	harness_online_quiet(h);
	msg_chat_from(h, PHONE, "r1", "secret plan", NULL);
	msg_chat_from(h, PHONE, "r2", "older form", NULL);
	harness_advance(h, 10);
	harness_advance(h, 10); /* indexed for search */
	mark = harness_mark(h);
	msg_chat_from(h, "mallory@example.org/m", "x1", "fallback",
	              "<retract xmlns='urn:xmpp:message-retract:1' id='r1'/>");
	assert_int_equal(harness_find(h, "retracted", mark), -1);
	assert_int_equal(harness_find(h, "message", mark), -1);
	/* The same account's other client may. */
	msg_chat_from(h, BOB "/laptop", "x2", "fallback",
	              "<retract xmlns='urn:xmpp:message-retract:1' id='r1'/>");
	ev = harness_expect(h, "retracted", mark);
	assert_string_equal(harness_str(ev, "id"), "r1");
	json_decref(ev);
	/* XEP-0422 fastening, the earlier form. */
	msg_chat_from(h, PHONE, "x3", "fallback",
	              "<apply-to xmlns='urn:xmpp:fasten:0' id='r2'>"
	              "<retract xmlns='urn:xmpp:message-retract:0'/></apply-to>");
	assert_int_equal(harness_count(h, "retracted", mark), 2);
	assert_int_equal(harness_find(h, "message", mark), -1);
	/* Without a fallback body too. */
	msg_chat_from(h, PHONE, "r4", "one more", NULL);
	fake_receive(h->xs, "<message type='chat' from='" PHONE "' to='" ME "/natter' id='x4'>"
	                    "<retract xmlns='urn:xmpp:message-retract:1' id='r4'/></message>");
	assert_int_equal(harness_count(h, "retracted", mark), 3);
	/* A copy changes nothing. */
	msg_chat_from(h, PHONE, "x3", "fallback",
	              "<apply-to xmlns='urn:xmpp:fasten:0' id='r2'>"
	              "<retract xmlns='urn:xmpp:message-retract:0'/></apply-to>");
	assert_int_equal(harness_count(h, "retracted", mark), 3);
	ev = msg_history(h, "/history " BOB);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 3);
	assert_string_equal(harness_str(json_array_get(json_object_get(ev, "messages"), 0), "body"),
	                    "");
	assert_true(json_is_true(
	    json_object_get(json_array_get(json_object_get(ev, "messages"), 0), "retracted")));
	json_decref(ev);
	harness_advance(h, 10);
	ev = msg_history(h, "/history search secret");
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 0);
	json_decref(ev);
}

/* disco#info says so. */
static void test_feature_offered(void **state)
{
	msg_feature_offered(*state, "urn:xmpp:message-retract:1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_retraction_from_the_sender),
	    T(test_feature_offered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
