/* The roster (RFC 6121 §2) with XEP-0237 versioning.  It is cached, with
 * the subscription requests not answered yet, in the account's store
 * (history.db), so that the roster shows at once at start-up and a server
 * which answers "your version is current" with an empty result costs
 * nothing. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uthash.h>
#include <utlist.h>

#include "config/paths.h"
#include "core/core_internal.h"
#include "core/history.h"
#include "core/roster.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/text.h"
#include "xmpp/stanza.h"

#define NS_ROSTER "jabber:iq:roster"
#define REQUEST_TIMEOUT_MS 30000
#define CACHE_KEY "roster"
#define CACHE_FORMAT 1

struct roster_item {
	char *key;        /* jid_bare_key() */
	char *jid;        /* normalised bare JID */
	char *name;       /* as the server has it, sent back unchanged; NULL: none */
	char *name_clean; /* for display and other modules */
	const char *subscription; /* static: none, to, from, both */
	bool ask;         /* our subscription request waits for an answer */
	char **groups;    /* as the server has them */
	size_t ngroups;
	UT_hash_handle hh;
};

struct sub_request {
	char *key;
	char *from;   /* normalised bare JID */
	char *status; /* as received; NULL: none */
	UT_hash_handle hh;
};

/* A command's roster set waiting for its answer.  Kept on a list because
 * the session drops unanswered requests without calling back when it is
 * freed, and these must not leak then. */
struct roster_req {
	struct core *core;
	struct core_cause cause;
	char *jid;
	char *done; /* what to say once the server took the change */
	struct roster_req *prev, *next;
};

struct roster_state {
	struct roster_item *items;
	struct sub_request *requests; /* in arrival order */
	char *ver;  /* XEP-0237 version of items, NULL when unknown */
	const char **jids; /* roster_jids(), rebuilt when stale */
	bool jids_stale;
	struct roster_req *reqs;
};

static const char *const subscriptions[] = {"none", "to", "from", "both", NULL};

static struct roster_state *rst(struct core *core)
{
	return core_state(core, &roster_module);
}

/* ---- items ---- */

static void item_free(struct roster_item *it)
{
	if (!it)
		return;
	free(it->key);
	free(it->jid);
	free(it->name);
	free(it->name_clean);
	for (size_t i = 0; i < it->ngroups; i++)
		free(it->groups[i]);
	free(it->groups);
	free(it);
}

static void items_clear(struct roster_item **items)
{
	struct roster_item *it, *tmp;

	HASH_ITER(hh, *items, it, tmp) {
		HASH_DEL(*items, it);
		item_free(it);
	}
}

static const char *known_subscription(const char *s)
{
	for (int i = 0; s && subscriptions[i]; i++)
		if (!strcmp(s, subscriptions[i]))
			return subscriptions[i];
	return NULL;
}

static bool has_group(const struct roster_item *it, const char *group)
{
	for (size_t i = 0; i < it->ngroups; i++)
		if (!strcmp(it->groups[i], group))
			return true;
	return false;
}

/* Adds a group unless it is empty or already there; 0 or -1 on ENOMEM. */
static int item_add_group(struct roster_item *it, const char *group)
{
	char **g, *copy;

	if (!*group || has_group(it, group))
		return 0;
	g = realloc(it->groups, (it->ngroups + 1) * sizeof(*g));
	if (!g)
		return -1;
	it->groups = g;
	copy = strdup(group);
	if (!copy)
		return -1;
	g[it->ngroups++] = copy;
	return 0;
}

/* A new item for jid (any spelling); NULL with *why set when jid is not a
 * valid bare JID, or on ENOMEM (*why "out of memory"). */
static struct roster_item *item_new(const char *jid, const char *name, const char *sub, bool ask,
				    const char **why)
{
	struct roster_item *it = calloc(1, sizeof(*it));
	struct jid j;

	*why = "out of memory";
	if (!it)
		return NULL;
	if (jid_parse(jid, &j, why)) {
		free(it);
		return NULL;
	}
	if (j.resource) {
		/* RFC 6121 §2.1.1 allows full JIDs, but presence and chats are
		 * keyed by bare JID here; such an item would be a ghost. */
		*why = "a roster item must be a bare JID";
		jid_clear(&j);
		free(it);
		return NULL;
	}
	*why = "out of memory";
	it->jid = jid_bare(&j);
	jid_clear(&j);
	it->key = it->jid ? jid_bare_key(it->jid, NULL) : NULL;
	it->subscription = known_subscription(sub);
	if (!it->subscription)
		it->subscription = "none";
	it->ask = ask;
	if (!it->key || (name && (!(it->name = strdup(name)) ||
				  !(it->name_clean = core_clean(name))))) {
		item_free(it);
		return NULL;
	}
	return it;
}

