/* Unit tests for the event core as a whole: the module host, dispatch,
 * replies routed by origin, and the answers every client owes, through the
 * fake session (no server, no network thread).  Each module has its own
 * test_core_<module>.c. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/core.h"
#include "core_harness.h"

#define UNUSED __attribute__((unused))
#define ME     HARNESS_JID

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- dispatch ---- */

static void test_unknown_iq_get_is_service_unavailable(void **state)
{
	struct harness *h = *state;

	harness_online_quiet(h);
	fake_receive(h->xs, "<iq type='get' id='u1' from='mallory@example.org/x' "
	                    "to='" ME "/natter'><query xmlns='urn:example:unknown'/></iq>");
	assert_int_equal(fake_sent_count(h->xs), 1);
	assert_non_null(strstr(fake_sent(h->xs, 0), "type=\"error\""));
	assert_non_null(strstr(fake_sent(h->xs, 0), "id=\"u1\""));
	assert_non_null(strstr(fake_sent(h->xs, 0), "<service-unavailable"));
	assert_non_null(strstr(fake_sent(h->xs, 0), "to=\"mallory@example.org/x\""));
}

static void test_unknown_iq_result_and_error_get_no_answer(void **state)
{
	struct harness *h = *state;

	harness_online_quiet(h);
	fake_receive(h->xs, "<iq type='result' id='nobody-asked' from='mallory@example.org/x'/>");
	fake_receive(h->xs, "<iq type='error' id='_xmpp_auth1' from='mallory@example.org/x'/>");
	assert_int_equal(fake_sent_count(h->xs), 0);
	assert_int_equal(harness_find(h, "disconnected", 0), -1);
}

static void test_version_and_ping_answered(void **state)
{
	struct harness *h = *state;

	harness_online_quiet(h);
	fake_receive(h->xs, "<iq type='get' id='v1' from='bob@example.org/b'>"
	                    "<query xmlns='jabber:iq:version'/></iq>");
	fake_receive(h->xs, "<iq type='get' id='p1' from='example.org'>"
	                    "<ping xmlns='urn:xmpp:ping'/></iq>");
	assert_int_equal(fake_sent_count(h->xs), 2);
	assert_non_null(strstr(fake_sent(h->xs, 0), "<name>natter</name>"));
	assert_null(strstr(fake_sent(h->xs, 0), "<os>"));
	assert_non_null(strstr(fake_sent(h->xs, 1), "type=\"result\""));
	assert_non_null(strstr(fake_sent(h->xs, 1), "id=\"p1\""));
}

/* disco#info lists exactly what the modules declare. */
static void test_disco_info_lists_module_features(void **state)
{
	struct harness *h = *state;
	const char *s;

	harness_online_quiet(h);
	fake_receive(h->xs, "<iq type='get' id='d1' from='bob@example.org/b'>"
	                    "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
	s = fake_sent(h->xs, 0);
	assert_non_null(s);
	for (const char *f = "jabber:iq:version\0urn:xmpp:ping\0urn:xmpp:carbons:2\0"
	                     "urn:xmpp:receipts\0http://jabber.org/protocol/chatstates\0"
	                     "http://jabber.org/protocol/caps\0";
	     *f; f += strlen(f) + 1) {
		char *want = NULL;

		assert_true(asprintf(&want, "var=\"%s\"", f) > 0);
		if (!strstr(s, want))
			fail_msg("disco#info lacks %s: %s", f, s);
		free(want);
	}
	assert_null(strstr(s, "jabber:iq:roster"));
}

/* ---- a fresh login, in module order ---- */

static void test_login_asks_roster_then_carbons_then_presence(void **state)
{
	struct harness *h = *state;
	size_t roster = 0, carbons = 0, presence = 0;
	char *id;

	harness_online(h);
	assert_non_null(fake_find_sent(h->xs, 0, "jabber:iq:roster", &roster));
	assert_non_null(fake_find_sent(h->xs, 0, "urn:xmpp:carbons:2", &carbons));
	assert_true(roster < carbons);
	/* mam_initial = 0 and an empty history: no archive query. */
	assert_null(fake_find_sent(h->xs, 0, "urn:xmpp:mam:2", NULL));
	/* Our presence waits for the roster: a server busy probing 10,000
	 * contacts for it would send the roster only afterwards. */
	assert_null(fake_find_sent(h->xs, 0, "<presence", NULL));
	id = fake_sent_id(h->xs, roster);
	fake_receivef(h->xs, "<iq type='result' id='%s'><query xmlns='jabber:iq:roster'/></iq>",
	              id);
	free(id);
	assert_non_null(fake_find_sent(h->xs, 0, "<presence", &presence));
	assert_true(carbons < presence);
}

/* A server that never answers the roster still gets our presence. */
static void test_presence_goes_without_a_roster_answer(void **state)
{
	struct harness *h = *state;

	harness_online(h);
	harness_advance(h, 9000);
	assert_null(fake_find_sent(h->xs, 0, "<presence", NULL));
	harness_advance(h, 1000);
	assert_non_null(fake_find_sent(h->xs, 0, "<presence", NULL));
}

static void test_resumed_session_asks_nothing(void **state)
{
	struct harness *h = *state;

	fake_online(h->xs, h->full, true, true);
	assert_int_equal(fake_sent_count(h->xs), 0);
	assert_true(harness_find(h, "resumed", 0) >= 0);
}

/* ---- origins ---- */

static void test_refused_command_carries_origin(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	assert_int_equal(harness_input(h, "/frobnicate", 42), -1);
	ev = harness_expect(h, "error", 0);
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 42);
	assert_string_equal(str(ev, "condition"), "unknown-command");
	json_decref(ev);
	/* Offline: a command that needs the session is refused for its line. */
	assert_int_equal(harness_input(h, "/roster", 43), -1);
	ev = harness_expect(h, "error", 1);
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 43);
	assert_string_equal(str(ev, "condition"), "not-connected");
	json_decref(ev);
}

