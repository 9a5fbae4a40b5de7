/* Unit tests for chat.c and message.c through the fake session: sending
 * and receiving messages, what is stored, the times they are given
 * (XEP-0203 stamps only from our own side, never in the future), receipts,
 * chat states, threads and XHTML-IM. */
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

#define ME       HARNESS_JID
#define BOB      "bob@example.org"
#define STRANGER "mallory@evil.example"

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

/* The only message event from index from on (fails unless exactly one). */
static json_t *one_message(struct harness *h, size_t from)
{
	assert_int_equal(harness_count(h, "message", from), 1);
	return harness_expect(h, "message", from);
}

static long long stored(struct harness *h, const char *body)
{
	char *sql = NULL;
	long long n;

	assert_true(asprintf(&sql, "SELECT count(*) FROM messages WHERE body = '%s'", body) > 0);
	n = harness_query_int(h, sql);
	free(sql);
	return n;
}

/* ---- receiving ---- */

static void test_incoming_chat_is_reported_and_stored(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	fake_receive(h->xs, "<message type='chat' id='m1' from='" BOB "/phone' to='" ME
	                    "/natter'><body>hello alice</body><thread>t-1</thread></message>");
	ev = one_message(h, 0);
	assert_string_equal(harness_str(ev, "from"), BOB "/phone");
	assert_string_equal(harness_str(ev, "to"), ME "/natter");
	assert_string_equal(harness_str(ev, "type"), "chat");
	assert_string_equal(harness_str(ev, "id"), "m1");
	assert_string_equal(harness_str(ev, "body"), "hello alice");
	assert_string_equal(harness_str(ev, "thread"), "t-1");
	assert_false(harness_bool(ev, "delayed"));
	assert_null(harness_str(ev, "stamp"));
	/* Not delayed: it happened now, on the loop's clock. */
	assert_int_equal(harness_int(ev, "ts_ms"), (long long)h->now);
	json_decref(ev);
	assert_int_equal(stored(h, "hello alice"), 1);
	assert_int_equal(harness_query_int(h, "SELECT ts FROM messages WHERE body = 'hello alice'"),
	                 (long long)h->now);
}

/* A resent copy (a resumed stream, a second delivery) is the same message:
 * reported and stored once. */
static void test_duplicate_reported_once(void **state)
{
	struct harness *h = *state;
	const char *m = "<message type='chat' id='dup-1' from='" BOB "/phone'>"
	                "<body>only once</body></message>";

	harness_online_quiet(h);
	fake_receive(h->xs, m);
	harness_advance(h, 10);
	fake_receive(h->xs, m);
	assert_int_equal(harness_count(h, "message", 0), 1);
	assert_int_equal(stored(h, "only once"), 1);
}

/* Text from a peer never reaches the front end with control characters. */
static void test_body_is_sanitised(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	/* XML cannot carry ESC or BEL, but it carries their C1 spellings
	 * (U+009B CSI, U+009D OSC) and bidi overrides. */
	fake_receive(h->xs, "<message type='chat' from='" BOB "/phone'><body>a\xc2\x9b"
	                    "2Jb"
	                    "\xc2\x9d"
	                    "0;title\xc2\x9c"
	                    "c\xe2\x80\xae"
	                    "d\nline two</body>"
	                    "</message>");
	ev = one_message(h, 0);
	assert_string_equal(harness_str(ev, "body"), "abcd\nline two");
	json_decref(ev);
}

