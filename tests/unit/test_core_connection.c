/* Unit tests for connection.c through the fake session, on the harness's
 * clock: the connect watchdog, back-off with jitter, keepalive, which
 * failures are retried, the orderly close, /tls trust and /raw. */
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
#include "xmpp/tlspin.h"
#include "core_harness.h"

#define ME  HARNESS_JID
#define PIN "sha256:0123456789abcdef0a1b2c3d4e5f6789fedcba98765432100f1e2d3c4b5a6978"
#define PIN_COLONS                                                                                 \
	"01:23:45:67:89:AB:CD:EF:0A:1B:2C:3D:4E:5F:67:89:FE:DC:BA:98:76:54:32:10:0F:1E:2D:3C:4B:"  \
	"5A:69:78"

static int setup(void **state)
{
	*state = harness_new(ME, "[history]\nmam_initial = 0\n"
	                         "[connection]\nreconnect_min = 2\nreconnect_max = 10\n"
	                         "ping_interval = 60\nping_timeout = 20\nconnect_timeout = 20\n"
	                         "close_timeout = 3\n");
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, harness_teardown)

static void test_connect_hands_the_account_to_the_session(void **state)
{
	struct harness *h = *state;
	const struct net_params *p;
	json_t *ev;

	assert_int_equal(core_connect(h->core), 0);
	ev = harness_expect(h, "connecting", 0);
	assert_int_equal(harness_int(ev, "attempt"), 0);
	json_decref(ev);
	assert_int_equal(fake_connects(h->xs), 1);
	p = fake_connect_params(h->xs);
	assert_non_null(p);
	assert_string_equal(p->jid, ME "/natter");
	assert_string_equal(p->password, "secret");
	assert_null(p->server);
	assert_null(p->pin);
	assert_int_equal(p->tls, TLS_REQUIRE);
	/* Connecting or online, /connect has nothing to do. */
	assert_int_equal(harness_input(h, "/connect", 4), -1);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "conflict");
	json_decref(ev);
	assert_int_equal(fake_connects(h->xs), 1);
}

/* A hung attempt is cut after connect_timeout, and counts as a network
 * failure. */
static void test_watchdog_cuts_a_hung_attempt(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	core_connect(h->core);
	harness_advance(h, 19999);
	assert_int_equal(fake_aborts(h->xs), 0);
	harness_advance(h, 1);
	assert_int_equal(fake_aborts(h->xs), 1);
	fake_offline(h->xs, NET_FAIL_NETWORK, NULL, "connection reset");
	ev = harness_expect(h, "disconnected", 0);
	assert_string_equal(harness_str(ev, "reason"), "connection attempt timed out");
	json_decref(ev);
	assert_true(harness_find(h, "reconnecting", 0) >= 0);
}

/* Exponential back-off, +-25 % jitter, never above reconnect_max; each
 * attempt starts exactly when its event said. */
static void test_backoff(void **state)
{
	struct harness *h = *state;
	static const long long base[] = {2000, 4000, 8000, 10000, 10000};

	core_connect(h->core);
	for (unsigned n = 1; n <= 5; n++) {
		size_t mark = harness_mark(h);
		unsigned connects = fake_connects(h->xs);
		long long in;
		json_t *ev;

		fake_offline(h->xs, NET_FAIL_NETWORK, NULL, "refused");
		ev = harness_expect(h, "reconnecting", mark);
		assert_int_equal(harness_int(ev, "attempt"), n);
		in = harness_int(ev, "in_ms");
		json_decref(ev);
		assert_true(in >= base[n - 1] * 3 / 4);
		assert_true(in <= base[n - 1] * 5 / 4);
		assert_true(in <= 10000);
		harness_advance(h, (uint64_t)in - 1);
		assert_int_equal(fake_connects(h->xs), connects);
		harness_advance(h, 1);
		assert_int_equal(fake_connects(h->xs), connects + 1);
		ev = harness_expect(h, "connecting", mark);
		assert_int_equal(harness_int(ev, "attempt"), n);
		json_decref(ev);
	}
	/* Online again: the count starts over. */
	harness_online_quiet(h);
	fake_offline(h->xs, NET_FAIL_NETWORK, NULL, "lost");
	{
		json_t *ev = harness_expect(h, "reconnecting", 0);

		assert_int_equal(harness_int(ev, "attempt"), 1);
		assert_true(harness_int(ev, "in_ms") <= 2500);
		json_decref(ev);
	}
}

