/* The PubSub module (XEP-0060, seed 004) on the fake session: what natter
 * sends for each /pubsub command, how it reads the answers and the
 * notifications, and what it will not keep or report. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <strophe.h>

#include "core/core.h"
#include "core_harness.h"

#define ME        "alice@example.org"
#define FULL      ME "/natter"
#define SVC       "pubsub.example.org"
#define NS        "http://jabber.org/protocol/pubsub"
#define NS_EVENT  NS "#event"
#define NS_ERRORS NS "#errors"
#define STANZAS   "urn:ietf:params:xml:ns:xmpp-stanzas"

/* Strings the helpers below hand out, freed after each test. */
static char *pool[256];
static size_t npool;

static const char *keep(char *s)
{
	assert_true(npool < sizeof(pool) / sizeof(pool[0]));
	pool[npool++] = s;
	return s;
}

static xmpp_stanza_t *find_el(xmpp_stanza_t *st, const char *name, const char *var)
{
	const char *n = xmpp_stanza_get_name(st), *v = xmpp_stanza_get_attribute(st, "var");

	if (xmpp_stanza_is_tag(st) && n && !strcmp(n, name) && (!var || (v && !strcmp(v, var))))
		return st;
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c; c = xmpp_stanza_get_next(c)) {
		xmpp_stanza_t *f = find_el(c, name, var);

		if (f)
			return f;
	}
	return NULL;
}

/* Parses xml: the attribute attr of its first element called el (el
 * itself or a descendant), or NULL when there is no such element or
 * attribute; "" marks a missing element apart from a missing attribute:
 * "(no element)". */
static const char *attr(const char *xml, const char *el, const char *name)
{
	xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
	xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, xml), *e;
	const char *v;
	char *out = NULL;

	assert_non_null(st);
	e = find_el(st, el, NULL);
	v = e ? xmpp_stanza_get_attribute(e, name) : "(no element)";
	if (v)
		out = (char *)keep(strdup(v));
	xmpp_stanza_release(st);
	xmpp_ctx_free(ctx);
	return out;
}

/* The value of the data form field var in xml, or NULL. */
static const char *field(const char *xml, const char *var)
{
	xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
	xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, xml), *f, *v;
	char *text = NULL, *out = NULL;

	assert_non_null(st);
	f = find_el(st, "field", var);
	v = f ? xmpp_stanza_get_child_by_name(f, "value") : NULL;
	text = v ? xmpp_stanza_get_text(v) : NULL;
	if (text) {
		out = (char *)keep(strdup(text));
		xmpp_free(ctx, text);
	}
	xmpp_stanza_release(st);
	xmpp_ctx_free(ctx);
	return out;
}

static int setup(void **state)
{
	struct harness *h = harness_new(ME, "[history]\nmam_initial = 0\n");

	harness_online_quiet(h);
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	harness_free(*state);
	while (npool)
		free(pool[--npool]);
	return 0;
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The index of the last sent stanza holding needle; fails when none. */
static size_t sent_with(struct harness *h, const char *needle)
{
	size_t idx = 0, from = 0, found = (size_t)-1;

	while (fake_find_sent(h->xs, from, needle, &idx)) {
		found = idx;
		from = idx + 1;
	}
	if (found == (size_t)-1) {
		for (size_t i = 0; i < fake_sent_count(h->xs); i++)
			print_error("  sent %zu: %s\n", i, fake_sent(h->xs, i));
		fail_msg("nothing sent with %s", needle);
	}
	return found;
}

/* Answers the last stanza sent holding needle: fmt, a literal, has one
 * %s, its id. */
#define answer(h, needle, fmt)                                                                     \
	do {                                                                                       \
		char *id_ = fake_sent_id((h)->xs, sent_with((h), (needle)));                       \
                                                                                                   \
		assert_non_null(id_);                                                              \
		fake_receivef((h)->xs, fmt, id_);                                                  \
		free(id_);                                                                         \
	} while (0)

/* What a service without pubsub#subscription-options says of itself. */
#define DISCO_PLAIN                                                                                \
	"<iq type='result' id='%s' from='" SVC "'><query "                                         \
	"xmlns='http://jabber.org/protocol/disco#info'><identity category='pubsub' "               \
	"type='service'/><feature var='" NS "'/><feature var='" NS "#subscribe'/></query></iq>"
#define DISCO_OPTIONS                                                                              \
	"<iq type='result' id='%s' from='" SVC "'><query "                                         \
	"xmlns='http://jabber.org/protocol/disco#info'><identity category='pubsub' "               \
	"type='service'/><feature var='" NS "'/><feature var='" NS                                 \
	"#subscription-options'/></query></iq>"
#define NO_SUBS                                                                                    \
	"<iq type='result' id='%s' from='" SVC "'><pubsub xmlns='" NS                              \
	"'><subscriptions/></pubsub></iq>"

/* ---- /pubsub subscriptions ---- */

/* Seed 004's own exchange: entries without a node attribute are the node
 * asked about; another resource's subscription is listed too. */
static void test_subscriptions_listed(void **state)
{
	struct harness *h = *state;
	json_t *ev, *subs;
	const char *s;

	assert_int_equal(harness_input(h, "/pubsub subscriptions " SVC " /me/alice", 5), 0);
	s = fake_sent(h->xs, 0);
	assert_non_null(strstr(s, "type=\"get\""));
	assert_non_null(strstr(s, "to=\"" SVC "\""));
	assert_string_equal(attr(s, "subscriptions", "node"), "/me/alice");
	answer(h, "<subscriptions",
	       "<iq type='result' id='%s' from='" SVC "' to='" FULL "'><pubsub xmlns='" NS "'>"
	       "<subscriptions><subscription subscription='subscribed' subid='508B107D93C38' "
	       "jid='" FULL "'/><subscription subscription='subscribed' subid='508B188F98CF6' "
	       "jid='" ME "/boston'/></subscriptions></pubsub></iq>");
	ev = harness_expect(h, "pubsub_subscriptions", 0);
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 5);
	assert_string_equal(str(ev, "service"), SVC);
	assert_string_equal(str(ev, "node"), "/me/alice");
	subs = json_object_get(ev, "subscriptions");
	assert_int_equal(json_array_size(subs), 2);
	assert_string_equal(str(json_array_get(subs, 0), "node"), "/me/alice");
	assert_string_equal(str(json_array_get(subs, 0), "jid"), FULL);
	assert_string_equal(str(json_array_get(subs, 0), "subid"), "508B107D93C38");
	assert_string_equal(str(json_array_get(subs, 0), "subscription"), "subscribed");
	assert_string_equal(str(json_array_get(subs, 1), "jid"), ME "/boston");
	assert_null(json_object_get(ev, "truncated"));
	json_decref(ev);
}

