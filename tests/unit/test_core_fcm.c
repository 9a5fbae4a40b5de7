/* Unit tests for fcm.c (seed 002) through the fake session:
 * payloads in, acknowledgements and downstream messages out, the window of
 * 100, CONNECTION_DRAINING, and a service session that is not an IM one. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/accounts.h"
#include "core/core.h"
#include "core_harness.h"

#define ME           "126200347933@gcm.googleapis.com"
#define FROM_DEVICES "devices@gcm.googleapis.com"

static void fcm_account(struct account *a)
{
	a->fcm = true;
	a->autoack_fcm = true;
	a->auth = AUTH_PLAIN;
	a->tls = TLS_DIRECT;
}

static void no_autoack(struct account *a)
{
	fcm_account(a);
	a->autoack_fcm = false;
}

static int setup(void **state)
{
	*state = harness_new_with(ME, "[history]\nmam_initial = 0\n", fcm_account);
	return 0;
}

static int setup_no_autoack(void **state)
{
	*state = harness_new_with(ME, "[history]\nmam_initial = 0\n", no_autoack);
	return 0;
}

static int teardown(void **state)
{
	harness_free(*state);
	return 0;
}

/* The connection server binds a resource of its choosing. */
static void online(struct harness *h)
{
	fake_online(h->xs, ME "/AB12CD", false, false);
}

static void gcm(struct harness *h, const char *json)
{
	fake_receivef(h->xs,
	              "<message from='" FROM_DEVICES "' to='" ME "/AB12CD' type='normal'>"
	              "<gcm xmlns='google:mobile:data'>%s</gcm></message>",
	              json);
}

/* The JSON of the idx-th stanza sent (its <gcm/> text), parsed. */
static json_t *sent_json(struct harness *h, size_t idx)
{
	const char *s = fake_sent(h->xs, idx), *b, *e;
	char *text;
	json_t *o;

	assert_non_null(s);
	b = strstr(s, "<gcm xmlns=\"google:mobile:data\">");
	assert_non_null(b);
	b += strlen("<gcm xmlns=\"google:mobile:data\">");
	e = strstr(b, "</gcm>");
	assert_non_null(e);
	text = strndup(b, (size_t)(e - b));
	/* libstrophe escapes the quotes of the JSON text. */
	for (char *p; (p = strstr(text, "&quot;"));)
		memmove(p + 1, p + 6, strlen(p + 6) + 1), *p = '"';
	o = json_loads(text, 0, NULL);
	if (!o)
		fail_msg("not JSON: %s", text);
	free(text);
	return o;
}

/* ---- a service session ---- */

static void test_service_session_binds_server_resource_and_asks_nothing(void **state)
{
	struct harness *h = *state;

	assert_int_equal(core_connect(h->core), 0);
	/* Seed 002: no resource asked for; the server chooses it. */
	assert_string_equal(fake_connect_params(h->xs)->jid, ME);
	online(h);
	/* No roster, carbons, archive, disco or presence: a connection
	 * server is no IM server. */
	assert_int_equal(fake_sent_count(h->xs), 0);
	json_decref(harness_expect(h, "connected", 0));
	/* Nor an unavailable presence at the end. */
	core_quit(h->core);
	assert_null(fake_find_sent(h->xs, 0, "<presence", NULL));
}

/* ---- upstream ---- */