/* What retrying cannot fix is not retried. */
static void test_fatal_failures_are_not_retried(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	core_connect(h->core);
	fake_offline(h->xs, NET_FAIL_AUTH, "not-authorized", "wrong password");
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "not-authorized");
	json_decref(ev);
	assert_int_equal(harness_find(h, "reconnecting", 0), -1);
	harness_advance(h, 600000);
	assert_int_equal(fake_connects(h->xs), 1);

	core_connect(h->core);
	harness_online_quiet(h);
	fake_offline(h->xs, NET_FAIL_STREAM_ERROR, "conflict", "replaced by another client");
	assert_int_equal(harness_find(h, "reconnecting", 0), -1);

	/* A stream error that is not about us is retried. */
	core_connect(h->core);
	harness_online_quiet(h);
	fake_offline(h->xs, NET_FAIL_STREAM_ERROR, "system-shutdown", "restarting");
	assert_true(harness_find(h, "reconnecting", 0) >= 0);
	/* A failed resumption starts a clean session at once. */
	harness_clear(h);
	harness_advance(h, 10000);
	fake_offline(h->xs, NET_FAIL_RESUME, NULL, "resumption failed");
	ev = harness_expect(h, "reconnecting", 0);
	assert_int_equal(harness_int(ev, "in_ms"), 0);
	json_decref(ev);
}

/* A ping after ping_interval; an answer re-arms it, no answer within
 * ping_timeout cuts the link. */
static void test_keepalive(void **state)
{
	struct harness *h = *state;
	char *id;
	size_t i;

	core_connect(h->core);
	harness_online_quiet(h);
	harness_advance(h, 59999);
	assert_null(fake_find_sent(h->xs, 0, "urn:xmpp:ping", NULL));
	harness_advance(h, 1);
	assert_non_null(fake_find_sent(h->xs, 0, "urn:xmpp:ping", &i));
	id = fake_sent_id(h->xs, i);
	harness_advance(h, 5000);
	fake_receivef(h->xs, "<iq type='result' id='%s'/>", id);
	free(id);
	fake_clear_sent(h->xs);
	harness_advance(h, 59999);
	assert_int_equal(fake_sent_count(h->xs), 0);
	harness_advance(h, 1);
	assert_non_null(fake_find_sent(h->xs, 0, "urn:xmpp:ping", NULL));
	harness_advance(h, 19999);
	assert_int_equal(fake_aborts(h->xs), 0);
	harness_advance(h, 1);
	assert_int_equal(fake_aborts(h->xs), 1);
}

/* /disconnect: unavailable presence, then the stream closed, cut if the
 * server does not answer in close_timeout; no reconnection. */
static void test_disconnect(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	core_connect(h->core);
	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/disconnect", 1), 0);
	assert_non_null(strstr(fake_sent(h->xs, 0), "type=\"unavailable\""));
	assert_int_equal(fake_closes(h->xs), 1);
	harness_advance(h, 2999);
	assert_int_equal(fake_aborts(h->xs), 0);
	harness_advance(h, 1);
	assert_int_equal(fake_aborts(h->xs), 1);
	fake_offline(h->xs, NET_FAIL_NONE, NULL, NULL);
	assert_true(harness_find(h, "disconnected", 0) >= 0);
	assert_int_equal(harness_find(h, "reconnecting", 0), -1);
	/* Not connected any more: nothing to disconnect. */
	assert_int_equal(harness_input(h, "/disconnect", 2), -1);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "not-connected");
	json_decref(ev);
}

