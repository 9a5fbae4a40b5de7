/* Unit tests for markers.c through the fake session: XEP-0333 chat markers
 * on what we send, markers received for our messages (and only from their
 * recipient), and displayed markers sent by /read or by the terminal UI. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/core.h"
#include "core_harness.h"
#include "msg_helpers.h"

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

#define ME    HARNESS_JID
#define BOB   "bob@example.org"
#define PHONE BOB "/phone"

static void test_markers(void **state)
{
	struct harness *h = *state;
	const char *s;
	char *id, *marker = NULL;
	json_t *ev;
	size_t mark;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/msg " PHONE " read me", 1), 0);
	s = fake_sent(h->xs, 0);
	assert_non_null(strstr(s, "<markable xmlns=\"urn:xmpp:chat-markers:0\"/>"));
	id = fake_sent_id(h->xs, 0);
	mark = harness_mark(h);
	/* A stranger's marker is not reported and touches nothing of ours. */
	assert_true(asprintf(&marker, "<displayed xmlns='urn:xmpp:chat-markers:0' id='%s'/>", id) >
	            0);
	fake_receivef(h->xs,
	              "<message from='mallory@example.org/m' to='" ME "/natter' id='k'>%s"
	              "</message>",
	              marker);
	assert_int_equal(harness_find(h, "marker", mark), -1);
	ev = msg_history(h, "/history " BOB);
	assert_string_equal(
	    harness_str(json_array_get(json_object_get(ev, "messages"), 0), "delivery"), "sent");
	json_decref(ev);
	fake_receivef(h->xs, "<message from='" PHONE "' to='" ME "/natter' id='k2'>%s</message>",
	              marker);
	ev = harness_expect(h, "marker", mark);
	assert_string_equal(harness_str(ev, "type"), "displayed");
	assert_string_equal(harness_str(ev, "id"), id);
	assert_string_equal(harness_str(ev, "from"), PHONE);
	json_decref(ev);
	ev = msg_history(h, "/history " BOB);
	assert_string_equal(
	    harness_str(json_array_get(json_object_get(ev, "messages"), 0), "delivery"),
	    "displayed");
	json_decref(ev);
	/* A late receipt does not take it back. */
	fake_receivef(h->xs,
	              "<message from='" PHONE "' to='" ME "/natter' id='rc'>"
	              "<received xmlns='urn:xmpp:receipts' id='%s'/></message>",
	              id);
	ev = msg_history(h, "/history " BOB);
	assert_string_equal(
	    harness_str(json_array_get(json_object_get(ev, "messages"), 0), "delivery"),
	    "displayed");
	json_decref(ev);
	free(marker);
	free(id);
}

static void test_displayed_sent_when_asked(void **state)
{
	struct harness *h = *state;
	const char *s;
	size_t i = 0;

	harness_online_quiet(h);
	msg_chat_from(h, PHONE, "k1", "not markable", NULL);
	assert_null(fake_find_sent(h->xs, 0, "chat-markers", NULL));
	assert_int_equal(harness_input(h, "/read " BOB, 1), 0);
	assert_null(fake_find_sent(h->xs, 0, "<displayed", NULL));
	msg_chat_from(h, PHONE, "k2", "markable", "<markable xmlns='urn:xmpp:chat-markers:0'/>");
	/* Nothing by itself (headless reads nothing unless told). */
	assert_null(fake_find_sent(h->xs, 0, "<displayed", NULL));
	assert_int_equal(harness_input(h, "/read " BOB, 2), 0);
	s = fake_find_sent(h->xs, 0, "<displayed", &i);
	assert_non_null(s);
	assert_non_null(strstr(s, "id=\"k2\""));
	assert_non_null(strstr(s, "to=\"" PHONE "\""));
	assert_non_null(strstr(s, "urn:xmpp:hints"));
	/* Once. */
	assert_int_equal(harness_input(h, "/read " BOB, 3), 0);
	assert_null(fake_find_sent(h->xs, i + 1, "<displayed", NULL));
	msg_chat_from(h, PHONE, "k3", "again", "<markable xmlns='urn:xmpp:chat-markers:0'/>");
	/* By itself (the terminal UI showed it), only to whom may see our
	 * presence: a marker says we are here. */
	assert_int_equal(core_chat_displayed(h->core, BOB), 0);
	assert_null(fake_find_sent(h->xs, i + 1, "id=\"k3\"", NULL));
	fake_receive(h->xs, "<iq type='set' id='rp'><query xmlns='jabber:iq:roster'>"
	                    "<item jid='" BOB "' subscription='from'/></query></iq>");
	assert_int_equal(core_chat_displayed(h->core, BOB), 0);
	assert_non_null(fake_find_sent(h->xs, i + 1, "id=\"k3\"", NULL));
}

static void test_displayed_follows_the_setting(void **state)
{
	struct harness *h = harness_new(ME, "[history]\nmam_initial = 0\n"
	                                    "[privacy]\nread_markers = false\n");

	(void)state;
	harness_online_quiet(h);
	msg_chat_from(h, PHONE, "k2", "markable", "<markable xmlns='urn:xmpp:chat-markers:0'/>");
	assert_int_equal(core_chat_displayed(h->core, BOB), 0);
	assert_null(fake_find_sent(h->xs, 0, "<displayed", NULL));
	harness_free(h);
}

/* disco#info says so. */
static void test_feature_offered(void **state)
{
	msg_feature_offered(*state, "urn:xmpp:chat-markers:0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_markers),
	    T(test_displayed_sent_when_asked),
	    cmocka_unit_test(test_displayed_follows_the_setting),
	    T(test_feature_offered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
