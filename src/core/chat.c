/* Messages: sending chats, and receiving every type (chat, normal, headline,
 * groupchat, error).  What rides along with them belongs to other modules:
 * chat.c runs their decorate hooks on every chat it sends and their
 * receive hooks on every message that comes in (module.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blocking.h"
#include "core/carbons.h"
#include "core/chat.h"
#include "core/core_internal.h"
#include "core/history.h"
#include "core/mam.h"
#include "core/message.h"
#include "core/muc.h"
#include "core/presence.h"
#include "core/roster.h"
#include "core/xhtml.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/stamp.h"
#include "util/text.h"
#include "xmpp/stanza.h"

#define NS_SID   "urn:xmpp:sid:0"
#define NS_DELAY "urn:xmpp:delay"

/* ---- messages ---- */

/* Now, on the loop's wall clock (a test's clock in the unit tests). */
static int64_t now_ms(struct core *core)
{
	return loop_wall(core_loop(core));
}

/* Records one of our messages (a correction in the row it corrects); the
 * store's failure was logged and must not stop the message. */
static void record_own(struct core *core, const struct chat_out *o, const char *text,
                       const char *xhtml, const char *encryption, int64_t ts)
{
	char *peer = muc_private_key(core, o->to, false);

	if (!peer)
		peer = jid_bare_key(o->to, NULL);
	struct store_msg m = {
	    .peer = peer,
	    .direction = STORE_OUT,
	    .type = "chat",
	    .ts_ms = ts,
	    .from = core_jid(core),
	    .to = o->dest,
	    .body = text,
	    .xhtml = xhtml,
	    .stanza_id = o->id,
	    .origin_id = o->id,
	    /* Offline, the outbox hands it over after the next login and
	     * nothing tells us when: "pending" would stay forever. */
	    .delivery = STORE_SENT,
	    .oob_url = o->oob_url,
	    .encryption = encryption,
	};

	if (peer && o->replaces_row)
		history_correct(core, o->replaces_row, &m);
	else if (peer)
		history_record(core, &m);
	free(peer);
}

static void emit_own_message(struct core *core, struct core_cause cause, const struct chat_out *o,
                             const char *text, const char *xhtml, const char *thread,
                             const char *encryption, int64_t ts)
{
	struct nt_event ev = {.kind = NT_EV_MESSAGE, .origin = cause.origin};
	char *room = NULL, *nick = NULL;

	ev.u.message.from = core_jid(core);
	ev.u.message.to = o->to;
	ev.u.message.type = "chat";
	ev.u.message.id = o->id;
	ev.u.message.body = text;
	ev.u.message.xhtml = xhtml;
	ev.u.message.thread = thread;
	ev.u.message.outgoing = true;
	ev.u.message.replaces = o->replaces;
	ev.u.message.oob_url = o->oob_url;
	ev.u.message.action = o->action;
	/* A private message to an occupant: its window is not the room's. */
	if (muc_is_room(core, o->to) && strchr(o->to, '/')) {
		room = strndup(o->to, strcspn(o->to, "/"));
		nick = core_clean(strchr(o->to, '/') + 1);
		ev.u.message.room = room;
		ev.u.message.nick = nick;
	}
	ev.u.message.ts_ms = ts;
	ev.u.message.encrypted = encryption;
	core_emit(core, &ev);
	free(room);
	free(nick);
}

int chat_decorate(struct core *core, xmpp_stanza_t *m, struct chat_out *o)
{
	for (size_t i = 0; i < core_nmodules; i++)
		if (core_modules[i]->decorate && core_modules[i]->decorate(core, m, o))
			return -1;
	return 0;
}

/* The end-to-end encryptions the modules offer (chat.h), in module order. */
static const struct chat_e2e *e2e_next(size_t *i)
{
	while (*i < core_nmodules) {
		const struct chat_e2e *e = core_modules[(*i)++]->e2e;

		if (e)
			return e;
	}
	return NULL;
}

const char *chat_encryption(struct core *core, const char *peer)
{
	const struct chat_e2e *e = chat_e2e_for(core, peer);

	return e ? e->name : NULL;
}

const struct chat_e2e *chat_e2e_for(struct core *core, const char *peer)
{
	const struct chat_e2e *e;
	size_t i = 0;

	while ((e = e2e_next(&i)))
		if (e->enabled(core, peer))
			return e;
	return NULL;
}

