/* What strangers can make natter keep and write, and how the store writes
 * at scale: the whole core on the fake session (core_harness.h), with a
 * real store.
 *
 * A stranger is anyone not in the roster.  Each test here failed before
 * the bound or the change it checks (issues 12 and 15). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "core/caps.h"
#include "core/core.h"
#include "core/history.h"
#include "core_harness.h"

#define ME "alice@example.org"

static int setup(void **state)
{
	*state = harness_new(ME, "[history]\nmam_initial = 0\n");
	return 0;
}

static int teardown(void **state)
{
	harness_free(*state);
	return 0;
}

/* ---- helpers ---- */

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Online, with the login's roster answered by these items (XML). */
static void online_with_roster(struct harness *h, const char *items)
{
	size_t i;

	harness_online(h);
	for (i = 0; i < fake_sent_count(h->xs); i++) {
		const char *s = fake_sent(h->xs, i);
		char *id;

		if (!strstr(s, "type=\"get\"") && !strstr(s, "type=\"set\""))
			continue;
		id = fake_sent_id(h->xs, i);
		if (strstr(s, "jabber:iq:roster"))
			fake_receivef(h->xs,
			              "<iq type='result' id='%s'><query xmlns='jabber:iq:roster' "
			              "ver='v1'>%s</query></iq>",
			              id, items ? items : "");
		else
			fake_receivef(h->xs, "<iq type='result' id='%s'/>", id);
		free(id);
	}
	fake_clear_sent(h->xs);
	harness_clear(h);
}

static size_t count_events(struct harness *h, const char *name, size_t from)
{
	size_t n = 0;

	for (long i = harness_find(h, name, from); i >= 0; i = harness_find(h, name, (size_t)i + 1))
		n++;
	return n;
}

/* Lets the store commit what waits (it commits once the stream is quiet). */
static void settle(struct harness *h)
{
	for (int i = 0; i < 5; i++)
		harness_advance(h, 100);
}

static long wal_size(struct harness *h)
{
	char *db = harness_db_path(h), *wal = NULL;
	struct stat st;
	long n = 0;

	assert_true(asprintf(&wal, "%s-wal", db) > 0);
	if (!stat(wal, &st))
		n = (long)st.st_size;
	free(db);
	free(wal);
	return n;
}

/* One integer from the account's database, read as another process would. */
static long long db_int(struct harness *h, const char *sql)
{
	char *path = harness_db_path(h);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long v = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	return v;
}

static void db_exec(struct harness *h, const char *sql)
{
	char *path = harness_db_path(h), *err = NULL;
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	sqlite3_close(db);
	free(path);
}

/* <item/>s for n contacts cNNNN@example.net, subscription both. */
static char *roster_items(int n)
{
	size_t cap = (size_t)n * 120 + 1, len = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	s[0] = '\0';
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len,
		                        "<item jid='c%04d@example.net' name='Contact %04d' "
		                        "subscription='both'><group>Friends</group></item>",
		                        i, i);
	return s;
}

/* ---- subscription requests (issue 15, item 3) ---- */

/* A flood of requests from strangers keeps the newest 100, says how many
 * went, and never drops a contact's request. */
static void test_strangers_requests_are_capped(void **state)
{
	struct harness *h = *state;
	json_t *ev, *items;
	size_t mark, i;
	long info;

	online_with_roster(h, "<item jid='carol@example.org' subscription='to'/>");
	fake_receive(h->xs, "<presence type='subscribe' from='carol@example.org/x'/>");
	for (i = 0; i < 150; i++)
		fake_receivef(h->xs, "<presence type='subscribe' from='s%03zu@spam.example'/>", i);
	/* every request was shown as it came */
	assert_int_equal(count_events(h, "subscription", 0), 151);
	mark = harness_mark(h);
	harness_advance(h, 1000);
	info = harness_find(h, "info", mark);
	assert_true(info >= 0);
	ev = harness_get(h, "info", (size_t)info);
	assert_non_null(strstr(str(ev, "text"), "50 subscription requests from strangers"));
	json_decref(ev);
	/* the front ends get the list again, as nobody's answer */
	ev = harness_expect(h, "sub_pending", mark);
	assert_null(json_object_get(ev, "origin"));
	json_decref(ev);

	mark = harness_mark(h);
	assert_int_equal(harness_input(h, "/sub pending", 5), 0);
	ev = harness_expect(h, "sub_pending", mark);
	items = json_object_get(ev, "requests");
	assert_int_equal(json_array_size(items), 101);
	/* the contact's request stays; the strangers' oldest went */
	assert_string_equal(str(json_array_get(items, 0), "from"), "carol@example.org");
	assert_string_equal(str(json_array_get(items, 1), "from"), "s050@spam.example");
	assert_string_equal(str(json_array_get(items, 100), "from"), "s149@spam.example");
	json_decref(ev);

	/* and what was dropped is gone from the cache too */
	settle(h);
	assert_int_equal(db_int(h, "SELECT count(*) FROM kv WHERE key LIKE 'roster/pending/%'"),
	                 101);
}