/* ---- /pubsub subscribe ---- */

/* A service that takes options: they ride with the request (XEP-0060
 * §6.3.7), for the full JID, after the list came back empty. */
static void test_subscribe_with_options_in_the_same_request(void **state)
{
	struct harness *h = *state;
	size_t list, disco, sub;
	json_t *ev;
	const char *s;

	assert_int_equal(harness_input(h,
	                               "/pubsub subscribe " SVC " calls depth=all "
	                               "expire=2030-11-02T12:00:00.0000000Z",
	                               3),
	                 0);
	/* The list first: nothing else until it answers. */
	assert_int_equal(fake_sent_count(h->xs), 1);
	list = sent_with(h, "<subscriptions");
	assert_string_equal(attr(fake_sent(h->xs, list), "subscriptions", "node"), "calls");
	assert_int_equal(list, 0);
	answer(h, "<subscriptions", NO_SUBS);
	disco = sent_with(h, "disco#info");
	answer(h, "disco#info", DISCO_OPTIONS);
	sub = sent_with(h, "<subscribe ");
	assert_true(list < disco && disco < sub);
	s = fake_sent(h->xs, sub);
	assert_non_null(strstr(s, "type=\"set\""));
	assert_string_equal(attr(s, "subscribe", "node"), "calls");
	assert_string_equal(attr(s, "subscribe", "jid"), FULL);
	/* XEP-0060 §6.3.7: <options/> beside <subscribe/>, with no attributes. */
	assert_non_null(strstr(s, "<options><x xmlns=\"jabber:x:data\""));
	assert_string_equal(attr(s, "x", "type"), "submit");
	assert_string_equal(field(s, "FORM_TYPE"), NS "#subscribe_options");
	assert_string_equal(field(s, "pubsub#subscription_type"), "items");
	assert_string_equal(field(s, "pubsub#subscription_depth"), "all");
	assert_string_equal(field(s, "pubsub#expire"), "2030-11-02T12:00:00Z");
	answer(h, "<subscribe ",
	       "<iq type='result' id='%s' from='" SVC "'><pubsub xmlns='" NS "'><subscription "
	       "node='calls' jid='" FULL "' subid='s1' subscription='subscribed'/></pubsub></iq>");
	/* Nothing more to send: the options went with it. */
	assert_int_equal(fake_sent_count(h->xs), sub + 1);
	ev = harness_expect(h, "pubsub_subscription", 0);
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 3);
	assert_string_equal(str(ev, "service"), SVC);
	assert_string_equal(str(ev, "node"), "calls");
	assert_string_equal(str(ev, "jid"), FULL);
	assert_string_equal(str(ev, "subid"), "s1");
	assert_string_equal(str(ev, "subscription"), "subscribed");
	assert_string_equal(str(ev, "expire"), "2030-11-02T12:00:00Z");
	assert_null(json_object_get(ev, "reused"));
	json_decref(ev);
	/* The list was reported first (seed 004: existing subscriptions first). */
	assert_true(harness_find(h, "pubsub_subscriptions", 0) <
	            harness_find(h, "pubsub_subscription", 0));
}

/* A service that does not announce subscription options: subscribe, then
 * the form right after, with the subid; one event once it is all done. */
static void test_subscribe_then_options_right_after(void **state)
{
	struct harness *h = *state;
	size_t sub, opt;
	json_t *ev;
	const char *s;

	assert_int_equal(harness_input(h, "/pubsub subscribe " SVC " calls depth=all", 4), 0);
	answer(h, "<subscriptions", NO_SUBS);
	answer(h, "disco#info", DISCO_PLAIN);
	sub = sent_with(h, "<subscribe ");
	s = fake_sent(h->xs, sub);
	assert_null(strstr(s, "<options"));
	answer(h, "<subscribe ",
	       "<iq type='result' id='%s' from='" SVC "'><pubsub xmlns='" NS "'><subscription "
	       "node='calls' jid='" FULL "' subid='s2' subscription='subscribed'/></pubsub></iq>");
	assert_int_equal(harness_find(h, "pubsub_subscription", 0), -1);
	opt = sent_with(h, "<options ");
	assert_true(opt > sub);
	s = fake_sent(h->xs, opt);
	assert_string_equal(attr(s, "options", "node"), "calls");
	assert_string_equal(attr(s, "options", "jid"), FULL);
	assert_string_equal(attr(s, "options", "subid"), "s2");
	assert_string_equal(field(s, "pubsub#subscription_depth"), "all");
	assert_string_equal(field(s, "pubsub#subscription_type"), "items");
	assert_null(field(s, "pubsub#expire"));
	answer(h, "<options ", "<iq type='result' id='%s' from='" SVC "'/>");
	ev = harness_expect(h, "pubsub_subscription", 0);
	assert_string_equal(str(ev, "subscription"), "subscribed");
	assert_string_equal(str(ev, "subid"), "s2");
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 4);
	json_decref(ev);
	assert_int_equal(harness_find(h, "pubsub_subscription",
	                              (size_t)harness_find(h, "pubsub_subscription", 0) + 1),
	                 -1);
}

