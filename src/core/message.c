/* What rides along with messages: XEP-0184 receipts, XEP-0085 chat states
 * (and XEP-0022 composing events, received only), conversation threads,
 * and sending XEP-0071 XHTML-IM once the peer is known to render it. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/chat.h"
#include "core/core_internal.h"
#include "core/disco.h"
#include "core/history.h"
#include "core/message.h"
#include "core/presence.h"
#include "core/roster.h"
#include "core/xhtml.h"
#include "util/jid.h"
#include "util/log.h"
#include "xmpp/stanza.h"

#define NS_EVENT "jabber:x:event"
#define NS_HINTS "urn:xmpp:hints"

/* Bounds on what peers can make us remember. */
#define MAX_PEERS   512
#define MAX_THREAD  256
#define MAX_PENDING 32

static const char *const states[] = {"active", "composing", "paused", "inactive", "gone"};

/* What we learnt about one contact (by bare JID key). */
struct peer {
	char *key;
	bool chatstates; /* it has sent us a XEP-0085 state */
	char *thread;    /* the thread of its last message, kept in our replies */
};

/* An /xhtml waiting for the peer's disco#info.  The markup is kept rather
 * than the stanza: stanzas belong to the session's context, which may be
 * gone before the answer comes. */
struct pending {
	unsigned serial;
	struct core_cause cause;
	char *to, *markup;
};

struct message_state {
	struct peer *peers;
	size_t npeers;
	struct pending *pending;
	size_t npending;
	unsigned next_serial;
};

static struct message_state *mst(struct core *core)
{
	return core_state(core, &message_module);
}

/* ---- peers ---- */

static struct peer *peer_find(struct core *core, const char *jid, bool create)
{
	struct message_state *ms = mst(core);
	char *key = jid && ms ? jid_bare_key(jid, NULL) : NULL;
	struct peer *p;

	if (!key)
		return NULL;
	for (size_t i = 0; i < ms->npeers; i++) {
		if (!strcmp(ms->peers[i].key, key)) {
			free(key);
			return &ms->peers[i];
		}
	}
	if (!create) {
		free(key);
		return NULL;
	}
	if (ms->npeers == MAX_PEERS) {
		/* Forget the oldest: spam from many addresses must not grow this. */
		free(ms->peers[0].key);
		free(ms->peers[0].thread);
		memmove(ms->peers, ms->peers + 1, --ms->npeers * sizeof(*ms->peers));
	}
	p = realloc(ms->peers, (ms->npeers + 1) * sizeof(*p));
	if (!p) {
		free(key);
		return NULL;
	}
	ms->peers = p;
	p = &ms->peers[ms->npeers++];
	*p = (struct peer){.key = key};
	return p;
}

/* ---- outgoing ---- */

/* What a chat message to dest calls for: the conversation's thread, a
 * receipt request, <active/>. */
static int message_decorate(struct core *core, xmpp_stanza_t *m, struct chat_out *o)
{
	const char *dest = o->dest;
	struct peer *p;
	bool full = strchr(dest, '/') != NULL;

	/* Not in a room: every occupant would answer a receipt request, and
	 * a room has no thread or chat state of one peer. */
	if (o->groupchat)
		return 0;
	p = peer_find(core, dest, false);
	if (p && p->thread && st_add_text(m, "thread", p->thread))
		return -1;
	/* XEP-0184 §5: to a bare JID we cannot know which client will get it, so
	 * we always ask; to a full JID we ask unless disco says that client does
	 * not do receipts.  A client that does not know the element ignores
	 * it, so asking when in doubt costs nothing. */
	if (core_settings(core)->receipts &&
	    (!full || disco_known_feature(core, dest, NS_RECEIPTS) != 0) &&
	    !st_add_element(m, "request", NS_RECEIPTS))
		return -1;
	/* XEP-0085 §5.1: chat states only to a peer known to support them. */
	if (((p && p->chatstates) ||
	     (full && disco_known_feature(core, dest, NS_CHATSTATES) == 1)) &&
	    !st_add_element(m, "active", NS_CHATSTATES))
		return -1;
	return 0;
}

/* ---- incoming ---- */

