/* Unit tests for csi.c through the fake session: XEP-0352 client state,
 * refused when the server does not offer it, remembered while offline. */
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
#include "msg_helpers.h"

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

#define ME    HARNESS_JID
#define BOB   "bob@example.org"
#define PHONE BOB "/phone"

static void test_client_state(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	/* Not offered: refused, and nothing is sent. */
	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/csi inactive", 1), -1);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "feature-not-implemented");
	json_decref(ev);
	fake_offline(h->xs, NET_FAIL_NETWORK, NULL, "cut");
	/* Inactive while offline: said at the next login. */
	core_client_state(h->core, false);
	fake_offer_csi(h->xs, true);
	harness_online(h);
	assert_non_null(fake_find_sent(h->xs, 0, "<inactive xmlns='urn:xmpp:csi:0'/>", NULL));
	fake_clear_sent(h->xs);
	core_client_state(h->core, false);
	assert_int_equal(fake_sent_count(h->xs), 0);
	core_client_state(h->core, true);
	assert_non_null(fake_find_sent(h->xs, 0, "<active xmlns='urn:xmpp:csi:0'/>", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_client_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