/* Reads an <item/> of a roster result or push.  *remove is set for
 * subscription='remove'.  NULL with *why set when invalid or on ENOMEM. */
static struct roster_item *item_from_stanza(xmpp_stanza_t *el, bool *remove, const char **why)
{
	const char *jid = xmpp_stanza_get_attribute(el, "jid");
	const char *sub = xmpp_stanza_get_attribute(el, "subscription");
	const char *ask = xmpp_stanza_get_attribute(el, "ask");
	xmpp_stanza_t *c;
	struct roster_item *it;

	*remove = sub && !strcmp(sub, "remove");
	if (!jid) {
		*why = "item without a jid";
		return NULL;
	}
	it = item_new(jid, xmpp_stanza_get_attribute(el, "name"), sub,
		      ask && !strcmp(ask, "subscribe"), why);
	if (!it)
		return NULL;
	for (c = xmpp_stanza_get_children(el); c; c = xmpp_stanza_get_next(c)) {
		const char *n = xmpp_stanza_get_name(c);
		char *text;
		int rc;

		if (!xmpp_stanza_is_tag(c) || !n || strcmp(n, "group"))
			continue;
		text = xmpp_stanza_get_text(c);
		if (!text)
			continue; /* <group/>: RFC 6121 §2.1.2.5 says ignore it */
		rc = item_add_group(it, text);
		xmpp_free(xmpp_stanza_get_context(el), text);
		if (rc) {
			*why = "out of memory";
			item_free(it);
			return NULL;
		}
	}
	return it;
}

static struct roster_item *item_find(struct roster_state *r, const char *jid)
{
	struct roster_item *it = NULL;
	char *key = jid_bare_key(jid, NULL);

	if (key)
		HASH_FIND_STR(r->items, key, it);
	free(key);
	return it;
}

/* Puts it in place of any item with the same JID. */
static void item_put(struct roster_state *r, struct roster_item *it)
{
	struct roster_item *old = NULL;

	HASH_FIND_STR(r->items, it->key, old);
	if (old) {
		HASH_DEL(r->items, old);
		item_free(old);
	}
	HASH_ADD_KEYPTR(hh, r->items, it->key, strlen(it->key), it);
	r->jids_stale = true;
}

static void item_remove(struct roster_state *r, const char *key)
{
	struct roster_item *old = NULL;

	HASH_FIND_STR(r->items, key, old);
	if (old) {
		HASH_DEL(r->items, old);
		item_free(old);
	}
	r->jids_stale = true;
}

static int by_key(struct roster_item *a, struct roster_item *b)
{
	return strcmp(a->key, b->key);
}

/* ---- events ---- */

/* An item's strings made safe for an event. */
struct ev_item {
	char *jid, *name;
	char **groups;
	size_t ngroups;
};

static void ev_item_clear(struct ev_item *e)
{
	free(e->jid);
	free(e->name);
	for (size_t i = 0; i < e->ngroups; i++)
		free(e->groups[i]);
	free(e->groups);
	memset(e, 0, sizeof(*e));
}

static int ev_item_fill(struct ev_item *e, struct nt_roster_item *out,
			const struct roster_item *it, const char *subscription)
{
	memset(e, 0, sizeof(*e));
	e->jid = core_clean(it->jid);
	e->name = core_clean(it->name);
	e->groups = calloc(it->ngroups ? it->ngroups : 1, sizeof(*e->groups));
	if (!e->jid || (it->name && !e->name) || !e->groups)
		goto fail;
	for (; e->ngroups < it->ngroups; e->ngroups++)
		if (!(e->groups[e->ngroups] = core_clean(it->groups[e->ngroups])))
			goto fail;
	out->jid = e->jid;
	out->name = e->name;
	out->subscription = subscription ? subscription : it->subscription;
	out->ask = it->ask && !subscription ? "subscribe" : NULL;
	out->groups = (const char *const *)e->groups;
	out->ngroups = e->ngroups;
	return 0;
fail:
	ev_item_clear(e);
	return -1;
}

static void emit_roster(struct core *core, struct core_cause cause)
{
	struct roster_state *r = rst(core);
	size_t n = HASH_COUNT(r->items), i = 0;
	struct nt_roster_item *items = calloc(n ? n : 1, sizeof(*items));
	struct ev_item *evs = calloc(n ? n : 1, sizeof(*evs));
	struct nt_event ev = {.kind = NT_EV_ROSTER, .origin = cause.origin};
	struct roster_item *it, *tmp;

	if (!items || !evs)
		goto oom;
	HASH_SORT(r->items, by_key);
	HASH_ITER(hh, r->items, it, tmp) {
		if (ev_item_fill(&evs[i], &items[i], it, NULL))
			goto oom;
		i++;
	}
	ev.u.roster.items = items;
	ev.u.roster.count = n;
	core_emit(core, &ev);
	goto out;
oom:
	core_error(core, cause, "internal-server-error", "out of memory: roster not shown");
out:
	for (size_t k = 0; evs && k < i; k++)
		ev_item_clear(&evs[k]);
	free(evs);
	free(items);
}

