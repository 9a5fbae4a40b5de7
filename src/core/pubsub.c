/* XEP-0060 PubSub as a subscriber, as seed 004 asks a client to behave:
 *
 * - /pubsub subscriptions lists what a service holds for us, and every
 *   /pubsub subscribe asks the same first: when this full JID already holds
 *   a subscription on the node, it is renewed (an options form with node,
 *   jid and subid) instead of adding one, since services cap subscriptions
 *   per node and JID;
 * - a new subscription is for the full JID, with the options form
 *   (pubsub#subscription_type, _depth, pubsub#expire) in the same request
 *   when the service announces pubsub#subscription-options, else right
 *   after the subscription exists (after the owner's approval, under the
 *   authorize model, whose immediate answer is "pending");
 * - the message that carries a subscription's final state updates it;
 * - notifications are reported with the address they were sent to, and one
 *   sent to another resource of the account is reported as such and not
 *   processed (the service routed it to us because that resource left).
 *
 * What natter remembers of subscriptions is bounded (MAX_SUBS, ours only);
 * what one answer or notification can make it report is bounded too. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utlist.h>

#include "core/core_internal.h"
#include "core/disco.h"
#include "core/pubsub.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/text.h"
#include "xmpp/stanza.h"

#define NS_PUBSUB           "http://jabber.org/protocol/pubsub"
#define NS_PUBSUB_EVENT     "http://jabber.org/protocol/pubsub#event"
#define FEATURE_SUB_OPTIONS "http://jabber.org/protocol/pubsub#subscription-options"
#define FORM_SUB_OPTIONS    "http://jabber.org/protocol/pubsub#subscribe_options"
#define NS_XDATA            "jabber:x:data"
#define NS_SHIM             "http://jabber.org/protocol/shim"
#define NS_DELAY            "urn:xmpp:delay"

#define REQUEST_TIMEOUT_MS 30000
#define MAX_SUBS           1000        /* subscriptions of ours remembered, all services */
#define MAX_LISTED         1000        /* entries of one subscriptions list reported */
#define MAX_ITEMS          100         /* items of one notification reported */
#define MAX_PAYLOAD        16384       /* bytes of one item's payload reported */
#define MAX_NAME           1024        /* bytes of a node name or subid worth remembering */
#define MAX_DEPTH          1000        /* pubsub#subscription_depth as a number */
#define DEFAULT_LEASE_S    (24 * 3600) /* /pubsub renew without expire= */

/* A subscription of ours that natter knows of. */
struct psub {
	char *service, *node;
	char *skey, *jkey;    /* jid_full_key() of service and jid: what lookups compare */
	char *jid;            /* the subscriber as the service named it: our full or bare JID */
	char *subid;          /* or NULL */
	char *state;          /* pending, subscribed, unconfigured */
	char *depth, *expire; /* the options natter asked for, or NULL */
	/* Options still to send once the subscription exists (asked for
	 * while it was pending, or refused inline by the service). */
	bool options_due;
	struct core_cause cause; /* the command that made it: its events go there */
	struct psub *prev, *next;
};

struct pubsub_state {
	struct psub *subs;
	size_t nsubs;
};

/* One command's requests, from the first to the last answer. */
struct job {
	struct core *core;
	struct core_cause cause;
	char *service, *node, *jid, *subid;
	char *depth, *expire; /* options to send (NULL: not asked for) */
	bool want_options;    /* the user gave depth= or expire= */
	bool inline_options;  /* they went with the subscribe request */
	bool reused;          /* renewing an existing subscription */
	bool renew;           /* /pubsub renew */
	char *state;          /* the subscription's state once known */
};

static struct pubsub_state *pst(struct core *core)
{
	return core_state(core, &pubsub_module);
}

/* ---- JIDs and small helpers ---- */

/* Whether a and b are the same address. */
static bool jid_same(const char *a, const char *b)
{
	char *ka = jid_full_key(a, NULL), *kb = ka ? jid_full_key(b, NULL) : NULL;
	bool same = ka && kb && !strcmp(ka, kb);

	free(ka);
	free(kb);
	return same;
}

/* Our full JID, or our bare JID: a subscription for either reaches us. */
static bool jid_ours(struct core *core, const char *jid)
{
	char *bare;
	bool ours;

	if (jid_same(jid, core_jid(core)))
		return true;
	bare = jid_bare_of(core_jid(core), NULL);
	ours = bare && jid_same(jid, bare);
	free(bare);
	return ours;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* strdup that keeps NULL; *oom set on failure. */
static char *dup_or_null(const char *s, bool *oom)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*oom = true;
	return d;
}

static const char *const states[] = {"none", "pending", "subscribed", "unconfigured"};

/* The subscription state s names, as a static string, or NULL. */
static const char *known_state(const char *s)
{
	for (size_t i = 0; s && i < COUNT(states); i++)
		if (!strcmp(s, states[i]))
			return states[i];
	return NULL;
}

/* ---- what natter remembers ---- */

static void psub_free(struct psub *p)
{
	free(p->skey);
	free(p->jkey);
	free(p->service);
	free(p->node);
	free(p->jid);
	free(p->subid);
	free(p->state);
	free(p->depth);
	free(p->expire);
	free(p);
}

static void psub_remove(struct pubsub_state *s, struct psub *p)
{
	DL_DELETE(s->subs, p);
	s->nsubs--;
	psub_free(p);
}

/* The record for (service, node, jid) whose subid is subid, or either
 * side does not know one; node NULL: any node. */
static struct psub *psub_find(struct pubsub_state *s, const char *service, const char *node,
                              const char *jid, const char *subid)
{
	char *skey = jid_full_key(service, NULL), *jkey = skey ? jid_full_key(jid, NULL) : NULL;
	struct psub *p, *found = NULL;

	if (jkey) {
		DL_FOREACH(s->subs, p)
		{
			if (!strcmp(p->skey, skey) && (!node || !strcmp(p->node, node)) &&
			    !strcmp(p->jkey, jkey) &&
			    (!subid || !p->subid || !strcmp(p->subid, subid))) {
				found = p;
				break;
			}
		}
	}
	free(skey);
	free(jkey);
	return found;
}

