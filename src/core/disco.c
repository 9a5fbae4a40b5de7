/* Service discovery (XEP-0030) and entity capabilities (XEP-0115): our own
 * answers, what peers announce, and /disco info|items.
 *
 * What we know of other entities' features comes from two places:
 * - caps: a presence carrying <c/> maps a full JID to "node#ver"; the
 *   features behind a ver are asked once (disco#info node#ver), kept only if
 *   they hash to ver, and then shared by every JID announcing that ver and
 *   saved in the account's store, one entry per ver, at most CAPS_CACHE_MAX
 *   (the oldest goes).  Only our own resources and roster contacts are
 *   asked: a question tells its addressee we are online, and a stranger
 *   inventing vers must not make us ask and store without end;
 * - plain disco#info answers (from disco_check_feature or /disco info),
 *   kept in memory per JID until that JID's presence changes.
 *
 * disco_known_feature(jid) looks, in order, at: a disco#info answer cached
 * for exactly jid; for a full JID, its verified caps; for a bare JID, the
 * verified caps of every resource that announced presence, when there is
 * at least one, all are verified and all give the same answer.  Anything
 * else is unknown (-1): a resource whose caps we could not verify might
 * be the one a message lands on. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/paths.h"
#include "core/caps.h"
#include "core/core_internal.h"
#include "core/disco.h"
#include "core/history.h"
#include "core/roster.h"
#include "util/jid.h"
#include "util/log.h"
#include "xmpp/stanza.h"

#define NS_DISCO_INFO  "http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
/* Our caps node: identifies the software, not the version. */
#define CAPS_NODE     "http://natter.im"
#define IDENTITY_NAME "natter"

#define CHECK_TIMEOUT_MS   10000 /* disco_check_feature's own question */
#define REQUEST_TIMEOUT_MS 30000 /* /disco info|items */
#define MAX_PEERS          10000 /* full JIDs whose caps we remember */
#define MAX_INFOS          1000  /* cached disco#info answers */
#define MAX_CAPS_QUERIES   64    /* caps questions in flight */
#define CAPS_CACHE_MAX     500   /* verified vers kept (memory and store) */
#define CAPS_FEATURES_MAX  500   /* more features than this: not kept */

struct peer {
	char *jid;  /* key: jid_full_key() of the full JID */
	char *caps; /* "node#ver", or "" when it announced none we can verify */
	UT_hash_handle hh;
};

struct waiter {
	struct waiter *next;
	char *feature;
	disco_feature_fn fn;
	void *ud;
};

/* A disco#info question in flight: keyed by JID for disco_check_feature,
 * by "node#ver" for caps, so that concurrent askers share one. */
struct query {
	char *key;
	char *jid;        /* the addressee */
	char *hash, *ver; /* caps questions */
	struct waiter *waiters;
	struct core *core;
	UT_hash_handle hh;
};

struct disco_state {
	struct core *core;
	char **features; /* ours: sorted, unique */
	size_t nfeatures;
	char *ver;               /* our caps hash; NULL when features changed since */
	struct caps_entry *caps; /* verified "node#ver" -> features */
	bool caps_loaded;
	struct peer *peers;
	struct caps_entry *infos; /* jid_full_key -> features of its disco#info */
	struct query *checks, *capsq;
	char *own_key; /* our bare JID's key, this session's */
};

static struct disco_state *dst(struct core *core)
{
	return core_state(core, &disco_module);
}

/* ---- what we offer ---- */

/* Adds one of our features, keeping the list sorted and unique. */
static int add_feature(struct disco_state *d, const char *ns)
{
	char **bigger, *copy;
	size_t i;

	if (caps_sorted_has(d->features, d->nfeatures, ns))
		return 0;
	bigger = realloc(d->features, (d->nfeatures + 1) * sizeof(char *));
	if (!bigger)
		return -1;
	d->features = bigger;
	if (!(copy = strdup(ns)))
		return -1;
	for (i = d->nfeatures; i > 0 && strcmp(d->features[i - 1], ns) > 0; i--)
		d->features[i] = d->features[i - 1];
	d->features[i] = copy;
	d->nfeatures++;
	free(d->ver);
	d->ver = NULL;
	return 0;
}