static void emit_push(struct core *core, const struct roster_item *it, bool removed)
{
	struct nt_event ev = {.kind = NT_EV_ROSTER_PUSH};
	struct ev_item e;

	if (ev_item_fill(&e, &ev.u.roster_push.item, it, removed ? "remove" : NULL)) {
		log_error("out of memory: a roster change was not shown");
		return;
	}
	core_emit(core, &ev);
	ev_item_clear(&e);
}

/* ---- the cache ---- */

static json_t *item_to_json(const struct roster_item *it)
{
	json_t *o = json_object(), *g = json_array();
	int bad = !o || !g;

	for (size_t i = 0; !bad && i < it->ngroups; i++)
		bad |= json_array_append_new(g, json_string(it->groups[i]));
	if (!bad) {
		bad |= json_object_set_new(o, "jid", json_string(it->jid));
		if (it->name)
			bad |= json_object_set_new(o, "name", json_string(it->name));
		bad |= json_object_set_new(o, "subscription", json_string(it->subscription));
		bad |= json_object_set_new(o, "ask", json_boolean(it->ask));
		bad |= json_object_set(o, "groups", g);
	}
	json_decref(g);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *cache_json(struct roster_state *r)
{
	json_t *root = json_object(), *items = json_array(), *pending = json_array();
	struct roster_item *it, *itmp;
	struct sub_request *q, *qtmp;
	int bad = !root || !items || !pending;

	if (bad)
		goto out;
	HASH_ITER(hh, r->items, it, itmp)
		bad |= json_array_append_new(items, item_to_json(it));
	HASH_ITER(hh, r->requests, q, qtmp) {
		json_t *o = json_object();

		bad |= !o || json_object_set_new(o, "from", json_string(q->from)) ||
		       (q->status && json_object_set_new(o, "status", json_string(q->status)));
		bad |= json_array_append_new(pending, o);
	}
	bad |= json_object_set_new(root, "format", json_integer(CACHE_FORMAT));
	if (r->ver)
		bad |= json_object_set_new(root, "ver", json_string(r->ver));
	bad |= json_object_set(root, "items", items) || json_object_set(root, "pending", pending);
out:
	json_decref(items);
	json_decref(pending);
	if (bad) {
		json_decref(root);
		return NULL;
	}
	return root;
}

/* The cache goes into the store with the next commit, in the same
 * transaction as the messages of that loop pass. */
static void cache_save(struct core *core)
{
	json_t *root = cache_json(rst(core));
	char *text = root ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	json_decref(root);
	if (!text) {
		log_error("out of memory: roster cache not written");
		return;
	}
	history_kv_set(core, CACHE_KEY, text);
	free(text);
}

static int request_put(struct roster_state *r, const char *from, const char *status);

/* Loads what the last run saved.  Anything odd discards the whole cache:
 * the server will then send the full roster. */
static void cache_load(struct core *core)
{
	struct roster_state *r = rst(core);
	json_t *root, *items, *pending, *ver, *v;
	json_error_t err;
	size_t i;

	char *text = NULL;

	if (history_kv_get(core, CACHE_KEY, &text) != 1)
		return;
	root = json_loads(text, 0, &err);
	free(text);
	if (!root) {
		log_warn("roster cache: %s (line %d); ignoring it", err.text, err.line);
		return;
	}
	items = json_object_get(root, "items");
	pending = json_object_get(root, "pending");
	ver = json_object_get(root, "ver");
	if (!json_is_object(root) ||
	    json_integer_value(json_object_get(root, "format")) != CACHE_FORMAT ||
	    !json_is_array(items) || (pending && !json_is_array(pending)) ||
	    (ver && !json_is_string(ver)))
		goto bad;
	json_array_foreach(items, i, v)
	{
		json_t *groups = json_object_get(v, "groups"), *g;
		const char *jid = json_string_value(json_object_get(v, "jid")), *why = NULL;
		json_t *name = json_object_get(v, "name");
		struct roster_item *it;
		size_t k;

		if (!jid || (name && !json_is_string(name)) || (groups && !json_is_array(groups)))
			goto bad;
		it = item_new(jid, json_string_value(name),
			      json_string_value(json_object_get(v, "subscription")),
			      json_is_true(json_object_get(v, "ask")), &why);
		if (!it)
			goto bad;
		json_array_foreach(groups, k, g)
		{
			if (!json_is_string(g) || item_add_group(it, json_string_value(g))) {
				item_free(it);
				goto bad;
			}
		}
		item_put(r, it);
	}
	json_array_foreach(pending, i, v)
	{
		const char *from = json_string_value(json_object_get(v, "from"));
		json_t *status = json_object_get(v, "status");

		if (!from || (status && !json_is_string(status)) ||
		    request_put(r, from, json_string_value(status)))
			goto bad;
	}
	if (ver && !(r->ver = strdup(json_string_value(ver))))
		goto bad;
	json_decref(root);
	return;
bad:
	log_warn("the roster cache is not one natter can read; ignoring it");
	items_clear(&r->items);
	free(r->ver);
	r->ver = NULL;
	json_decref(root);
}

/* ---- subscription requests (kept here, handled by subscription.c) ---- */

static void request_free(struct sub_request *q)
{
	free(q->key);
	free(q->from);
	free(q->status);
	free(q);
}

static int request_put(struct roster_state *r, const char *from, const char *status)
{
	struct sub_request *q = NULL;
	char *key = jid_bare_key(from, NULL), *st = NULL;

	if (!key || (status && !(st = strdup(status)))) {
		free(key);
		return -1;
	}
	HASH_FIND_STR(r->requests, key, q);
	if (q) {
		/* A repeated request keeps its place; its text is the latest. */
		free(key);
		free(q->status);
		q->status = st;
		return 0;
	}
	q = calloc(1, sizeof(*q));
	if (!q || !(q->from = jid_bare_of(from, NULL))) {
		free(q);
		free(key);
		free(st);
		return -1;
	}
	q->key = key;
	q->status = st;
	HASH_ADD_KEYPTR(hh, r->requests, q->key, strlen(q->key), q);
	return 0;
}

static bool request_remove(struct roster_state *r, const char *bare)
{
	struct sub_request *q = NULL;
	char *key = jid_bare_key(bare, NULL);

	if (key)
		HASH_FIND_STR(r->requests, key, q);
	free(key);
	if (!q)
		return false;
	HASH_DEL(r->requests, q);
	request_free(q);
	return true;
}

int roster_request_add(struct core *core, const char *from, const char *status)
{
	if (request_put(rst(core), from, status))
		return -1;
	cache_save(core);
	return 0;
}

bool roster_request_drop(struct core *core, const char *bare)
{
	if (!request_remove(rst(core), bare))
		return false;
	cache_save(core);
	return true;
}

void roster_requests_emit(struct core *core, struct core_cause cause)
{
	struct roster_state *r = rst(core);
	size_t n = HASH_COUNT(r->requests), i = 0;
	struct nt_sub_request *items = calloc(n ? n : 1, sizeof(*items));
	char **strs = calloc(2 * n + 1, sizeof(*strs));
	struct nt_event ev = {.kind = NT_EV_SUB_PENDING, .origin = cause.origin};
	struct sub_request *q, *tmp;

	if (!items || !strs)
		goto oom;
	HASH_ITER(hh, r->requests, q, tmp) {
		strs[2 * i] = core_clean(q->from);
		strs[2 * i + 1] = core_clean_text(q->status);
		if (!strs[2 * i] || (q->status && !strs[2 * i + 1])) {
			i++;
			goto oom;
		}
		items[i].from = strs[2 * i];
		items[i].status = strs[2 * i + 1];
		i++;
	}
	ev.u.sub_pending.items = items;
	ev.u.sub_pending.count = n;
	core_emit(core, &ev);
	goto out;
oom:
	core_error(core, cause, "internal-server-error", "out of memory");
out:
	for (size_t k = 0; strs && k < 2 * i; k++)
		free(strs[k]);
	free(strs);
	free(items);
}

/* ---- fetching at login, pushes ---- */

static void apply_item(struct core *core, struct roster_item *it)
{
	/* Approved from elsewhere (another client of ours): not pending. */
	if (!strcmp(it->subscription, "from") || !strcmp(it->subscription, "both"))
		request_remove(rst(core), it->jid);
	item_put(rst(core), it);
}

static void login_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct roster_state *r = rst(core);
	const struct core_cause cause = CAUSED_BY("roster");
	xmpp_stanza_t *query, *c;
	struct roster_item *fresh = NULL, *it, *tmp;
	const char *ver;
	char *text = NULL, *clean;

	if (!reply) {
		core_error(core, cause, "remote-server-timeout", "the server did not send the roster");
		return;
	}
	if (!strcmp(xmpp_stanza_get_type(reply), "error")) {
		const char *cond = st_error_condition(reply, &text);

		clean = core_clean(text);
		core_error(core, cause, cond, "the server did not send the roster%s%s",
			   clean ? ": " : "", clean ? clean : "");
		free(clean);
		free(text);
		return;
	}
	query = xmpp_stanza_get_child_by_ns(reply, NS_ROSTER);
	if (!query) {
		/* XEP-0237 §2.4: our version is current; changes, if any,
		 * follow as pushes. */
		log_info("roster version %s is current: using the %u cached contacts",
			 r->ver ? r->ver : "(none)", HASH_COUNT(r->items));
		emit_roster(core, NO_CAUSE);
		return;
	}
	for (c = xmpp_stanza_get_children(query); c; c = xmpp_stanza_get_next(c)) {
		const char *n = xmpp_stanza_get_name(c), *why = NULL;
		bool remove;

		if (!xmpp_stanza_is_tag(c) || !n || strcmp(n, "item"))
			continue;
		it = item_from_stanza(c, &remove, &why);
		if (!it) {
			log_info("skipped a roster item: %s", why);
			continue;
		}
		if (remove) {
			item_free(it);
			continue;
		}
		HASH_FIND_STR(fresh, it->key, tmp);
		if (tmp) {
			HASH_DEL(fresh, tmp);
			item_free(tmp);
		}
		HASH_ADD_KEYPTR(hh, fresh, it->key, strlen(it->key), it);
	}
	items_clear(&r->items);
	HASH_ITER(hh, fresh, it, tmp) {
		HASH_DEL(fresh, it);
		apply_item(core, it);
	}
	ver = xmpp_stanza_get_attribute(query, "ver");
	free(r->ver);
	r->ver = ver ? strdup(ver) : NULL; /* NULL on ENOMEM too: fetch all next time */
	r->jids_stale = true;
	cache_save(core);
	emit_roster(core, NO_CAUSE);
}