static void test_async_answer_keeps_origin_per_request(void **state)
{
	struct harness *h = *state;
	char *id1, *id2;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/version bob@example.org/b", 7), 0);
	assert_int_equal(harness_input(h, "/version carol@example.org/c", 9), 0);
	id1 = fake_sent_id(h->xs, 0);
	id2 = fake_sent_id(h->xs, 1);
	/* Answers in the other order: each still goes to its own origin. */
	fake_receivef(h->xs,
	              "<iq type='result' id='%s' from='carol@example.org/c'><query "
	              "xmlns='jabber:iq:version'><name>C</name><version>1</version></query></iq>",
	              id2);
	fake_receivef(h->xs,
	              "<iq type='result' id='%s' from='bob@example.org/b'><query "
	              "xmlns='jabber:iq:version'><name>B</name><version>2</version></query></iq>",
	              id1);
	free(id1);
	free(id2);
	{
		json_t *a = harness_expect(h, "version", 0);
		json_t *b = harness_expect(h, "version", (size_t)harness_find(h, "version", 0) + 1);

		assert_string_equal(str(a, "name"), "C");
		assert_string_equal(str(b, "name"), "B");
		assert_int_equal(json_integer_value(json_object_get(a, "origin")), 9);
		assert_int_equal(json_integer_value(json_object_get(b, "origin")), 7);
		json_decref(a);
		json_decref(b);
	}
}

/* ---- chats ---- */

static void test_note_to_self_is_shown_once(void **state)
{
	struct harness *h = *state;
	char *id;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/msg " ME " note to self", 3), 0);
	id = fake_sent_id(h->xs, 0);
	assert_non_null(id);
	/* The server delivers a message to our bare JID to us. */
	fake_receivef(h->xs,
	              "<message type='chat' id='%s' from='" ME "/natter' to='" ME
	              "/natter'><body>note to self</body><origin-id xmlns='urn:xmpp:sid:0' "
	              "id='%s'/><request xmlns='urn:xmpp:receipts'/></message>",
	              id, id);
	free(id);
	assert_true(harness_find(h, "message", 0) >= 0);
	assert_int_equal(harness_find(h, "message", (size_t)harness_find(h, "message", 0) + 1), -1);
	/* Nor a receipt to ourselves. */
	assert_int_equal(fake_sent_count(h->xs), 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_unknown_iq_get_is_service_unavailable),
	    T(test_unknown_iq_result_and_error_get_no_answer),
	    T(test_version_and_ping_answered),
	    T(test_disco_info_lists_module_features),
	    T(test_login_asks_roster_then_carbons_then_presence),
	    T(test_presence_goes_without_a_roster_answer),
	    T(test_resumed_session_asks_nothing),
	    T(test_refused_command_carries_origin),
	    T(test_async_answer_keeps_origin_per_request),
	    T(test_note_to_self_is_shown_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