/* Our caps hash, computed when first needed after a change. */
static const char *own_ver(struct disco_state *d)
{
	char category[] = "client", type[] = "console", lang[] = "", name[] = IDENTITY_NAME;
	struct caps_identity id = {category, type, lang, name};
	struct caps_info info = {&id, 1, d->features, d->nfeatures, NULL, 0};

	if (!d->ver)
		d->ver = caps_hash(&info);
	return d->ver;
}

xmpp_stanza_t *disco_caps_element(struct core *core)
{
	const char *ver = dst(core) ? own_ver(dst(core)) : NULL;
	xmpp_stanza_t *c;

	if (!ver || !(c = st_element(core_ctx(core), "c", CAPS_NS)))
		return NULL;
	if (xmpp_stanza_set_attribute(c, "hash", "sha-1") ||
	    xmpp_stanza_set_attribute(c, "node", CAPS_NODE) ||
	    xmpp_stanza_set_attribute(c, "ver", ver)) {
		xmpp_stanza_release(c);
		return NULL;
	}
	return c;
}

static int on_info_get(struct core *core, xmpp_stanza_t *iq)
{
	struct disco_state *d = dst(core);
	xmpp_stanza_t *q = xmpp_stanza_get_child_by_ns(iq, NS_DISCO_INFO), *res, *id, *f;
	const char *node = xmpp_stanza_get_attribute(q, "node"), *ver = own_ver(d);
	size_t len = strlen(CAPS_NODE);
	int bad = 0;

	/* The only node we describe is our caps node#ver. */
	if (node && (!ver || strncmp(node, CAPS_NODE, len) || node[len] != '#' ||
	             strcmp(node + len + 1, ver))) {
		core_iq_error(core, iq, "item-not-found");
		return CORE_PASS;
	}
	res = core_iq_result(core, iq, NS_DISCO_INFO, &q);
	if (!res) {
		core_iq_error(core, iq, "internal-server-error");
		return CORE_PASS;
	}
	if (node)
		bad |= xmpp_stanza_set_attribute(q, "node", node);
	id = st_add_element(q, "identity", NULL);
	bad |= !id || xmpp_stanza_set_attribute(id, "category", "client") ||
	       xmpp_stanza_set_attribute(id, "type", "console") ||
	       xmpp_stanza_set_attribute(id, "name", IDENTITY_NAME);
	for (size_t i = 0; i < d->nfeatures && !bad; i++) {
		f = st_add_element(q, "feature", NULL);
		bad |= !f || xmpp_stanza_set_attribute(f, "var", d->features[i]);
	}
	if (bad) {
		xmpp_stanza_release(res);
		core_iq_error(core, iq, "internal-server-error");
		return CORE_PASS;
	}
	core_send(core, res);
	return CORE_PASS;
}

static int on_items_get(struct core *core, xmpp_stanza_t *iq)
{
	xmpp_stanza_t *q = xmpp_stanza_get_child_by_ns(iq, NS_DISCO_ITEMS), *res;

	/* We publish no items, under no node. */
	if (xmpp_stanza_get_attribute(q, "node")) {
		core_iq_error(core, iq, "item-not-found");
		return CORE_PASS;
	}
	res = core_iq_result(core, iq, NS_DISCO_ITEMS, &q);
	if (!res)
		core_iq_error(core, iq, "internal-server-error");
	else
		core_send(core, res);
	return CORE_PASS;
}

/* ---- the caps cache ---- */

/* One store entry per ver: "caps/<node#ver>".  Earlier versions kept them
 * all in one entry, "caps", read once and converted. */
#define CAPS_CACHE_OLD_KEY "caps"
#define CAPS_CACHE_PREFIX  "caps/"

static void caps_store(struct core *core, const char *key, const struct caps_entry *e)
{
	char *k = NULL, *text = e ? caps_entry_format(e) : NULL;

	if (asprintf(&k, CAPS_CACHE_PREFIX "%s", key) < 0 || (e && !text))
		log_error("out of memory: capabilities %s not saved", key);
	else if (e)
		history_kv_set(core, k, text);
	else
		history_kv_del(core, k);
	free(k);
	free(text);
}

/* Adds an entry to a bounded table, forgetting the oldest when full; the
 * one forgotten is returned (malloc'd key, NULL when none) so that the
 * store can forget it too. */