static void answer_receipt(struct core *core, xmpp_stanza_t *st, const char *from)
{
	const char *id = xmpp_stanza_get_id(st);
	char *rid = core_make_id();
	xmpp_stanza_t *m = rid ? xmpp_message_new(core_ctx(core), NULL, from, rid) : NULL;
	xmpp_stanza_t *rec = m ? st_add_element(m, "received", NS_RECEIPTS) : NULL;

	if (!rec || xmpp_stanza_set_attribute(rec, "id", id) != XMPP_EOK) {
		log_error("out of memory: no receipt sent to %s", from);
		if (m)
			xmpp_stanza_release(m);
	} else if (core_send(core, m)) {
		log_error("out of memory: no receipt sent to %s", from);
	}
	free(rid);
}

static void emit_receipt(struct core *core, xmpp_stanza_t *st, xmpp_stanza_t *rec)
{
	struct nt_event ev = {.kind = NT_EV_RECEIPT};
	const char *id = xmpp_stanza_get_attribute(rec, "id");
	char *from, *cid;

	/* Receipts 1.0 left out the id and reused the message's own. */
	if (!id)
		id = xmpp_stanza_get_id(st);
	if (!id)
		return;
	{
		char *peer = jid_bare_key(xmpp_stanza_get_from(st), NULL);
		int known = peer ? history_delivery(core, peer, id, STORE_DELIVERED) : 0;

		free(peer);
		/* Only for a message we sent that peer: anyone can claim to
		 * have received an id (without a store we cannot tell). */
		if (!known) {
			log_info("ignored a receipt for a message we never sent");
			return;
		}
	}
	from = core_clean(xmpp_stanza_get_from(st));
	cid = core_clean(id);
	if (from && cid) {
		ev.u.receipt.from = from;
		ev.u.receipt.id = cid;
		core_emit(core, &ev);
	}
	free(from);
	free(cid);
}

static void emit_state(struct core *core, const char *rawfrom, const char *state)
{
	struct nt_event ev = {.kind = NT_EV_CHAT_STATE};
	char *from = core_clean(rawfrom);

	if (!from)
		return;
	ev.u.chat_state.from = from;
	ev.u.chat_state.state = state;
	core_emit(core, &ev);
	free(from);
}

/* XEP-0085, else XEP-0022: the state the message carries, or NULL. */
static const char *incoming_state(xmpp_stanza_t *st, bool has_content, bool *xep85)
{
	xmpp_stanza_t *x;

	*xep85 = false;
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		if (xmpp_stanza_get_child_by_name_and_ns(st, states[i], NS_CHATSTATES)) {
			*xep85 = true;
			return states[i];
		}
	}
	/* With a body, jabber:x:event asks us for events; only a notification
	 * (no body) tells what the peer does: composing, or an empty one that
	 * cancels it. */
	x = xmpp_stanza_get_child_by_name_and_ns(st, "x", NS_EVENT);
	if (!x || has_content)
		return NULL;
	return xmpp_stanza_get_child_by_name(x, "composing") ? "composing" : "paused";
}

static void remember_thread(struct core *core, xmpp_stanza_t *st, const char *from)
{
	char *thread = st_child_text(st, "thread");
	struct peer *p;

	if (thread && strlen(thread) > MAX_THREAD) {
		free(thread);
		thread = NULL;
	}
	/* The latest message sets it: a peer that stops using a thread (or
	 * starts a new one) gets replies in the same way. */
	p = peer_find(core, from, thread != NULL);
	if (p) {
		free(p->thread);
		p->thread = thread;
	} else {
		free(thread);
	}
}

void message_incoming(struct core *core, xmpp_stanza_t *st, bool has_content)
{
	const char *from = xmpp_stanza_get_from(st), *type = xmpp_stanza_get_type(st);
	bool groupchat = type && !strcmp(type, "groupchat"), xep85;
	xmpp_stanza_t *rec = xmpp_stanza_get_child_by_name_and_ns(st, "received", NS_RECEIPTS);
	const char *state;

	if (!from || !mst(core))
		return;
	/* XEP-0184 §5.4/§5.5: never for groupchat, never a receipt for a
	 * receipt, and only with an id to quote. */
	if (rec) {
		if (!groupchat)
			emit_receipt(core, st, rec);
	} else if (!groupchat && xmpp_stanza_get_id(st) &&
	           xmpp_stanza_get_child_by_name_and_ns(st, "request", NS_RECEIPTS)) {
		/* XEP-0184 §8: a receipt tells the sender we are online; only
		 * those allowed to see our presence get one. */
		if (core_settings(core)->receipts && roster_sees_us(core, from))
			answer_receipt(core, st, from);
		else
			log_info("no receipt to a sender who may not see our presence");
	}
	state = incoming_state(st, has_content, &xep85);
	if (state) {
		emit_state(core, from, state);
		if (xep85 && !groupchat) {
			struct peer *p = peer_find(core, from, true);

			if (p)
				p->chatstates = true;
		}
	}
	if (has_content && !groupchat && (!type || strcmp(type, "headline")))
		remember_thread(core, st, from);
}

