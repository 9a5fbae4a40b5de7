/* The core's everyday messaging through the fake session: corrections
 * (XEP-0308), retractions (XEP-0424), chat markers (XEP-0333), blocking
 * (XEP-0191), links (XEP-0066), /me (XEP-0245), client state (XEP-0352)
 * and the XMPP half of file upload (XEP-0363). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/core.h"
#include "core/correct.h"
#include "core_harness.h"

#define ME "alice@example.org"
#define BOB "bob@example.org"
#define PHONE BOB "/phone"

static int setup(void **state)
{
	*state = harness_new(ME, "[history]\nmam_initial = 0\n");
	return 0;
}

static int teardown(void **state)
{
	harness_free(*state);
	return 0;
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The messages of the newest history event after from. */
static json_t *history(struct harness *h, const char *cmd)
{
	size_t mark = harness_mark(h);
	json_t *ev;

	assert_int_equal(harness_input(h, cmd, 1), 0);
	ev = harness_expect(h, "history", mark);
	return ev;
}

static size_t count(struct harness *h, const char *name, size_t from)
{
	size_t n = 0;
	long i;

	while ((i = harness_find(h, name, from)) >= 0) {
		n++;
		from = (size_t)i + 1;
	}
	return n;
}

static void chat_from(struct harness *h, const char *from, const char *id, const char *body,
		      const char *extra)
{
	fake_receivef(h->xs,
		      "<message type='chat' from='%s' to='" ME "/natter' id='%s'><body>%s</body>%s"
		      "</message>",
		      from, id, body, extra ? extra : "");
}

/* ---- corrections ---- */

static void test_correction_from_the_sender_is_applied(void **state)
{
	struct harness *h = *state;
	json_t *ev, *msgs;
	size_t mark;

	harness_online_quiet(h);
	chat_from(h, PHONE, "m1", "helo wrld", NULL);
	mark = harness_mark(h);
	chat_from(h, PHONE, "m2", "hello world",
		  "<replace xmlns='urn:xmpp:message-correct:0' id='m1'/>");
	ev = harness_expect(h, "message", mark);
	assert_string_equal(str(ev, "replaces"), "m1");
	assert_string_equal(str(ev, "body"), "hello world");
	json_decref(ev);
	harness_advance(h, 10);
	ev = history(h, "/history " BOB);
	msgs = json_object_get(ev, "messages");
	assert_int_equal(json_array_size(msgs), 1);
	assert_string_equal(str(json_array_get(msgs, 0), "body"), "hello world");
	assert_true(json_is_true(json_object_get(json_array_get(msgs, 0), "edited")));
	json_decref(ev);
	harness_advance(h, 10);
	ev = history(h, "/history search wrld");
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 0);
	json_decref(ev);
	/* A correction naming the last correction still finds the message. */
	mark = harness_mark(h);
	chat_from(h, PHONE, "m3", "hello, world",
		  "<replace xmlns='urn:xmpp:message-correct:0' id='m2'/>");
	ev = harness_expect(h, "message", mark);
	assert_string_equal(str(ev, "replaces"), "m2");
	json_decref(ev);
	ev = history(h, "/history " BOB);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 1);
	json_decref(ev);
}

static void test_correction_from_anyone_else_is_ordinary(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	size_t mark;

	harness_online_quiet(h);
	chat_from(h, PHONE, "m1", "the original", NULL);
	mark = harness_mark(h);
	/* Another resource of the same account, then the same id from
	 * another account. */
	chat_from(h, BOB "/laptop", "x1", "sibling",
		  "<replace xmlns='urn:xmpp:message-correct:0' id='m1'/>");
	chat_from(h, "mallory@example.org/m", "x2", "stranger",
		  "<replace xmlns='urn:xmpp:message-correct:0' id='m1'/>");
	ev = harness_expect(h, "message", mark);
	assert_null(json_object_get(ev, "replaces"));
	assert_string_equal(str(ev, "body"), "sibling");
	json_decref(ev);
	ev = harness_expect(h, "message", mark + 1);
	assert_null(json_object_get(ev, "replaces"));
	json_decref(ev);
	ev = history(h, "/history " BOB);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 2);
	assert_null(json_object_get(json_array_get(json_object_get(ev, "messages"), 0), "edited"));
	json_decref(ev);
}

