/* Our own presence (show, status, priority, XEP-0186 invisibility) and the
 * presence of contacts, per resource (RFC 6121 §4), with RFC 6121 §5.1
 * resource locking.
 *
 * Anyone may send us a directed presence, so what is kept is bounded: the
 * roster's contacts and our own account without limit (the roster is ours),
 * at most STRANGERS_MAX others at a time, and at most RESOURCES_MAX
 * resources each.  Presence beyond that is ignored, not shown. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "core/core_internal.h"
#include "core/disco.h"
#include "core/presence.h"
#include "core/roster.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/stamp.h"
#include "util/text.h"
#include "xmpp/stanza.h"

#define NS_INVISIBLE       "urn:xmpp:invisible:0"
#define REQUEST_TIMEOUT_MS 30000
#define STRANGERS_MAX      100
#define RESOURCES_MAX      32
/* The initial presence waits for the roster at most this long. */
#define ROSTER_WAIT_MS 10000

#define NS_IDLE "urn:xmpp:idle:1"

static const char *const shows[] = {"online", "chat", "away", "xa", "dnd", NULL};

struct pres_resource {
	char *resource; /* "" for presence from the bare JID */
	char *full;     /* normalised full (or bare) JID */
	char *show;     /* sanitised; NULL for plain "available" */
	char *status;   /* sanitised */
	int priority;
	unsigned long seq; /* when it last changed: ties go to the latest */
	UT_hash_handle hh;
};

struct pres_contact {
	char *key;                       /* jid_bare_key() */
	bool stranger;                   /* counted in nstrangers */
	char *locked;                    /* the full JID chats go to (RFC 6121 §5.1), or NULL */
	struct pres_resource *resources; /* available ones only */
	UT_hash_handle hh;
};

struct presence_state {
	struct core *core;
	/* Our own, sent at every fresh login. */
	char *show; /* NULL: online; "chat", "away", "xa", "dnd" */
	char *status;
	int priority;
	bool invisible;         /* XEP-0186 invisibility is active on the server */
	bool invisible_pending; /* /status invisible waits for the server's disco#info */
	/* Our presence went out this session: a service connection (fcm) has
	 * none, and so no goodbye either. */
	bool announced;
	bool initial_pending; /* the login's presence waits for the roster */
	/* Away while the user is idle (autoaway.c): sent instead of show and
	 * status, which stay what the user chose and come back with them. */
	const char *auto_show; /* NULL: not away by idleness; "away" or "xa" */
	char *auto_status;     /* NULL: the user's own status text */
	int64_t idle_since;    /* wall-clock ms of the last activity */
	uint64_t initial_timer;
	/* Contacts'. */
	struct pres_contact *contacts;
	size_t nstrangers;
	char *own_key;         /* our bare JID's key, this session's */
	unsigned long ignored; /* presences over the bounds, for the log */
	unsigned long seq;
};

static struct presence_state *pres(struct core *core)
{
	return core_state(core, &presence_module);
}

/* ---- own presence ---- */

static void send_presence(struct core *core, bool available)
{
	struct presence_state *ps = pres(core);
	xmpp_stanza_t *p = xmpp_presence_new(core_ctx(core)), *caps;
	char prio[8];
	int bad = !p;

	if (bad)
		goto fail;
	if (!available) {
		xmpp_stanza_set_type(p, "unavailable");
	} else {
		const char *show = ps->auto_show ? ps->auto_show : ps->show;

		if (show)
			bad |= st_add_text(p, "show", show);
		snprintf(prio, sizeof prio, "%d", ps->priority);
		bad |= st_add_text(p, "priority", prio);
		caps = disco_caps_element(core);
		if (caps) {
			xmpp_stanza_add_child(p, caps);
			xmpp_stanza_release(caps);
		} else {
			/* Presence without caps still tells contacts we are here;
			 * withholding it would be worse than the missing hash. */
			log_warn("no entity capabilities element: presence sent without it");
		}
	}
	if (available && ps->auto_show && ps->auto_status)
		bad |= st_add_text(p, "status", ps->auto_status);
	else if (ps->status)
		bad |= st_add_text(p, "status", ps->status);
	/* XEP-0319: contacts see since when, not only that we are away. */
	if (available && ps->auto_show && !bad) {
		xmpp_stanza_t *idle = st_add_element(p, "idle", NS_IDLE);
		char since[STAMP_LEN];

		stamp_format(ps->idle_since, since);
		bad |= !idle || xmpp_stanza_set_attribute(idle, "since", since) != XMPP_EOK;
	}
	if (bad)
		goto fail;
	core_send(core, p);
	return;
fail:
	if (p)
		xmpp_stanza_release(p);
	core_error(core, CAUSED_BY("status"), "internal-server-error",
	           "out of memory: presence not sent");
}

