/* The fake session: see fake_session.h. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <expat.h>

#include "fake_session.h"
#include "util/jid.h"
#include "xmpp/rosterstream.h"
#include "xmpp/stanza.h"

struct pending {
	char *id, *to;
	xs_iq_fn fn;
	void *ud;
	uint64_t timer;
	struct xs *xs;
	struct pending *next;
};

struct xs {
	struct loop *loop;
	struct xs_callbacks cb;
	void *ud;
	xmpp_ctx_t *ctx;
	bool online;
	bool csi; /* the next login offers XEP-0352 */
	char *jid;
	char **sent;
	size_t nsent;
	struct pending *pending;
	unsigned connects, closes, aborts;
	struct net_params connect_params, register_params;
	bool registering;
	unsigned replaces, drained_drops;
	/* After xs_replace and until fake_online: what the core sends waits
	 * here, as in the real session's outbox. */
	bool holding;
	char **held;
	size_t nheld;
	/* What xs_take_roster_items() gives next (fake_roster_items). */
	struct rs_list *roster_items;
};

static struct xs *last;
/* Ids count from 1 for each session: a test (or a fuzz input) can quote
 * the id of the nth request. */
static unsigned next_id;

struct xs *fake_xs(void)
{
	return last;
}

struct xs *xs_new(struct loop *loop, const struct xs_callbacks *cb, void *ud)
{
	struct xs *xs = calloc(1, sizeof(*xs));

	assert_non_null(xs);
	xmpp_initialize();
	xs->loop = loop;
	xs->cb = *cb;
	xs->ud = ud;
	xs->ctx = xmpp_ctx_new(NULL, NULL);
	assert_non_null(xs->ctx);
	next_id = 0;
	last = xs;
	return xs;
}