static int table_put(struct caps_entry **table, size_t max, const char *key, char *const *f,
                     size_t n, char **evicted)
{
	if (evicted)
		*evicted = NULL;
	if (!caps_entry_find(*table, key) && HASH_COUNT(*table) >= max) {
		/* uthash iterates in insertion order */
		if (evicted)
			*evicted = strdup((*table)->key);
		caps_entry_del(table, *table);
	}
	return caps_entry_put(table, key, f, n);
}

static void load_one(const char *key, const char *value, void *ud)
{
	struct disco_state *d = ud;
	const char *ver = key + strlen(CAPS_CACHE_PREFIX);

	if (HASH_COUNT(d->caps) < CAPS_CACHE_MAX && caps_entry_parse(ver, value, &d->caps))
		log_warn("a caps cache entry could not be read (%s): ignored", strerror(errno));
}

static void caps_load(struct core *core)
{
	struct disco_state *d = dst(core);
	struct caps_entry *e, *tmp;
	char *text = NULL;

	if (d->caps_loaded)
		return;
	d->caps_loaded = true;
	if (history_kv_get(core, CAPS_CACHE_OLD_KEY, &text) == 1) {
		if (caps_cache_parse(text, &d->caps))
			log_warn("the old caps cache could not be read: %s (it is dropped)",
			         strerror(errno));
		free(text);
		/* Converted to one entry per ver, within the bound. */
		HASH_ITER(hh, d->caps, e, tmp)
		{
			if (HASH_COUNT(d->caps) > CAPS_CACHE_MAX)
				caps_entry_del(&d->caps, e);
			else
				caps_store(core, e->key, e);
		}
		history_kv_del(core, CAPS_CACHE_OLD_KEY);
		return;
	}
	history_kv_each(core, CAPS_CACHE_PREFIX, load_one, d);
}

/* ---- questions in flight ---- */

static void query_free(struct query *q)
{
	struct waiter *w;

	while ((w = q->waiters)) {
		q->waiters = w->next;
		free(w->feature);
		free(w);
	}
	free(q->key);
	free(q->jid);
	free(q->hash);
	free(q->ver);
	free(q);
}

static struct query *query_new(struct core *core, const char *key, const char *jid)
{
	struct query *q = calloc(1, sizeof(*q));

	if (!q || !(q->key = strdup(key)) || !(q->jid = strdup(jid))) {
		if (q)
			query_free(q);
		return NULL;
	}
	q->core = core;
	return q;
}

/* Sends <iq type=get to=jid><query xmlns=disco#info node=node/></iq>. */
static int send_info_get(struct core *core, const char *jid, const char *node, unsigned ms,
                         core_iq_fn fn, void *ud)
{
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "get", NULL), *q;

	if (!iq)
		return -1;
	q = st_add_element(iq, "query", NS_DISCO_INFO);
	if ((jid && xmpp_stanza_set_to(iq, jid)) || !q ||
	    (node && xmpp_stanza_set_attribute(q, "node", node))) {
		xmpp_stanza_release(iq);
		return -1;
	}
	return core_iq_send(core, iq, ms, fn, ud);
}

static bool is_result(xmpp_stanza_t *reply)
{
	const char *type = reply ? xmpp_stanza_get_type(reply) : NULL;

	return type && !strcmp(type, "result");
}

static void caps_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct query *q = ud;
	struct disco_state *d = dst(core);
	xmpp_stanza_t *query = reply ? xmpp_stanza_get_child_by_ns(reply, NS_DISCO_INFO) : NULL;
	struct caps_info info;

	HASH_DEL(d->capsq, q);
	if (!is_result(reply) || !query) {
		log_info("no capabilities from %s for %s", q->jid, q->key);
	} else if (caps_info_from_query(query, &info)) {
		log_warn("unusable capabilities from %s: %s", q->jid, strerror(errno));
	} else {
		char *evicted = NULL;

		if (!caps_verify(&info, q->hash, q->ver))
			log_warn("%s announced caps %s that its features do not hash to: ignored",
			         q->jid, q->key);
		else if (info.nfeatures > CAPS_FEATURES_MAX)
			log_warn("%s announced %zu features: more than natter keeps", q->jid,
			         info.nfeatures);
		else if (table_put(&d->caps, CAPS_CACHE_MAX, q->key, info.features, info.nfeatures,
		                   &evicted))
			log_warn("out of memory: capabilities %s not kept", q->key);
		else
			caps_store(q->core, q->key, caps_entry_find(d->caps, q->key));
		if (evicted)
			caps_store(q->core, evicted, NULL);
		free(evicted);
		caps_info_clear(&info);
	}
	query_free(q);
}

