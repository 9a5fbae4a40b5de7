/* Unit tests for carbons.c and mam.c through the fake session: copies and
 * archive results only from our own account, the catch-up paged with RSM
 * in the archive's own order, and every message reported once however
 * many ways it arrives. */
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

#include "core_harness.h"

#define ME  HARNESS_JID
#define BOB "bob@example.org"

static int setup(void **state)
{
	*state = harness_new(ME, "[history]\nmam_initial = 2\n");
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, harness_teardown)

static long long count_rows(struct harness *h, const char *where)
{
	char *sql = NULL;
	long long n;

	assert_true(asprintf(&sql, "SELECT count(*) FROM messages WHERE %s", where) > 0);
	n = harness_query_int(h, sql);
	free(sql);
	return n;
}

/* ---- the archive's side of the conversation ---- */

/* The archive query sent last. */
struct query {
	size_t index;
	char *id, *queryid, *after, *before;
	bool has_before;
};

static struct query last_query(struct harness *h)
{
	struct query q = {0};
	size_t i;
	bool found = false;

	for (i = 0; i < fake_sent_count(h->xs); i++) {
		if (strstr(fake_sent(h->xs, i), "urn:xmpp:mam:2")) {
			q.index = i;
			found = true;
		}
	}
	if (!found)
		fail_msg("no archive query was sent");
	q.id = fake_sent_id(h->xs, q.index);
	q.queryid = fake_sent_attr(h->xs, q.index, "query", "queryid");
	q.after = fake_sent_text(h->xs, q.index, "query/set/after");
	q.before = fake_sent_text(h->xs, q.index, "query/set/before");
	q.has_before = strstr(fake_sent(h->xs, q.index), "<before") != NULL;
	assert_non_null(q.id);
	assert_non_null(q.queryid);
	return q;
}

static void query_clear(struct query *q)
{
	free(q->id);
	free(q->queryid);
	free(q->after);
	free(q->before);
	memset(q, 0, sizeof(*q));
}

/* One archived message as the archive sends it. */
static void result(struct harness *h, const struct query *q, const char *from, const char *aid,
                   const char *stamp, const char *from_attr, const char *inner_from,
                   const char *body)
{
	fake_receivef(h->xs,
	              "<message %s%s%s to='" ME "/natter'><result xmlns='urn:xmpp:mam:2' "
	              "queryid='%s' id='%s'><forwarded xmlns='urn:xmpp:forward:0'><delay "
	              "xmlns='urn:xmpp:delay' stamp='%s'/><message from='%s' to='" ME "' "
	              "type='chat' id='m-%s'><body>%s</body></message></forwarded></result>"
	              "</message>",
	              from ? from_attr : "", from ? from : "", from ? "'" : "", q->queryid, aid,
	              stamp, inner_from, aid, body);
}

/* An archive result from our own archive (no from). */
static void archived(struct harness *h, const struct query *q, const char *aid, const char *stamp,
                     const char *body)
{
	result(h, q, NULL, aid, stamp, "", BOB "/phone", body);
}

static void fin(struct harness *h, const struct query *q, bool complete, const char *first,
                const char *last)
{
	char set[256] = "";

	if (first && last)
		snprintf(set, sizeof set,
		         "<set xmlns='http://jabber.org/protocol/rsm'><first>%s</first>"
		         "<last>%s</last></set>",
		         first, last);
	fake_receivef(h->xs,
	              "<iq type='result' id='%s'><fin xmlns='urn:xmpp:mam:2'%s>%s</fin></iq>",
	              q->id, complete ? " complete='true'" : "", set);
}

/* Logs in, answering the roster and carbons, leaving the archive query. */
static void login(struct harness *h)
{
	size_t i;

	fake_clear_sent(h->xs);
	harness_online(h);
	for (i = 0; i < fake_sent_count(h->xs); i++) {
		const char *s = fake_sent(h->xs, i);
		char *id = fake_sent_id(h->xs, i);

		if (strstr(s, "jabber:iq:roster"))
			fake_receivef(h->xs, "<iq type='result' id='%s'/>", id);
		else if (strstr(s, "urn:xmpp:carbons:2"))
			fake_receivef(h->xs, "<iq type='result' id='%s'/>", id);
		free(id);
	}
}

