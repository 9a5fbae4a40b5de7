/* Unit tests for autoaway.c (and presence_auto in presence.c) through the
 * fake session: away and xa after idle minutes with a XEP-0319 idle time,
 * back at the first key or command, and never over what the user chose. */
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
#include "util/stamp.h"

#define MIN (60 * 1000ULL)

static const char settings[] = "[history]\nmam_initial = 0\n"
                               "[presence]\nauto_away = 5\nauto_xa = 20\n";

static struct harness *online(const char *extra)
{
	struct harness *h = harness_new(HARNESS_JID, extra ? extra : settings);

	harness_online(h);
	harness_answer_roster(h, NULL);
	return h;
}

/* Time passes with the link alive: keepalive pings are answered (the
 * connection would otherwise be declared dead within the minutes). */
static void idle(struct harness *h, uint64_t ms)
{
	while (ms) {
		uint64_t step = ms < 10000 ? ms : 10000;
		size_t from = fake_sent_count(h->xs), i;

		harness_advance(h, step);
		ms -= step;
		while (fake_find_sent(h->xs, from, "urn:xmpp:ping", &i)) {
			fake_answer(h->xs, i, "<iq type='result' id='%s' from='example.org'/>");
			from = i + 1;
		}
	}
}

/* The presences sent since index from. */
static size_t presences(struct harness *h, size_t from)
{
	size_t n = 0;

	for (size_t i = from; i < fake_sent_count(h->xs); i++)
		n += !strncmp(fake_sent(h->xs, i), "<presence", 9);
	return n;
}

static size_t last_presence(struct harness *h)
{
	size_t found = (size_t)-1;

	for (size_t i = 0; i < fake_sent_count(h->xs); i++)
		if (!strncmp(fake_sent(h->xs, i), "<presence", 9))
			found = i;
	if (found == (size_t)-1)
		fail_msg("no presence was sent");
	return found;
}

static void assert_show(struct harness *h, const char *show)
{
	char *got = fake_sent_text(h->xs, last_presence(h), "show");

	if (show)
		assert_string_equal(got, show);
	else
		assert_null(got);
	free(got);
}

static void test_away_then_xa_then_back(void **state)
{
	struct harness *h = online(NULL);
	size_t sent = fake_sent_count(h->xs), mark = harness_mark(h);
	char *since, *status;

	(void)state;
	harness_input(h, "/status chat at my desk", 0);
	sent = fake_sent_count(h->xs);
	idle(h, 5 * MIN - 1000);
	assert_int_equal(presences(h, sent), 0);
	idle(h, 1000);
	assert_int_equal(presences(h, sent), 1);
	assert_show(h, "away");
	/* the user's own status text stays, with the time it began */
	status = fake_sent_text(h->xs, last_presence(h), "status");
	assert_string_equal(status, "at my desk");
	free(status);
	since = fake_sent_attr(h->xs, last_presence(h), "idle", "since");
	assert_non_null(since);
	assert_int_equal(stamp_parse(since), (int64_t)HARNESS_T0);
	free(since);
	assert_true(harness_find(h, "info", mark) >= 0);

	sent = fake_sent_count(h->xs);
	idle(h, 15 * MIN);
	assert_int_equal(presences(h, sent), 1);
	assert_show(h, "xa");
	/* and nothing more while nobody comes */
	sent = fake_sent_count(h->xs);
	idle(h, 120 * MIN);
	assert_int_equal(presences(h, sent), 0);

	/* a key: what the user chose comes back, without the idle time */
	core_user_active(h->core);
	assert_int_equal(presences(h, sent), 1);
	assert_show(h, "chat");
	assert_null(strstr(fake_sent(h->xs, last_presence(h)), "urn:xmpp:idle:1"));
	/* more keys send nothing more */
	core_user_active(h->core);
	assert_int_equal(presences(h, sent), 1);
	/* and the minutes count afresh from the last key */
	sent = fake_sent_count(h->xs);
	idle(h, 4 * MIN);
	core_user_active(h->core);
	idle(h, 4 * MIN);
	assert_int_equal(presences(h, sent), 0);
	idle(h, 1 * MIN);
	assert_int_equal(presences(h, sent), 1);
	assert_show(h, "away");
	harness_free(h);
}

/* dnd, away or xa chosen by the user, or invisibility, are left alone. */
static void test_never_over_a_chosen_show(void **state)
{
	struct harness *h = online(NULL);
	size_t sent;

	(void)state;
	harness_input(h, "/status dnd busy", 0);
	sent = fake_sent_count(h->xs);
	idle(h, 60 * MIN);
	assert_int_equal(presences(h, sent), 0);
	core_user_active(h->core);
	assert_int_equal(presences(h, sent), 0);
	harness_free(h);
}

/* A /status typed while away by idleness is the one presence sent. */
static void test_status_while_away(void **state)
{
	struct harness *h = online(NULL);
	size_t sent;

	(void)state;
	idle(h, 5 * MIN);
	assert_show(h, "away");
	sent = fake_sent_count(h->xs);
	harness_input(h, "/status dnd meeting", 0);
	assert_int_equal(presences(h, sent), 1);
	assert_show(h, "dnd");
	harness_free(h);
}

/* The message replaces the status text; /set changes the minutes at once;
 * 0 turns it off. */
static void test_message_and_set(void **state)
{
	struct harness *h = online("[history]\nmam_initial = 0\n"
	                           "[presence]\nauto_away = 30\nauto_away_message = gone\n");
	size_t sent;
	char *status;

	(void)state;
	harness_input(h, "/set presence.auto_away 2", 0);
	sent = fake_sent_count(h->xs);
	idle(h, 2 * MIN);
	assert_int_equal(presences(h, sent), 1);
	assert_show(h, "away");
	status = fake_sent_text(h->xs, last_presence(h), "status");
	assert_string_equal(status, "gone");
	free(status);
	harness_input(h, "/set presence.auto_away 0", 0);
	assert_show(h, NULL);
	sent = fake_sent_count(h->xs);
	idle(h, 600 * MIN);
	assert_int_equal(presences(h, sent), 0);
	harness_free(h);
}

/* Idle across a reconnection: the new session's presence is away too. */
static void test_away_at_login(void **state)
{
	struct harness *h = harness_new(HARNESS_JID, settings);

	(void)state;
	idle(h, 6 * MIN);
	harness_online(h);
	harness_answer_roster(h, NULL);
	assert_show(h, "away");
	harness_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_away_then_xa_then_back),
	    cmocka_unit_test(test_never_over_a_chosen_show),
	    cmocka_unit_test(test_status_while_away),
	    cmocka_unit_test(test_message_and_set),
	    cmocka_unit_test(test_away_at_login),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
