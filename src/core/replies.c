/* Answers every client owes (XEP-0030 disco#info, XEP-0092 version,
 * XEP-0199 ping) and the matching requests: /version and /ping. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "core/core_internal.h"
#include "util/jid.h"
#include "util/log.h"

#define NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define NS_VERSION "jabber:iq:version"
#define NS_PING "urn:xmpp:ping"

/* The features natter really implements; disco#info reports exactly these. */
static const char *const features[] = {NS_DISCO_INFO, NS_VERSION, NS_PING, NULL};

#define REQUEST_TIMEOUT_MS 30000

static xmpp_stanza_t *element(xmpp_ctx_t *ctx, const char *name, const char *ns)
{
	xmpp_stanza_t *el = xmpp_stanza_new(ctx);

	if (el) {
		xmpp_stanza_set_name(el, name);
		if (ns)
			xmpp_stanza_set_ns(el, ns);
	}
	return el;
}

/* Adds <name>text</name> to parent; 0 or -1. */
static int add_text(xmpp_stanza_t *parent, const char *name, const char *text)
{
	xmpp_ctx_t *ctx = xmpp_stanza_get_context(parent);
	xmpp_stanza_t *el = element(ctx, name, NULL), *t = xmpp_stanza_new(ctx);

	if (!el || !t) {
		if (el)
			xmpp_stanza_release(el);
		if (t)
			xmpp_stanza_release(t);
		return -1;
	}
	xmpp_stanza_set_text(t, text);
	xmpp_stanza_add_child(el, t);
	xmpp_stanza_release(t);
	xmpp_stanza_add_child(parent, el);
	xmpp_stanza_release(el);
	return 0;
}

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
		*query = element(xs_ctx(xs), "query", ns);
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
		bad |= add_text(q, "name", PACKAGE_NAME);
		bad |= add_text(q, "version", PACKAGE_VERSION);
		/* The OS helps attackers more than it helps peers: opt-in. */
		if (core->reveal_os && !uname(&u))
			bad |= add_text(q, "os", u.sysname);
	}
	return answer(xs, iq, res, bad);
}

static int on_ping_get(struct xs *xs, xmpp_stanza_t *iq, void *ud)
{
	xmpp_stanza_t *q, *res = result_for(xs, iq, NULL, &q);

	return answer(xs, iq, res, 0);
}

static int on_disco_info_get(struct xs *xs, xmpp_stanza_t *iq, void *ud)
{
	xmpp_stanza_t *q, *res = result_for(xs, iq, NS_DISCO_INFO, &q), *id;
	xmpp_stanza_t *in = xmpp_stanza_get_child_by_ns(iq, NS_DISCO_INFO);
	const char *node = in ? xmpp_stanza_get_attribute(in, "node") : NULL;
	int bad = !res;

	/* Nodes come with entity capabilities; none exist yet. */
	if (node) {
		if (res)
			xmpp_stanza_release(res);
		xs_iq_error(xs, iq, "item-not-found");
		return 1;
	}
	if (!bad) {
		id = element(xs_ctx(xs), "identity", NULL);
		bad |= !id;
		if (id) {
			xmpp_stanza_set_attribute(id, "category", "client");
			xmpp_stanza_set_attribute(id, "type", "console");
			xmpp_stanza_set_attribute(id, "name", PACKAGE_NAME);
			xmpp_stanza_add_child(q, id);
			xmpp_stanza_release(id);
		}
		for (int i = 0; features[i] && !bad; i++) {
			xmpp_stanza_t *f = element(xs_ctx(xs), "feature", NULL);

			bad |= !f;
			if (f) {
				xmpp_stanza_set_attribute(f, "var", features[i]);
				xmpp_stanza_add_child(q, f);
				xmpp_stanza_release(f);
			}
		}
	}
	return answer(xs, iq, res, bad);
}

int replies_init(struct core *core)
{
	if (xs_handler_add(core->xs, "iq", NS_VERSION, "get", on_version_get, core) ||
	    xs_handler_add(core->xs, "iq", NS_PING, "get", on_ping_get, core) ||
	    xs_handler_add(core->xs, "iq", NS_DISCO_INFO, "get", on_disco_info_get, core))
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
	xmpp_stanza_t *err, *c;
	const char *cond = "undefined-condition";
	char *text = NULL, *to;

	if (!reply) {
		core_error(r->core, r->command, "remote-server-timeout", "no answer from %s",
			   r->to ? r->to : "the server");
		return 1;
	}
	if (strcmp(xmpp_stanza_get_type(reply), "error"))
		return 0;
	err = xmpp_stanza_get_child_by_name(reply, "error");
	for (c = err ? xmpp_stanza_get_children(err) : NULL; c; c = xmpp_stanza_get_next(c)) {
		const char *name = xmpp_stanza_get_name(c);

		if (!name)
			continue;
		if (!strcmp(name, "text"))
			text = xmpp_stanza_get_text(c);
		else
			cond = name;
	}
	to = core_clean(r->to ? r->to : "the server");
	{
		char *ctext = core_clean(text), *ccond = core_clean(cond);

		core_error(r->core, r->command, ccond ? ccond : "undefined-condition", "%s: %s",
			   to ? to : "?", ctext ? ctext : (ccond ? ccond : "error"));
		free(ctext);
		free(ccond);
	}
	free(to);
	if (text)
		xmpp_free(xmpp_stanza_get_context(reply), text);
	return 1;
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

/* The domain of our own JID: who answers when we address nobody. */
static char *server_of(struct core *core)
{
	struct jid j;
	char *domain;

	if (jid_parse(core_jid(core), &j, NULL))
		return NULL;
	domain = j.domain;
	j.domain = NULL;
	jid_clear(&j);
	return domain;
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
		from = server_of(r->core);
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

	if (to) {
		struct jid j;
		const char *why = NULL;

		if (jid_parse(to, &j, &why)) {
			core_error(core, CALL_NAME(call), "jid-malformed", "'%s' is not a valid JID: %s",
				   to, why ? why : "invalid");
			return -1;
		}
		jid = jid_full(&j);
		jid_clear(&j);
		if (!jid) {
			core_error(core, CALL_NAME(call), "internal-server-error", "out of memory");
			return -1;
		}
	}
	r = request_new(core, CALL_NAME(call), jid);
	iq = r ? xmpp_iq_new(xs_ctx(core->xs), "get", NULL) : NULL;
	q = iq ? element(xs_ctx(core->xs), name, ns) : NULL;
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