static void test_correction_rule_for_rooms(void **state)
{
	struct correct_sender a = {"room@muc.example.org/ann", NULL, true};
	struct correct_sender b = {"room@muc.example.org/ann", NULL, true};
	struct correct_sender c = {"room@muc.example.org/bea", NULL, true};
	struct correct_sender one = {"room@muc.example.org/ann", NULL, false};

	(void)state;
	assert_true(correct_allowed(&a, &b));
	assert_false(correct_allowed(&a, &c));
	assert_false(correct_allowed(&a, &one));
	/* With occupant ids, they decide, whatever the nick. */
	a.occupant_id = "occ-1";
	c.occupant_id = "occ-1";
	assert_true(correct_allowed(&a, &c));
	b.occupant_id = "occ-2";
	assert_false(correct_allowed(&a, &b));
	b.occupant_id = NULL;
	assert_false(correct_allowed(&a, &b));
}

static void test_correct_command(void **state)
{
	struct harness *h = *state;
	const char *s;
	char *id;
	json_t *ev;
	size_t mark;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/correct " BOB " nothing yet", 1), -1);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(str(ev, "condition"), "item-not-found");
	json_decref(ev);
	assert_int_equal(harness_input(h, "/msg " PHONE " teh cat", 2), 0);
	id = fake_sent_id(h->xs, 0);
	fake_clear_sent(h->xs);
	mark = harness_mark(h);
	assert_int_equal(harness_input(h, "/correct " PHONE " the cat", 3), 0);
	s = fake_sent(h->xs, 0);
	assert_non_null(s);
	assert_non_null(strstr(s, "<body>the cat</body>"));
	assert_non_null(strstr(s, "urn:xmpp:message-correct:0"));
	{
		char *want = NULL;

		assert_true(asprintf(&want, "id=\"%s\"", id) > 0);
		assert_non_null(strstr(strstr(s, "<replace"), want));
		free(want);
	}
	ev = harness_expect(h, "message", mark);
	assert_string_equal(str(ev, "replaces"), id);
	assert_true(json_is_true(json_object_get(ev, "outgoing")));
	json_decref(ev);
	ev = history(h, "/history " BOB);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 1);
	assert_string_equal(str(json_array_get(json_object_get(ev, "messages"), 0), "body"), "the cat");
	json_decref(ev);
	free(id);
}

/* ---- retractions ---- */

static void test_retraction_from_the_sender(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	size_t mark;

	harness_online_quiet(h);
	chat_from(h, PHONE, "r1", "secret plan", NULL);
	chat_from(h, PHONE, "r2", "older form", NULL);
	harness_advance(h, 10);
	harness_advance(h, 10); /* indexed for search */
	mark = harness_mark(h);
	chat_from(h, "mallory@example.org/m", "x1", "fallback",
		  "<retract xmlns='urn:xmpp:message-retract:1' id='r1'/>");
	assert_int_equal(harness_find(h, "retracted", mark), -1);
	assert_int_equal(harness_find(h, "message", mark), -1);
	/* The same account's other client may. */
	chat_from(h, BOB "/laptop", "x2", "fallback",
		  "<retract xmlns='urn:xmpp:message-retract:1' id='r1'/>");
	ev = harness_expect(h, "retracted", mark);
	assert_string_equal(str(ev, "id"), "r1");
	json_decref(ev);
	/* XEP-0422 fastening, the earlier form. */
	chat_from(h, PHONE, "x3", "fallback",
		  "<apply-to xmlns='urn:xmpp:fasten:0' id='r2'>"
		  "<retract xmlns='urn:xmpp:message-retract:0'/></apply-to>");
	assert_int_equal(count(h, "retracted", mark), 2);
	assert_int_equal(harness_find(h, "message", mark), -1);
	/* Without a fallback body too. */
	chat_from(h, PHONE, "r4", "one more", NULL);
	fake_receive(h->xs, "<message type='chat' from='" PHONE "' to='" ME "/natter' id='x4'>"
			    "<retract xmlns='urn:xmpp:message-retract:1' id='r4'/></message>");
	assert_int_equal(count(h, "retracted", mark), 3);
	/* A copy changes nothing. */
	chat_from(h, PHONE, "x3", "fallback",
		  "<apply-to xmlns='urn:xmpp:fasten:0' id='r2'>"
		  "<retract xmlns='urn:xmpp:message-retract:0'/></apply-to>");
	assert_int_equal(count(h, "retracted", mark), 3);
	ev = history(h, "/history " BOB);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 3);
	assert_string_equal(str(json_array_get(json_object_get(ev, "messages"), 0), "body"), "");
	assert_true(json_is_true(
	    json_object_get(json_array_get(json_object_get(ev, "messages"), 0), "retracted")));
	json_decref(ev);
	harness_advance(h, 10);
	ev = history(h, "/history search secret");
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 0);
	json_decref(ev);
}

