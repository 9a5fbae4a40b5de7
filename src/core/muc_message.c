/* A room's messages (XEP-0045 §7.4): sending, receiving, the subject, and
 * catching up from the room's archive (XEP-0313 on the room JID) after a
 * rejoin.  They are stored like chats, the room's bare JID the peer,
 * deduplicated as store.h says for rooms: a room's history replay, its
 * archive and the copy of our own message it sends back are never stored
 * or reported twice.
 *
 * Every groupchat message stops at this module's guard: one from a room
 * we are not in is dropped, so nobody can slip lines into a room's window
 * or into the chat windows by calling a message groupchat. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/carbons.h"
#include "core/chat.h"
#include "core/history.h"
#include "core/mam.h"
#include "core/muc.h"
#include "core/muc_internal.h"
#include "core/xhtml.h"
#include "core/message.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/stamp.h"
#include "util/text.h"
#include "xmpp/stanza.h"

#define NS_SID         "urn:xmpp:sid:0"
#define NS_DELAY       "urn:xmpp:delay"
#define NS_OCCUPANT_ID "urn:xmpp:occupant-id:0"

#define SENT_RING       256 /* our messages waiting for the room's copy */
#define PAGE_MAX        100
#define MAX_PAGES       50 /* per room and catch-up: 5,000 messages */
#define PAGE_TIMEOUT_MS 30000
#define MAX_SUBJECT     4096 /* bytes of a subject kept */

/* One of our messages: the room's copy of it is ours, whatever the nick. */
struct sent {
	char *room; /* key */
	char *id;
};

/* A room archive being read after a rejoin. */
struct catchup {
	char *room; /* key */
	unsigned gen;
	char *queryid;
	unsigned pages;
	bool fell_back;
	struct catchup *next;
};

struct mm_state {
	struct sent sent[SENT_RING];
	size_t next_sent;
	struct catchup *catchups;
};

static struct mm_state *mm(struct core *core)
{
	return core_state(core, &muc_message_module);
}

/* Now, on the loop's wall clock (a test's clock in the unit tests). */
static int64_t now_ms(struct core *core)
{
	return loop_wall(core_loop(core));
}

/* ---- our own messages ---- */

static void sent_add(struct core *core, const char *room, const char *id)
{
	struct mm_state *m = mm(core);
	struct sent *s = &m->sent[m->next_sent];

	free(s->room);
	free(s->id);
	s->room = strdup(room);
	s->id = strdup(id);
	m->next_sent = (m->next_sent + 1) % SENT_RING;
}

/* Whether id is one of ours in room; forgets it (its copy came). */
static bool sent_take(struct core *core, const char *room, const char *id)
{
	struct mm_state *m = mm(core);

	for (size_t i = 0; id && i < SENT_RING; i++) {
		struct sent *s = &m->sent[i];

		if (s->id && !strcmp(s->id, id) && !strcmp(s->room, room)) {
			free(s->room);
			free(s->id);
			s->room = s->id = NULL;
			return true;
		}
	}
	return false;
}