/* Records (or updates) one subscription of ours; NULL when it cannot be
 * kept (the table is full, names too long, out of memory). */
static struct psub *psub_put(struct core *core, const char *service, const char *node,
                             const char *jid, const char *subid, const char *state)
{
	struct pubsub_state *s = pst(core);
	struct psub *p;
	bool oom = false;
	char *copy;

	if (!node || strlen(node) > MAX_NAME || (subid && strlen(subid) > MAX_NAME))
		return NULL;
	p = psub_find(s, service, node, jid, subid);
	if (!p) {
		if (s->nsubs >= MAX_SUBS) {
			log_warn("pubsub: %d subscriptions remembered already; %s on %s is not",
			         MAX_SUBS, node, service);
			return NULL;
		}
		p = calloc(1, sizeof(*p));
		if (!p)
			return NULL;
		p->service = dup_or_null(service, &oom);
		p->node = dup_or_null(node, &oom);
		p->jid = dup_or_null(jid, &oom);
		p->skey = jid_full_key(service, NULL);
		p->jkey = jid_full_key(jid, NULL);
		if (oom || !p->skey || !p->jkey) {
			psub_free(p);
			return NULL;
		}
		DL_APPEND(s->subs, p);
		s->nsubs++;
	}
	if (subid && !str_eq(p->subid, subid) && (copy = strdup(subid))) {
		free(p->subid);
		p->subid = copy;
	}
	if (state && !str_eq(p->state, state) && (copy = strdup(state))) {
		free(p->state);
		p->state = copy;
	}
	if (!p->state) {
		psub_remove(s, p);
		return NULL;
	}
	return p;
}

/* Remembers the options asked for a subscription (for renewals). */
static void psub_options(struct psub *p, const char *depth, const char *expire)
{
	char *copy;

	if (depth && !str_eq(p->depth, depth) && (copy = strdup(depth))) {
		free(p->depth);
		p->depth = copy;
	}
	if (expire && !str_eq(p->expire, expire) && (copy = strdup(expire))) {
		free(p->expire);
		p->expire = copy;
	}
}

/* ---- events ---- */

static void emit_subscription(struct core *core, uint64_t origin, const char *service,
                              const char *node, const char *jid, const char *subid,
                              const char *state, const char *expire, bool reused)
{
	struct nt_event ev = {.kind = NT_EV_PUBSUB_SUBSCRIPTION, .origin = origin};
	char *cs = core_clean(service), *cn = core_clean(node), *cj = core_clean(jid);
	char *ci = core_clean(subid), *ce = core_clean(expire);

	ev.u.pubsub_subscription.service = cs ? cs : "";
	ev.u.pubsub_subscription.node = cn ? cn : "";
	ev.u.pubsub_subscription.jid = cj ? cj : "";
	ev.u.pubsub_subscription.subid = ci;
	ev.u.pubsub_subscription.subscription = state;
	ev.u.pubsub_subscription.expire = ce;
	ev.u.pubsub_subscription.reused = reused;
	core_emit(core, &ev);
	free(cs);
	free(cn);
	free(cj);
	free(ci);
	free(ce);
}

/* ---- jobs ---- */

static void job_free(struct job *j)
{
	free(j->service);
	free(j->node);
	free(j->jid);
	free(j->subid);
	free(j->depth);
	free(j->expire);
	free(j->state);
	free(j);
}

static struct job *job_new(struct core *core, struct core_cause cause, const char *service,
                           const char *node)
{
	struct job *j = calloc(1, sizeof(*j));
	bool oom = !j;

	if (j) {
		j->core = core;
		j->cause = cause;
		j->service = dup_or_null(service, &oom);
		j->node = dup_or_null(node, &oom);
		j->jid = dup_or_null(core_jid(core), &oom);
	}
	if (oom) {
		if (j)
			job_free(j);
		core_error(core, cause, "internal-server-error", "out of memory");
		return NULL;
	}
	return j;
}

static void job_set(char **field, const char *value)
{
	char *copy = value ? strdup(value) : NULL;

	if (value && !copy)
		return;
	free(*field);
	*field = copy;
}

/* <iq type=type to=service><pubsub xmlns=NS_PUBSUB/></iq>; *pubsub gets
 * the pubsub element (borrowed).  NULL on ENOMEM. */
static xmpp_stanza_t *pubsub_iq(struct core *core, const char *type, const char *service,
                                xmpp_stanza_t **pubsub)
{
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), type, NULL);

	*pubsub = NULL;
	if (!iq)
		return NULL;
	if (xmpp_stanza_set_to(iq, service) != XMPP_EOK ||
	    !(*pubsub = st_add_element(iq, "pubsub", NS_PUBSUB))) {
		xmpp_stanza_release(iq);
		return NULL;
	}
	return iq;
}

/* Sends iq for job j; on failure reports it, frees j and returns -1. */
static int job_send(struct job *j, xmpp_stanza_t *iq, core_iq_fn fn)
{
	if (!iq) {
		core_error(j->core, j->cause, "internal-server-error", "out of memory");
		job_free(j);
		return -1;
	}
	if (core_iq_send(j->core, iq, REQUEST_TIMEOUT_MS, fn, j)) {
		core_error(j->core, j->cause, "not-connected", "not sent: not connected");
		job_free(j);
		return -1;
	}
	return 0;
}

static int set_attr(xmpp_stanza_t *el, const char *name, const char *value)
{
	return value && xmpp_stanza_set_attribute(el, name, value) != XMPP_EOK ? -1 : 0;
}

/* <field var=var><value>value</value></field> in form x. */
static int add_field(xmpp_stanza_t *x, const char *var, const char *type, const char *value)
{
	xmpp_stanza_t *f = st_add_element(x, "field", NULL);

	if (!f || set_attr(f, "var", var) || set_attr(f, "type", type))
		return -1;
	return st_add_text(f, "value", value);
}

/* The subscribe_options form (XEP-0060 §6.3.5) into parent: the items of
 * the node (and of its descendants with depth=all), until expire. */