const char *chat_decrypt(struct core *core, xmpp_stanza_t *st, const struct chat_via *via,
                         char **text, bool *failed)
{
	const struct chat_e2e *e;
	size_t i = 0;

	*text = NULL;
	*failed = false;
	while ((e = e2e_next(&i))) {
		int r = e->receive(core, st, via, text);

		if (r) {
			*failed = r < 0;
			return e->name;
		}
	}
	return NULL;
}

const char *core_chat_encryption(struct core *core, const char *jid)
{
	/* A private conversation with a room's occupant is not the room's. */
	bool occupant = jid && strchr(jid, '/') && muc_is_room(core, jid);
	char *peer = jid && !occupant ? jid_bare_key(jid, NULL) : NULL;
	const char *how = peer ? chat_encryption(core, peer) : NULL;

	free(peer);
	return how;
}

/* Hands m to the encryption the chat with `to` uses, or sends it plain:
 * 0 sent (*how names the encryption, or NULL), -1 not sent (an error
 * event was emitted).  Takes m either way. */
static int send_maybe_encrypted(struct core *core, xmpp_stanza_t *m, const char *to,
                                const char *text, struct core_cause cause, const char **how)
{
	char *peer = jid_bare_key(to, NULL);
	const struct chat_e2e *e;
	size_t i = 0;
	int rc = 0;

	*how = NULL;
	while (peer && !rc && (e = e2e_next(&i)))
		if ((rc = e->send(core, m, peer, text, cause)) != 0)
			*how = e->name;
	free(peer);
	if (rc)
		return rc > 0 ? 0 : -1;
	if (core_send(core, m)) {
		core_error(core, cause, "internal-server-error", "out of memory: not sent");
		return -1;
	}
	return 0;
}

/* RFC 6121 §5.1: a chat with a bare JID goes to the resource that last
 * answered, while the presence module keeps that lock. */
static const char *chat_dest(struct core *core, const char *to)
{
	const char *dest = strchr(to, '/') ? to : presence_route(core, to);

	return dest ? dest : to;
}

int chat_send_out(struct core *core, struct chat_out *o, struct core_cause cause)
{
	xmpp_ctx_t *ctx = core_ctx(core);
	char *safe = text_xml_safe(o->text), *id = core_make_id(), *shown = NULL, *dest = NULL;
	xmpp_stanza_t *m = NULL, *sid;
	bool pm = strchr(o->to, '/') && muc_is_room(core, o->to);
	int rc = -1;

	/* A room we are in gets a groupchat message (no markup there). */
	if (!strchr(o->to, '/') && muc_is_joined(core, o->to)) {
		free(safe);
		free(id);
		o->groupchat = true;
		return muc_send_message(core, o, cause);
	}
	/* The route is copied: it lives only until the next presence change. */
	if (id && (dest = strdup(chat_dest(core, o->to))))
		m = xmpp_message_new(ctx, "chat", dest, id);
	o->dest = dest;
	o->id = id;
	/* XEP-0359: the origin-id is the stanza id, so our archive's copy and
	 * our other resources' carbons are known as this same message. */
	if (!safe || !m || xmpp_message_set_body(m, safe) != XMPP_EOK ||
	    !(sid = st_add_element(m, "origin-id", NS_SID)) ||
	    xmpp_stanza_set_attribute(sid, "id", id) != XMPP_EOK ||
	    /* XEP-0045 §7.5: a private message says it goes through the room */
	    (pm && !st_add_element(m, "x", NS_MUC_USER)) ||
	    (o->html && (xmpp_stanza_add_child(m, o->html) != XMPP_EOK ||
	                 xhtml_sanitize(o->html, &shown, NULL) < 0)) ||
	    chat_decorate(core, m, o)) {
		core_error(core, cause, "internal-server-error", "out of memory: not sent");
	} else if (!*safe) {
		/* Only control characters: XML cannot carry them. */
		core_error(core, cause, "bad-request",
		           "nothing to send once control characters are removed");
	} else {
		char *thread = st_child_text(m, "thread");
		const char *how = NULL;

		/* takes the stanza, even on failure */
		rc = send_maybe_encrypted(core, m, o->to, safe, cause, &how);
		m = NULL;
		if (!rc) {
			int64_t now = now_ms(core);

			record_own(core, o, safe, shown, how, now);
			emit_own_message(core, cause, o, safe, shown, thread, how, now);
		}
		free(thread);
	}
	if (m)
		xmpp_stanza_release(m);
	o->dest = o->id = NULL;
	free(shown);
	free(dest);
	free(id);
	free(safe);
	return rc;
}