/* Asks from for the features behind node#ver, unless already asking. */
static void caps_ask(struct core *core, const char *from, const char *key, const char *hash,
                     const char *ver)
{
	struct disco_state *d = dst(core);
	struct query *q;

	HASH_FIND_STR(d->capsq, key, q);
	if (q || HASH_COUNT(d->capsq) >= MAX_CAPS_QUERIES)
		return;
	q = query_new(core, key, from);
	if (!q || !(q->hash = strdup(hash)) || !(q->ver = strdup(ver))) {
		if (q)
			query_free(q);
		return;
	}
	if (send_info_get(core, from, key, CHECK_TIMEOUT_MS, caps_answer, q)) {
		query_free(q);
		return;
	}
	HASH_ADD_KEYPTR(hh, d->capsq, q->key, strlen(q->key), q);
}

/* ---- peers' presence ---- */

static void peer_forget(struct disco_state *d, const char *key)
{
	struct peer *p;
	struct caps_entry *e = caps_entry_find(d->infos, key);

	if (e)
		caps_entry_del(&d->infos, e);
	HASH_FIND_STR(d->peers, key, p);
	if (!p)
		return;
	HASH_DEL(d->peers, p);
	free(p->jid);
	free(p->caps);
	free(p);
}

/* Remembers key -> caps; 0, or -1 when it could not. */
static int peer_set(struct disco_state *d, const char *key, const char *caps)
{
	struct peer *p;
	char *copy;

	HASH_FIND_STR(d->peers, key, p);
	if (p && !strcmp(p->caps, caps))
		return 0;
	/* A new ver may be another client on the same resource: what its
	 * disco#info said before no longer holds. */
	peer_forget(d, key);
	if (HASH_COUNT(d->peers) >= MAX_PEERS || !(copy = strdup(caps)))
		return -1;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->jid = strdup(key))) {
		free(p);
		free(copy);
		return -1;
	}
	p->caps = copy;
	HASH_ADD_KEYPTR(hh, d->peers, p->jid, strlen(p->jid), p);
	return 0;
}

/* Whom we may ask for capabilities: our own resources and roster
 * contacts.  key: jid_full_key() of the sender, "bare key/resource". */
static bool disco_may_ask(struct core *core, const char *key)
{
	struct disco_state *d = dst(core);
	size_t n = strcspn(key, "/");
	char *bare = strndup(key, n);
	bool ok = bare && ((d->own_key && !strcmp(d->own_key, bare)) || roster_has_key(core, bare));

	free(bare);
	return ok;
}

/* Sees available and unavailable presence, beside the presence module. */
static int on_presence(struct core *core, xmpp_stanza_t *st)
{
	struct disco_state *d = dst(core);
	const char *type = xmpp_stanza_get_type(st), *from = xmpp_stanza_get_from(st);
	const char *hash, *node, *ver;
	xmpp_stanza_t *c;
	char *key, *caps = NULL;
	bool full = false;

	if ((type && strcmp(type, "unavailable")) || !(key = jid_full_key(from, &full)))
		return CORE_PASS;
	/* Strangers' capabilities are neither asked nor remembered: asking
	 * would tell them we are online, and they could make us ask without
	 * end. */
	if (type || !full || !disco_may_ask(core, key)) {
		peer_forget(d, key);
		free(key);
		return CORE_PASS;
	}
	c = xmpp_stanza_get_child_by_ns(st, CAPS_NS);
	hash = c ? xmpp_stanza_get_attribute(c, "hash") : NULL;
	node = c ? xmpp_stanza_get_attribute(c, "node") : NULL;
	ver = c ? xmpp_stanza_get_attribute(c, "ver") : NULL;
	/* No caps, or legacy caps (no hash) that cannot be verified: the
	 * resource is there and nothing is known of it, which makes its bare
	 * JID unknown too (known_for_bare). */
	if (!hash || !node || !ver || asprintf(&caps, "%s#%s", node, ver) < 0) {
		if (peer_set(d, key, ""))
			peer_forget(d, key);
		free(key);
		return CORE_PASS;
	}
	if (!peer_set(d, key, caps) && !strcmp(hash, "sha-1")) {
		caps_load(core);
		if (!caps_entry_find(d->caps, caps) && strcmp(from, core_jid(core)))
			caps_ask(core, from, caps, hash, ver);
	}
	free(caps);
	free(key);
	return CORE_PASS;
}