/* No options asked for: a plain subscribe, and no form at all. */
static void test_subscribe_without_options(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	assert_int_equal(harness_input(h, "/pubsub subscribe " SVC " news", 1), 0);
	answer(h, "<subscriptions", NO_SUBS);
	/* No options to place: no need to ask whether the service takes them. */
	assert_null(fake_find_sent(h->xs, 0, "disco#info", NULL));
	assert_null(strstr(fake_sent(h->xs, sent_with(h, "<subscribe ")), "jabber:x:data"));
	/* An empty result is a success too. */
	answer(h, "<subscribe ", "<iq type='result' id='%s' from='" SVC "'/>");
	ev = harness_expect(h, "pubsub_subscription", 0);
	assert_string_equal(str(ev, "subscription"), "subscribed");
	json_decref(ev);
	assert_null(fake_find_sent(h->xs, 0, "<options", NULL));
}

/* The service requires configuration (XEP-0060 §6.1.5): natter sends the
 * form right after, even when nothing was asked for. */
static void test_subscribe_options_required(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	assert_int_equal(harness_input(h, "/pubsub subscribe " SVC " news", 1), 0);
	answer(h, "<subscriptions", NO_SUBS);
	answer(h, "<subscribe ",
	       "<iq type='result' id='%s' from='" SVC "'><pubsub xmlns='" NS "'><subscription "
	       "node='news' jid='" FULL "' subid='u1' subscription='unconfigured'>"
	       "<subscribe-options><required/></subscribe-options></subscription></pubsub></iq>");
	assert_string_equal(attr(fake_sent(h->xs, sent_with(h, "<options ")), "options", "subid"),
	                    "u1");
	assert_string_equal(
	    field(fake_sent(h->xs, sent_with(h, "<options ")), "pubsub#subscription_type"),
	    "items");
	answer(h, "<options ", "<iq type='result' id='%s' from='" SVC "'/>");
	ev = harness_expect(h, "pubsub_subscription", 0);
	assert_string_equal(str(ev, "subscription"), "subscribed");
	json_decref(ev);
}

/* Seed 004: reuse before create.  This full JID holds a subscription: it
 * is renewed (options with node, jid and subid; the same depth, a new
 * expiry), and no subscribe is sent.  Another resource's is left alone. */
static void test_existing_subscription_is_renewed_not_added(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	const char *s;

	assert_int_equal(harness_input(h,
	                               "/pubsub subscribe " SVC " calls depth=all "
	                               "expire=2031-01-01T00:00:00Z",
	                               6),
	                 0);
	answer(h, "<subscriptions",
	       "<iq type='result' id='%s' from='" SVC "'><pubsub xmlns='" NS "'><subscriptions>"
	       "<subscription subscription='subscribed' subid='BOSTON1' jid='" ME "/boston'/>"
	       "<subscription subscription='subscribed' subid='MINE1' jid='" FULL "'/>"
	       "</subscriptions></pubsub></iq>");
	assert_null(fake_find_sent(h->xs, 0, "<subscribe ", NULL));
	assert_null(fake_find_sent(h->xs, 0, "BOSTON1", NULL));
	s = fake_sent(h->xs, sent_with(h, "<options "));
	assert_string_equal(attr(s, "options", "node"), "calls");
	assert_string_equal(attr(s, "options", "jid"), FULL);
	assert_string_equal(attr(s, "options", "subid"), "MINE1");
	assert_string_equal(field(s, "FORM_TYPE"), NS "#subscribe_options");
	assert_string_equal(field(s, "pubsub#subscription_type"), "items");
	assert_string_equal(field(s, "pubsub#subscription_depth"), "all");
	assert_string_equal(field(s, "pubsub#expire"), "2031-01-01T00:00:00Z");
	answer(h, "<options ", "<iq type='result' id='%s' from='" SVC "'/>");
	ev = harness_expect(h, "pubsub_subscription", 0);
	assert_string_equal(str(ev, "subid"), "MINE1");
	assert_string_equal(str(ev, "subscription"), "subscribed");
	assert_true(json_is_true(json_object_get(ev, "reused")));
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 6);
	json_decref(ev);
	/* /pubsub renew later keeps depth=all, with a fresh expiry. */
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/pubsub renew " SVC " calls MINE1 expire=+2h", 7), 0);
	s = fake_sent(h->xs, 0);
	assert_string_equal(attr(s, "options", "subid"), "MINE1");
	assert_string_equal(field(s, "pubsub#subscription_depth"), "all");
	assert_non_null(field(s, "pubsub#expire"));
	assert_null(strstr(field(s, "pubsub#expire"), "2031-01-01"));
}

/* Asked for nothing new, the subscription this JID holds is reused as it
 * is: no request at all. */
