/* Unit tests for presence.c through the fake session: our own presence
 * (show, status, priority, XEP-0186 invisibility), contacts' presence per
 * resource, and RFC 6121 §5.1 resource locking. */
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

#define ME  HARNESS_JID
#define BOB "bob@example.org"

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

/* The last presence we sent (index into sent), failing when none. */
static size_t last_presence(struct harness *h)
{
	size_t i, found = (size_t)-1;

	for (i = 0; i < fake_sent_count(h->xs); i++)
		if (!strncmp(fake_sent(h->xs, i), "<presence", 9))
			found = i;
	if (found == (size_t)-1)
		fail_msg("no presence was sent");
	return found;
}

/* ---- our own ---- */

static void test_login_sends_presence_with_caps(void **state)
{
	struct harness *h = *state;
	size_t i;
	char *hash, *node, *ver, *prio;

	harness_online(h);
	/* our presence waits for the roster (see test_core.c) */
	harness_answer_roster(h, NULL);
	i = last_presence(h);
	assert_null(strstr(fake_sent(h->xs, i), "type="));
	hash = fake_sent_attr(h->xs, i, "c", "hash");
	node = fake_sent_attr(h->xs, i, "c", "node");
	ver = fake_sent_attr(h->xs, i, "c", "ver");
	prio = fake_sent_text(h->xs, i, "priority");
	assert_string_equal(hash, "sha-1");
	assert_string_equal(node, "http://natter.im");
	assert_non_null(ver);
	assert_int_equal(strlen(ver), 28); /* base64 of a SHA-1 */
	assert_string_equal(prio, "0");
	free(hash);
	free(node);
	free(ver);
	free(prio);
}

static void test_status_sends_show_and_text(void **state)
{
	struct harness *h = *state;
	char *show, *status;
	size_t i;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/status away gone fishing", 1), 0);
	i = last_presence(h);
	show = fake_sent_text(h->xs, i, "show");
	status = fake_sent_text(h->xs, i, "status");
	assert_string_equal(show, "away");
	assert_string_equal(status, "gone fishing");
	free(show);
	free(status);
	/* online is no <show/> at all */
	assert_int_equal(harness_input(h, "/status online", 1), 0);
	i = last_presence(h);
	assert_null(strstr(fake_sent(h->xs, i), "<show>"));
	assert_null(strstr(fake_sent(h->xs, i), "<status>"));
	assert_int_equal(harness_input(h, "/status sleeping", 2), -1);
	{
		json_t *ev = harness_expect(h, "error", 0);

		assert_string_equal(harness_str(ev, "condition"), "bad-request");
		assert_int_equal(harness_int(ev, "origin"), 2);
		json_decref(ev);
	}
}

/* Offline, the choice is kept for the next login. */
static void test_status_offline_applies_at_login(void **state)
{
	struct harness *h = *state;
	char *show;

	assert_int_equal(harness_input(h, "/status dnd", 1), 0);
	assert_int_equal(fake_sent_count(h->xs), 0);
	harness_online(h);
	harness_answer_roster(h, NULL);
	show = fake_sent_text(h->xs, last_presence(h), "show");
	assert_string_equal(show, "dnd");
	free(show);
}

static void test_priority(void **state)
{
	struct harness *h = *state;
	char *prio;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/priority 128", 1), -1);
	assert_int_equal(harness_input(h, "/priority 5x", 2), -1);
	assert_int_equal(fake_sent_count(h->xs), 0);
	assert_int_equal(harness_input(h, "/priority -1", 3), 0);
	prio = fake_sent_text(h->xs, last_presence(h), "priority");
	assert_string_equal(prio, "-1");
	free(prio);
	/* Seed 004: the server will route nothing to a negative priority;
	 * said after the new priority itself. */
	ev = harness_expect(h, "info", (size_t)harness_find(h, "info", 0) + 1);
	assert_non_null(strstr(harness_str(ev, "text"), "negative"));
	assert_int_equal(harness_int(ev, "origin"), 3);
	json_decref(ev);
}

