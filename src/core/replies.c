/* Answers every client owes (XEP-0092 version, XEP-0199 ping) and the
 * matching requests: /version and /ping. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "core/core_internal.h"
#include "util/jid.h"
#include "util/log.h"
#include "xmpp/stanza.h"

#define NS_VERSION "jabber:iq:version"
#define NS_PING "urn:xmpp:ping"


#define REQUEST_TIMEOUT_MS 30000

/* An empty result to an iq, carrying a <query xmlns=ns/> when ns is set. */
static xmpp_stanza_t *result_for(struct xs *xs, xmpp_stanza_t *iq, const char *ns,
				 xmpp_stanza_t **query)
{
	xmpp_stanza_t *res = xmpp_iq_new(xs_ctx(xs), "result", xmpp_stanza_get_id(iq));
	const char *from = xmpp_stanza_get_from(iq);

	*query = NULL;
	if (!res)
		return NULL;
	if (from)
		xmpp_stanza_set_to(res, from);
	if (ns) {
		*query = st_element(xs_ctx(xs), "query", ns);
		if (!*query) {
			xmpp_stanza_release(res);
			return NULL;
		}
		xmpp_stanza_add_child(res, *query);
		xmpp_stanza_release(*query);
	}
	return res;
}

/* Sends a finished answer, or an internal-server-error when building it
 * ran out of memory; always "handled". */
static int answer(struct xs *xs, xmpp_stanza_t *iq, xmpp_stanza_t *res, int bad)
{
	if (bad || !res) {
		if (res)
			xmpp_stanza_release(res);
		xs_iq_error(xs, iq, "internal-server-error");
		return 1;
	}
	xs_send(xs, res);
	return 1;
}

static int on_version_get(struct xs *xs, xmpp_stanza_t *iq, void *ud)
{
	struct core *core = ud;
	xmpp_stanza_t *q, *res = result_for(xs, iq, NS_VERSION, &q);
	struct utsname u;
	int bad = !res;

	if (!bad) {
		bad |= st_add_text(q, "name", PACKAGE_NAME);
		bad |= st_add_text(q, "version", PACKAGE_VERSION);
		/* The OS helps attackers more than it helps peers: opt-in. */
		if (core->reveal_os && !uname(&u))
			bad |= st_add_text(q, "os", u.sysname);
	}
	return answer(xs, iq, res, bad);
}

static int on_ping_get(struct xs *xs, xmpp_stanza_t *iq, void *ud)
{
	xmpp_stanza_t *q, *res = result_for(xs, iq, NULL, &q);

	return answer(xs, iq, res, 0);
}

int replies_init(struct core *core)
{
	if (xs_handler_add(core->xs, "iq", NS_VERSION, "get", on_version_get, core) ||
	    xs_handler_add(core->xs, "iq", NS_PING, "get", on_ping_get, core) ||
	    disco_add_feature(core, NS_VERSION) || disco_add_feature(core, NS_PING))
		return -1;
	return 0;
}

/* ---- requests ---- */

struct request {
	struct core *core;
	const char *command;
	char *to;
	uint64_t sent_ms;
};

static struct request *request_new(struct core *core, const char *command, const char *to)
{
	struct request *r = calloc(1, sizeof(*r));

	if (!r || (to && !(r->to = strdup(to)))) {
		free(r);
		core_error(core, command, "internal-server-error", "out of memory");
		return NULL;
	}
	r->core = core;
	r->command = command;
	r->sent_ms = loop_now_ms();
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
	return core_iq_failed(r->core, r->command, r->to, reply);
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

static void version_answer(struct xs *xs, xmpp_stanza_t *reply, void *ud)
{
	struct request *r = ud;
	struct nt_event ev = {.kind = NT_EV_VERSION};
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
	core_emit(r->core, &ev);
	free(name);
	free(version);
	free(os);
	free(from);
	request_free(r);
}

static void ping_answer(struct xs *xs, xmpp_stanza_t *reply, void *ud)
{
	struct request *r = ud;
	struct nt_event ev = {.kind = NT_EV_PONG};
	char *from;

	if (report_failure(r, reply)) {
		request_free(r);
		return;
	}
	from = core_clean(xmpp_stanza_get_from(reply));
	if (!from && !r->to)
		from = core_server(r->core);
	ev.u.pong.from = from ? from : (r->to ? r->to : "");
	ev.u.pong.rtt_ms = (long)(loop_now_ms() - r->sent_ms);
	core_emit(r->core, &ev);
	free(from);
	request_free(r);
}

/* Sends <iq type=get to=to><query xmlns=ns/></iq> (name "ping" for the
 * ping namespace) and hands the answer to fn. */
static int send_get(struct cmd_call *call, const char *to, const char *name, const char *ns,
		    xs_iq_fn fn)
{
	struct core *core = call->core;
	struct request *r;
	xmpp_stanza_t *iq, *q;
	char *jid = NULL;

	if (to && !(jid = core_checked_jid(core, CALL_NAME(call), to)))
		return -1;
	r = request_new(core, CALL_NAME(call), jid);
	iq = r ? xmpp_iq_new(xs_ctx(core->xs), "get", NULL) : NULL;
	q = iq ? st_element(xs_ctx(core->xs), name, ns) : NULL;
	if (!q) {
		if (iq)
			xmpp_stanza_release(iq);
		if (r) {
			request_free(r);
			core_error(core, CALL_NAME(call), "internal-server-error", "out of memory");
		}
		free(jid);
		return -1;
	}
	if (jid)
		xmpp_stanza_set_to(iq, jid);
	free(jid);
	xmpp_stanza_add_child(iq, q);
	xmpp_stanza_release(q);
	if (xs_iq_send(core->xs, iq, REQUEST_TIMEOUT_MS, fn, r)) {
		core_error(core, CALL_NAME(call), "not-connected", "not sent: not connected");
		request_free(r);
		return -1;
	}
	return 0;
}

int replies_cmd_version(struct cmd_call *call)
{
	return send_get(call, call->argv[0], "query", NS_VERSION, version_answer);
}

int replies_cmd_ping(struct cmd_call *call)
{
	return send_get(call, call->argc ? call->argv[0] : NULL, "ping", NS_PING, ping_answer);
}