static void test_chat_state_only_is_no_message(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	fake_receive(h->xs, "<message type='chat' from='" BOB "/phone'>"
	                    "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
	assert_int_equal(harness_count(h, "message", 0), 0);
	ev = harness_expect(h, "chat_state", 0);
	assert_string_equal(harness_str(ev, "from"), BOB "/phone");
	assert_string_equal(harness_str(ev, "state"), "composing");
	json_decref(ev);
	/* XEP-0022: an empty event notification cancels the composing. */
	fake_receive(h->xs, "<message from='" BOB "/phone'><x xmlns='jabber:x:event'>"
	                    "<id>m1</id></x></message>");
	ev = harness_expect(h, "chat_state", 1);
	assert_string_equal(harness_str(ev, "state"), "paused");
	json_decref(ev);
	assert_int_equal(harness_count(h, "message", 0), 0);
}

static void test_bounce_marks_our_message_failed(void **state)
{
	struct harness *h = *state;
	char *id;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/msg " BOB " are you there", 3), 0);
	id = fake_sent_id(h->xs, 0);
	assert_non_null(id);
	fake_receivef(h->xs,
	              "<message type='error' id='%s' from='" BOB "'><body>are you there</body>"
	              "<error type='cancel'><service-unavailable "
	              "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
	              id);
	ev = harness_expect(h, "message", 1);
	assert_string_equal(harness_str(ev, "type"), "error");
	assert_string_equal(harness_str(ev, "id"), id);
	assert_non_null(strstr(harness_str(ev, "body"), "service-unavailable"));
	json_decref(ev);
	free(id);
	/* STORE_FAILED; and the bounce is no message of bob's in the history. */
	assert_int_equal(harness_query_int(h, "SELECT delivery FROM messages WHERE body = "
	                                      "'are you there'"),
	                 4);
	assert_int_equal(harness_query_int(h, "SELECT count(*) FROM messages"), 1);
}

static void test_xhtml_is_sanitised_and_stands_in_for_body(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	fake_receive(h->xs,
	             "<message type='chat' from='" BOB "/phone'><html "
	             "xmlns='http://jabber.org/protocol/xhtml-im'><body "
	             "xmlns='http://www.w3.org/1999/xhtml'><p>hi <strong>you</strong>"
	             "<script>alert(1)</script> <a href='javascript:x'>link</a></p></body></html>"
	             "</message>");
	ev = one_message(h, 0);
	assert_string_equal(harness_str(ev, "body"), "hi you link");
	assert_non_null(strstr(harness_str(ev, "xhtml"), "<strong>you</strong>"));
	assert_null(strstr(harness_str(ev, "xhtml"), "script"));
	assert_null(strstr(harness_str(ev, "xhtml"), "javascript"));
	json_decref(ev);
}

/* ---- times (XEP-0203): only our own side may say a message is old ---- */

#define Y2020 1578139200000LL /* 2020-01-04T12:00:00Z */

static json_t *delayed_from(struct harness *h, const char *sender, const char *delay_attrs,
                            const char *body)
{
	size_t mark = harness_mark(h);

	fake_receivef(h->xs,
	              "<message type='chat' from='%s'><body>%s</body>"
	              "<delay xmlns='urn:xmpp:delay' %s/></message>",
	              sender, body, delay_attrs);
	return one_message(h, mark);
}

/* issue 15 item 7: a stranger's stamp of 2099 is shown at arrival time. */
static void test_strangers_future_stamp_is_arrival_time(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	ev = delayed_from(h, STRANGER "/x", "stamp='2099-01-01T00:00:00Z'", "from the future");
	assert_false(harness_bool(ev, "delayed"));
	assert_null(harness_str(ev, "stamp"));
	assert_int_equal(harness_int(ev, "ts_ms"), (long long)h->now);
	json_decref(ev);
	assert_int_equal(harness_query_int(h, "SELECT ts FROM messages WHERE body = "
	                                      "'from the future'"),
	                 (long long)h->now);
	assert_int_equal(harness_query_int(h, "SELECT delayed FROM messages WHERE body = "
	                                      "'from the future'"),
	                 0);
}

/* A peer's own stamp in the past is no more trusted: it would sort the
 * message among old ones. */
static void test_peers_own_past_stamp_is_arrival_time(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	ev = delayed_from(h, BOB "/phone", "stamp='2020-01-04T12:00:00Z'", "claims 2020");
	assert_false(harness_bool(ev, "delayed"));
	assert_int_equal(harness_int(ev, "ts_ms"), (long long)h->now);
	json_decref(ev);
	ev = delayed_from(h, BOB "/phone", "from='" BOB "/phone' stamp='2020-01-04T12:00:00Z'",
	                  "claims 2020 itself");
	assert_false(harness_bool(ev, "delayed"));
	json_decref(ev);
}

/* Offline storage and a held stream: our server adds the delay. */
static void test_our_servers_stamp_is_trusted(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	ev = delayed_from(h, BOB "/phone", "from='example.org' stamp='2020-01-04T14:00:00+02:00'",
	                  "stored offline");
	assert_true(harness_bool(ev, "delayed"));
	assert_string_equal(harness_str(ev, "stamp"), "2020-01-04T12:00:00.000Z");
	assert_int_equal(harness_int(ev, "ts_ms"), Y2020);
	json_decref(ev);
	assert_int_equal(harness_query_int(h, "SELECT ts FROM messages WHERE body = "
	                                      "'stored offline'"),
	                 Y2020);
	assert_int_equal(harness_query_int(h, "SELECT delayed FROM messages WHERE body = "
	                                      "'stored offline'"),
	                 1);
	/* Our own account's, and a stanza from our server itself. */
	ev = delayed_from(h, BOB "/phone", "from='" ME "' stamp='2020-01-04T12:00:00Z'", "by us");
	assert_true(harness_bool(ev, "delayed"));
	json_decref(ev);
	ev = delayed_from(h, "example.org", "stamp='2020-01-04T12:00:00Z'", "server news");
	assert_true(harness_bool(ev, "delayed"));
	json_decref(ev);
	/* A server of the same name under another domain is not ours. */
	ev = delayed_from(h, BOB "/phone",
	                  "from='example.org.evil.example' "
	                  "stamp='2020-01-04T12:00:00Z'",
	                  "look-alike");
	assert_false(harness_bool(ev, "delayed"));
	json_decref(ev);
}

static void test_our_servers_future_or_invalid_stamp_is_arrival_time(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	char attrs[128];

	harness_online_quiet(h);
	/* One second ahead of our clock is already the future. */
	snprintf(attrs, sizeof attrs, "from='example.org' stamp='2023-11-14T22:13:21Z'");
	ev = delayed_from(h, BOB "/phone", attrs, "a second ahead");
	assert_false(harness_bool(ev, "delayed"));
	assert_int_equal(harness_int(ev, "ts_ms"), (long long)h->now);
	json_decref(ev);
	/* What the UI once showed as "30 November -1". */
	ev = delayed_from(h, BOB "/phone", "from='example.org' stamp='0000-00-00T00:00:00Z'",
	                  "year zero");
	assert_false(harness_bool(ev, "delayed"));
	assert_null(harness_str(ev, "stamp"));
	assert_int_equal(harness_int(ev, "ts_ms"), (long long)h->now);
	json_decref(ev);
	ev = delayed_from(h, BOB "/phone", "from='example.org' stamp='yesterday'", "words");
	assert_false(harness_bool(ev, "delayed"));
	json_decref(ev);
}

/* ---- sending ---- */

static void test_msg_sends_records_and_echoes(void **state)
{
	struct harness *h = *state;
	const char *s;
	char *id;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/msg " BOB " hi bob", 5), 0);
	assert_int_equal(fake_sent_count(h->xs), 1);
	s = fake_sent(h->xs, 0);
	id = fake_sent_id(h->xs, 0);
	assert_non_null(strstr(s, "to=\"" BOB "\""));
	assert_non_null(strstr(s, "type=\"chat\""));
	assert_non_null(strstr(s, "<body>hi bob</body>"));
	/* XEP-0359: the origin-id is the id, so copies are known as this one. */
	{
		char *want = NULL;

		assert_true(asprintf(&want, "<origin-id id=\"%s\" xmlns=\"urn:xmpp:sid:0\"/>", id) >
		            0);
		assert_non_null(strstr(s, want));
		free(want);
	}
	/* To a bare JID we cannot know the client: receipts are asked for. */
	assert_non_null(strstr(s, "<request xmlns=\"urn:xmpp:receipts\"/>"));
	/* Chat states only to a peer known to want them. */
	assert_null(strstr(s, "chatstates"));
	ev = one_message(h, 0);
	assert_true(harness_bool(ev, "outgoing"));
	assert_int_equal(harness_int(ev, "origin"), 5);
	assert_string_equal(harness_str(ev, "id"), id);
	assert_int_equal(harness_int(ev, "ts_ms"), (long long)h->now);
	json_decref(ev);
	assert_int_equal(
	    harness_query_int(h, "SELECT direction FROM messages WHERE body = 'hi bob'"), 1);
	/* A plain line goes to the chat /msg opened. */
	assert_int_equal(harness_input(h, "and again", 6), 0);
	assert_non_null(strstr(fake_sent(h->xs, 1), "<body>and again</body>"));
	assert_non_null(strstr(fake_sent(h->xs, 1), "to=\"" BOB "\""));
	free(id);
}

static void test_plain_line_without_chat_is_refused(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "to nobody", 9), -1);
	assert_int_equal(fake_sent_count(h->xs), 0);
	ev = harness_expect(h, "error", 0);
	assert_int_equal(harness_int(ev, "origin"), 9);
	json_decref(ev);
}