int chat_send(struct core *core, const char *to, const char *text, xmpp_stanza_t *html,
              struct core_cause cause)
{
	struct chat_out o = {.to = to, .text = text, .html = html};

	return chat_send_out(core, &o, cause);
}

int chat_send_text(struct core *core, const char *to, const char *text, struct core_cause cause)
{
	return chat_send(core, to, text, NULL, cause);
}

static int cmd_msg(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	char *to = roster_resolve(core, CAUSE(call), call->argv[0]);
	int rc = 0;

	if (!to)
		return -1;
	core_set_current_chat(core, to);
	if (call->argc > 1)
		rc = chat_send_text(core, to, call->argv[1], CAUSE(call));
	free(to);
	return rc;
}

static int cmd_say(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);

	if (!core_current_chat(core)) {
		core_error(core, CAUSE(call), "bad-request",
		           "no conversation is open: /msg JID starts one");
		return -1;
	}
	return chat_send_text(core, core_current_chat(core), call->argv[0], CAUSE(call));
}

/* Whether jid is our own server or our own account: who may say when a
 * message was stored (offline storage, a stream held for resumption). */
static bool our_side(struct core *core, const char *jid)
{
	char *server;
	bool ours;

	if (!jid || jid_bare_equal(jid, core_account(core)->jid))
		return jid != NULL;
	server = core_server(core);
	ours = server && !strchr(jid, '@') && !strchr(jid, '/') && jid_bare_equal(jid, server);
	free(server);
	return ours;
}

/* The XEP-0203 stamp worth believing on a message that came directly:
 * one our server added (its delay names our server or account, or the
 * stanza itself comes from our side).  A peer's own delay could claim any
 * time at all, and would sort its message among old ones. */
static const char *trusted_delay(struct core *core, xmpp_stanza_t *st)
{
	const char *from = xmpp_stanza_get_from(st);
	bool from_us = !from || our_side(core, from);

	for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c; c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c), *ns = xmpp_stanza_get_ns(c);

		if (!xmpp_stanza_is_tag(c) || !name || !ns || strcmp(name, "delay") ||
		    strcmp(ns, NS_DELAY))
			continue;
		if (from_us || our_side(core, xmpp_stanza_get_attribute(c, "from")))
			return xmpp_stanza_get_attribute(c, "stamp");
	}
	return NULL;
}

/* When the message was sent, in UTC ms: the original time (delayed) when
 * a stamp we trust says so and it is not in the future, else now.  A
 * wrapper's stamp (via) is our archive's or our server's, checked by the
 * module that unwrapped it. */
static int64_t message_time(struct core *core, xmpp_stanza_t *st, const struct chat_via *via,
                            bool *delayed)
{
	int64_t now = now_ms(core);
	int64_t t = stamp_parse(via && via->stamp ? via->stamp : trusted_delay(core, st));

	*delayed = t >= 0 && t <= now;
	return *delayed ? t : now;
}

static const char *sid_child(xmpp_stanza_t *st, const char *name, const char *by);

const char *chat_sid(xmpp_stanza_t *st, const char *name, const char *by)
{
	return sid_child(st, name, by);
}

/* The id of a child <name xmlns='urn:xmpp:sid:0' id=.../>; with by, only
 * the one that names exactly that entity. */
static const char *sid_child(xmpp_stanza_t *st, const char *name, const char *by)
{
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c; c = xmpp_stanza_get_next(c)) {
		const char *cname = xmpp_stanza_get_name(c), *ns = xmpp_stanza_get_ns(c);
		const char *cby = xmpp_stanza_get_attribute(c, "by");

		if (!xmpp_stanza_is_tag(c) || !cname || !ns || strcmp(cname, name) ||
		    strcmp(ns, NS_SID))
			continue;
		if (by && (!cby || strchr(cby, '/') || !jid_bare_equal(cby, by)))
			continue;
		return xmpp_stanza_get_attribute(c, "id");
	}
	return NULL;
}

/* A bounce is reported as a message event of type "error" whose body is the
 * condition and the server's text ("service-unavailable: user offline"),
 * rather than as an error event: it keeps the id of the message that failed
 * and the address it was for, so a front end can mark that message. */
static char *error_body(xmpp_stanza_t *st)
{
	char *text = NULL, *out = NULL;
	const char *cond = st_error_condition(st, &text);

	if (asprintf(&out, "%s%s%s", cond, text ? ": " : "", text ? text : "") < 0)
		out = NULL;
	free(text);
	return out;
}

