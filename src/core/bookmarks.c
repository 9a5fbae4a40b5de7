/* Bookmarked rooms: XEP-0402 (PEP native bookmarks) where the account
 * announces it (urn:xmpp:bookmarks:1#compat on our bare JID), XEP-0048
 * private XML storage otherwise.  Fetched after every fresh login; rooms
 * marked autojoin are joined then.  With XEP-0402, what another client of
 * the account changes comes as a PEP notification and is applied here. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bookmarks.h"
#include "core/disco.h"
#include "core/muc.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/text.h"
#include "xmpp/stanza.h"

#define NS_BOOKMARKS        "urn:xmpp:bookmarks:1"
#define NS_BOOKMARKS_COMPAT NS_BOOKMARKS "#compat"
#define NS_BOOKMARKS_NOTIFY NS_BOOKMARKS "+notify"
#define NS_PUBSUB           "http://jabber.org/protocol/pubsub"
#define NS_PUBSUB_EVENT     "http://jabber.org/protocol/pubsub#event"
#define NS_PRIVATE          "jabber:iq:private"
#define NS_STORAGE          "storage:bookmarks"
#define NS_DATA             "jabber:x:data"

#define REQUEST_TIMEOUT_MS 30000
#define MAX_BOOKMARKS      1000
#define MAX_TEXT           1024 /* bytes of a name, nick or password kept */

enum storage { STORE_UNKNOWN, STORE_PEP, STORE_PRIVATE };

struct bookmark {
	char *room; /* bare, normalised */
	char *name, *nick, *password;
	bool autojoin;
};

struct bm_state {
	enum storage storage;
	struct bookmark *items;
	size_t n;
	bool loaded;  /* the server's list came in this session */
	unsigned gen; /* sessions: answers for an older one are stale */
	/* XEP-0048: what the storage holds besides rooms (URLs, others'
	 * elements), as XML text, written back unchanged. */
	char **others;
	size_t nothers;
};

/* A command (or the login) waiting for the server. */
struct bm_req {
	struct core_cause cause;
	unsigned gen;
	bool login;        /* the fetch after login: autojoin follows */
	struct bookmark b; /* /bookmark add: the bookmark; remove: only room */
	bool add, remove;
};

static struct bm_state *bst(struct core *core)
{
	return core_state(core, &bookmarks_module);
}

static const char *storage_name(enum storage s)
{
	return s == STORE_PEP ? "pep" : s == STORE_PRIVATE ? "private" : NULL;
}

/* ---- the list ---- */

static void bm_clear(struct bookmark *b)
{
	free(b->room);
	free(b->name);
	free(b->nick);
	if (b->password)
		explicit_bzero(b->password, strlen(b->password));
	free(b->password);
	memset(b, 0, sizeof(*b));
}

static void others_clear(struct bm_state *s)
{
	for (size_t i = 0; i < s->nothers; i++)
		free(s->others[i]);
	free(s->others);
	s->others = NULL;
	s->nothers = 0;
}

static void list_clear(struct bm_state *s)
{
	for (size_t i = 0; i < s->n; i++)
		bm_clear(&s->items[i]);
	free(s->items);
	s->items = NULL;
	s->n = 0;
}

static struct bookmark *find(struct bm_state *s, const char *room)
{
	for (size_t i = 0; i < s->n; i++)
		if (jid_bare_equal(s->items[i].room, room))
			return &s->items[i];
	return NULL;
}

static int bm_copy(struct bookmark *dst, const struct bookmark *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->autojoin = src->autojoin;
	if (!(dst->room = strdup(src->room)) || (src->name && !(dst->name = strdup(src->name))) ||
	    (src->nick && !(dst->nick = strdup(src->nick))) ||
	    (src->password && !(dst->password = strdup(src->password)))) {
		bm_clear(dst);
		return -1;
	}
	return 0;
}

/* Puts a copy of b in place of the bookmark for its room, or adds it;
 * 0, or -1 (full or ENOMEM). */
static int list_put(struct bm_state *s, const struct bookmark *b)
{
	struct bookmark *old = find(s, b->room), copy, *g;

	if (bm_copy(&copy, b))
		return -1;
	if (old) {
		bm_clear(old);
		*old = copy;
		return 0;
	}
	g = s->n < MAX_BOOKMARKS ? realloc(s->items, (s->n + 1) * sizeof(*g)) : NULL;
	if (!g) {
		bm_clear(&copy);
		return -1;
	}
	s->items = g;
	s->items[s->n++] = copy;
	return 0;
}

