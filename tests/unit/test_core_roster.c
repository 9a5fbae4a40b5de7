/* Unit tests for roster.c and subscription.c through the fake session: the
 * roster at login (XEP-0237 versions and the cache), pushes only from our
 * own account, the /roster and /sub commands, and subscription requests
 * kept until answered. */
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

#define ME    HARNESS_JID
#define BOB   "bob@example.org"
#define CAROL "carol@example.org"

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

/* Logs in and answers the roster request with items (a <query/> body);
 * NULL answers with an empty result ("your version is current"). */
/* As the network thread delivers the answer: its items read as they were
 * parsed, none in the stanza's tree (rosterstream.h). */
static bool streamed;

static void login_with_roster(struct harness *h, const char *query)
{
	size_t i;

	fake_clear_sent(h->xs);
	harness_online(h);
	assert_non_null(fake_find_sent(h->xs, 0, "jabber:iq:roster", &i));
	{
		char *id = fake_sent_id(h->xs, i);

		if (query && streamed) {
			char *xml;

			assert_true(asprintf(&xml, "<iq type='result' id='%s'>%s</iq>", id, query) >
			            0);
			fake_receive_streamed(h->xs, xml);
			free(xml);
		} else if (query)
			fake_receivef(h->xs, "<iq type='result' id='%s'>%s</iq>", id, query);
		else
			fake_receivef(h->xs, "<iq type='result' id='%s'/>", id);
		free(id);
	}
}

#define ROSTER_V1                                                                                  \
	"<query xmlns='jabber:iq:roster' ver='v1'>"                                                \
	"<item jid='" CAROL "' subscription='to' ask='subscribe'/>"                                \
	"<item jid='BOB@Example.org' name='Bobby' subscription='both'><group>Friends</group>"      \
	"<group>Work</group><group/></item>"                                                       \
	"<item jid='" BOB "/phone' subscription='both'/>"                                          \
	"<item subscription='both'/>"                                                              \
	"</query>"

static void test_login_roster_is_reported_sorted(void **state)
{
	struct harness *h = *state;
	json_t *ev, *items, *bob;

	login_with_roster(h, ROSTER_V1);
	/* The first request says we can cache (ver=''). */
	ev = harness_expect(h, "roster", 0);
	items = json_object_get(ev, "items");
	/* The full JID and the item without one are no contacts. */
	assert_int_equal(json_array_size(items), 2);
	bob = json_array_get(items, 0);
	/* The domain normalised; the localpart as the server spells it. */
	assert_string_equal(harness_str(bob, "jid"), "BOB@example.org");
	assert_string_equal(harness_str(bob, "name"), "Bobby");
	assert_string_equal(harness_str(bob, "subscription"), "both");
	assert_int_equal(json_array_size(json_object_get(bob, "groups")), 2);
	assert_string_equal(harness_str(json_array_get(items, 1), "jid"), CAROL);
	assert_string_equal(harness_str(json_array_get(items, 1), "ask"), "subscribe");
	json_decref(ev);
}

static void test_login_roster_streamed_is_the_same(void **state)
{
	streamed = true;
	test_login_roster_is_reported_sorted(state);
	streamed = false;
}

/* More items than a pass reads, as they stream in, with a push that came
 * while they were read: applied after them. */