static void test_upstream_is_reported_and_acked(void **state)
{
	struct harness *h = *state;
	json_t *ev, *ack, *data;

	online(h);
	gcm(h, "{\"data\": {\"Hello\":\"World\"}, \"time_to_live\":10, "
	       "\"from\":\"feQqD9P957k:APA91bH\", \"message_id\":\"1234567\", "
	       "\"category\":\"com.gmail.rajeshkhumanthem.phantom\"}");
	ev = harness_expect(h, "fcm", 0);
	assert_string_equal(harness_str(ev, "message_type"), "upstream");
	assert_string_equal(harness_str(ev, "message_id"), "1234567");
	assert_string_equal(harness_str(ev, "from"), "feQqD9P957k:APA91bH");
	assert_string_equal(harness_str(ev, "category"), "com.gmail.rajeshkhumanthem.phantom");
	data = json_object_get(ev, "data");
	assert_true(json_is_object(data));
	assert_string_equal(harness_str(data, "Hello"), "World");
	json_decref(ev);
	/* The ack, as the seed writes it. */
	assert_int_equal(fake_sent_count(h->xs), 1);
	ack = sent_json(h, 0);
	assert_string_equal(harness_str(ack, "to"), "feQqD9P957k:APA91bH");
	assert_string_equal(harness_str(ack, "message_id"), "1234567");
	assert_string_equal(harness_str(ack, "message_type"), "ack");
	json_decref(ack);
	ev = harness_expect(h, "fcm_ack_sent", 0);
	assert_string_equal(harness_str(ev, "message_id"), "1234567");
	json_decref(ev);
	/* No chat message is made of it. */
	assert_int_equal(harness_find(h, "message", 0), -1);
}

static void test_without_autoack_nothing_is_sent(void **state)
{
	struct harness *h = *state;

	online(h);
	gcm(h, "{\"from\":\"dev\", \"message_id\":\"m1\", \"data\":{}}");
	json_decref(harness_expect(h, "fcm", 0));
	assert_int_equal(fake_sent_count(h->xs), 0);
	assert_int_equal(harness_find(h, "fcm_ack_sent", 0), -1);
	/* An ack by hand is sent at once, outside the window. */
	assert_int_equal(harness_input(h,
	                               "/fcm send {\"to\":\"dev\",\"message_id\":\"m1\","
	                               "\"message_type\":\"ack\"}",
	                               7),
	                 0);
	assert_int_equal(fake_sent_count(h->xs), 1);
	assert_true(harness_find(h, "fcm_ack_sent", 0) >= 0);
	assert_int_equal(harness_find(h, "fcm_sent", 0), -1);
}

static void test_malformed_json_is_reported_not_acked_not_fatal(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	online(h);
	gcm(h, "{\"from\":\"dev\", \"message_id\":\"m1\", \"data\": {");
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "fcm-malformed");
	assert_non_null(strstr(harness_str(ev, "text"), "not acknowledged"));
	json_decref(ev);
	gcm(h, "[1, 2]");
	gcm(h, "");
	gcm(h, "{\"message_type\": 7, \"message_id\":\"m2\"}");
	assert_int_equal(harness_count(h, "error", 0), 4);
	assert_int_equal(fake_sent_count(h->xs), 0);
	assert_int_equal(harness_find(h, "disconnected", 0), -1);
	assert_int_equal(fake_closes(h->xs), 0);
	/* The session goes on. */
	gcm(h, "{\"from\":\"dev\", \"message_id\":\"m3\"}");
	assert_true(harness_find(h, "fcm_ack_sent", 0) >= 0);
}

static void test_strings_reach_events_sanitised(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	online(h);
	gcm(h, "{\"from\":\"dev\\u001b[31m\", \"message_id\":\"m1\", "
	       "\"data\":{\"k\\u001b\":[\"\\u001b]0;title\\u0007x\"]}}");
	ev = harness_expect(h, "fcm", 0);
	assert_null(strchr(harness_str(ev, "from"), '\033'));
	assert_null(strstr(h->events[harness_find(h, "fcm", 0)], "\\u001b"));
	assert_null(strstr(h->events[harness_find(h, "fcm", 0)], "\\u0007"));
	json_decref(ev);
}