static int add_options_form(xmpp_stanza_t *parent, const char *depth, const char *expire)
{
	xmpp_stanza_t *x = st_add_element(parent, "x", NS_XDATA);

	if (!x || set_attr(x, "type", "submit") ||
	    add_field(x, "FORM_TYPE", "hidden", FORM_SUB_OPTIONS) ||
	    add_field(x, "pubsub#subscription_type", NULL, "items") ||
	    (depth && add_field(x, "pubsub#subscription_depth", NULL, depth)) ||
	    (expire && add_field(x, "pubsub#expire", NULL, expire)))
		return -1;
	return 0;
}

/* ---- options: renewing, configuring ---- */

static void options_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct job *j = ud;
	struct psub *p;
	bool failed = core_iq_failed(core, j->cause, j->service, reply);

	/* /pubsub renew that failed changed nothing: its error says all.  A
	 * subscription that was made or reused exists whatever became of its
	 * options, and the user is told both. */
	if (failed && j->renew) {
		job_free(j);
		return;
	}
	p = psub_put(core, j->service, j->node, j->jid, j->subid,
	             failed ? (j->state ? j->state : "subscribed") : "subscribed");
	if (p && !failed) {
		psub_options(p, j->depth, j->expire);
		p->options_due = false;
	} else if (p && failed) {
		/* Asking again would fail again. */
		p->options_due = false;
	}
	emit_subscription(core, j->cause.origin, j->service, j->node, j->jid, j->subid,
	                  failed ? (j->state ? j->state : "subscribed") : "subscribed",
	                  failed ? NULL : j->expire, j->reused);
	job_free(j);
}

/* <options node jid subid><x .../></options>: configures (or renews) the
 * subscription j names.  Takes j. */
static int send_options(struct job *j)
{
	xmpp_stanza_t *pubsub, *iq = pubsub_iq(j->core, "set", j->service, &pubsub), *o;

	o = iq ? st_add_element(pubsub, "options", NULL) : NULL;
	if (!o || set_attr(o, "node", j->node) || set_attr(o, "jid", j->jid) ||
	    set_attr(o, "subid", j->subid) || add_options_form(o, j->depth, j->expire)) {
		if (iq)
			xmpp_stanza_release(iq);
		iq = NULL;
	}
	return job_send(j, iq, options_answer);
}

/* The end of a lease of seconds from now, as pubsub#expire takes it
 * (malloc'd, NULL on ENOMEM). */
static char *lease_from_now(int seconds);

/* ---- subscribing ---- */

static void subscribe_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct job *j = ud;
	xmpp_stanza_t *ps, *sub, *so;
	const char *state, *subid, *jid;
	bool required;
	struct psub *p;

	if (core_iq_failed(core, j->cause, j->service, reply)) {
		job_free(j);
		return;
	}
	ps = xmpp_stanza_get_child_by_ns(reply, NS_PUBSUB);
	sub = ps ? xmpp_stanza_get_child_by_name(ps, "subscription") : NULL;
	/* An empty result is a success too (XEP-0060 §6.1.2). */
	state = sub ? known_state(xmpp_stanza_get_attribute(sub, "subscription")) : NULL;
	if (!state)
		state = "subscribed";
	subid = sub ? xmpp_stanza_get_attribute(sub, "subid") : NULL;
	jid = sub ? xmpp_stanza_get_attribute(sub, "jid") : NULL;
	so = sub ? xmpp_stanza_get_child_by_name(sub, "subscribe-options") : NULL;
	/* XEP-0060 §6.1.5: configuration required before notifications. */
	required =
	    !strcmp(state, "unconfigured") || (so && xmpp_stanza_get_child_by_name(so, "required"));
	if (subid && strlen(subid) <= MAX_NAME)
		job_set(&j->subid, subid);
	/* The service may name the subscriber as it stores it. */
	if (jid && jid_ours(core, jid))
		job_set(&j->jid, jid);
	job_set(&j->state, state);
	p = strcmp(state, "none") ? psub_put(core, j->service, j->node, j->jid, j->subid, state)
	                          : NULL;
	if (p) {
		p->cause = j->cause;
		psub_options(p, j->depth, j->expire);
		p->options_due = j->want_options && !j->inline_options;
	}
	if (!strcmp(state, "pending") || !strcmp(state, "none")) {
		/* The owner decides; a message will say (on_event). */
		emit_subscription(core, j->cause.origin, j->service, j->node, j->jid, j->subid,
		                  state, NULL, false);
		job_free(j);
		return;
	}
	if (required || (j->want_options && !j->inline_options)) {
		if (p)
			p->options_due = false;
		send_options(j);
		return;
	}
	emit_subscription(core, j->cause.origin, j->service, j->node, j->jid, j->subid, state,
	                  j->inline_options ? j->expire : NULL, false);
	job_free(j);
}

static void subscribe_send(struct job *j)
{
	xmpp_stanza_t *pubsub, *iq = pubsub_iq(j->core, "set", j->service, &pubsub), *s, *o;

	s = iq ? st_add_element(pubsub, "subscribe", NULL) : NULL;
	if (!s || set_attr(s, "node", j->node) || set_attr(s, "jid", j->jid) ||
	    (j->inline_options && (!(o = st_add_element(pubsub, "options", NULL)) ||
	                           add_options_form(o, j->depth, j->expire)))) {
		if (iq)
			xmpp_stanza_release(iq);
		iq = NULL;
	}
	job_send(j, iq, subscribe_answer);
}

static void subscribe_checked(struct core *core, const char *jid, int supported, void *ud)
{
	struct job *j = ud;

	(void)core;
	(void)jid;
	/* XEP-0060 §6.3.7: the options may ride with the request only where
	 * the service says it takes them; else they follow it. */
	j->inline_options = j->want_options && supported == 1;
	subscribe_send(j);
}

/* Whether the service takes options with the request; then subscribes. */
static void check_options(struct job *j)
{
	if (!j->want_options) {
		subscribe_send(j);
		return;
	}
	if (disco_check_feature(j->core, j->service, FEATURE_SUB_OPTIONS, subscribe_checked, j))
		subscribe_checked(j->core, j->service, -1, j);
}

/* ---- the subscriptions list ---- */

/* The subscriptions of a list answer, sanitised, into *out (count *n);
 * entries of ours update the table.  0, or -1 on ENOMEM. */