static void list_remove(struct bm_state *s, const char *room)
{
	struct bookmark *b = find(s, room);

	if (!b)
		return;
	bm_clear(b);
	*b = s->items[--s->n];
}

static void emit_list(struct core *core, struct core_cause cause)
{
	struct bm_state *s = bst(core);
	struct nt_event ev = {.kind = NT_EV_BOOKMARKS, .origin = cause.origin};
	struct nt_bookmark *v = calloc(s->n ? s->n : 1, sizeof(*v));
	char **strs = calloc(4 * s->n + 1, sizeof(*strs));

	if (!v || !strs) {
		core_error(core, cause, "internal-server-error", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct bookmark *b = &s->items[i];

		v[i].room = strs[4 * i] = core_clean(b->room);
		v[i].name = strs[4 * i + 1] = core_clean(b->name);
		v[i].nick = strs[4 * i + 2] = core_clean(b->nick);
		v[i].password = strs[4 * i + 3] = core_clean(b->password);
		v[i].autojoin = b->autojoin;
	}
	ev.u.bookmarks.items = v;
	ev.u.bookmarks.count = s->n;
	ev.u.bookmarks.storage = storage_name(s->storage);
	core_emit(core, &ev);
out:
	for (size_t i = 0; strs && i < 4 * s->n; i++)
		free(strs[i]);
	free(strs);
	free(v);
}

/* ---- reading ---- */

static char *bounded_text(xmpp_stanza_t *el, const char *name)
{
	char *t = st_child_text(el, name);

	if (t && (strlen(t) > MAX_TEXT || !*t)) {
		free(t);
		t = NULL;
	}
	return t;
}

static char *bounded_attr(xmpp_stanza_t *el, const char *name)
{
	const char *v = xmpp_stanza_get_attribute(el, name);

	return v && *v && strlen(v) <= MAX_TEXT ? strdup(v) : NULL;
}

static bool is_true(const char *s)
{
	return s && (!strcmp(s, "true") || !strcmp(s, "1"));
}

/* A <conference/> of either format; room is its JID.  0, or -1 when it
 * names no valid room (or ENOMEM). */
static int read_conference(xmpp_stanza_t *c, const char *room, struct bookmark *b)
{
	char *bare = NULL;
	struct jid j;

	memset(b, 0, sizeof(*b));
	if (!room || jid_parse(room, &j, NULL))
		return -1;
	if (!j.resource)
		bare = jid_bare(&j);
	jid_clear(&j);
	if (!bare)
		return -1;
	b->room = bare;
	b->name = bounded_attr(c, "name");
	b->nick = bounded_text(c, "nick");
	b->password = bounded_text(c, "password");
	b->autojoin = is_true(xmpp_stanza_get_attribute(c, "autojoin"));
	return 0;
}

static void join_autojoin(struct core *core)
{
	struct bm_state *s = bst(core);

	for (size_t i = 0; i < s->n; i++)
		if (s->items[i].autojoin && !muc_is_room(core, s->items[i].room))
			muc_join(core, s->items[i].room, s->items[i].nick, s->items[i].password,
			         CAUSED_BY("bookmark"));
}

/* XEP-0402: <pubsub><items node=...><item id=ROOM><conference/></item>... */
static void read_pep(struct bm_state *s, xmpp_stanza_t *items)
{
	for (xmpp_stanza_t *it = xmpp_stanza_get_children(items); it;
	     it = xmpp_stanza_get_next(it)) {
		xmpp_stanza_t *c;
		struct bookmark b;

		if (!xmpp_stanza_is_tag(it) || strcmp(xmpp_stanza_get_name(it), "item"))
			continue;
		c = xmpp_stanza_get_child_by_name_and_ns(it, "conference", NS_BOOKMARKS);
		if (!c || read_conference(c, xmpp_stanza_get_attribute(it, "id"), &b))
			continue;
		if (list_put(s, &b))
			log_warn("bookmarks: %s not kept (too many, or out of memory)", b.room);
		bm_clear(&b);
	}
}

/* XEP-0048: <storage><conference jid=ROOM/>...; the rest is kept as is. */
static void read_private(struct bm_state *s, xmpp_stanza_t *storage)
{
	others_clear(s);
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(storage); c; c = xmpp_stanza_get_next(c)) {
		struct bookmark b;
		char *text = NULL, **g;
		size_t len;

		if (!xmpp_stanza_is_tag(c))
			continue;
		if (!strcmp(xmpp_stanza_get_name(c), "conference")) {
			if (read_conference(c, xmpp_stanza_get_attribute(c, "jid"), &b))
				continue;
			if (list_put(s, &b))
				log_warn("bookmarks: %s not kept (too many, or out of memory)",
				         b.room);
			bm_clear(&b);
			continue;
		}
		if (s->nothers >= MAX_BOOKMARKS || xmpp_stanza_to_text(c, &text, &len) != XMPP_EOK)
			continue;
		g = realloc(s->others, (s->nothers + 1) * sizeof(*g));
		if (g) {
			s->others = g;
			s->others[s->nothers++] = strdup(text);
		}
		xmpp_free(xmpp_stanza_get_context(c), text);
	}
}

