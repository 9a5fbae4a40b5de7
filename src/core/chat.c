/* Messages: sending chats, and receiving every type (chat, normal, headline,
 * groupchat, error); what rides along with them is message.c's. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/xhtml.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/text.h"
#include "xmpp/stanza.h"

/* ---- messages ---- */

static void emit_own_message(struct core *core, const char *to, const char *id, const char *text,
                             const char *xhtml, const char *thread)
{
	struct nt_event ev = {.kind = NT_EV_MESSAGE};

	ev.u.message.from = core_jid(core);
	ev.u.message.to = to;
	ev.u.message.type = "chat";
	ev.u.message.id = id;
	ev.u.message.body = text;
	ev.u.message.xhtml = xhtml;
	ev.u.message.thread = thread;
	ev.u.message.outgoing = true;
	core_emit(core, &ev);
}

/* RFC 6121 §5.1: a chat with a bare JID goes to the resource that last
 * answered, while the presence module keeps that lock. */
static const char *chat_dest(struct core *core, const char *to)
{
	const char *dest = strchr(to, '/') ? to : presence_route(core, to);

	return dest ? dest : to;
}

int chat_send(struct core *core, const char *to, const char *text, xmpp_stanza_t *html,
              const char *command)
{
	xmpp_ctx_t *ctx = xs_ctx(core->xs);
	char *safe = text_xml_safe(text), *id = xs_make_id(), *shown = NULL, *dest = NULL;
	xmpp_stanza_t *m = NULL;
	int rc = -1;

	/* The route is copied: it lives only until the next presence change. */
	if (id && (dest = strdup(chat_dest(core, to))))
		m = xmpp_message_new(ctx, "chat", dest, id);
	if (!safe || !m || xmpp_message_set_body(m, safe) != XMPP_EOK ||
	    (html && (xmpp_stanza_add_child(m, html) != XMPP_EOK ||
	              xhtml_sanitize(html, &shown, NULL) < 0)) ||
	    message_decorate(core, m, dest)) {
		core_error(core, command, "internal-server-error", "out of memory: not sent");
	} else if (!*safe) {
		/* Only control characters: XML cannot carry them. */
		core_error(core, command, "bad-request",
		           "nothing to send once control characters are removed");
	} else {
		char *thread = st_child_text(m, "thread");

		rc = xs_send(core->xs, m); /* takes the stanza, even on failure */
		m = NULL;
		if (rc)
			core_error(core, command, "internal-server-error",
			           "out of memory: not sent");
		else
			emit_own_message(core, to, id, safe, shown, thread);
		free(thread);
	}
	if (m)
		xmpp_stanza_release(m);
	free(shown);
	free(dest);
	free(id);
	free(safe);
	return rc;
}

int chat_send_text(struct core *core, const char *to, const char *text, const char *command)
{
	return chat_send(core, to, text, NULL, command);
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

static int on_message(struct xs *xs, xmpp_stanza_t *st, void *ud)
{
	struct core *core = ud;
	struct nt_event ev = {.kind = NT_EV_MESSAGE};
	const char *type = xmpp_stanza_get_type(st), *rawfrom = xmpp_stanza_get_from(st);
	bool error = type && !strcmp(type, "error");
	xmpp_stanza_t *html = xmpp_stanza_get_child_by_name_and_ns(st, "html", NS_XHTML_IM);
	char *body = error ? error_body(st) : st_child_text(st, "body");
	char *thread = st_child_text(st, "thread");
	char *xhtml = NULL, *xtext = NULL;
	char *from = core_clean(rawfrom);
	char *to = core_clean(xmpp_stanza_get_to(st));
	char *cthread = core_clean(thread), *cid = core_clean(xmpp_stanza_get_id(st));
	char *ctype = core_clean(type ? type : "normal");
	char *stamp = core_clean(delay_stamp(st));
	char *cbody;
	bool content;

	(void)xs;
	/* A bounce's markup is our own message coming back: not worth showing. */
	if (html && !error && xhtml_sanitize(html, &xhtml, &xtext) < 0)
		xhtml = xtext = NULL;
	/* Without a plain body, the XHTML's text stands in for it. */
	if (!body || !*body) {
		free(body);
		body = xtext;
		xtext = NULL;
	}
	content = body && *body;
	cbody = core_clean_text(body);
	if (content && cbody) {
		ev.u.message.from = from ? from : core->account.jid;
		ev.u.message.to = to ? to : core_jid(core);
		ev.u.message.type = ctype ? ctype : "normal";
		ev.u.message.id = cid;
		ev.u.message.body = cbody;
		ev.u.message.xhtml = xhtml;
		ev.u.message.thread = cthread;
		ev.u.message.stamp = stamp;
		ev.u.message.delayed = stamp != NULL;
		core_emit(core, &ev);
		/* Chat states alone from another of the contact's devices (a phone
		 * going "inactive") must not steal the conversation: only content
		 * locks. */
		if (type && !strcmp(type, "chat") && rawfrom && strchr(rawfrom, '/'))
			presence_lock(core, rawfrom);
	} else if (content) {
		log_error("out of memory: a message from %s was not shown", from ? from : "?");
	}
	if (!error)
		message_incoming(core, st, content);
	free(body);
	free(thread);
	free(xhtml);
	free(xtext);
	free(from);
	free(to);
	free(cbody);
	free(cthread);
	free(cid);
	free(ctype);
	free(stamp);
	return 1;
}

int chat_init(struct core *core)
{
	if (xs_handler_add(core->xs, "message", NULL, NULL, on_message, core))
		return -1;
	return 0;
}