/* ---- what others offer ---- */

static int has(const struct caps_entry *e, const char *feature)
{
	return caps_sorted_has(e->features, e->nfeatures, feature) ? 1 : 0;
}

/* The bare-JID rule (see the top of the file). */
static int known_for_bare(struct disco_state *d, const char *bare, const char *feature)
{
	size_t len = strlen(bare);
	struct peer *p, *tmp;
	int answer = -1;

	HASH_ITER(hh, d->peers, p, tmp)
	{
		struct caps_entry *e;
		int a;

		if (strncmp(p->jid, bare, len) || p->jid[len] != '/')
			continue;
		e = caps_entry_find(d->caps, p->caps);
		if (!e)
			return -1;
		a = has(e, feature);
		if (answer >= 0 && a != answer)
			return -1;
		answer = a;
	}
	return answer;
}

int disco_known_feature(struct core *core, const char *jid, const char *feature)
{
	struct disco_state *d = dst(core);
	struct caps_entry *e;
	struct peer *p;
	bool full = false;
	char *key = jid_full_key(jid, &full), *own;
	int answer = -1;

	if (!key || !feature)
		goto out;
	if ((e = caps_entry_find(d->infos, key))) {
		answer = has(e, feature);
		goto out;
	}
	if (full) {
		own = jid_full_key(core_jid(core), NULL);
		if (own && !strcmp(own, key)) {
			answer = caps_sorted_has(d->features, d->nfeatures, feature);
		} else {
			HASH_FIND_STR(d->peers, key, p);
			caps_load(core);
			if (p && (e = caps_entry_find(d->caps, p->caps)))
				answer = has(e, feature);
		}
		free(own);
	} else {
		caps_load(core);
		answer = known_for_bare(d, key, feature);
	}
out:
	free(key);
	return answer;
}

static void check_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct query *q = ud;
	struct disco_state *d = dst(core);
	xmpp_stanza_t *query = reply ? xmpp_stanza_get_child_by_ns(reply, NS_DISCO_INFO) : NULL;
	struct caps_entry *e = NULL;
	struct caps_info info;

	HASH_DEL(d->checks, q);
	if (is_result(reply) && query && !caps_info_from_query(query, &info)) {
		if (!table_put(&d->infos, MAX_INFOS, q->key, info.features, info.nfeatures, NULL))
			e = caps_entry_find(d->infos, q->key);
		caps_info_clear(&info);
	}
	/* Out of the table already: a waiter may ask again from its callback. */
	for (struct waiter *w = q->waiters; w; w = w->next)
		w->fn(core, q->jid, e ? has(e, w->feature) : -1, w->ud);
	query_free(q);
}

int disco_check_feature(struct core *core, const char *jid, const char *feature,
                        disco_feature_fn fn, void *ud)
{
	struct disco_state *d = dst(core);
	char *server = NULL, *key;
	struct waiter *w;
	struct query *q;
	int known;

	/* fn always runs exactly once, so a caller cleans up only there; -1
	 * means a programming error and fn has not run. */
	if (!fn || !feature || !d)
		return -1;
	if (!jid && !(jid = server = core_server(core))) {
		fn(core, NULL, -1, ud);
		return 0;
	}
	known = disco_known_feature(core, jid, feature);
	key = known < 0 ? jid_full_key(jid, NULL) : NULL;
	w = key ? calloc(1, sizeof(*w)) : NULL;
	if (known >= 0 || !w || !(w->feature = strdup(feature))) {
		free(w);
		fn(core, jid, known, ud);
		goto out;
	}
	w->fn = fn;
	w->ud = ud;
	HASH_FIND_STR(d->checks, key, q);
	if (!q) {
		q = query_new(core, key, jid);
		if (!q || send_info_get(core, jid, NULL, CHECK_TIMEOUT_MS, check_answer, q)) {
			if (q)
				query_free(q);
			free(w->feature);
			free(w);
			fn(core, jid, -1, ud);
			goto out;
		}
		HASH_ADD_KEYPTR(hh, d->checks, q->key, strlen(q->key), q);
	}
	w->next = q->waiters;
	q->waiters = w;
out:
	free(key);
	free(server);
	return 0;
}