/* A first login to an empty archive: the search for the window finds
 * nothing, and the forward page (returned) is under way. */
static struct query first_login_forward(struct harness *h)
{
	struct query q;

	login(h);
	q = last_query(h);
	fin(h, &q, true, NULL, NULL);
	query_clear(&q);
	q = last_query(h);
	assert_true(!q.has_before);
	return q;
}

/* A first login with an archive of three: the two newest are fetched
 * (mam_initial = 2), found backwards by id and reported oldest first. */
static void test_first_login_fetches_the_newest_window(void **state)
{
	struct harness *h = *state;
	struct query q;
	json_t *a, *b;
	size_t mark;

	login(h);
	q = last_query(h);
	assert_true(q.has_before); /* paging back from the newest */
	assert_null(q.before);
	/* FIND: ids only, nothing reported yet. */
	archived(h, &q, "A1", "2023-11-14T10:00:00Z", "one");
	archived(h, &q, "A2", "2023-11-14T11:00:00Z", "two");
	archived(h, &q, "A3", "2023-11-14T12:00:00Z", "three");
	assert_int_equal(harness_count(h, "message", 0), 0);
	fin(h, &q, true, "A1", "A3");
	query_clear(&q);
	/* FORWARD after the message just before the window. */
	q = last_query(h);
	assert_string_equal(q.after, "A1");
	mark = harness_mark(h);
	archived(h, &q, "A2", "2023-11-14T11:00:00Z", "two");
	archived(h, &q, "A3", "2023-11-14T12:00:00Z", "three");
	fin(h, &q, true, "A2", "A3");
	query_clear(&q);
	assert_int_equal(harness_count(h, "message", mark), 2);
	a = harness_expect(h, "message", mark);
	b = harness_expect(h, "message", (size_t)harness_find(h, "message", mark) + 1);
	assert_string_equal(harness_str(a, "body"), "two");
	assert_string_equal(harness_str(b, "body"), "three");
	/* The archive's stamps are believed: these are old messages. */
	assert_true(harness_bool(a, "delayed"));
	assert_int_equal(harness_int(a, "ts_ms"), 1699959600000LL);
	json_decref(a);
	json_decref(b);
	assert_int_equal(count_rows(h, "archive_id IN ('A2', 'A3')"), 2);
	assert_int_equal(count_rows(h, "archive_id = 'A1'"), 0);
}

/* Later logins page forward (RSM <after/>) from the archived message
 * stored last, page after page until the archive says complete. */
static void test_catch_up_pages_forward(void **state)
{
	struct harness *h = *state;
	struct query q;
	size_t mark;

	login(h);
	q = last_query(h);
	archived(h, &q, "A1", "2023-11-14T10:00:00Z", "one");
	fin(h, &q, true, "A1", "A1");
	query_clear(&q);
	q = last_query(h);
	assert_null(q.after); /* the archive holds less than the window: all of it */
	archived(h, &q, "A1", "2023-11-14T10:00:00Z", "one");
	fin(h, &q, true, "A1", "A1");
	query_clear(&q);
	fake_offline(h->xs, NET_FAIL_NETWORK, NULL, "gone");

	login(h);
	mark = harness_mark(h);
	q = last_query(h);
	assert_string_equal(q.after, "A1");
	archived(h, &q, "A2", "2023-11-14T13:00:00Z", "page one");
	fin(h, &q, false, "A2", "A2");
	query_clear(&q);
	q = last_query(h);
	assert_string_equal(q.after, "A2");
	archived(h, &q, "A3", "2023-11-14T14:00:00Z", "page two");
	fin(h, &q, true, "A3", "A3");
	query_clear(&q);
	assert_int_equal(harness_count(h, "message", mark), 2);
	/* Complete: no further page. */
	q = last_query(h);
	assert_string_equal(q.after, "A2");
	query_clear(&q);
	assert_int_equal(harness_find(h, "error", 0), -1);
}

/* issue 15 item 7: where a catch-up goes on is the archive's order, not
 * the times messages claim (an offline message archived late carries an
 * older stamp than the one before it). */
