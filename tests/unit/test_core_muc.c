/* Group chat and bookmarks through the whole core on the fake session:
 * joining (and every way it fails), occupants, a room's messages and
 * their duplicates, private messages, moderation, invitations, rejoining
 * after a fresh login, self-ping, bookmarks in both storages, and what a
 * hostile room or stranger can and cannot do. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/core.h"
#include "core/muc.h"
#include "core_harness.h"

#define ME         "alice@example.org"
#define FULL       ME "/natter"
#define ROOM       "room@muc.example.org"
#define MUC_X      "<x xmlns='http://jabber.org/protocol/muc#user'>"
#define OCC_ID     "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='%s'/>"
#define OCC_ID_BOB "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='occ-bob'/>"
/* what a room that keeps no archive says of itself */
#define PLAIN_ROOM                                                                                 \
	"<feature var='http://jabber.org/protocol/muc'/>"                                          \
	"<feature var='urn:xmpp:occupant-id:0'/>"
#define ARCHIVED_ROOM PLAIN_ROOM "<feature var='urn:xmpp:mam:2'/>"

static int setup(void **state)
{
	/* keepalive pings would cut the link while tests move the clock */
	*state = harness_new(ME, "[history]\nmam_initial = 0\n[rooms]\nself_ping = 60\n"
	                         "[connection]\nping_interval = 3600\n");
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

/* The sent stanza (from index from on) containing every needle, or fail. */
static size_t sent_with(struct harness *h, size_t from, const char *a, const char *b)
{
	for (size_t i = from; i < fake_sent_count(h->xs); i++) {
		const char *s = fake_sent(h->xs, i);

		if (strstr(s, a) && (!b || strstr(s, b)))
			return i;
	}
	for (size_t i = 0; i < fake_sent_count(h->xs); i++)
		print_error("  sent %zu: %s\n", i, fake_sent(h->xs, i));
	fail_msg("nothing sent with %s%s%s", a, b ? " and " : "", b ? b : "");
	return 0;
}

static bool sent_any(struct harness *h, size_t from, const char *a, const char *b)
{
	for (size_t i = from; i < fake_sent_count(h->xs); i++) {
		const char *s = fake_sent(h->xs, i);

		if (strstr(s, a) && (!b || strstr(s, b)))
			return true;
	}
	return false;
}

/* Answers the disco#info the core sent to jid. */
static void answer_info(struct harness *h, const char *jid, const char *features)
{
	char *to = NULL, *id;
	size_t i;

	assert_true(asprintf(&to, "to=\"%s\"", jid) > 0);
	i = sent_with(h, 0, "disco#info", to);
	free(to);
	id = fake_sent_id(h->xs, i);
	fake_receivef(
	    h->xs,
	    "<iq type='result' id='%s' from='%s'><query "
	    "xmlns='http://jabber.org/protocol/disco#info'><identity category='conference' "
	    "type='text' name='A room'/>%s</query></iq>",
	    id, jid, features);
	free(id);
}

static void occupant(struct harness *h, const char *room, const char *nick, const char *role,
                     const char *affiliation, const char *jid, const char *occ_id)
{
	char *oid = NULL, *jattr = NULL;

	if (occ_id)
		assert_true(asprintf(&oid, OCC_ID, occ_id) > 0);
	if (jid)
		assert_true(asprintf(&jattr, " jid='%s'", jid) > 0);
	fake_receivef(h->xs,
	              "<presence from='%s/%s' to='" FULL "'>" MUC_X
	              "<item affiliation='%s' role='%s'%s/></x>%s</presence>",
	              room, nick, affiliation, role, jattr ? jattr : "", oid ? oid : "");
	free(oid);
	free(jattr);
}

static void self_presence(struct harness *h, const char *room, const char *nick, const char *codes)
{
	fake_receivef(h->xs,
	              "<presence from='%s/%s' to='" FULL "'>" MUC_X
	              "<item affiliation='member' role='participant' jid='" FULL "'/>"
	              "<status code='110'/>%s</x>" OCC_ID "</presence>",
	              room, nick, codes ? codes : "", "occ-me");
}

/* Online, in ROOM as "me" with bob there. */
static void in_room(struct harness *h, const char *features)
{
	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/join " ROOM "/me", 5), 0);
	answer_info(h, ROOM, features);
	occupant(h, ROOM, "bob", "participant", "member", "bob@example.org/phone", "occ-bob");
	self_presence(h, ROOM, "me", NULL);
}

static json_t *history_of(struct harness *h, const char *who)
{
	size_t mark = harness_mark(h);
	char *cmd = NULL;
	json_t *ev;

	harness_advance(h, 0); /* commit */
	assert_true(asprintf(&cmd, "/history %s 100", who) > 0);
	assert_int_equal(harness_input(h, cmd, 77), 0);
	free(cmd);
	ev = harness_expect(h, "history", mark);
	return ev;
}

static size_t count_events(struct harness *h, const char *name, size_t from)
{
	size_t n = 0;

	for (long i = harness_find(h, name, from); i >= 0; i = harness_find(h, name, (size_t)i + 1))
		n++;
	return n;
}

/* ---- joining ---- */

static void test_join_reports_occupants_history_subject(void **state)
{
	struct harness *h = *state;
	json_t *ev, *occ;
	size_t i;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/join " ROOM "/me", 5), 0);
	/* The room is asked what it is first; then the join presence. */
	assert_false(sent_any(h, 0, "<presence", NULL));
	answer_info(h, ROOM, PLAIN_ROOM);
	i = sent_with(h, 0, "<presence", "to=\"" ROOM "/me\"");
	assert_non_null(strstr(fake_sent(h->xs, i), "xmlns=\"http://jabber.org/protocol/muc\""));
	/* Nothing stored of it: the room sends what history it likes. */
	assert_null(strstr(fake_sent(h->xs, i), "<history"));
	occupant(h, ROOM, "bob", "moderator", "owner", "bob@example.org/phone", "occ-bob");
	occupant(h, ROOM, "carol", "visitor", "none", NULL, "occ-carol");
	/* Occupants before the join completes are not reported one by one,
	 * and never as contacts' presence. */
	assert_int_equal(harness_find(h, "muc_presence", 0), -1);
	assert_int_equal(harness_find(h, "presence", 0), -1);
	assert_int_equal(harness_find(h, "muc_joined", 0), -1);
	self_presence(h, ROOM, "me", NULL);
	ev = harness_expect(h, "muc_joined", 0);
	assert_string_equal(str(ev, "room"), ROOM);
	assert_string_equal(str(ev, "nick"), "me");
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 5);
	occ = json_object_get(ev, "occupants");
	assert_int_equal(json_array_size(occ), 3);
	assert_string_equal(str(json_array_get(occ, 0), "nick"), "bob");
	assert_string_equal(str(json_array_get(occ, 0), "role"), "moderator");
	assert_string_equal(str(json_array_get(occ, 0), "affiliation"), "owner");
	assert_string_equal(str(json_array_get(occ, 0), "jid"), "bob@example.org/phone");
	assert_null(json_object_get(json_array_get(occ, 1), "jid"));
	assert_string_equal(str(json_array_get(occ, 1), "role"), "visitor");
	json_decref(ev);
	/* The discussion history, then the subject. */
	fake_receive(h->xs,
	             "<message type='groupchat' from='" ROOM "/bob' id='h1'>"
	             "<body>earlier words</body>"
	             "<delay xmlns='urn:xmpp:delay' from='" ROOM "' "
	             "stamp='2023-01-02T03:04:05Z'/>"
	             "<stanza-id xmlns='urn:xmpp:sid:0' by='" ROOM "' id='rs-1'/></message>");
	fake_receive(h->xs, "<message type='groupchat' from='" ROOM "/bob'>"
	                    "<subject>Welcome</subject></message>");
	ev = harness_expect(h, "message", 0);
	assert_string_equal(str(ev, "body"), "earlier words");
	assert_string_equal(str(ev, "type"), "groupchat");
	assert_string_equal(str(ev, "room"), ROOM);
	assert_string_equal(str(ev, "nick"), "bob");
	assert_string_equal(str(ev, "from"), ROOM "/bob");
	assert_true(json_is_true(json_object_get(ev, "delayed")));
	assert_string_equal(str(ev, "stamp"), "2023-01-02T03:04:05.000Z");
	json_decref(ev);
	ev = harness_expect(h, "muc_subject", 0);
	assert_string_equal(str(ev, "subject"), "Welcome");
	assert_string_equal(str(ev, "nick"), "bob");
	json_decref(ev);
	/* The room's message is not also a chat message. */
	assert_int_equal(count_events(h, "message", 0), 1);
	/* A delay an occupant wrote, or one in our future, is no history. */
	fake_receive(h->xs, "<message type='groupchat' from='" ROOM "/bob' id='h2'>"
	                    "<body>backdated by bob</body><delay xmlns='urn:xmpp:delay' "
	                    "from='bob@example.org' stamp='2001-01-01T00:00:00Z'/></message>");
	fake_receive(h->xs, "<message type='groupchat' from='" ROOM "/bob' id='h3'>"
	                    "<body>from the future</body><delay xmlns='urn:xmpp:delay' "
	                    "from='" ROOM "' stamp='2099-01-01T00:00:00Z'/></message>");
	for (long k = harness_find(h, "message", 0); k >= 0;
	     k = harness_find(h, "message", (size_t)k + 1)) {
		ev = harness_get(h, "message", (size_t)k);
		if (strcmp(str(ev, "body"), "earlier words"))
			assert_null(json_object_get(ev, "delayed"));
		json_decref(ev);
	}
}