/* ---- markers ---- */

static void test_markers(void **state)
{
	struct harness *h = *state;
	const char *s;
	char *id, *marker = NULL;
	json_t *ev;
	size_t mark;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/msg " PHONE " read me", 1), 0);
	s = fake_sent(h->xs, 0);
	assert_non_null(strstr(s, "<markable xmlns=\"urn:xmpp:chat-markers:0\"/>"));
	id = fake_sent_id(h->xs, 0);
	mark = harness_mark(h);
	/* A stranger's marker is not reported and touches nothing of ours. */
	assert_true(asprintf(&marker, "<displayed xmlns='urn:xmpp:chat-markers:0' id='%s'/>", id) >
		    0);
	fake_receivef(h->xs, "<message from='mallory@example.org/m' to='" ME "/natter' id='k'>%s"
			     "</message>",
		      marker);
	assert_int_equal(harness_find(h, "marker", mark), -1);
	ev = history(h, "/history " BOB);
	assert_string_equal(str(json_array_get(json_object_get(ev, "messages"), 0), "delivery"),
			    "sent");
	json_decref(ev);
	fake_receivef(h->xs, "<message from='" PHONE "' to='" ME "/natter' id='k2'>%s</message>",
		      marker);
	ev = harness_expect(h, "marker", mark);
	assert_string_equal(str(ev, "type"), "displayed");
	assert_string_equal(str(ev, "id"), id);
	assert_string_equal(str(ev, "from"), PHONE);
	json_decref(ev);
	ev = history(h, "/history " BOB);
	assert_string_equal(str(json_array_get(json_object_get(ev, "messages"), 0), "delivery"),
			    "displayed");
	json_decref(ev);
	/* A late receipt does not take it back. */
	fake_receivef(h->xs,
		      "<message from='" PHONE "' to='" ME "/natter' id='rc'>"
		      "<received xmlns='urn:xmpp:receipts' id='%s'/></message>",
		      id);
	ev = history(h, "/history " BOB);
	assert_string_equal(str(json_array_get(json_object_get(ev, "messages"), 0), "delivery"),
			    "displayed");
	json_decref(ev);
	free(marker);
	free(id);
}

static void test_displayed_sent_when_asked(void **state)
{
	struct harness *h = *state;
	const char *s;
	size_t i = 0;

	harness_online_quiet(h);
	chat_from(h, PHONE, "k1", "not markable", NULL);
	assert_null(fake_find_sent(h->xs, 0, "chat-markers", NULL));
	assert_int_equal(harness_input(h, "/read " BOB, 1), 0);
	assert_null(fake_find_sent(h->xs, 0, "<displayed", NULL));
	chat_from(h, PHONE, "k2", "markable", "<markable xmlns='urn:xmpp:chat-markers:0'/>");
	/* Nothing by itself (headless reads nothing unless told). */
	assert_null(fake_find_sent(h->xs, 0, "<displayed", NULL));
	assert_int_equal(harness_input(h, "/read " BOB, 2), 0);
	s = fake_find_sent(h->xs, 0, "<displayed", &i);
	assert_non_null(s);
	assert_non_null(strstr(s, "id=\"k2\""));
	assert_non_null(strstr(s, "to=\"" PHONE "\""));
	assert_non_null(strstr(s, "urn:xmpp:hints"));
	/* Once. */
	assert_int_equal(harness_input(h, "/read " BOB, 3), 0);
	assert_null(fake_find_sent(h->xs, i + 1, "<displayed", NULL));
	chat_from(h, PHONE, "k3", "again", "<markable xmlns='urn:xmpp:chat-markers:0'/>");
	/* By itself (the terminal UI showed it), only to whom may see our
	 * presence: a marker says we are here. */
	assert_int_equal(core_chat_displayed(h->core, BOB), 0);
	assert_null(fake_find_sent(h->xs, i + 1, "id=\"k3\"", NULL));
	fake_receive(h->xs, "<iq type='set' id='rp'><query xmlns='jabber:iq:roster'>"
			    "<item jid='" BOB "' subscription='from'/></query></iq>");
	assert_int_equal(core_chat_displayed(h->core, BOB), 0);
	assert_non_null(fake_find_sent(h->xs, i + 1, "id=\"k3\"", NULL));
}

