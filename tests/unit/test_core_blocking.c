/* Unit tests for blocking.c through the fake session: XEP-0191, its guard
 * (a blocked JID's messages, presence and subscription requests are not
 * shown, whichever way they come), pushes, /block, and a server without
 * it. */
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

static void block_bob(struct harness *h)
{
	fake_receive(h->xs, "<iq type='set' id='push1'><block xmlns='urn:xmpp:blocking'>"
	                    "<item jid='" BOB "'/></block></iq>");
}

static void test_blocked_jid_is_not_shown(void **state)
{
	struct harness *h = *state;
	size_t mark;

	/* A contact: a stranger's unavailable presence is not news (presence.c) */
	harness_online_roster(h, "<item jid='" BOB "' subscription='both'/>");
	block_bob(h);
	assert_non_null(fake_find_sent(h->xs, 0, "id=\"push1\"", NULL));
	json_decref(harness_expect(h, "blocklist", 0));
	mark = harness_mark(h);
	msg_chat_from(h, PHONE, "b1", "spam", NULL);
	fake_receive(h->xs, "<presence from='" PHONE "'/>");
	fake_receive(h->xs, "<presence from='" BOB "' type='subscribe'/>");
	/* From the archive, too. */
	fake_receive(h->xs, "<message from='" ME "'><result xmlns='urn:xmpp:mam:2' id='a1' "
	                    "queryid='none'><forwarded xmlns='urn:xmpp:forward:0'>"
	                    "<message type='chat' from='" PHONE "' to='" ME "'><body>old</body>"
	                    "</message></forwarded></result></message>");
	/* A carbon of what our other client got from it. */
	fake_receive(h->xs,
	             "<message from='" ME "' type='chat'><received xmlns='urn:xmpp:carbons:2'>"
	             "<forwarded xmlns='urn:xmpp:forward:0'><message type='chat' from='" PHONE
	             "' to='" ME "/other' id='c1'><body>carbon</body></message></forwarded>"
	             "</received></message>");
	assert_int_equal(harness_find(h, "message", mark), -1);
	assert_int_equal(harness_find(h, "presence", mark), -1);
	assert_int_equal(harness_find(h, "subscription", mark), -1);
	/* Going offline still shows. */
	fake_receive(h->xs, "<presence from='" PHONE "' type='unavailable'/>");
	assert_true(harness_find(h, "presence", mark) >= 0);
	/* Unblocked by another of our clients: shown again. */
	fake_receive(h->xs, "<iq type='set' id='push2'><unblock xmlns='urn:xmpp:blocking'>"
	                    "<item jid='" BOB "'/></unblock></iq>");
	msg_chat_from(h, PHONE, "b2", "hello again", NULL);
	assert_true(harness_find(h, "message", mark) >= 0);
}

static void test_domain_block_and_foreign_push(void **state)
{
	struct harness *h = *state;
	size_t mark;

	harness_online_quiet(h);
	fake_receive(h->xs, "<iq type='set' id='evil' from='mallory@example.org/m'>"
	                    "<block xmlns='urn:xmpp:blocking'><item jid='" BOB "'/></block></iq>");
	assert_non_null(fake_find_sent(h->xs, 0, "<forbidden", NULL));
	fake_receive(h->xs, "<iq type='set' id='push1'><block xmlns='urn:xmpp:blocking'>"
	                    "<item jid='spam.example'/></block></iq>");
	mark = harness_mark(h);
	msg_chat_from(h, PHONE, "b1", "not blocked", NULL);
	msg_chat_from(h, "anyone@spam.example/x", "b2", "blocked by domain", NULL);
	assert_int_equal(harness_count(h, "message", mark), 1);
}

static void test_block_command(void **state)
{
	struct harness *h = *state;
	char *id;
	size_t i, mark;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/block " BOB, 5), 0);
	/* First: can the server block at all? */
	id = fake_sent_id(h->xs, 0);
	assert_non_null(strstr(fake_sent(h->xs, 0), "disco#info"));
	fake_receivef(
	    h->xs,
	    "<iq type='result' id='%s' from='example.org'><query "
	    "xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xmpp:blocking'/>"
	    "</query></iq>",
	    id);
	free(id);
	assert_non_null(fake_find_sent(h->xs, 1, "<block xmlns=\"urn:xmpp:blocking\">", &i));
	id = fake_sent_id(h->xs, i);
	mark = harness_mark(h);
	fake_receivef(h->xs, "<iq type='result' id='%s'/>", id);
	free(id);
	ev = harness_expect(h, "blocklist", mark);
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 5);
	assert_string_equal(json_string_value(json_array_get(json_object_get(ev, "items"), 0)),
	                    BOB);
	json_decref(ev);
}

static void test_server_without_blocking(void **state)
{
	struct harness *h = *state;
	char *id;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/block " BOB, 5), 0);
	id = fake_sent_id(h->xs, 0);
	fake_receivef(h->xs,
	              "<iq type='result' id='%s' from='example.org'><query "
	              "xmlns='http://jabber.org/protocol/disco#info'/></iq>",
	              id);
	free(id);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "feature-not-implemented");
	assert_non_null(strstr(harness_str(ev, "text"), "XEP-0191"));
	json_decref(ev);
	assert_null(fake_find_sent(h->xs, 0, "<block", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_blocked_jid_is_not_shown),
	    T(test_domain_block_and_foreign_push),
	    T(test_block_command),
	    T(test_server_without_blocking),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