static void test_big_streamed_roster_then_held_push(void **state)
{
	struct harness *h = *state;
	json_t *ev, *items;
	FILE *f;
	char *query = NULL;
	size_t len = 0;

	f = open_memstream(&query, &len);
	assert_non_null(f);
	fputs("<query xmlns='jabber:iq:roster' ver='big'>", f);
	for (unsigned i = 0; i < 2500; i++)
		fprintf(
		    f,
		    "<item jid='c%04u@example.org' subscription='both'><group>G%u</group></item>",
		    i, i % 3);
	fputs("</query>", f);
	fclose(f);
	streamed = true;
	login_with_roster(h, query);
	streamed = false;
	free(query);
	/* Read a chunk a pass: a push for the last item waits its turn. */
	fake_receive(h->xs, "<iq type='set' id='push9'><query xmlns='jabber:iq:roster' ver='big2'>"
	                    "<item jid='c2499@example.org' name='Last' subscription='both'/>"
	                    "</query></iq>");
	assert_int_equal(harness_find(h, "roster", 0), -1);
	harness_advance(h, 0);
	assert_int_equal(harness_find(h, "roster", 0), -1);
	harness_advance(h, 0);
	ev = harness_expect(h, "roster", 0);
	items = json_object_get(ev, "items");
	assert_int_equal(json_array_size(items), 2500);
	assert_string_equal(harness_str(json_array_get(items, 0), "jid"), "c0000@example.org");
	assert_string_equal(json_string_value(json_array_get(
	                        json_object_get(json_array_get(items, 1), "groups"), 0)),
	                    "G1");
	json_decref(ev);
	ev = harness_expect(h, "roster_push", 0);
	assert_string_equal(harness_str(json_object_get(ev, "item"), "name"), "Last");
	json_decref(ev);
}

static void test_first_request_asks_for_a_version(void **state)
{
	struct harness *h = *state;
	char *ver;
	size_t i;

	harness_online(h);
	assert_non_null(fake_find_sent(h->xs, 0, "jabber:iq:roster", &i));
	ver = fake_sent_attr(h->xs, i, "query", "ver");
	assert_non_null(ver);
	assert_string_equal(ver, "");
	free(ver);
}

/* The cache: the next start knows the roster and its version; a server
 * that says "current" (an empty result) costs nothing more. */
static void test_cached_roster_and_version(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	char *ver;
	size_t i;

	login_with_roster(h, ROSTER_V1);
	harness_advance(h, 0); /* committed with the pass */
	harness_restart(h);
	fake_clear_sent(h->xs);
	harness_online(h);
	assert_non_null(fake_find_sent(h->xs, 0, "jabber:iq:roster", &i));
	ver = fake_sent_attr(h->xs, i, "query", "ver");
	assert_string_equal(ver, "v1");
	free(ver);
	{
		char *id = fake_sent_id(h->xs, i);

		fake_receivef(h->xs, "<iq type='result' id='%s'/>", id);
		free(id);
	}
	ev = harness_expect(h, "roster", 0);
	assert_int_equal(json_array_size(json_object_get(ev, "items")), 2);
	json_decref(ev);
}

/* ---- pushes ---- */

static void test_push_from_our_account(void **state)
{
	struct harness *h = *state;
	json_t *ev, *item;

	login_with_roster(h, ROSTER_V1);
	fake_clear_sent(h->xs);
	fake_receive(h->xs,
	             "<iq type='set' id='push1' from='" ME "'><query xmlns='jabber:iq:roster' "
	             "ver='v2'><item jid='dave@example.org' name='Dave' subscription='none'/>"
	             "</query></iq>");
	/* Acknowledged, reported, remembered. */
	assert_int_equal(fake_sent_count(h->xs), 1);
	assert_non_null(strstr(fake_sent(h->xs, 0), "id=\"push1\""));
	assert_non_null(strstr(fake_sent(h->xs, 0), "type=\"result\""));
	ev = harness_expect(h, "roster_push", 0);
	item = json_object_get(ev, "item");
	assert_string_equal(harness_str(item, "jid"), "dave@example.org");
	assert_string_equal(harness_str(item, "name"), "Dave");
	json_decref(ev);
	harness_clear(h);
	/* Without a from it is our server's too; remove takes the item out. */
	fake_receive(h->xs, "<iq type='set' id='push2'><query xmlns='jabber:iq:roster'><item "
	                    "jid='" CAROL "' subscription='remove'/></query></iq>");
	ev = harness_expect(h, "roster_push", 0);
	assert_string_equal(harness_str(json_object_get(ev, "item"), "subscription"), "remove");
	json_decref(ev);
	harness_clear(h);
	assert_int_equal(harness_input(h, "/roster", 3), 0);
	ev = harness_expect(h, "roster", 0);
	assert_int_equal(json_array_size(json_object_get(ev, "items")), 2); /* bob, dave */
	assert_int_equal(harness_int(ev, "origin"), 3);
	json_decref(ev);
	/* A push without a version leaves the cache with none. */
	harness_restart(h);
	fake_clear_sent(h->xs);
	harness_online(h);
	{
		size_t i;
		char *ver;

		assert_non_null(fake_find_sent(h->xs, 0, "jabber:iq:roster", &i));
		ver = fake_sent_attr(h->xs, i, "query", "ver");
		assert_string_equal(ver, "");
		free(ver);
	}
}