static void test_receipt_is_reported_and_acked(void **state)
{
	struct harness *h = *state;
	json_t *ev, *ack;

	online(h);
	gcm(h, "{\"category\":\"com.gmail.rajeshkhumanthem.seabus\", \"data\": {"
	       "\"device_registration_id\":\"feQxxxxxxxa\", \"message_status\":"
	       "\"MESSAGE_SENT_TO_DEVICE\", \"original_message_id\":\"39\"}, "
	       "\"from\":\"gcm.googleapis.com\", \"message_id\":\"dr2:39\", "
	       "\"message_type\":\"receipt\", \"time_to_live\":0}");
	ev = harness_expect(h, "fcm", 0);
	assert_string_equal(harness_str(ev, "message_type"), "receipt");
	assert_string_equal(harness_str(ev, "message_id"), "dr2:39");
	assert_string_equal(harness_str(json_object_get(ev, "data"), "original_message_id"), "39");
	json_decref(ev);
	ack = sent_json(h, 0);
	assert_string_equal(harness_str(ack, "message_id"), "dr2:39");
	assert_string_equal(harness_str(ack, "to"), "gcm.googleapis.com");
	assert_string_equal(harness_str(ack, "message_type"), "ack");
	json_decref(ack);
}

/* ---- downstream ---- */

static void test_send_adds_message_id_and_matches_ack_and_nack(void **state)
{
	struct harness *h = *state;
	json_t *out, *ev;
	char *id;

	online(h);
	assert_int_equal(harness_input(h,
	                               "/fcm send {\"to\":\"bk3RNwTe3H0\", "
	                               "\"data\":{\"greeting\":\"Hello World\"}}",
	                               5),
	                 0);
	out = sent_json(h, 0);
	assert_string_equal(harness_str(out, "to"), "bk3RNwTe3H0");
	assert_non_null(harness_str(out, "message_id"));
	assert_true(strlen(harness_str(out, "message_id")) > 0);
	id = strdup(harness_str(out, "message_id"));
	json_decref(out);
	ev = harness_expect(h, "fcm_sent", 0);
	assert_string_equal(harness_str(ev, "message_id"), id);
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 5);
	json_decref(ev);
	/* Two messages never share a message_id. */
	assert_int_equal(harness_input(h, "/fcm send {\"to\":\"x\"}", 6), 0);
	out = sent_json(h, 1);
	assert_string_not_equal(harness_str(out, "message_id"), id);
	json_decref(out);
	/* Its ack, matched and reported where /fcm send was typed. */
	harness_clear(h);
	fake_receivef(h->xs,
	              "<message><gcm xmlns='google:mobile:data'>{\"from\":\"bk3RNwTe3H0\", "
	              "\"message_id\":\"%s\", \"message_type\":\"ack\"}</gcm></message>",
	              id);
	ev = harness_expect(h, "fcm", 0);
	assert_string_equal(harness_str(ev, "message_type"), "ack");
	assert_string_equal(harness_str(ev, "message_id"), id);
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 5);
	json_decref(ev);
	free(id);
	/* A nack names the service's error (the seed's own example, with a
	 * prefixed element). */
	assert_int_equal(
	    harness_input(h, "/fcm send {\"to\":\"eQq\",\"message_id\":\"800001\"}", 9), 0);
	fake_receive(h->xs,
	             "<message><data:gcm xmlns:data='google:mobile:data'>"
	             "{ \"message_type\":\"nack\", \"from\":\"eQq\", \"message_id\":\"800001\", "
	             "\"error\":\"BAD_REGISTRATION\", \"error_description\":\"\" }"
	             "</data:gcm></message>");
	ev = harness_expect(h, "fcm", (size_t)harness_find(h, "fcm_sent", 0) + 1);
	assert_string_equal(harness_str(ev, "message_type"), "nack");
	assert_string_equal(harness_str(ev, "error"), "BAD_REGISTRATION");
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 9);
	json_decref(ev);
	/* A duplicate message_id while the first waits is refused. */
	harness_clear(h);
	assert_int_equal(harness_input(h, "/fcm send {\"message_id\":\"dup\"}", 10), 0);
	assert_int_equal(harness_input(h, "/fcm send {\"message_id\":\"dup\"}", 11), -1);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(harness_str(ev, "condition"), "conflict");
	json_decref(ev);
	assert_int_equal(harness_input(h, "/fcm send not json", 12), -1);
}