static void pending_drop(struct xs *xs, struct pending *p)
{
	for (struct pending **pp = &xs->pending; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	loop_timer_cancel(xs->loop, p->timer);
	free(p->id);
	free(p->to);
	free(p);
}

void fake_clear_sent(struct xs *xs)
{
	for (size_t i = 0; i < xs->nsent; i++)
		free(xs->sent[i]);
	free(xs->sent);
	xs->sent = NULL;
	xs->nsent = 0;
}

void xs_free(struct xs *xs)
{
	if (!xs)
		return;
	while (xs->pending)
		pending_drop(xs, xs->pending);
	fake_clear_sent(xs);
	rs_list_free(xs->roster_items);
	for (size_t i = 0; i < xs->nheld; i++)
		free(xs->held[i]);
	free(xs->held);
	free(xs->jid);
	net_params_clear(&xs->connect_params);
	net_params_clear(&xs->register_params);
	xmpp_ctx_free(xs->ctx);
	if (last == xs)
		last = NULL;
	free(xs);
}

xmpp_ctx_t *xs_ctx(struct xs *xs)
{
	return xs->ctx;
}

/* Keeps what the core asked for, as the real session hands it on. */
static void take_params(struct net_params *slot, struct net_params *params)
{
	net_params_clear(slot);
	*slot = *params;
	memset(params, 0, sizeof(*params));
}

int xs_connect(struct xs *xs, struct net_params *params)
{
	xs->connects++;
	take_params(&xs->connect_params, params);
	return 0;
}

int xs_replace(struct xs *xs, struct net_params *params)
{
	xs->replaces++;
	xs->online = false;
	xs->holding = true;
	take_params(&xs->connect_params, params);
	return 0;
}

void xs_drop_drained(struct xs *xs)
{
	xs->drained_drops++;
}

unsigned fake_replaces(struct xs *xs)
{
	return xs->replaces;
}

unsigned fake_drained_drops(struct xs *xs)
{
	return xs->drained_drops;
}

void fake_drained(struct xs *xs)
{
	xs->cb.drained(xs->ud);
}

void xs_close(struct xs *xs)
{
	xs->closes++;
}

void xs_abort(struct xs *xs)
{
	xs->aborts++;
}

int xs_register(struct xs *xs, struct net_params *params)
{
	xs->registering = true;
	take_params(&xs->register_params, params);
	return 0;
}

/* As net.c: the registration stream ends, and says so. */
void xs_abort_register(struct xs *xs)
{
	if (xs->registering)
		fake_registered(xs, NULL, NET_FAIL_NETWORK, NULL, "registration aborted");
}

bool xs_online(const struct xs *xs)
{
	return xs->online;
}

const char *xs_jid(const struct xs *xs)
{
	return xs->online ? xs->jid : NULL;
}

char *xs_make_id(void)
{
	char *id;

	if (asprintf(&id, "fake-%u", ++next_id) < 0)
		return NULL;
	return id;
}

int xs_send(struct xs *xs, xmpp_stanza_t *st)
{
	char *text = NULL, **grown;
	size_t len;

	assert_int_equal(xmpp_stanza_to_text(st, &text, &len), XMPP_EOK);
	if (xs->holding) {
		grown = realloc(xs->held, (xs->nheld + 1) * sizeof(*grown));
		assert_non_null(grown);
		xs->held = grown;
		xs->held[xs->nheld] = strdup(text);
		assert_non_null(xs->held[xs->nheld]);
		xs->nheld++;
		xmpp_free(xs->ctx, text);
		xmpp_stanza_release(st);
		return 0;
	}
	grown = realloc(xs->sent, (xs->nsent + 1) * sizeof(*grown));
	assert_non_null(grown);
	xs->sent = grown;
	xs->sent[xs->nsent] = strdup(text);
	assert_non_null(xs->sent[xs->nsent]);
	xs->nsent++;
	xmpp_free(xs->ctx, text);
	xmpp_stanza_release(st);
	return 0;
}

/* Kept as sent, as XML text like the stanzas.  (The real session writes
 * it with a ping, in step with stream management: the integration test
 * test_client_state_keeps_stream_management_in_step checks that.) */
int xs_send_nonza(struct xs *xs, const char *xml)
{
	char **grown;

	if (!xs->online)
		return 0;
	grown = realloc(xs->sent, (xs->nsent + 1) * sizeof(*grown));
	assert_non_null(grown);
	xs->sent = grown;
	xs->sent[xs->nsent] = strdup(xml);
	assert_non_null(xs->sent[xs->nsent]);
	xs->nsent++;
	return 0;
}

void fake_offer_csi(struct xs *xs, bool offer)
{
	xs->csi = offer;
}

size_t xs_outbox_len(const struct xs *xs)
{
	(void)xs;
	return 0;
}

static void iq_timeout(struct loop *loop, void *ud)
{
	struct pending *p = ud;
	struct xs *xs = p->xs;
	xs_iq_fn fn = p->fn;
	void *fud = p->ud;

	(void)loop;
	p->timer = 0;
	pending_drop(xs, p);
	fn(xs->ud, NULL, fud);
}

int xs_iq_send(struct xs *xs, xmpp_stanza_t *iq, unsigned timeout_ms, xs_iq_fn fn, void *ud)
{
	struct pending *p;
	const char *to = xmpp_stanza_get_to(iq);

	if (!xs->online) {
		xmpp_stanza_release(iq);
		return -1;
	}
	p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->id = xs_make_id();
	p->to = to ? strdup(to) : NULL;
	p->fn = fn;
	p->ud = ud;
	p->xs = xs;
	p->timer = loop_timer_add(xs->loop, timeout_ms, iq_timeout, p);
	p->next = xs->pending;
	xs->pending = p;
	xmpp_stanza_set_id(iq, p->id);
	return xs_send(xs, iq);
}

struct rs_list *xs_take_roster_items(struct xs *xs, const xmpp_stanza_t *st)
{
	struct rs_list *l = xs->roster_items;

	(void)st;
	xs->roster_items = NULL;
	return l;
}

void xs_iq_error(struct xs *xs, xmpp_stanza_t *iq, const char *condition)
{
	xmpp_stanza_t *err = st_iq_error(xs->ctx, iq, condition);

	if (err)
		xs_send(xs, err);
}

/* ---- driving it ---- */

void fake_roster_items(struct xs *xs, struct rs_list *l)
{
	rs_list_free(xs->roster_items);
	xs->roster_items = l;
}

void fake_online(struct xs *xs, const char *jid, bool resumed, bool rosterver)
{
	struct xs_online o = {jid, "SCRAM-SHA-1", resumed, true, rosterver, xs->csi};

	char **grown;

	free(xs->jid);
	xs->jid = strdup(jid);
	assert_non_null(xs->jid);
	xs->online = true;
	/* As session.c: what waited in the outbox goes first, then what the
	 * login hooks send (queued behind it). */
	xs->holding = false;
	for (size_t i = 0; i < xs->nheld; i++) {
		grown = realloc(xs->sent, (xs->nsent + 1) * sizeof(*grown));
		assert_non_null(grown);
		xs->sent = grown;
		xs->sent[xs->nsent++] = xs->held[i];
	}
	free(xs->held);
	xs->held = NULL;
	xs->nheld = 0;
	xs->cb.online(xs->ud, &o);
}

void fake_offline(struct xs *xs, enum net_fail fail, const char *condition, const char *text)
{
	struct xs_offline o = {fail, condition, text, NULL};

	fake_offline_with(xs, &o);
}

void fake_offline_with(struct xs *xs, const struct xs_offline *o)
{
	xs->online = false;
	xs->cb.offline(xs->ud, o);
}

/* As session.c: an answer counts only from whom we asked. */
static bool from_addressee(const struct xs *xs, const char *to, const char *from)
{
	if (!to)
		return !from || jid_bare_equal(from, xs->jid) || !strchr(from, '@');
	return from && !strcmp(to, from);
}

void fake_receive(struct xs *xs, const char *xml)
{
	xmpp_stanza_t *st = xmpp_stanza_new_from_string(xs->ctx, xml);

	if (!st)
		fail_msg("not well-formed: %s", xml);
	fake_receive_stanza(xs, st);
	xmpp_stanza_release(st);
}

/* What libstrophe's handlers would see, behind rosterstream's wrappers,
 * written back as XML: the tree natter gets. */
struct streamed {
	int depth;
	char *xml;
	size_t len;
	FILE *out;
	struct rs_list *list;
};

static void put_escaped(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		switch (s[i]) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '\'':
			fputs("&apos;", out);
			break;
		default:
			fputc(s[i], out);
		}
}