int muc_send_message(struct core *core, struct chat_out *o, struct core_cause cause)
{
	struct muc_room *r = muc_room_find(core, o->to);
	char *safe = text_xml_safe(o->text), *id = core_make_id(), *from = NULL, *cfrom, *cnick;
	xmpp_stanza_t *m = NULL, *sid;
	struct nt_event ev = {.kind = NT_EV_MESSAGE, .origin = cause.origin};
	const struct chat_e2e *e2e = NULL;
	struct store_msg rec;
	int rc = -1;

	if (!r || r->state != MUC_JOINED) {
		core_error(core, cause, "not-acceptable", "you are not in %s (/join it first)",
		           o->to);
		goto out;
	}
	if (safe && id)
		m = xmpp_message_new(core_ctx(core), "groupchat", r->jid, id);
	o->dest = r->jid;
	o->id = id;
	/* XEP-0359: the origin-id comes back in the room's copy. */
	if (!m || xmpp_message_set_body(m, safe) != XMPP_EOK ||
	    !(sid = st_add_element(m, "origin-id", NS_SID)) ||
	    xmpp_stanza_set_attribute(sid, "id", id) != XMPP_EOK || chat_decorate(core, m, o) ||
	    asprintf(&from, "%s/%s", r->jid, r->nick) < 0) {
		from = NULL;
		core_error(core, cause, "internal-server-error", "out of memory: not sent");
		goto out;
	}
	if (!*safe) {
		core_error(core, cause, "bad-request",
		           "nothing to send once control characters are removed");
		goto out;
	}
	/* An encrypted room (chat_e2e): to the devices of every member. */
	e2e = chat_e2e_for(core, r->key);
	if (e2e && e2e->send_group) {
		const char **members = muc_real_jids(core, r->jid);
		size_t n = 0;

		while (members && members[n])
			n++;
		if (!members) {
			core_error(core, cause, "internal-server-error", "out of memory: not sent");
			goto out;
		}
		rc = e2e->send_group(core, m, r->key, members, n, safe, cause) > 0 ? 0 : -1;
		m = NULL;
		if (rc)
			goto out;
	} else {
		e2e = NULL;
		rc = core_send(core, m);
		m = NULL;
		if (rc) {
			core_error(core, cause, "internal-server-error", "out of memory: not sent");
			goto out;
		}
	}
	sent_add(core, r->key, id);
	rec = (struct store_msg){.peer = r->key,
	                         .direction = STORE_OUT,
	                         .type = "groupchat",
	                         .ts_ms = now_ms(core),
	                         .from = from,
	                         .to = r->jid,
	                         .body = safe,
	                         .stanza_id = id,
	                         .origin_id = id,
	                         .delivery = STORE_SENT,
	                         .oob_url = o->oob_url,
	                         .encryption = e2e ? e2e->name : NULL};
	if (o->replaces_row)
		history_correct(core, o->replaces_row, &rec);
	else
		history_record(core, &rec);
	cfrom = core_clean(from);
	cnick = core_clean(r->nick);
	ev.u.message.from = cfrom ? cfrom : r->cjid;
	ev.u.message.to = r->cjid;
	ev.u.message.type = "groupchat";
	ev.u.message.id = id;
	ev.u.message.body = safe;
	ev.u.message.ts_ms = rec.ts_ms;
	ev.u.message.outgoing = true;
	ev.u.message.room = r->cjid;
	ev.u.message.nick = cnick;
	ev.u.message.replaces = o->replaces;
	ev.u.message.oob_url = o->oob_url;
	ev.u.message.action = o->action;
	ev.u.message.encrypted = e2e ? e2e->name : NULL;
	core_emit(core, &ev);
	free(cfrom);
	free(cnick);
out:
	if (m)
		xmpp_stanza_release(m);
	o->dest = o->id = NULL;
	free(safe);
	free(id);
	free(from);
	return rc;
}

/* ---- receiving ---- */

/* The room's XEP-0203 stamp on what it replays: only a delay the room
 * itself added (from = the room) says the message is history; one an
 * occupant wrote into its message is ignored. */
static const char *room_delay(xmpp_stanza_t *st, const char *room)
{
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c; c = xmpp_stanza_get_next(c)) {
		const char *n = xmpp_stanza_get_name(c), *ns = xmpp_stanza_get_ns(c);
		const char *from = xmpp_stanza_get_attribute(c, "from");

		if (xmpp_stanza_is_tag(c) && n && ns && !strcmp(n, "delay") &&
		    !strcmp(ns, NS_DELAY) && from && !strchr(from, '/') &&
		    jid_bare_equal(from, room))
			return xmpp_stanza_get_attribute(c, "stamp");
	}
	return NULL;
}

static const char *bounded(const char *s)
{
	return s && *s && strlen(s) <= MUC_MAX_ID ? s : NULL;
}

/* How a room message reached us when not live. */
struct room_via {
	const char *archive_id; /* the room archive's id (its stanza-id) */
	const char *stamp;      /* the <forwarded/>'s stamp */
};

/* Whether a message from nick (with this occupant id) is ours: by the
 * room's occupant id for us where it gives one, else by our nick. */