static void test_disconnect_cancels_a_waiting_reconnection(void **state)
{
	struct harness *h = *state;

	core_connect(h->core);
	fake_offline(h->xs, NET_FAIL_NETWORK, NULL, "refused");
	assert_int_equal(harness_input(h, "/disconnect", 1), 0);
	harness_advance(h, 600000);
	assert_int_equal(fake_connects(h->xs), 1);
	assert_true(harness_find(h, "info", 0) >= 0);
}

static void test_quit_closes_cleanly(void **state)
{
	struct harness *h = *state;

	core_connect(h->core);
	harness_online_quiet(h);
	assert_false(core_quitting(h->core));
	assert_int_equal(harness_input(h, "/quit", 1), 0);
	assert_true(core_quitting(h->core));
	assert_non_null(strstr(fake_sent(h->xs, 0), "type=\"unavailable\""));
	assert_int_equal(fake_closes(h->xs), 1);
	fake_offline(h->xs, NET_FAIL_NONE, NULL, NULL);
	harness_advance(h, 600000);
	assert_int_equal(fake_connects(h->xs), 1);
}

/* A refused certificate is offered for pinning; /tls trust saves the pin
 * (in the one canonical form) and connects with it. */
static void test_tls_trust_the_refused_certificate(void **state)
{
	struct harness *h = *state;
	struct tlspin_cert cert = {
	    .fingerprint = PIN, .subject = "CN=example.org", .issuer = "CN=example.org"};
	struct xs_offline o = {NET_FAIL_TLS_UNTRUSTED, NULL, "self-signed", &cert};
	char *file;
	json_t *ev;

	/* Nothing refused yet: nothing to trust. */
	assert_int_equal(harness_input(h, "/tls trust", 1), -1);
	core_connect(h->core);
	fake_offline_with(h->xs, &o);
	ev = harness_expect(h, "tls_untrusted", 0);
	assert_string_equal(harness_str(ev, "fingerprint"), PIN);
	assert_false(harness_bool(ev, "pin_mismatch"));
	json_decref(ev);
	/* Not retried: a certificate does not change by waiting. */
	harness_advance(h, 600000);
	assert_int_equal(fake_connects(h->xs), 1);
	assert_int_equal(harness_input(h, "/tls trust", 2), 0);
	file = harness_accounts_text(h);
	assert_non_null(strstr(file, "tls_fingerprint = " PIN "\n"));
	free(file);
	assert_int_equal(fake_connects(h->xs), 2);
	assert_string_equal(fake_connect_params(h->xs)->pin, PIN);
}

/* A pin given by hand is read by the one rule (util/pin.h). */
static void test_tls_trust_given_pin(void **state)
{
	struct harness *h = *state;
	char *file;
	json_t *ev;

	assert_int_equal(harness_input(h, "/tls trust sha256:nope", 2), -1);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "bad-request");
	json_decref(ev);
	assert_int_equal(harness_input(h, "/tls trust " PIN_COLONS, 3), 0);
	file = harness_accounts_text(h);
	assert_non_null(strstr(file, "tls_fingerprint = " PIN "\n"));
	free(file);
	assert_string_equal(fake_connect_params(h->xs)->pin, PIN);
}

static void test_raw(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h,
	                               "/raw <message to='bob@example.org'><body>raw</body>"
	                               "</message>",
	                               7),
	                 0);
	assert_non_null(strstr(fake_sent(h->xs, 0), "<body>raw</body>"));
	ev = harness_expect(h, "raw_sent", 0);
	assert_int_equal(harness_int(ev, "origin"), 7);
	json_decref(ev);
	assert_int_equal(harness_input(h, "/raw <message>", 8), -1);
	assert_int_equal(fake_sent_count(h->xs), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_connect_hands_the_account_to_the_session),
	    T(test_watchdog_cuts_a_hung_attempt),
	    T(test_backoff),
	    T(test_fatal_failures_are_not_retried),
	    T(test_keepalive),
	    T(test_disconnect),
	    T(test_disconnect_cancels_a_waiting_reconnection),
	    T(test_quit_closes_cleanly),
	    T(test_tls_trust_the_refused_certificate),
	    T(test_tls_trust_given_pin),
	    T(test_raw),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