static struct bm_req *req_new(struct bm_state *s, struct core_cause cause)
{
	struct bm_req *q = calloc(1, sizeof(*q));

	if (q) {
		q->cause = cause;
		q->gen = s->gen;
	}
	return q;
}

static void req_free(struct bm_req *q)
{
	bm_clear(&q->b);
	free(q);
}

static int write_private(struct core *core, struct bm_req *q);

static void fetch_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct bm_req *q = ud;
	struct bm_state *s = bst(core);
	const char *type = reply ? xmpp_stanza_get_type(reply) : NULL;
	xmpp_stanza_t *el = NULL;

	if (!s || q->gen != s->gen)
		goto out;
	if (type && !strcmp(type, "result")) {
		if (s->storage == STORE_PEP) {
			el = xmpp_stanza_get_child_by_ns(reply, NS_PUBSUB);
			el = el ? xmpp_stanza_get_child_by_name(el, "items") : NULL;
		} else {
			el = xmpp_stanza_get_child_by_ns(reply, NS_PRIVATE);
			el = el ? xmpp_stanza_get_child_by_name_and_ns(el, "storage", NS_STORAGE)
			        : NULL;
		}
	} else if (!reply || strcmp(st_error_condition(reply, NULL), "item-not-found")) {
		/* item-not-found: no bookmark was ever published; else a failure. */
		core_iq_failed(core, q->login ? CAUSED_BY("bookmarks") : q->cause, NULL, reply);
		goto out;
	}
	list_clear(s);
	if (el && s->storage == STORE_PEP)
		read_pep(s, el);
	else if (el)
		read_private(s, el);
	s->loaded = true;
	if (q->add || q->remove) {
		/* XEP-0048 has no item of its own: the whole list is written. */
		write_private(core, q);
		return;
	}
	emit_list(core, q->cause);
	if (q->login)
		join_autojoin(core);
out:
	req_free(q);
}

static int fetch(struct core *core, struct bm_req *q)
{
	struct bm_state *s = bst(core);
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "get", NULL), *el = NULL;

	if (iq && s->storage == STORE_PEP) {
		el = st_add_element(iq, "pubsub", NS_PUBSUB);
		el = el ? st_add_element(el, "items", NULL) : NULL;
		if (el && xmpp_stanza_set_attribute(el, "node", NS_BOOKMARKS) != XMPP_EOK)
			el = NULL;
	} else if (iq) {
		el = st_add_element(iq, "query", NS_PRIVATE);
		el = el ? st_add_element(el, "storage", NS_STORAGE) : NULL;
	}
	if (!el) {
		if (iq)
			xmpp_stanza_release(iq);
		req_free(q);
		return -1;
	}
	if (core_iq_send(core, iq, REQUEST_TIMEOUT_MS, fetch_answer, q)) {
		req_free(q);
		return -1;
	}
	return 0;
}

static void storage_known(struct core *core, const char *jid, int supported, void *ud)
{
	struct bm_req *q = ud;
	struct bm_state *s = bst(core);

	(void)jid;
	if (!s || q->gen != s->gen) {
		req_free(q);
		return;
	}
	s->storage = supported == 1 ? STORE_PEP : STORE_PRIVATE;
	log_info("bookmarks: %s", supported == 1 ? "XEP-0402 (PEP)" : "XEP-0048 (private storage)");
	/* Not sent when the session is gone (or natter stops) meanwhile. */
	if (fetch(core, q))
		log_info("bookmarks: could not ask for them");
}