static void test_existing_subscription_reused_as_it_is(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	assert_int_equal(harness_input(h, "/pubsub subscribe " SVC " calls", 6), 0);
	answer(h, "<subscriptions",
	       "<iq type='result' id='%s' from='" SVC "'><pubsub xmlns='" NS "'><subscriptions>"
	       "<subscription subscription='subscribed' subid='MINE2' jid='" FULL "'/>"
	       "</subscriptions></pubsub></iq>");
	assert_int_equal(fake_sent_count(h->xs), 1);
	ev = harness_expect(h, "pubsub_subscription", 0);
	assert_string_equal(str(ev, "subid"), "MINE2");
	assert_true(json_is_true(json_object_get(ev, "reused")));
	json_decref(ev);
}

/* A subscription of this JID whose lease ends (the list gives its expiry)
 * is renewed even when nothing was asked for: a day from now, like /pubsub
 * renew, on the same subid. */
static void test_existing_lease_renewed_when_subscribing_again(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	const char *s;

	assert_int_equal(harness_input(h, "/pubsub subscribe " SVC " calls", 6), 0);
	answer(h, "<subscriptions",
	       "<iq type='result' id='%s' from='" SVC "'><pubsub xmlns='" NS "'><subscriptions>"
	       "<subscription subscription='subscribed' subid='MINE3' jid='" FULL "' "
	       "expiry='2020-01-01T00:00:00Z'/></subscriptions></pubsub></iq>");
	assert_null(fake_find_sent(h->xs, 0, "<subscribe ", NULL));
	s = fake_sent(h->xs, sent_with(h, "<options "));
	assert_string_equal(attr(s, "options", "subid"), "MINE3");
	assert_string_equal(attr(s, "options", "jid"), FULL);
	assert_string_equal(field(s, "pubsub#subscription_type"), "items");
	assert_non_null(field(s, "pubsub#expire"));
	assert_null(strstr(field(s, "pubsub#expire"), "2020-01-01"));
	answer(h, "<options ", "<iq type='result' id='%s' from='" SVC "'/>");
	ev = harness_expect(h, "pubsub_subscription", 0);
	assert_string_equal(str(ev, "subid"), "MINE3");
	assert_string_equal(str(ev, "subscription"), "subscribed");
	assert_non_null(str(ev, "expire"));
	assert_true(json_is_true(json_object_get(ev, "reused")));
	json_decref(ev);
}

/* Without expire=, /pubsub renew asks for a day from now. */
static void test_renew_default_lease(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	assert_int_equal(harness_input(h, "/pubsub renew " SVC " calls X9", 2), 0);
	assert_string_equal(attr(fake_sent(h->xs, 0), "options", "subid"), "X9");
	assert_string_equal(attr(fake_sent(h->xs, 0), "options", "jid"), FULL);
	assert_non_null(field(fake_sent(h->xs, 0), "pubsub#expire"));
	assert_null(field(fake_sent(h->xs, 0), "pubsub#subscription_depth"));
	answer(h, "<options ", "<iq type='result' id='%s' from='" SVC "'/>");
	ev = harness_expect(h, "pubsub_subscription", 0);
	assert_string_equal(str(ev, "subid"), "X9");
	assert_true(json_is_true(json_object_get(ev, "reused")));
	assert_non_null(str(ev, "expire"));
	json_decref(ev);
}

/* ---- the authorize model ---- */

/* An immediate "pending", reported; later the message with the final
 * state, reported (to the command's origin) and applied; the options asked
 * for are sent once the subscription exists. */
static void test_authorize_pending_then_subscribed(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	size_t mark;

	assert_int_equal(harness_input(h, "/pubsub subscribe " SVC " calls expire=+1d", 8), 0);
	answer(h, "<subscriptions", NO_SUBS);
	answer(h, "disco#info", DISCO_PLAIN);
	answer(h, "<subscribe ",
	       "<iq type='result' id='%s' from='" SVC "'><pubsub xmlns='" NS "'><subscription "
	       "node='calls' jid='" FULL "' subscription='pending'/></pubsub></iq>");
	ev = harness_expect(h, "pubsub_subscription", 0);
	assert_string_equal(str(ev, "subscription"), "pending");
	json_decref(ev);
	/* No options while pending. */
	assert_null(fake_find_sent(h->xs, 0, "<options ", NULL));
	mark = harness_mark(h);
	fake_receive(h->xs, "<message from='" SVC "' to='" FULL "' id='approvalnotify1'>"
	                    "<event xmlns='" NS_EVENT "'><subscription node='calls' jid='" FULL
	                    "' subscription='subscribed' subid='AP1'/></event></message>");
	/* Approved: the options go now, and the state is reported after them. */
	assert_string_equal(attr(fake_sent(h->xs, sent_with(h, "<options ")), "options", "subid"),
	                    "AP1");
	assert_non_null(field(fake_sent(h->xs, sent_with(h, "<options ")), "pubsub#expire"));
	answer(h, "<options ", "<iq type='result' id='%s' from='" SVC "'/>");
	ev = harness_expect(h, "pubsub_subscription", mark);
	assert_string_equal(str(ev, "subscription"), "subscribed");
	assert_string_equal(str(ev, "subid"), "AP1");
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 8);
	json_decref(ev);
	/* Not a chat message. */
	assert_int_equal(harness_find(h, "message", 0), -1);
}