static void test_displayed_follows_the_setting(void **state)
{
	struct harness *h = harness_new(ME, "[history]\nmam_initial = 0\n"
					    "[privacy]\nread_markers = false\n");

	(void)state;
	harness_online_quiet(h);
	chat_from(h, PHONE, "k2", "markable", "<markable xmlns='urn:xmpp:chat-markers:0'/>");
	assert_int_equal(core_chat_displayed(h->core, BOB), 0);
	assert_null(fake_find_sent(h->xs, 0, "<displayed", NULL));
	harness_free(h);
}

/* ---- blocking ---- */

static void block_bob(struct harness *h)
{
	fake_receive(h->xs, "<iq type='set' id='push1'><block xmlns='urn:xmpp:blocking'>"
			    "<item jid='" BOB "'/></block></iq>");
}

static void test_blocked_jid_is_not_shown(void **state)
{
	struct harness *h = *state;
	size_t mark;

	harness_online_quiet(h);
	block_bob(h);
	assert_non_null(fake_find_sent(h->xs, 0, "id=\"push1\"", NULL));
	json_decref(harness_expect(h, "blocklist", 0));
	mark = harness_mark(h);
	chat_from(h, PHONE, "b1", "spam", NULL);
	fake_receive(h->xs, "<presence from='" PHONE "'/>");
	fake_receive(h->xs, "<presence from='" BOB "' type='subscribe'/>");
	/* From the archive, too. */
	fake_receive(h->xs, "<message from='" ME "'><result xmlns='urn:xmpp:mam:2' id='a1' "
			    "queryid='none'><forwarded xmlns='urn:xmpp:forward:0'>"
			    "<message type='chat' from='" PHONE "' to='" ME "'><body>old</body>"
			    "</message></forwarded></result></message>");
	/* A carbon of what our other client got from it. */
	fake_receive(h->xs, "<message from='" ME "' type='chat'><received xmlns='urn:xmpp:carbons:2'>"
			    "<forwarded xmlns='urn:xmpp:forward:0'><message type='chat' from='" PHONE
			    "' to='" ME "/other' id='c1'><body>carbon</body></message></forwarded>"
			    "</received></message>");
	assert_int_equal(harness_find(h, "message", mark), -1);
	assert_int_equal(harness_find(h, "presence", mark), -1);
	assert_int_equal(harness_find(h, "subscription", mark), -1);
	/* Going offline still shows. */
	fake_receive(h->xs, "<presence from='" PHONE "' type='unavailable'/>");
	assert_true(harness_find(h, "presence", mark) >= 0);
	/* Unblocked by another of our clients: shown again. */
	fake_receive(h->xs, "<iq type='set' id='push2'><unblock xmlns='urn:xmpp:blocking'>"
			    "<item jid='" BOB "'/></unblock></iq>");
	chat_from(h, PHONE, "b2", "hello again", NULL);
	assert_true(harness_find(h, "message", mark) >= 0);
}

