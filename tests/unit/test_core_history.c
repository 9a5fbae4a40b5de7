/* Unit tests for history.c against the real store in the harness's
 * temporary directory: /history, /history search, the pages the UI's
 * scrollback reads, and natter going on without a store. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/core.h"
#include "core_harness.h"

#define ME    HARNESS_JID
#define BOB   "bob@example.org"
#define CAROL "carol@example.org"

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

static void from(struct harness *h, const char *who, const char *body)
{
	fake_receivef(h->xs, "<message type='chat' from='%s/x'><body>%s</body></message>", who,
	              body);
	harness_advance(h, 1000);
}

static json_t *history(struct harness *h, const char *line, uint64_t origin)
{
	size_t mark = harness_mark(h);

	assert_int_equal(harness_input(h, line, origin), 0);
	return harness_expect(h, "history", mark);
}

static const char *body_at(json_t *ev, size_t i)
{
	return harness_str(json_array_get(json_object_get(ev, "messages"), i), "body");
}

static void test_history_of_a_conversation(void **state)
{
	struct harness *h = *state;
	json_t *ev, *m;

	harness_online_quiet(h);
	from(h, BOB, "first");
	assert_int_equal(harness_input(h, "/msg " BOB " second", 1), 0);
	harness_advance(h, 1000);
	from(h, CAROL, "elsewhere");
	from(h, BOB, "third");
	ev = history(h, "/history " BOB, 7);
	assert_int_equal(harness_int(ev, "origin"), 7);
	assert_string_equal(harness_str(ev, "with"), BOB);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 3);
	/* Oldest first, both directions, with their times. */
	assert_string_equal(body_at(ev, 0), "first");
	assert_string_equal(body_at(ev, 1), "second");
	assert_string_equal(body_at(ev, 2), "third");
	m = json_array_get(json_object_get(ev, "messages"), 1);
	assert_string_equal(harness_str(m, "direction"), "out");
	m = json_array_get(json_object_get(ev, "messages"), 0);
	assert_string_equal(harness_str(m, "direction"), "in");
	assert_int_equal(harness_int(m, "ts_ms"), (long long)HARNESS_T0);
	assert_string_equal(harness_str(m, "ts"), "2023-11-14T22:13:20.000Z");
	json_decref(ev);
	/* The last N only. */
	ev = history(h, "/history " BOB " 2", 8);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 2);
	assert_string_equal(body_at(ev, 0), "second");
	json_decref(ev);
	/* Any spelling of the JID. */
	ev = history(h, "/history BOB@EXAMPLE.ORG", 9);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 3);
	json_decref(ev);
}

static void test_history_arguments(void **state)
{
	struct harness *h = *state;
	static const char *const bad[] = {"/history " BOB " 0", "/history " BOB " 10001",
	                                  "/history " BOB " 5x", "/history @@"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t mark = harness_mark(h);
		json_t *ev;

		if (harness_input(h, bad[i], 3) != -1)
			fail_msg("accepted: %s", bad[i]);
		ev = harness_expect(h, "error", mark);
		assert_int_equal(harness_int(ev, "origin"), 3);
		json_decref(ev);
	}
	/* Nobody talked to: an empty answer, not an error. */
	{
		json_t *ev = history(h, "/history nobody@example.org", 4);

		assert_int_equal(json_array_size(json_object_get(ev, "messages")), 0);
		json_decref(ev);
	}
}

static void test_search(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	from(h, BOB, "the blue whale sings");
	from(h, CAROL, "a Blue car");
	from(h, BOB, "nothing here");
	assert_int_equal(harness_input(h, "/msg " CAROL " whales are blue too", 1), 0);
	ev = history(h, "/history search blue", 5);
	assert_string_equal(harness_str(ev, "query"), "blue");
	assert_int_equal(harness_int(ev, "origin"), 5);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 3);
	assert_string_equal(body_at(ev, 0), "the blue whale sings");
	json_decref(ev);
	/* Every word must be there. */
	ev = history(h, "/history search blue whale", 6);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 1);
	json_decref(ev);
	ev = history(h, "/history search zebra", 6);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 0);
	json_decref(ev);
}

/* The search index follows the commits in chunks: until it caught up the
 * answer is the same (rows not indexed are matched by a scan). */