/* RFC 6121 §2.1.6: a push from anyone else would rewrite our roster; it
 * is not even answered. */
static void test_push_from_others_ignored(void **state)
{
	struct harness *h = *state;

	login_with_roster(h, ROSTER_V1);
	fake_clear_sent(h->xs);
	harness_clear(h);
	fake_receive(h->xs, "<iq type='set' id='evil' from='mallory@evil.example'><query "
	                    "xmlns='jabber:iq:roster'><item jid='mallory@evil.example' "
	                    "subscription='both'/></query></iq>");
	fake_receive(h->xs, "<iq type='set' id='evil2' from='" ME "/other'><query "
	                    "xmlns='jabber:iq:roster'><item jid='mallory@evil.example' "
	                    "subscription='both'/></query></iq>");
	assert_int_equal(fake_sent_count(h->xs), 0);
	assert_int_equal(harness_find(h, "roster_push", 0), -1);
}

static void test_bad_pushes_refused(void **state)
{
	struct harness *h = *state;

	login_with_roster(h, ROSTER_V1);
	fake_clear_sent(h->xs);
	harness_clear(h);
	fake_receive(h->xs, "<iq type='set' id='two'><query xmlns='jabber:iq:roster'>"
	                    "<item jid='x@example.org'/><item jid='y@example.org'/></query></iq>");
	fake_receive(h->xs, "<iq type='set' id='full'><query xmlns='jabber:iq:roster'>"
	                    "<item jid='x@example.org/res'/></query></iq>");
	fake_receive(h->xs, "<iq type='set' id='none'><query xmlns='jabber:iq:roster'/></iq>");
	assert_int_equal(fake_sent_count(h->xs), 3);
	for (size_t i = 0; i < 3; i++)
		assert_non_null(strstr(fake_sent(h->xs, i), "<bad-request"));
	assert_int_equal(harness_find(h, "roster_push", 0), -1);
}

/* ---- commands ---- */

static void test_roster_commands_need_a_connection(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	assert_int_equal(harness_input(h, "/roster add " BOB, 1), -1);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "not-connected");
	json_decref(ev);
	assert_int_equal(fake_sent_count(h->xs), 0);
}

static void test_roster_add_and_its_refusal(void **state)
{
	struct harness *h = *state;
	char *jid, *name;
	json_t *ev;

	login_with_roster(h, ROSTER_V1);
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/roster add Dave@Example.org Dave D.", 8), 0);
	jid = fake_sent_attr(h->xs, 0, "query/item", "jid");
	name = fake_sent_attr(h->xs, 0, "query/item", "name");
	assert_string_equal(jid, "Dave@example.org");
	assert_string_equal(name, "Dave D.");
	free(jid);
	free(name);
	fake_answer(h->xs, 0,
	            "<iq type='error' id='%s'><error type='cancel'><not-allowed "
	            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "not-allowed");
	assert_int_equal(harness_int(ev, "origin"), 8);
	json_decref(ev);
	/* A full JID is no contact. */
	assert_int_equal(harness_input(h, "/roster add dave@example.org/x", 9), -1);
	assert_int_equal(fake_sent_count(h->xs), 1);
}