/* A presence claiming status 110 for a room we never asked to join, and
 * a groupchat message from it, are dropped. */
static void test_unasked_room_is_ignored(void **state)
{
	struct harness *h = *state;

	harness_online_quiet(h);
	self_presence(h, "evil@muc.example.org", "me", NULL);
	occupant(h, "evil@muc.example.org", "x", "moderator", "owner", NULL, NULL);
	fake_receive(h->xs, "<message type='groupchat' from='evil@muc.example.org/x'>"
	                    "<body>believe me</body></message>");
	fake_receive(h->xs, "<message type='groupchat' from='bob@example.org/phone'>"
	                    "<body>not a room at all</body></message>");
	assert_int_equal(h->nevents, 0);
	assert_false(muc_is_joined(h->core, "evil@muc.example.org"));
}

/* In a room, a groupchat message from another one is still dropped. */
static void test_groupchat_only_from_joined_rooms(void **state)
{
	struct harness *h = *state;
	size_t mark;

	in_room(h, PLAIN_ROOM);
	mark = harness_mark(h);
	fake_receive(h->xs, "<message type='groupchat' from='other@muc.example.org/bob'>"
	                    "<body>sneaky</body></message>");
	assert_int_equal(harness_find(h, "message", mark), -1);
	fake_receive(h->xs, "<message type='groupchat' from='" ROOM "/bob'>"
	                    "<body>real</body></message>");
	assert_true(harness_find(h, "message", mark) >= 0);
}

static void test_created_room_is_instant_unless_configuring(void **state)
{
	struct harness *h = *state;
	size_t i;
	json_t *ev;
	char *id;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/join new@muc.example.org/me", 3), 0);
	answer_info(h, "new@muc.example.org", "");
	self_presence(h, "new@muc.example.org", "me", "<status code='201'/>");
	ev = harness_expect(h, "muc_joined", 0);
	assert_true(json_is_true(json_object_get(ev, "created")));
	json_decref(ev);
	i = sent_with(h, 0, "http://jabber.org/protocol/muc#owner", "type=\"submit\"");
	assert_non_null(strstr(fake_sent(h->xs, i), "to=\"new@muc.example.org\""));
	id = fake_sent_id(h->xs, i);
	fake_receivef(h->xs, "<iq type='result' id='%s' from='new@muc.example.org'/>", id);
	free(id);
	assert_true(harness_find(h, "info", 0) >= 0);

	/* Asked to configure: the room stays locked and the form is shown. */
	fake_clear_sent(h->xs);
	harness_clear(h);
	assert_int_equal(harness_input(h, "/join conf@muc.example.org/me configure", 4), 0);
	answer_info(h, "conf@muc.example.org", "");
	self_presence(h, "conf@muc.example.org", "me", "<status code='201'/>");
	assert_false(sent_any(h, 0, "type=\"submit\"", NULL));
	i = sent_with(h, 0, "http://jabber.org/protocol/muc#owner", "type=\"get\"");
	id = fake_sent_id(h->xs, i);
	fake_receivef(h->xs,
	              "<iq type='result' id='%s' from='conf@muc.example.org'><query "
	              "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
	              "type='form'><field var='FORM_TYPE' type='hidden'><value>"
	              "http://jabber.org/protocol/muc#roomconfig</value></field>"
	              "<field var='muc#roomconfig_roomname' type='text-single' label='Name'/>"
	              "<field var='muc#roomconfig_whois' type='list-single'><value>moderators"
	              "</value><option label='M'><value>moderators</value></option><option>"
	              "<value>anyone</value></option></field></x></query></iq>",
	              id);
	free(id);
	ev = harness_expect(h, "muc_config", 0);
	assert_int_equal(json_array_size(json_object_get(ev, "fields")), 3);
	assert_string_equal(str(json_array_get(json_object_get(ev, "fields"), 2), "var"),
	                    "muc#roomconfig_whois");
	assert_int_equal(json_array_size(json_object_get(
	                     json_array_get(json_object_get(ev, "fields"), 2), "options")),
	                 2);
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 4);
	json_decref(ev);
	/* And /roomconfig submits it with the change, the rest as it was. */
	fake_clear_sent(h->xs);
	assert_int_equal(
	    harness_input(h, "/roomconfig conf@muc.example.org muc#roomconfig_roomname=\"My room\"",
	                  6),
	    0);
	i = sent_with(h, 0, "muc#owner", "type=\"get\"");
	id = fake_sent_id(h->xs, i);
	fake_receivef(h->xs,
	              "<iq type='result' id='%s' from='conf@muc.example.org'><query "
	              "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
	              "type='form'><field var='FORM_TYPE' type='hidden'><value>"
	              "http://jabber.org/protocol/muc#roomconfig</value></field>"
	              "<field var='muc#roomconfig_roomname' type='text-single'/>"
	              "<field var='muc#roomconfig_whois' type='list-single'><value>moderators"
	              "</value></field></x></query></iq>",
	              id);
	free(id);
	i = sent_with(h, 0, "type=\"submit\"", "<value>My room</value>");
	assert_non_null(strstr(fake_sent(h->xs, i), "<value>moderators</value>"));
	assert_non_null(strstr(fake_sent(h->xs, i), "muc#roomconfig</value>"));
}