static void roster_login(struct core *core, const struct core_login *l)
{
	struct roster_state *r = rst(core);
	bool versioning = l->rosterver;
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "get", NULL), *q;

	q = iq ? st_add_element(iq, "query", NS_ROSTER) : NULL;
	/* ver='' asks for the full roster and says we can cache it. */
	if (!q || (versioning &&
		   xmpp_stanza_set_attribute(q, "ver", r->ver ? r->ver : "") != XMPP_EOK)) {
		if (iq)
			xmpp_stanza_release(iq);
		core_error(core, CAUSED_BY("roster"), "internal-server-error", "out of memory");
		return;
	}
	if (core_iq_send(core, iq, REQUEST_TIMEOUT_MS, login_answer, NULL))
		core_error(core, CAUSED_BY("roster"), "internal-server-error",
			   "could not ask for the roster");
}

static void push_result(struct core *core, xmpp_stanza_t *iq)
{
	xmpp_stanza_t *res = core_iq_result(core, iq, NULL, NULL);

	if (!res) {
		log_error("out of memory: a roster push was not acknowledged");
		return;
	}
	core_send(core, res);
}

static int on_push(struct core *core, xmpp_stanza_t *iq)
{
	struct roster_state *r = rst(core);
	const char *from = xmpp_stanza_get_from(iq), *ver, *why = NULL;
	xmpp_stanza_t *query = xmpp_stanza_get_child_by_ns(iq, NS_ROSTER), *c, *el = NULL;
	struct roster_item *it;
	bool remove;
	int n = 0;

	/* RFC 6121 §2.1.6: a push from anyone but our own account would let
	 * them rewrite the roster; it is ignored, not even answered. */
	if (from && (strchr(from, '/') || !jid_bare_equal(from, core_jid(core)))) {
		char *clean = core_clean(from);

		log_warn("ignored a roster push from %s: only our server may send one",
			 clean ? clean : "?");
		free(clean);
		return CORE_PASS;
	}
	for (c = xmpp_stanza_get_children(query); c; c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c);

		if (xmpp_stanza_is_tag(c) && name && !strcmp(name, "item")) {
			el = c;
			n++;
		}
	}
	/* RFC 6121 §2.1.6: exactly one item. */
	if (n != 1) {
		log_info("refused a roster push with %d items", n);
		core_iq_error(core, iq, "bad-request");
		return CORE_PASS;
	}
	it = item_from_stanza(el, &remove, &why);
	if (!it) {
		log_info("refused a roster push: %s", why);
		core_iq_error(core, iq,
			      strcmp(why, "out of memory") ? "bad-request" : "internal-server-error");
		return CORE_PASS;
	}
	ver = xmpp_stanza_get_attribute(query, "ver");
	free(r->ver);
	/* Without a version the cache can no longer claim one. */
	r->ver = ver ? strdup(ver) : NULL;
	push_result(core, iq);
	emit_push(core, it, remove);
	if (remove) {
		item_remove(r, it->key);
		item_free(it);
	} else {
		apply_item(core, it);
	}
	cache_save(core);
	return CORE_PASS;
}