static void test_hundred_in_flight_then_the_rest_wait(void **state)
{
	struct harness *h = *state;
	char line[128];
	json_t *ev;

	online(h);
	for (int i = 0; i < 130; i++) {
		snprintf(line, sizeof line, "/fcm send {\"to\":\"d\",\"message_id\":\"w%d\"}", i);
		assert_int_equal(harness_input(h, line, 1), 0);
	}
	assert_int_equal(fake_sent_count(h->xs), 100);
	assert_int_equal(harness_count(h, "fcm_sent", 0), 100);
	assert_int_equal(harness_count(h, "fcm_waiting", 0), 30);
	ev = harness_expect(h, "fcm_waiting", 0);
	assert_string_equal(harness_str(ev, "reason"), "window");
	assert_string_equal(harness_str(ev, "message_id"), "w100");
	json_decref(ev);
	/* Each answer lets one more go, in order. */
	for (int i = 0; i < 10; i++)
		fake_receivef(h->xs,
		              "<message><gcm xmlns='google:mobile:data'>{\"message_type\":"
		              "\"%s\",\"message_id\":\"w%d\",\"from\":\"d\"}</gcm></message>",
		              i % 2 ? "ack" : "nack", i);
	assert_int_equal(fake_sent_count(h->xs), 110);
	for (int i = 0; i < 10; i++) {
		json_t *o = sent_json(h, 100 + (size_t)i);

		snprintf(line, sizeof line, "w%d", 100 + i);
		assert_string_equal(harness_str(o, "message_id"), line);
		json_decref(o);
	}
}

/* ---- CONNECTION_DRAINING ---- */

static void test_connection_draining(void **state)
{
	struct harness *h = *state;
	size_t before;
	json_t *ev;

	online(h);
	/* Two in flight on the first connection. */
	assert_int_equal(harness_input(h, "/fcm send {\"to\":\"d\",\"message_id\":\"a1\"}", 1), 0);
	assert_int_equal(harness_input(h, "/fcm send {\"to\":\"d\",\"message_id\":\"a2\"}", 1), 0);
	assert_int_equal(fake_sent_count(h->xs), 2);
	gcm(h, "{\"message_type\":\"control\", \"control_type\":\"CONNECTION_DRAINING\"}");
	ev = harness_expect(h, "fcm", 0);
	assert_string_equal(harness_str(ev, "message_type"), "control");
	assert_string_equal(harness_str(ev, "control_type"), "CONNECTION_DRAINING");
	json_decref(ev);
	/* A new connection at once, beside the old one. */
	assert_int_equal(fake_replaces(h->xs), 1);
	assert_true(harness_find(h, "connecting", 0) >= 0);
	/* Queued meanwhile: nothing goes out on the draining connection. */
	assert_int_equal(harness_input(h, "/fcm send {\"to\":\"d\",\"message_id\":\"b1\"}", 2), 0);
	assert_int_equal(harness_input(h, "/fcm send {\"to\":\"d\",\"message_id\":\"b2\"}", 2), 0);
	ev = harness_expect(h, "fcm_waiting", 0);
	assert_string_equal(harness_str(ev, "reason"), "draining");
	json_decref(ev);
	/* The old connection still answers a1, and a device's message comes
	 * on it: its ack waits for the new connection too. */
	fake_receive(h->xs, "<message><gcm xmlns='google:mobile:data'>{\"message_type\":\"ack\","
	                    "\"message_id\":\"a1\",\"from\":\"d\"}</gcm></message>");
	gcm(h, "{\"from\":\"dev\", \"message_id\":\"up1\"}");
	assert_int_equal(fake_sent_count(h->xs), 2);
	/* The new connection: the ack, then b1 and b2; a2 stays in flight on
	 * the old one. */
	harness_clear(h);
	online(h);
	assert_int_equal(fake_sent_count(h->xs), 5);
	{
		json_t *o2 = sent_json(h, 2), *o3 = sent_json(h, 3), *o4 = sent_json(h, 4);

		assert_string_equal(harness_str(o2, "message_type"), "ack");
		assert_string_equal(harness_str(o2, "message_id"), "up1");
		assert_string_equal(harness_str(o3, "message_id"), "b1");
		assert_string_equal(harness_str(o4, "message_id"), "b2");
		json_decref(o2);
		json_decref(o3);
		json_decref(o4);
	}
	/* The old connection ends without answering a2: it goes again, once. */
	before = fake_sent_count(h->xs);
	fake_drained(h->xs);
	assert_int_equal(fake_sent_count(h->xs), before + 1);
	{
		json_t *o = sent_json(h, before);

		assert_string_equal(harness_str(o, "message_id"), "a2");
		json_decref(o);
	}
	ev = harness_expect(h, "fcm_waiting", 0);
	assert_string_equal(harness_str(ev, "reason"), "resend");
	json_decref(ev);
	/* Nothing was sent twice but a2, which the old connection never
	 * answered; a1 was answered there and never went again. */
	for (size_t i = 0; i < fake_sent_count(h->xs); i++)
		for (size_t k = i + 1; k < fake_sent_count(h->xs); k++) {
			json_t *x = sent_json(h, i), *y = sent_json(h, k);

			if (!strcmp(harness_str(x, "message_id"), harness_str(y, "message_id")))
				assert_string_equal(harness_str(x, "message_id"), "a2");
			json_decref(x);
			json_decref(y);
		}
}