/* ---- commands ---- */

/* Sends a standalone chat state to jid (checked and routed here); errors
 * are reported for command. */
static int send_state(struct core *core, const char *jid, const char *name, struct core_cause cause)
{
	const char *state = NULL, *dest;
	char *to, *id = NULL;
	xmpp_stanza_t *m = NULL;
	int rc = -1;

	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (!strcmp(name, states[i]))
			state = states[i];
	if (!state) {
		core_error(core, cause, "bad-request",
		           "'%s' is not a chat state: active, composing, paused, inactive or gone",
		           name);
		return -1;
	}
	to = core_checked_jid(core, cause, jid);
	if (!to)
		return -1;
	dest = strchr(to, '/') ? to : presence_route(core, to);
	if ((id = core_make_id()))
		m = xmpp_message_new(core_ctx(core), "chat", dest ? dest : to, id);
	/* XEP-0085 §5.5: a standalone notification is not worth storing
	 * offline. */
	if (!m || !st_add_element(m, state, NS_CHATSTATES) ||
	    !st_add_element(m, "no-store", NS_HINTS)) {
		core_error(core, cause, "internal-server-error", "out of memory: not sent");
	} else {
		rc = core_send(core, m);
		m = NULL;
		if (rc)
			core_error(core, cause, "internal-server-error", "out of memory: not sent");
	}
	if (m)
		xmpp_stanza_release(m);
	free(id);
	free(to);
	return rc;
}

static int cmd_state(struct cmd_call *call)
{
	return send_state(CALL_CORE(call), call->argv[0], call->argv[1], CAUSE(call));
}

int core_chat_state(struct core *core, const char *jid, const char *state)
{
	struct peer *p = peer_find(core, jid, false);

	/* XEP-0085 §5.1: typing notifications only to those known to want
	 * them: their caps say so, or they have sent us chat states. */
	if (!core_online(core) || !core_settings(core)->typing ||
	    !((p && p->chatstates) || disco_known_feature(core, jid, NS_CHATSTATES) == 1))
		return 0;
	return send_state(core, jid, state, NO_CAUSE);
}

static void pending_drop(struct message_state *ms, size_t i)
{
	free(ms->pending[i].to);
	free(ms->pending[i].markup);
	ms->pending[i] = ms->pending[--ms->npending];
}

/* Sends the plain body alone, and says why the markup stayed here. */
static void send_plain(struct core *core, struct core_cause cause, const char *to,
                       const char *markup, const char *why)
{
	char *text = NULL;
	const char *err;
	xmpp_stanza_t *html = xhtml_build(core_ctx(core), markup, &text, &err);

	if (!html) {
		core_error(core, cause, "internal-server-error", "%s", err);
		return;
	}
	xmpp_stanza_release(html);
	if (!chat_send(core, to, text, NULL, cause))
		core_info(core, cause, "%s: sent as plain text", why);
	free(text);
}

/* disco_check_feature's answer.  ud is the serial of the pending send, not a
 * pointer: the answer may come after message_free(). */
static void on_xhtml_checked(struct core *core, const char *jid, int supported, void *ud)
{
	struct message_state *ms = mst(core);
	unsigned serial = (unsigned)(uintptr_t)ud;
	size_t i;
	char *why = NULL;

	if (!ms)
		return;
	for (i = 0; i < ms->npending && ms->pending[i].serial != serial; i++)
		;
	if (i == ms->npending)
		return;
	if (supported == 1) {
		char *text = NULL;
		const char *err;
		xmpp_stanza_t *html =
		    xhtml_build(core_ctx(core), ms->pending[i].markup, &text, &err);

		if (!html) {
			core_error(core, ms->pending[i].cause, "internal-server-error", "%s", err);
		} else {
			chat_send(core, ms->pending[i].to, text, html, ms->pending[i].cause);
			xmpp_stanza_release(html);
		}
		free(text);
	} else {
		if (asprintf(&why,
		             supported ? "could not learn whether %s renders XHTML-IM"
		                       : "%s does not announce XHTML-IM",
		             jid ? jid : ms->pending[i].to) < 0)
			why = NULL;
		send_plain(core, ms->pending[i].cause, ms->pending[i].to, ms->pending[i].markup,
		           why ? why : "no XHTML-IM");
		free(why);
	}
	/* Sending may not have touched the array, but look again to be sure. */
	for (i = 0; i < ms->npending; i++)
		if (ms->pending[i].serial == serial)
			pending_drop(ms, i);
}