/* XEP-0186 §2: invisibility only where the server's disco#info lists it. */
static void test_invisible_needs_the_servers_feature(void **state)
{
	struct harness *h = *state;
	char *to;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/status invisible", 1), 0);
	to = fake_sent_attr(h->xs, 0, NULL, "to");
	assert_string_equal(to, "example.org");
	free(to);
	fake_answer(h->xs, 0,
	            "<iq type='result' id='%s' from='example.org'><query "
	            "xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xmpp:ping'/>"
	            "</query></iq>");
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "feature-not-implemented");
	json_decref(ev);
	assert_int_equal(fake_sent_count(h->xs), 1);
}

static void test_invisible_and_visible_again(void **state)
{
	struct harness *h = *state;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/status invisible", 1), 0);
	fake_answer(h->xs, 0,
	            "<iq type='result' id='%s' from='example.org'><query "
	            "xmlns='http://jabber.org/protocol/disco#info'><feature "
	            "var='urn:xmpp:invisible:0'/></query></iq>");
	assert_non_null(strstr(fake_sent(h->xs, 1), "<invisible xmlns=\"urn:xmpp:invisible:0\"/>"));
	fake_answer(h->xs, 1, "<iq type='result' id='%s'/>");
	{
		json_t *ev = harness_expect(h, "info", 0);

		assert_non_null(strstr(harness_str(ev, "text"), "invisible"));
		json_decref(ev);
	}
	/* Visible again: <visible/>, then the presence. */
	assert_int_equal(harness_input(h, "/status online", 1), 0);
	assert_non_null(strstr(fake_sent(h->xs, 2), "<visible xmlns=\"urn:xmpp:invisible:0\"/>"));
	assert_int_equal(last_presence(h), 3);
}

/* ---- contacts' ---- */

static void test_contact_presence_reported(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	fake_receive(h->xs, "<presence from='" BOB "/phone'><show>dnd</show><status>busy"
	                    "\xe2\x80\xae"
	                    "!</status><priority>5</priority></presence>");
	ev = harness_expect(h, "presence", 0);
	assert_string_equal(harness_str(ev, "from"), BOB "/phone");
	assert_string_equal(harness_str(ev, "type"), "available");
	assert_string_equal(harness_str(ev, "show"), "dnd");
	assert_string_equal(harness_str(ev, "status"), "busy!");
	assert_int_equal(harness_int(ev, "priority"), 5);
	json_decref(ev);
	harness_clear(h);
	/* A show natter does not know, a priority out of range: the defaults. */
	fake_receive(h->xs, "<presence from='" BOB "/pc'><show>sleepy</show>"
	                    "<priority>1000</priority></presence>");
	ev = harness_expect(h, "presence", 0);
	assert_null(harness_str(ev, "show"));
	assert_int_equal(harness_int(ev, "priority"), 0);
	json_decref(ev);
	harness_clear(h);
	fake_receive(h->xs, "<presence type='unavailable' from='" BOB "/pc'/>");
	ev = harness_expect(h, "presence", 0);
	assert_string_equal(harness_str(ev, "type"), "unavailable");
	json_decref(ev);
	/* Errors and presence without a sender are no news. */
	harness_clear(h);
	fake_receive(h->xs,
	             "<presence type='error' from='" BOB "/pc'><error type='cancel'>"
	             "<gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>");
	fake_receive(h->xs, "<presence><show>away</show></presence>");
	fake_receive(h->xs, "<presence from='@@'/>");
	assert_int_equal(harness_find(h, "presence", 0), -1);
}

/* Which resource a bare JID means (here: whom /xhtml asks whether it renders
 * XHTML-IM): the highest priority available one; nobody after the bare
 * JID went unavailable or after a fresh login. */