static void test_search_finds_what_is_not_indexed_yet(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	for (int i = 0; i < 2400; i++)
		fake_receivef(h->xs,
		              "<message type='chat' from='" BOB "/x' id='n%d'><body>needle %d"
		              "</body></message>",
		              i, i);
	/* committed, and not indexed while the stream is busy */
	harness_advance(h, 0);
	assert_int_equal(harness_query_int(h, "SELECT upto FROM fts_state"), 0);
	ev = history(h, "/history search needle", 1);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 100);
	assert_string_equal(body_at(ev, 99), "needle 2399");
	json_decref(ev);
	/* a second of quiet, then a chunk a pass */
	harness_advance(h, 999);
	assert_int_equal(harness_query_int(h, "SELECT upto FROM fts_state"), 0);
	harness_advance(h, 1);
	assert_true(harness_query_int(h, "SELECT upto FROM fts_state") > 0);
	for (int i = 0; i < 5; i++)
		harness_advance(h, 0);
	assert_int_equal(harness_query_int(h, "SELECT upto FROM fts_state"),
	                 harness_query_int(h, "SELECT max(id) FROM messages"));
}

/* A store that is never quiet for a second is indexed all the same. */
static void test_busy_store_is_indexed_within_seconds(void **state)
{
	struct harness *h = *state;
	int i;

	harness_online_quiet(h);
	for (i = 0; i < 40; i++) {
		fake_receivef(h->xs,
		              "<message type='chat' from='" BOB "/x' id='b%d'><body>busy %d"
		              "</body></message>",
		              i, i);
		harness_advance(h, 500);
	}
	assert_true(harness_query_int(h, "SELECT upto FROM fts_state") > 0);
}

/* The UI's scrollback: pages backwards by row id. */
static void collect(const struct nt_history_message *m, void *ud)
{
	char **last = ud;

	free(*last);
	*last = strdup(m->body);
}

static void test_pages_for_scrollback(void **state)
{
	struct harness *h = *state;
	char *last = NULL;
	long long oldest;

	harness_online_quiet(h);
	for (int i = 0; i < 10; i++) {
		char body[16];

		snprintf(body, sizeof body, "m%d", i);
		from(h, BOB, body);
	}
	assert_int_equal(core_history_page(h->core, BOB, 0, 4, collect, &last), 4);
	assert_string_equal(last, "m9"); /* oldest first: the last one is the newest */
	oldest = harness_query_int(h, "SELECT id FROM messages WHERE body = 'm6'");
	assert_int_equal(core_history_page(h->core, BOB, oldest, 4, collect, &last), 4);
	assert_string_equal(last, "m5");
	oldest = harness_query_int(h, "SELECT id FROM messages WHERE body = 'm2'");
	assert_int_equal(core_history_page(h->core, BOB, oldest, 4, collect, &last), 2);
	assert_string_equal(last, "m1");
	free(last);
}

/* A store that cannot be opened is reported once at start; messages are
 * still shown, /history says why it cannot answer. */
static void test_without_a_store(void **state)
{
	struct harness *h = *state;
	char *dir = NULL, *moved = NULL;
	json_t *ev;

	assert_true(asprintf(&dir, "%s/natter", h->dir) > 0);
	assert_true(asprintf(&moved, "%s/moved", h->dir) > 0);
	assert_int_equal(rename(dir, moved), 0);
	{
		FILE *f = fopen(dir, "w"); /* a file where the directory should be */

		assert_non_null(f);
		fclose(f);
	}
	harness_restart(h);
	ev = harness_expect(h, "error", 0);
	assert_non_null(strstr(harness_str(ev, "text"), "history is not available"));
	json_decref(ev);
	harness_online_quiet(h);
	from(h, BOB, "still shown");
	ev = harness_expect(h, "message", 0);
	assert_string_equal(harness_str(ev, "body"), "still shown");
	json_decref(ev);
	harness_clear(h);
	assert_int_equal(harness_input(h, "/history " BOB, 2), -1);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "service-unavailable");
	json_decref(ev);
	assert_int_equal(core_history_page(h->core, BOB, 0, 10, collect, &dir), -1);
	/* Put things back for the harness to clean up. */
	assert_int_equal(unlink(dir), 0);
	assert_int_equal(rename(moved, dir), 0);
	free(dir);
	free(moved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_history_of_a_conversation),
	    T(test_history_arguments),
	    T(test_search),
	    T(test_search_finds_what_is_not_indexed_yet),
	    T(test_busy_store_is_indexed_within_seconds),
	    T(test_pages_for_scrollback),
	    T(test_without_a_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