/* Receipts that reached us late (archive) or through another resource
 * (carbon) still mark our message delivered. */
static void late_receipt(struct core *core, xmpp_stanza_t *st, const char *peer)
{
	xmpp_stanza_t *rec = xmpp_stanza_get_child_by_name_and_ns(st, "received", NS_RECEIPTS);
	const char *id = rec ? xmpp_stanza_get_attribute(rec, "id") : NULL;

	if (id && peer)
		history_delivery(core, peer, id, STORE_DELIVERED);
}

/* What one message becomes in the history, and whether it is new. */
struct incoming {
	struct core *core;
	xmpp_stanza_t *st;
	const struct chat_via *via;
	bool error;
	const char *encryption; /* the chat_e2e that decrypted it (or failed to) */
	char *peer, *from, *to, *type, *id, *origin, *archive, *body, *xhtml;
	const char *subject; /* sanitised; the history keeps it when there is no body */
};

/* Stores the message (a correction a hook accepted, in the row it
 * corrects): 1 new, 0 a duplicate, -1 not stored. */
static int record_incoming(struct incoming *in, const struct chat_in *ci, bool delayed)
{
	struct core *core = in->core;
	const struct chat_via *via = in->via;
	const char *aid = via && via->archive_id ? via->archive_id : NULL;
	struct store_msg m;

	if (!aid)
		aid = sid_child(in->st, "stanza-id", core_account(core)->jid);
	/* The server's stanza-id on a live message (or a carbon) is what makes
	 * the archive's copy a duplicate later; during a catch-up it must not
	 * become the newest archive id stored yet (mam.h). */
	if (aid && !(via && via->archive_id) && !mam_live_id(core, aid))
		aid = NULL;
	in->archive = core_clean(aid);
	m = (struct store_msg){
	    .peer = in->peer,
	    .direction = via && via->outgoing ? STORE_OUT : STORE_IN,
	    .type = in->type,
	    .ts_ms = ci->ts,
	    .from = in->from,
	    .to = in->to,
	    /* (a retraction may have no body at all) */
	    .body = (in->body && *in->body) || !in->subject ? in->body : in->subject,
	    .xhtml = in->xhtml,
	    .stanza_id = in->id,
	    .origin_id = in->origin,
	    .archive_id = in->archive,
	    .delivery = via && via->outgoing ? STORE_SENT : STORE_NONE,
	    .carbon = via && via->carbon,
	    .delayed = delayed,
	    .oob_url = ci->oob_url,
	    .encryption = in->encryption,
	};
	if (ci->retracts_row)
		return history_retract(core, ci->retracts_row, &m);
	if (ci->replaces_row)
		return history_correct(core, ci->replaces_row, &m);
	return history_record(core, &m);
}

int chat_run_hooks(struct core *core, struct chat_in *ci)
{
	for (size_t i = 0; i < core_nmodules; i++) {
		int rc;

		if (!core_modules[i]->receive)
			continue;
		rc = core_modules[i]->receive(core, ci);
		if (rc != CHAT_IN_PASS)
			return rc;
	}
	return CHAT_IN_PASS;
}

const char *chat_in_keep(struct chat_in *in, char *s)
{
	if (!s)
		return NULL;
	if (in->nkept == CHAT_IN_KEEP) {
		log_error("a message's hooks kept too many strings");
		free(s);
		return NULL;
	}
	in->kept[in->nkept++] = s;
	return s;
}

void chat_in_clear(struct chat_in *in)
{
	for (size_t i = 0; i < in->nkept; i++)
		free(in->kept[i]);
	in->nkept = 0;
}

/* A XEP-0424 retraction a hook accepted: recorded, and reported as one. */
static int retracted(struct incoming *in, const struct chat_in *ci, bool delayed)
{
	struct nt_event ev = {.kind = NT_EV_RETRACTED};
	int rc = record_incoming(in, ci, delayed);

	if (rc == 0 || (in->via && in->via->quiet))
		return 0;
	ev.u.retracted.from = in->from ? in->from : core_account(in->core)->jid;
	ev.u.retracted.to = in->to ? in->to : core_jid(in->core);
	ev.u.retracted.id = ci->retracts;
	core_emit(in->core, &ev);
	return 1;
}

bool chat_same_full_jid(const char *a, const char *b)
{
	const char *ra = a ? strchr(a, '/') : NULL, *rb = b ? strchr(b, '/') : NULL;

	if (!a || !b || !jid_bare_equal(a, b))
		return false;
	return (!ra && !rb) || (ra && rb && !strcmp(ra, rb));
}

