/* The roster (RFC 6121 §2) with XEP-0237 versioning.  It is cached, with
 * the subscription requests not answered yet, in the account's store
 * (history.db), so that the roster shows at once at start-up and a server
 * which answers "your version is current" with an empty result costs
 * nothing.  The cache is one store entry per item and per request, so a
 * push or a request writes one row, not the whole roster.
 *
 * Requests from strangers (anyone not in the roster) are kept up to
 * STRANGER_REQUESTS_MAX, the oldest giving way: a flood of them from
 * throw-away accounts costs a bounded list, and the user is told how many
 * were dropped. */
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
#include "core/presence.h"
#include "core/roster.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/text.h"
#include "xmpp/rosterstream.h"
#include "xmpp/session.h"
#include "xmpp/stanza.h"

#define NS_ROSTER          "jabber:iq:roster"
#define REQUEST_TIMEOUT_MS 30000
/* The cache: roster/ver, roster/item/<key>, roster/pending/<key>.  The
 * single entry "roster" of earlier versions is read once and converted. */
#define CACHE_OLD_KEY         "roster"
#define CACHE_OLD_FORMAT      1
#define CACHE_VER             "roster/ver"
#define CACHE_ITEM            "roster/item/"
#define CACHE_PENDING         "roster/pending/"
#define STRANGER_REQUESTS_MAX 100
/* Dropped requests are reported once a burst of them is over. */
#define DROP_REPORT_MS 1000
#define CACHE_CHUNK    500
#define INCOMING_CHUNK 1000

struct roster_item {
	char *key;                /* jid_bare_key() */
	char *jid;                /* normalised bare JID */
	char *name;               /* as the server has it, sent back unchanged; NULL: none */
	char *name_clean;         /* for display and other modules */
	char *jid_clean;          /* for events */
	char **groups_clean;      /* for events, beside groups */
	const char *subscription; /* static: none, to, from, both */
	bool ask;                 /* our subscription request waits for an answer */
	char **groups;            /* as the server has them */
	size_t ngroups;
	bool unsaved;                      /* its cache entry waits to be written */
	struct roster_item *uprev, *unext; /* the unsaved ones */
	UT_hash_handle hh;
};

/* A push that came while the login's answer was being read. */
struct held_push {
	struct roster_item *it;
	bool remove;
	char *ver;
	struct held_push *next;
};

/* An item gone from the roster whose cache entry waits to be removed. */
struct gone_key {
	char *key;
	UT_hash_handle hh;
};

struct sub_request {
	char *key;
	char *from;                      /* normalised bare JID */
	char *status;                    /* as received; NULL: none */
	unsigned long long seq;          /* arrival order, kept in the cache */
	bool stranger;                   /* not in the roster: on the strangers' list */
	struct sub_request *prev, *next; /* the strangers' list, oldest first */
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
	struct sub_request *requests;  /* in arrival order */
	struct sub_request *strangers; /* the requests from strangers, oldest first */
	size_t nstrangers;
	unsigned long long next_seq;
	unsigned dropped; /* strangers' requests dropped, not reported yet */
	uint64_t drop_timer;
	char *ver;         /* XEP-0237 version of items, NULL when unknown */
	const char **jids; /* roster_jids(), rebuilt when stale */
	bool jids_stale;
	struct roster_req *reqs;
	bool fetching; /* the login's roster request waits for its answer */
	/* The cache is written CACHE_CHUNK entries per loop pass, the version
	 * last: a 10,000-item roster must not hold up typing, nor keep 10,000
	 * writes in memory until one commit.  Until then the cache's version
	 * is the old one, so a crash half-way makes the next login fetch all. */
	struct roster_item *unsaved;
	struct gone_key *gone;
	bool ver_unsaved;
	uint64_t flush_timer;
	/* The login's answer, read INCOMING_CHUNK items a pass: our reference
	 * to it, the next child to read, what was read, its version, and the
	 * pushes that came meanwhile (applied after it). */
	xmpp_stanza_t *incoming, *cursor;
	/* ... or, as the network thread read them (rosterstream.h), the
	 * answer's items and the next one to read */
	struct rs_list *streamed;
	size_t streamed_next;
	struct roster_item *fresh;
	char *incoming_ver;
	uint64_t step_timer;
	struct held_push *held, **held_tail;
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
	/* The keys and clean copies share the original where they equal it. */
	if (it->key != it->jid)
		free(it->key);
	if (it->jid_clean != it->jid)
		free(it->jid_clean);
	if (it->name_clean != it->name)
		free(it->name_clean);
	free(it->jid);
	free(it->name);
	for (size_t i = 0; i < it->ngroups; i++) {
		if (it->groups_clean[i] != it->groups[i])
			free(it->groups_clean[i]);
		free(it->groups[i]);
	}
	free(it->groups);
	free(it->groups_clean);
	free(it);
}