/* A request writes its own cache entry: the cache of a 2,000-contact
 * roster is not written again for each one (it was: 10,000 requests cost
 * 105 s of CPU and a 36 MB database). */
static void test_request_and_push_write_one_entry(void **state)
{
	struct harness *h = *state;
	char *items = roster_items(2000);
	long before, grown;

	online_with_roster(h, items);
	free(items);
	settle(h);
	before = wal_size(h);
	for (int i = 0; i < 50; i++) {
		fake_receivef(h->xs, "<presence type='subscribe' from='r%02d@spam.example'/>", i);
		settle(h); /* one commit per request */
	}
	fake_receivef(h->xs, "<iq type='set' id='push1'><query xmlns='jabber:iq:roster' ver='v2'>"
	                     "<item jid='c0007@example.net' name='Renamed' subscription='both'/>"
	                     "</query></iq>");
	settle(h);
	grown = wal_size(h) - before;
	/* the whole roster cache is about 200 KB: 51 writes of it would be
	 * 10 MB, 51 small rows are a few pages each */
	if (grown > 2 * 1024 * 1024)
		fail_msg("51 cache changes grew the WAL by %ld bytes", grown);
	assert_int_equal(db_int(h, "SELECT count(*) FROM kv WHERE key LIKE 'roster/item/%'"), 2000);
	assert_int_equal(db_int(h, "SELECT instr(value, 'Renamed') > 0 FROM kv "
	                           "WHERE key = 'roster/item/c0007@example.net'"),
	                 1);
}

/* The single-entry cache of earlier versions is read once and converted. */
static void test_old_roster_cache_is_converted(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	db_exec(h, "INSERT INTO kv (key, value) VALUES ('roster', '{\"format\":1,\"ver\":\"v9\","
	           "\"items\":[{\"jid\":\"dave@example.org\",\"name\":\"Dave\",\"subscription\":"
	           "\"both\",\"ask\":false,\"groups\":[\"Work\"]}],\"pending\":[{\"from\":"
	           "\"eve@example.org\",\"status\":\"hi\"}]}')");
	harness_restart(h);
	settle(h);
	assert_int_equal(db_int(h, "SELECT count(*) FROM kv WHERE key = 'roster'"), 0);
	assert_int_equal(
	    db_int(h, "SELECT count(*) FROM kv WHERE key = 'roster/item/dave@example.org'"), 1);
	assert_int_equal(db_int(h, "SELECT count(*) FROM kv WHERE key = 'roster/ver'"), 1);
	assert_int_equal(harness_input(h, "/sub pending", 1), 0);
	ev = harness_expect(h, "sub_pending", 0);
	assert_string_equal(str(json_array_get(json_object_get(ev, "requests"), 0), "from"),
	                    "eve@example.org");
	json_decref(ev);
	/* the server says the cached version is current: the roster is the cache's */
	harness_online(h);
	for (size_t i = 0; i < fake_sent_count(h->xs); i++) {
		if (strstr(fake_sent(h->xs, i), "jabber:iq:roster")) {
			char *id = fake_sent_id(h->xs, i);

			assert_non_null(strstr(fake_sent(h->xs, i), "ver=\"v9\""));
			fake_receivef(h->xs, "<iq type='result' id='%s'/>", id);
			free(id);
		}
	}
	ev = harness_expect(h, "roster", 0);
	assert_string_equal(str(json_array_get(json_object_get(ev, "items"), 0), "jid"),
	                    "dave@example.org");
	json_decref(ev);
}

/* ---- entity capabilities (issue 15, item 4) ---- */

/* A presence with caps from ver (computed from one feature). */
static void caps_presence(struct harness *h, const char *from, int n, char **ver_out)
{
	char feature[64], category[] = "client", type[] = "pc", lang[] = "", name[] = "";
	char *features[] = {feature};
	struct caps_identity id = {category, type, lang, name};
	struct caps_info info = {&id, 1, features, 1, NULL, 0};
	char *ver;

	snprintf(feature, sizeof feature, "urn:example:feature:%d", n);
	ver = caps_hash(&info);
	assert_non_null(ver);
	fake_receivef(h->xs,
	              "<presence from='%s'><c xmlns='http://jabber.org/protocol/caps' "
	              "hash='sha-1' node='http://example.org/c' ver='%s'/></presence>",
	              from, ver);
	*ver_out = ver;
}

