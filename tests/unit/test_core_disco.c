/* Unit tests for disco.c (with caps.c) through the fake session: our own
 * disco#info and caps, peers' caps kept only when their features hash to
 * the ver they announced, what is then known of a full or a bare JID, and
 * /disco info|items. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/caps.h"
#include "core/core.h"
#include "core_harness.h"

#define ME  HARNESS_JID
#define BOB "bob@example.org"
/* Only roster contacts (and our own resources) are asked for caps. */
#define BOB_ITEM   "<item jid='" BOB "' subscription='both'/>"
#define NODE       "https://peer.example/caps"
#define CHATSTATES "http://jabber.org/protocol/chatstates"

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

/* A peer's disco#info <query/> with these features (NUL-separated). */
static char *peer_query(const char *features)
{
	char *q = NULL, *more;

	assert_true(asprintf(&q, "<query xmlns='http://jabber.org/protocol/disco#info'>"
	                         "<identity category='client' type='pc' name='Peer'/>") > 0);
	for (const char *f = features; *f; f += strlen(f) + 1) {
		assert_true(asprintf(&more, "%s<feature var='%s'/>", q, f) > 0);
		free(q);
		q = more;
	}
	assert_true(asprintf(&more, "%s</query>", q) > 0);
	free(q);
	return more;
}

/* The XEP-0115 ver of a <query/>, computed here from the text. */
static char *ver_of(const char *query)
{
	xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
	xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, query);
	struct caps_info info;
	char *ver;

	assert_non_null(st);
	assert_int_equal(caps_info_from_query(st, &info), 0);
	ver = caps_hash(&info);
	assert_non_null(ver);
	caps_info_clear(&info);
	xmpp_stanza_release(st);
	xmpp_ctx_free(ctx);
	return ver;
}

static void announce(struct harness *h, const char *from, const char *ver)
{
	fake_receivef(h->xs,
	              "<presence from='%s'><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
	              "node='" NODE "' ver='%s'/></presence>",
	              from, ver);
}

/* Answers the caps question last sent with query. */
static void answer_caps(struct harness *h, const char *from, const char *query)
{
	size_t i = 0;
	char *id, *node;

	assert_non_null(fake_find_sent(h->xs, 0, "disco#info", &i));
	while (fake_find_sent(h->xs, i + 1, "disco#info", NULL))
		fake_find_sent(h->xs, i + 1, "disco#info", &i);
	id = fake_sent_id(h->xs, i);
	node = fake_sent_attr(h->xs, i, "query", "node");
	assert_non_null(node);
	{
		/* The answer names the node it describes. */
		char *q = strdup(query), *tail;

		tail = strstr(q, "'>");
		assert_non_null(tail);
		*tail = '\0';
		fake_receivef(h->xs, "<iq type='result' id='%s' from='%s'>%s' node='%s'>%s</iq>",
		              id, from, q, node, tail + 2);
		free(q);
	}
	free(id);
	free(node);
}

static bool sends_active(struct harness *h, const char *to)
{
	size_t n = fake_sent_count(h->xs);
	char *line = NULL;
	bool active;

	assert_true(asprintf(&line, "/msg %s x", to) > 0);
	assert_int_equal(harness_input(h, line, 1), 0);
	free(line);
	active = strstr(fake_sent(h->xs, n), "<active xmlns=\"" CHATSTATES "\"/>") != NULL;
	return active;
}

/* ---- ours ---- */

static void test_our_disco_info_matches_our_caps(void **state)
{
	struct harness *h = *state;
	char *ver, *node, *q, *answered;
	const char *s;
	size_t i;

	harness_online(h);
	/* our presence waits for the roster (see test_core.c); the rooms' and
	 * bookmarks' login requests follow it */
	harness_answer_roster(h, NULL);
	assert_non_null(fake_find_sent(h->xs, 0, "<presence", &i));
	ver = fake_sent_attr(h->xs, i, "c", "ver");
	node = fake_sent_attr(h->xs, i, "c", "node");
	assert_non_null(ver);
	fake_clear_sent(h->xs);
	fake_receivef(h->xs,
	              "<iq type='get' id='d1' from='" BOB "/pc'><query "
	              "xmlns='http://jabber.org/protocol/disco#info' node='%s#%s'/></iq>",
	              node, ver);
	s = fake_sent(h->xs, 0);
	assert_non_null(strstr(s, "type=\"result\""));
	assert_non_null(strstr(s, "category=\"client\""));
	assert_non_null(strstr(s, "type=\"console\""));
	/* What we answer hashes to what we announce. */
	q = strstr(s, "<query");
	answered = strndup(q, strstr(s, "</query>") + strlen("</query>") - q);
	{
		char *recomputed = ver_of(answered);

		assert_string_equal(recomputed, ver);
		free(recomputed);
	}
	free(answered);
	/* Another node: not ours. */
	fake_receive(h->xs,
	             "<iq type='get' id='d2' from='" BOB "/pc'><query "
	             "xmlns='http://jabber.org/protocol/disco#info' node='urn:other#x'/></iq>");
	assert_non_null(strstr(fake_sent(h->xs, 1), "<item-not-found"));
	free(ver);
	free(node);
}