struct listing {
	struct nt_pubsub_sub *subs;
	size_t n;
	bool truncated;
};

static void listing_free(struct listing *l)
{
	for (size_t i = 0; l->subs && i < l->n; i++) {
		free((char *)l->subs[i].node);
		free((char *)l->subs[i].jid);
		free((char *)l->subs[i].subid);
		free((char *)l->subs[i].expire);
	}
	free(l->subs);
	l->subs = NULL;
	l->n = 0;
}

/* Brings the table in line with a list answer from service (for node, or
 * every node when NULL): what it lists of ours is there, the rest is not. */
static void listing_apply(struct core *core, const char *service, const char *node,
                          xmpp_stanza_t *list)
{
	struct pubsub_state *s = pst(core);
	struct psub *p, *tmp, **seen = calloc(MAX_LISTED, sizeof(*seen));
	char *skey = jid_full_key(service, NULL);
	size_t nseen = 0, looked = 0;

	if (!seen || !skey) {
		free(seen);
		free(skey);
		return;
	}
	/* As many entries as are reported: a list of a million costs no more. */
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(list); c && looked < MAX_LISTED;
	     c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c), *jid, *cnode, *state;

		if (!xmpp_stanza_is_tag(c) || !name || strcmp(name, "subscription"))
			continue;
		looked++;
		jid = xmpp_stanza_get_attribute(c, "jid");
		cnode = xmpp_stanza_get_attribute(c, "node");
		state = known_state(xmpp_stanza_get_attribute(c, "subscription"));
		if (!cnode)
			cnode = node;
		if (!jid || !jid_ours(core, jid) || !state || !strcmp(state, "none") || !cnode ||
		    (node && strcmp(cnode, node)))
			continue;
		p = psub_put(core, service, cnode, jid, xmpp_stanza_get_attribute(c, "subid"),
		             state);
		if (p)
			seen[nseen++] = p;
	}
	DL_FOREACH_SAFE(s->subs, p, tmp)
	{
		bool listed = false;

		if (strcmp(p->skey, skey) || (node && strcmp(p->node, node)))
			continue;
		for (size_t i = 0; i < nseen && !listed; i++)
			listed = seen[i] == p;
		/* Gone at the service; a pending request that has not reached
		 * any list yet is kept until its answer. */
		if (!listed && strcmp(p->state, "pending"))
			psub_remove(s, p);
	}
	free(seen);
	free(skey);
}

static int listing_read(xmpp_stanza_t *list, const char *node, struct listing *l)
{
	size_t max = 0;

	for (xmpp_stanza_t *c = list ? xmpp_stanza_get_children(list) : NULL; c;
	     c = xmpp_stanza_get_next(c))
		if (xmpp_stanza_is_tag(c) && !strcmp(xmpp_stanza_get_name(c), "subscription")) {
			if (max == MAX_LISTED) {
				l->truncated = true;
				break;
			}
			max++;
		}
	l->subs = calloc(max ? max : 1, sizeof(*l->subs));
	if (!l->subs)
		return -1;
	for (xmpp_stanza_t *c = list ? xmpp_stanza_get_children(list) : NULL; c && l->n < max;
	     c = xmpp_stanza_get_next(c)) {
		struct nt_pubsub_sub *e = &l->subs[l->n];
		const char *state, *cnode, *jid;

		if (!xmpp_stanza_is_tag(c) || strcmp(xmpp_stanza_get_name(c), "subscription"))
			continue;
		state = known_state(xmpp_stanza_get_attribute(c, "subscription"));
		jid = xmpp_stanza_get_attribute(c, "jid");
		cnode = xmpp_stanza_get_attribute(c, "node");
		/* Entries without a jid or a known state say nothing usable. */
		if (!state || !jid)
			continue;
		e->subscription = state;
		e->jid = core_clean(jid);
		e->node = core_clean(cnode ? cnode : node);
		e->subid = core_clean(xmpp_stanza_get_attribute(c, "subid"));
		e->expire = core_clean(xmpp_stanza_get_attribute(c, "expiry"));
		l->n++;
		if (!e->jid)
			return -1;
	}
	return 0;
}

/* Reports a list answer (to origin); returns the list element or NULL. */
static xmpp_stanza_t *listing_report(struct core *core, struct job *j, xmpp_stanza_t *reply)
{
	struct nt_event ev = {.kind = NT_EV_PUBSUB_SUBSCRIPTIONS, .origin = j->cause.origin};
	xmpp_stanza_t *ps = xmpp_stanza_get_child_by_ns(reply, NS_PUBSUB);
	xmpp_stanza_t *list = ps ? xmpp_stanza_get_child_by_name(ps, "subscriptions") : NULL;
	struct listing l = {0};
	char *cs = core_clean(j->service), *cn = core_clean(j->node);

	if (listing_read(list, j->node, &l)) {
		core_error(core, j->cause, "internal-server-error", "out of memory");
	} else {
		ev.u.pubsub_subscriptions.service = cs ? cs : "";
		ev.u.pubsub_subscriptions.node = cn;
		ev.u.pubsub_subscriptions.subs = l.subs;
		ev.u.pubsub_subscriptions.count = l.n;
		ev.u.pubsub_subscriptions.truncated = l.truncated;
		core_emit(core, &ev);
	}
	listing_free(&l);
	free(cs);
	free(cn);
	if (list)
		listing_apply(core, j->service, j->node, list);
	return list;
}

/* The first subscription of this very full JID to the node in a list. */
static xmpp_stanza_t *listing_own(struct core *core, xmpp_stanza_t *list, const char *node)
{
	for (xmpp_stanza_t *c = list ? xmpp_stanza_get_children(list) : NULL; c;
	     c = xmpp_stanza_get_next(c)) {
		const char *cnode, *state;

		if (!xmpp_stanza_is_tag(c) || strcmp(xmpp_stanza_get_name(c), "subscription"))
			continue;
		cnode = xmpp_stanza_get_attribute(c, "node");
		state = known_state(xmpp_stanza_get_attribute(c, "subscription"));
		if ((!cnode || !strcmp(cnode, node)) && state && strcmp(state, "none") &&
		    jid_same(xmpp_stanza_get_attribute(c, "jid"), core_jid(core)))
			return c;
	}
	return NULL;
}