int chat_receive(struct core *core, xmpp_stanza_t *st, const struct chat_via *via)
{
	struct nt_event ev = {.kind = NT_EV_MESSAGE};
	const char *type = xmpp_stanza_get_type(st), *rawfrom = xmpp_stanza_get_from(st);
	const char *rawto = xmpp_stanza_get_to(st), *other;
	xmpp_stanza_t *html = xmpp_stanza_get_child_by_name_and_ns(st, "html", NS_XHTML_IM);
	struct incoming in = {.core = core, .st = st, .via = via};
	struct chat_in ci = {.st = st, .via = via};
	char *body, *thread = st_child_text(st, "thread"), *xtext = NULL, *cthread;
	char *room = NULL, *nick = NULL;
	char *subject = st_child_text(st, "subject"), *csubject = NULL, *plain = NULL;
	char stamp[STAMP_LEN];
	bool outgoing = via && via->outgoing, delayed, undecryptable = false;
	int rc = -1, taken;

	/* What a wrapper carried is as blocked as what comes directly: a
	 * blocked sender's words in a carbon or the archive are not shown.
	 * (Only the blocking guard: the others, the rooms', act on what they
	 * take, which a wrapper's content is not theirs to.) */
	if (via && (via->carbon || via->archive_id) && blocking_drops(core, st)) {
		free(thread);
		free(subject);
		return 0;
	}
	in.error = type && !strcmp(type, "error");
	/* A bounce matters once, when it comes: a copy from the archive or
	 * another resource would report it again (after every login) and is
	 * no message of the contact's. */
	if (in.error && via) {
		free(thread);
		free(subject);
		return -1;
	}
	/* An encrypted message's body is a fallback for clients without the
	 * encryption: the decrypted text replaces it, and a message that
	 * could not be decrypted is reported as such, never by its fallback. */
	if (!in.error && (in.encryption = chat_decrypt(core, st, via, &plain, &undecryptable)))
		html = NULL;
	body = in.error ? error_body(st) : in.encryption ? plain : st_child_text(st, "body");
	/* Without a from, it comes from our own account (RFC 6120 §8.1.2.1). */
	other = outgoing ? (rawto ? rawto : core_account(core)->jid)
	                 : (rawfrom ? rawfrom : core_account(core)->jid);
	/* A private message in a room is a conversation with the occupant. */
	in.peer = muc_private_key(
	    core, other, xmpp_stanza_get_child_by_name_and_ns(st, "x", NS_MUC_USER) != NULL);
	if (in.peer) {
		room = strndup(other, strcspn(other, "/"));
		nick = core_clean(strchr(other, '/') + 1);
	} else {
		in.peer = jid_bare_key(other, NULL);
	}
	in.from = core_clean(rawfrom);
	in.to = core_clean(rawto);
	in.type = core_clean(type ? type : "normal");
	in.id = core_clean(xmpp_stanza_get_id(st));
	in.origin = core_clean(sid_child(st, "origin-id", NULL));
	cthread = core_clean(thread);
	ci.ts = message_time(core, st, via, &delayed);
	if (delayed)
		stamp_format(ci.ts, stamp);
	/* A bounce's markup is our own message coming back: not worth showing. */
	if (html && !in.error && xhtml_sanitize(html, &in.xhtml, &xtext) < 0)
		in.xhtml = xtext = NULL;
	/* Without a plain body, the XHTML's text stands in for it. */
	if (!body || !*body) {
		free(body);
		body = xtext;
		xtext = NULL;
	}
	if (via && !outgoing)
		late_receipt(core, st, in.peer);
	/* A headline or normal message may say everything in its subject;
	 * in a room a subject alone is the room's topic (not a message). */
	if ((!body || !*body) && subject && *subject && (!type || strcmp(type, "groupchat"))) {
		free(body);
		body = strdup("");
	}
	in.body = body && *body ? core_clean_text(body) : NULL;
	in.subject = csubject = core_clean(subject);
	if ((body && *body && !in.body) || (subject && !csubject)) {
		log_error("out of memory: a message from %s was not shown",
		          in.from ? in.from : "?");
		goto out;
	}
	ci.peer = in.peer;
	ci.from = in.from;
	ci.to = in.to;
	ci.type = in.type ? in.type : "normal";
	ci.id = in.id;
	ci.origin = in.origin;
	ci.body = in.body;
	ci.outgoing = outgoing;
	/* What a message means beyond its text (a correction, a marker, a
	 * retraction) is the modules' to say; a bounce means none of it. */
	if (!in.error) {
		taken = chat_run_hooks(core, &ci);
		if (taken != CHAT_IN_PASS) {
			rc = taken == CHAT_IN_TAKEN ? 1 : 0;
			goto out;
		}
		if (ci.retracts_row) {
			rc = retracted(&in, &ci, delayed);
			goto out;
		}
	}
	/* An undecryptable message has no body of ours, and is reported. */
	if ((!body || (!*body && !(subject && *subject))) && !undecryptable)
		goto out;
	rc = 1;
	if ((!in.body && !undecryptable && !(in.body = strdup(""))) || !in.type) {
		log_error("out of memory: a message from %s was not shown",
		          in.from ? in.from : "?");
		goto out;
	}
	if (in.error) {
		/* A bounce names our message: it is the one that failed. */
		if (in.id && in.peer)
			history_delivery(core, in.peer, in.id, STORE_FAILED);
	} else if ((in.peer && record_incoming(&in, &ci, delayed) == 0) || (via && via->quiet)) {
		/* Already stored: a resumed stream's resend, a carbon or archive
		 * copy of what we saw live, a restart's catch-up. */
		rc = 0;
		goto out;
	}
	ev.u.message.from = in.from ? in.from : core_account(core)->jid;
	ev.u.message.to = in.to ? in.to : core_jid(core);
	ev.u.message.type = in.type;
	ev.u.message.id = in.id;
	ev.u.message.body = in.body;
	ev.u.message.xhtml = in.xhtml;
	ev.u.message.thread = cthread;
	ev.u.message.subject = csubject;
	ev.u.message.stamp = delayed ? stamp : NULL;
	ev.u.message.delayed = delayed;
	ev.u.message.carbon = via ? via->carbon : NULL;
	ev.u.message.replaces = ci.replaces_row ? ci.replaces : NULL;
	ev.u.message.oob_url = ci.oob_url;
	ev.u.message.action = ci.action;
	ev.u.message.ts_ms = ci.ts;
	ev.u.message.room = room;
	ev.u.message.nick = nick;
	ev.u.message.encrypted = in.encryption;
	ev.u.message.undecryptable = undecryptable;
	core_emit(core, &ev);
out:
	free(room);
	free(nick);
	free(body);
	free(thread);
	free(subject);
	free(csubject);
	free(xtext);
	free(cthread);
	free(in.peer);
	free(in.from);
	free(in.to);
	free(in.type);
	free(in.id);
	free(in.origin);
	free(in.archive);
	free(in.body);
	free(in.xhtml);
	chat_in_clear(&ci);
	return rc;
}