static void check_join_error(struct harness *h, const char *cond, const char *words)
{
	size_t mark = harness_mark(h);
	json_t *ev;
	char *line = NULL;

	fake_clear_sent(h->xs);
	assert_true(asprintf(&line, "/join err-%s@muc.example.org/me", cond) > 0);
	assert_int_equal(harness_input(h, line, 9), 0);
	free(line);
	assert_true(asprintf(&line, "err-%s@muc.example.org", cond) > 0);
	answer_info(h, line, "");
	fake_receivef(
	    h->xs,
	    "<presence type='error' from='%s/me'><x xmlns='http://jabber.org/protocol/muc'/>"
	    "<error type='cancel'><%s xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
	    "</presence>",
	    line, cond);
	ev = harness_expect(h, "error", mark);
	assert_string_equal(str(ev, "condition"), cond);
	assert_string_equal(str(ev, "command"), "join");
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 9);
	if (!strstr(str(ev, "text"), words))
		fail_msg("%s: '%s' does not say '%s'", cond, str(ev, "text"), words);
	json_decref(ev);
	/* Nothing half-joined is left: not a room, and not in /who. */
	assert_false(muc_is_room(h->core, line));
	assert_int_equal(harness_find(h, "muc_joined", mark), -1);
	free(line);
}

static void test_join_errors_leave_nothing_behind(void **state)
{
	struct harness *h = *state;
	size_t mark;

	harness_online_quiet(h);
	check_join_error(h, "conflict", "taken");
	check_join_error(h, "not-authorized", "password");
	check_join_error(h, "forbidden", "banned");
	check_join_error(h, "registration-required", "members-only");
	check_join_error(h, "service-unavailable", "full");
	check_join_error(h, "item-not-found", "no such room");
	/* /join again with another nick works. */
	fake_clear_sent(h->xs);
	mark = harness_mark(h);
	/* (what the room is was asked already: not again) */
	assert_int_equal(harness_input(h, "/join err-conflict@muc.example.org/other", 10), 0);
	sent_with(h, 0, "<presence", "to=\"err-conflict@muc.example.org/other\"");
	self_presence(h, "err-conflict@muc.example.org", "other", NULL);
	json_decref(harness_expect(h, "muc_joined", mark));
	/* A room that never answers is given up, also leaving nothing. */
	fake_clear_sent(h->xs);
	mark = harness_mark(h);
	assert_int_equal(harness_input(h, "/join silent@muc.example.org/me", 11), 0);
	answer_info(h, "silent@muc.example.org", "");
	harness_advance(h, 61000);
	json_decref(harness_expect(h, "error", mark));
	assert_false(muc_is_room(h->core, "silent@muc.example.org"));
}

static void test_join_password_and_offline(void **state)
{
	struct harness *h = *state;
	size_t i;

	/* Typed before the session is up: it goes with the login. */
	assert_int_equal(harness_input(h, "/join locked@muc.example.org/me password=s3cret", 1), 0);
	assert_false(sent_any(h, 0, "<presence", "locked@"));
	harness_online(h);
	i = sent_with(h, 0, "<presence", "to=\"locked@muc.example.org/me\"");
	assert_non_null(strstr(fake_sent(h->xs, i), "<password>s3cret</password>"));
	/* Nick defaults to the JID's localpart; a nick with spaces is fine. */
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/join plain@muc.example.org", 2), 0);
	answer_info(h, "plain@muc.example.org", "");
	sent_with(h, 0, "<presence", "to=\"plain@muc.example.org/alice\"");
	assert_int_equal(harness_input(h, "/join spaced@muc.example.org/Alice Liddell", 3), 0);
	answer_info(h, "spaced@muc.example.org", "");
	sent_with(h, 0, "<presence", "to=\"spaced@muc.example.org/Alice Liddell\"");
}

/* ---- messages ---- */

static void test_own_message_shown_and_stored_once(void **state)
{
	struct harness *h = *state;
	size_t mark, i;
	json_t *ev;
	char *id;

	in_room(h, PLAIN_ROOM);
	fake_clear_sent(h->xs);
	mark = harness_mark(h);
	assert_int_equal(harness_input(h, "/msg " ROOM " hello all", 8), 0);
	i = sent_with(h, 0, "type=\"groupchat\"", "<body>hello all</body>");
	assert_non_null(strstr(fake_sent(h->xs, i), "to=\"" ROOM "\""));
	assert_non_null(strstr(fake_sent(h->xs, i), "origin-id"));
	id = fake_sent_id(h->xs, i);
	ev = harness_expect(h, "message", mark);
	assert_true(json_is_true(json_object_get(ev, "outgoing")));
	assert_string_equal(str(ev, "room"), ROOM);
	assert_string_equal(str(ev, "nick"), "me");
	json_decref(ev);
	/* The room sends it back with its own id: not shown, not stored again. */
	fake_receivef(h->xs,
	              "<message type='groupchat' from='" ROOM "/me' id='%s'><body>hello all</body>"
	              "<origin-id xmlns='urn:xmpp:sid:0' id='%s'/>"
	              "<stanza-id xmlns='urn:xmpp:sid:0' by='" ROOM "' id='rs-77'/>" OCC_ID
	              "</message>",
	              id, id, "occ-me");
	assert_int_equal(count_events(h, "message", mark), 1);
	ev = history_of(h, ROOM);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 1);
	assert_string_equal(str(json_array_get(json_object_get(ev, "messages"), 0), "direction"),
	                    "out");
	json_decref(ev);
	free(id);
	/* Plain text goes to the current room too. */
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/msg " ROOM, 8), 0);
	assert_int_equal(harness_input(h, "typed in the room", 8), 0);
	sent_with(h, 0, "type=\"groupchat\"", "<body>typed in the room</body>");
}

/* A rejoin after a fresh login asks only for what is newer than the store
 * holds; the replay never makes a second copy, with or without ids. */
static void test_rejoin_replays_no_duplicates(void **state)
{
	struct harness *h = *state;
	size_t mark, i;
	json_t *ev;

	in_room(h, PLAIN_ROOM);
	fake_receive(h->xs,
	             "<message type='groupchat' from='" ROOM "/bob' id='m1'>"
	             "<body>with ids</body>" OCC_ID_BOB
	             "<stanza-id xmlns='urn:xmpp:sid:0' by='" ROOM "' id='rs-1'/></message>");
	fake_receive(h->xs, "<message type='groupchat' from='" ROOM "/bob'>"
	                    "<body>without any id</body></message>");
	harness_advance(h, 0);
	/* The connection is lost, and the session not resumed. */
	fake_offline(h->xs, NET_FAIL_NETWORK, NULL, "gone");
	fake_clear_sent(h->xs);
	mark = harness_mark(h);
	harness_online(h);
	ev = harness_expect(h, "muc_left", mark);
	assert_true(json_is_true(json_object_get(ev, "rejoining")));
	json_decref(ev);
	i = sent_with(h, 0, "<presence", "to=\"" ROOM "/me\"");
	assert_non_null(strstr(fake_sent(h->xs, i), "<history since=\""));
	occupant(h, ROOM, "bob2", "participant", "member", NULL, "occ-bob");
	self_presence(h, ROOM, "me", NULL);
	json_decref(harness_expect(h, "muc_joined", mark));
	/* The replay: the same messages, bob under another nick now, delayed
	 * by the room; the one without ids a few seconds off our own clock. */
	fake_receive(h->xs,
	             "<message type='groupchat' from='" ROOM "/bob2' id='m1'>"
	             "<body>with ids</body>" OCC_ID_BOB "<delay xmlns='urn:xmpp:delay' from='" ROOM
	             "' stamp='2023-01-01T00:00:00Z'/>"
	             "<stanza-id xmlns='urn:xmpp:sid:0' by='" ROOM "' id='rs-1'/></message>");
	{
		char *stamp = NULL;
		/* the room's clock a little behind ours (never in our future) */
		time_t t = (time_t)(h->now / 1000) - 3;
		struct tm tm;
		char buf[32];

		gmtime_r(&t, &tm);
		strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
		assert_true(asprintf(&stamp, "%s", buf) > 0);
		fake_receivef(h->xs,
		              "<message type='groupchat' from='" ROOM "/bob'><body>without any id"
		              "</body><delay xmlns='urn:xmpp:delay' from='" ROOM "' stamp='%s'/>"
		              "</message>",
		              stamp);
		free(stamp);
	}
	fake_receive(h->xs,
	             "<message type='groupchat' from='" ROOM "/bob2' id='m3'>"
	             "<body>new while away</body>" OCC_ID_BOB
	             "<delay xmlns='urn:xmpp:delay' from='" ROOM "' stamp='2023-01-01T00:00:00Z'/>"
	             "<stanza-id xmlns='urn:xmpp:sid:0' by='" ROOM "' id='rs-3'/></message>");
	assert_int_equal(count_events(h, "message", mark), 1);
	ev = harness_expect(h, "message", mark);
	assert_string_equal(str(ev, "body"), "new while away");
	json_decref(ev);
	ev = history_of(h, ROOM);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 3);
	json_decref(ev);
}