/* /pubsub subscribe, step 1: what the service holds already. */
static void subscribe_listed(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct job *j = ud;
	const char *type = reply ? xmpp_stanza_get_type(reply) : NULL;
	xmpp_stanza_t *list, *own;
	const char *state, *subid;
	struct psub *p;

	if (!reply) {
		core_iq_failed(core, j->cause, j->service, NULL);
		job_free(j);
		return;
	}
	if (type && !strcmp(type, "error")) {
		/* A service that cannot list subscriptions may still take one:
		 * the subscribe request gets the service's real answer. */
		log_info("pubsub: %s lists no subscriptions (%s): subscribing", j->service,
		         st_error_condition(reply, NULL));
		check_options(j);
		return;
	}
	list = listing_report(core, j, reply);
	own = listing_own(core, list, j->node);
	if (!own) {
		check_options(j);
		return;
	}
	/* Reuse before create: renew what this full JID holds already. */
	state = known_state(xmpp_stanza_get_attribute(own, "subscription"));
	subid = xmpp_stanza_get_attribute(own, "subid");
	job_set(&j->jid, xmpp_stanza_get_attribute(own, "jid"));
	if (subid && strlen(subid) <= MAX_NAME)
		job_set(&j->subid, subid);
	job_set(&j->state, state);
	j->reused = true;
	p = psub_put(core, j->service, j->node, j->jid, j->subid, state);
	if (p)
		p->cause = j->cause;
	if (!strcmp(state, "pending")) {
		/* Still with the owner: the options wait for the approval. */
		if (p) {
			psub_options(p, j->depth, j->expire);
			p->options_due = j->want_options;
		}
		emit_subscription(core, j->cause.origin, j->service, j->node, j->jid, j->subid,
		                  state, NULL, true);
		job_free(j);
		return;
	}
	/* A lease that ends is renewed (as /pubsub renew does, for a day) even
	 * when no option was asked for: subscribing means staying subscribed.
	 * One without an end, where the service requires no options, is
	 * reused as it is. */
	if (!j->want_options && xmpp_stanza_get_attribute(own, "expiry")) {
		free(j->expire);
		j->expire = lease_from_now(DEFAULT_LEASE_S);
		j->want_options = j->expire != NULL;
	}
	if (!j->want_options && strcmp(state, "unconfigured")) {
		emit_subscription(core, j->cause.origin, j->service, j->node, j->jid, j->subid,
		                  state, NULL, true);
		job_free(j);
		return;
	}
	/* The renewal keeps the options the subscription had. */
	if (p && !j->depth && p->depth)
		job_set(&j->depth, p->depth);
	send_options(j);
}

static xmpp_stanza_t *list_iq(struct core *core, const char *service, const char *node)
{
	xmpp_stanza_t *pubsub, *iq = pubsub_iq(core, "get", service, &pubsub), *l;

	l = iq ? st_add_element(pubsub, "subscriptions", NULL) : NULL;
	if (!l || set_attr(l, "node", node)) {
		if (iq)
			xmpp_stanza_release(iq);
		return NULL;
	}
	return iq;
}

/* ---- commands ---- */

/* XEP-0082 date-time into a UTC "YYYY-MM-DDThh:mm:ssZ"; or "+N" followed
 * by s, m, h or d, from now.  Malloc'd, or NULL when s is neither. */
static char *parse_expire(const char *s, time_t now)
{
	struct tm tm = {0};
	int n = 0, oh = 0, om = 0;
	long long amount;
	char unit, buf[32], *out;
	time_t t;

	if (*s == '+') {
		static const struct {
			char unit;
			long long secs;
		} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
		long long secs = 0;

		if (sscanf(s + 1, "%lld%c%n", &amount, &unit, &n) != 2 || s[1 + n] || amount <= 0 ||
		    amount > 3650LL * 86400)
			return NULL;
		for (size_t i = 0; i < COUNT(units); i++)
			if (units[i].unit == unit)
				secs = amount * units[i].secs;
		if (!secs || secs > 3650LL * 86400)
			return NULL;
		t = now + (time_t)secs;
	} else {
		const char *p;

		if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
		    n != 19)
			return NULL;
		p = s + n;
		if (*p == '.') {
			if (!(p[1] >= '0' && p[1] <= '9'))
				return NULL;
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
		}
		if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':' &&
		    sscanf(p + 1, "%2d:%2d", &oh, &om) == 2 && oh < 24 && om < 60) {
			if (*p == '-') {
				oh = -oh;
				om = -om;
			}
		} else if (strcmp(p, "Z")) {
			return NULL;
		}
		if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
		    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
			return NULL;
		tm.tm_year -= 1900;
		tm.tm_mon--;
		t = timegm(&tm);
		if (t == (time_t)-1)
			return NULL;
		t -= oh * 3600 + om * 60;
	}
	if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return NULL;
	out = strdup(buf);
	return out;
}

static char *lease_from_now(int seconds)
{
	char plus[32];

	snprintf(plus, sizeof plus, "+%ds", seconds);
	return parse_expire(plus, time(NULL));
}

/* The node a command names, as XML can carry it; NULL after an error. */
static char *checked_node(struct core *core, struct core_cause cause, const char *node)
{
	char *safe = text_xml_safe(node);

	if (!safe) {
		core_error(core, cause, "internal-server-error", "out of memory");
	} else if (!*safe || strlen(safe) > MAX_NAME) {
		core_error(core, cause, "bad-request", "'%s' is not a node name natter can use",
		           node);
		free(safe);
		safe = NULL;
	}
	return safe;
}