/* Answers the disco#info question sent last, with the feature of n. */
static void answer_caps(struct harness *h, const char *from, int n)
{
	size_t i = 0;
	char *id;

	assert_non_null(fake_find_sent(h->xs, 0, "disco#info", &i));
	id = fake_sent_id(h->xs, i);
	fake_receivef(h->xs,
	              "<iq type='result' id='%s' from='%s'><query "
	              "xmlns='http://jabber.org/protocol/disco#info'><identity category='client' "
	              "type='pc'/><feature var='urn:example:feature:%d'/></query></iq>",
	              id, from, n);
	free(id);
	fake_clear_sent(h->xs);
}

/* Asking a stranger's caps tells them we are online, and new vers would
 * make us ask without end: strangers are not asked; roster contacts and
 * our own resources are. */
static void test_caps_of_strangers_are_not_asked(void **state)
{
	struct harness *h = *state;
	char *ver;

	online_with_roster(h, "<item jid='bob@example.org' subscription='both'/>"
	                      "<item jid='tom@example.org' subscription='to'/>");
	caps_presence(h, "mallory@evil.example/x", 1, &ver);
	free(ver);
	assert_null(fake_find_sent(h->xs, 0, "disco#info", NULL));
	caps_presence(h, "tom@example.org/t", 2, &ver);
	free(ver);
	assert_non_null(fake_find_sent(h->xs, 0, "to=\"tom@example.org/t\"", NULL));
	caps_presence(h, "bob@example.org/b", 3, &ver);
	free(ver);
	assert_non_null(fake_find_sent(h->xs, 0, "to=\"bob@example.org/b\"", NULL));
	fake_clear_sent(h->xs);
	caps_presence(h, ME "/phone", 4, &ver);
	free(ver);
	assert_non_null(fake_find_sent(h->xs, 0, "to=\"" ME "/phone\"", NULL));
}

/* Each verified ver is one store entry, and at most 500 are kept. */
static void test_caps_cache_is_bounded(void **state)
{
	struct harness *h = *state;
	char *ver;

	online_with_roster(h, "<item jid='bob@example.org' subscription='both'/>");
	for (int n = 0; n < 520; n++) {
		caps_presence(h, "bob@example.org/b", n, &ver);
		free(ver);
		answer_caps(h, "bob@example.org/b", n);
		if (n % 100 == 99)
			settle(h);
	}
	settle(h);
	assert_int_equal(db_int(h, "SELECT count(*) FROM kv WHERE key LIKE 'caps/%'"), 500);
	assert_int_equal(db_int(h, "SELECT count(*) FROM kv WHERE key = 'caps'"), 0);
}

/* ---- presence (issue 15, item 5) ---- */

/* The presence table had no bound (100,000 presences from distinct JIDs:
 * 244 MB): at most 100 strangers and 32 resources a JID are kept and
 * shown; contacts always are. */
static void test_presence_of_strangers_is_bounded(void **state)
{
	struct harness *h = *state;
	char *items = roster_items(300);
	size_t mark;

	online_with_roster(h, items);
	free(items);
	for (int i = 0; i < 2000; i++)
		fake_receivef(h->xs, "<presence from='p%04d@spam.example/r'/>", i);
	assert_int_equal(count_events(h, "presence", 0), 100);
	/* a stranger kept goes away: room for another */
	fake_receive(h->xs, "<presence type='unavailable' from='p0000@spam.example/r'/>");
	fake_receive(h->xs, "<presence from='late@spam.example/r'/>");
	assert_true(harness_find(h, "presence", 0) >= 0);
	mark = harness_mark(h);
	for (int i = 0; i < 300; i++)
		fake_receivef(h->xs, "<presence from='c%04d@example.net/home'/>", i);
	assert_int_equal(count_events(h, "presence", mark), 300);
	mark = harness_mark(h);
	for (int i = 0; i < 100; i++)
		fake_receivef(h->xs, "<presence from='c0001@example.net/r%03d'/>", i);
	assert_int_equal(count_events(h, "presence", mark), 31);
}

/* ---- a big roster (issue 12) ---- */

/* A 2,500-item answer is read 1,000 items a pass (a key typed meanwhile
 * is not kept waiting for all of it); a push that comes while it is read
 * is answered at once and applied after it, not lost under it. */