/* A room with an archive: joined without history, then read from its
 * archive after our newest message. */
static void test_rejoin_reads_room_archive(void **state)
{
	struct harness *h = *state;
	size_t mark, i;
	char *id, *qid;
	const char *s, *q;
	json_t *ev;

	in_room(h, ARCHIVED_ROOM);
	fake_receive(h->xs,
	             "<message type='groupchat' from='" ROOM "/bob' id='m1'>"
	             "<body>first</body>"
	             "<stanza-id xmlns='urn:xmpp:sid:0' by='" ROOM "' id='rs-1'/></message>");
	harness_advance(h, 0);
	fake_offline(h->xs, NET_FAIL_NETWORK, NULL, "gone");
	fake_clear_sent(h->xs);
	mark = harness_mark(h);
	harness_online(h);
	i = sent_with(h, 0, "<presence", "to=\"" ROOM "/me\"");
	assert_non_null(strstr(fake_sent(h->xs, i), "maxstanzas=\"0\""));
	assert_false(sent_any(h, 0, "urn:xmpp:mam:2", "to=\"" ROOM "\""));
	self_presence(h, ROOM, "me", NULL);
	i = sent_with(h, 0, "urn:xmpp:mam:2", "to=\"" ROOM "\"");
	s = fake_sent(h->xs, i);
	assert_non_null(strstr(s, "<after>rs-1</after>"));
	q = strstr(s, "queryid=\"");
	assert_non_null(q);
	qid = strndup(q + 9, strcspn(q + 9, "\""));
	id = fake_sent_id(h->xs, i);
	/* One result already stored, one new; a result for another query and
	 * one from someone else are dropped. */
	fake_receivef(
	    h->xs,
	    "<message from='" ROOM "'><result xmlns='urn:xmpp:mam:2' queryid='%s' "
	    "id='rs-1'><forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
	    "stamp='2023-01-01T00:00:00Z'/><message type='groupchat' from='" ROOM "/bob' "
	    "id='m1'><body>first</body></message></forwarded></result></message>",
	    qid);
	fake_receivef(
	    h->xs,
	    "<message from='" ROOM "'><result xmlns='urn:xmpp:mam:2' queryid='%s' "
	    "id='rs-2'><forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
	    "stamp='2023-01-01T00:00:01Z'/><message type='groupchat' from='" ROOM "/bob' "
	    "id='m2'><body>second</body></message></forwarded></result></message>",
	    qid);
	fake_receivef(h->xs,
	              "<message from='" ROOM "'><result xmlns='urn:xmpp:mam:2' queryid='other' "
	              "id='rs-9'><forwarded xmlns='urn:xmpp:forward:0'><message type='groupchat' "
	              "from='" ROOM
	              "/bob'><body>forged</body></message></forwarded></result></message>");
	fake_receivef(h->xs,
	              "<message from='mallory@example.org/x'><result xmlns='urn:xmpp:mam:2' "
	              "queryid='%s' id='rs-8'><forwarded xmlns='urn:xmpp:forward:0'><message "
	              "type='groupchat' from='" ROOM "/bob'><body>forged too</body></message>"
	              "</forwarded></result></message>",
	              qid);
	fake_receivef(
	    h->xs,
	    "<iq type='result' id='%s' from='" ROOM "'><fin xmlns='urn:xmpp:mam:2' "
	    "complete='true'><set xmlns='http://jabber.org/protocol/rsm'><last>rs-2</last>"
	    "</set></fin></iq>",
	    id);
	assert_int_equal(count_events(h, "message", mark), 1);
	ev = harness_expect(h, "message", mark);
	assert_string_equal(str(ev, "body"), "second");
	assert_true(json_is_true(json_object_get(ev, "delayed")));
	json_decref(ev);
	free(id);
	free(qid);
}

static void test_private_messages(void **state)
{
	struct harness *h = *state;
	size_t mark, i;
	json_t *ev;

	in_room(h, PLAIN_ROOM);
	mark = harness_mark(h);
	fake_receive(h->xs, "<message type='chat' from='" ROOM
	                    "/bob' id='p1'><body>psst</body>" MUC_X "</x></message>");
	ev = harness_expect(h, "message", mark);
	assert_string_equal(str(ev, "from"), ROOM "/bob");
	assert_string_equal(str(ev, "type"), "chat");
	assert_string_equal(str(ev, "room"), ROOM);
	assert_string_equal(str(ev, "nick"), "bob");
	json_decref(ev);
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/msg " ROOM "/bob back to you", 3), 0);
	i = sent_with(h, 0, "to=\"" ROOM "/bob\"", "<body>back to you</body>");
	assert_non_null(strstr(fake_sent(h->xs, i), "type=\"chat\""));
	assert_non_null(strstr(fake_sent(h->xs, i), "muc#user"));
	ev = harness_expect(h, "message", harness_find(h, "message", mark) + 1);
	assert_true(json_is_true(json_object_get(ev, "outgoing")));
	assert_string_equal(str(ev, "nick"), "bob");
	json_decref(ev);
	/* Stored as a conversation of their own, apart from the room's. */
	ev = history_of(h, ROOM "/bob");
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 2);
	json_decref(ev);
	ev = history_of(h, ROOM);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 0);
	json_decref(ev);
	/* A room's bare JID is never locked to an occupant. */
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/msg " ROOM " to everyone", 3), 0);
	sent_with(h, 0, "type=\"groupchat\"", "to=\"" ROOM "\"");
}

/* ---- occupants ---- */