/* ---- /disco info, /disco items ---- */

struct request {
	struct core *core;
	struct core_cause cause;
	char *to, *node;
};

static void request_free(struct request *r)
{
	free(r->to);
	free(r->node);
	free(r);
}

/* Reports a failed request; returns 1 when reply was a failure. */
static int report_failure(struct request *r, xmpp_stanza_t *reply)
{
	return core_iq_failed(r->core, r->cause, r->to, reply);
}

/* How many children of q are called name, at most CAPS_MAX_ITEMS. */
static size_t count_children(xmpp_stanza_t *q, const char *name)
{
	size_t n = 0;

	for (xmpp_stanza_t *c = q ? xmpp_stanza_get_children(q) : NULL; c && n < CAPS_MAX_ITEMS;
	     c = xmpp_stanza_get_next(c))
		if (xmpp_stanza_is_tag(c) && !strcmp(xmpp_stanza_get_name(c), name))
			n++;
	return n;
}

/* A sanitised attribute: NULL when absent (or on ENOMEM). */
static char *clean_attr(xmpp_stanza_t *st, const char *name)
{
	return core_clean(xmpp_stanza_get_attribute(st, name));
}

/* The same for an attribute that must be there: "" when absent, so that
 * NULL means only ENOMEM. */
static char *clean_attr_req(xmpp_stanza_t *st, const char *name)
{
	const char *v = xmpp_stanza_get_attribute(st, name);

	return core_clean(v ? v : "");
}

/* Frees an array of n strings. */
static void free_strings(char **s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i]);
	free(s);
}

/* The identities of q, sanitised, into *out (count in *n); 0 or -1. */
static int read_identities(xmpp_stanza_t *q, struct nt_disco_identity **out, size_t *n)
{
	size_t max = count_children(q, "identity");
	struct nt_disco_identity *ids = calloc(max ? max : 1, sizeof(*ids));

	*out = ids;
	*n = 0;
	if (!ids)
		return -1;
	/* A result without the query (or in another namespace) says nothing. */
	for (xmpp_stanza_t *c = q ? xmpp_stanza_get_children(q) : NULL; c && *n < max;
	     c = xmpp_stanza_get_next(c)) {
		struct nt_disco_identity *id = &ids[*n];

		if (!xmpp_stanza_is_tag(c) || strcmp(xmpp_stanza_get_name(c), "identity"))
			continue;
		id->category = clean_attr_req(c, "category");
		id->type = clean_attr_req(c, "type");
		id->name = clean_attr(c, "name");
		(*n)++;
		if (!id->category || !id->type)
			return -1;
	}
	return 0;
}

static void free_identities(struct nt_disco_identity *ids, size_t n)
{
	for (size_t i = 0; ids && i < n; i++) {
		free((char *)ids[i].category);
		free((char *)ids[i].type);
		free((char *)ids[i].name);
	}
	free(ids);
}

/* The feature vars of q, raw (*raw, pointers into q) and sanitised. */
static int read_features(xmpp_stanza_t *q, char ***clean, const char ***raw, size_t *n)
{
	size_t max = count_children(q, "feature");

	*n = 0;
	*clean = calloc(max ? max : 1, sizeof(char *));
	*raw = calloc(max ? max : 1, sizeof(char *));
	if (!*clean || !*raw)
		return -1;
	for (xmpp_stanza_t *c = q ? xmpp_stanza_get_children(q) : NULL; c && *n < max;
	     c = xmpp_stanza_get_next(c)) {
		const char *var = xmpp_stanza_get_attribute(c, "var");

		if (!xmpp_stanza_is_tag(c) || strcmp(xmpp_stanza_get_name(c), "feature") || !var)
			continue;
		(*raw)[*n] = var;
		if (!((*clean)[(*n)++] = core_clean(var)))
			return -1;
	}
	return 0;
}