static bool is_ours(struct muc_room *r, const char *nick, const char *oid)
{
	if (oid && r->self_id)
		return !strcmp(oid, r->self_id);
	return nick && !strcmp(nick, r->nick);
}

/* A room's message withdrawn by its sender (a hook accepted it): recorded,
 * and reported as such unless the history knew it already. */
static void room_retracted(struct core *core, const struct muc_room *r, const struct chat_in *ci,
                           struct store_msg *rec)
{
	struct nt_event ev = {.kind = NT_EV_RETRACTED};

	if (history_retract(core, ci->retracts_row, rec) == 0)
		return;
	ev.u.retracted.from = ci->from;
	ev.u.retracted.to = r->cjid;
	ev.u.retracted.id = ci->retracts;
	core_emit(core, &ev);
}

static void record_and_emit(struct core *core, struct muc_room *r, xmpp_stanza_t *st,
                            const char *nick, const struct room_via *via)
{
	struct nt_event ev = {.kind = NT_EV_MESSAGE};
	xmpp_stanza_t *html = xmpp_stanza_get_child_by_name_and_ns(st, "html", NS_XHTML_IM);
	xmpp_stanza_t *oide =
	    xmpp_stanza_get_child_by_name_and_ns(st, "occupant-id", NS_OCCUPANT_ID);
	const char *rawstamp = via && via->stamp ? via->stamp : room_delay(st, r->jid);
	const char *id = bounded(xmpp_stanza_get_id(st));
	const char *origin = bounded(chat_sid(st, "origin-id", NULL));
	/* Only the id the room itself gave (by = the room), which it strips
	 * from what occupants send. */
	const char *rsid =
	    via && via->archive_id ? via->archive_id : chat_sid(st, "stanza-id", r->jid);
	/* XEP-0421 §4: only a room that says it sets occupant ids strips
	 * forged ones. */
	const char *oid =
	    oide && r->info.occupant_id ? bounded(xmpp_stanza_get_attribute(oide, "id")) : NULL;
	char *raw = NULL, *xhtml = NULL, *xtext = NULL, *body = NULL;
	char *from = NULL, *cfrom = NULL, *cnick = core_clean(nick), *cid = core_clean(id);
	char *corigin = core_clean(origin);
	/* The room's time for its history, unless it lies about the future. */
	int64_t now = now_ms(core), ts = rawstamp ? stamp_parse(rawstamp) : -1;
	bool stamped = ts >= 0 && ts <= now, delayed = via || stamped;
	/* The room's copy of a message we sent from here: from us, with its id. */
	bool ours = is_ours(r, nick, oid);
	bool echo = ours && ((origin && sent_take(core, r->key, origin)) ||
	                     (id && sent_take(core, r->key, id)));
	char stamp[STAMP_LEN];
	struct chat_in ci = {.st = st, .peer = r->key, .type = "groupchat"};
	struct muc_occupant_info who = {0};
	struct chat_via cv = {0};
	struct store_msg rec;
	const char *encryption;
	bool undecryptable = false;
	int rc;

	if (nick && asprintf(&from, "%s/%s", r->jid, nick) < 0)
		from = NULL;
	/* An encrypted message's body is a fallback: the sender's keys are
	 * those of its real JID, which the room shows while it is here. */
	if (from && muc_occupant(core, from, &who))
		cv.real_jid = who.jid;
	encryption = chat_decrypt(core, st, &cv, &raw, &undecryptable);
	if (encryption) {
		html = NULL;
	} else {
		raw = st_child_text(st, "body");
	}
	if (html && xhtml_sanitize(html, &xhtml, &xtext) < 0)
		xhtml = xtext = NULL;
	if ((!raw || !*raw) && xtext) {
		free(raw);
		raw = xtext;
		xtext = NULL;
	}
	/* A key transport message (decrypted, nothing to show) is no line;
	 * one without a body may still be a retraction (the hooks below). */
	if ((!raw || !*raw) && encryption && !undecryptable)
		goto out;
	body = !undecryptable && raw && *raw ? core_clean_text(raw) : NULL;
	cfrom = core_clean(from ? from : r->jid);
	if ((raw && *raw && !undecryptable && !body) || !cfrom) {
		log_error("out of memory: a message in %s was not shown", r->jid);
		goto out;
	}
	if (!stamped)
		ts = now;
	else
		stamp_format(ts, stamp);
	/* What the message means beyond its words (a correction, a retraction,
	 * a link, a /me line) is the modules' to say, as for a chat. */
	ci.from = cfrom;
	ci.to = r->jid;
	ci.id = cid;
	ci.origin = corigin;
	ci.body = body;
	ci.outgoing = ours;
	ci.ts = ts;
	ci.occupant_id = oid;
	if (chat_run_hooks(core, &ci) != CHAT_IN_PASS ||
	    (!body && !undecryptable && !ci.retracts_row))
		goto out;
	rec = (struct store_msg){.peer = r->key,
	                         .direction = ours ? STORE_OUT : STORE_IN,
	                         .type = "groupchat",
	                         .ts_ms = ts,
	                         .from = cfrom,
	                         .to = r->jid,
	                         .body = body,
	                         .xhtml = xhtml,
	                         .stanza_id = cid,
	                         .origin_id = origin,
	                         .delivery = ours ? STORE_SENT : STORE_NONE,
	                         .delayed = delayed,
	                         .room_sid = bounded(rsid),
	                         .occupant_id = oid,
	                         .oob_url = ci.oob_url,
	                         .encryption = encryption};
	if (ci.retracts_row) {
		room_retracted(core, r, &ci, &rec);
		goto out;
	}
	rc = ci.replaces_row ? history_correct(core, ci.replaces_row, &rec)
	                     : history_record(core, &rec);
	/* Already stored: our own message come back, a replay, the archive's
	 * copy.  Without a store, our own copy is still known by its id. */
	if (rc == 0 || (rc < 0 && echo))
		goto out;
	ev.u.message.from = cfrom;
	ev.u.message.to = core_jid(core);
	ev.u.message.type = "groupchat";
	ev.u.message.id = cid;
	ev.u.message.body = body;
	ev.u.message.xhtml = xhtml;
	ev.u.message.stamp = stamped ? stamp : NULL;
	ev.u.message.ts_ms = ts;
	ev.u.message.delayed = delayed;
	ev.u.message.outgoing = ours;
	ev.u.message.room = r->cjid;
	ev.u.message.nick = cnick;
	ev.u.message.replaces = ci.replaces_row ? ci.replaces : NULL;
	ev.u.message.oob_url = ci.oob_url;
	ev.u.message.action = ci.action;
	ev.u.message.encrypted = encryption;
	ev.u.message.undecryptable = undecryptable;
	core_emit(core, &ev);
out:
	chat_in_clear(&ci);
	free(raw);
	free(xhtml);
	free(xtext);
	free(body);
	free(from);
	free(cfrom);
	free(cnick);
	free(cid);
	free(corigin);
}

