/* Unit tests for action.c through the fake session: /me (XEP-0245), sent
 * and received. */
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
#include "msg_helpers.h"

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

#define ME    HARNESS_JID
#define BOB   "bob@example.org"
#define PHONE BOB "/phone"

static void test_me(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/me waves", 1), -1);
	assert_int_equal(harness_input(h, "/msg " PHONE, 2), 0);
	assert_int_equal(harness_input(h, "/me waves", 3), 0);
	assert_non_null(fake_find_sent(h->xs, 0, "<body>/me waves</body>", NULL));
	ev = harness_expect(h, "message", 0);
	assert_true(json_is_true(json_object_get(ev, "action")));
	json_decref(ev);
	msg_chat_from(h, PHONE, "a1", "/me smiles", NULL);
	msg_chat_from(h, PHONE, "a2", "/me", NULL);
	ev = harness_expect(h, "message", (size_t)harness_find(h, "message", 0) + 1);
	assert_true(json_is_true(json_object_get(ev, "action")));
	json_decref(ev);
	ev = harness_expect(h, "message", (size_t)harness_find(h, "message", 0) + 2);
	assert_null(json_object_get(ev, "action"));
	json_decref(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_me),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