/* Which storage the account offers; then fn. */
static void bookmarks_login(struct core *core, const struct core_login *l)
{
	struct bm_state *s = bst(core);
	struct bm_req *q;
	char *own;

	(void)l;
	s->gen++;
	s->loaded = false;
	s->storage = STORE_UNKNOWN;
	q = req_new(s, NO_CAUSE);
	own = jid_bare_of(core_jid(core), NULL);
	if (!q || !own) {
		free(q);
		free(own);
		log_error("out of memory: bookmarks not asked for");
		return;
	}
	q->login = true;
	if (disco_check_feature(core, own, NS_BOOKMARKS_COMPAT, storage_known, q))
		req_free(q);
	free(own);
}

/* ---- writing ---- */

static void write_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct bm_req *q = ud;
	struct bm_state *s = bst(core);

	if (!s || core_iq_failed(core, q->cause, NULL, reply))
		goto out;
	if (q->remove)
		list_remove(s, q->b.room);
	else if (list_put(s, &q->b))
		core_error(core, q->cause, "internal-server-error", "out of memory");
	emit_list(core, q->cause);
	if (q->add && q->b.autojoin && !muc_is_room(core, q->b.room))
		muc_join(core, q->b.room, q->b.nick, q->b.password, q->cause);
out:
	req_free(q);
}

static int add_conference(xmpp_stanza_t *parent, const char *ns, const struct bookmark *b,
                          bool with_jid)
{
	xmpp_stanza_t *c = st_add_element(parent, "conference", ns);
	int bad = !c;

	if (!bad && with_jid)
		bad |= xmpp_stanza_set_attribute(c, "jid", b->room) != XMPP_EOK;
	if (!bad && b->name)
		bad |= xmpp_stanza_set_attribute(c, "name", b->name) != XMPP_EOK;
	if (!bad)
		bad |= xmpp_stanza_set_attribute(c, "autojoin", b->autojoin ? "true" : "false") !=
		       XMPP_EOK;
	if (!bad && b->nick)
		bad |= st_add_text(c, "nick", b->nick);
	if (!bad && b->password)
		bad |= st_add_text(c, "password", b->password);
	return bad ? -1 : 0;
}

/* Sends a change built without trouble (bad is 0); takes iq and q. */
static int send_write(struct core *core, xmpp_stanza_t *iq, struct bm_req *q, int bad)
{
	if (bad) {
		if (iq)
			xmpp_stanza_release(iq);
		core_error(core, q->cause, "internal-server-error", "out of memory");
		req_free(q);
		return -1;
	}
	if (core_iq_send(core, iq, REQUEST_TIMEOUT_MS, write_answer, q)) {
		core_error(core, q->cause, "not-connected", "not sent: not connected");
		req_free(q);
		return -1;
	}
	return 0;
}

/* <field var=name><value>v</value></field> */
static int add_field(xmpp_stanza_t *x, const char *name, const char *v, const char *type)
{
	xmpp_stanza_t *f = st_add_element(x, "field", NULL);

	if (!f || xmpp_stanza_set_attribute(f, "var", name) != XMPP_EOK ||
	    (type && xmpp_stanza_set_attribute(f, "type", type) != XMPP_EOK))
		return -1;
	return st_add_text(f, "value", v);
}

/* XEP-0402 §3: one item per room, published with the options that keep
 * it private and stored. */
