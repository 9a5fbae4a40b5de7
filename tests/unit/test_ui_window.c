/* Unit tests for ui/window and ui/recall: a window's bounded scrollback
 * (appended to live, prepended to from the history store), finding a line
 * by stanza id, day separators, and the per-window input history. */
#include "config.h"

#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <cmocka.h>

#include "ui/recall.h"
#include "ui/window.h"
#include "ui/wstr.h"

#define UNUSED __attribute__((unused))
#define T0     ((time_t)1700000000)

static void test_names(void **state UNUSED)
{
	struct window *con = window_new(1, NULL), *bob = window_new(2, "bob@example.org");
	struct window *svc = window_new(3, "example.org");

	assert_true(!wcscmp(con->name, L"console"));
	assert_null(con->jid);
	assert_true(!wcscmp(bob->name, L"bob"));
	assert_string_equal(bob->jid, "bob@example.org");
	assert_true(!wcscmp(svc->name, L"example.org"));
	window_free(con);
	window_free(bob);
	window_free(svc);
}

static void test_scrollback_is_bounded(void **state UNUSED)
{
	struct window *w = window_new(1, "bob@example.org");
	char text[32];

	for (int i = 0; i < WINDOW_SCROLLBACK + 5; i++) {
		snprintf(text, sizeof text, "line %d", i);
		assert_non_null(window_add(w, WL_MSG_PEER, T0 + i, "bob", text));
	}
	assert_int_equal(w->count, WINDOW_SCROLLBACK);
	/* The oldest gave way. */
	assert_true(!wcscmp(window_line_at(w, 0)->text, L"line 5"));
	snprintf(text, sizeof text, "line %d", WINDOW_SCROLLBACK + 4);
	{
		wchar_t *want = wstr_from_utf8(text, 0, NULL);

		assert_true(!wcscmp(window_line_at(w, w->count - 1)->text, want));
		free(want);
	}
	assert_true(!wcscmp(window_line_at(w, 0)->nick, L"bob"));
	window_drop_newest(w);
	assert_int_equal(w->count, WINDOW_SCROLLBACK - 1);
	window_clear(w);
	assert_int_equal(w->count, 0);
	window_drop_newest(w); /* nothing to drop */
	window_free(w);
}

/* Older lines from the store go before the oldest; when the ring is full
 * the newest give way and the window knows it has a gap. */
static void test_prepend(void **state UNUSED)
{
	struct window *w = window_new(1, "bob@example.org");

	window_add(w, WL_MSG_PEER, T0, "bob", "live");
	window_prepend_wide(w, WL_MSG_PEER, T0 - 60, "bob", wstr_from_utf8("older", 0, NULL), NULL);
	assert_true(!wcscmp(window_line_at(w, 0)->text, L"older"));
	assert_true(!wcscmp(window_line_at(w, 1)->text, L"live"));
	assert_false(w->gap);
	for (int i = 0; i < WINDOW_SCROLLBACK; i++)
		window_prepend_wide(w, WL_MSG_PEER, T0 - 120, "bob",
		                    wstr_from_utf8("much older", 0, NULL), NULL);
	assert_int_equal(w->count, WINDOW_SCROLLBACK);
	assert_true(w->gap);
	assert_true(!wcscmp(window_line_at(w, w->count - 1)->text, L"much older"));
	/* A failed line takes its text with it, and adds nothing. */
	assert_null(window_add_wide(w, WL_INFO, T0, NULL, NULL, NULL));
	window_free(w);
}

static void test_find_id(void **state UNUSED)
{
	struct window *w = window_new(1, "bob@example.org");
	struct window_line *a = window_add(w, WL_MSG_OWN, T0, "me", "first");
	struct window_line *b;

	a->id = strdup("m1");
	window_add(w, WL_MSG_PEER, T0, "bob", "between");
	b = window_add(w, WL_MSG_OWN, T0, "me", "second");
	b->id = strdup("m1");
	assert_ptr_equal(window_find_id(w, "m1"), b);
	assert_null(window_find_id(w, "m2"));
	window_free(w);
}

static void test_days(void **state UNUSED)
{
	struct window *w = window_new(1, "bob@example.org");
	wchar_t *day;

	/* 2020-01-04T12:00:00Z: a Saturday whatever the zone. */
	day = window_day_text((time_t)1578139200);
	assert_true(!wcscmp(day, L"-- Saturday 4 January 2020 --"));
	free(day);
	assert_int_equal(window_day((time_t)1578139200), window_day((time_t)1578139200 + 60));
	assert_true(window_day((time_t)1578139200) != window_day((time_t)1578139200 + 86400));
	/* Only messages move the window's day. */
	window_add(w, WL_INFO, (time_t)1578139200, NULL, "info");
	assert_int_equal(w->last_day, 0);
	window_add(w, WL_MSG_PEER, (time_t)1578139200, "bob", "msg");
	assert_int_equal(w->last_day, window_day((time_t)1578139200));
	assert_true(window_is_message(WL_MSG_OWN));
	assert_false(window_is_message(WL_DAY));
	window_free(w);
}

/* ---- recall ---- */

static void test_recall(void **state UNUSED)
{
	struct recall r;

	recall_init(&r);
	assert_null(recall_step(&r, -1, "draft"));
	recall_add(&r, "one");
	recall_add(&r, "two");
	recall_add(&r, "two"); /* a repeat of the newest is kept once */
	assert_string_equal(recall_step(&r, -1, "my draft"), "two");
	assert_string_equal(recall_step(&r, -1, "two"), "one");
	assert_null(recall_step(&r, -1, "one"));
	assert_string_equal(recall_step(&r, 1, "one"), "two");
	/* Past the newest: the line that was being typed comes back. */
	assert_string_equal(recall_step(&r, 1, "two"), "my draft");
	assert_null(recall_step(&r, 1, "my draft"));
	/* Sending ends browsing. */
	recall_step(&r, -1, "");
	recall_add(&r, "three");
	assert_string_equal(recall_step(&r, -1, ""), "three");
	recall_reset(&r);
	assert_string_equal(recall_step(&r, -1, ""), "three");
	recall_clear(&r);
}

static void test_recall_is_bounded(void **state UNUSED)
{
	struct recall r;
	char line[16];
	int steps = 0;

	recall_init(&r);
	for (int i = 0; i < RECALL_MAX + 10; i++) {
		snprintf(line, sizeof line, "l%d", i);
		recall_add(&r, line);
	}
	assert_int_equal(r.count, RECALL_MAX);
	while (recall_step(&r, -1, "")) {
		steps++;
		assert_true(steps <= RECALL_MAX);
	}
	snprintf(line, sizeof line, "l%d", 10);
	assert_string_equal(r.lines[(r.head + r.pos) % RECALL_MAX], line);
	recall_clear(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_scrollback_is_bounded),
	    cmocka_unit_test(test_prepend),
	    cmocka_unit_test(test_find_id),
	    cmocka_unit_test(test_days),
	    cmocka_unit_test(test_recall),
	    cmocka_unit_test(test_recall_is_bounded),
	};

	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		return 77;
	/* Days are local: pin the zone so the expected day is the day. */
	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