/* Offline, the message is kept for the outbox (the session's job) and
 * shown and stored at once. */
static void test_msg_offline_is_still_recorded(void **state)
{
	struct harness *h = *state;

	assert_int_equal(harness_input(h, "/msg " BOB " written offline", 1), 0);
	assert_int_equal(harness_count(h, "message", 0), 1);
	assert_int_equal(stored(h, "written offline"), 1);
}

/* ---- receipts (XEP-0184) ---- */

static void test_receipt_requested_is_answered(void **state)
{
	struct harness *h = *state;
	const char *s;

	harness_online_quiet(h);
	/* XEP-0184 §8: only to someone who may see our presence. */
	fake_receive(h->xs, "<iq type='set' id='p'><query xmlns='jabber:iq:roster'><item jid='" BOB
	                    "' subscription='both'/></query></iq>");
	fake_receive(h->xs, "<message type='chat' id='s-1' from='" STRANGER "/x'><body>ack?</body>"
	                    "<request xmlns='urn:xmpp:receipts'/></message>");
	assert_null(fake_find_sent(h->xs, 0, "urn:xmpp:receipts", NULL));
	fake_receive(h->xs, "<message type='chat' id='r-1' from='" BOB "/phone'><body>ack?</body>"
	                    "<request xmlns='urn:xmpp:receipts'/></message>");
	s = fake_find_sent(h->xs, 0, "urn:xmpp:receipts", NULL);
	assert_non_null(s);
	assert_non_null(strstr(s, "<received id=\"r-1\" xmlns=\"urn:xmpp:receipts\"/>"));
	assert_non_null(strstr(s, "to=\"" BOB "/phone\""));
	/* Never for a groupchat, never without an id to quote. */
	fake_clear_sent(h->xs);
	fake_receive(h->xs, "<message type='groupchat' id='r-2' from='room@muc.example.org/bob'>"
	                    "<body>all</body><request xmlns='urn:xmpp:receipts'/></message>");
	fake_receive(h->xs, "<message type='chat' from='" BOB "/phone'><body>no id</body>"
	                    "<request xmlns='urn:xmpp:receipts'/></message>");
	assert_int_equal(fake_sent_count(h->xs), 0);
}