static void test_occupants_come_change_and_go(void **state)
{
	struct harness *h = *state;
	size_t mark;
	json_t *ev, *codes;

	in_room(h, PLAIN_ROOM);
	mark = harness_mark(h);
	occupant(h, ROOM, "dave", "participant", "none", NULL, "occ-dave");
	ev = harness_expect(h, "muc_presence", mark);
	assert_string_equal(str(ev, "nick"), "dave");
	assert_string_equal(str(ev, "type"), "available");
	json_decref(ev);
	/* away */
	mark = harness_mark(h);
	fake_receive(h->xs,
	             "<presence from='" ROOM "/dave'><show>away</show><status>lunch</status>" MUC_X
	             "<item affiliation='none' role='participant'/></x></presence>");
	ev = harness_expect(h, "muc_presence", mark);
	assert_string_equal(str(ev, "show"), "away");
	assert_string_equal(str(ev, "status"), "lunch");
	json_decref(ev);
	/* made a moderator */
	mark = harness_mark(h);
	occupant(h, ROOM, "dave", "moderator", "admin", NULL, "occ-dave");
	ev = harness_expect(h, "muc_presence", mark);
	assert_string_equal(str(ev, "role"), "moderator");
	assert_string_equal(str(ev, "affiliation"), "admin");
	json_decref(ev);
	/* nick change */
	mark = harness_mark(h);
	fake_receive(h->xs, "<presence type='unavailable' from='" ROOM "/dave'>" MUC_X
	                    "<item affiliation='admin' role='moderator' nick='david'/>"
	                    "<status code='303'/></x></presence>");
	ev = harness_expect(h, "muc_presence", mark);
	assert_string_equal(str(ev, "type"), "unavailable");
	assert_string_equal(str(ev, "new_nick"), "david");
	codes = json_object_get(ev, "codes");
	assert_int_equal(json_integer_value(json_array_get(codes, 0)), 303);
	json_decref(ev);
	occupant(h, ROOM, "david", "moderator", "admin", NULL, "occ-dave");
	/* kicked, with who and why */
	mark = harness_mark(h);
	fake_receive(h->xs, "<presence type='unavailable' from='" ROOM "/bob'>" MUC_X
	                    "<item affiliation='member' role='none'><actor nick='david'/>"
	                    "<reason>behave</reason></item><status code='307'/></x></presence>");
	ev = harness_expect(h, "muc_presence", mark);
	assert_string_equal(str(ev, "nick"), "bob");
	assert_string_equal(str(ev, "actor"), "david");
	assert_string_equal(str(ev, "reason"), "behave");
	assert_int_equal(json_integer_value(json_array_get(json_object_get(ev, "codes"), 0)), 307);
	json_decref(ev);
	/* /who: everyone now */
	mark = harness_mark(h);
	assert_int_equal(harness_input(h, "/who " ROOM, 4), 0);
	ev = harness_expect(h, "muc_occupants", mark);
	assert_int_equal(json_array_size(json_object_get(ev, "occupants")), 2);
	json_decref(ev);
	/* None of it was taken for a contact's presence. */
	assert_int_equal(harness_find(h, "presence", 0), -1);
}

static void left_with(struct harness *h, const char *x_inner, const char *key, const char *want)
{
	size_t mark = harness_mark(h);
	json_t *ev;

	fake_receivef(h->xs,
	              "<presence type='unavailable' from='" ROOM "/me'>" MUC_X "%s</x></presence>",
	              x_inner);
	ev = harness_expect(h, "muc_left", mark);
	assert_string_equal(str(ev, "room"), ROOM);
	if (want && !strcmp(key, "destroyed"))
		assert_true(json_is_true(json_object_get(ev, key)));
	else if (want)
		assert_string_equal(str(ev, key), want);
	json_decref(ev);
	assert_false(muc_is_room(h->core, ROOM));
	/* Whatever the room says now finds no room. */
	mark = harness_mark(h);
	fake_receive(h->xs,
	             "<message type='groupchat' from='" ROOM "/bob'><body>after</body></message>");
	assert_int_equal(harness_find(h, "message", mark), -1);
}

static void test_kicked_banned_destroyed_end_the_room(void **state)
{
	struct harness *h = *state;

	in_room(h, PLAIN_ROOM);
	left_with(h,
	          "<item affiliation='none' role='none'><actor nick='bob'/><reason>spam</reason>"
	          "</item><status code='307'/><status code='110'/>",
	          "reason", "spam");
	harness_clear(h);
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/join " ROOM "/me", 5), 0);
	self_presence(h, ROOM, "me", NULL);
	left_with(h,
	          "<item affiliation='outcast' role='none'/><status code='301'/>"
	          "<status code='110'/>",
	          "reason", "you were banned");
	harness_clear(h);
	assert_int_equal(harness_input(h, "/join " ROOM "/me", 5), 0);
	self_presence(h, ROOM, "me", NULL);
	left_with(h,
	          "<item affiliation='none' role='none'/><destroy jid='new@muc.example.org'>"
	          "<reason>moved</reason></destroy><status code='110'/>",
	          "destroyed", "yes");
}

/* ---- commands ---- */

static void test_room_commands_send_what_they_should(void **state)
{
	struct harness *h = *state;
	size_t i, mark;
	char *id;
	json_t *ev;

	in_room(h, PLAIN_ROOM);
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/subject " ROOM " New topic here", 2), 0);
	sent_with(h, 0, "<subject>New topic here</subject>", "type=\"groupchat\"");
	assert_int_equal(harness_input(h, "/invite " ROOM " carol@example.org come over", 2), 0);
	i = sent_with(h, 0, "<invite to=\"carol@example.org\"", "<reason>come over</reason>");
	assert_non_null(strstr(fake_sent(h->xs, i), "to=\"" ROOM "\""));
	assert_int_equal(harness_input(h, "/kick " ROOM " bob too loud", 2), 0);
	i = sent_with(h, 0, "nick=\"bob\"", "role=\"none\"");
	assert_non_null(strstr(fake_sent(h->xs, i), "<reason>too loud</reason>"));
	assert_non_null(strstr(fake_sent(h->xs, i), "muc#admin"));
	/* an error from the room reaches the command */
	id = fake_sent_id(h->xs, i);
	mark = harness_mark(h);
	fake_receivef(h->xs,
	              "<iq type='error' id='%s' from='" ROOM "'><error type='auth'><forbidden "
	              "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
	              id);
	free(id);
	ev = harness_expect(h, "error", mark);
	assert_string_equal(str(ev, "condition"), "forbidden");
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 2);
	json_decref(ev);
	assert_int_equal(harness_input(h, "/ban " ROOM " mallory@example.org spam", 2), 0);
	sent_with(h, 0, "jid=\"mallory@example.org\"", "affiliation=\"outcast\"");
	assert_int_equal(harness_input(h, "/nick " ROOM " Me Too", 2), 0);
	sent_with(h, 0, "<presence", "to=\"" ROOM "/Me Too\"");
	/* A refused nick change is said, and the nick stays. */
	mark = harness_mark(h);
	fake_receive(h->xs,
	             "<presence type='error' from='" ROOM "/Me Too'><error type='cancel'>"
	             "<conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>");
	ev = harness_expect(h, "error", mark);
	assert_string_equal(str(ev, "condition"), "conflict");
	json_decref(ev);
	assert_string_equal(muc_own_nick(h->core, ROOM), "me");
	/* In the room's window, the room need not be named. */
	assert_int_equal(harness_input(h, "/msg " ROOM, 2), 0);
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/subject Short", 2), 0);
	sent_with(h, 0, "<subject>Short</subject>", NULL);
	mark = harness_mark(h);
	assert_int_equal(harness_input(h, "/part see you", 2), 0);
	i = sent_with(h, 0, "type=\"unavailable\"", "<status>see you</status>");
	ev = harness_expect(h, "muc_left", mark);
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 2);
	json_decref(ev);
	assert_false(muc_is_room(h->core, ROOM));
	mark = harness_mark(h);
	assert_int_equal(harness_input(h, "/who " ROOM, 2), -1);
	json_decref(harness_expect(h, "error", mark));
}