static void subject_changed(struct core *core, struct muc_room *r, xmpp_stanza_t *st,
                            const char *nick)
{
	struct nt_event ev = {.kind = NT_EV_MUC_SUBJECT};
	char *raw = st_child_text(st, "subject"), *clean, *cnick = core_clean(nick);

	if (raw && strlen(raw) > MAX_SUBJECT)
		raw[MAX_SUBJECT] = '\0';
	clean = core_clean(raw ? raw : "");
	if (!clean) {
		log_error("out of memory: the subject of %s was not shown", r->jid);
		goto out;
	}
	free(r->subject);
	free(r->subject_by);
	r->subject = strdup(clean);
	r->subject_by = cnick ? strdup(cnick) : NULL;
	ev.u.muc_subject.room = r->cjid;
	ev.u.muc_subject.nick = cnick;
	ev.u.muc_subject.subject = clean;
	core_emit(core, &ev);
out:
	free(raw);
	free(clean);
	free(cnick);
}

/* The room's own status messages (XEP-0045 §10.2: its configuration
 * changed, it now logs or shows real JIDs): said in its window. */
static void room_status(struct core *core, struct muc_room *r, xmpp_stanza_t *x)
{
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(x); c; c = xmpp_stanza_get_next(c)) {
		const char *n = xmpp_stanza_is_tag(c) ? xmpp_stanza_get_name(c) : NULL;
		const char *code =
		    n && !strcmp(n, "status") ? xmpp_stanza_get_attribute(c, "code") : NULL;
		static const struct {
			const char *code, *text;
		} texts[] = {
		    {"104", "the room's configuration changed"},
		    {"170", "the room is now logged"},
		    {"171", "the room is no longer logged"},
		    {"172", "the room now shows occupants' real JIDs to everyone"},
		    {"173", "the room no longer shows occupants' real JIDs to everyone"},
		    {"174", "the room does not show occupants' real JIDs"},
		};

		for (size_t i = 0; code && i < COUNT(texts); i++)
			if (!strcmp(code, texts[i].code))
				core_info(core, NO_CAUSE, "%s: %s", r->cjid, texts[i].text);
	}
}

