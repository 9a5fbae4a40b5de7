/* One-to-one messages and the account's own presence. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/text.h"

static const char *const shows[] = {"online", "chat", "away", "xa", "dnd", NULL};

static xmpp_stanza_t *text_child(xmpp_ctx_t *ctx, const char *name, const char *text)
{
	xmpp_stanza_t *el = xmpp_stanza_new(ctx), *t = xmpp_stanza_new(ctx);

	if (!el || !t) {
		if (el)
			xmpp_stanza_release(el);
		if (t)
			xmpp_stanza_release(t);
		return NULL;
	}
	xmpp_stanza_set_name(el, name);
	xmpp_stanza_set_text(t, text);
	xmpp_stanza_add_child(el, t);
	xmpp_stanza_release(t);
	return el;
}

static int add_text_child(xmpp_stanza_t *parent, const char *name, const char *text)
{
	xmpp_stanza_t *el = text_child(xmpp_stanza_get_context(parent), name, text);

	if (!el)
		return -1;
	xmpp_stanza_add_child(parent, el);
	xmpp_stanza_release(el);
	return 0;
}

/* ---- own presence ---- */

static void send_presence(struct core *core, bool available)
{
	xmpp_ctx_t *ctx = xs_ctx(core->xs);
	xmpp_stanza_t *p = xmpp_presence_new(ctx);
	char prio[8];
	int bad = !p;

	if (bad)
		goto fail;
	if (!available) {
		xmpp_stanza_set_type(p, "unavailable");
	} else {
		if (core->show)
			bad |= add_text_child(p, "show", core->show);
		snprintf(prio, sizeof prio, "%d", core->priority);
		bad |= add_text_child(p, "priority", prio);
	}
	if (core->status)
		bad |= add_text_child(p, "status", core->status);
	if (bad)
		goto fail;
	xs_send(core->xs, p);
	return;
fail:
	if (p)
		xmpp_stanza_release(p);
	core_error(core, "status", "internal-server-error", "out of memory: presence not sent");
}

void chat_announce(struct core *core)
{
	send_presence(core, true);
}

void chat_goodbye(struct core *core)
{
	send_presence(core, false);
}

static void warn_priority(struct core *core, const char *command)
{
	/* Seed 004: servers route nothing to a resource of negative priority. */
	if (core->priority < 0)
		core_info(core, command,
			  "priority %d is negative: the server will not deliver messages sent to "
			  "your bare JID to this client",
			  core->priority);
}

int chat_cmd_status(struct cmd_call *call)
{
	struct core *core = call->core;
	const char *show = call->argv[0];
	char *status = NULL, *newshow = NULL;
	int i;

	for (i = 0; shows[i] && strcmp(shows[i], show); i++)
		;
	if (!shows[i]) {
		if (!strcmp(show, "invisible"))
			core_error(core, CALL_NAME(call), "feature-not-implemented",
				   "invisible presence (XEP-0186) is not available in this build");
		else
			core_error(core, CALL_NAME(call), "bad-request",
				   "unknown status '%s' (online, chat, away, xa, dnd, invisible)",
				   show);
		return -1;
	}
	if ((call->argc > 1 && !(status = text_xml_safe(call->argv[1]))) ||
	    (i > 0 && !(newshow = strdup(show)))) {
		free(status);
		core_error(core, CALL_NAME(call), "internal-server-error", "out of memory");
		return -1;
	}
	free(core->show);
	free(core->status);
	core->show = newshow;
	core->status = status;
	if (core_online(core))
		send_presence(core, true);
	return 0;
}

int chat_cmd_priority(struct cmd_call *call)
{
	struct core *core = call->core;
	char *end;
	long v = strtol(call->argv[0], &end, 10);

	if (*end || end == call->argv[0] || v < -128 || v > 127) {
		core_error(core, CALL_NAME(call), "bad-request",
			   "priority must be a whole number from -128 to 127");
		return -1;
	}
	core->priority = (int)v;
	warn_priority(core, CALL_NAME(call));
	if (core_online(core))
		send_presence(core, true);
	return 0;
}

/* ---- messages ---- */

static void emit_own_message(struct core *core, const char *to, const char *id,
			     const char *text)
{
	struct nt_event ev = {.kind = NT_EV_MESSAGE};

	ev.u.message.from = core_jid(core);
	ev.u.message.to = to;
	ev.u.message.type = "chat";
	ev.u.message.id = id;
	ev.u.message.body = text;
	ev.u.message.outgoing = true;
	core_emit(core, &ev);
}

int chat_send_text(struct core *core, const char *to, const char *text, const char *command)
{
	xmpp_ctx_t *ctx = xs_ctx(core->xs);
	char *safe = text_xml_safe(text), *id = xs_make_id();
	xmpp_stanza_t *m = id ? xmpp_message_new(ctx, "chat", to, id) : NULL;
	int rc = -1;

	if (!safe || !m || xmpp_message_set_body(m, safe) != XMPP_EOK) {
		core_error(core, command, "internal-server-error", "out of memory: not sent");
	} else if (!*safe) {
		/* Only control characters: XML cannot carry them. */
		core_error(core, command, "bad-request",
			   "nothing to send once control characters are removed");
	} else {
		rc = xs_send(core->xs, m); /* takes the stanza, even on failure */
		m = NULL;
		if (rc)
			core_error(core, command, "internal-server-error", "out of memory: not sent");
		else
			emit_own_message(core, to, id, safe);
	}
	if (m)
		xmpp_stanza_release(m);
	free(id);
	free(safe);
	return rc;
}

