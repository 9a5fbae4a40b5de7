/* Presence subscriptions (RFC 6121 §3): the /sub commands and the
 * subscription stanzas contacts send.  Requests not answered yet are kept
 * by roster.c, with its cache, until the user allows or denies them. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/roster.h"
#include "core/subscription.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/text.h"
#include "xmpp/stanza.h"

static const char *const sub_types[] = {"subscribe", "subscribed", "unsubscribe", "unsubscribed",
                                        NULL};

static const char *sub_type(const char *type)
{
	for (int i = 0; type && sub_types[i]; i++)
		if (!strcmp(type, sub_types[i]))
			return sub_types[i];
	return NULL;
}

static int on_subscription(struct core *core, xmpp_stanza_t *st)
{
	struct nt_event ev = {.kind = NT_EV_SUBSCRIPTION};
	const char *type = sub_type(xmpp_stanza_get_type(st)), *from = xmpp_stanza_get_from(st);
	const char *why = NULL;
	char *bare, *status, *cfrom = NULL, *cstatus = NULL;

	if (!type)
		return CORE_PASS;
	if (!from) {
		log_info("ignored a %s presence without a sender", type);
		return CORE_PASS;
	}
	/* RFC 6121 §3: subscriptions are between bare JIDs. */
	bare = jid_bare_of(from, &why);
	if (!bare) {
		log_info("ignored a %s presence from an invalid JID: %s", type,
		         why ? why : "invalid");
		return CORE_PASS;
	}
	status = st_child_text(st, "status");
	if (!strcmp(type, "subscribe")) {
		if (roster_request_add(core, bare, status))
			log_error("out of memory: the request from %s is not kept", bare);
	} else if (!strcmp(type, "unsubscribe")) {
		/* A request withdrawn before we answered it. */
		roster_request_drop(core, bare);
	}
	cfrom = core_clean(bare);
	cstatus = core_clean_text(status);
	if (!cfrom || (status && !cstatus)) {
		log_error("out of memory: a %s from %s was not shown", type, bare);
	} else {
		ev.u.subscription.from = cfrom;
		ev.u.subscription.type = type;
		ev.u.subscription.status = cstatus;
		core_emit(core, &ev);
	}
	free(cfrom);
	free(cstatus);
	free(status);
	free(bare);
	return CORE_PASS;
}

/* The bare JID a command names, normalised, or NULL (reported). */
static char *arg_bare(struct cmd_call *call)
{
	return core_checked_bare(CALL_CORE(call), CAUSE(call), call->argv[0]);
}

/* Sends <presence type=type to=to> with an optional status; 0 or -1 (reported). */
static int send_sub(struct cmd_call *call, const char *type, const char *to, const char *text)
{
	struct core *core = CALL_CORE(call);
	xmpp_stanza_t *p = xmpp_presence_new(core_ctx(core));
	char *status = text ? text_xml_safe(text) : NULL;
	int bad = !p || (text && !status);

	if (!bad) {
		bad |= xmpp_stanza_set_type(p, type) != XMPP_EOK;
		bad |= xmpp_stanza_set_to(p, to) != XMPP_EOK;
		if (status && *status)
			bad |= st_add_text(p, "status", status);
	}
	free(status);
	if (bad) {
		if (p)
			xmpp_stanza_release(p);
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		return -1;
	}
	if (core_send(core, p)) {
		core_error(core, CAUSE(call), "internal-server-error", "not sent");
		return -1;
	}
	return 0;
}

static int cmd_request(struct cmd_call *call)
{
	char *bare = arg_bare(call);
	int rc;

	if (!bare)
		return -1;
	rc = send_sub(call, "subscribe", bare, call->argc > 1 ? call->argv[1] : NULL);
	if (!rc)
		core_info(CALL_CORE(call), CAUSE(call), "asked %s to let you see their presence",
		          bare);
	free(bare);
	return rc;
}

static int cmd_allow(struct cmd_call *call)
{
	char *bare = arg_bare(call);
	int rc;

	if (!bare)
		return -1;
	rc = send_sub(call, "subscribed", bare, NULL);
	if (!rc) {
		/* Without a request this pre-approves one (RFC 6121 §3.4). */
		if (roster_request_drop(CALL_CORE(call), bare))
			core_info(CALL_CORE(call), CAUSE(call), "%s may now see your presence",
			          bare);
		else
			core_info(CALL_CORE(call), CAUSE(call),
			          "%s had not asked; they may see your presence once they do",
			          bare);
	}
	free(bare);
	return rc;
}

static int cmd_deny(struct cmd_call *call)
{
	char *bare = arg_bare(call);
	int rc;

	if (!bare)
		return -1;
	/* Refuses a pending request or revokes an existing subscription. */
	rc = send_sub(call, "unsubscribed", bare, NULL);
	if (!rc) {
		if (roster_request_drop(CALL_CORE(call), bare))
			core_info(CALL_CORE(call), CAUSE(call), "refused %s's request", bare);
		else
			core_info(CALL_CORE(call), CAUSE(call),
			          "%s may no longer see your presence", bare);
	}
	free(bare);
	return rc;
}

static int cmd_cancel(struct cmd_call *call)
{
	char *bare = arg_bare(call);
	int rc;

	if (!bare)
		return -1;
	rc = send_sub(call, "unsubscribe", bare, NULL);
	if (!rc)
		core_info(CALL_CORE(call), CAUSE(call), "you no longer see %s's presence", bare);
	free(bare);
	return rc;
}

static int cmd_pending(struct cmd_call *call)
{
	roster_requests_emit(CALL_CORE(call), CAUSE(call));
	return 0;
}

static const struct cmd_entry commands[] = {
    {.name = "sub request",
     .usage = "JID [MESSAGE]",
     .help = "ask to see JID's presence",
     .min_args = 1,
     .max_args = 2,
     .rest = true,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_request},
    {.name = "sub allow",
     .usage = "JID",
     .help = "let JID see your presence",
     .min_args = 1,
     .max_args = 1,
     .complete = {"@pending|@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_allow},
    {.name = "sub deny",
     .usage = "JID",
     .help = "refuse JID's request, or stop JID seeing your presence",
     .min_args = 1,
     .max_args = 1,
     .complete = {"@pending|@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_deny},
    {.name = "sub cancel",
     .usage = "JID",
     .help = "stop seeing JID's presence",
     .min_args = 1,
     .max_args = 1,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_cancel},
    {.name = "sub pending",
     .help = "list the subscription requests waiting for an answer",
     .exec = cmd_pending},
};

static const struct core_handler handlers[] = {
    {CORE_HANDLE, "presence", "subscribe", NULL, on_subscription},
    {CORE_HANDLE, "presence", "subscribed", NULL, on_subscription},
    {CORE_HANDLE, "presence", "unsubscribe", NULL, on_subscription},
    {CORE_HANDLE, "presence", "unsubscribed", NULL, on_subscription},
};

const struct core_module subscription_module = {
    .name = "subscription",
    .title = "Subscriptions",
    .commands = commands,
    .ncommands = COUNT(commands),
    .handlers = handlers,
    .nhandlers = COUNT(handlers),
};