/* ---- commands ---- */

static struct roster_req *req_new(struct core *core, struct core_cause cause, const char *jid)
{
	struct roster_req *q = calloc(1, sizeof(*q));

	if (!q || !(q->jid = strdup(jid))) {
		free(q);
		return NULL;
	}
	q->core = core;
	q->cause = cause;
	DL_APPEND(rst(core)->reqs, q);
	return q;
}

static void req_free(struct roster_req *q)
{
	DL_DELETE(rst(q->core)->reqs, q);
	free(q->done);
	free(q->jid);
	free(q);
}

static void set_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct roster_req *q = ud;
	char *text = NULL, *clean = NULL, *jid = core_clean(q->jid);

	if (!reply) {
		core_error(core, q->cause, "remote-server-timeout",
			   "the server did not answer the change to %s", jid ? jid : "?");
	} else if (!strcmp(xmpp_stanza_get_type(reply), "error")) {
		const char *cond = st_error_condition(reply, &text);

		clean = core_clean(text);
		core_error(core, q->cause, cond, "the server refused the change to %s: %s",
			   jid ? jid : "?", clean ? clean : cond);
	} else if (q->done) {
		/* The push shows the new item; the line says the command worked. */
		core_info(core, q->cause, "%s", q->done);
	}
	free(jid);
	free(clean);
	free(text);
	req_free(q);
}