static void presence_auto_clear(struct presence_state *p)
{
	p->auto_show = NULL;
	free(p->auto_status);
	p->auto_status = NULL;
}

bool presence_auto_allowed(struct core *core)
{
	struct presence_state *p = pres(core);

	/* Only "here": never over a show the user chose, nor when hidden. */
	return p && !p->invisible && !p->invisible_pending &&
	       (!p->show || !strcmp(p->show, "chat") || p->auto_show);
}

bool presence_auto_active(struct core *core)
{
	return pres(core) && pres(core)->auto_show;
}

int presence_auto(struct core *core, const char *show, const char *status, int64_t since)
{
	struct presence_state *p = pres(core);
	char *copy = NULL;

	if (!p)
		return -1;
	if (show && status && *status && !(copy = text_xml_safe(status)))
		return -1;
	presence_auto_clear(p);
	/* a string of our own: the caller's may not outlive the call */
	p->auto_show = !show ? NULL : !strcmp(show, "xa") ? "xa" : "away";
	p->auto_status = copy;
	p->idle_since = since;
	/* Offline, it goes with the next login's presence; before the roster
	 * is in, with the initial one. */
	if (core_online(core) && !p->initial_pending)
		send_presence(core, true);
	return 0;
}

static void warn_priority(struct core *core, struct core_cause cause)
{
	int priority = pres(core)->priority;

	/* Seed 004: servers route nothing to a resource of negative priority. */
	if (priority < 0)
		core_info(core, cause,
		          "priority %d is negative: the server will not deliver messages sent to "
		          "your bare JID to this client",
		          priority);
}

static int send_invisibility(struct core *core, const char *what);

static void contacts_forget(struct presence_state *p);

static void send_initial(struct core *core)
{
	struct presence_state *p = pres(core);

	p->initial_pending = false;
	loop_timer_cancel(core_loop(core), p->initial_timer);
	p->initial_timer = 0;
	if (!core_online(core) || core_quitting(core))
		return;
	/* XEP-0186 invisibility lasts one session; the server handles the iq
	 * before the presence that follows it on the same stream. */
	if (p->invisible && send_invisibility(core, "invisible"))
		p->invisible = false;
	send_presence(core, true);
	p->announced = true;
	warn_priority(core, NO_CAUSE);
}

static void roster_wait_over(struct loop *loop, void *ud)
{
	struct core *core = ud;

	(void)loop;
	pres(core)->initial_timer = 0;
	if (pres(core)->initial_pending)
		send_initial(core);
}

void presence_roster_done(struct core *core)
{
	struct presence_state *p = pres(core);

	if (p && p->initial_pending)
		send_initial(core);
}

/* A fresh session: contacts' presence comes anew (what we knew is stale),
 * and ours goes out once the roster is in (roster.c says when). */
static void presence_login(struct core *core, const struct core_login *l)
{
	struct presence_state *p = pres(core);

	(void)l;
	contacts_forget(p);
	free(p->own_key);
	p->own_key = jid_bare_key(core_jid(core), NULL);
	p->invisible_pending = false;
	p->announced = false;
	loop_timer_cancel(core_loop(core), p->initial_timer);
	p->initial_timer = 0;
	if (!roster_fetching(core)) {
		send_initial(core);
		return;
	}
	p->initial_pending = true;
	p->initial_timer = loop_timer_add(core_loop(core), ROSTER_WAIT_MS, roster_wait_over, core);
}

void presence_goodbye(struct core *core)
{
	struct presence_state *p = pres(core);

	if (!p || !p->announced)
		return;
	p->announced = false;
	send_presence(core, false);
}