static int write_pep(struct core *core, struct bm_req *q)
{
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "set", NULL), *ps, *op, *item, *opts, *x;
	int bad;

	ps = iq ? st_add_element(iq, "pubsub", NS_PUBSUB) : NULL;
	op = ps ? st_add_element(ps, q->remove ? "retract" : "publish", NULL) : NULL;
	bad = !op || xmpp_stanza_set_attribute(op, "node", NS_BOOKMARKS) != XMPP_EOK;
	if (!bad && q->remove)
		bad |= xmpp_stanza_set_attribute(op, "notify", "true") != XMPP_EOK;
	item = bad ? NULL : st_add_element(op, "item", NULL);
	bad |= !item || xmpp_stanza_set_attribute(item, "id", q->b.room) != XMPP_EOK;
	if (!bad && !q->remove) {
		bad |= add_conference(item, NS_BOOKMARKS, &q->b, false);
		opts = bad ? NULL : st_add_element(ps, "publish-options", NULL);
		x = opts ? st_add_element(opts, "x", NS_DATA) : NULL;
		bad |= !x || xmpp_stanza_set_attribute(x, "type", "submit") != XMPP_EOK ||
		       add_field(x, "FORM_TYPE",
		                 "http://jabber.org/protocol/pubsub#publish-options", "hidden") ||
		       add_field(x, "pubsub#persist_items", "true", NULL) ||
		       add_field(x, "pubsub#max_items", "max", NULL) ||
		       add_field(x, "pubsub#send_last_published_item", "never", NULL) ||
		       add_field(x, "pubsub#access_model", "whitelist", NULL);
	}
	return send_write(core, iq, q, bad);
}

/* XEP-0048: the whole storage, with this change, after a fresh read. */
static int write_private(struct core *core, struct bm_req *q)
{
	struct bm_state *s = bst(core);
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "set", NULL), *qe, *storage;
	int bad;

	qe = iq ? st_add_element(iq, "query", NS_PRIVATE) : NULL;
	storage = qe ? st_add_element(qe, "storage", NS_STORAGE) : NULL;
	bad = !storage;
	for (size_t i = 0; !bad && i < s->nothers; i++) {
		xmpp_stanza_t *el =
		    s->others[i] ? xmpp_stanza_new_from_string(core_ctx(core), s->others[i]) : NULL;

		if (el) {
			xmpp_stanza_add_child(storage, el);
			xmpp_stanza_release(el);
		}
	}
	for (size_t i = 0; !bad && i < s->n; i++)
		if (!jid_bare_equal(s->items[i].room, q->b.room))
			bad |= add_conference(storage, NULL, &s->items[i], true);
	if (!bad && !q->remove)
		bad |= add_conference(storage, NULL, &q->b, true);
	return send_write(core, iq, q, bad);
}

static int change(struct core *core, struct bm_req *q)
{
	struct bm_state *s = bst(core);

	if (!s->loaded || s->storage == STORE_UNKNOWN) {
		core_error(core, q->cause, "not-connected",
		           "the bookmarks have not come from the server yet");
		req_free(q);
		return -1;
	}
	if (s->storage == STORE_PEP)
		return write_pep(core, q);
	/* Another client may have changed them since: read, then write. */
	if (fetch(core, q)) {
		core_error(core, q->cause, "internal-server-error", "could not ask for them");
		return -1;
	}
	return 0;
}

/* ---- pushes (XEP-0402 §3.3) ---- */

static int on_event(struct core *core, xmpp_stanza_t *st)
{
	struct bm_state *s = bst(core);
	xmpp_stanza_t *ev = xmpp_stanza_get_child_by_name_and_ns(st, "event", NS_PUBSUB_EVENT);
	xmpp_stanza_t *items = ev ? xmpp_stanza_get_child_by_name(ev, "items") : NULL;
	const char *from = xmpp_stanza_get_from(st), *node;
	bool changed = false;

	node = items ? xmpp_stanza_get_attribute(items, "node") : NULL;
	if (!s || !node || strcmp(node, NS_BOOKMARKS))
		return CORE_PASS;
	/* Only our own account publishes our bookmarks. */
	if (from && (strchr(from, '/') || !jid_bare_equal(from, core_account(core)->jid))) {
		log_warn("ignored a bookmarks notification that was not from our account");
		return CORE_PASS;
	}
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(items); c; c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_is_tag(c) ? xmpp_stanza_get_name(c) : NULL;
		const char *id = xmpp_stanza_get_attribute(c, "id");
		xmpp_stanza_t *conf;
		struct bookmark b;

		if (!name || !id)
			continue;
		if (!strcmp(name, "retract")) {
			list_remove(s, id);
			changed = true;
			continue;
		}
		conf = xmpp_stanza_get_child_by_name_and_ns(c, "conference", NS_BOOKMARKS);
		if (strcmp(name, "item") || !conf || read_conference(conf, id, &b))
			continue;
		if (!list_put(s, &b)) {
			changed = true;
			/* Set to autojoin elsewhere: join here too. */
			if (b.autojoin && s->loaded && !muc_is_room(core, b.room))
				muc_join(core, b.room, b.nick, b.password, CAUSED_BY("bookmark"));
		}
		bm_clear(&b);
	}
	if (changed)
		emit_list(core, NO_CAUSE);
	return CORE_PASS;
}