static void test_invitations_received(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	size_t mark;

	harness_online_quiet(h);
	fake_receive(h->xs,
	             "<message from='" ROOM "'>" MUC_X "<invite from='bob@example.org/phone'>"
	             "<reason>join us</reason></invite><password>pw</password></x>"
	             "<body>bob invites you</body></message>");
	ev = harness_expect(h, "muc_invite", 0);
	assert_string_equal(str(ev, "room"), ROOM);
	assert_string_equal(str(ev, "from"), "bob@example.org/phone");
	assert_string_equal(str(ev, "reason"), "join us");
	assert_string_equal(str(ev, "password"), "pw");
	assert_false(json_is_true(json_object_get(ev, "direct")));
	json_decref(ev);
	/* Its fallback body is not a message of its own. */
	assert_int_equal(harness_find(h, "message", 0), -1);
	mark = harness_mark(h);
	fake_receive(h->xs, "<message from='carol@example.org/pc'><x xmlns='jabber:x:conference' "
	                    "jid='" ROOM "' reason='talk'/></message>");
	ev = harness_expect(h, "muc_invite", mark);
	assert_string_equal(str(ev, "from"), "carol@example.org/pc");
	assert_true(json_is_true(json_object_get(ev, "direct")));
	json_decref(ev);
	/* Only a room (a bare JID) mediates; a direct one names a real room. */
	mark = harness_mark(h);
	fake_receive(h->xs, "<message from='mallory@example.org/x'>" MUC_X
	                    "<invite from='bob@example.org'/>"
	                    "</x></message>");
	fake_receive(h->xs, "<message from='mallory@example.org/x'><x xmlns='jabber:x:conference' "
	                    "jid='not a jid@@'/></message>");
	assert_int_equal(harness_find(h, "muc_invite", mark), -1);
}

/* ---- keeping in the room ---- */

static void test_self_ping_rejoins_when_dropped(void **state)
{
	struct harness *h = *state;
	size_t i, mark;
	char *id;
	json_t *ev;

	in_room(h, PLAIN_ROOM);
	fake_clear_sent(h->xs);
	/* Quiet for self_ping seconds: we ask the room whether we are in. */
	harness_advance(h, 30000);
	assert_false(sent_any(h, 0, "urn:xmpp:ping", NULL));
	harness_advance(h, 31000);
	i = sent_with(h, 0, "urn:xmpp:ping", "to=\"" ROOM "/me\"");
	id = fake_sent_id(h->xs, i);
	fake_receivef(h->xs, "<iq type='result' id='%s' from='" ROOM "/me'/>", id);
	free(id);
	assert_int_equal(harness_find(h, "muc_left", 0), -1);
	/* Later the room has forgotten us: we join again. */
	fake_clear_sent(h->xs);
	harness_advance(h, 61000);
	harness_advance(h, 16000);
	i = sent_with(h, 0, "urn:xmpp:ping", "to=\"" ROOM "/me\"");
	id = fake_sent_id(h->xs, i);
	mark = harness_mark(h);
	fake_receivef(h->xs,
	              "<iq type='error' id='%s' from='" ROOM
	              "/me'><error type='cancel'><not-acceptable "
	              "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
	              id);
	free(id);
	ev = harness_expect(h, "muc_left", mark);
	assert_true(json_is_true(json_object_get(ev, "rejoining")));
	json_decref(ev);
	sent_with(h, i, "<presence", "to=\"" ROOM "/me\"");
	self_presence(h, ROOM, "me", NULL);
	json_decref(harness_expect(h, "muc_joined", mark));
}

/* ---- hostile input ---- */

static void test_network_strings_are_sanitised(void **state)
{
	struct harness *h = *state;
	size_t mark;
	json_t *ev;

	in_room(h, PLAIN_ROOM);
	mark = harness_mark(h);
	/* C1 controls cannot be in a JID at all; bidi overrides can */
	fake_receive(h->xs, "<presence from='" ROOM "/evil\xc2\x9b"
	                    "2Jnick'>" MUC_X
	                    "<item affiliation='none' role='participant'/></x></presence>");
	assert_int_equal(harness_find(h, "muc_presence", mark), -1);
	fake_receive(h->xs, "<presence from='" ROOM "/evil\xe2\x80\xae"
	                    "nick'>" MUC_X "<item affiliation='none' role='participant'/></x>"
	                    "<status>st\xc2\x9d"
	                    "0;title\xc2\x9c"
	                    "atus</status></presence>");
	fake_receive(h->xs, "<message type='groupchat' from='" ROOM "/bob'><subject>sub\xe2\x80\xae"
	                    "ject\xc2\x9b"
	                    "31m</subject></message>");
	fake_receive(h->xs, "<presence type='unavailable' from='" ROOM "/bob'>" MUC_X
	                    "<item affiliation='none' role='none'><reason>r\xc2\x9b"
	                    "1;1Heason</reason>"
	                    "</item><status code='307'/></x></presence>");
	for (size_t i = mark; i < h->nevents; i++)
		if (strstr(h->events[i], "\xc2\x9b") || strstr(h->events[i], "\xe2\x80\xae") ||
		    strstr(h->events[i], "\xc2\x9d"))
			fail_msg("unsanitised: %s", h->events[i]);
	ev = harness_expect(h, "muc_subject", mark);
	assert_string_equal(str(ev, "subject"), "subject");
	json_decref(ev);
	ev = harness_expect(h, "muc_presence", mark);
	assert_string_equal(str(ev, "nick"), "evilnick");
	json_decref(ev);
}

/* ---- the API other modules use ---- */

static void test_api_for_other_modules(void **state)
{
	struct harness *h = *state;
	struct muc_occupant_info o;
	struct muc_room_info info;
	const char **jids;
	size_t i;
	char *id;

	harness_online_quiet(h);
	assert_int_equal(harness_input(h, "/join secret@muc.example.org/me", 1), 0);
	answer_info(h, "secret@muc.example.org",
	            "<feature var='muc_nonanonymous'/><feature var='muc_membersonly'/>");
	occupant(h, "secret@muc.example.org", "bob", "participant", "member",
	         "Bob@Example.org/phone", "occ-bob");
	self_presence(h, "secret@muc.example.org", "me", NULL);
	assert_true(muc_is_joined(h->core, "secret@muc.example.org"));
	assert_true(muc_is_joined(h->core, "secret@muc.example.org/bob"));
	assert_false(muc_is_joined(h->core, "bob@example.org"));
	assert_string_equal(muc_own_nick(h->core, "secret@muc.example.org"), "me");
	assert_int_equal(muc_occupant(h->core, "secret@muc.example.org/bob", &o), 1);
	assert_string_equal(o.nick, "bob");
	assert_string_equal(o.jid, "Bob@example.org/phone");
	assert_string_equal(o.occupant_id, "occ-bob");
	assert_false(o.self);
	assert_int_equal(muc_occupant(h->core, "secret@muc.example.org/nobody", &o), 0);
	assert_int_equal(muc_room_info(h->core, "secret@muc.example.org", &info), 1);
	assert_true(info.nonanonymous && info.membersonly && info.known);
	/* Members-only and non-anonymous: its member lists are asked for. */
	i = sent_with(h, 0, "muc#admin", "affiliation=\"member\"");
	id = fake_sent_id(h->xs, i);
	fake_receivef(h->xs,
	              "<iq type='result' id='%s' from='secret@muc.example.org'><query "
	              "xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' "
	              "jid='carol@example.org'/><item affiliation='member' jid='bob@example.org'/>"
	              "</query></iq>",
	              id);
	free(id);
	jids = muc_real_jids(h->core, "secret@muc.example.org");
	assert_non_null(jids);
	for (i = 0; jids[i]; i++)
		;
	/* bob (occupant and member, once), ourselves, carol */
	assert_int_equal(i, 3);
	assert_null(muc_real_jids(h->core, "nowhere@muc.example.org"));
}

/* ---- bookmarks ---- */

static void answer_own_info(struct harness *h, const char *features)
{
	answer_info(h, ME, features);
}