static int cmd_xhtml(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct message_state *ms = mst(core);
	const char *markup = call->argv[1], *why = NULL, *dest, *check;
	char *to, *text = NULL;
	xmpp_stanza_t *html;
	struct pending *p;
	unsigned serial;

	to = core_checked_jid(core, CAUSE(call), call->argv[0]);
	if (!to)
		return -1;
	html = xhtml_build(core_ctx(core), markup, &text, &why);
	if (!html) {
		core_error(core, CAUSE(call), "bad-request", "%s", why);
		free(to);
		return -1;
	}
	xmpp_stanza_release(html);
	free(text);
	/* Ask the client that will get it: the locked resource, else the one
	 * the server would pick.  A bare JID's disco#info is the account's,
	 * which says nothing about any client. */
	dest = strchr(to, '/') ? to : presence_route(core, to);
	check = dest && strchr(dest, '/') ? dest : presence_best(core, to);
	if (!check) {
		send_plain(core, CAUSE(call), to, markup,
		           "no available resource to ask about XHTML-IM");
		free(to);
		return 0;
	}
	if (ms->npending == MAX_PENDING ||
	    !(p = realloc(ms->pending, (ms->npending + 1) * sizeof(*p)))) {
		core_error(core, CAUSE(call), "resource-constraint",
		           "too many formatted messages wait for an answer: not sent");
		free(to);
		return -1;
	}
	ms->pending = p;
	serial = ++ms->next_serial;
	p = &ms->pending[ms->npending];
	*p = (struct pending){
	    .serial = serial, .cause = CAUSE(call), .to = to, .markup = strdup(markup)};
	if (!p->markup) {
		free(to);
		core_error(core, CAUSE(call), "internal-server-error", "out of memory: not sent");
		return -1;
	}
	ms->npending++;
	if (disco_check_feature(core, check, NS_XHTML_IM, on_xhtml_checked,
	                        (void *)(uintptr_t)serial)) {
		/* The callback may or may not have run: it removes what it handles. */
		for (size_t i = 0; i < ms->npending; i++) {
			if (ms->pending[i].serial == serial) {
				send_plain(core, ms->pending[i].cause, ms->pending[i].to,
				           ms->pending[i].markup, "could not ask about XHTML-IM");
				pending_drop(ms, i);
				break;
			}
		}
	}
	return 0;
}

/* ---- life cycle ---- */

static int message_init(struct core *core)
{
	struct message_state *ms = calloc(1, sizeof(*ms));

	if (!ms)
		return -1;
	core_set_state(core, &message_module, ms);
	return 0;
}

static void message_free(struct core *core)
{
	struct message_state *ms = mst(core);

	if (!ms)
		return;
	for (size_t i = 0; i < ms->npeers; i++) {
		free(ms->peers[i].key);
		free(ms->peers[i].thread);
	}
	while (ms->npending)
		pending_drop(ms, 0);
	free(ms->peers);
	free(ms->pending);
	free(ms);
	core_set_state(core, &message_module, NULL);
}

static const struct cmd_entry commands[] = {
    {.name = "state",
     .usage = "JID active|composing|paused|inactive|gone",
     .help = "send a chat state (XEP-0085)",
     .min_args = 2,
     .max_args = 2,
     .complete = {"@jid", "active|composing|paused|inactive|gone"},
     .flags = CMD_ONLINE,
     .exec = cmd_state},
    {.name = "xhtml",
     .usage = "JID XHTML-BODY",
     .help = "send formatted text (XEP-0071) with a plain fallback",
     .min_args = 2,
     .max_args = 2,
     .rest = true,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_xhtml},
};

/* The receiving half of each lives in chat.c's handler and here. */
static const char *const features[] = {NS_CHATSTATES, NS_RECEIPTS, NS_XHTML_IM, NULL};

const struct core_module message_module = {
    .name = "message",
    .title = "Chats",
    .init = message_init,
    .free = message_free,
    .commands = commands,
    .ncommands = COUNT(commands),
    .features = features,
    .decorate = message_decorate,
};