/* Normalises a JID typed by the user; reports why it is bad. */
static char *checked_jid(struct core *core, const char *command, const char *s)
{
	struct jid j;
	const char *why = NULL;
	char *full;

	if (jid_parse(s, &j, &why)) {
		core_error(core, command, "jid-malformed", "'%s' is not a valid JID: %s", s,
			   why ? why : "invalid");
		return NULL;
	}
	full = jid_full(&j);
	jid_clear(&j);
	if (!full)
		core_error(core, command, "internal-server-error", "out of memory");
	return full;
}

int chat_cmd_msg(struct cmd_call *call)
{
	struct core *core = call->core;
	char *to = checked_jid(core, CALL_NAME(call), call->argv[0]);
	int rc = 0;

	if (!to)
		return -1;
	core_set_current_chat(core, to);
	if (call->argc > 1)
		rc = chat_send_text(core, to, call->argv[1], CALL_NAME(call));
	free(to);
	return rc;
}

int chat_cmd_say(struct cmd_call *call)
{
	struct core *core = call->core;

	if (!core->current_chat) {
		core_error(core, CALL_NAME(call), "bad-request",
			   "no conversation is open: /msg JID starts one");
		return -1;
	}
	return chat_send_text(core, core->current_chat, call->argv[0], CALL_NAME(call));
}

/* XEP-0203: the original time of a message stored by the server. */
static const char *delay_stamp(xmpp_stanza_t *st)
{
	xmpp_stanza_t *d = xmpp_stanza_get_child_by_name_and_ns(st, "delay", "urn:xmpp:delay");

	return d ? xmpp_stanza_get_attribute(d, "stamp") : NULL;
}

static char *child_text(xmpp_stanza_t *st, const char *name)
{
	xmpp_stanza_t *c = xmpp_stanza_get_child_by_name(st, name);

	return c ? xmpp_stanza_get_text(c) : NULL;
}

static int on_message(struct xs *xs, xmpp_stanza_t *st, void *ud)
{
	struct core *core = ud;
	struct nt_event ev = {.kind = NT_EV_MESSAGE};
	const char *type = xmpp_stanza_get_type(st);
	char *body = xmpp_message_get_body(st);
	char *thread = child_text(st, "thread");
	char *from = core_clean(xmpp_stanza_get_from(st));
	char *to = core_clean(xmpp_stanza_get_to(st));
	char *cbody = core_clean_text(body), *cthread = core_clean(thread);
	char *cid = core_clean(xmpp_stanza_get_id(st));
	char *ctype = core_clean(type ? type : "normal");
	char *stamp = core_clean(delay_stamp(st));

	if (body && cbody) {
		ev.u.message.from = from ? from : core->account.jid;
		ev.u.message.to = to ? to : core_jid(core);
		ev.u.message.type = ctype ? ctype : "normal";
		ev.u.message.id = cid;
		ev.u.message.body = cbody;
		ev.u.message.thread = cthread;
		ev.u.message.stamp = stamp;
		ev.u.message.delayed = stamp != NULL;
		core_emit(core, &ev);
	} else if (body) {
		log_error("out of memory: a message from %s was not shown", from ? from : "?");
	}
	xmpp_free(xmpp_stanza_get_context(st), body);
	xmpp_free(xmpp_stanza_get_context(st), thread);
	free(from);
	free(to);
	free(cbody);
	free(cthread);
	free(cid);
	free(ctype);
	free(stamp);
	return 1;
}

static int on_presence(struct xs *xs, xmpp_stanza_t *st, void *ud)
{
	struct core *core = ud;
	struct nt_event ev = {.kind = NT_EV_PRESENCE};
	const char *type = xmpp_stanza_get_type(st);
	char *show, *status, *prio, *from;

	/* Subscription handling comes with the roster; errors are logged. */
	if (type && strcmp(type, "unavailable")) {
		if (!strcmp(type, "error"))
			log_info("presence error from %s", xmpp_stanza_get_from(st));
		return 0;
	}
	show = child_text(st, "show");
	status = child_text(st, "status");
	prio = child_text(st, "priority");
	from = core_clean(xmpp_stanza_get_from(st));
	ev.u.presence.from = from ? from : "";
	ev.u.presence.type = type ? "unavailable" : "available";
	ev.u.presence.show = show ? core_clean(show) : NULL;
	ev.u.presence.status = status ? core_clean_text(status) : NULL;
	ev.u.presence.priority = prio ? atoi(prio) : 0;
	if (ev.u.presence.priority < -128 || ev.u.presence.priority > 127)
		ev.u.presence.priority = 0;
	core_emit(core, &ev);
	free((char *)ev.u.presence.show);
	free((char *)ev.u.presence.status);
	xmpp_free(xmpp_stanza_get_context(st), show);
	xmpp_free(xmpp_stanza_get_context(st), status);
	xmpp_free(xmpp_stanza_get_context(st), prio);
	free(from);
	return 1;
}

int chat_init(struct core *core)
{
	if (xs_handler_add(core->xs, "message", NULL, NULL, on_message, core) ||
	    xs_handler_add(core->xs, "presence", NULL, NULL, on_presence, core))
		return -1;
	return 0;
}