static void test_receipt_marks_delivered(void **state)
{
	struct harness *h = *state;
	char *id;
	json_t *ev;
	size_t mark;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/msg " BOB " did it arrive", 1), 0);
	id = fake_sent_id(h->xs, 0);
	mark = harness_mark(h);
	fake_receivef(h->xs,
	              "<message from='" BOB "/phone' id='x'><received xmlns='urn:xmpp:receipts' "
	              "id='%s'/></message>",
	              id);
	ev = harness_expect(h, "receipt", mark);
	assert_string_equal(harness_str(ev, "id"), id);
	assert_string_equal(harness_str(ev, "from"), BOB "/phone");
	json_decref(ev);
	/* A receipt is answered with nothing (no receipt for a receipt). */
	assert_int_equal(fake_sent_count(h->xs), 1);
	assert_int_equal(harness_query_int(h, "SELECT delivery FROM messages WHERE body = "
	                                      "'did it arrive'"),
	                 3);
	free(id);
}

/* ---- chat states (XEP-0085) ---- */

static void test_chat_states_only_to_peers_that_use_them(void **state)
{
	struct harness *h = *state;

	harness_online_quiet(h);
	/* Not known to want them: nothing is sent while typing. */
	assert_int_equal(core_chat_state(h->core, BOB, "composing"), 0);
	assert_int_equal(fake_sent_count(h->xs), 0);
	fake_receive(h->xs, "<message type='chat' from='" BOB "/phone'>"
	                    "<active xmlns='http://jabber.org/protocol/chatstates'/></message>");
	assert_int_equal(core_chat_state(h->core, BOB, "composing"), 0);
	assert_int_equal(fake_sent_count(h->xs), 1);
	assert_non_null(strstr(fake_sent(h->xs, 0), "<composing xmlns=\"http://jabber.org/"
	                                            "protocol/chatstates\"/>"));
	/* XEP-0334: a notification is not worth storing offline. */
	assert_non_null(strstr(fake_sent(h->xs, 0), "<no-store xmlns=\"urn:xmpp:hints\"/>"));
	/* And our messages now carry <active/>. */
	assert_int_equal(harness_input(h, "/msg " BOB " typed", 1), 0);
	assert_non_null(strstr(fake_sent(h->xs, 1), "<active xmlns=\"http://jabber.org/protocol/"
	                                            "chatstates\"/>"));
}