/* The depth= and expire= words of a command, from argv[first] on, into j. */
static int job_options(struct job *j, struct cmd_call *call, int first)
{
	for (int i = first; i < call->argc; i++) {
		const char *a = call->argv[i];

		if (!strncmp(a, "depth=", 6) &&
		    (!strcmp(a + 6, "all") ||
		     (strspn(a + 6, "0123456789") == strlen(a + 6) && *(a + 6) &&
		      strlen(a + 6) < 5 && atoi(a + 6) >= 1 && atoi(a + 6) <= MAX_DEPTH))) {
			job_set(&j->depth, a + 6);
			if (!j->depth)
				goto oom;
		} else if (!strncmp(a, "expire=", 7)) {
			char *e = parse_expire(a + 7, time(NULL));

			if (!e) {
				core_error(j->core, j->cause, "bad-request",
				           "expire=%s: give a date-time (2030-01-31T12:00:00Z) or "
				           "+N with s, m, h or d (+12h)",
				           a + 7);
				return -1;
			}
			free(j->expire);
			j->expire = e;
		} else {
			core_error(j->core, j->cause, "bad-request",
			           "'%s': the options are depth=all (or 1..%d) and expire=TIME", a,
			           MAX_DEPTH);
			return -1;
		}
	}
	j->want_options = j->depth || j->expire;
	return 0;
oom:
	core_error(j->core, j->cause, "internal-server-error", "out of memory");
	return -1;
}

/* The job for "SERVICE NODE ..." (node optional when !need_node). */
static struct job *command_job(struct cmd_call *call, bool need_node)
{
	struct core *core = CALL_CORE(call);
	char *service = core_checked_jid(core, CAUSE(call), call->argv[0]), *node = NULL;
	struct job *j = NULL;

	if (service && (call->argc > 1 || need_node) &&
	    !(node = checked_node(core, CAUSE(call), call->argv[1]))) {
		free(service);
		return NULL;
	}
	if (service)
		j = job_new(core, CAUSE(call), service, node);
	free(service);
	free(node);
	return j;
}

static void subscriptions_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct job *j = ud;

	if (!core_iq_failed(core, j->cause, j->service, reply))
		listing_report(core, j, reply);
	job_free(j);
}

static int cmd_subscriptions(struct cmd_call *call)
{
	struct job *j = command_job(call, false);

	return j ? job_send(j, list_iq(j->core, j->service, j->node), subscriptions_answer) : -1;
}

static int cmd_subscribe(struct cmd_call *call)
{
	struct job *j = command_job(call, true);

	if (!j)
		return -1;
	if (job_options(j, call, 2)) {
		job_free(j);
		return -1;
	}
	/* Seed 004: list first, so that a subscription this full JID holds
	 * already is renewed rather than a new one added. */
	return job_send(j, list_iq(j->core, j->service, j->node), subscribe_listed);
}

static int cmd_renew(struct cmd_call *call)
{
	struct job *j = command_job(call, true);
	struct psub *p;

	if (!j)
		return -1;
	free(j->subid);
	j->subid = text_xml_safe(call->argv[2]);
	if (!j->subid || strlen(j->subid) > MAX_NAME || job_options(j, call, 3)) {
		if (!j->subid)
			core_error(j->core, j->cause, "internal-server-error", "out of memory");
		else if (strlen(j->subid) > MAX_NAME)
			core_error(j->core, j->cause, "bad-request", "that subid is too long");
		job_free(j);
		return -1;
	}
	/* The same options as the subscription had, with a new expiry. */
	p = psub_find(pst(j->core), j->service, j->node, j->jid, j->subid);
	if (p && !j->depth && p->depth)
		job_set(&j->depth, p->depth);
	if (!j->expire)
		j->expire = lease_from_now(DEFAULT_LEASE_S);
	if (p)
		job_set(&j->state, p->state);
	j->renew = j->reused = true;
	return send_options(j);
}

static void unsubscribe_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct job *j = ud;
	struct pubsub_state *s = pst(core);
	struct psub *p;

	if (core_iq_failed(core, j->cause, j->service, reply)) {
		job_free(j);
		return;
	}
	while ((p = psub_find(s, j->service, j->node, j->jid, j->subid)))
		psub_remove(s, p);
	emit_subscription(core, j->cause.origin, j->service, j->node, j->jid, j->subid, "none",
	                  NULL, false);
	job_free(j);
}

static int cmd_unsubscribe(struct cmd_call *call)
{
	struct job *j = command_job(call, true);
	xmpp_stanza_t *pubsub, *iq, *u;
	struct psub *p, *only = NULL;
	size_t n = 0;

	if (!j)
		return -1;
	if (call->argc > 2) {
		j->subid = text_xml_safe(call->argv[2]);
		if (!j->subid) {
			core_error(j->core, j->cause, "internal-server-error", "out of memory");
			job_free(j);
			return -1;
		}
	} else {
		/* XEP-0060 §6.2.1: a subscriber with one subscription need not
		 * name it, one with several must; name it whenever it is known. */
		char *skey = jid_full_key(j->service, NULL), *jkey = jid_full_key(j->jid, NULL);

		DL_FOREACH(pst(j->core)->subs, p)
		{
			if (skey && jkey && !strcmp(p->skey, skey) && !strcmp(p->node, j->node) &&
			    !strcmp(p->jkey, jkey) && p->subid) {
				only = p;
				n++;
			}
		}
		free(skey);
		free(jkey);
		if (n == 1)
			job_set(&j->subid, only->subid);
	}
	iq = pubsub_iq(j->core, "set", j->service, &pubsub);
	u = iq ? st_add_element(pubsub, "unsubscribe", NULL) : NULL;
	if (!u || set_attr(u, "node", j->node) || set_attr(u, "jid", j->jid) ||
	    set_attr(u, "subid", j->subid)) {
		if (iq)
			xmpp_stanza_release(iq);
		iq = NULL;
	}
	return job_send(j, iq, unsubscribe_answer);
}

/* ---- notifications ---- */

/* The text of the SHIM header called name, malloc'd, or NULL. */
static char *shim_header(xmpp_stanza_t *msg, const char *name)
{
	xmpp_stanza_t *h = xmpp_stanza_get_child_by_name_and_ns(msg, "headers", NS_SHIM);

	for (xmpp_stanza_t *c = h ? xmpp_stanza_get_children(h) : NULL; c;
	     c = xmpp_stanza_get_next(c)) {
		const char *n = xmpp_stanza_get_attribute(c, "name");

		if (xmpp_stanza_is_tag(c) && n && !strcmp(n, name)) {
			char *raw = xmpp_stanza_get_text(c), *clean = core_clean(raw);

			if (raw)
				xmpp_free(xmpp_stanza_get_context(msg), raw);
			return clean;
		}
	}
	return NULL;
}