static void test_domain_block_and_foreign_push(void **state)
{
	struct harness *h = *state;
	size_t mark;

	harness_online_quiet(h);
	fake_receive(h->xs, "<iq type='set' id='evil' from='mallory@example.org/m'>"
			    "<block xmlns='urn:xmpp:blocking'><item jid='" BOB "'/></block></iq>");
	assert_non_null(fake_find_sent(h->xs, 0, "<forbidden", NULL));
	fake_receive(h->xs, "<iq type='set' id='push1'><block xmlns='urn:xmpp:blocking'>"
			    "<item jid='spam.example'/></block></iq>");
	mark = harness_mark(h);
	chat_from(h, PHONE, "b1", "not blocked", NULL);
	chat_from(h, "anyone@spam.example/x", "b2", "blocked by domain", NULL);
	assert_int_equal(count(h, "message", mark), 1);
}

static void test_block_command(void **state)
{
	struct harness *h = *state;
	char *id;
	size_t i, mark;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/block " BOB, 5), 0);
	/* First: can the server block at all? */
	id = fake_sent_id(h->xs, 0);
	assert_non_null(strstr(fake_sent(h->xs, 0), "disco#info"));
	fake_receivef(h->xs,
		      "<iq type='result' id='%s' from='example.org'><query "
		      "xmlns='http://jabber.org/protocol/disco#info'><feature var='urn:xmpp:blocking'/>"
		      "</query></iq>",
		      id);
	free(id);
	assert_non_null(fake_find_sent(h->xs, 1, "<block xmlns=\"urn:xmpp:blocking\">", &i));
	id = fake_sent_id(h->xs, i);
	mark = harness_mark(h);
	fake_receivef(h->xs, "<iq type='result' id='%s'/>", id);
	free(id);
	ev = harness_expect(h, "blocklist", mark);
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 5);
	assert_string_equal(json_string_value(json_array_get(json_object_get(ev, "items"), 0)), BOB);
	json_decref(ev);
}

static void test_server_without_blocking(void **state)
{
	struct harness *h = *state;
	char *id;
	json_t *ev;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/block " BOB, 5), 0);
	id = fake_sent_id(h->xs, 0);
	fake_receivef(h->xs,
		      "<iq type='result' id='%s' from='example.org'><query "
		      "xmlns='http://jabber.org/protocol/disco#info'/></iq>",
		      id);
	free(id);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(str(ev, "condition"), "feature-not-implemented");
	assert_non_null(strstr(str(ev, "text"), "XEP-0191"));
	json_decref(ev);
	assert_null(fake_find_sent(h->xs, 0, "<block", NULL));
}

/* ---- links, /me ---- */

static void test_out_of_band_links(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	size_t mark = 0;

	harness_online_quiet(h);
	chat_from(h, PHONE, "o1", "look",
		  "<x xmlns='jabber:x:oob'><url> https://example.org/cat.jpg </url></x>");
	ev = harness_expect(h, "message", mark);
	assert_string_equal(str(ev, "oob_url"), "https://example.org/cat.jpg");
	json_decref(ev);
	mark = harness_mark(h);
	chat_from(h, PHONE, "o2", "bad", "<x xmlns='jabber:x:oob'><url>javascript:alert(1)</url></x>");
	chat_from(h, PHONE, "o3", "bad", "<x xmlns='jabber:x:oob'><url>file:///etc/passwd</url></x>");
	ev = harness_expect(h, "message", mark);
	assert_null(json_object_get(ev, "oob_url"));
	json_decref(ev);
	ev = harness_expect(h, "message", mark + 1);
	assert_null(json_object_get(ev, "oob_url"));
	json_decref(ev);
	/* /open with nothing to open says so. */
	assert_int_equal(harness_input(h, "/open nobody@example.org", 7), -1);
	ev = harness_expect(h, "error", mark);
	assert_string_equal(str(ev, "condition"), "item-not-found");
	json_decref(ev);
}

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
	chat_from(h, PHONE, "a1", "/me smiles", NULL);
	chat_from(h, PHONE, "a2", "/me", NULL);
	ev = harness_expect(h, "message", (size_t)harness_find(h, "message", 0) + 1);
	assert_true(json_is_true(json_object_get(ev, "action")));
	json_decref(ev);
	ev = harness_expect(h, "message", (size_t)harness_find(h, "message", 0) + 2);
	assert_null(json_object_get(ev, "action"));
	json_decref(ev);
}

/* ---- client state ---- */