static void test_bookmarks_pep(void **state)
{
	struct harness *h = *state;
	size_t i, mark;
	json_t *ev;
	char *id;

	harness_online(h);
	answer_own_info(h, "<feature var='urn:xmpp:bookmarks:1#compat'/>");
	i = sent_with(h, 0, "node=\"urn:xmpp:bookmarks:1\"", "<items");
	id = fake_sent_id(h->xs, i);
	fake_receivef(h->xs,
	              "<iq type='result' id='%s'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
	              "<items node='urn:xmpp:bookmarks:1'><item id='" ROOM "'><conference "
	              "xmlns='urn:xmpp:bookmarks:1' name='The room' autojoin='true'><nick>bm</nick>"
	              "</conference></item><item id='quiet@muc.example.org'><conference "
	              "xmlns='urn:xmpp:bookmarks:1'/></item></items></pubsub></iq>",
	              id);
	free(id);
	ev = harness_expect(h, "bookmarks", 0);
	assert_string_equal(str(ev, "storage"), "pep");
	assert_int_equal(json_array_size(json_object_get(ev, "items")), 2);
	assert_string_equal(str(json_array_get(json_object_get(ev, "items"), 0), "nick"), "bm");
	json_decref(ev);
	/* The autojoin room is joined (after asking what it is), the other not. */
	answer_info(h, ROOM, PLAIN_ROOM);
	sent_with(h, 0, "<presence", "to=\"" ROOM "/bm\"");
	assert_false(sent_any(h, 0, "<presence", "quiet@"));
	/* add */
	fake_clear_sent(h->xs);
	mark = harness_mark(h);
	assert_int_equal(
	    harness_input(h, "/bookmark add new@muc.example.org nick=N autojoin password=p", 6), 0);
	i = sent_with(h, 0, "<publish node=\"urn:xmpp:bookmarks:1\"", "id=\"new@muc.example.org\"");
	assert_non_null(strstr(fake_sent(h->xs, i), "autojoin=\"true\""));
	assert_non_null(strstr(fake_sent(h->xs, i), "<nick>N</nick>"));
	assert_non_null(strstr(fake_sent(h->xs, i), "pubsub#access_model"));
	assert_non_null(strstr(fake_sent(h->xs, i), "whitelist"));
	id = fake_sent_id(h->xs, i);
	fake_receivef(h->xs, "<iq type='result' id='%s'/>", id);
	free(id);
	ev = harness_expect(h, "bookmarks", mark);
	assert_int_equal(json_array_size(json_object_get(ev, "items")), 3);
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 6);
	json_decref(ev);
	/* remove */
	fake_clear_sent(h->xs);
	mark = harness_mark(h);
	assert_int_equal(harness_input(h, "/bookmark remove quiet@muc.example.org", 7), 0);
	i = sent_with(h, 0, "<retract", "id=\"quiet@muc.example.org\"");
	id = fake_sent_id(h->xs, i);
	fake_receivef(h->xs, "<iq type='result' id='%s'/>", id);
	free(id);
	ev = harness_expect(h, "bookmarks", mark);
	assert_int_equal(json_array_size(json_object_get(ev, "items")), 2);
	json_decref(ev);
	/* A change made by another client of ours is applied... */
	mark = harness_mark(h);
	fake_receive(h->xs,
	             "<message from='" ME "'><event "
	             "xmlns='http://jabber.org/protocol/pubsub#event'><items "
	             "node='urn:xmpp:bookmarks:1'><retract id='new@muc.example.org'/>"
	             "<item id='pushed@muc.example.org'><conference xmlns='urn:xmpp:bookmarks:1' "
	             "name='Pushed'/></item></items></event></message>");
	ev = harness_expect(h, "bookmarks", mark);
	assert_int_equal(json_array_size(json_object_get(ev, "items")), 2);
	{
		char *text = json_dumps(ev, 0);

		assert_non_null(strstr(text, "pushed@muc.example.org"));
		free(text);
	}
	json_decref(ev);
	/* ...and a stranger's is not. */
	mark = harness_mark(h);
	fake_receive(h->xs,
	             "<message from='mallory@example.org'><event "
	             "xmlns='http://jabber.org/protocol/pubsub#event'><items "
	             "node='urn:xmpp:bookmarks:1'><item id='trap@muc.example.org'><conference "
	             "xmlns='urn:xmpp:bookmarks:1' autojoin='true'/></item></items></event>"
	             "</message>");
	assert_int_equal(harness_find(h, "bookmarks", mark), -1);
	assert_false(muc_is_room(h->core, "trap@muc.example.org"));
}

static void test_bookmarks_private_storage(void **state)
{
	struct harness *h = *state;
	size_t i, mark;
	json_t *ev;
	char *id;

	harness_online(h);
	answer_own_info(h, "<feature var='http://jabber.org/protocol/pubsub#publish'/>");
	i = sent_with(h, 0, "jabber:iq:private", "storage:bookmarks");
	id = fake_sent_id(h->xs, i);
	fake_receivef(h->xs,
	              "<iq type='result' id='%s'><query xmlns='jabber:iq:private'><storage "
	              "xmlns='storage:bookmarks'><conference jid='" ROOM "' autojoin='1' name='R'>"
	              "<nick>old</nick></conference><url name='site' url='https://x.example/'/>"
	              "</storage></query></iq>",
	              id);
	free(id);
	ev = harness_expect(h, "bookmarks", 0);
	assert_string_equal(str(ev, "storage"), "private");
	assert_true(json_is_true(
	    json_object_get(json_array_get(json_object_get(ev, "items"), 0), "autojoin")));
	json_decref(ev);
	answer_info(h, ROOM, PLAIN_ROOM);
	sent_with(h, 0, "<presence", "to=\"" ROOM "/old\"");
	/* add: read again (another client may have written), then write all,
	 * keeping what natter does not know */
	fake_clear_sent(h->xs);
	mark = harness_mark(h);
	assert_int_equal(harness_input(h, "/bookmark add two@muc.example.org name=Two", 8), 0);
	i = sent_with(h, 0, "jabber:iq:private", "type=\"get\"");
	id = fake_sent_id(h->xs, i);
	fake_receivef(h->xs,
	              "<iq type='result' id='%s'><query xmlns='jabber:iq:private'><storage "
	              "xmlns='storage:bookmarks'><conference jid='" ROOM "' autojoin='1' name='R'>"
	              "<nick>old</nick></conference><url name='site' url='https://x.example/'/>"
	              "</storage></query></iq>",
	              id);
	free(id);
	i = sent_with(h, 0, "jabber:iq:private", "type=\"set\"");
	assert_non_null(strstr(fake_sent(h->xs, i), "jid=\"two@muc.example.org\""));
	assert_non_null(strstr(fake_sent(h->xs, i), "jid=\"" ROOM "\""));
	assert_non_null(strstr(fake_sent(h->xs, i), "https://x.example/"));
	id = fake_sent_id(h->xs, i);
	fake_receivef(h->xs, "<iq type='result' id='%s'/>", id);
	free(id);
	ev = harness_expect(h, "bookmarks", mark);
	assert_int_equal(json_array_size(json_object_get(ev, "items")), 2);
	json_decref(ev);
}

/* ---- everyday messaging in rooms ---- */

/* A groupchat message from nick in ROOM with occupant id occ and extra
 * children. */
static void room_says(struct harness *h, const char *nick, const char *occ, const char *id,
                      const char *body, const char *extra)
{
	fake_receivef(h->xs,
	              "<message type='groupchat' from='" ROOM
	              "/%s' id='%s'><body>%s</body>%s" OCC_ID "</message>",
	              nick, id, body, extra ? extra : "", occ);
}

/* XEP-0308 in a room: only the same occupant (by XEP-0421 id, whatever
 * its nick) corrects a message; the history keeps the newest text. */