/* Sends a roster set for one item; 0 or -1 (reported).  done (taken,
 * may be NULL) is said once the server has taken it. */
static int send_item(struct core *core, struct core_cause cause, const char *jid,
		     const char *name, char *const *groups, size_t ngroups, bool remove,
		     char *done)
{
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "set", NULL), *q, *item;
	struct roster_req *req;
	int bad = !iq;

	q = iq ? st_add_element(iq, "query", NS_ROSTER) : NULL;
	item = q ? st_add_element(q, "item", NULL) : NULL;
	bad |= !item;
	if (!bad) {
		bad |= xmpp_stanza_set_attribute(item, "jid", jid) != XMPP_EOK;
		if (remove)
			bad |= xmpp_stanza_set_attribute(item, "subscription", "remove") != XMPP_EOK;
		if (name && *name)
			bad |= xmpp_stanza_set_attribute(item, "name", name) != XMPP_EOK;
		for (size_t i = 0; i < ngroups; i++)
			bad |= st_add_text(item, "group", groups[i]);
	}
	if (bad || !(req = req_new(core, cause, jid))) {
		if (iq)
			xmpp_stanza_release(iq);
		free(done);
		core_error(core, cause, "internal-server-error", "out of memory");
		return -1;
	}
	req->done = done;
	if (core_iq_send(core, iq, REQUEST_TIMEOUT_MS, set_answer, req)) {
		req_free(req);
		core_error(core, cause, "internal-server-error", "could not send the change");
		return -1;
	}
	return 0;
}

/* The bare JID a command names, normalised, or NULL (reported). */
static char *arg_jid(struct cmd_call *call, const char *s)
{
	return core_checked_bare(CALL_CORE(call), CAUSE(call), s);
}

/* The roster item a command names, or NULL (reported: item-not-found). */
static struct roster_item *arg_item(struct cmd_call *call, const char *s)
{
	char *bare = arg_jid(call, s);
	struct roster_item *it;

	if (!bare)
		return NULL;
	it = item_find(rst(CALL_CORE(call)), bare);
	if (!it)
		core_error(CALL_CORE(call), CAUSE(call), "item-not-found",
			   "%s is not in your roster", bare);
	free(bare);
	return it;
}

/* User text for the XML stream, or NULL (reported). */
static char *arg_text(struct cmd_call *call, const char *s)
{
	char *safe = text_xml_safe(s);

	if (!safe)
		core_error(CALL_CORE(call), CAUSE(call), "internal-server-error", "out of memory");
	return safe;
}