static void test_connection_draining_nack_goes_to_the_new_connection(void **state)
{
	struct harness *h = *state;
	json_t *o;

	online(h);
	assert_int_equal(harness_input(h, "/fcm send {\"to\":\"d\",\"message_id\":\"c1\"}", 1), 0);
	gcm(h, "{\"message_type\":\"control\", \"control_type\":\"CONNECTION_DRAINING\"}");
	/* The service refuses c1 on the draining connection: it goes on the
	 * new one, not on this one. */
	fake_receive(h->xs,
	             "<message><gcm xmlns='google:mobile:data'>{\"message_type\":\"nack\","
	             "\"message_id\":\"c1\",\"from\":\"d\",\"error\":\"CONNECTION_DRAINING\"}"
	             "</gcm></message>");
	assert_int_equal(fake_sent_count(h->xs), 1);
	online(h);
	assert_int_equal(fake_sent_count(h->xs), 2);
	o = sent_json(h, 1);
	assert_string_equal(harness_str(o, "message_id"), "c1");
	json_decref(o);
	/* The old connection's end sends nothing more. */
	fake_drained(h->xs);
	assert_int_equal(fake_sent_count(h->xs), 2);
}

static void test_lost_connection_sends_unanswered_again(void **state)
{
	struct harness *h = *state;
	json_t *o;

	online(h);
	assert_int_equal(harness_input(h, "/fcm send {\"to\":\"d\",\"message_id\":\"l1\"}", 1), 0);
	fake_offline(h->xs, NET_FAIL_NETWORK, NULL, "lost");
	assert_int_equal(harness_input(h, "/fcm send {\"to\":\"d\",\"message_id\":\"l2\"}", 1), 0);
	online(h);
	assert_int_equal(fake_sent_count(h->xs), 3);
	o = sent_json(h, 1);
	assert_string_equal(harness_str(o, "message_id"), "l1");
	json_decref(o);
	o = sent_json(h, 2);
	assert_string_equal(harness_str(o, "message_id"), "l2");
	json_decref(o);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_service_session_binds_server_resource_and_asks_nothing),
	    T(test_upstream_is_reported_and_acked),
	    cmocka_unit_test_setup_teardown(test_without_autoack_nothing_is_sent, setup_no_autoack,
	                                    teardown),
	    T(test_malformed_json_is_reported_not_acked_not_fatal),
	    T(test_strings_reach_events_sanitised),
	    T(test_receipt_is_reported_and_acked),
	    T(test_send_adds_message_id_and_matches_ack_and_nack),
	    T(test_hundred_in_flight_then_the_rest_wait),
	    T(test_connection_draining),
	    T(test_connection_draining_nack_goes_to_the_new_connection),
	    T(test_lost_connection_sends_unanswered_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