/* Guard: every groupchat message. */
static int on_groupchat(struct core *core, xmpp_stanza_t *st)
{
	const char *from = xmpp_stanza_get_from(st);
	char *bare = NULL, *nick = NULL;
	struct muc_room *r;
	xmpp_stanza_t *x;

	if (!mm(core))
		return CORE_PASS;
	if (muc_split(from, &bare, &nick) || !(r = muc_room_find(core, bare))) {
		char *who = core_clean(from);

		log_info("dropped a groupchat message from %s: not a room we are in",
		         who ? who : "(no sender)");
		free(who);
		goto out;
	}
	muc_heard(core, r);
	x = xmpp_stanza_get_child_by_name_and_ns(st, "x", NS_MUC_USER);
	if (x && !nick)
		room_status(core, r, x);
	if (xmpp_stanza_get_child_by_name(st, "subject") &&
	    !xmpp_stanza_get_child_by_name(st, "body"))
		subject_changed(core, r, st, nick);
	else
		record_and_emit(core, r, st, nick, NULL);
out:
	free(bare);
	free(nick);
	return CORE_STOP;
}

/* ---- /subject ---- */

static int cmd_subject(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct muc_room *r = call->argc ? muc_room_find(core, call->argv[0]) : NULL;
	const char *cur = core_current_chat(core);
	char *text = NULL, *safe = NULL, *id = core_make_id();
	xmpp_stanza_t *m = NULL;
	int rc = -1;

	if (r && !strchr(call->argv[0], '/')) {
		text = strdup(call->argc > 1 ? call->argv[1] : "");
	} else if (cur && !strchr(cur, '/') && (r = muc_room_find(core, cur))) {
		if (asprintf(&text, "%s%s%s", call->argv[0], call->argc > 1 ? " " : "",
		             call->argc > 1 ? call->argv[1] : "") < 0)
			text = NULL;
	} else {
		core_error(core, CAUSE(call), "item-not-found", "%s is not a room you are in",
		           call->argv[0]);
		goto out;
	}
	if (r->state != MUC_JOINED) {
		core_error(core, CAUSE(call), "not-acceptable", "you are not in %s yet", r->cjid);
		goto out;
	}
	safe = text ? text_xml_safe(text) : NULL;
	if (safe && id)
		m = xmpp_message_new(core_ctx(core), "groupchat", r->jid, id);
	if (!m || st_add_text(m, "subject", safe)) {
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		goto out;
	}
	rc = core_send(core, m);
	m = NULL;
	/* The room answers with the subject (muc_subject) or an error. */
out:
	if (m)
		xmpp_stanza_release(m);
	free(text);
	free(safe);
	free(id);
	return rc;
}

/* ---- catching up from the room's archive ---- */