/* A confirmation line, malloc'd (NULL on ENOMEM: the change goes on). */
static __attribute__((format(printf, 1, 2))) char *said(const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static int cmd_list(struct cmd_call *call)
{
	emit_roster(CALL_CORE(call), CAUSE(call));
	return 0;
}

static int cmd_add(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	char *jid = arg_jid(call, call->argv[0]), *name = NULL;
	struct roster_item *it;
	int rc = -1;

	if (!jid || (call->argc > 1 && !(name = arg_text(call, call->argv[1]))))
		goto out;
	it = item_find(rst(core), jid);
	/* A set replaces the whole item: keep what the user did not change. */
	if (it)
		rc = send_item(core, CAUSE(call), jid, name ? name : it->name, it->groups,
			       it->ngroups, false, said("%s is in your roster%s%s", jid,
							 name ? " as " : "", name ? name : ""));
	else
		rc = send_item(core, CAUSE(call), jid, name, NULL, 0, false,
			       said("added %s to your roster%s%s", jid, name ? " as " : "",
				    name ? name : ""));
out:
	free(jid);
	free(name);
	return rc;
}

static int cmd_remove(struct cmd_call *call)
{
	struct roster_item *it = arg_item(call, call->argv[0]);

	if (!it)
		return -1;
	return send_item(CALL_CORE(call), CAUSE(call), it->jid, NULL, NULL, 0, true,
			 said("removed %s from your roster", it->jid));
}

static int cmd_name(struct cmd_call *call)
{
	struct roster_item *it = arg_item(call, call->argv[0]);
	char *name;
	int rc;

	if (!it || !(name = arg_text(call, call->argv[1])))
		return -1;
	rc = send_item(CALL_CORE(call), CAUSE(call), it->jid, name, it->groups, it->ngroups, false,
		       said("%s is now called %s", it->jid, name));
	free(name);
	return rc;
}

static int cmd_group_add(struct cmd_call *call)
{
	struct roster_item *it = arg_item(call, call->argv[0]);
	char *group, **groups;
	int rc = -1;

	if (!it || !(group = arg_text(call, call->argv[1])))
		return -1;
	if (!*group) {
		core_error(CALL_CORE(call), CAUSE(call), "bad-request", "a group needs a name");
		goto out;
	}
	if (has_group(it, group)) {
		core_info(CALL_CORE(call), CAUSE(call), "%s is already in that group", it->jid);
		rc = 0;
		goto out;
	}
	groups = malloc((it->ngroups + 1) * sizeof(*groups));
	if (!groups) {
		core_error(CALL_CORE(call), CAUSE(call), "internal-server-error", "out of memory");
		goto out;
	}
	if (it->ngroups)
		memcpy(groups, it->groups, it->ngroups * sizeof(*groups));
	groups[it->ngroups] = group;
	rc = send_item(CALL_CORE(call), CAUSE(call), it->jid, it->name, groups, it->ngroups + 1,
		       false, said("%s is now in group %s", it->jid, group));
	free(groups);
out:
	free(group);
	return rc;
}

static int cmd_group_remove(struct cmd_call *call)
{
	struct roster_item *it = arg_item(call, call->argv[0]);
	char *group, **groups;
	size_t n = 0;
	int rc = -1;

	if (!it || !(group = arg_text(call, call->argv[1])))
		return -1;
	if (!has_group(it, group)) {
		core_error(CALL_CORE(call), CAUSE(call), "item-not-found",
			   "%s is not in that group", it->jid);
		goto out;
	}
	groups = malloc((it->ngroups ? it->ngroups : 1) * sizeof(*groups));
	if (!groups) {
		core_error(CALL_CORE(call), CAUSE(call), "internal-server-error", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < it->ngroups; i++)
		if (strcmp(it->groups[i], group))
			groups[n++] = it->groups[i];
	rc = send_item(CALL_CORE(call), CAUSE(call), it->jid, it->name, groups, n, false,
		       said("%s is no longer in group %s", it->jid, group));
	free(groups);
out:
	free(group);
	return rc;
}

/* ---- for the other modules ---- */

bool roster_contains(struct core *core, const char *bare)
{
	return rst(core) && bare && item_find(rst(core), bare);
}

void *roster_describe(struct core *core, const char *bare, struct nt_roster_item *out)
{
	struct roster_item *it = rst(core) && bare ? item_find(rst(core), bare) : NULL;
	struct ev_item *e;

	if (!it || !(e = malloc(sizeof(*e))))
		return NULL;
	if (ev_item_fill(e, out, it, NULL)) {
		free(e);
		return NULL;
	}
	return e;
}

void roster_describe_free(void *held)
{
	if (held)
		ev_item_clear(held);
	free(held);
}

bool roster_sees_us(struct core *core, const char *jid)
{
	const struct roster_item *it;

	if (!jid)
		return false;
	if (jid_bare_equal(jid, core_account(core)->jid))
		return true;
	it = rst(core) ? item_find(rst(core), jid) : NULL;
	return it && (!strcmp(it->subscription, "from") || !strcmp(it->subscription, "both"));
}

const char *roster_name(struct core *core, const char *bare)
{
	struct roster_item *it = rst(core) && bare ? item_find(rst(core), bare) : NULL;

	return it ? it->name_clean : NULL;
}

/* The one roster item whose name is word, or else whose JID's localpart is
 * word (both case-insensitive); NULL when none or several. */
static const struct roster_item *by_name(struct roster_state *r, const char *word)
{
	const struct roster_item *named = NULL, *local = NULL, *it, *tmp;
	size_t nnamed = 0, nlocal = 0, wl = strlen(word);

	HASH_ITER(hh, r->items, it, tmp) {
		const char *at = strchr(it->jid, '@');

		if (it->name_clean && !strcasecmp(it->name_clean, word)) {
			named = it;
			nnamed++;
		}
		if (at && (size_t)(at - it->jid) == wl && !strncasecmp(it->jid, word, wl)) {
			local = it;
			nlocal++;
		}
	}
	if (nnamed == 1)
		return named;
	return !nnamed && nlocal == 1 ? local : NULL;
}

char *roster_resolve(struct core *core, struct core_cause cause, const char *word)
{
	struct roster_state *r = rst(core);
	const struct roster_item *it = r ? by_name(r, word) : NULL;
	char *server;
	bool address;

	if (it) {
		char *jid = strdup(it->jid);

		if (!jid)
			core_error(core, cause, "internal-server-error", "out of memory");
		return jid;
	}
	/* A word without '@' is a domain only when it looks like one (or is
	 * our own server's name): "bob" is a typo, not a server called bob. */
	address = strchr(word, '@') || strchr(word, '.') || strchr(word, '/');
	if (!address && (server = core_server(core))) {
		address = !strcasecmp(server, word);
		free(server);
	}
	if (!address) {
		core_error(core, cause, "item-not-found",
			   "'%s' is neither a contact's name nor an address (user@domain)", word);
		return NULL;
	}
	return core_checked_jid(core, cause, word);
}

const char *const *roster_jids(struct core *core)
{
	static const char *const none[] = {NULL};
	struct roster_state *r = rst(core);
	struct roster_item *it, *tmp;
	const char **a;
	size_t i = 0;

	if (!r)
		return none;
	if (!r->jids_stale && r->jids)
		return r->jids;
	a = realloc(r->jids, (HASH_COUNT(r->items) + 1) * sizeof(*a));
	if (!a)
		return none;
	HASH_ITER(hh, r->items, it, tmp)
		a[i++] = it->jid;
	a[i] = NULL;
	r->jids = a;
	r->jids_stale = false;
	return a;
}

/* ---- life cycle ---- */

static int roster_init(struct core *core)
{
	struct roster_state *r = calloc(1, sizeof(*r));

	if (!r)
		return -1;
	core_set_state(core, &roster_module, r);
	r->jids_stale = true;
	cache_load(core);
	return 0;
}

static void roster_free(struct core *core)
{
	struct roster_state *r = rst(core);
	struct sub_request *q, *qtmp;
	struct roster_req *req, *rtmp;

	if (!r)
		return;
	items_clear(&r->items);
	HASH_ITER(hh, r->requests, q, qtmp) {
		HASH_DEL(r->requests, q);
		request_free(q);
	}
	DL_FOREACH_SAFE(r->reqs, req, rtmp)
		req_free(req);
	free(r->ver);
	free(r->jids);
	free(r);
	core_set_state(core, &roster_module, NULL);
}

static const struct cmd_entry commands[] = {
	{.name = "roster", .help = "show your contacts", .flags = CMD_ONLINE, .exec = cmd_list},
	{.name = "roster add", .usage = "JID [NAME]", .help = "add a contact to your roster",
	 .min_args = 1, .max_args = 2, .rest = true, .complete = {"@jid"}, .flags = CMD_ONLINE,
	 .exec = cmd_add},
	{.name = "roster remove", .usage = "JID",
	 .help = "remove a contact (and both subscriptions)", .min_args = 1, .max_args = 1,
	 .complete = {"@jid"}, .flags = CMD_ONLINE, .exec = cmd_remove},
	{.name = "roster name", .usage = "JID NAME", .help = "rename a contact", .min_args = 2,
	 .max_args = 2, .rest = true, .complete = {"@jid"}, .flags = CMD_ONLINE,
	 .exec = cmd_name},
	{.name = "roster group add", .usage = "JID GROUP", .help = "put a contact in a group too",
	 .min_args = 2, .max_args = 2, .rest = true, .complete = {"@jid", "@group"},
	 .flags = CMD_ONLINE, .exec = cmd_group_add},
	{.name = "roster group remove", .usage = "JID GROUP",
	 .help = "take a contact out of a group", .min_args = 2, .max_args = 2, .rest = true,
	 .complete = {"@jid", "@group"}, .flags = CMD_ONLINE, .exec = cmd_group_remove},
};

static const struct core_handler handlers[] = {
	{CORE_HANDLE, "iq", "set", NS_ROSTER, on_push},
};

const struct core_module roster_module = {
	.name = "roster",
	.title = "Contacts",
	.init = roster_init,
	.free = roster_free,
	.login = roster_login,
	.commands = commands,
	.ncommands = COUNT(commands),
	.handlers = handlers,
	.nhandlers = COUNT(handlers),
};