static void info_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct request *r = ud;
	struct disco_state *d = dst(core);
	struct nt_event ev = {.kind = NT_EV_DISCO_INFO, .origin = r->cause.origin};
	xmpp_stanza_t *q;
	struct nt_disco_identity *ids = NULL;
	char **features = NULL, *from = NULL, *node = NULL, *key;
	const char **raw = NULL, *node_attr;
	size_t nids = 0, nfeatures = 0;

	if (report_failure(r, reply))
		goto out;
	q = xmpp_stanza_get_child_by_ns(reply, NS_DISCO_INFO);
	from = core_clean(xmpp_stanza_get_from(reply));
	node_attr = q ? xmpp_stanza_get_attribute(q, "node") : NULL;
	node = core_clean(node_attr);
	if (read_identities(q, &ids, &nids) || read_features(q, &features, &raw, &nfeatures) ||
	    (!from && xmpp_stanza_get_from(reply)) || (!node && node_attr)) {
		core_error(r->core, r->cause, "internal-server-error", "out of memory");
		goto out;
	}
	/* Worth keeping for disco_known_feature: the entity itself answered. */
	if (!r->node && (key = jid_full_key(r->to, NULL))) {
		if (table_put(&d->infos, MAX_INFOS, key, (char *const *)raw, nfeatures, NULL))
			log_warn("out of memory: disco#info of %s not kept", r->to);
		free(key);
	}
	ev.u.disco_info.from = from ? from : r->to;
	ev.u.disco_info.node = node ? node : r->node;
	ev.u.disco_info.identities = ids;
	ev.u.disco_info.nidentities = nids;
	ev.u.disco_info.features = (const char *const *)features;
	ev.u.disco_info.nfeatures = nfeatures;
	core_emit(r->core, &ev);
out:
	free_identities(ids, nids);
	free_strings(features, nfeatures);
	free(raw);
	free(from);
	free(node);
	request_free(r);
}

static void free_items(struct nt_disco_item *items, size_t n)
{
	for (size_t i = 0; items && i < n; i++) {
		free((char *)items[i].jid);
		free((char *)items[i].node);
		free((char *)items[i].name);
	}
	free(items);
}

static void items_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct request *r = ud;
	struct nt_event ev = {.kind = NT_EV_DISCO_ITEMS, .origin = r->cause.origin};
	xmpp_stanza_t *q;
	struct nt_disco_item *items = NULL;
	char *from = NULL, *node = NULL;
	size_t n = 0, max;
	bool oom = false;

	if (report_failure(r, reply))
		goto out;
	q = xmpp_stanza_get_child_by_ns(reply, NS_DISCO_ITEMS);
	max = count_children(q, "item");
	items = calloc(max ? max : 1, sizeof(*items));
	from = core_clean(xmpp_stanza_get_from(reply));
	node = q ? clean_attr(q, "node") : NULL;
	oom = !items;
	for (xmpp_stanza_t *c = q ? xmpp_stanza_get_children(q) : NULL; c && !oom && n < max;
	     c = xmpp_stanza_get_next(c)) {
		struct nt_disco_item *it = &items[n];

		if (!xmpp_stanza_is_tag(c) || strcmp(xmpp_stanza_get_name(c), "item") ||
		    !xmpp_stanza_get_attribute(c, "jid"))
			continue;
		it->jid = clean_attr(c, "jid");
		it->node = clean_attr(c, "node");
		it->name = clean_attr(c, "name");
		n++;
		oom = !it->jid;
	}
	if (oom) {
		core_error(r->core, r->cause, "internal-server-error", "out of memory");
		goto out;
	}
	ev.u.disco_items.from = from ? from : r->to;
	ev.u.disco_items.node = node ? node : r->node;
	ev.u.disco_items.items = items;
	ev.u.disco_items.count = n;
	core_emit(r->core, &ev);
out:
	free_items(items, n);
	free(from);
	free(node);
	request_free(r);
}

static int send_request(struct cmd_call *call, const char *ns, core_iq_fn fn)
{
	struct core *core = CALL_CORE(call);
	const char *node = call->argc > 1 ? call->argv[1] : NULL;
	struct request *r = calloc(1, sizeof(*r));
	xmpp_stanza_t *iq, *q;

	if (!r || (node && !(r->node = strdup(node)))) {
		free(r);
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		return -1;
	}
	r->core = core;
	r->cause = CAUSE(call);
	r->to = core_checked_jid(core, CAUSE(call), call->argv[0]);
	if (!r->to) {
		request_free(r);
		return -1;
	}
	iq = xmpp_iq_new(core_ctx(core), "get", NULL);
	q = iq ? st_add_element(iq, "query", ns) : NULL;
	if (!q || xmpp_stanza_set_to(iq, r->to) ||
	    (node && xmpp_stanza_set_attribute(q, "node", node))) {
		if (iq)
			xmpp_stanza_release(iq);
		request_free(r);
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		return -1;
	}
	if (core_iq_send(core, iq, REQUEST_TIMEOUT_MS, fn, r)) {
		core_error(core, CAUSE(call), "not-connected", "not sent: not connected");
		request_free(r);
		return -1;
	}
	return 0;
}