static void catchup_free(struct core *core, struct catchup *c)
{
	struct mm_state *m = mm(core);

	for (struct catchup **p = &m->catchups; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	free(c->room);
	free(c->queryid);
	free(c);
}

/* The catch-up whose query this is, if it is still current. */
static struct catchup *catchup_find(struct core *core, const char *room_key, const char *qid)
{
	for (struct catchup *c = mm(core) ? mm(core)->catchups : NULL; c; c = c->next)
		if (!strcmp(c->room, room_key) && c->queryid && qid && !strcmp(c->queryid, qid))
			return c;
	return NULL;
}

struct page_req {
	char *room;
	char *queryid;
};

static void on_page(struct core *core, xmpp_stanza_t *reply, void *ud);

/* Asks for the page after (or, with before, the newest page). */
static int send_page(struct core *core, struct muc_room *r, struct catchup *c, const char *after,
                     bool newest)
{
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "set", NULL), *q = NULL, *set = NULL;
	struct page_req *req = calloc(1, sizeof(*req));
	char max[16];

	snprintf(max, sizeof max, "%d", PAGE_MAX);
	free(c->queryid);
	c->queryid = core_make_id();
	if (iq && c->queryid && xmpp_stanza_set_to(iq, r->jid) == XMPP_EOK &&
	    (q = st_add_element(iq, "query", NS_MAM)) &&
	    xmpp_stanza_set_attribute(q, "queryid", c->queryid) == XMPP_EOK)
		set = st_add_element(q, "set", NS_RSM);
	if (!set || !req || st_add_text(set, "max", max) ||
	    (after && st_add_text(set, "after", after)) ||
	    (newest && !st_add_element(set, "before", NULL)) || !(req->room = strdup(c->room)) ||
	    !(req->queryid = strdup(c->queryid))) {
		if (iq)
			xmpp_stanza_release(iq);
		if (req)
			free(req->room);
		free(req);
		return -1;
	}
	if (core_iq_send(core, iq, PAGE_TIMEOUT_MS, on_page, req)) {
		free(req->room);
		free(req->queryid);
		free(req);
		return -1;
	}
	c->pages++;
	return 0;
}

static void on_page(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct page_req *req = ud;
	struct catchup *c = catchup_find(core, req->room, req->queryid);
	struct muc_room *r = c ? muc_room_find(core, c->room) : NULL;
	xmpp_stanza_t *fin, *set;
	const char *type;
	char *last = NULL;

	free(req->room);
	free(req->queryid);
	free(req);
	if (!c)
		return;
	if (!r || r->gen != c->gen) {
		catchup_free(core, c);
		return;
	}
	type = reply ? xmpp_stanza_get_type(reply) : NULL;
	if (!reply || !type || strcmp(type, "result")) {
		const char *cond =
		    reply ? st_error_condition(reply, NULL) : "remote-server-timeout";

		if (!strcmp(cond, "item-not-found") && !c->fell_back) {
			/* Our newest message is no longer in its archive: its
			 * newest page is the best we can do. */
			c->fell_back = true;
			if (send_page(core, r, c, NULL, true) == 0)
				return;
		}
		core_error(core, CAUSED_BY("join"), cond,
		           "%s: its archive could not be read (%s); messages sent while you "
		           "were away may be missing",
		           r->cjid, cond);
		catchup_free(core, c);
		return;
	}
	fin = xmpp_stanza_get_child_by_name_and_ns(reply, "fin", NS_MAM);
	set = fin ? xmpp_stanza_get_child_by_name_and_ns(fin, "set", NS_RSM) : NULL;
	last = set ? st_child_text(set, "last") : NULL;
	if (!fin || c->fell_back || !last ||
	    (xmpp_stanza_get_attribute(fin, "complete") &&
	     !strcmp(xmpp_stanza_get_attribute(fin, "complete"), "true"))) {
		catchup_free(core, c);
	} else if (c->pages >= MAX_PAGES) {
		core_error(core, CAUSED_BY("join"), "resource-constraint",
		           "%s: caught up on %d pages of its archive; older messages stay there",
		           r->cjid, MAX_PAGES);
		catchup_free(core, c);
	} else if (send_page(core, r, c, last, false)) {
		catchup_free(core, c);
	}
	free(last);
}