static void test_client_state(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	/* Not offered: refused, and nothing is sent. */
	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/csi inactive", 1), -1);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(str(ev, "condition"), "feature-not-implemented");
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

/* ---- upload: the XMPP half ---- */

static char *file_of(size_t size)
{
	char tmpl[] = "/tmp/natter-upload-XXXXXX";
	int fd = mkstemp(tmpl);
	char *buf = calloc(1, size + 1);

	assert_true(fd >= 0);
	assert_non_null(buf);
	assert_int_equal(write(fd, buf, size), (ssize_t)size);
	close(fd);
	free(buf);
	return strdup(tmpl);
}

/* /upload up to the slot request: the server lists upload.example.org,
 * which takes files of at most max bytes. */
static void find_service(struct harness *h, const char *max)
{
	char *id = fake_sent_id(h->xs, 0);
	size_t i;

	assert_non_null(strstr(fake_sent(h->xs, 0), "disco#items"));
	assert_non_null(strstr(fake_sent(h->xs, 0), "to=\"example.org\""));
	fake_receivef(h->xs,
		      "<iq type='result' id='%s' from='example.org'><query "
		      "xmlns='http://jabber.org/protocol/disco#items'><item jid='muc.example.org'/>"
		      "<item jid='upload.example.org'/></query></iq>",
		      id);
	free(id);
	assert_non_null(fake_find_sent(h->xs, 1, "to=\"muc.example.org\"", &i));
	id = fake_sent_id(h->xs, i);
	fake_receivef(h->xs,
		      "<iq type='error' id='%s' from='muc.example.org'><error type='cancel'>"
		      "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
		      id);
	free(id);
	assert_non_null(fake_find_sent(h->xs, i + 1, "to=\"upload.example.org\"", &i));
	id = fake_sent_id(h->xs, i);
	fake_receivef(h->xs,
		      "<iq type='result' id='%s' from='upload.example.org'><query "
		      "xmlns='http://jabber.org/protocol/disco#info'><identity category='store' "
		      "type='file'/><feature var='urn:xmpp:http:upload:0'/><x xmlns='jabber:x:data' "
		      "type='result'><field var='FORM_TYPE' type='hidden'><value>urn:xmpp:http:upload:0"
		      "</value></field><field var='max-file-size'><value>%s</value></field></x>"
		      "</query></iq>",
		      id, max);
	free(id);
}

static void test_upload_over_the_limit(void **state)
{
	struct harness *h = *state;
	char *path = file_of(2000), *cmd = NULL;
	json_t *ev;

	harness_online_quiet(h);
	assert_true(asprintf(&cmd, "/upload " BOB " %s", path) > 0);
	assert_int_equal(harness_input(h, cmd, 4), 0);
	find_service(h, "1000");
	ev = harness_expect(h, "error", 0);
	assert_string_equal(str(ev, "condition"), "not-acceptable");
	assert_non_null(strstr(str(ev, "text"), "1000 bytes"));
	assert_non_null(strstr(str(ev, "text"), "2000 bytes"));
	json_decref(ev);
	assert_null(fake_find_sent(h->xs, 0, "urn:xmpp:http:upload:0\" filename", NULL));
	assert_null(fake_find_sent(h->xs, 0, "<request", NULL));
	/* The service is known now: the next one is refused at once. */
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, cmd, 5), 0);
	assert_int_equal(fake_sent_count(h->xs), 0);
	assert_int_equal(count(h, "error", 0), 2);
	unlink(path);
	free(path);
	free(cmd);
}