static void test_authorize_pending_then_refused(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	size_t mark;

	assert_int_equal(harness_input(h, "/pubsub subscribe " SVC " calls", 8), 0);
	answer(h, "<subscriptions", NO_SUBS);
	answer(h, "<subscribe ",
	       "<iq type='result' id='%s' from='" SVC "'><pubsub xmlns='" NS "'><subscription "
	       "node='calls' jid='" FULL "' subscription='pending'/></pubsub></iq>");
	mark = harness_mark(h);
	fake_receive(h->xs, "<message from='" SVC "' to='" FULL "'><event xmlns='" NS_EVENT "'>"
	                    "<subscription node='calls' jid='" FULL "' subscription='none'/>"
	                    "</event></message>");
	ev = harness_expect(h, "pubsub_subscription", mark);
	assert_string_equal(str(ev, "subscription"), "none");
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 8);
	json_decref(ev);
	/* Forgotten: an unsubscribe names no subid now. */
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/pubsub unsubscribe " SVC " calls", 1), 0);
	assert_null(strstr(fake_sent(h->xs, 0), "subid"));
}

/* ---- notifications ---- */

static void test_notification_reported_with_its_to(void **state)
{
	struct harness *h = *state;
	json_t *ev, *items;

	fake_receive(h->xs,
	             "<message from='" SVC "' to='" FULL "' type='headline' id='n1'>"
	             "<event xmlns='" NS_EVENT "'><items node='calls'>"
	             "<item id='c1'><call xmlns='urn:example:calls'><from>bob</from></call></item>"
	             "<retract id='c0'/></items></event>"
	             "<headers xmlns='http://jabber.org/protocol/shim'>"
	             "<header name='SubID'>s1</header></headers>"
	             "<body>A new call (fallback body)</body></message>");
	ev = harness_expect(h, "pubsub_event", 0);
	assert_string_equal(str(ev, "service"), SVC);
	assert_string_equal(str(ev, "node"), "calls");
	assert_string_equal(str(ev, "to"), FULL);
	assert_null(json_object_get(ev, "other_resource"));
	assert_string_equal(str(ev, "subid"), "s1");
	items = json_object_get(ev, "items");
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(str(json_array_get(items, 0), "id"), "c1");
	assert_string_equal(str(json_array_get(items, 0), "payload"),
	                    "<call xmlns=\"urn:example:calls\"><from>bob</from></call>");
	assert_string_equal(str(json_array_get(items, 1), "id"), "c0");
	assert_true(json_is_true(json_object_get(json_array_get(items, 1), "retracted")));
	json_decref(ev);
	/* The fallback body is no chat message. */
	assert_int_equal(harness_find(h, "message", 0), -1);
}

/* Seed 004: the service sent it to another resource (which has left); it
 * is reported as such and not processed: no items, no state change. */
static void test_notification_for_another_resource_not_processed(void **state)
{
	struct harness *h = *state;
	json_t *ev, *items;

	fake_receive(h->xs, "<message from='" SVC "' to='" ME "/boston'>"
	                    "<event xmlns='" NS_EVENT "'><items node='calls'>"
	                    "<item id='c2'><call xmlns='urn:example:calls'/></item></items></event>"
	                    "<body>fallback</body></message>");
	ev = harness_expect(h, "pubsub_event", 0);
	assert_string_equal(str(ev, "to"), ME "/boston");
	assert_string_equal(str(ev, "node"), "calls");
	assert_true(json_is_true(json_object_get(ev, "other_resource")));
	items = json_object_get(ev, "items");
	assert_int_equal(json_array_size(items), 0);
	json_decref(ev);
	assert_int_equal(harness_find(h, "message", 0), -1);

	/* A final state sent to the other resource changes nothing of ours. */
	assert_int_equal(harness_input(h, "/pubsub subscribe " SVC " calls", 8), 0);
	answer(h, "<subscriptions", NO_SUBS);
	answer(h, "<subscribe ",
	       "<iq type='result' id='%s' from='" SVC "'><pubsub xmlns='" NS "'><subscription "
	       "node='calls' jid='" FULL "' subscription='pending'/></pubsub></iq>");
	harness_clear(h);
	fake_receive(h->xs, "<message from='" SVC "' to='" ME "/boston'><event xmlns='" NS_EVENT
	                    "'><subscription node='calls' jid='" FULL
	                    "' subscription='subscribed' subid='Z'/></event></message>");
	assert_int_equal(harness_find(h, "pubsub_subscription", 0), -1);
	ev = harness_expect(h, "pubsub_event", 0);
	assert_true(json_is_true(json_object_get(ev, "other_resource")));
	json_decref(ev);
	/* Our bare JID is ours, though. */
	fake_receive(h->xs, "<message from='" SVC "' to='" ME "'><event xmlns='" NS_EVENT
	                    "'><items node='calls'><item id='c3'/></items></event></message>");
	ev = harness_get(h, "pubsub_event", (size_t)harness_find(h, "pubsub_event", 0) + 1);
	assert_non_null(ev);
	assert_null(json_object_get(ev, "other_resource"));
	assert_int_equal(json_array_size(json_object_get(ev, "items")), 1);
	json_decref(ev);
}

/* XEP-0248: with depth=all, a leaf's items come through the collection. */
static void test_collection_notification(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	fake_receive(h->xs,
	             "<message from='" SVC "' to='" FULL "'><event xmlns='" NS_EVENT "'>"
	             "<items node='/calls/leaf1'><item id='i1'><x xmlns='urn:e'/></item>"
	             "</items></event><headers xmlns='http://jabber.org/protocol/shim'>"
	             "<header name='Collection'>/calls</header></headers>"
	             "<delay xmlns='urn:xmpp:delay' stamp='2030-01-01T00:00:00Z'/></message>");
	ev = harness_expect(h, "pubsub_event", 0);
	assert_string_equal(str(ev, "node"), "/calls/leaf1");
	assert_string_equal(str(ev, "collection"), "/calls");
	assert_string_equal(str(ev, "stamp"), "2030-01-01T00:00:00Z");
	json_decref(ev);
}