static void test_our_disco_items(void **state)
{
	struct harness *h = *state;

	harness_online_quiet(h);
	fake_receive(h->xs, "<iq type='get' id='i1' from='" BOB "/pc'><query "
	                    "xmlns='http://jabber.org/protocol/disco#items'/></iq>");
	fake_receive(h->xs, "<iq type='get' id='i2' from='" BOB "/pc'><query "
	                    "xmlns='http://jabber.org/protocol/disco#items' node='x'/></iq>");
	assert_non_null(strstr(fake_sent(h->xs, 0), "type=\"result\""));
	assert_null(strstr(fake_sent(h->xs, 0), "<item "));
	assert_non_null(strstr(fake_sent(h->xs, 1), "<item-not-found"));
}

/* ---- peers' caps ---- */

static void test_peer_caps_verified_then_used(void **state)
{
	struct harness *h = *state;
	char *q = peer_query(CHATSTATES "\0urn:xmpp:receipts\0");
	char *ver = ver_of(q);

	harness_online_roster(h, BOB_ITEM);
	announce(h, BOB "/pc", ver);
	assert_int_equal(fake_sent_count(h->xs), 1);
	{
		char *to = fake_sent_attr(h->xs, 0, NULL, "to"), *node;

		node = fake_sent_attr(h->xs, 0, "query", "node");
		assert_string_equal(to, BOB "/pc");
		assert_true(!strncmp(node, NODE "#", strlen(NODE) + 1));
		free(to);
		free(node);
	}
	assert_false(sends_active(h, BOB "/pc")); /* not known yet */
	answer_caps(h, BOB "/pc", q);
	assert_true(sends_active(h, BOB "/pc"));
	/* Another resource with the same ver is known without asking. */
	fake_clear_sent(h->xs);
	announce(h, BOB "/laptop", ver);
	assert_int_equal(fake_sent_count(h->xs), 0);
	assert_true(sends_active(h, BOB "/laptop"));
	/* And so is a bare JID whose resources all agree. */
	assert_int_equal(core_chat_state(h->core, BOB, "composing"), 0);
	assert_non_null(fake_find_sent(h->xs, 0, "<composing", NULL));
	free(q);
	free(ver);
}

/* Features that do not hash to the ver are a lie (or a mistake): kept for
 * nobody. */
static void test_peer_caps_that_do_not_hash_are_ignored(void **state)
{
	struct harness *h = *state;
	char *honest = peer_query(CHATSTATES "\0");
	char *ver = ver_of(honest);
	char *lie = peer_query("urn:xmpp:receipts\0");

	harness_online_roster(h, BOB_ITEM);
	announce(h, BOB "/pc", ver);
	answer_caps(h, BOB "/pc", lie);
	assert_false(sends_active(h, BOB "/pc"));
	/* And the next announcement of that ver asks again. */
	fake_clear_sent(h->xs);
	announce(h, BOB "/laptop", ver);
	assert_non_null(fake_find_sent(h->xs, 0, "disco#info", NULL));
	free(honest);
	free(lie);
	free(ver);
}

/* Verified caps are kept in the store: a restart asks nobody again. */
static void test_verified_caps_survive_a_restart(void **state)
{
	struct harness *h = *state;
	char *q = peer_query(CHATSTATES "\0");
	char *ver = ver_of(q);

	harness_online_roster(h, BOB_ITEM);
	announce(h, BOB "/pc", ver);
	answer_caps(h, BOB "/pc", q);
	harness_advance(h, 0);
	harness_restart(h);
	harness_online_roster(h, BOB_ITEM);
	announce(h, BOB "/pc", ver);
	assert_null(fake_find_sent(h->xs, 0, "disco#info", NULL));
	assert_true(sends_active(h, BOB "/pc"));
	free(q);
	free(ver);
}

static void test_no_question_for_legacy_caps_or_ourselves(void **state)
{
	struct harness *h = *state;

	harness_online_quiet(h);
	/* Legacy caps (no hash) cannot be verified. */
	fake_receive(h->xs,
	             "<presence from='" BOB "/old'><c xmlns='http://jabber.org/protocol/caps' "
	             "node='" NODE "' ver='1.0'/></presence>");
	/* Another hash than sha-1. */
	fake_receive(h->xs,
	             "<presence from='" BOB "/new'><c xmlns='http://jabber.org/protocol/caps' "
	             "hash='sha-256' node='" NODE "' ver='abc'/></presence>");
	/* Our own presence, reflected. */
	fake_receive(h->xs,
	             "<presence from='" ME "/natter'><c xmlns='http://jabber.org/protocol/caps' "
	             "hash='sha-1' node='http://natter.im' ver='x'/></presence>");
	assert_int_equal(fake_sent_count(h->xs), 0);
}

/* A bare JID is known only when every resource is: one that announced
 * nothing verifiable might be where a message lands. */