static void invisibility_answer(struct core *core, xmpp_stanza_t *reply, bool invisible)
{
	const struct core_cause cause = CAUSED_BY("status");
	const char *what = invisible ? "invisible" : "visible";
	char *text = NULL, *clean;
	const char *cond;

	if (!reply) {
		core_error(core, cause, "remote-server-timeout",
		           "the server did not answer the request to become %s", what);
		return;
	}
	if (!strcmp(xmpp_stanza_get_type(reply), "error")) {
		cond = st_error_condition(reply, &text);
		clean = core_clean(text);
		core_error(core, cause, cond, "the server refused to make you %s%s%s", what,
		           clean ? ": " : "", clean ? clean : "");
		free(clean);
		free(text);
		if (invisible)
			pres(core)->invisible = false;
		return;
	}
	if (invisible)
		core_info(core, cause, "you are invisible (XEP-0186)");
}

static void invisible_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	(void)ud;
	invisibility_answer(core, reply, true);
}

static void visible_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	(void)ud;
	invisibility_answer(core, reply, false);
}

/* Sends <invisible/> or <visible/> (XEP-0186); 0 or -1. */
static int send_invisibility(struct core *core, const char *what)
{
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "set", NULL);

	if (!iq || !st_add_element(iq, what, NS_INVISIBLE)) {
		if (iq)
			xmpp_stanza_release(iq);
		core_error(core, CAUSED_BY("status"), "internal-server-error", "out of memory");
		return -1;
	}
	if (core_iq_send(core, iq, REQUEST_TIMEOUT_MS,
	                 !strcmp(what, "invisible") ? invisible_answer : visible_answer, NULL)) {
		core_error(core, CAUSED_BY("status"), "internal-server-error",
		           "could not send the request to become %s", what);
		return -1;
	}
	return 0;
}

static void invisible_checked(struct core *core, const char *jid, int supported, void *ud)
{
	struct presence_state *p = pres(core);
	const struct core_cause cause = CAUSED_BY("status");

	(void)ud;

	/* Another /status came first: it wins. */
	if (!p->invisible_pending)
		return;
	p->invisible_pending = false;
	if (supported < 0) {
		core_error(core, cause, "service-unavailable",
		           "could not find out whether %s offers invisibility (XEP-0186)", jid);
		return;
	}
	if (!supported) {
		core_error(core, cause, "feature-not-implemented",
		           "invisibility (XEP-0186) is unavailable on this server (%s)", jid);
		return;
	}
	if (!core_online(core))
		return;
	p->invisible = true;
	if (send_invisibility(core, "invisible"))
		p->invisible = false;
}

static int go_invisible(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	char *server;
	int rc;

	if (!core_online(core)) {
		core_error(core, CAUSE(call), "not-connected",
		           "invisibility needs the server: connect first");
		return -1;
	}
	server = core_server(core);
	if (!server) {
		core_error(core, CAUSE(call), "jid-malformed", "the account's JID is invalid");
		return -1;
	}
	pres(core)->invisible_pending = true;
	/* XEP-0186 §2: only when the server's disco#info lists the feature. */
	rc = disco_check_feature(core, server, NS_INVISIBLE, invisible_checked, NULL);
	free(server);
	if (rc) {
		pres(core)->invisible_pending = false;
		core_error(core, CAUSE(call), "internal-server-error",
		           "could not ask the server whether it offers invisibility");
		return -1;
	}
	return 0;
}

static int cmd_status(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct presence_state *p = pres(core);
	const char *show = call->argc ? call->argv[0] : NULL;
	char *status = NULL, *newshow = NULL;
	int i;

	if (!show) {
		core_info(core, CAUSE(call), "you are %s%s%s%s",
		          p->invisible ? "invisible"
		          : p->show    ? p->show
		                       : "online",
		          p->status ? ": " : "", p->status ? p->status : "",
		          core_online(core) ? "" : " (once connected)");
		return 0;
	}
	for (i = 0; shows[i] && strcmp(shows[i], show); i++)
		;
	if (!shows[i] && strcmp(show, "invisible")) {
		core_error(core, CAUSE(call), "bad-request",
		           "unknown status '%s' (online, chat, away, xa, dnd, invisible)", show);
		return -1;
	}
	if ((call->argc > 1 && !(status = text_xml_safe(call->argv[1]))) ||
	    (shows[i] && i > 0 && !(newshow = strdup(show)))) {
		free(status);
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		return -1;
	}
	if (!shows[i]) {
		/* The message goes with the presence sent once visible again. */
		if (status) {
			free(p->status);
			p->status = status;
		}
		presence_auto_clear(p);
		return go_invisible(call);
	}
	p->invisible_pending = false;
	free(p->show);
	free(p->status);
	p->show = newshow;
	p->status = status;
	/* What the user sets wins over what idleness set. */
	presence_auto_clear(p);
	if (!core_online(core)) {
		/* The next session starts visible. */
		p->invisible = false;
		return 0;
	}
	if (p->invisible) {
		p->invisible = false;
		send_invisibility(core, "visible");
	}
	/* This is the session's first presence if the roster is not in yet. */
	p->initial_pending = false;
	send_presence(core, true);
	return 0;
}