static void test_next_catch_up_follows_archive_order(void **state)
{
	struct harness *h = *state;
	struct query q;

	q = first_login_forward(h);
	archived(h, &q, "A1", "2023-11-14T12:00:00Z", "later in time");
	archived(h, &q, "A2", "2023-11-14T09:00:00Z", "archived last");
	fin(h, &q, true, "A1", "A2");
	query_clear(&q);
	fake_offline(h->xs, NET_FAIL_NETWORK, NULL, "gone");
	login(h);
	q = last_query(h);
	assert_string_equal(q.after, "A2");
	query_clear(&q);
}

/* A live message while idle carries our archive's id: the next catch-up
 * starts after it, and its archive copy is no second message. */
static void test_live_archive_id_is_where_next_catch_up_starts(void **state)
{
	struct harness *h = *state;
	struct query q;
	size_t mark;

	q = first_login_forward(h);
	fin(h, &q, true, NULL, NULL);
	query_clear(&q);
	fake_receive(h->xs, "<message type='chat' id='m-L1' from='" BOB "/phone'><body>live</body>"
	                    "<stanza-id xmlns='urn:xmpp:sid:0' by='" ME "' id='L1'/></message>");
	/* A stanza-id by anyone else is no id of our archive. */
	fake_receive(h->xs,
	             "<message type='chat' id='m-X' from='" BOB "/phone'><body>claimed</body>"
	             "<stanza-id xmlns='urn:xmpp:sid:0' by='" BOB "' id='X9'/></message>");
	assert_int_equal(count_rows(h, "archive_id = 'L1'"), 1);
	assert_int_equal(count_rows(h, "archive_id = 'X9'"), 0);
	fake_offline(h->xs, NET_FAIL_NETWORK, NULL, "gone");
	login(h);
	mark = harness_mark(h);
	q = last_query(h);
	assert_string_equal(q.after, "L1");
	query_clear(&q);
	/* And a copy arriving from the archive anyway is known. */
	q = last_query(h);
	archived(h, &q, "L1", "2023-11-14T22:13:20Z", "live");
	fin(h, &q, true, "L1", "L1");
	query_clear(&q);
	assert_int_equal(harness_count(h, "message", mark), 0);
	assert_int_equal(count_rows(h, "body = 'live'"), 1);
}

/* During a catch-up, a live message is reported at once; when its archive
 * copy comes in a page it is not reported again, and the live id does not
 * move the catch-up's start ahead of the pages fetched. */
static void test_live_during_catch_up_is_reported_once(void **state)
{
	struct harness *h = *state;
	struct query q;

	q = first_login_forward(h); /* FORWARD, under way */
	fake_receive(h->xs,
	             "<message type='chat' id='m-L5' from='" BOB "/phone'><body>meanwhile"
	             "</body><stanza-id xmlns='urn:xmpp:sid:0' by='" ME "' id='L5'/></message>");
	assert_int_equal(harness_count(h, "message", 0), 1);
	/* Not stored with its archive id yet. */
	assert_int_equal(count_rows(h, "archive_id = 'L5'"), 0);
	archived(h, &q, "L5", "2023-11-14T22:13:20Z", "meanwhile");
	fin(h, &q, true, "L5", "L5");
	query_clear(&q);
	assert_int_equal(harness_count(h, "message", 0), 1);
	/* The archive's copy gave the live row its archive id. */
	assert_int_equal(count_rows(h, "archive_id = 'L5'"), 1);
	assert_int_equal(count_rows(h, "body = 'meanwhile'"), 1);
}

/* Results from anyone but our own archive are inventions; so are results
 * for a query nobody made. */
static void test_foreign_archive_results_dropped(void **state)
{
	struct harness *h = *state;
	struct query q, wrong;

	q = first_login_forward(h);
	result(h, &q, "mallory@evil.example", "F1", "2023-11-14T10:00:00Z", "from='", BOB "/phone",
	       "forged by a stranger");
	result(h, &q, ME "/other", "F2", "2023-11-14T10:00:00Z", "from='", BOB "/phone",
	       "from a resource");
	result(h, &q, "example.org", "F3", "2023-11-14T10:00:00Z", "from='", BOB "/phone",
	       "from the server");
	wrong = q;
	wrong.queryid = "no-such-query";
	archived(h, &wrong, "F4", "2023-11-14T10:00:00Z", "not asked for");
	/* From our bare JID it is our archive. */
	result(h, &q, ME, "G1", "2023-11-14T10:00:00Z", "from='", BOB "/phone", "genuine");
	fin(h, &q, true, "G1", "G1");
	query_clear(&q);
	assert_int_equal(harness_count(h, "message", 0), 1);
	assert_int_equal(count_rows(h, "body LIKE 'genuine'"), 1);
	assert_int_equal(count_rows(h, "archive_id LIKE 'F%'"), 0);
}