/* ---- commands ---- */

static int cmd_list(struct cmd_call *call)
{
	emit_list(CALL_CORE(call), CAUSE(call));
	return 0;
}

static int cmd_add(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct bm_state *s = bst(core);
	struct bm_req *q = req_new(s, CAUSE(call));
	struct bookmark *old;
	char *room = core_checked_bare(core, CAUSE(call), call->argv[0]);

	if (!q || !room) {
		if (q && !room)
			req_free(q);
		else if (!q)
			core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		free(room);
		return -1;
	}
	q->add = true;
	/* What is not given stays as the bookmark had it. */
	old = find(s, room);
	if (old && bm_copy(&q->b, old)) {
		free(room);
		req_free(q);
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		return -1;
	}
	free(q->b.room);
	q->b.room = room;
	q->b.autojoin = false;
	for (int i = 1; i < call->argc; i++) {
		const char *a = call->argv[i];
		char **slot = !strncmp(a, "nick=", 5)       ? &q->b.nick
		              : !strncmp(a, "password=", 9) ? &q->b.password
		              : !strncmp(a, "name=", 5)     ? &q->b.name
		                                            : NULL;

		if (!strcmp(a, "autojoin")) {
			q->b.autojoin = true;
		} else if (slot) {
			free(*slot);
			*slot = text_xml_safe(strchr(a, '=') + 1);
			if (*slot && !**slot) {
				free(*slot);
				*slot = NULL;
			}
		} else {
			core_error(core, CAUSE(call), "bad-request",
			           "'%s' is none of nick=, password=, name= or autojoin", a);
			req_free(q);
			return -1;
		}
	}
	return change(core, q);
}

static int cmd_remove(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct bm_state *s = bst(core);
	struct bm_req *q;
	char *room = core_checked_bare(core, CAUSE(call), call->argv[0]);

	if (!room)
		return -1;
	if (!find(s, room)) {
		core_error(core, CAUSE(call), "item-not-found", "%s is not bookmarked", room);
		free(room);
		return -1;
	}
	q = req_new(s, CAUSE(call));
	if (!q) {
		free(room);
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		return -1;
	}
	q->remove = true;
	q->b.room = room;
	return change(core, q);
}

/* ---- life cycle ---- */

static int bookmarks_init(struct core *core)
{
	struct bm_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	core_set_state(core, &bookmarks_module, s);
	return 0;
}

static void bookmarks_free(struct core *core)
{
	struct bm_state *s = bst(core);

	if (!s)
		return;
	list_clear(s);
	others_clear(s);
	free(s);
	core_set_state(core, &bookmarks_module, NULL);
}

static const struct cmd_entry commands[] = {
    {.name = "bookmarks", .help = "list your bookmarked rooms", .exec = cmd_list},
    {.name = "bookmark add",
     .usage = "ROOM [nick=NICK] [autojoin] [password=SECRET] [name=NAME]",
     .help = "bookmark a room (or change its bookmark)",
     .min_args = 1,
     .max_args = 5,
     .complete = {"@jid", "autojoin|nick=|password=|name=", "autojoin|nick=|password=|name=",
                  "autojoin|nick=|password=|name=", "autojoin|nick=|password=|name="},
     .flags = CMD_ONLINE,
     .exec = cmd_add},
    {.name = "bookmark remove",
     .usage = "ROOM",
     .help = "remove a room's bookmark",
     .min_args = 1,
     .max_args = 1,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_remove},
};

static const struct core_handler handlers[] = {
    {CORE_HANDLE, "message", NULL, NS_PUBSUB_EVENT, on_event},
};

/* +notify: the server sends us changes to the node (XEP-0163 §6). */
static const char *const features[] = {NS_BOOKMARKS_NOTIFY, NULL};

const struct core_module bookmarks_module = {
    .name = "bookmarks",
    .title = "Rooms",
    .init = bookmarks_init,
    .free = bookmarks_free,
    .login = bookmarks_login,
    .commands = commands,
    .ncommands = COUNT(commands),
    .handlers = handlers,
    .nhandlers = COUNT(handlers),
    .features = features,
};