static int cmd_priority(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	char *end;
	long v = strtol(call->argv[0], &end, 10);

	if (*end || end == call->argv[0] || v < -128 || v > 127) {
		core_error(core, CAUSE(call), "bad-request",
		           "priority must be a whole number from -128 to 127");
		return -1;
	}
	pres(core)->priority = (int)v;
	core_info(core, CAUSE(call), "priority %d%s", (int)v,
	          core_online(core) ? "" : " (sent when you connect)");
	warn_priority(core, CAUSE(call));
	if (core_online(core)) {
		pres(core)->initial_pending = false;
		send_presence(core, true);
	}
	return 0;
}

/* ---- contacts' presence ---- */

static void resource_free(struct pres_resource *r)
{
	free(r->resource);
	free(r->full);
	free(r->show);
	free(r->status);
	free(r);
}

static void contact_free(struct pres_contact *c)
{
	struct pres_resource *r, *tmp;

	HASH_ITER(hh, c->resources, r, tmp)
	{
		HASH_DEL(c->resources, r);
		resource_free(r);
	}
	free(c->key);
	free(c->locked);
	free(c);
}

static struct pres_contact *contact_find(struct presence_state *p, const char *key)
{
	struct pres_contact *c = NULL;

	HASH_FIND_STR(p->contacts, key, c);
	return c;
}

/* Whether key (a bare key) is someone the bounds apply to. */
static bool is_stranger(struct presence_state *p, const char *key)
{
	return !roster_has_key(p->core, key) && !(p->own_key && !strcmp(p->own_key, key));
}

/* Finds or creates the contact for a bare key; NULL on ENOMEM, or when key
 * is a stranger and STRANGERS_MAX of them are kept already (*full). */
static struct pres_contact *contact_get(struct presence_state *p, const char *key, bool *full)
{
	struct pres_contact *c = contact_find(p, key);
	bool stranger;

	*full = false;
	if (c)
		return c;
	stranger = is_stranger(p, key);
	if (stranger && p->nstrangers >= STRANGERS_MAX) {
		*full = true;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->key = strdup(key))) {
		free(c);
		return NULL;
	}
	c->stranger = stranger;
	p->nstrangers += stranger;
	HASH_ADD_KEYPTR(hh, p->contacts, c->key, strlen(c->key), c);
	return c;
}

/* Drops a contact that no longer holds anything. */
static void contact_gc(struct presence_state *p, struct pres_contact *c)
{
	if (c->resources || c->locked)
		return;
	p->nstrangers -= c->stranger;
	HASH_DEL(p->contacts, c);
	contact_free(c);
}

/* Presence beyond the bounds: logged now and then, never shown. */
static void ignored(struct presence_state *p, const char *what)
{
	if (p->ignored++ % 1000 == 0)
		log_info("ignored presence: %s (%lu so far)", what, p->ignored);
}

static int parse_priority(const char *s)
{
	char *end;
	long v;

	if (!s)
		return 0;
	v = strtol(s, &end, 10);
	/* RFC 6121 §4.7.2.3: an integer from -128 to +127; default 0. */
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
		end++;
	if (end == s || *end || v < -128 || v > 127)
		return 0;
	return (int)v;
}

static const char *valid_show(const char *s)
{
	static const char *const ok[] = {"away", "chat", "dnd", "xa", NULL};

	for (int i = 0; s && ok[i]; i++)
		if (!strcmp(s, ok[i]))
			return ok[i];
	return NULL;
}

/* Records an available presence; -1 on ENOMEM, 1 when the contact has
 * RESOURCES_MAX resources already (ignored). */