/* A set replaces the whole item: renaming keeps the groups, grouping keeps
 * the name. */
static void test_rename_and_groups_keep_the_rest(void **state)
{
	struct harness *h = *state;
	const char *s;

	login_with_roster(h, ROSTER_V1);
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/roster name " BOB " Robert", 1), 0);
	s = fake_sent(h->xs, 0);
	assert_non_null(strstr(s, "name=\"Robert\""));
	assert_non_null(strstr(s, "<group>Friends</group>"));
	assert_non_null(strstr(s, "<group>Work</group>"));
	assert_int_equal(harness_input(h, "/roster group add " BOB " Chess club", 1), 0);
	s = fake_sent(h->xs, 1);
	assert_non_null(strstr(s, "name=\"Bobby\""));
	assert_non_null(strstr(s, "<group>Chess club</group>"));
	assert_non_null(strstr(s, "<group>Friends</group>"));
	assert_int_equal(harness_input(h, "/roster group remove " BOB " Work", 1), 0);
	s = fake_sent(h->xs, 2);
	assert_null(strstr(s, "<group>Work</group>"));
	assert_non_null(strstr(s, "<group>Friends</group>"));
	/* Not in that group; not in the roster. */
	assert_int_equal(harness_input(h, "/roster group remove " BOB " Nope", 4), -1);
	assert_int_equal(harness_input(h, "/roster remove nobody@example.org", 5), -1);
	assert_int_equal(fake_sent_count(h->xs), 3);
	assert_int_equal(harness_count(h, "error", 0), 2);
	assert_int_equal(harness_input(h, "/roster remove " BOB, 6), 0);
	assert_non_null(strstr(fake_sent(h->xs, 3), "subscription=\"remove\""));
}

/* A contact's name or the localpart of one contact stands for its JID. */
static void test_names_resolve_to_contacts(void **state)
{
	struct harness *h = *state;

	login_with_roster(h, ROSTER_V1 "");
	fake_receive(h->xs, "<iq type='set' id='p'><query xmlns='jabber:iq:roster'><item "
	                    "jid='carol@other.example' subscription='both'/></query></iq>");
	fake_clear_sent(h->xs);
	harness_clear(h);
	assert_int_equal(harness_input(h, "/msg bobby hi", 1), 0);
	assert_non_null(strstr(fake_sent(h->xs, 0), "to=\"BOB@example.org\""));
	/* Two carols: the localpart names neither. */
	assert_int_equal(harness_input(h, "/msg carol hi", 2), -1);
	assert_int_equal(harness_input(h, "/msg nobody hi", 3), -1);
	assert_int_equal(fake_sent_count(h->xs), 1);
	assert_int_equal(harness_count(h, "error", 0), 2);
}

/* ---- subscriptions ---- */

static void test_subscription_request_kept_until_answered(void **state)
{
	struct harness *h = *state;
	json_t *ev, *reqs;

	login_with_roster(h, ROSTER_V1);
	fake_clear_sent(h->xs);
	harness_clear(h);
	fake_receive(h->xs, "<presence type='subscribe' from='Dave@Example.org/pc'>"
	                    "<status>it is me, Dave</status></presence>");
	ev = harness_expect(h, "subscription", 0);
	assert_string_equal(harness_str(ev, "from"), "Dave@example.org");
	assert_string_equal(harness_str(ev, "type"), "subscribe");
	assert_string_equal(harness_str(ev, "status"), "it is me, Dave");
	json_decref(ev);
	/* Kept across a restart, with the roster cache. */
	harness_advance(h, 0);
	harness_restart(h);
	assert_int_equal(harness_input(h, "/sub pending", 4), 0);
	ev = harness_expect(h, "sub_pending", 0);
	reqs = json_object_get(ev, "requests");
	assert_int_equal(json_array_size(reqs), 1);
	assert_string_equal(harness_str(json_array_get(reqs, 0), "from"), "Dave@example.org");
	assert_int_equal(harness_int(ev, "origin"), 4);
	json_decref(ev);
	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/sub allow dave@example.org", 5), 0);
	assert_non_null(strstr(fake_sent(h->xs, 0), "type=\"subscribed\""));
	assert_non_null(strstr(fake_sent(h->xs, 0), "to=\"dave@example.org\""));
	harness_clear(h);
	assert_int_equal(harness_input(h, "/sub pending", 6), 0);
	ev = harness_expect(h, "sub_pending", 0);
	assert_int_equal(json_array_size(json_object_get(ev, "requests")), 0);
	json_decref(ev);
}