static int cmd_info(struct cmd_call *call)
{
	return send_request(call, NS_DISCO_INFO, info_answer);
}

static int cmd_items(struct cmd_call *call)
{
	return send_request(call, NS_DISCO_ITEMS, items_answer);
}

/* ---- life cycle ---- */

static int disco_init(struct core *core)
{
	struct disco_state *d = calloc(1, sizeof(*d));

	if (!d)
		return -1;
	d->core = core;
	core_set_state(core, &disco_module, d);
	/* What every module says it implements: exactly what we announce. */
	for (size_t i = 0; i < core_nmodules; i++)
		for (const char *const *f = core_modules[i]->features; f && *f; f++)
			if (add_feature(d, *f))
				return -1;
	return 0;
}

static void forget_peers(struct disco_state *d)
{
	struct peer *p, *ptmp;

	HASH_ITER(hh, d->peers, p, ptmp)
	{
		HASH_DEL(d->peers, p);
		free(p->jid);
		free(p->caps);
		free(p);
	}
}

static void disco_login(struct core *core, const struct core_login *l)
{
	struct disco_state *d = dst(core);

	(void)l;
	free(d->own_key);
	d->own_key = jid_bare_key(core_jid(core), NULL);
	/* Which resources are online, and what they run, starts over with a new
	 * session; verified caps (keyed by hash) and our own stay valid. */
	forget_peers(d);
	caps_entry_free_all(&d->infos);
}

static void disco_free(struct core *core)
{
	struct disco_state *d = dst(core);
	struct query *q, *qtmp;

	if (!d)
		return;
	/* The session is gone already: no answer can reach these any more. */
	HASH_ITER(hh, d->checks, q, qtmp)
	{
		HASH_DEL(d->checks, q);
		query_free(q);
	}
	HASH_ITER(hh, d->capsq, q, qtmp)
	{
		HASH_DEL(d->capsq, q);
		query_free(q);
	}
	forget_peers(d);
	caps_entry_free_all(&d->caps);
	caps_entry_free_all(&d->infos);
	free_strings(d->features, d->nfeatures);
	free(d->ver);
	free(d->own_key);
	free(d);
	core_set_state(core, &disco_module, NULL);
}

static const struct cmd_entry commands[] = {
    {.name = "disco info",
     .usage = "JID [NODE]",
     .help = "what an entity is and which features it offers (XEP-0030)",
     .min_args = 1,
     .max_args = 2,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_info},
    {.name = "disco items",
     .usage = "JID [NODE]",
     .help = "the items an entity lists",
     .min_args = 1,
     .max_args = 2,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_items},
};

static const struct core_handler handlers[] = {
    {CORE_HANDLE, "iq", "get", NS_DISCO_INFO, on_info_get},
    {CORE_HANDLE, "iq", "get", NS_DISCO_ITEMS, on_items_get},
    {CORE_HANDLE, "presence", CORE_TYPE_NONE, NULL, on_presence},
    {CORE_HANDLE, "presence", "unavailable", NULL, on_presence},
};

static const char *const features[] = {NS_DISCO_INFO, NS_DISCO_ITEMS, CAPS_NS, NULL};

const struct core_module disco_module = {
    .name = "disco",
    .title = "Service discovery",
    .init = disco_init,
    .free = disco_free,
    .login = disco_login,
    .commands = commands,
    .ncommands = COUNT(commands),
    .handlers = handlers,
    .nhandlers = COUNT(handlers),
    .features = features,
};

char *disco_client(struct core *core, const char *full)
{
	struct disco_state *d = dst(core);
	char *key = d ? jid_full_key(full, NULL) : NULL, *node = NULL;
	struct peer *p = NULL;

	if (key)
		HASH_FIND_STR(d->peers, key, p);
	free(key);
	if (p)
		node = strndup(p->caps, strcspn(p->caps, "#"));
	return node;
}