static void test_state_command(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/state " BOB " paused", 1), 0);
	assert_non_null(strstr(fake_sent(h->xs, 0), "<paused "));
	assert_int_equal(harness_input(h, "/state " BOB " dancing", 2), -1);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "bad-request");
	json_decref(ev);
	assert_int_equal(fake_sent_count(h->xs), 1);
}

/* ---- threads ---- */

static void test_reply_keeps_the_peers_thread(void **state)
{
	struct harness *h = *state;
	char big[400];

	harness_online_quiet(h);
	fake_receive(h->xs, "<message type='chat' from='" BOB "/phone'><body>in a thread</body>"
	                    "<thread>conv-42</thread></message>");
	assert_int_equal(harness_input(h, "/msg " BOB " reply", 1), 0);
	assert_non_null(strstr(fake_sent(h->xs, 0), "<thread>conv-42</thread>"));
	/* A thread longer than natter keeps is not repeated back. */
	memset(big, 'x', 300);
	big[300] = '\0';
	fake_receivef(h->xs,
	              "<message type='chat' from='" BOB "/phone'><body>long</body>"
	              "<thread>%s</thread></message>",
	              big);
	assert_int_equal(harness_input(h, "/msg " BOB " reply 2", 1), 0);
	assert_null(strstr(fake_sent(h->xs, 1), "<thread>"));
	/* Nor one from a headline. */
	fake_receive(h->xs, "<message type='headline' from='" BOB "/phone'><body>news</body>"
	                    "<thread>news-1</thread></message>");
	assert_int_equal(harness_input(h, "/msg " BOB " reply 3", 1), 0);
	assert_null(strstr(fake_sent(h->xs, 2), "<thread>"));
}

/* ---- XHTML-IM sending ---- */