static int set_available(struct presence_state *p, struct pres_contact *c, const struct jid *j,
                         const char *full, const char *show, const char *status, int priority)
{
	const char *res = j->resource ? j->resource : "";
	struct pres_resource *r = NULL;
	char *nshow = NULL, *nstatus = NULL;

	if ((show && !(nshow = strdup(show))) || (status && !(nstatus = strdup(status)))) {
		free(nshow);
		return -1;
	}
	HASH_FIND_STR(c->resources, res, r);
	if (!r && HASH_COUNT(c->resources) >= RESOURCES_MAX) {
		free(nshow);
		free(nstatus);
		return 1;
	}
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r || !(r->resource = strdup(res)) || !(r->full = strdup(full))) {
			if (r)
				free(r->resource);
			free(r);
			free(nshow);
			free(nstatus);
			return -1;
		}
		HASH_ADD_KEYPTR(hh, c->resources, r->resource, strlen(r->resource), r);
	}
	free(r->show);
	free(r->status);
	r->show = nshow;
	r->status = nstatus;
	r->priority = priority;
	r->seq = ++p->seq;
	return 0;
}

static void set_unavailable(struct pres_contact *c, const struct jid *j)
{
	struct pres_resource *r = NULL, *tmp;

	if (!j->resource) {
		/* From the bare JID: the server speaks for every resource
		 * (e.g. after a subscription was cancelled). */
		HASH_ITER(hh, c->resources, r, tmp)
		{
			HASH_DEL(c->resources, r);
			resource_free(r);
		}
		return;
	}
	HASH_FIND_STR(c->resources, j->resource, r);
	if (r) {
		HASH_DEL(c->resources, r);
		resource_free(r);
	}
}

static int on_presence(struct core *core, xmpp_stanza_t *st)
{
	struct presence_state *p = pres(core);
	struct nt_event ev = {.kind = NT_EV_PRESENCE};
	const char *type = xmpp_stanza_get_type(st), *from = xmpp_stanza_get_from(st), *why = NULL;
	char *full = NULL, *key = NULL, *show = NULL, *status = NULL, *prio = NULL;
	char *cfrom = NULL, *cshow = NULL, *cstatus = NULL;
	struct pres_contact *c;
	bool bounded = false;
	struct jid j;

	if (!from) {
		/* Only our own server may omit it, and it has no presence. */
		log_info("ignored a presence without a sender");
		return CORE_PASS;
	}
	if (jid_parse(from, &j, &why)) {
		log_info("ignored a presence from an invalid JID: %s", why ? why : "invalid");
		return CORE_PASS;
	}
	full = jid_full(&j);
	key = jid_bare_key(from, NULL);
	if (!full || !key)
		goto oom;
	/* RFC 6121 §5.1: any presence from the locked resource unlocks it. */
	c = contact_find(p, key);
	if (c && c->locked && j.resource && !strcmp(c->locked, full)) {
		free(c->locked);
		c->locked = NULL;
		contact_gc(p, c);
	}
	if (type && strcmp(type, "unavailable")) {
		log_info("presence error from %s", full);
		jid_clear(&j);
		free(full);
		free(key);
		return CORE_PASS;
	}
	show = st_child_text(st, "show");
	status = st_child_text(st, "status");
	prio = st_child_text(st, "priority");
	cfrom = core_clean(full);
	cshow = core_clean(valid_show(show));
	cstatus = status ? core_clean_text(status) : NULL;
	if (!cfrom || (valid_show(show) && !cshow) || (status && !cstatus))
		goto oom;
	ev.u.presence.from = cfrom;
	ev.u.presence.type = type ? "unavailable" : "available";
	ev.u.presence.show = type ? NULL : cshow;
	ev.u.presence.status = cstatus;
	ev.u.presence.priority = type ? 0 : parse_priority(prio);
	c = type ? contact_find(p, key) : contact_get(p, key, &bounded);
	if (!c && bounded) {
		ignored(p, "too many strangers");
		goto out;
	}
	if (!c && !type)
		goto oom;
	if (c && type) {
		set_unavailable(c, &j);
	} else if (c) {
		int rc = set_available(p, c, &j, full, cshow, cstatus, ev.u.presence.priority);

		if (rc < 0)
			goto oom;
		if (rc > 0) {
			contact_gc(p, c);
			ignored(p, "too many resources");
			goto out;
		}
	}
	if (c)
		contact_gc(p, c);
	/* Unavailable from someone not kept: said only for contacts (their
	 * last resource may have gone while we were not looking). */
	if (!c && is_stranger(p, key))
		goto out;
	core_emit(core, &ev);
	goto out;
oom:
	log_error("out of memory: a presence from %s was lost", from);
out:
	jid_clear(&j);
	free(full);
	free(key);
	free(show);
	free(status);
	free(prio);
	free(cfrom);
	free(cshow);
	free(cstatus);
	return CORE_PASS;
}