/* Our own messages come back from the archive as ours. */
static void test_archived_own_message_is_outgoing(void **state)
{
	struct harness *h = *state;
	struct query q;

	q = first_login_forward(h);
	result(h, &q, NULL, "O1", "2023-11-14T10:00:00Z", "", ME "/laptop", "sent elsewhere");
	fin(h, &q, true, "O1", "O1");
	query_clear(&q);
	assert_int_equal(count_rows(h, "body = 'sent elsewhere' AND direction = 1"), 1);
}

/* How many archive queries were sent (other modules' login requests, such
 * as the bookmarks', go on around them). */
static size_t mam_queries(struct harness *h)
{
	size_t n = 0;

	for (size_t i = 0; i < fake_sent_count(h->xs); i++)
		n += strstr(fake_sent(h->xs, i), "urn:xmpp:mam:2") != NULL;
	return n;
}

static void test_page_timeout_stops_catch_up(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	struct query q;
	size_t n;

	login(h);
	q = last_query(h);
	n = mam_queries(h);
	harness_advance(h, 29999);
	assert_int_equal(harness_find(h, "error", 0), -1);
	harness_advance(h, 1);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "remote-server-timeout");
	json_decref(ev);
	/* No further page; a late answer changes nothing. */
	fin(h, &q, true, NULL, NULL);
	query_clear(&q);
	assert_int_equal(mam_queries(h), n);
}

/* Our newest archived message expired from the archive: fall back to the
 * newest window rather than stopping. */
static void test_forgotten_start_falls_back_to_window(void **state)
{
	struct harness *h = *state;
	struct query q;

	q = first_login_forward(h);
	archived(h, &q, "A1", "2023-11-14T10:00:00Z", "one");
	fin(h, &q, true, "A1", "A1");
	query_clear(&q);
	fake_offline(h->xs, NET_FAIL_NETWORK, NULL, "gone");
	login(h);
	q = last_query(h);
	assert_string_equal(q.after, "A1");
	fake_receivef(h->xs,
	              "<iq type='error' id='%s'><error type='cancel'><item-not-found "
	              "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
	              q.id);
	query_clear(&q);
	q = last_query(h);
	assert_true(q.has_before);
	assert_null(q.after);
	query_clear(&q);
	assert_int_equal(harness_find(h, "error", 0), -1);
}

/* A server without an archive is not an error worth an event. */
static void test_no_archive_is_quiet(void **state)
{
	struct harness *h = *state;
	struct query q;
	size_t n;

	login(h);
	q = last_query(h);
	n = fake_sent_count(h->xs);
	fake_receivef(h->xs,
	              "<iq type='error' id='%s'><error type='cancel'><service-unavailable "
	              "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
	              q.id);
	query_clear(&q);
	assert_int_equal(harness_find(h, "error", 0), -1);
	assert_int_equal(fake_sent_count(h->xs), n);
}

/* ---- carbons (XEP-0280) ---- */

static void carbon(struct harness *h, const char *from, const char *dir, const char *inner)
{
	fake_receivef(h->xs,
	              "<message from='%s' to='" ME "/natter' type='chat'><%s "
	              "xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>%s"
	              "</forwarded></%s></message>",
	              from, dir, inner, dir);
}

static void test_carbons_enabled_at_login(void **state)
{
	struct harness *h = *state;

	harness_online(h);
	assert_non_null(fake_find_sent(h->xs, 0, "<enable xmlns=\"urn:xmpp:carbons:2\"/>", NULL));
}