static void test_big_roster_is_read_a_chunk_a_pass(void **state)
{
	struct harness *h = *state;
	char *items = roster_items(2500), *id = NULL;
	size_t i, roster_at;
	json_t *ev;

	harness_online(h);
	for (i = 0; i < fake_sent_count(h->xs); i++)
		if (strstr(fake_sent(h->xs, i), "jabber:iq:roster"))
			id = fake_sent_id(h->xs, i);
	assert_non_null(id);
	fake_receivef(h->xs,
	              "<iq type='result' id='%s'><query xmlns='jabber:iq:roster' ver='v1'>%s"
	              "</query></iq>",
	              id, items);
	free(id);
	free(items);
	/* the presence went at once; the roster is still being read */
	assert_non_null(fake_find_sent(h->xs, 0, "<presence", NULL));
	assert_int_equal(harness_find(h, "roster", 0), -1);
	fake_clear_sent(h->xs);
	fake_receive(h->xs, "<iq type='set' id='p1'><query xmlns='jabber:iq:roster' ver='v2'>"
	                    "<item jid='c0001@example.net' subscription='remove'/></query></iq>");
	assert_non_null(fake_find_sent(h->xs, 0, "id=\"p1\"", NULL));
	assert_int_equal(harness_find(h, "roster_push", 0), -1);
	harness_advance(h, 0);
	assert_int_equal(harness_find(h, "roster", 0), -1);
	harness_advance(h, 0);
	roster_at = (size_t)harness_find(h, "roster", 0);
	ev = harness_expect(h, "roster", 0);
	assert_int_equal(json_array_size(json_object_get(ev, "items")), 2500);
	json_decref(ev);
	/* the push after the roster it changes */
	assert_true(harness_find(h, "roster_push", roster_at) > (long)roster_at);
	assert_int_equal(harness_input(h, "/roster", 3), 0);
	ev = harness_expect(h, "roster", roster_at + 1);
	assert_int_equal(json_array_size(json_object_get(ev, "items")), 2499);
	json_decref(ev);
}

/* ---- the store at a flood's pace (issue 12) ---- */

/* Messages arriving 10 per 5 ms pass are committed in a few large
 * transactions, not one per pass; once the stream is quiet everything is
 * committed and the WAL emptied. */
static void test_flood_commits_by_size_and_age(void **state)
{
	struct harness *h = *state;
	struct store_stats st;
	uint64_t commits0;

	online_with_roster(h, NULL);
	settle(h);
	history_stats(h->core, &st);
	commits0 = st.commits;

	for (int i = 0; i < 2000; i++) {
		fake_receivef(h->xs,
		              "<message from='bob@example.org/b' type='chat' id='m%d'>"
		              "<body>message %d</body></message>",
		              i, i);
		if (i % 10 == 9)
			harness_advance(h, 5);
	}
	/* 200 passes in one second: at most one commit per 250 ms */
	history_stats(h->core, &st);
	assert_true(st.commits - commits0 <= 5);
	assert_int_equal(count_events(h, "message", 0), 2000);
	harness_advance(h, 100);
	assert_int_equal(db_int(h, "SELECT count(*) FROM messages"), 2000);
	/* quiet for a second: checkpointed and truncated */
	for (int i = 0; i < 12; i++)
		harness_advance(h, 100);
	assert_int_equal(wal_size(h), 0);
}

/* One message on its own is saved once the stream has been quiet for
 * 20 ms, not left waiting for more. */
static void test_single_message_is_saved_at_once(void **state)
{
	struct harness *h = *state;

	online_with_roster(h, NULL);
	fake_receive(h->xs, "<message from='bob@example.org/b' type='chat' id='one'>"
	                    "<body>just one</body></message>");
	harness_advance(h, 0);
	assert_int_equal(db_int(h, "SELECT count(*) FROM messages WHERE body = 'just one'"), 0);
	harness_advance(h, 20);
	assert_int_equal(db_int(h, "SELECT count(*) FROM messages WHERE body = 'just one'"), 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_strangers_requests_are_capped),
	    T(test_request_and_push_write_one_entry),
	    T(test_old_roster_cache_is_converted),
	    T(test_caps_of_strangers_are_not_asked),
	    T(test_caps_cache_is_bounded),
	    T(test_presence_of_strangers_is_bounded),
	    T(test_big_roster_is_read_a_chunk_a_pass),
	    T(test_flood_commits_by_size_and_age),
	    T(test_single_message_is_saved_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
