/* Unit tests for links.c through the fake session: XEP-0066 links received
 * (http and https only) and /open. */
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

static void test_out_of_band_links(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	size_t mark = 0;

	harness_online_quiet(h);
	msg_chat_from(h, PHONE, "o1", "look",
	              "<x xmlns='jabber:x:oob'><url> https://example.org/cat.jpg </url></x>");
	ev = harness_expect(h, "message", mark);
	assert_string_equal(harness_str(ev, "oob_url"), "https://example.org/cat.jpg");
	json_decref(ev);
	mark = harness_mark(h);
	msg_chat_from(h, PHONE, "o2", "bad",
	              "<x xmlns='jabber:x:oob'><url>javascript:alert(1)</url></x>");
	msg_chat_from(h, PHONE, "o3", "bad",
	              "<x xmlns='jabber:x:oob'><url>file:///etc/passwd</url></x>");
	ev = harness_expect(h, "message", mark);
	assert_null(json_object_get(ev, "oob_url"));
	json_decref(ev);
	ev = harness_expect(h, "message", mark + 1);
	assert_null(json_object_get(ev, "oob_url"));
	json_decref(ev);
	/* /open with nothing to open says so. */
	assert_int_equal(harness_input(h, "/open nobody@example.org", 7), -1);
	ev = harness_expect(h, "error", mark);
	assert_string_equal(harness_str(ev, "condition"), "item-not-found");
	json_decref(ev);
}

/* disco#info says so. */
static void test_feature_offered(void **state)
{
	msg_feature_offered(*state, "jabber:x:oob");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_out_of_band_links),
	    T(test_feature_offered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
