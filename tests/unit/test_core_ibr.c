/* Unit tests for ibr.c through the fake session: /register's parameters
 * and outcome, /password (and the accounts file it updates), and
 * /unregister (asked first, then no reconnection). */
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

#define ME  HARNESS_JID
#define PIN "sha256:0123456789abcdef0a1b2c3d4e5f6789fedcba98765432100f1e2d3c4b5a6978"

#define T(f) cmocka_unit_test_setup_teardown(f, harness_setup, harness_teardown)

/* ---- /register ---- */

static void test_register_parameters(void **state)
{
	struct harness *h = *state;
	const struct net_params *p;
	json_t *ev;

	/* A stream of its own: no session needed. */
	assert_int_equal(
	    harness_input(h,
	                  "/register Newbie@Example.net s3cret server=xmpp.example.net "
	                  "port=5223 tls=direct",
	                  31),
	    0);
	p = fake_register_params(h->xs);
	assert_non_null(p);
	assert_string_equal(p->jid, "Newbie@example.net");
	assert_string_equal(p->password, "s3cret");
	assert_string_equal(p->server, "xmpp.example.net");
	assert_int_equal(p->port, 5223);
	assert_int_equal(p->tls, TLS_DIRECT);
	assert_null(p->pin);
	/* One at a time. */
	assert_int_equal(harness_input(h, "/register other@example.net pw", 32), -1);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "conflict");
	json_decref(ev);
	fake_registered(h->xs, "Newbie@example.net", NET_FAIL_NONE, NULL, NULL);
	ev = harness_expect(h, "registered", 0);
	assert_string_equal(harness_str(ev, "jid"), "Newbie@example.net");
	assert_int_equal(harness_int(ev, "origin"), 31);
	json_decref(ev);
}

/* What is not given comes from the account: TLS mode, and the pin, read
 * by the one rule. */
static void test_register_inherits_tls_and_pin(void **state)
{
	struct harness *h = *state;
	const struct net_params *p;

	assert_int_equal(harness_input(h, "/tls trust " PIN, 1), 0);
	assert_int_equal(harness_input(h, "/register new@example.org pw server=localhost", 2), 0);
	p = fake_register_params(h->xs);
	assert_int_equal(p->tls, TLS_REQUIRE);
	assert_string_equal(p->pin, PIN);
	assert_int_equal(p->port, 5222);
}

static void test_register_bad_arguments(void **state)
{
	struct harness *h = *state;
	static const char *const bad[] = {
	    "/register example.net pw",       /* no localpart */
	    "/register a@example.net/res pw", /* a resource */
	    "/register a@example.net pw port=0",
	    "/register a@example.net pw port=65536",
	    "/register a@example.net pw port=x",
	    "/register a@example.net pw tls=maybe",
	    "/register a@example.net pw colour=blue",
	    "/register a@example.net pw server=",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t mark = harness_mark(h);
		json_t *ev;

		if (harness_input(h, bad[i], 1) != -1)
			fail_msg("accepted: %s", bad[i]);
		ev = harness_expect(h, "error", mark);
		assert_true(!strcmp(harness_str(ev, "condition"), "bad-request") ||
		            !strcmp(harness_str(ev, "condition"), "jid-malformed"));
		json_decref(ev);
	}
	assert_null(fake_register_params(h->xs));
}

static void test_register_refused_or_timed_out(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	assert_int_equal(harness_input(h, "/register taken@example.org pw", 5), 0);
	fake_registered(h->xs, NULL, NET_FAIL_AUTH, "conflict", "the username is taken");
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "conflict");
	assert_string_equal(harness_str(ev, "text"), "the username is taken");
	assert_int_equal(harness_int(ev, "origin"), 5);
	json_decref(ev);
	harness_clear(h);
	/* The next may go; this one gets no answer. */
	assert_int_equal(harness_input(h, "/register slow@example.org pw", 6), 0);
	harness_advance(h, 29999);
	assert_int_equal(harness_find(h, "error", 0), -1);
	harness_advance(h, 1);
	ev = harness_expect(h, "error", 0);
	assert_int_equal(harness_int(ev, "origin"), 6);
	json_decref(ev);
	/* And then another may start. */
	assert_int_equal(harness_input(h, "/register again@example.org pw", 7), 0);
}

/* ---- /password ---- */

static void test_password_change(void **state)
{
	struct harness *h = *state;
	char *user, *pw, *file;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/password n3w pass", 8), 0);
	user = fake_sent_text(h->xs, 0, "query/username");
	pw = fake_sent_text(h->xs, 0, "query/password");
	assert_string_equal(user, "alice");
	assert_string_equal(pw, "n3w pass");
	free(user);
	free(pw);
	fake_answer(h->xs, 0, "<iq type='result' id='%s'/>");
	ev = harness_expect(h, "password_changed", 0);
	assert_int_equal(harness_int(ev, "origin"), 8);
	json_decref(ev);
	file = harness_accounts_text(h);
	assert_non_null(strstr(file, "password = n3w pass\n"));
	free(file);
	/* The next login uses it. */
	fake_offline(h->xs, NET_FAIL_NETWORK, NULL, "gone");
	core_connect(h->core);
	assert_string_equal(fake_connect_params(h->xs)->password, "n3w pass");
}

static void test_password_refused_changes_nothing(void **state)
{
	struct harness *h = *state;
	char *file;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/password weak", 8), 0);
	fake_answer(h->xs, 0,
	            "<iq type='error' id='%s'><error type='modify'><not-acceptable "
	            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "not-acceptable");
	json_decref(ev);
	assert_int_equal(harness_find(h, "password_changed", 0), -1);
	file = harness_accounts_text(h);
	assert_non_null(strstr(file, "password = secret\n"));
	free(file);
	/* Nothing left once control characters are gone: refused here. */
	assert_int_equal(harness_input(h, "/password \x01\x02", 9), -1);
	assert_int_equal(fake_sent_count(h->xs), 1);
}

/* ---- /unregister ---- */

static void test_unregister_asks_first(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	core_connect(h->core);
	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/unregister", 1), 0);
	assert_int_equal(fake_sent_count(h->xs), 0);
	ev = harness_expect(h, "info", 0);
	assert_non_null(strstr(harness_str(ev, "text"), "/unregister confirm"));
	json_decref(ev);
	assert_int_equal(harness_input(h, "/unregister now", 2), -1);
	assert_int_equal(fake_sent_count(h->xs), 0);
	assert_int_equal(harness_input(h, "/unregister confirm", 3), 0);
	assert_non_null(strstr(fake_sent(h->xs, 0), "<remove/>"));
	fake_answer(h->xs, 0, "<iq type='result' id='%s'/>");
	ev = harness_expect(h, "unregistered", 0);
	assert_int_equal(harness_int(ev, "origin"), 3);
	json_decref(ev);
	/* The link drops, as it would otherwise be retried: natter does not
	 * come back to an account that is gone. */
	fake_offline(h->xs, NET_FAIL_NETWORK, NULL, "closed");
	harness_advance(h, 600000);
	assert_int_equal(harness_find(h, "reconnecting", 0), -1);
	assert_int_equal(fake_connects(h->xs), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_register_parameters),    T(test_register_inherits_tls_and_pin),
	    T(test_register_bad_arguments), T(test_register_refused_or_timed_out),
	    T(test_password_change),        T(test_password_refused_changes_nothing),
	    T(test_unregister_asks_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