/* No resource to ask: plain text, and the user is told why. */
static void test_xhtml_without_resource_goes_plain(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/xhtml " BOB " <p>hi <strong>you</strong></p>", 4), 0);
	assert_int_equal(fake_sent_count(h->xs), 1);
	assert_non_null(strstr(fake_sent(h->xs, 0), "<body>hi you</body>"));
	assert_null(strstr(fake_sent(h->xs, 0), "xhtml-im"));
	ev = harness_expect(h, "info", 0);
	assert_int_equal(harness_int(ev, "origin"), 4);
	assert_non_null(strstr(harness_str(ev, "text"), "plain text"));
	json_decref(ev);
}

/* A full JID is asked (disco#info) first; the answer decides. */
static void test_xhtml_asks_the_client(void **state)
{
	struct harness *h = *state;
	const char *s;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/xhtml " BOB "/pc <em>styled</em>", 4), 0);
	s = fake_sent(h->xs, 0);
	assert_non_null(strstr(s, "http://jabber.org/protocol/disco#info"));
	fake_answer(h->xs, 0,
	            "<iq type='result' id='%s' from='" BOB "/pc'><query "
	            "xmlns='http://jabber.org/protocol/disco#info'><feature "
	            "var='http://jabber.org/protocol/xhtml-im'/></query></iq>");
	s = fake_sent(h->xs, 1);
	assert_non_null(s);
	assert_non_null(strstr(s, "<body>styled</body>"));
	assert_non_null(strstr(s, "<html xmlns=\"http://jabber.org/protocol/xhtml-im\">"));
	assert_non_null(strstr(s, "<em>styled</em>"));
	/* The answer is remembered: the next one goes at once. */
	assert_int_equal(harness_input(h, "/xhtml " BOB "/pc <b>again</b>", 5), 0);
	assert_non_null(strstr(fake_sent(h->xs, 2), "<b>again</b>"));
}

static void test_xhtml_refused_by_client_goes_plain(void **state)
{
	struct harness *h = *state;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/xhtml " BOB "/pc <em>styled</em>", 4), 0);
	fake_answer(h->xs, 0,
	            "<iq type='result' id='%s' from='" BOB "/pc'><query "
	            "xmlns='http://jabber.org/protocol/disco#info'/></iq>");
	assert_non_null(strstr(fake_sent(h->xs, 1), "<body>styled</body>"));
	assert_null(strstr(fake_sent(h->xs, 1), "xhtml-im"));
	assert_true(harness_find(h, "info", 0) >= 0);
}

static void test_xhtml_bad_markup_refused(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/xhtml " BOB " <p>unclosed", 4), -1);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "bad-request");
	json_decref(ev);
	assert_int_equal(fake_sent_count(h->xs), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_incoming_chat_is_reported_and_stored),
	    T(test_duplicate_reported_once),
	    T(test_body_is_sanitised),
	    T(test_chat_state_only_is_no_message),
	    T(test_bounce_marks_our_message_failed),
	    T(test_xhtml_is_sanitised_and_stands_in_for_body),
	    T(test_strangers_future_stamp_is_arrival_time),
	    T(test_peers_own_past_stamp_is_arrival_time),
	    T(test_our_servers_stamp_is_trusted),
	    T(test_our_servers_future_or_invalid_stamp_is_arrival_time),
	    T(test_msg_sends_records_and_echoes),
	    T(test_plain_line_without_chat_is_refused),
	    T(test_msg_offline_is_still_recorded),
	    T(test_receipt_requested_is_answered),
	    T(test_receipt_marks_delivered),
	    T(test_chat_states_only_to_peers_that_use_them),
	    T(test_state_command),
	    T(test_reply_keeps_the_peers_thread),
	    T(test_xhtml_without_resource_goes_plain),
	    T(test_xhtml_asks_the_client),
	    T(test_xhtml_refused_by_client_goes_plain),
	    T(test_xhtml_bad_markup_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