static void test_bare_jid_needs_every_resource(void **state)
{
	struct harness *h = *state;
	char *q = peer_query(CHATSTATES "\0");
	char *ver = ver_of(q);

	harness_online_roster(h, BOB_ITEM);
	announce(h, BOB "/pc", ver);
	answer_caps(h, BOB "/pc", q);
	/* A client that announced no caps at all. */
	fake_receive(h->xs, "<presence from='" BOB "/unknown'/>");
	fake_clear_sent(h->xs);
	assert_int_equal(core_chat_state(h->core, BOB, "composing"), 0);
	assert_null(fake_find_sent(h->xs, 0, "<composing", NULL));
	/* It leaves: the rest agree. */
	fake_receive(h->xs, "<presence type='unavailable' from='" BOB "/unknown'/>");
	assert_int_equal(core_chat_state(h->core, BOB, "composing"), 0);
	assert_non_null(fake_find_sent(h->xs, 0, "<composing", NULL));
	/* A client whose caps are not verified (yet, or ever). */
	fake_receive(h->xs, "<presence from='" BOB "/unknown2'><c "
	                    "xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='" NODE "' "
	                    "ver='bm90IHZlcmlmaWVk'/></presence>");
	fake_clear_sent(h->xs);
	assert_int_equal(core_chat_state(h->core, BOB, "composing"), 0);
	assert_null(fake_find_sent(h->xs, 0, "<composing", NULL));
	free(q);
	free(ver);
}

/* ---- /disco ---- */

static void test_disco_info_command(void **state)
{
	struct harness *h = *state;
	json_t *ev, *ids;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/disco info example.org", 12), 0);
	fake_answer(h->xs, 0,
	            "<iq type='result' id='%s' from='example.org'><query "
	            "xmlns='http://jabber.org/protocol/disco#info'><identity category='server' "
	            "type='im' name='Prosody&#x202e;'/><feature var='urn:xmpp:ping'/><feature "
	            "var='jabber:iq:version'/></query></iq>");
	ev = harness_expect(h, "disco_info", 0);
	assert_int_equal(harness_int(ev, "origin"), 12);
	assert_string_equal(harness_str(ev, "from"), "example.org");
	ids = json_object_get(ev, "identities");
	assert_int_equal(json_array_size(ids), 1);
	assert_string_equal(harness_str(json_array_get(ids, 0), "name"), "Prosody");
	assert_int_equal(json_array_size(json_object_get(ev, "features")), 2);
	json_decref(ev);
}

/* An answer without its <query/> (or in another namespace) is an answer
 * that says nothing; found by fuzz_core, it crashed natter. */
static void test_disco_info_answer_without_query(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/disco info example.org", 2), 0);
	fake_answer(h->xs, 0,
	            "<iq type='result' id='%s' from='example.org'><query "
	            "xmlns='http://jabber.org/p#rotocol/disco#info'><identity category='x' "
	            "type='y'/></query></iq>");
	ev = harness_expect(h, "disco_info", 0);
	assert_int_equal(json_array_size(json_object_get(ev, "identities")), 0);
	assert_int_equal(json_array_size(json_object_get(ev, "features")), 0);
	json_decref(ev);
	assert_int_equal(harness_input(h, "/disco info example.org", 3), 0);
	fake_answer(h->xs, 1, "<iq type='result' id='%s' from='example.org'/>");
	assert_int_equal(harness_count(h, "disco_info", 0), 2);
}

static void test_disco_items_command_and_errors(void **state)
{
	struct harness *h = *state;
	char *id;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/disco items example.org", 2), 0);
	fake_answer(h->xs, 0,
	            "<iq type='result' id='%s' from='example.org'><query "
	            "xmlns='http://jabber.org/protocol/disco#items'><item jid='muc.example.org' "
	            "name='Rooms'/><item node='no-jid'/></query></iq>");
	ev = harness_expect(h, "disco_items", 0);
	assert_int_equal(json_array_size(json_object_get(ev, "items")), 1);
	json_decref(ev);
	assert_int_equal(harness_input(h, "/disco info nobody.example.org", 3), 0);
	id = fake_sent_id(h->xs, 1);
	/* An answer from someone else than asked is no answer. */
	fake_receivef(h->xs,
	              "<iq type='result' id='%s' from='mallory@evil.example'><query "
	              "xmlns='http://jabber.org/protocol/disco#info'/></iq>",
	              id);
	assert_int_equal(harness_find(h, "disco_info", 0), -1);
	fake_receivef(h->xs,
	              "<iq type='error' id='%s' from='nobody.example.org'><error type='cancel'>"
	              "<remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
	              "</error></iq>",
	              id);
	free(id);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "remote-server-not-found");
	assert_int_equal(harness_int(ev, "origin"), 3);
	json_decref(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_our_disco_info_matches_our_caps),
	    T(test_our_disco_items),
	    T(test_peer_caps_verified_then_used),
	    T(test_peer_caps_that_do_not_hash_are_ignored),
	    T(test_verified_caps_survive_a_restart),
	    T(test_no_question_for_legacy_caps_or_ourselves),
	    T(test_bare_jid_needs_every_resource),
	    T(test_disco_info_command),
	    T(test_disco_info_answer_without_query),
	    T(test_disco_items_command_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