/* An item's payload (its first element) as sanitised text, at most
 * MAX_PAYLOAD bytes (*cut set when it was longer); NULL when it has none. */
static char *item_payload(xmpp_stanza_t *item, bool *cut)
{
	xmpp_stanza_t *c = xmpp_stanza_get_children(item);
	char *buf = NULL, *clean;
	size_t len = 0;

	while (c && !xmpp_stanza_is_tag(c))
		c = xmpp_stanza_get_next(c);
	if (!c || xmpp_stanza_to_text(c, &buf, &len) != XMPP_EOK || !buf)
		return NULL;
	if (len > MAX_PAYLOAD) {
		len = MAX_PAYLOAD;
		/* Not inside a UTF-8 sequence. */
		while (len > 0 && ((unsigned char)buf[len] & 0xc0) == 0x80)
			len--;
		*cut = true;
	}
	clean = text_sanitize(buf, len, TEXT_KEEP_NEWLINES | TEXT_KEEP_TABS);
	xmpp_free(xmpp_stanza_get_context(item), buf);
	return clean;
}

static void free_items(struct nt_pubsub_item *items, size_t n)
{
	for (size_t i = 0; items && i < n; i++) {
		free((char *)items[i].id);
		free((char *)items[i].payload);
	}
	free(items);
}

/* The items and retractions of <items/>, bounded. */
static struct nt_pubsub_item *read_items(xmpp_stanza_t *items, size_t *n, bool *cut)
{
	struct nt_pubsub_item *v = calloc(MAX_ITEMS, sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(items); c; c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c);
		struct nt_pubsub_item *it = &v[*n];

		if (!xmpp_stanza_is_tag(c) || !name ||
		    (strcmp(name, "item") && strcmp(name, "retract")))
			continue;
		if (*n == MAX_ITEMS) {
			*cut = true;
			break;
		}
		it->id = core_clean(xmpp_stanza_get_attribute(c, "id"));
		it->retracted = !strcmp(name, "retract");
		if (!it->retracted)
			it->payload = item_payload(c, cut);
		(*n)++;
	}
	return v;
}

/* A subscription's state, from the service (XEP-0060 §8.6.2: the final
 * state of an authorize request, or a change the owner made). */
static void on_state(struct core *core, const char *service, xmpp_stanza_t *sub)
{
	struct pubsub_state *s = pst(core);
	const char *node = xmpp_stanza_get_attribute(sub, "node");
	const char *jid = xmpp_stanza_get_attribute(sub, "jid");
	const char *subid = xmpp_stanza_get_attribute(sub, "subid");
	const char *state = known_state(xmpp_stanza_get_attribute(sub, "subscription"));
	struct psub *p;
	struct job *j;

	if (!node || !jid || !state)
		return;
	p = jid_ours(core, jid) ? psub_find(s, service, node, jid, subid) : NULL;
	if (!p) {
		/* Nothing natter asked for (or remembers): said, not kept. */
		emit_subscription(core, 0, service, node, jid, subid, state,
		                  xmpp_stanza_get_attribute(sub, "expiry"), false);
		return;
	}
	if (subid && strlen(subid) <= MAX_NAME && !p->subid)
		p->subid = strdup(subid);
	if (!strcmp(state, "subscribed") && p->options_due) {
		/* Approved: now the options asked for can be set. */
		p->options_due = false;
		j = job_new(core, p->cause, service, node);
		if (j) {
			job_set(&j->jid, p->jid);
			job_set(&j->subid, p->subid);
			job_set(&j->depth, p->depth);
			job_set(&j->expire, p->expire);
			job_set(&j->state, state);
			j->want_options = true;
			send_options(j);
			return;
		}
	}
	emit_subscription(core, p->cause.origin, service, node, p->jid, p->subid, state, NULL,
	                  false);
	if (!strcmp(state, "none"))
		psub_remove(s, p);
	else
		psub_put(core, service, node, p->jid, p->subid, state);
}

/* Whether a message sent to `to` is ours to process: no address (our
 * server's own), our bare JID, or this very resource. */
static bool addressed_to_us(struct core *core, const char *to)
{
	char *bare;
	bool ours;

	if (!to || jid_same(to, core_jid(core)))
		return true;
	bare = jid_bare_of(core_jid(core), NULL);
	ours = bare && jid_same(to, bare);
	free(bare);
	return ours;
}

static void emit_event(struct core *core, xmpp_stanza_t *msg, const char *service, const char *to,
                       xmpp_stanza_t *el, bool ours)
{
	struct nt_event ev = {.kind = NT_EV_PUBSUB_EVENT};
	const char *name = xmpp_stanza_get_name(el);
	xmpp_stanza_t *delay = xmpp_stanza_get_child_by_name_and_ns(msg, "delay", NS_DELAY);
	struct nt_pubsub_item *items = NULL;
	char *cs = core_clean(service), *cnode = core_clean(xmpp_stanza_get_attribute(el, "node"));
	char *cto = core_clean(to), *coll = NULL, *subid = NULL, *stamp = NULL;
	size_t n = 0;
	bool cut = false;

	if (ours) {
		if (!strcmp(name, "items") && !(items = read_items(el, &n, &cut)))
			goto out;
		coll = shim_header(msg, "Collection");
		subid = shim_header(msg, "SubID");
		stamp = delay ? core_clean(xmpp_stanza_get_attribute(delay, "stamp")) : NULL;
	}
	ev.u.pubsub_event.service = cs ? cs : "";
	ev.u.pubsub_event.node = cnode;
	ev.u.pubsub_event.to = cto;
	ev.u.pubsub_event.other_resource = !ours;
	ev.u.pubsub_event.items = items;
	ev.u.pubsub_event.count = n;
	ev.u.pubsub_event.collection = coll;
	ev.u.pubsub_event.subid = subid;
	ev.u.pubsub_event.stamp = stamp;
	ev.u.pubsub_event.purged = ours && !strcmp(name, "purge");
	ev.u.pubsub_event.deleted = ours && !strcmp(name, "delete");
	ev.u.pubsub_event.truncated = cut;
	core_emit(core, &ev);
out:
	free_items(items, n);
	free(cs);
	free(cnode);
	free(cto);
	free(coll);
	free(subid);
	free(stamp);
}

