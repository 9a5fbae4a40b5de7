/* Answers every client owes (XEP-0092 version, XEP-0199 ping) and the
 * matching requests: /version and /ping. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "core/core_internal.h"
#include "core/presence.h"
#include "core/replies.h"
#include "core/roster.h"
#include "util/jid.h"
#include "util/log.h"
#include "xmpp/stanza.h"

#define NS_VERSION "jabber:iq:version"
#define NS_PING    "urn:xmpp:ping"

#define REQUEST_TIMEOUT_MS 30000

/* Sends a finished answer, or an internal-server-error when building it
 * ran out of memory. */
static int answer(struct core *core, xmpp_stanza_t *iq, xmpp_stanza_t *res, int bad)
{
	if (bad || !res) {
		if (res)
			xmpp_stanza_release(res);
		core_iq_error(core, iq, "internal-server-error");
		return CORE_PASS;
	}
	core_send(core, res);
	return CORE_PASS;
}

static int on_version_get(struct core *core, xmpp_stanza_t *iq)
{
	xmpp_stanza_t *q, *res = core_iq_result(core, iq, NS_VERSION, &q);
	struct utsname u;
	int bad = !res;

	if (!bad) {
		bad |= st_add_text(q, "name", PACKAGE_NAME);
		bad |= st_add_text(q, "version", PACKAGE_VERSION);
		/* The OS helps attackers more than it helps peers: opt-in. */
		if (core_settings(core)->reveal_os && !uname(&u))
			bad |= st_add_text(q, "os", u.sysname);
	}
	return answer(core, iq, res, bad);
}

static int on_ping_get(struct core *core, xmpp_stanza_t *iq)
{
	return answer(core, iq, core_iq_result(core, iq, NULL, NULL), 0);
}

/* ---- requests ---- */

struct request {
	struct core *core;
	struct core_cause cause;
	char *to;
	uint64_t sent_ms;
};

static struct request *request_new(struct core *core, struct core_cause cause, const char *to)
{
	struct request *r = calloc(1, sizeof(*r));

	if (!r || (to && !(r->to = strdup(to)))) {
		free(r);
		core_error(core, cause, "internal-server-error", "out of memory");
		return NULL;
	}
	r->core = core;
	r->cause = cause;
	r->sent_ms = loop_time(core_loop(core));
	return r;
}

static void request_free(struct request *r)
{
	free(r->to);
	free(r);
}

/* Reports a failed request; returns 1 when reply was a failure. */
static int report_failure(struct request *r, xmpp_stanza_t *reply)
{
	return core_iq_failed(r->core, r->cause, r->to, reply);
}

static char *query_text(xmpp_stanza_t *q, const char *name)
{
	xmpp_stanza_t *c = q ? xmpp_stanza_get_child_by_name(q, name) : NULL;
	char *raw = c ? xmpp_stanza_get_text(c) : NULL;
	char *clean = core_clean(raw);

	if (raw)
		xmpp_free(xmpp_stanza_get_context(q), raw);
	return clean;
}

static void version_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct request *r = ud;
	struct nt_event ev = {.kind = NT_EV_VERSION, .origin = r->cause.origin};
	xmpp_stanza_t *q;
	char *name, *version, *os, *from;

	if (report_failure(r, reply)) {
		request_free(r);
		return;
	}
	q = xmpp_stanza_get_child_by_ns(reply, NS_VERSION);
	name = query_text(q, "name");
	version = query_text(q, "version");
	os = query_text(q, "os");
	from = core_clean(xmpp_stanza_get_from(reply));
	ev.u.version.from = from ? from : r->to;
	ev.u.version.name = name ? name : "";
	ev.u.version.version = version ? version : "";
	ev.u.version.os = os;
	core_emit(core, &ev);
	free(name);
	free(version);
	free(os);
	free(from);
	request_free(r);
}

static void ping_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct request *r = ud;
	struct nt_event ev = {.kind = NT_EV_PONG, .origin = r->cause.origin};
	char *from;

	if (report_failure(r, reply)) {
		request_free(r);
		return;
	}
	from = core_clean(xmpp_stanza_get_from(reply));
	if (!from && !r->to)
		from = core_server(r->core);
	ev.u.pong.from = from ? from : (r->to ? r->to : "");
	ev.u.pong.rtt_ms = (long)(loop_time(core_loop(core)) - r->sent_ms);
	core_emit(core, &ev);
	free(from);
	request_free(r);
}

/* Sends <iq type=get to=to><query xmlns=ns/></iq> (name "ping" for the
 * ping namespace) and hands the answer to fn. */
static int send_get(struct cmd_call *call, const char *to, const char *name, const char *ns,
                    core_iq_fn fn)
{
	struct core *core = CALL_CORE(call);
	struct request *r;
	xmpp_stanza_t *iq, *q;
	char *jid = NULL;

	if (to && !(jid = roster_resolve(core, CAUSE(call), to)))
		return -1;
	/* A contact's bare JID is answered by their server on their behalf
	 * (or not at all): ask the client they use most, as people mean. */
	if (jid && strchr(jid, '@') && !strchr(jid, '/')) {
		const char *best = presence_best(core, jid);
		char *full = best ? strdup(best) : NULL;

		if (!full) {
			if (best)
				core_error(core, CAUSE(call), "internal-server-error",
				           "out of memory");
			else
				core_error(core, CAUSE(call), "recipient-unavailable",
				           "%s is offline: no client to ask", jid);
			free(jid);
			return -1;
		}
		free(jid);
		jid = full;
	}
	r = request_new(core, CAUSE(call), jid);
	iq = r ? xmpp_iq_new(core_ctx(core), "get", NULL) : NULL;
	q = iq ? st_element(core_ctx(core), name, ns) : NULL;
	if (!q) {
		if (iq)
			xmpp_stanza_release(iq);
		if (r) {
			request_free(r);
			core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		}
		free(jid);
		return -1;
	}
	if (jid)
		xmpp_stanza_set_to(iq, jid);
	free(jid);
	xmpp_stanza_add_child(iq, q);
	xmpp_stanza_release(q);
	if (core_iq_send(core, iq, REQUEST_TIMEOUT_MS, fn, r)) {
		core_error(core, CAUSE(call), "not-connected", "not sent: not connected");
		request_free(r);
		return -1;
	}
	return 0;
}

static int cmd_version(struct cmd_call *call)
{
	return send_get(call, call->argv[0], "query", NS_VERSION, version_answer);
}

static int cmd_ping(struct cmd_call *call)
{
	return send_get(call, call->argc ? call->argv[0] : NULL, "ping", NS_PING, ping_answer);
}

static const struct cmd_entry commands[] = {
    {.name = "version",
     .usage = "JID",
     .help = "ask which software JID runs (XEP-0092)",
     .min_args = 1,
     .max_args = 1,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_version},
    {.name = "ping",
     .usage = "[JID]",
     .help = "measure the round trip to JID or the server",
     .max_args = 1,
     .complete = {"@jid"},
     .flags = CMD_ONLINE,
     .exec = cmd_ping},
};

static const struct core_handler handlers[] = {
    {CORE_HANDLE, "iq", "get", NS_VERSION, on_version_get},
    {CORE_HANDLE, "iq", "get", NS_PING, on_ping_get},
};

static const char *const features[] = {NS_VERSION, NS_PING, NULL};

const struct core_module replies_module = {
    .name = "replies",
    .title = "Asking other entities",
    .commands = commands,
    .ncommands = COUNT(commands),
    .handlers = handlers,
    .nhandlers = COUNT(handlers),
    .features = features,
};
