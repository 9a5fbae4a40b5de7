/* Unit tests for replies.c through the fake session: the version and ping
 * answers every client owes, and /version and /ping with their answers,
 * errors and timeouts, each back where it was asked. */
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

#define ME  HARNESS_JID
#define BOB "bob@example.org"

static int setup_reveal(void **state)
{
	*state = harness_new(ME, "[history]\nmam_initial = 0\n[privacy]\nreveal_os = true\n");
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

static void test_version_answer_keeps_the_os_private(void **state)
{
	struct harness *h = *state;
	const char *s;

	harness_online_quiet(h);
	fake_receive(h->xs, "<iq type='get' id='v1' from='" BOB "/pc'><query "
	                    "xmlns='jabber:iq:version'/></iq>");
	s = fake_sent(h->xs, 0);
	assert_non_null(strstr(s, "to=\"" BOB "/pc\""));
	assert_non_null(strstr(s, "id=\"v1\""));
	assert_non_null(strstr(s, "<name>natter</name>"));
	assert_non_null(strstr(s, "<version>" PACKAGE_VERSION "</version>"));
	assert_null(strstr(s, "<os>"));
}

static void test_version_answer_with_os_when_allowed(void **state)
{
	struct harness *h = *state;

	harness_online_quiet(h);
	fake_receive(h->xs, "<iq type='get' id='v1' from='" BOB "/pc'><query "
	                    "xmlns='jabber:iq:version'/></iq>");
	assert_non_null(strstr(fake_sent(h->xs, 0), "<os>"));
}

static void test_ping_answered(void **state)
{
	struct harness *h = *state;
	const char *s;

	harness_online_quiet(h);
	fake_receive(h->xs, "<iq type='get' id='p1' from='" BOB "/pc'><ping "
	                    "xmlns='urn:xmpp:ping'/></iq>");
	s = fake_sent(h->xs, 0);
	assert_non_null(strstr(s, "type=\"result\""));
	assert_non_null(strstr(s, "id=\"p1\""));
	assert_non_null(strstr(s, "to=\"" BOB "/pc\""));
}

static void test_version_command(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	char *to;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/version " BOB "/pc", 21), 0);
	to = fake_sent_attr(h->xs, 0, NULL, "to");
	assert_string_equal(to, BOB "/pc");
	free(to);
	fake_answer(h->xs, 0,
	            "<iq type='result' id='%s' from='" BOB "/pc'><query xmlns='jabber:iq:version'>"
	            "<name>Peer\xe2\x80\xae"
	            "Client</name><version>2.0</version><os>Plan 9</os>"
	            "</query></iq>");
	ev = harness_expect(h, "version", 0);
	assert_int_equal(harness_int(ev, "origin"), 21);
	assert_string_equal(harness_str(ev, "from"), BOB "/pc");
	assert_string_equal(harness_str(ev, "name"), "PeerClient");
	assert_string_equal(harness_str(ev, "version"), "2.0");
	assert_string_equal(harness_str(ev, "os"), "Plan 9");
	json_decref(ev);
}

static void test_version_errors_and_timeout(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/version " BOB "/gone", 1), 0);
	fake_answer(
	    h->xs, 0,
	    "<iq type='error' id='%s' from='" BOB "/gone'><error type='cancel'>"
	    "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
	    "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>not here</text></error></iq>");
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "service-unavailable");
	assert_non_null(strstr(harness_str(ev, "text"), "not here"));
	assert_int_equal(harness_int(ev, "origin"), 1);
	json_decref(ev);
	harness_clear(h);
	assert_int_equal(harness_input(h, "/version " BOB "/slow", 2), 0);
	harness_advance(h, 29999);
	assert_int_equal(harness_find(h, "error", 0), -1);
	harness_advance(h, 1);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "remote-server-timeout");
	assert_int_equal(harness_int(ev, "origin"), 2);
	json_decref(ev);
	/* Offline the command is refused before anything is sent. */
	fake_offline(h->xs, NET_FAIL_NETWORK, NULL, "gone");
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/version " BOB "/pc", 3), -1);
	assert_int_equal(fake_sent_count(h->xs), 0);
}

/* The round trip is measured on the loop's clock. */
static void test_ping_command(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	char *id;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/ping", 4), 0);
	/* Our server: no to. */
	assert_null(strstr(fake_sent(h->xs, 0), "to="));
	id = fake_sent_id(h->xs, 0);
	harness_advance(h, 250);
	fake_receivef(h->xs, "<iq type='result' id='%s' from='example.org'/>", id);
	free(id);
	ev = harness_expect(h, "pong", 0);
	assert_int_equal(harness_int(ev, "rtt_ms"), 250);
	assert_string_equal(harness_str(ev, "from"), "example.org");
	assert_int_equal(harness_int(ev, "origin"), 4);
	json_decref(ev);
	/* An answer only from whom we asked. */
	assert_int_equal(harness_input(h, "/ping " BOB "/pc", 5), 0);
	id = fake_sent_id(h->xs, 1);
	fake_receivef(h->xs, "<iq type='result' id='%s' from='mallory@evil.example/x'/>", id);
	assert_int_equal(harness_count(h, "pong", 0), 1);
	fake_receivef(h->xs, "<iq type='result' id='%s' from='" BOB "/pc'/>", id);
	free(id);
	assert_int_equal(harness_count(h, "pong", 0), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_version_answer_keeps_the_os_private),
	    cmocka_unit_test_setup_teardown(test_version_answer_with_os_when_allowed, setup_reveal,
	                                    harness_teardown),
	    T(test_ping_answered),
	    T(test_version_command),
	    T(test_version_errors_and_timeout),
	    T(test_ping_command),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