/* Whether natter holds a subscription of ours to node at service. */
static bool psub_known(struct pubsub_state *s, const char *service, const char *node)
{
	char *skey = node ? jid_full_key(service, NULL) : NULL;
	struct psub *p;
	bool known = false;

	if (skey) {
		DL_FOREACH(s->subs, p)
		{
			if (!strcmp(p->skey, skey) && !strcmp(p->node, node)) {
				known = true;
				break;
			}
		}
	}
	free(skey);
	return known;
}

/* A PEP notification (from an account, XEP-0163) comes because a module
 * announced +notify for its node (bookmarks.c) or because /pubsub
 * subscribed to it; only the second kind is PubSub's to report: the
 * first would put, say, the bookmarks with their passwords in the PubSub
 * window on every change. */
static bool pep_not_ours(struct core *core, const char *service, xmpp_stanza_t *event)
{
	xmpp_stanza_t *c;

	if (!strchr(service, '@'))
		return false;
	for (c = xmpp_stanza_get_children(event); c && !xmpp_stanza_is_tag(c);
	     c = xmpp_stanza_get_next(c))
		;
	return !c || !psub_known(pst(core), service, xmpp_stanza_get_attribute(c, "node"));
}

static int on_event(struct core *core, xmpp_stanza_t *msg)
{
	const char *type = xmpp_stanza_get_type(msg), *from = xmpp_stanza_get_from(msg);
	const char *to = xmpp_stanza_get_to(msg);
	xmpp_stanza_t *event = xmpp_stanza_get_child_by_ns(msg, NS_PUBSUB_EVENT);
	char *service = NULL, *own = NULL;
	bool ours;
	int verdict;

	if ((type && !strcmp(type, "error")) || !event)
		return CORE_PASS;
	/* Without a from, it is our own server's (RFC 6120 §8.1.2.1). */
	service = from ? strdup(from) : core_server(core);
	if (!service || pep_not_ours(core, service, event)) {
		free(service);
		return CORE_PASS;
	}
	ours = addressed_to_us(core, to);
	if (!to)
		to = own = strdup(core_jid(core));
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(event); c; c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c);

		if (!xmpp_stanza_is_tag(c) || !name)
			continue;
		if (!ours) {
			/* Seed 004: sent to a resource that has gone, the service's
			 * notification came here instead; it is not ours. */
			emit_event(core, msg, service, to, c, false);
			break;
		}
		if (!strcmp(name, "subscription")) {
			on_state(core, service, c);
		} else if (!strcmp(name, "items") || !strcmp(name, "purge") ||
		           !strcmp(name, "delete")) {
			emit_event(core, msg, service, to, c, true);
			if (!strcmp(name, "delete")) {
				struct pubsub_state *s = pst(core);
				const char *node = xmpp_stanza_get_attribute(c, "node");
				struct psub *p;

				while (node &&
				       (p = psub_find(s, service, node, core_jid(core), NULL)))
					psub_remove(s, p);
			}
		}
	}
	/* A service's notification is no chat message, whatever fallback body
	 * it carries, and one for another resource is not ours at all; a
	 * contact's (PEP) goes on to the modules that follow those nodes. */
	verdict = !ours || !strchr(service, '@') ? CORE_STOP : CORE_PASS;
	free(service);
	free(own);
	return verdict;
}

/* ---- life cycle ---- */

static int pubsub_init(struct core *core)
{
	struct pubsub_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	core_set_state(core, &pubsub_module, s);
	return 0;
}

static void pubsub_free(struct core *core)
{
	struct pubsub_state *s = pst(core);
	struct psub *p, *tmp;

	if (!s)
		return;
	DL_FOREACH_SAFE(s->subs, p, tmp)
	psub_remove(s, p);
	free(s);
	core_set_state(core, &pubsub_module, NULL);
}

static const struct cmd_entry commands[] = {
    {.name = "pubsub subscriptions",
     .usage = "SERVICE [NODE]",
     .help = "the subscriptions a pubsub service holds for you (XEP-0060)",
     .min_args = 1,
     .max_args = 2,
     .complete = {"@service", "@node"},
     .flags = CMD_ONLINE,
     .exec = cmd_subscriptions},
    {.name = "pubsub subscribe",
     .usage = "SERVICE NODE [depth=all] [expire=TIME]",
     .help = "subscribe this resource to NODE, or renew the subscription it has",
     .min_args = 2,
     .max_args = 4,
     .complete = {"@service", "@node", "depth=all|expire=", "depth=all|expire="},
     .flags = CMD_ONLINE,
     .exec = cmd_subscribe},
    {.name = "pubsub renew",
     .usage = "SERVICE NODE SUBID [depth=all] [expire=TIME]",
     .help = "renew a subscription: the same options, a new expiry (default +24h)",
     .min_args = 3,
     .max_args = 5,
     .complete = {"@service", "@node", "@subid", "depth=all|expire=", "depth=all|expire="},
     .flags = CMD_ONLINE,
     .exec = cmd_renew},
    {.name = "pubsub unsubscribe",
     .usage = "SERVICE NODE [SUBID]",
     .help = "end this resource's subscription to NODE",
     .min_args = 2,
     .max_args = 3,
     .complete = {"@service", "@node", "@subid"},
     .flags = CMD_ONLINE,
     .exec = cmd_unsubscribe},
};

/* Unwrapping: a service's notification is consumed here (see on_event). */
static const struct core_handler handlers[] = {
    {CORE_UNWRAP, "message", NULL, NS_PUBSUB_EVENT, on_event},
};

const struct core_module pubsub_module = {
    .name = "pubsub",
    .title = "Publish-subscribe",
    .init = pubsub_init,
    .free = pubsub_free,
    .commands = commands,
    .ncommands = COUNT(commands),
    .handlers = handlers,
    .nhandlers = COUNT(handlers),
};