static int on_message(struct core *core, xmpp_stanza_t *st)
{
	const char *type = xmpp_stanza_get_type(st), *from = xmpp_stanza_get_from(st);
	int rc;

	/* A note to our own bare JID comes back to this very resource: it was
	 * echoed (and stored) when it was sent. */
	if (from && (!type || strcmp(type, "error")) && !strcmp(from, core_jid(core)))
		return CORE_PASS;
	rc = chat_receive(core, st, NULL);

	/* Chat states alone from another of the contact's devices (a phone
	 * going "inactive") must not steal the conversation: only content
	 * locks. */
	if (rc > 0 && type && !strcmp(type, "chat") && from && strchr(from, '/') &&
	    !muc_is_room(core, from))
		presence_lock(core, from);
	if (!type || strcmp(type, "error"))
		message_incoming(core, st, rc >= 0);
	return CORE_PASS;
}

static const struct cmd_entry commands[] = {
    {.name = "msg",
     .usage = "JID [TEXT]",
     .help = "open a chat with JID; send TEXT if given",
     .min_args = 1,
     .max_args = 2,
     .rest = true,
     .complete = {"@jid"},
     .exec = cmd_msg},
    {.name = "say",
     .usage = "TEXT",
     .help = "send TEXT to the current chat",
     .min_args = 1,
     .max_args = 1,
     .rest = true,
     .exec = cmd_say},
};

/* Carbons and archive results are unwrapped before this sees them. */
static const struct core_handler handlers[] = {
    {CORE_HANDLE, "message", NULL, NULL, on_message},
};

const struct core_module chat_module = {
    .name = "chat",
    .title = "Chats",
    .commands = commands,
    .ncommands = COUNT(commands),
    .handlers = handlers,
    .nhandlers = COUNT(handlers),
};