/* A contact's PEP notification is reported and left to other modules; an
 * error bounce is no notification. */
static void test_pep_passes_on_and_errors_are_ignored(void **state)
{
	struct harness *h = *state;

	fake_receive(h->xs,
	             "<message type='error' from='" SVC "' to='" FULL "'><event xmlns='" NS_EVENT
	             "'><items node='x'/></event><error type='cancel'>"
	             "<item-not-found xmlns='" STANZAS "'/></error></message>");
	assert_int_equal(harness_find(h, "pubsub_event", 0), -1);
	/* A contact's PEP node nobody subscribed to with /pubsub: not
	 * PubSub's to report, and the message goes on. */
	fake_receive(h->xs, "<message from='bob@example.org' to='" FULL "'><event xmlns='" NS_EVENT
	                    "'><items node='urn:xmpp:tune'><item id='t'/></items></event>"
	                    "<body>pep with a body</body></message>");
	assert_int_equal(harness_find(h, "pubsub_event", 0), -1);
	assert_true(harness_find(h, "message", 0) >= 0);
}

/* Our own bookmarks (XEP-0402, +notify) are bookmarks.c's, OMEMO's device
 * lists omemo.c's: their notifications are no pubsub_event (the PubSub
 * window would show every bookmark, passwords and all); a PEP node
 * subscribed to with /pubsub is reported like any service's. */
static void test_pep_reported_only_when_subscribed(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	fake_receive(h->xs, "<message from='" ME "' to='" FULL "'><event xmlns='" NS_EVENT
	                    "'><items node='urn:xmpp:bookmarks:1'><item id='r@muc.example.org'>"
	                    "<conference xmlns='urn:xmpp:bookmarks:1'><password>pw</password>"
	                    "</conference></item></items></event></message>");
	assert_int_equal(harness_find(h, "pubsub_event", 0), -1);
	/* Nor a contact's OMEMO device list (omemo.c follows it). */
	fake_receive(h->xs, "<message from='bob@example.org' to='" FULL "'><event xmlns='" NS_EVENT
	                    "'><items node='eu.siacs.conversations.axolotl.devicelist'><item "
	                    "id='current'><list xmlns='eu.siacs.conversations.axolotl'><device "
	                    "id='42'/></list></item></items></event></message>");
	assert_int_equal(harness_find(h, "pubsub_event", 0), -1);

	assert_int_equal(harness_input(h, "/pubsub subscribe bob@example.org urn:example:mood", 1),
	                 0);
	answer(h, "<subscriptions",
	       "<iq type='result' id='%s' from='bob@example.org'><pubsub xmlns='" NS
	       "'><subscriptions/></pubsub></iq>");
	answer(h, "<subscribe ",
	       "<iq type='result' id='%s' from='bob@example.org'><pubsub xmlns='" NS
	       "'><subscription node='urn:example:mood' jid='" FULL "' "
	       "subscription='subscribed'/></pubsub></iq>");
	ev = harness_expect(h, "pubsub_subscription", 0);
	json_decref(ev);
	fake_receive(h->xs,
	             "<message from='bob@example.org' to='" FULL "'><event xmlns='" NS_EVENT
	             "'><items node='urn:example:mood'><item id='m1'><mood "
	             "xmlns='urn:example:mood'>calm</mood></item></items></event></message>");
	ev = harness_expect(h, "pubsub_event", 0);
	assert_string_equal(str(ev, "service"), "bob@example.org");
	assert_string_equal(str(ev, "node"), "urn:example:mood");
	json_decref(ev);
}

static void test_purge_and_delete(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	fake_receive(h->xs, "<message from='" SVC "' to='" FULL "'><event xmlns='" NS_EVENT
	                    "'><purge node='calls'/></event></message>");
	ev = harness_expect(h, "pubsub_event", 0);
	assert_true(json_is_true(json_object_get(ev, "purged")));
	json_decref(ev);
	fake_receive(h->xs, "<message from='" SVC "' to='" FULL "'><event xmlns='" NS_EVENT
	                    "'><delete node='calls'/></event></message>");
	ev = harness_expect(h, "pubsub_event", 1);
	assert_true(json_is_true(json_object_get(ev, "deleted")));
	json_decref(ev);
}

/* ---- /pubsub unsubscribe ---- */

static void test_unsubscribe_names_the_known_subid(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	const char *s;

	assert_int_equal(harness_input(h, "/pubsub subscribe " SVC " calls", 1), 0);
	answer(h, "<subscriptions", NO_SUBS);
	answer(h, "<subscribe ",
	       "<iq type='result' id='%s' from='" SVC "'><pubsub xmlns='" NS "'><subscription "
	       "node='calls' jid='" FULL "' subid='K1' subscription='subscribed'/></pubsub></iq>");
	harness_clear(h);
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/pubsub unsubscribe " SVC " calls", 2), 0);
	s = fake_sent(h->xs, 0);
	assert_non_null(strstr(s, "type=\"set\""));
	assert_string_equal(attr(s, "unsubscribe", "node"), "calls");
	assert_string_equal(attr(s, "unsubscribe", "jid"), FULL);
	assert_string_equal(attr(s, "unsubscribe", "subid"), "K1");
	answer(h, "<unsubscribe", "<iq type='result' id='%s' from='" SVC "'/>");
	ev = harness_expect(h, "pubsub_subscription", 0);
	assert_string_equal(str(ev, "subscription"), "none");
	assert_int_equal(json_integer_value(json_object_get(ev, "origin")), 2);
	json_decref(ev);
}