static void XMLCALL streamed_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct streamed *sd = ud;
	const char *local = strchr(name, '\x1F');

	if (sd->depth++ == 0)
		return;
	fprintf(sd->out, "<%s", local ? local + 1 : name);
	if (local) {
		fputs(" xmlns='", sd->out);
		put_escaped(sd->out, name, (size_t)(local - name));
		fputc('\'', sd->out);
	}
	for (; *attrs; attrs += 2) {
		fprintf(sd->out, " %s='", attrs[0]);
		put_escaped(sd->out, attrs[1], strlen(attrs[1]));
		fputc('\'', sd->out);
	}
	fputc('>', sd->out);
}

static void XMLCALL streamed_end(void *ud, const XML_Char *name)
{
	struct streamed *sd = ud;
	const char *local = strchr(name, '\x1F');

	if (--sd->depth == 0)
		return;
	fprintf(sd->out, "</%s>", local ? local + 1 : name);
	if (sd->depth == 1) {
		rs_list_free(sd->list);
		sd->list = rosterstream_take();
	}
}

static void XMLCALL streamed_text(void *ud, const XML_Char *s, int len)
{
	struct streamed *sd = ud;

	if (sd->depth > 1)
		put_escaped(sd->out, s, (size_t)len);
}

xmpp_stanza_t *fake_streamed_stanza(struct xs *xs, const char *xml)
{
	struct streamed sd = {0};
	XML_Parser p = XML_ParserCreateNS(NULL, '\x1F');
	xmpp_stanza_t *st;
	char *doc = NULL;
	int ok;

	if (!p ||
	    asprintf(&doc,
	             "<stream:stream xmlns='jabber:client' "
	             "xmlns:stream='http://etherx.jabber.org/streams'>%s",
	             xml) < 0 ||
	    !(sd.out = open_memstream(&sd.xml, &sd.len)))
		fail_msg("out of memory");
	rosterstream_enable(true);
	XML_SetUserData(p, &sd);
	XML_SetElementHandler(p, streamed_start, streamed_end);
	XML_SetCharacterDataHandler(p, streamed_text);
	ok = XML_Parse(p, doc, (int)strlen(doc), 0) == XML_STATUS_OK;
	XML_ParserFree(p);
	free(doc);
	fclose(sd.out);
	if (!ok || !sd.list)
		fail_msg("no roster items streamed from %s", xml);
	st = xmpp_stanza_new_from_string(xs->ctx, sd.xml);
	free(sd.xml);
	if (!st)
		fail_msg("not well-formed: %s", xml);
	fake_roster_items(xs, sd.list);
	return st;
}

void fake_receive_streamed(struct xs *xs, const char *xml)
{
	xmpp_stanza_t *st = fake_streamed_stanza(xs, xml);

	fake_receive_stanza(xs, st);
	xmpp_stanza_release(st);
}

void fake_receive_stanza(struct xs *xs, xmpp_stanza_t *st)
{
	const char *type, *id, *name = xmpp_stanza_get_name(st);

	type = xmpp_stanza_get_type(st);
	id = xmpp_stanza_get_id(st);
	if (name && !strcmp(name, "iq") && type && id &&
	    (!strcmp(type, "result") || !strcmp(type, "error"))) {
		for (struct pending *p = xs->pending; p; p = p->next) {
			if (strcmp(p->id, id) ||
			    !from_addressee(xs, p->to, xmpp_stanza_get_from(st)))
				continue;
			xs_iq_fn fn = p->fn;
			void *ud = p->ud;

			pending_drop(xs, p);
			fn(xs->ud, st, ud);
			return;
		}
	}
	xs->cb.stanza(xs->ud, st);
}