static void test_best_resource(void **state)
{
	struct harness *h = *state;
	char *to;

	harness_online_quiet(h);
	fake_receive(h->xs, "<presence from='" BOB "/pc'><priority>5</priority></presence>");
	fake_receive(h->xs, "<presence from='" BOB "/phone'><priority>1</priority></presence>");
	assert_int_equal(harness_input(h, "/xhtml " BOB " <b>x</b>", 1), 0);
	to = fake_sent_attr(h->xs, 0, NULL, "to");
	assert_string_equal(to, BOB "/pc");
	free(to);
	fake_clear_sent(h->xs);
	fake_receive(h->xs, "<presence type='unavailable' from='" BOB "/pc'/>");
	assert_int_equal(harness_input(h, "/xhtml " BOB " <b>x</b>", 1), 0);
	to = fake_sent_attr(h->xs, 0, NULL, "to");
	assert_string_equal(to, BOB "/phone");
	free(to);
	fake_clear_sent(h->xs);
	/* From the bare JID: every resource is gone. */
	fake_receive(h->xs, "<presence type='unavailable' from='" BOB "'/>");
	harness_clear(h);
	assert_int_equal(harness_input(h, "/xhtml " BOB " <b>x</b>", 1), 0);
	assert_non_null(strstr(fake_sent(h->xs, 0), "<body>x</body>"));
	assert_true(harness_find(h, "info", 0) >= 0);
	/* A new session knows nobody's presence. */
	fake_receive(h->xs, "<presence from='" BOB "/pc'/>");
	fake_offline(h->xs, NET_FAIL_NETWORK, NULL, "gone");
	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/xhtml " BOB " <b>x</b>", 1), 0);
	assert_non_null(strstr(fake_sent(h->xs, 0), "<body>x</body>"));
}

/* A session whose initial presence has not gone out yet (it waits for the
 * roster) ends without an unavailable one, even after an earlier session
 * that had announced itself. */
static void test_no_goodbye_before_the_initial_presence(void **state)
{
	struct harness *h = *state;

	harness_online_quiet(h);
	fake_offline(h->xs, NET_FAIL_NETWORK, NULL, "gone");
	harness_online(h);
	assert_null(fake_find_sent(h->xs, 0, "<presence", NULL));
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/disconnect", 1), 0);
	assert_null(fake_find_sent(h->xs, 0, "<presence", NULL));
	assert_int_equal(fake_closes(h->xs), 1);
}

/* RFC 6121 §5.1: replies go to the resource that wrote, until it sends
 * presence again. */
static void test_resource_lock(void **state)
{
	struct harness *h = *state;
	char *to;

	harness_online_quiet(h);
	fake_receive(h->xs, "<message type='chat' from='" BOB "/phone'><body>hi</body></message>");
	assert_int_equal(harness_input(h, "/msg " BOB " reply", 1), 0);
	to = fake_sent_attr(h->xs, 0, NULL, "to");
	assert_string_equal(to, BOB "/phone");
	free(to);
	/* A chat state alone does not move the lock. */
	fake_receive(h->xs, "<message type='chat' from='" BOB "/pc'><inactive "
	                    "xmlns='http://jabber.org/protocol/chatstates'/></message>");
	assert_int_equal(harness_input(h, "/msg " BOB " again", 1), 0);
	to = fake_sent_attr(h->xs, 1, NULL, "to");
	assert_string_equal(to, BOB "/phone");
	free(to);
	fake_receive(h->xs, "<presence from='" BOB "/phone'><show>away</show></presence>");
	assert_int_equal(harness_input(h, "/msg " BOB " unlocked", 1), 0);
	to = fake_sent_attr(h->xs, 2, NULL, "to");
	assert_string_equal(to, BOB);
	free(to);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_login_sends_presence_with_caps),
	    T(test_status_sends_show_and_text),
	    T(test_status_offline_applies_at_login),
	    T(test_priority),
	    T(test_invisible_needs_the_servers_feature),
	    T(test_invisible_and_visible_again),
	    T(test_contact_presence_reported),
	    T(test_best_resource),
	    T(test_resource_lock),
	    T(test_no_goodbye_before_the_initial_presence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