static void unsaved_unlink(struct roster_state *r, struct roster_item *it)
{
	if (r && it->unsaved) {
		DL_DELETE2(r->unsaved, it, uprev, unext);
		it->unsaved = false;
	}
}

/* Frees a table of items; r: the roster's own (its unsaved list too). */
static void items_clear(struct roster_state *r, struct roster_item **items)
{
	struct roster_item *it, *tmp;

	HASH_ITER(hh, *items, it, tmp)
	{
		HASH_DEL(*items, it);
		unsaved_unlink(r, it);
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

/* copy, or orig when copy says the same (copy is freed): a roster of
 * 10,000 keeps one string where its key or clean copy would be the same.
 * NULL when copy is NULL (out of memory). */
static char *share(char *orig, char *copy)
{
	if (copy && !strcmp(copy, orig)) {
		free(copy);
		return orig;
	}
	return copy;
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
	char **g, *copy, *clean;

	if (!*group || has_group(it, group))
		return 0;
	g = realloc(it->groups, (it->ngroups + 1) * sizeof(*g));
	if (!g)
		return -1;
	it->groups = g;
	g = realloc(it->groups_clean, (it->ngroups + 1) * sizeof(*g));
	if (!g)
		return -1;
	it->groups_clean = g;
	copy = strdup(group);
	clean = core_clean(group);
	if (!copy || !clean) {
		free(copy);
		free(clean);
		return -1;
	}
	it->groups[it->ngroups] = copy;
	it->groups_clean[it->ngroups++] = share(copy, clean);
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
	it->key = it->jid ? share(it->jid, jid_key_of(&j)) : NULL;
	jid_clear(&j);
	it->subscription = known_subscription(sub);
	if (!it->subscription)
		it->subscription = "none";
	it->ask = ask;
	if (!it->jid || !it->key || !(it->jid_clean = share(it->jid, core_clean(it->jid))) ||
	    (name && (!(it->name = strdup(name)) ||
	              !(it->name_clean = share(it->name, core_clean(name)))))) {
		item_free(it);
		return NULL;
	}
	return it;
}

/* The start of an item read from a roster result or push: *remove is set
 * for subscription='remove'.  NULL with *why set when invalid or on
 * ENOMEM. */
static struct roster_item *item_begin(const char *jid, const char *name, const char *sub,
                                      const char *ask, bool *remove, const char **why)
{
	*remove = sub && !strcmp(sub, "remove");
	if (!jid) {
		*why = "item without a jid";
		return NULL;
	}
	return item_new(jid, name, sub, ask && !strcmp(ask, "subscribe"), why);
}

/* Reads an <item/> of a roster result or push (see item_begin). */
static struct roster_item *item_from_stanza(xmpp_stanza_t *el, bool *remove, const char **why)
{
	struct roster_item *it;
	xmpp_stanza_t *c;

	it = item_begin(xmpp_stanza_get_attribute(el, "jid"), xmpp_stanza_get_attribute(el, "name"),
	                xmpp_stanza_get_attribute(el, "subscription"),
	                xmpp_stanza_get_attribute(el, "ask"), remove, why);
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

/* The same, for an item the network thread read as it streamed in. */
static struct roster_item *item_from_streamed(const struct rs_item *ri, bool *remove,
                                              const char **why)
{
	struct roster_item *it =
	    item_begin(ri->jid, ri->name, ri->subscription, ri->ask, remove, why);
	const char *g;

	for (g = ri->groups; it && g; g = rs_next_group(g))
		if (item_add_group(it, g)) {
			*why = "out of memory";
			item_free(it);
			return NULL;
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
		unsaved_unlink(r, old);
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
		unsaved_unlink(r, old);
		item_free(old);
	}
	r->jids_stale = true;
}

static int by_key(struct roster_item *a, struct roster_item *b)
{
	return strcmp(a->key, b->key);
}

/* ---- events ---- */

/* An item as an event carries it: its strings were made safe when it was
 * made, so an event of 10,000 items copies none of them. */
static void ev_item_fill(struct nt_roster_item *out, const struct roster_item *it,
                         const char *subscription)
{
	out->jid = it->jid_clean;
	out->name = it->name_clean;
	out->subscription = subscription ? subscription : it->subscription;
	out->ask = it->ask && !subscription ? "subscribe" : NULL;
	out->groups = (const char *const *)it->groups_clean;
	out->ngroups = it->ngroups;
}

static void emit_roster(struct core *core, struct core_cause cause)
{
	struct roster_state *r = rst(core);
	size_t n = HASH_COUNT(r->items), i = 0;
	struct nt_roster_item *items = calloc(n ? n : 1, sizeof(*items));
	struct nt_event ev = {.kind = NT_EV_ROSTER, .origin = cause.origin};
	struct roster_item *it, *tmp;

	if (!items) {
		core_error(core, cause, "internal-server-error", "out of memory: roster not shown");
		return;
	}
	HASH_SORT(r->items, by_key);
	HASH_ITER(hh, r->items, it, tmp)
	ev_item_fill(&items[i++], it, NULL);
	ev.u.roster.items = items;
	ev.u.roster.count = n;
	core_emit(core, &ev);
	free(items);
}

static void emit_push(struct core *core, const struct roster_item *it, bool removed)
{
	struct nt_event ev = {.kind = NT_EV_ROSTER_PUSH};

	ev_item_fill(&ev.u.roster_push.item, it, removed ? "remove" : NULL);
	core_emit(core, &ev);
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

/* "<prefix><key>", malloc'd. */
static char *cache_key(const char *prefix, const char *key)
{
	char *k = NULL;

	return asprintf(&k, "%s%s", prefix, key) < 0 ? NULL : k;
}

/* Writes (or with value NULL removes) one entry; it goes into the store
 * with the next commit. */
static void cache_put(struct core *core, const char *prefix, const char *key, json_t *value)
{
	char *k = cache_key(prefix, key);
	char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;

	json_decref(value);
	if (!k || (value && !text))
		log_error("out of memory: roster cache entry %s not written", key);
	else if (text)
		history_kv_set(core, k, text);
	else
		history_kv_del(core, k);
	free(text);
	free(k);
}

static void item_save(struct core *core, const struct roster_item *it)
{
	json_t *o = item_to_json(it);

	if (!o) {
		log_error("out of memory: roster cache entry %s not written", it->key);
		return;
	}
	cache_put(core, CACHE_ITEM, it->key, o);
}

static void item_unsave(struct core *core, const char *key)
{
	cache_put(core, CACHE_ITEM, key, NULL);
}

static void ver_save(struct core *core)
{
	const char *ver = rst(core)->ver;

	if (ver)
		history_kv_set(core, CACHE_VER, ver);
	else
		history_kv_del(core, CACHE_VER);
}

static void cache_flush(struct core *core, size_t max);

static void flush_due(struct loop *loop, void *ud)
{
	struct core *core = ud;

	(void)loop;
	rst(core)->flush_timer = 0;
	cache_flush(core, CACHE_CHUNK);
}

static void flush_arm(struct core *core)
{
	struct roster_state *r = rst(core);

	if (!r->flush_timer)
		r->flush_timer = loop_timer_add(core_loop(core), 0, flush_due, core);
}

/* The item's cache entry is to be (re)written. */
static void mark_unsaved(struct core *core, struct roster_item *it)
{
	struct roster_state *r = rst(core);
	struct gone_key *g = NULL;

	HASH_FIND_STR(r->gone, it->key, g);
	if (g) {
		HASH_DEL(r->gone, g);
		free(g->key);
		free(g);
	}
	if (!it->unsaved) {
		DL_APPEND2(r->unsaved, it, uprev, unext);
		it->unsaved = true;
	}
	flush_arm(core);
}

/* The entry of key (an item no longer in the roster) is to be removed. */
static void mark_gone(struct core *core, const char *key)
{
	struct roster_state *r = rst(core);
	struct gone_key *g = NULL;

	HASH_FIND_STR(r->gone, key, g);
	if (!g) {
		g = calloc(1, sizeof(*g));
		if (!g || !(g->key = strdup(key))) {
			free(g);
			/* Better a stale entry than none: the version goes too. */
			log_error("out of memory: the roster cache keeps %s", key);
			history_kv_del(core, CACHE_VER);
			return;
		}
		HASH_ADD_KEYPTR(hh, r->gone, g->key, strlen(g->key), g);
	}
	flush_arm(core);
}

static void mark_ver(struct core *core)
{
	rst(core)->ver_unsaved = true;
	flush_arm(core);
}

/* Writes up to max waiting cache entries, the version once nothing else
 * waits; comes back for the rest on the next pass. */
static void cache_flush(struct core *core, size_t max)
{
	struct roster_state *r = rst(core);
	struct gone_key *g, *gtmp;
	size_t n = 0;

	HASH_ITER(hh, r->gone, g, gtmp)
	{
		if (n++ == max)
			break;
		item_unsave(core, g->key);
		HASH_DEL(r->gone, g);
		free(g->key);
		free(g);
	}
	while (r->unsaved && n++ < max) {
		struct roster_item *it = r->unsaved;

		item_save(core, it);
		unsaved_unlink(r, it);
	}
	if (r->gone || r->unsaved) {
		flush_arm(core);
		return;
	}
	if (r->ver_unsaved) {
		ver_save(core);
		r->ver_unsaved = false;
	}
}

static void request_save(struct core *core, const struct sub_request *q)
{
	json_t *o = json_object();

	if (!o || json_object_set_new(o, "from", json_string(q->from)) ||
	    (q->status && json_object_set_new(o, "status", json_string(q->status))) ||
	    json_object_set_new(o, "seq", json_integer((json_int_t)q->seq))) {
		json_decref(o);
		log_error("out of memory: subscription request %s not cached", q->from);
		return;
	}
	cache_put(core, CACHE_PENDING, q->key, o);
}

static void request_unsave(struct core *core, const char *key)
{
	cache_put(core, CACHE_PENDING, key, NULL);
}

/* Whether two items say the same (the cache holds a's entry: is b's new?). */
static bool item_same(const struct roster_item *a, const struct roster_item *b)
{
	if (strcmp(a->jid, b->jid) || a->subscription != b->subscription || a->ask != b->ask ||
	    (!a->name != !b->name) || (a->name && strcmp(a->name, b->name)) ||
	    a->ngroups != b->ngroups)
		return false;
	for (size_t i = 0; i < a->ngroups; i++)
		if (strcmp(a->groups[i], b->groups[i]))
			return false;
	return true;
}

/* An item as the cache has it; NULL when it is not one. */
static struct roster_item *item_from_json(json_t *v)
{
	json_t *groups = json_object_get(v, "groups"), *g, *name = json_object_get(v, "name");
	const char *jid = json_string_value(json_object_get(v, "jid")), *why = NULL;
	struct roster_item *it;
	size_t k;

	if (!jid || (name && !json_is_string(name)) || (groups && !json_is_array(groups)))
		return NULL;
	it = item_new(jid, json_string_value(name),
	              json_string_value(json_object_get(v, "subscription")),
	              json_is_true(json_object_get(v, "ask")), &why);
	if (!it)
		return NULL;
	json_array_foreach(groups, k, g)
	{
		if (!json_is_string(g) || item_add_group(it, json_string_value(g))) {
			item_free(it);
			return NULL;
		}
	}
	return it;
}

static int request_put(struct roster_state *r, const char *from, const char *status,
                       unsigned long long seq, struct sub_request **out);

/* A request as the cache has it: 0, or -1 when it is not one. */
static int request_from_json(struct roster_state *r, json_t *v)
{
	const char *from = json_string_value(json_object_get(v, "from"));
	json_t *status = json_object_get(v, "status"), *seq = json_object_get(v, "seq");

	if (!from || (status && !json_is_string(status)) || (seq && !json_is_integer(seq)))
		return -1;
	return request_put(r, from, json_string_value(status),
	                   seq ? (unsigned long long)json_integer_value(seq) : r->next_seq, NULL);
}

struct load {
	struct core *core;
	json_t **pending; /* the requests read, to be put in arrival order */
	size_t npending, cap;
	bool bad;
};

static void load_item(const char *key, const char *value, void *ud)
{
	struct load *l = ud;
	json_t *v = json_loads(value, 0, NULL);
	struct roster_item *it = v ? item_from_json(v) : NULL;

	(void)key;
	json_decref(v);
	if (it)
		item_put(rst(l->core), it);
	else
		l->bad = true;
}

static void load_pending(const char *key, const char *value, void *ud)
{
	struct load *l = ud;
	json_t *v = json_loads(value, 0, NULL);

	(void)key;
	if (v && l->npending == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		json_t **p = realloc(l->pending, cap * sizeof(*p));

		if (p) {
			l->pending = p;
			l->cap = cap;
		}
	}
	if (!v || l->npending == l->cap) {
		json_decref(v);
		l->bad = true;
		return;
	}
	l->pending[l->npending++] = v;
}

static int by_seq(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "seq"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "seq"));

	return x < y ? -1 : x > y;
}

static void cache_forget(struct core *core);
static void requests_trim(struct core *core);

/* The cache of earlier versions: one JSON text with everything.  Read, then
 * written again entry by entry.  0, or -1 when it is not one natter can read
 * (the caller then starts from nothing). */
static int cache_load_old(struct core *core, const char *text)
{
	struct roster_state *r = rst(core);
	json_t *root, *items, *pending, *ver, *v;
	struct roster_item *it, *tmp;
	struct sub_request *q, *qtmp;
	size_t i;

	root = json_loads(text, 0, NULL);
	items = json_object_get(root, "items");
	pending = json_object_get(root, "pending");
	ver = json_object_get(root, "ver");
	if (!json_is_object(root) ||
	    json_integer_value(json_object_get(root, "format")) != CACHE_OLD_FORMAT ||
	    !json_is_array(items) || (pending && !json_is_array(pending)) ||
	    (ver && !json_is_string(ver)))
		goto bad;
	json_array_foreach(items, i, v)
	{
		if (!(it = item_from_json(v)))
			goto bad;
		item_put(r, it);
	}
	json_array_foreach(pending, i, v) if (request_from_json(r, v)) goto bad;
	if (ver && !(r->ver = strdup(json_string_value(ver))))
		goto bad;
	json_decref(root);
	HASH_ITER(hh, r->items, it, tmp)
	mark_unsaved(core, it);
	HASH_ITER(hh, r->requests, q, qtmp)
	request_save(core, q);
	mark_ver(core);
	history_kv_del(core, CACHE_OLD_KEY);
	return 0;
bad:
	json_decref(root);
	return -1;
}

/* Loads what the last run saved.  Anything odd discards the whole cache:
 * the server will then send the full roster. */
static void cache_load(struct core *core)
{
	struct roster_state *r = rst(core);
	struct load l = {.core = core};
	char *text = NULL;

	if (history_kv_get(core, CACHE_OLD_KEY, &text) == 1) {
		if (cache_load_old(core, text)) {
			log_warn("the roster cache is not one natter can read; ignoring it");
			cache_forget(core);
			history_kv_del(core, CACHE_OLD_KEY);
		}
		free(text);
		requests_trim(core);
		return;
	}
	if (history_kv_get(core, CACHE_VER, &text) == 1)
		r->ver = text;
	if (history_kv_each(core, CACHE_ITEM, load_item, &l) < 0 ||
	    history_kv_each(core, CACHE_PENDING, load_pending, &l) < 0)
		l.bad = true;
	/* Their keys sort by JID; arrival order is in seq. */
	if (l.npending > 1)
		qsort(l.pending, l.npending, sizeof(*l.pending), by_seq);
	for (size_t i = 0; i < l.npending; i++) {
		if (request_from_json(r, l.pending[i]))
			l.bad = true;
		json_decref(l.pending[i]);
	}
	free(l.pending);
	if (l.bad) {
		/* The rest of what was read stays; the server's roster, which
		 * has no version to match any more, replaces it at login. */
		log_warn("part of the roster cache could not be read; asking for the whole roster");
		free(r->ver);
		r->ver = NULL;
	}
	requests_trim(core);
}

/* ---- subscription requests (kept here, handled by subscription.c) ---- */

static void request_free(struct sub_request *q)
{
	free(q->key);
	free(q->from);
	free(q->status);
	free(q);
}

static struct sub_request *request_find(struct roster_state *r, const char *key)
{
	struct sub_request *q = NULL;

	HASH_FIND_STR(r->requests, key, q);
	return q;
}

static void stranger_link(struct roster_state *r, struct sub_request *q)
{
	if (q->stranger)
		return;
	q->stranger = true;
	DL_APPEND(r->strangers, q);
	r->nstrangers++;
}

static void stranger_unlink(struct roster_state *r, struct sub_request *q)
{
	if (!q->stranger)
		return;
	DL_DELETE(r->strangers, q);
	q->stranger = false;
	r->nstrangers--;
}

/* After the roster changed wholesale: who is a stranger, in arrival order. */
static void strangers_rebuild(struct roster_state *r)
{
	struct sub_request *q, *tmp;

	HASH_ITER(hh, r->requests, q, tmp)
	stranger_unlink(r, q);
	HASH_ITER(hh, r->requests, q, tmp)
	if (!item_find(r, q->from))
		stranger_link(r, q);
}

/* Adds a request, or updates the text of one already there (it keeps its
 * place); *out gets it.  0, or -1 on ENOMEM or an invalid JID. */
static int request_put(struct roster_state *r, const char *from, const char *status,
                       unsigned long long seq, struct sub_request **out)
{
	struct sub_request *q;
	char *key = jid_bare_key(from, NULL), *st = NULL;

	if (!key || (status && !(st = strdup(status)))) {
		free(key);
		return -1;
	}
	q = request_find(r, key);
	if (q) {
		free(key);
		free(q->status);
		q->status = st;
		if (out)
			*out = q;
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
	q->seq = seq;
	if (seq >= r->next_seq)
		r->next_seq = seq + 1;
	HASH_ADD_KEYPTR(hh, r->requests, q->key, strlen(q->key), q);
	if (!item_find(r, q->from))
		stranger_link(r, q);
	if (out)
		*out = q;
	return 0;
}

static void request_delete(struct roster_state *r, struct sub_request *q)
{
	stranger_unlink(r, q);
	HASH_DEL(r->requests, q);
	request_free(q);
}

/* Removes the request from bare, in memory and in the cache. */
static bool request_remove(struct core *core, const char *bare)
{
	struct roster_state *r = rst(core);
	struct sub_request *q;
	char *key = jid_bare_key(bare, NULL);

	q = key ? request_find(r, key) : NULL;
	free(key);
	if (!q)
		return false;
	request_unsave(core, q->key);
	request_delete(r, q);
	return true;
}

static void drop_report(struct loop *loop, void *ud)
{
	struct core *core = ud;
	struct roster_state *r = rst(core);

	(void)loop;
	r->drop_timer = 0;
	if (!r->dropped)
		return;
	core_info(core, NO_CAUSE,
	          "%u subscription request%s from strangers %s dropped: only the newest %d are "
	          "kept (/sub pending lists them)",
	          r->dropped, r->dropped == 1 ? "" : "s", r->dropped == 1 ? "was" : "were",
	          STRANGER_REQUESTS_MAX);
	r->dropped = 0;
	/* Without an origin: front ends take it as the list, not as an answer. */
	roster_requests_emit(core, NO_CAUSE);
}

/* Keeps the newest STRANGER_REQUESTS_MAX requests from strangers; what
 * went is counted and reported once the burst is over. */
static void requests_trim(struct core *core)
{
	struct roster_state *r = rst(core);

	while (r->nstrangers > STRANGER_REQUESTS_MAX) {
		struct sub_request *q = r->strangers;

		request_unsave(core, q->key);
		request_delete(r, q);
		r->dropped++;
	}
	if (r->dropped && !r->drop_timer)
		r->drop_timer = loop_timer_add(core_loop(core), DROP_REPORT_MS, drop_report, core);
}

static void cache_forget(struct core *core)
{
	struct roster_state *r = rst(core);
	struct sub_request *q, *tmp;

	items_clear(r, &r->items);
	HASH_ITER(hh, r->requests, q, tmp)
	request_delete(r, q);
	free(r->ver);
	r->ver = NULL;
}

int roster_request_add(struct core *core, const char *from, const char *status)
{
	struct roster_state *r = rst(core);
	struct sub_request *q;

	if (request_put(r, from, status, r->next_seq, &q))
		return -1;
	request_save(core, q);
	requests_trim(core);
	return 0;
}

bool roster_request_drop(struct core *core, const char *bare)
{
	return request_remove(core, bare);
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
	HASH_ITER(hh, r->requests, q, tmp)
	{
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

/* Puts it in the roster; save: write its cache entry too. */
static void apply_item(struct core *core, struct roster_item *it, bool save)
{
	struct roster_state *r = rst(core);
	struct sub_request *q;

	/* Approved from elsewhere (another client of ours): not pending. */
	if (r->requests &&
	    (!strcmp(it->subscription, "from") || !strcmp(it->subscription, "both")) &&
	    (q = request_find(r, it->key))) {
		request_unsave(core, q->key);
		request_delete(r, q);
	}
	/* A contact now: its request no longer counts as a stranger's. */
	q = request_find(r, it->key);
	if (q)
		stranger_unlink(r, q);
	item_put(r, it);
	if (save)
		mark_unsaved(core, it);
}

/* ---- the roster's answer, a chunk a pass ---- */

static void incoming_step(struct loop *loop, void *ud);

/* Ends an answer being read (a new login came, or natter stops). */
static void incoming_drop(struct core *core)
{
	struct roster_state *r = rst(core);
	struct held_push *p;

	loop_timer_cancel(core_loop(core), r->step_timer);
	r->step_timer = 0;
	if (r->incoming)
		xmpp_stanza_release(r->incoming);
	r->incoming = r->cursor = NULL;
	rs_list_free(r->streamed);
	r->streamed = NULL;
	free(r->incoming_ver);
	r->incoming_ver = NULL;
	items_clear(NULL, &r->fresh);
	while ((p = r->held)) {
		r->held = p->next;
		item_free(p->it);
		free(p->ver);
		free(p);
	}
	r->held_tail = &r->held;
}

static void push_apply(struct core *core, struct roster_item *it, bool remove, char *ver);

/* Every item read: the fresh roster replaces ours, the cache changes where
 * they differ, front ends get it, then the pushes that came meanwhile. */
static void incoming_done(struct core *core)
{
	struct roster_state *r = rst(core);
	struct roster_item *it, *tmp;
	struct held_push *p;

	/* Read to the end: the answer (its items' list, or libstrophe's tree
	 * of them: 1 MB or 10 MB for 10,000) goes before the roster is built,
	 * so that it and what the front end makes of the roster are never
	 * held at once. */
	xmpp_stanza_release(r->incoming);
	r->incoming = r->cursor = NULL;
	rs_list_free(r->streamed);
	r->streamed = NULL;
	HASH_ITER(hh, r->items, it, tmp)
	{
		struct roster_item *f = NULL;

		HASH_FIND_STR(r->fresh, it->key, f);
		if (!f)
			mark_gone(core, it->key);
	}
	HASH_ITER(hh, r->fresh, it, tmp)
	{
		struct roster_item *old = NULL;

		HASH_FIND_STR(r->items, it->key, old);
		it->unsaved = !old || !item_same(old, it) || old->unsaved;
	}
	items_clear(r, &r->items);
	HASH_ITER(hh, r->fresh, it, tmp)
	{
		bool save = it->unsaved;

		HASH_DEL(r->fresh, it);
		it->unsaved = false;
		apply_item(core, it, save);
	}
	strangers_rebuild(r);
	requests_trim(core);
	free(r->ver);
	/* NULL when absent, or on ENOMEM: the next login fetches all */
	r->ver = r->incoming_ver;
	r->incoming_ver = NULL;
	r->jids_stale = true;
	mark_ver(core);
	emit_roster(core, NO_CAUSE);
	while ((p = r->held)) {
		r->held = p->next;
		push_apply(core, p->it, p->remove, p->ver);
		free(p);
	}
	r->held_tail = &r->held;
}

/* Reads up to INCOMING_CHUNK items of the answer; comes back for the rest
 * on the next pass, so that 10,000 of them do not hold up typing. */
static void incoming_step(struct loop *loop, void *ud)
{
	struct core *core = ud;
	struct roster_state *r = rst(core);
	struct roster_item *it, *tmp;
	size_t n = 0;

	(void)loop;
	r->step_timer = 0;
	while (n < INCOMING_CHUNK && (r->cursor || r->streamed_next < rs_list_len(r->streamed))) {
		const char *why = NULL;
		bool remove;

		if (r->streamed) {
			it = item_from_streamed(rs_list_item(r->streamed, r->streamed_next++),
			                        &remove, &why);
		} else {
			xmpp_stanza_t *c = r->cursor;
			const char *name = xmpp_stanza_get_name(c);

			r->cursor = xmpp_stanza_get_next(c);
			if (!xmpp_stanza_is_tag(c) || !name || strcmp(name, "item"))
				continue;
			it = item_from_stanza(c, &remove, &why);
		}
		n++;
		if (!it) {
			log_info("skipped a roster item: %s", why);
			continue;
		}
		if (remove) {
			item_free(it);
			continue;
		}
		HASH_FIND_STR(r->fresh, it->key, tmp);
		if (tmp) {
			HASH_DEL(r->fresh, tmp);
			item_free(tmp);
		}
		HASH_ADD_KEYPTR(hh, r->fresh, it->key, strlen(it->key), it);
	}
	if (r->cursor || r->streamed_next < rs_list_len(r->streamed))
		r->step_timer = loop_timer_add(core_loop(core), 0, incoming_step, core);
	else
		incoming_done(core);
}

static void roster_received(struct core *core, xmpp_stanza_t *reply)
{
	struct roster_state *r = rst(core);
	const struct core_cause cause = CAUSED_BY("roster");
	xmpp_stanza_t *query;
	const char *ver;
	char *text = NULL, *clean;
	struct rs_list *streamed = reply ? xs_take_roster_items(core_xs(core), reply) : NULL;

	if (streamed && !rs_list_complete(streamed)) {
		rs_list_free(streamed);
		core_error(core, cause, "internal-server-error",
		           "out of memory while reading the roster: keeping the %u contacts known",
		           HASH_COUNT(r->items));
		return;
	}
	if (!reply) {
		core_error(core, cause, "remote-server-timeout",
		           "the server did not send the roster");
		return;
	}
	if (!strcmp(xmpp_stanza_get_type(reply), "error")) {
		const char *cond = st_error_condition(reply, &text);

		rs_list_free(streamed);
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
		rs_list_free(streamed);
		emit_roster(core, NO_CAUSE);
		return;
	}
	/* Read a chunk a pass from our own reference to the answer (this
	 * thread's alone: the session releases its own after this call). */
	incoming_drop(core);
	ver = xmpp_stanza_get_attribute(query, "ver");
	r->incoming = xmpp_stanza_clone(reply);
	r->streamed = streamed;
	r->streamed_next = 0;
	r->cursor = streamed ? NULL : xmpp_stanza_get_children(query);
	r->incoming_ver = ver ? strdup(ver) : NULL;
	incoming_step(core_loop(core), core);
}

/* Our initial presence waits for the roster: a server handles the presence
 * (probes and broadcasts to every contact: seconds for 10,000) before it
 * sends what it answered before it, so a roster asked first would still
 * arrive last.  Once the answer is here, the presence can go while the
 * answer is read. */
static void login_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	(void)ud;
	rst(core)->fetching = false;
	roster_received(core, reply);
	presence_roster_done(core);
}

bool roster_fetching(struct core *core)
{
	return rst(core) && rst(core)->fetching;
}

static void roster_login(struct core *core, const struct core_login *l)
{
	struct roster_state *r = rst(core);
	bool versioning = l->rosterver;
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "get", NULL), *q;

	/* An answer of the last session still being read is stale. */
	incoming_drop(core);
	q = iq ? st_add_element(iq, "query", NS_ROSTER) : NULL;
	/* ver='' asks for the full roster and says we can cache it. */
	if (!q ||
	    (versioning && xmpp_stanza_set_attribute(q, "ver", r->ver ? r->ver : "") != XMPP_EOK)) {
		if (iq)
			xmpp_stanza_release(iq);
		core_error(core, CAUSED_BY("roster"), "internal-server-error", "out of memory");
		return;
	}
	if (core_iq_send(core, iq, REQUEST_TIMEOUT_MS, login_answer, NULL))
		core_error(core, CAUSED_BY("roster"), "internal-server-error",
		           "could not ask for the roster");
	else
		r->fetching = true;
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
		              strcmp(why, "out of memory") ? "bad-request"
		                                           : "internal-server-error");
		return CORE_PASS;
	}
	ver = xmpp_stanza_get_attribute(query, "ver");
	push_result(core, iq);
	if (r->incoming) {
		/* Newer than the answer being read: it goes after it. */
		struct held_push *p = calloc(1, sizeof(*p));

		if (!p || (ver && !(p->ver = strdup(ver)))) {
			free(p);
			item_free(it);
			log_error("out of memory: a roster push was lost");
			return CORE_PASS;
		}
		p->it = it;
		p->remove = remove;
		*r->held_tail = p;
		r->held_tail = &p->next;
		return CORE_PASS;
	}
	push_apply(core, it, remove, ver ? strdup(ver) : NULL);
	return CORE_PASS;
}

/* Applies a push; takes it and ver (NULL: none, or out of memory). */
static void push_apply(struct core *core, struct roster_item *it, bool remove, char *ver)
{
	struct roster_state *r = rst(core);

	free(r->ver);
	/* Without a version the cache can no longer claim one. */
	r->ver = ver;
	emit_push(core, it, remove);
	if (remove) {
		struct sub_request *q = request_find(r, it->key);

		item_remove(r, it->key);
		mark_gone(core, it->key);
		/* No longer a contact: a request of theirs is a stranger's. */
		if (q) {
			stranger_link(r, q);
			requests_trim(core);
		}
		item_free(it);
	} else {
		apply_item(core, it, true);
	}
	mark_ver(core);
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
static int send_item(struct core *core, struct core_cause cause, const char *jid, const char *name,
                     char *const *groups, size_t ngroups, bool remove, char *done)
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
			bad |=
			    xmpp_stanza_set_attribute(item, "subscription", "remove") != XMPP_EOK;
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
		rc = send_item(
		    core, CAUSE(call), jid, name ? name : it->name, it->groups, it->ngroups, false,
		    said("%s is in your roster%s%s", jid, name ? " as " : "", name ? name : ""));
	else
		rc = send_item(
		    core, CAUSE(call), jid, name, NULL, 0, false,
		    said("added %s to your roster%s%s", jid, name ? " as " : "", name ? name : ""));
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

static struct roster_item *item_by_key(struct core *core, const char *key)
{
	struct roster_item *it = NULL;

	if (rst(core) && key)
		HASH_FIND_STR(rst(core)->items, key, it);
	return it;
}

bool roster_has_key(struct core *core, const char *key)
{
	return item_by_key(core, key) != NULL;
}

/* The item keeps its strings made safe (ev_item_fill): what holds them is
 * the item itself, so there is nothing to free. */
void *roster_describe(struct core *core, const char *bare, struct nt_roster_item *out)
{
	struct roster_item *it = rst(core) && bare ? item_find(rst(core), bare) : NULL;

	if (!it)
		return NULL;
	ev_item_fill(out, it, NULL);
	return it;
}

void roster_describe_free(void *held)
{
	(void)held;
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

	HASH_ITER(hh, r->items, it, tmp)
	{
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
	r->held_tail = &r->held;
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
	incoming_drop(core);
	loop_timer_cancel(core_loop(core), r->drop_timer);
	loop_timer_cancel(core_loop(core), r->flush_timer);
	r->flush_timer = 0;
	/* What waits is written now: the store commits it when it closes. */
	cache_flush(core, SIZE_MAX);
	loop_timer_cancel(core_loop(core), r->flush_timer);
	items_clear(r, &r->items);
	HASH_ITER(hh, r->requests, q, qtmp)
	request_delete(r, q);
	DL_FOREACH_SAFE(r->reqs, req, rtmp)
	req_free(req);
	free(r->ver);
	free(r->jids);
	free(r);
	core_set_state(core, &roster_module, NULL);
}

static const struct cmd_entry commands[] = {
    {.name = "roster", .help = "show your contacts", .flags = CMD_ONLINE, .exec = cmd_list},
    {.name = "roster add",
     .usage = "JID [NAME]",
     .help = "add a contact to your roster",
     .min_args = 1,
     .max_args = 2,
     .rest = true,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_add},
    {.name = "roster remove",
     .usage = "JID",
     .help = "remove a contact (and both subscriptions)",
     .min_args = 1,
     .max_args = 1,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_remove},
    {.name = "roster name",
     .usage = "JID NAME",
     .help = "rename a contact",
     .min_args = 2,
     .max_args = 2,
     .rest = true,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_name},
    {.name = "roster group add",
     .usage = "JID GROUP",
     .help = "put a contact in a group too",
     .min_args = 2,
     .max_args = 2,
     .rest = true,
     .complete = {"@jid", "@group"},
     .flags = CMD_ONLINE,
     .exec = cmd_group_add},
    {.name = "roster group remove",
     .usage = "JID GROUP",
     .help = "take a contact out of a group",
     .min_args = 2,
     .max_args = 2,
     .rest = true,
     .complete = {"@jid", "@group"},
     .flags = CMD_ONLINE,
     .exec = cmd_group_remove},
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