static void test_upload_slot_checks(void **state)
{
	struct harness *h = *state;
	char *path = file_of(10), *cmd = NULL, *id;
	size_t i;
	json_t *ev;

	harness_online_quiet(h);
	assert_true(asprintf(&cmd, "/upload " BOB " %s", path) > 0);
	assert_int_equal(harness_input(h, cmd, 4), 0);
	find_service(h, "1000");
	assert_non_null(fake_find_sent(h->xs, 0, "<request", &i));
	assert_non_null(strstr(fake_sent(h->xs, i), "size=\"10\""));
	id = fake_sent_id(h->xs, i);
	/* Plain HTTP is refused (XEP-0363 §4). */
	fake_receivef(h->xs,
		      "<iq type='result' id='%s' from='upload.example.org'><slot "
		      "xmlns='urn:xmpp:http:upload:0'><put url='http://upload.example.org/x'/>"
		      "<get url='http://upload.example.org/x'/></slot></iq>",
		      id);
	free(id);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(str(ev, "condition"), "bad-request");
	json_decref(ev);
	assert_int_equal(harness_find(h, "upload_progress", 0), -1);
	/* The service's own limit, named. */
	assert_int_equal(harness_input(h, cmd, 5), 0);
	assert_non_null(fake_find_sent(h->xs, i + 1, "<request", &i));
	id = fake_sent_id(h->xs, i);
	fake_receivef(h->xs,
		      "<iq type='error' id='%s' from='upload.example.org'><error type='modify'>"
		      "<not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
		      "<file-too-large xmlns='urn:xmpp:http:upload:0'><max-file-size>5</max-file-size>"
		      "</file-too-large></error></iq>",
		      id);
	free(id);
	ev = harness_expect(h, "error", (size_t)harness_find(h, "error", 0) + 1);
	assert_string_equal(str(ev, "condition"), "not-acceptable");
	assert_non_null(strstr(str(ev, "text"), "5 bytes"));
	json_decref(ev);
	/* An error that says nothing is still an error. */
	assert_int_equal(harness_input(h, cmd, 6), 0);
	assert_non_null(fake_find_sent(h->xs, i + 1, "<request", &i));
	id = fake_sent_id(h->xs, i);
	fake_receivef(h->xs, "<iq type='error' id='%s' from='upload.example.org'/>", id);
	free(id);
	assert_int_equal(count(h, "error", 0), 3);
	unlink(path);
	free(path);
	free(cmd);
}

static void test_upload_without_service(void **state)
{
	struct harness *h = *state;
	char *path = file_of(10), *cmd = NULL, *id;
	json_t *ev;

	harness_online_quiet(h);
	assert_true(asprintf(&cmd, "/upload " BOB " %s", path) > 0);
	assert_int_equal(harness_input(h, cmd, 4), 0);
	id = fake_sent_id(h->xs, 0);
	fake_receivef(h->xs,
		      "<iq type='result' id='%s' from='example.org'><query "
		      "xmlns='http://jabber.org/protocol/disco#items'/></iq>",
		      id);
	free(id);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(str(ev, "condition"), "feature-not-implemented");
	json_decref(ev);
	/* A file that is not there: said before anything is asked. */
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/upload " BOB " /nonexistent/file", 5), -1);
	assert_int_equal(fake_sent_count(h->xs), 0);
	unlink(path);
	free(path);
	free(cmd);
}

/* disco#info announces what these modules do. */
static void test_features(void **state)
{
	struct harness *h = *state;
	const char *s;

	harness_online_quiet(h);
	fake_receive(h->xs, "<iq type='get' id='d1' from='" PHONE "'>"
			    "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
	s = fake_sent(h->xs, 0);
	for (const char *f = "urn:xmpp:message-correct:0\0urn:xmpp:chat-markers:0\0"
			     "urn:xmpp:message-retract:1\0jabber:x:oob\0";
	     *f; f += strlen(f) + 1)
		if (!strstr(s, f))
			fail_msg("disco#info lacks %s: %s", f, s);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_correction_from_the_sender_is_applied),
	    T(test_correction_from_anyone_else_is_ordinary),
	    cmocka_unit_test(test_correction_rule_for_rooms),
	    T(test_correct_command),
	    T(test_retraction_from_the_sender),
	    T(test_markers),
	    T(test_displayed_sent_when_asked),
	    cmocka_unit_test(test_displayed_follows_the_setting),
	    T(test_blocked_jid_is_not_shown),
	    T(test_domain_block_and_foreign_push),
	    T(test_block_command),
	    T(test_server_without_blocking),
	    T(test_out_of_band_links),
	    T(test_me),
	    T(test_client_state),
	    T(test_upload_over_the_limit),
	    T(test_upload_slot_checks),
	    T(test_upload_without_service),
	    T(test_features),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