/* ---- errors ---- */

static json_t *error_after(struct harness *h, size_t from, const char *command)
{
	json_t *ev = harness_expect(h, "error", from);

	assert_string_equal(str(ev, "command"), command);
	return ev;
}

static void test_errors_name_their_conditions(void **state)
{
	struct harness *h = *state;
	json_t *ev;
	size_t mark;

	/* Subscribing again while the owner decides (XEP-0060 §6.1.3.7). */
	assert_int_equal(harness_input(h, "/pubsub subscribe " SVC " calls", 1), 0);
	answer(h, "<subscriptions", NO_SUBS);
	answer(h, "<subscribe ",
	       "<iq type='error' id='%s' from='" SVC
	       "'><error type='auth'><not-authorized xmlns='" STANZAS
	       "'/><pending-subscription xmlns='" NS_ERRORS "'/></error></iq>");
	ev = error_after(h, 0, "pubsub subscribe");
	assert_string_equal(str(ev, "condition"), "not-authorized");
	assert_string_equal(str(ev, "app_condition"), "pending-subscription");
	assert_non_null(strstr(str(ev, "text"), "pending-subscription"));
	json_decref(ev);

	/* The service's cap on subscriptions (§6.1.3.9). */
	mark = harness_mark(h);
	assert_int_equal(harness_input(h, "/pubsub subscribe " SVC " calls", 1), 0);
	answer(h, "<subscriptions", NO_SUBS);
	answer(h, "<subscribe ",
	       "<iq type='error' id='%s' from='" SVC
	       "'><error type='wait'><not-allowed xmlns='" STANZAS
	       "'/><too-many-subscriptions xmlns='" NS_ERRORS "'/></error></iq>");
	ev = error_after(h, mark, "pubsub subscribe");
	assert_string_equal(str(ev, "condition"), "not-allowed");
	assert_string_equal(str(ev, "app_condition"), "too-many-subscriptions");
	json_decref(ev);

	/* No such node. */
	mark = harness_mark(h);
	assert_int_equal(harness_input(h, "/pubsub subscribe " SVC " nosuch", 1), 0);
	answer(h, "<subscriptions",
	       "<iq type='error' id='%s' from='" SVC "'><error type='cancel'>"
	       "<item-not-found xmlns='" STANZAS "'/></error></iq>");
	answer(h, "<subscribe ",
	       "<iq type='error' id='%s' from='" SVC "'><error type='cancel'>"
	       "<item-not-found xmlns='" STANZAS "'/></error></iq>");
	ev = error_after(h, mark, "pubsub subscribe");
	assert_string_equal(str(ev, "condition"), "item-not-found");
	assert_null(json_object_get(ev, "app_condition"));
	json_decref(ev);
	/* Only one error for it: the list's error was not the answer. */
	assert_int_equal(harness_find(h, "error", (size_t)harness_find(h, "error", mark) + 1), -1);

	/* Unsubscribing from what we are not subscribed to (§6.2.3.2). */
	mark = harness_mark(h);
	assert_int_equal(harness_input(h, "/pubsub unsubscribe " SVC " other", 1), 0);
	answer(h, "<unsubscribe",
	       "<iq type='error' id='%s' from='" SVC "'><error type='cancel'><unexpected-request "
	       "xmlns='" STANZAS "'/><not-subscribed xmlns='" NS_ERRORS "'/></error></iq>");
	ev = error_after(h, mark, "pubsub unsubscribe");
	assert_string_equal(str(ev, "condition"), "unexpected-request");
	assert_string_equal(str(ev, "app_condition"), "not-subscribed");
	json_decref(ev);

	/* Not authorized to see the list. */
	mark = harness_mark(h);
	assert_int_equal(harness_input(h, "/pubsub subscriptions " SVC, 1), 0);
	answer(h, "<subscriptions",
	       "<iq type='error' id='%s' from='" SVC "'><error type='auth'>"
	       "<not-authorized xmlns='" STANZAS "'/></error></iq>");
	ev = error_after(h, mark, "pubsub subscriptions");
	assert_string_equal(str(ev, "condition"), "not-authorized");
	json_decref(ev);

	/* The options a service does not take are said (ejabberd's flat nodes). */
	mark = harness_mark(h);
	assert_int_equal(harness_input(h, "/pubsub renew " SVC " calls R1", 1), 0);
	answer(h, "<options ",
	       "<iq type='error' id='%s' from='" SVC
	       "'><error type='cancel'><feature-not-implemented "
	       "xmlns='" STANZAS "'/><unsupported xmlns='" NS_ERRORS
	       "' feature='subscription-options'/></error></iq>");
	ev = error_after(h, mark, "pubsub renew");
	assert_string_equal(str(ev, "condition"), "feature-not-implemented");
	assert_string_equal(str(ev, "app_condition"), "unsupported");
	assert_non_null(strstr(str(ev, "text"), "subscription-options"));
	json_decref(ev);
}

static void test_bad_arguments_send_nothing(void **state)
{
	struct harness *h = *state;
	json_t *ev;

	assert_int_equal(harness_input(h, "/pubsub subscribe " SVC " calls expire=tomorrow", 1),
	                 -1);
	assert_int_equal(harness_input(h, "/pubsub subscribe " SVC " calls depth=deep", 1), -1);
	assert_int_equal(harness_input(h, "/pubsub subscribe " SVC " calls color=red", 1), -1);
	assert_int_equal(harness_input(h, "/pubsub subscribe not@@valid calls", 1), -1);
	assert_int_equal(harness_input(h, "/pubsub subscribe " SVC, 1), -1);
	assert_int_equal(fake_sent_count(h->xs), 0);
	ev = harness_expect(h, "error", 0);
	assert_string_equal(str(ev, "condition"), "bad-request");
	json_decref(ev);
}