static void test_room_corrections_received(void **state)
{
	struct harness *h = *state;
	size_t mark;
	json_t *ev, *msgs;

	in_room(h, PLAIN_ROOM);
	room_says(h, "bob", "occ-bob", "m1", "helo", NULL);
	/* Someone else, even under bob's nick, cannot. */
	mark = harness_mark(h);
	room_says(h, "bob", "occ-evil", "x1", "I said bye",
	          "<replace xmlns='urn:xmpp:message-correct:0' id='m1'/>");
	room_says(h, "mallory", "occ-mallory", "x2", "bye",
	          "<replace xmlns='urn:xmpp:message-correct:0' id='m1'/>");
	assert_int_equal(count_events(h, "message", mark), 2);
	for (long i = harness_find(h, "message", mark); i >= 0;
	     i = harness_find(h, "message", (size_t)i + 1)) {
		ev = harness_get(h, "message", (size_t)i);
		assert_null(json_object_get(ev, "replaces"));
		json_decref(ev);
	}
	/* bob, after a nick change, can. */
	mark = harness_mark(h);
	room_says(h, "robert", "occ-bob", "m2", "hello",
	          "<replace xmlns='urn:xmpp:message-correct:0' id='m1'/>");
	ev = harness_expect(h, "message", mark);
	assert_string_equal(str(ev, "replaces"), "m1");
	assert_string_equal(str(ev, "room"), ROOM);
	assert_string_equal(str(ev, "body"), "hello");
	json_decref(ev);
	ev = history_of(h, ROOM);
	msgs = json_object_get(ev, "messages");
	/* helo (now hello, edited), and the two refused as messages of their own */
	assert_int_equal(json_array_size(msgs), 3);
	assert_string_equal(str(json_array_get(msgs, 0), "body"), "hello");
	assert_true(json_is_true(json_object_get(json_array_get(msgs, 0), "edited")));
	json_decref(ev);
}

/* /correct ROOM TEXT corrects our last message there; the room's copy of
 * the correction is not shown again.  No receipt request or marker goes
 * to a room. */
static void test_room_correction_sent(void **state)
{
	struct harness *h = *state;
	size_t mark, i, j;
	json_t *ev;
	char *id, *cid, *want = NULL;

	in_room(h, PLAIN_ROOM);
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/msg " ROOM " teh typo", 8), 0);
	i = sent_with(h, 0, "type=\"groupchat\"", "<body>teh typo</body>");
	assert_null(strstr(fake_sent(h->xs, i), "urn:xmpp:receipts"));
	assert_null(strstr(fake_sent(h->xs, i), "markable"));
	id = fake_sent_id(h->xs, i);
	mark = harness_mark(h);
	assert_int_equal(harness_input(h, "/correct " ROOM " the typo", 9), 0);
	assert_true(
	    asprintf(&want, "<replace id=\"%s\" xmlns=\"urn:xmpp:message-correct:0\"/>", id) > 0);
	j = sent_with(h, i + 1, "<body>the typo</body>", want);
	assert_non_null(strstr(fake_sent(h->xs, j), "type=\"groupchat\""));
	cid = fake_sent_id(h->xs, j);
	ev = harness_expect(h, "message", mark);
	assert_string_equal(str(ev, "replaces"), id);
	assert_true(json_is_true(json_object_get(ev, "outgoing")));
	json_decref(ev);
	fake_receivef(h->xs,
	              "<message type='groupchat' from='" ROOM "/me' id='%s'><body>the typo</body>"
	              "<origin-id xmlns='urn:xmpp:sid:0' id='%s'/>"
	              "<replace xmlns='urn:xmpp:message-correct:0' id='%s'/>" OCC_ID "</message>",
	              cid, cid, id, "occ-me");
	assert_int_equal(count_events(h, "message", mark), 1);
	ev = history_of(h, ROOM);
	assert_int_equal(json_array_size(json_object_get(ev, "messages")), 1);
	assert_string_equal(str(json_array_get(json_object_get(ev, "messages"), 0), "body"),
	                    "the typo");
	json_decref(ev);
	free(want);
	free(cid);
	free(id);
	/* A private message with an occupant is corrected in its own
	 * conversation, not the room's. */
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/msg " ROOM "/bob psst", 8), 0);
	i = sent_with(h, 0, "<body>psst</body>", NULL);
	id = fake_sent_id(h->xs, i);
	assert_int_equal(harness_input(h, "/correct " ROOM "/bob pssst", 9), 0);
	assert_true(asprintf(&want, "<replace id=\"%s\"", id) > 0);
	j = sent_with(h, i + 1, "<body>pssst</body>", want);
	assert_non_null(strstr(fake_sent(h->xs, j), "to=\"" ROOM "/bob\""));
	free(want);
	free(id);
}

/* /me lines both ways, links, and retractions (only by the sender) in a
 * room. */
static void test_room_actions_links_retractions(void **state)
{
	struct harness *h = *state;
	size_t mark;
	json_t *ev;

	in_room(h, PLAIN_ROOM);
	mark = harness_mark(h);
	room_says(h, "bob", "occ-bob", "m1", "/me waves", NULL);
	ev = harness_expect(h, "message", mark);
	assert_true(json_is_true(json_object_get(ev, "action")));
	json_decref(ev);
	mark = harness_mark(h);
	assert_int_equal(harness_input(h, "/msg " ROOM, 8), 0);
	assert_int_equal(harness_input(h, "/me waves back", 8), 0);
	ev = harness_expect(h, "message", mark);
	assert_true(json_is_true(json_object_get(ev, "action")));
	assert_string_equal(str(ev, "room"), ROOM);
	json_decref(ev);
	mark = harness_mark(h);
	room_says(h, "bob", "occ-bob", "m2", "https://example.org/cat.png",
	          "<x xmlns='jabber:x:oob'><url>https://example.org/cat.png</url></x>");
	ev = harness_expect(h, "message", mark);
	assert_string_equal(str(ev, "oob_url"), "https://example.org/cat.png");
	json_decref(ev);
	/* Withdrawn: not by another occupant, then by bob. */
	mark = harness_mark(h);
	room_says(h, "mallory", "occ-mallory", "r1", "fallback",
	          "<retract xmlns='urn:xmpp:message-retract:1' id='m2'/>");
	assert_int_equal(harness_find(h, "retracted", mark), -1);
	assert_int_equal(harness_find(h, "message", mark), -1);
	room_says(h, "bob", "occ-bob", "r2", "fallback",
	          "<retract xmlns='urn:xmpp:message-retract:1' id='m2'/>");
	ev = harness_expect(h, "retracted", mark);
	assert_string_equal(str(ev, "id"), "m2");
	assert_string_equal(str(ev, "from"), ROOM "/bob");
	json_decref(ev);
	assert_int_equal(harness_find(h, "message", mark), -1);
	ev = history_of(h, ROOM);
	assert_true(json_is_true(
	    json_object_get(json_array_get(json_object_get(ev, "messages"), 2), "retracted")));
	json_decref(ev);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_join_reports_occupants_history_subject),
	    T(test_unasked_room_is_ignored),
	    T(test_groupchat_only_from_joined_rooms),
	    T(test_created_room_is_instant_unless_configuring),
	    T(test_join_errors_leave_nothing_behind),
	    T(test_join_password_and_offline),
	    T(test_own_message_shown_and_stored_once),
	    T(test_rejoin_replays_no_duplicates),
	    T(test_rejoin_reads_room_archive),
	    T(test_private_messages),
	    T(test_occupants_come_change_and_go),
	    T(test_kicked_banned_destroyed_end_the_room),
	    T(test_room_commands_send_what_they_should),
	    T(test_invitations_received),
	    T(test_self_ping_rejoins_when_dropped),
	    T(test_network_strings_are_sanitised),
	    T(test_api_for_other_modules),
	    T(test_bookmarks_pep),
	    T(test_bookmarks_private_storage),
	    T(test_room_corrections_received),
	    T(test_room_correction_sent),
	    T(test_room_actions_links_retractions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