void muc_message_joined(struct core *core, struct muc_room *r)
{
	struct mm_state *m = mm(core);
	struct catchup *c;

	if (!m || !r->catchup_after)
		return;
	c = calloc(1, sizeof(*c));
	if (!c || !(c->room = strdup(r->key))) {
		free(c);
		log_error("out of memory: %s does not catch up", r->jid);
		return;
	}
	c->gen = r->gen;
	c->next = m->catchups;
	m->catchups = c;
	if (send_page(core, r, c, r->catchup_after, false)) {
		core_error(core, CAUSED_BY("join"), "internal-server-error",
		           "%s: could not ask its archive for what you missed", r->cjid);
		catchup_free(core, c);
	}
}

/* Unwrapper: a result of a room's archive (mam.c takes only our own). */
static int on_room_result(struct core *core, xmpp_stanza_t *st)
{
	xmpp_stanza_t *res = xmpp_stanza_get_child_by_name_and_ns(st, "result", NS_MAM);
	xmpp_stanza_t *fwd, *inner = NULL, *delay;
	const char *from = xmpp_stanza_get_from(st), *qid, *id, *ifrom;
	char *rbare = NULL, *rnick = NULL, *ibare = NULL, *nick = NULL;
	struct muc_room *r;
	struct catchup *c;
	struct room_via via = {0};

	if (!mm(core) || !res)
		return CORE_PASS;
	if (muc_split(from, &rbare, &rnick) || rnick || !(r = muc_room_find(core, rbare))) {
		char *who = core_clean(from);

		log_warn("dropped an archive result from %s", who ? who : "(no sender)");
		free(who);
		goto out;
	}
	qid = xmpp_stanza_get_attribute(res, "queryid");
	id = xmpp_stanza_get_attribute(res, "id");
	c = catchup_find(core, r->key, qid);
	if (!c || c->gen != r->gen || !id) {
		log_info("ignored a result from %s's archive for no query under way", r->jid);
		goto out;
	}
	muc_heard(core, r);
	fwd = xmpp_stanza_get_child_by_name_and_ns(res, "forwarded", NS_FORWARD);
	inner = fwd ? xmpp_stanza_get_child_by_name(fwd, "message") : NULL;
	ifrom = inner ? xmpp_stanza_get_from(inner) : NULL;
	/* The room speaks only for itself. */
	if (!inner || muc_split(ifrom, &ibare, &nick) || !jid_bare_equal(ibare, r->jid)) {
		log_info("ignored a result from %s's archive: not the room's message", r->jid);
		goto out;
	}
	delay = xmpp_stanza_get_child_by_name_and_ns(fwd, "delay", NS_DELAY);
	via.archive_id = id;
	via.stamp = delay ? xmpp_stanza_get_attribute(delay, "stamp") : NULL;
	if (xmpp_stanza_get_child_by_name(inner, "body"))
		record_and_emit(core, r, inner, nick, &via);
out:
	free(rbare);
	free(rnick);
	free(ibare);
	free(nick);
	return CORE_STOP;
}

/* ---- life cycle ---- */

static int mm_init(struct core *core)
{
	struct mm_state *m = calloc(1, sizeof(*m));

	if (!m)
		return -1;
	core_set_state(core, &muc_message_module, m);
	return 0;
}

static void mm_free(struct core *core)
{
	struct mm_state *m = mm(core);

	if (!m)
		return;
	while (m->catchups)
		catchup_free(core, m->catchups);
	for (size_t i = 0; i < SENT_RING; i++) {
		free(m->sent[i].room);
		free(m->sent[i].id);
	}
	free(m);
	core_set_state(core, &muc_message_module, NULL);
}

static const struct cmd_entry commands[] = {
    {.name = "subject",
     .usage = "[ROOM] TEXT",
     .help = "set a room's subject",
     .min_args = 1,
     .max_args = 2,
     .rest = true,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_subject},
};

static const struct core_handler handlers[] = {
    {CORE_GUARD, "message", "groupchat", NULL, on_groupchat},
    {CORE_UNWRAP, "message", NULL, NS_MAM, on_room_result},
};

const struct core_module muc_message_module = {
    .name = "muc_message",
    .title = "Rooms",
    .init = mm_init,
    .free = mm_free,
    .commands = commands,
    .ncommands = COUNT(commands),
    .handlers = handlers,
    .nhandlers = COUNT(handlers),
};