/* ---- bounds ---- */

/* A list of thousands: natter reports MAX_LISTED (1000) and says so. */
static void test_huge_list_is_bounded(void **state)
{
	struct harness *h = *state;
	size_t n = 3000, len = 0;
	char *xml = NULL, *id;
	FILE *f = open_memstream(&xml, &len);
	json_t *ev;

	assert_non_null(f);
	assert_int_equal(harness_input(h, "/pubsub subscriptions " SVC, 1), 0);
	id = fake_sent_id(h->xs, sent_with(h, "<subscriptions"));
	fprintf(f,
	        "<iq type='result' id='%s' from='" SVC "'><pubsub xmlns='" NS "'><subscriptions>",
	        id);
	free(id);
	for (size_t i = 0; i < n; i++)
		fprintf(f,
		        "<subscription node='n%zu' jid='" FULL "' subid='S%zu' "
		        "subscription='subscribed'/>",
		        i, i);
	fprintf(f, "</subscriptions></pubsub></iq>");
	assert_int_equal(fclose(f), 0);
	fake_receive(h->xs, xml);
	free(xml);
	ev = harness_expect(h, "pubsub_subscriptions", 0);
	assert_int_equal(json_array_size(json_object_get(ev, "subscriptions")), 1000);
	assert_true(json_is_true(json_object_get(ev, "truncated")));
	json_decref(ev);
	/* What natter remembers of them is bounded too: the first ones are
	 * known (an unsubscribe names their subid), the last ones are not. */
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/pubsub unsubscribe " SVC " n0", 1), 0);
	assert_non_null(strstr(fake_sent(h->xs, 0), "subid=\"S0\""));
	assert_int_equal(harness_input(h, "/pubsub unsubscribe " SVC " n2999", 1), 0);
	assert_null(strstr(fake_sent(h->xs, 1), "subid"));
	/* The table is full: another service's subscriptions are reported but
	 * not remembered (1000 in all, whatever the services). */
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/pubsub subscriptions other.example.org", 1), 0);
	answer(h, "<subscriptions",
	       "<iq type='result' id='%s' from='other.example.org'><pubsub xmlns='" NS
	       "'><subscriptions><subscription node='x' jid='" FULL "' subid='OX' "
	       "subscription='subscribed'/></subscriptions></pubsub></iq>");
	fake_clear_sent(h->xs);
	assert_int_equal(harness_input(h, "/pubsub unsubscribe other.example.org x", 1), 0);
	assert_null(strstr(fake_sent(h->xs, 0), "subid"));
}

/* A notification with hundreds of items, one of them huge, and terminal
 * controls in a payload: bounded and sanitised. */
static void test_huge_notification_is_bounded(void **state)
{
	struct harness *h = *state;
	size_t len = 0;
	char *xml = NULL, *big = malloc(100001);
	FILE *f = open_memstream(&xml, &len);
	json_t *ev, *items;
	const char *p;

	assert_non_null(f);
	assert_non_null(big);
	memset(big, 'x', 100000);
	big[100000] = 0;
	fprintf(f, "<message from='" SVC "' to='" FULL "'><event xmlns='" NS_EVENT
	           "'><items node='calls'>");
	fprintf(f, "<item id='big'><p xmlns='urn:e'>%s</p></item>", big);
	fprintf(f, "<item id='evil'><p xmlns='urn:e'>a\xc2\x9b"
	           "2Jb\xe2\x80\xae"
	           "c</p></item>");
	for (int i = 0; i < 500; i++)
		fprintf(f, "<item id='i%d'/>", i);
	fprintf(f, "</items></event></message>");
	assert_int_equal(fclose(f), 0);
	free(big);
	fake_receive(h->xs, xml);
	free(xml);
	ev = harness_expect(h, "pubsub_event", 0);
	items = json_object_get(ev, "items");
	assert_int_equal(json_array_size(items), 100);
	assert_true(json_is_true(json_object_get(ev, "truncated")));
	p = str(json_array_get(items, 0), "payload");
	assert_true(strlen(p) <= 16384);
	assert_true(strlen(p) > 16000);
	assert_string_equal(str(json_array_get(items, 1), "payload"), "<p xmlns=\"urn:e\">abc</p>");
	json_decref(ev);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_subscriptions_listed),
	    T(test_subscribe_with_options_in_the_same_request),
	    T(test_subscribe_then_options_right_after),
	    T(test_subscribe_without_options),
	    T(test_subscribe_options_required),
	    T(test_existing_subscription_is_renewed_not_added),
	    T(test_existing_subscription_reused_as_it_is),
	    T(test_existing_lease_renewed_when_subscribing_again),
	    T(test_renew_default_lease),
	    T(test_authorize_pending_then_subscribed),
	    T(test_authorize_pending_then_refused),
	    T(test_notification_reported_with_its_to),
	    T(test_notification_for_another_resource_not_processed),
	    T(test_collection_notification),
	    T(test_pep_passes_on_and_errors_are_ignored),
	    T(test_pep_reported_only_when_subscribed),
	    T(test_purge_and_delete),
	    T(test_unsubscribe_names_the_known_subid),
	    T(test_errors_name_their_conditions),
	    T(test_bad_arguments_send_nothing),
	    T(test_huge_list_is_bounded),
	    T(test_huge_notification_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