/* Withdrawn before we answered, or approved from another client of ours
 * (a push with subscription from/both): no longer pending. */
static void test_request_withdrawn_or_settled_elsewhere(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	login_with_roster(h, ROSTER_V1);
	fake_receive(h->xs, "<presence type='subscribe' from='dave@example.org'/>");
	fake_receive(h->xs, "<presence type='subscribe' from='erin@example.org'/>");
	fake_receive(h->xs, "<presence type='unsubscribe' from='dave@example.org'/>");
	fake_receive(h->xs, "<iq type='set' id='p'><query xmlns='jabber:iq:roster'><item "
	                    "jid='erin@example.org' subscription='from'/></query></iq>");
	harness_clear(h);
	assert_int_equal(harness_input(h, "/sub pending", 1), 0);
	ev = harness_expect(h, "sub_pending", 0);
	assert_int_equal(json_array_size(json_object_get(ev, "requests")), 0);
	json_decref(ev);
}

static void test_sub_commands_send_presence(void **state)
{
	struct harness *h = *state;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/sub request " BOB " let me in", 1), 0);
	assert_non_null(strstr(fake_sent(h->xs, 0), "type=\"subscribe\""));
	assert_non_null(strstr(fake_sent(h->xs, 0), "<status>let me in</status>"));
	assert_int_equal(harness_input(h, "/sub deny " BOB, 1), 0);
	assert_non_null(strstr(fake_sent(h->xs, 1), "type=\"unsubscribed\""));
	assert_int_equal(harness_input(h, "/sub cancel " BOB, 1), 0);
	assert_non_null(strstr(fake_sent(h->xs, 2), "type=\"unsubscribe\""));
	assert_int_equal(harness_input(h, "/sub allow " BOB "/phone", 1), -1);
	assert_int_equal(fake_sent_count(h->xs), 3);
	assert_int_equal(harness_count(h, "info", 0), 3);
}

static void test_subscription_from_nowhere_ignored(void **state)
{
	struct harness *h = *state;

	harness_online_quiet(h);
	fake_receive(h->xs, "<presence type='subscribe'/>");
	fake_receive(h->xs, "<presence type='subscribe' from='@@bad'/>");
	assert_int_equal(harness_find(h, "subscription", 0), -1);
	assert_int_equal(harness_input(h, "/sub pending", 1), 0);
	{
		json_t *ev = harness_expect(h, "sub_pending", 0);

		assert_int_equal(json_array_size(json_object_get(ev, "requests")), 0);
		json_decref(ev);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_login_roster_is_reported_sorted),
	    T(test_login_roster_streamed_is_the_same),
	    T(test_big_streamed_roster_then_held_push),
	    T(test_first_request_asks_for_a_version),
	    T(test_cached_roster_and_version),
	    T(test_push_from_our_account),
	    T(test_push_from_others_ignored),
	    T(test_bad_pushes_refused),
	    T(test_roster_commands_need_a_connection),
	    T(test_roster_add_and_its_refusal),
	    T(test_rename_and_groups_keep_the_rest),
	    T(test_names_resolve_to_contacts),
	    T(test_subscription_request_kept_until_answered),
	    T(test_request_withdrawn_or_settled_elsewhere),
	    T(test_sub_commands_send_presence),
	    T(test_subscription_from_nowhere_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