static void contacts_forget(struct presence_state *p)
{
	struct pres_contact *c, *tmp;

	HASH_ITER(hh, p->contacts, c, tmp)
	{
		HASH_DEL(p->contacts, c);
		contact_free(c);
	}
	p->nstrangers = 0;
}

const char *presence_route(struct core *core, const char *bare)
{
	struct pres_contact *c;
	char *key;

	if (!pres(core) || !bare || !(key = jid_bare_key(bare, NULL)))
		return bare;
	c = contact_find(pres(core), key);
	free(key);
	return c && c->locked ? c->locked : bare;
}

void presence_lock(struct core *core, const char *full)
{
	struct presence_state *p = pres(core);
	struct pres_contact *c;
	char *key = NULL, *norm = NULL;
	bool bounded;
	struct jid j;

	if (!p || !full || jid_parse(full, &j, NULL))
		return;
	if (!j.resource)
		goto out; /* a bare JID is no resource to lock to */
	norm = jid_full(&j);
	key = jid_bare_key(full, NULL);
	/* Over the bound, a stranger's chat simply goes to the bare JID. */
	if (!norm || !key || !(c = contact_get(p, key, &bounded)))
		goto out;
	free(c->locked);
	c->locked = norm;
	norm = NULL;
out:
	jid_clear(&j);
	free(norm);
	free(key);
}

const char *presence_best(struct core *core, const char *bare)
{
	struct pres_resource *r, *tmp, *best = NULL;
	struct pres_contact *c;
	char *key;

	if (!pres(core) || !bare || !(key = jid_bare_key(bare, NULL)))
		return NULL;
	c = contact_find(pres(core), key);
	free(key);
	if (!c)
		return NULL;
	HASH_ITER(hh, c->resources, r, tmp)
	{
		if (!best || r->priority > best->priority ||
		    (r->priority == best->priority && r->seq > best->seq))
			best = r;
	}
	return best ? best->full : NULL;
}

/* ---- the module ---- */

static int presence_init(struct core *core)
{
	struct presence_state *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	p->core = core;
	p->priority = core_account(core)->priority;
	core_set_state(core, &presence_module, p);
	return 0;
}

static void presence_free(struct core *core)
{
	struct presence_state *p = pres(core);

	if (!p)
		return;
	contacts_forget(p);
	loop_timer_cancel(core_loop(core), p->initial_timer);
	free(p->own_key);
	free(p->show);
	free(p->status);
	free(p->auto_status);
	free(p);
	core_set_state(core, &presence_module, NULL);
}

#define SHOWS "online|chat|away|xa|dnd|invisible"

static const struct cmd_entry commands[] = {
    {.name = "status",
     .usage = "[" SHOWS " [MESSAGE]]",
     .help = "set your presence and status message (without one: show them)",
     .max_args = 2,
     .rest = true,
     .complete = {SHOWS},
     .exec = cmd_status},
    {.name = "priority",
     .usage = "N",
     .help = "set your presence priority (-128..127)",
     .min_args = 1,
     .max_args = 1,
     .exec = cmd_priority},
};

/* Available presence has no type; subscriptions are subscription.c's. */
static const struct core_handler handlers[] = {
    {CORE_HANDLE, "presence", CORE_TYPE_NONE, NULL, on_presence},
    {CORE_HANDLE, "presence", "unavailable", NULL, on_presence},
    {CORE_HANDLE, "presence", "error", NULL, on_presence},
};

const struct core_module presence_module = {
    .name = "presence",
    .title = "Presence",
    .init = presence_init,
    .free = presence_free,
    .login = presence_login,
    .commands = commands,
    .ncommands = COUNT(commands),
    .handlers = handlers,
    .nhandlers = COUNT(handlers),
};

size_t presence_resources(struct core *core, const char *bare, presence_resource_fn fn, void *ud)
{
	struct pres_resource *r, *tmp;
	struct pres_contact *c;
	char *key;
	size_t n = 0;

	if (!pres(core) || !bare || !(key = jid_bare_key(bare, NULL)))
		return 0;
	c = contact_find(pres(core), key);
	free(key);
	if (!c)
		return 0;
	HASH_ITER(hh, c->resources, r, tmp)
	{
		fn(r->full, r->show, r->status, r->priority, ud);
		n++;
	}
	return n;
}