static void test_carbon_copies_from_our_account(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	carbon(h, ME, "received",
	       "<message from='" BOB "/phone' to='" ME "/laptop' type='chat' id='c1'>"
	       "<body>to my laptop</body></message>");
	ev = harness_expect(h, "message", 0);
	assert_string_equal(harness_str(ev, "carbon"), "received");
	assert_string_equal(harness_str(ev, "from"), BOB "/phone");
	assert_string_equal(harness_str(ev, "body"), "to my laptop");
	json_decref(ev);
	carbon(h, ME, "sent",
	       "<message from='" ME "/laptop' to='" BOB "/phone' type='chat' id='c2'>"
	       "<body>from my laptop</body></message>");
	ev = harness_expect(h, "message", 1);
	assert_string_equal(harness_str(ev, "carbon"), "sent");
	assert_string_equal(harness_str(ev, "to"), BOB "/phone");
	json_decref(ev);
	assert_int_equal(count_rows(h, "body = 'to my laptop' AND carbon = 1 AND direction = 0 "
	                               "AND peer = '" BOB "'"),
	                 1);
	assert_int_equal(count_rows(h, "body = 'from my laptop' AND carbon = 1 AND direction = 1 "
	                               "AND peer = '" BOB "'"),
	                 1);
	/* The same copy twice is one message. */
	carbon(h, ME, "sent",
	       "<message from='" ME "/laptop' to='" BOB "/phone' type='chat' id='c2'>"
	       "<body>from my laptop</body></message>");
	assert_int_equal(harness_count(h, "message", 0), 2);
}

/* XEP-0280 §11: anyone else could put words in a contact's mouth. */
static void test_forged_carbons_dropped(void **state)
{
	struct harness *h = *state;
	const char *inner = "<message from='" BOB "/phone' to='" ME "/laptop' type='chat'>"
	                    "<body>I owe mallory money</body></message>";

	harness_online_quiet(h);
	carbon(h, "mallory@evil.example", "received", inner);
	carbon(h, "mallory@evil.example/x", "sent", inner);
	carbon(h, ME "/laptop", "received", inner); /* a resource is not the account */
	carbon(h, BOB, "received", inner);
	carbon(h, "example.org", "received", inner);
	assert_int_equal(harness_count(h, "message", 0), 0);
	assert_int_equal(count_rows(h, "1"), 0);
	/* Without a sender the stanza comes from our own account. */
	fake_receivef(h->xs,
	              "<message to='" ME "/natter'><received xmlns='urn:xmpp:carbons:2'><forwarded "
	              "xmlns='urn:xmpp:forward:0'>%s</forwarded></received></message>",
	              inner);
	assert_int_equal(harness_count(h, "message", 0), 1);
}

/* A carbon's wrapper comes from our server: its delay is believed, the
 * one inside the copied message only by the usual rule. */
static void test_carbon_wrapper_stamp_trusted(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	carbon(h, ME, "received",
	       "<delay xmlns='urn:xmpp:delay' stamp='2023-11-14T20:00:00Z'/>"
	       "<message from='" BOB "/phone' to='" ME "/laptop' type='chat'><body>held</body>"
	       "</message>");
	ev = harness_expect(h, "message", 0);
	assert_true(harness_bool(ev, "delayed"));
	assert_int_equal(harness_int(ev, "ts_ms"), 1699992000000LL);
	json_decref(ev);
	carbon(h, ME, "received",
	       "<message from='" BOB "/phone' to='" ME "/laptop' type='chat'><body>claimed</body>"
	       "<delay xmlns='urn:xmpp:delay' stamp='2023-11-14T20:00:00Z'/></message>");
	ev = harness_expect(h, "message", 1);
	assert_false(harness_bool(ev, "delayed"));
	assert_int_equal(harness_int(ev, "ts_ms"), (long long)h->now);
	json_decref(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_first_login_fetches_the_newest_window),
	    T(test_catch_up_pages_forward),
	    T(test_next_catch_up_follows_archive_order),
	    T(test_live_archive_id_is_where_next_catch_up_starts),
	    T(test_live_during_catch_up_is_reported_once),
	    T(test_foreign_archive_results_dropped),
	    T(test_archived_own_message_is_outgoing),
	    T(test_page_timeout_stops_catch_up),
	    T(test_forgotten_start_falls_back_to_window),
	    T(test_no_archive_is_quiet),
	    T(test_carbons_enabled_at_login),
	    T(test_carbon_copies_from_our_account),
	    T(test_forged_carbons_dropped),
	    T(test_carbon_wrapper_stamp_trusted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