void fake_receivef(struct xs *xs, const char *fmt, ...)
{
	char *xml = NULL;
	va_list ap;

	va_start(ap, fmt);
	assert_true(vasprintf(&xml, fmt, ap) >= 0);
	va_end(ap);
	fake_receive(xs, xml);
	free(xml);
}

void fake_answer(struct xs *xs, size_t i, const char *fmt)
{
	char *id = fake_sent_id(xs, i), *xml = NULL;
	const char *at = strstr(fmt, "%s");

	if (!id || !at)
		fail_msg("cannot answer sent stanza %zu with %s", i, fmt);
	assert_true(asprintf(&xml, "%.*s%s%s", (int)(at - fmt), fmt, id, at + 2) > 0);
	fake_receive(xs, xml);
	free(xml);
	free(id);
}

size_t fake_sent_count(struct xs *xs)
{
	return xs->nsent;
}

const char *fake_sent(struct xs *xs, size_t i)
{
	return i < xs->nsent ? xs->sent[i] : NULL;
}

const char *fake_find_sent(struct xs *xs, size_t from, const char *needle, size_t *index)
{
	for (size_t i = from; i < xs->nsent; i++) {
		if (strstr(xs->sent[i], needle)) {
			if (index)
				*index = i;
			return xs->sent[i];
		}
	}
	return NULL;
}

char *fake_sent_id(struct xs *xs, size_t i)
{
	xmpp_stanza_t *st;
	const char *id;
	char *out;

	if (i >= xs->nsent || !(st = xmpp_stanza_new_from_string(xs->ctx, xs->sent[i])))
		return NULL;
	id = xmpp_stanza_get_id(st);
	out = id ? strdup(id) : NULL;
	xmpp_stanza_release(st);
	return out;
}

/* The element at path ("query/set/after": child names, first match each)
 * in a parsed copy of sent stanza i; *root gets the copy to release. */
static xmpp_stanza_t *sent_at(struct xs *xs, size_t i, const char *path, xmpp_stanza_t **root)
{
	xmpp_stanza_t *el;
	char *copy, *save = NULL;

	*root = NULL;
	if (i >= xs->nsent || !(*root = xmpp_stanza_new_from_string(xs->ctx, xs->sent[i])))
		return NULL;
	el = *root;
	copy = path ? strdup(path) : NULL;
	for (char *name = copy ? strtok_r(copy, "/", &save) : NULL; name && el;
	     name = strtok_r(NULL, "/", &save))
		el = xmpp_stanza_get_child_by_name(el, name);
	free(copy);
	return el;
}

char *fake_sent_attr(struct xs *xs, size_t i, const char *path, const char *attr)
{
	xmpp_stanza_t *root, *el = sent_at(xs, i, path, &root);
	const char *v = el ? xmpp_stanza_get_attribute(el, attr) : NULL;
	char *out = v ? strdup(v) : NULL;

	if (root)
		xmpp_stanza_release(root);
	return out;
}

char *fake_sent_text(struct xs *xs, size_t i, const char *path)
{
	xmpp_stanza_t *root, *el = sent_at(xs, i, path, &root);
	char *t = el ? xmpp_stanza_get_text(el) : NULL, *out = t ? strdup(t) : NULL;

	if (t)
		xmpp_free(xs->ctx, t);
	if (root)
		xmpp_stanza_release(root);
	return out;
}

size_t fake_pending_iqs(struct xs *xs)
{
	size_t n = 0;

	for (struct pending *p = xs->pending; p; p = p->next)
		n++;
	return n;
}

unsigned fake_connects(struct xs *xs)
{
	return xs->connects;
}

unsigned fake_closes(struct xs *xs)
{
	return xs->closes;
}

unsigned fake_aborts(struct xs *xs)
{
	return xs->aborts;
}

const struct net_params *fake_connect_params(struct xs *xs)
{
	return xs->connects ? &xs->connect_params : NULL;
}

const struct net_params *fake_register_params(struct xs *xs)
{
	return xs->register_params.jid ? &xs->register_params : NULL;
}

void fake_registered(struct xs *xs, const char *jid, enum net_fail fail, const char *condition,
                     const char *text)
{
	struct xs_offline o = {fail, condition, text, NULL};

	xs->registering = false;
	xs->cb.registered(xs->ud, jid, &o);
}
