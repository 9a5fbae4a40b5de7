/* In-band registration (XEP-0077): /register on a fresh stream, /password
 * and /unregister on the logged-in session. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/text.h"
#include "xmpp/stanza.h"
#include "xmpp/tlspin.h"

#define NS_REGISTER "jabber:iq:register"
#define REGISTER_TIMEOUT_MS 30000
#define REQUEST_TIMEOUT_MS 30000

/* ---- /register ---- */

static void register_deadline(struct loop *loop, void *ud)
{
	struct core *core = ud;

	core->register_timer = 0;
	if (core->registering)
		xs_abort_register(core->xs);
}

void ibr_registered(void *ud, const char *jid, const struct xs_offline *o)
{
	struct core *core = ud;

	core->registering = false;
	loop_timer_cancel(core->loop, core->register_timer);
	core->register_timer = 0;
	if (o->fail == NET_FAIL_NONE) {
		struct nt_event ev = {.kind = NT_EV_REGISTERED};

		ev.u.registered.jid = jid;
		core_emit(core, &ev);
		return;
	}
	if (o->fail == NET_FAIL_TLS_UNTRUSTED) {
		struct nt_event ev = {.kind = NT_EV_TLS_UNTRUSTED};

		ev.u.tls_untrusted.fingerprint = o->fingerprint;
		ev.u.tls_untrusted.reason = o->text;
		ev.u.tls_untrusted.pin_mismatch = o->pin_mismatch;
		core_emit(core, &ev);
	}
	{
		char *cond = core_clean(o->condition), *text = core_clean(o->text);

		core_error(core, "register", cond ? cond : "remote-connection-failed", "%s",
			   text ? text : "registration failed");
		free(cond);
		free(text);
	}
}

/* "server=H", "port=N", "tls=MODE": the options of /register. */
static int register_option(struct core *core, const char *arg, struct net_params *p, bool *tls_set)
{
	const char *eq = strchr(arg, '=');
	size_t klen = eq ? (size_t)(eq - arg) : 0;
	const char *v = eq ? eq + 1 : NULL;

	if (eq && klen == 6 && !strncmp(arg, "server", 6) && *v) {
		free(p->server);
		return (p->server = strdup(v)) ? 0 : -1;
	}
	if (eq && klen == 4 && !strncmp(arg, "port", 4)) {
		char *end;
		long port = strtol(v, &end, 10);

		if (*v && !*end && port > 0 && port < 65536) {
			p->port = (unsigned short)port;
			return 0;
		}
		core_error(core, "register", "bad-request", "port must be 1..65535, not '%s'", v);
		return 1;
	}
	if (eq && klen == 3 && !strncmp(arg, "tls", 3)) {
		static const enum tls_mode modes[] = {TLS_REQUIRE, TLS_DIRECT, TLS_DISABLE};

		for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
			if (!strcmp(v, tls_mode_name(modes[i]))) {
				p->tls = modes[i];
				*tls_set = true;
				return 0;
			}
		}
		core_error(core, "register", "bad-request",
			   "tls must be require, direct or disable, not '%s'", v);
		return 1;
	}
	core_error(core, "register", "bad-request",
		   "unknown option '%s' (server=HOST, port=N, tls=require|direct|disable)", arg);
	return 1;
}

/* Where the account's server is reached, when the new JID lives there. */
static int inherit_server(struct core *core, struct net_params *p, const char *domain)
{
	const struct account *a = &core->account;
	struct jid own;
	bool same;

	if (p->server || jid_parse(a->jid, &own, NULL))
		return 0;
	same = !strcmp(own.domain, domain);
	jid_clear(&own);
	if (!same || !a->server)
		return 0;
	p->server = strdup(a->server);
	if (!p->port)
		p->port = (unsigned short)a->port;
	return p->server ? 0 : -1;
}

int ibr_cmd_register(struct cmd_call *call)
{
	struct core *core = call->core;
	const struct account *a = &core->account;
	struct net_params p = {0};
	struct jid j;
	const char *why = NULL;
	bool tls_set = false;
	int rc;

	if (core->registering) {
		core_error(core, CALL_NAME(call), "conflict", "a registration is already under way");
		return -1;
	}
	if (jid_parse(call->argv[0], &j, &why) || !j.local || j.resource) {
		core_error(core, CALL_NAME(call), "jid-malformed",
			   "'%s' cannot be registered: %s", call->argv[0],
			   why ? why : "give user@domain");
		if (!why)
			jid_clear(&j);
		return -1;
	}
	p.jid = jid_bare(&j);
	p.password = text_xml_safe(call->argv[1]);
	p.tls = a->tls;
	for (int i = 2; i < call->argc; i++) {
		rc = register_option(core, call->argv[i], &p, &tls_set);
		if (rc) {
			if (rc < 0)
				core_error(core, CALL_NAME(call), "internal-server-error",
					   "out of memory");
			goto fail;
		}
	}
	/* TLS settings not given come from the current account (contract). */
	if (!tls_set)
		p.tls = a->tls;
	if ((a->tls_cafile && !(p.cafile = strdup(a->tls_cafile))) ||
	    (a->tls_fingerprint && !(p.pin = tlspin_normalise(a->tls_fingerprint))) ||
	    inherit_server(core, &p, j.domain) || !p.jid || !p.password) {
		core_error(core, CALL_NAME(call), "internal-server-error", "out of memory");
		goto fail;
	}
	if (p.server && !p.port)
		p.port = p.tls == TLS_DIRECT ? 5223 : 5222;
	jid_clear(&j);
	if (xs_register(core->xs, &p)) {
		core_error(core, CALL_NAME(call), "internal-server-error", "out of memory");
		return -1;
	}
	core->registering = true;
	core->register_timer = loop_timer_add(core->loop, REGISTER_TIMEOUT_MS, register_deadline, core);
	return 0;
fail:
	jid_clear(&j);
	net_params_clear(&p);
	return -1;
}

/* ---- /password and /unregister: iq set on the session ---- */

struct change {
	struct core *core;
	const char *command;
	char *password; /* the new one, for /password */
};

static void change_free(struct change *c)
{
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	free(c);
}

/* Reports a failed iq; 1 when reply was no success. */
static int report_failure(struct change *c, xmpp_stanza_t *reply)
{
	return core_iq_failed(c->core, c->command, NULL, reply);
}

static void password_answer(struct xs *xs, xmpp_stanza_t *reply, void *ud)
{
	struct change *c = ud;
	struct core *core = c->core;
	struct nt_event ev = {.kind = NT_EV_PASSWORD_CHANGED};
	char *err = NULL;

	if (report_failure(c, reply)) {
		change_free(c);
		return;
	}
	/* Reconnections log in with the new one from now on. */
	if (core->account.password)
		explicit_bzero(core->account.password, strlen(core->account.password));
	free(core->account.password);
	core->account.password = c->password;
	c->password = NULL;
	core_emit(core, &ev);
	/* Update it where it was stored; eval_password is the user's own. */
	if (!core->account.eval_password && core->accounts_path &&
	    accounts_set_key(core->accounts_path, core->account.name, "password",
			     core->account.password, &err)) {
		core_error(core, c->command, "internal-server-error",
			   "the password changed on the server, but the accounts file could not "
			   "be updated: %s",
			   err ? err : "out of memory");
		free(err);
	}
	change_free(c);
}

static xmpp_stanza_t *register_set(struct core *core, xmpp_stanza_t **query)
{
	xmpp_stanza_t *iq = xmpp_iq_new(xs_ctx(core->xs), "set", NULL);

	*query = iq ? st_add_element(iq, "query", NS_REGISTER) : NULL;
	if (iq && !*query) {
		xmpp_stanza_release(iq);
		return NULL;
	}
	return iq;
}

static struct change *change_new(struct cmd_call *call)
{
	struct change *c = calloc(1, sizeof(*c));

	if (!c) {
		core_error(call->core, CALL_NAME(call), "internal-server-error", "out of memory");
		return NULL;
	}
	c->core = call->core;
	c->command = CALL_NAME(call);
	return c;
}

int ibr_cmd_password(struct cmd_call *call)
{
	struct core *core = call->core;
	struct change *c = change_new(call);
	xmpp_stanza_t *iq, *q;
	struct jid own;
	char *err = NULL;
	int bad;

	if (!c)
		return -1;
	c->password = text_xml_safe(call->argv[0]);
	if (c->password && !*c->password) {
		core_error(core, CALL_NAME(call), "bad-request", "the new password is empty");
		change_free(c);
		return -1;
	}
	/* Once the server has it, the old one is gone: ask only when the new
	 * one can then be stored, or the next login would fail. */
	if (c->password && !core->account.eval_password && core->accounts_path &&
	    accounts_check_set_key(core->accounts_path, core->account.name, "password",
				   c->password, &err)) {
		core_error(core, CALL_NAME(call), "not-acceptable", "password not changed: %s",
			   err ? err : "out of memory");
		free(err);
		change_free(c);
		return -1;
	}
	if (jid_parse(core->account.jid, &own, NULL)) {
		core_error(core, CALL_NAME(call), "jid-malformed", "the account's JID is invalid");
		change_free(c);
		return -1;
	}
	iq = register_set(core, &q);
	bad = !iq || !c->password || st_add_text(q, "username", own.local ? own.local : "") ||
	      st_add_text(q, "password", c->password);
	jid_clear(&own);
	if (bad) {
		if (iq)
			xmpp_stanza_release(iq);
		core_error(core, CALL_NAME(call), "internal-server-error", "out of memory");
		change_free(c);
		return -1;
	}
	if (xs_iq_send(core->xs, iq, REQUEST_TIMEOUT_MS, password_answer, c)) {
		core_error(core, CALL_NAME(call), "not-connected", "not sent: not connected");
		change_free(c);
		return -1;
	}
	return 0;
}

static void unregister_answer(struct xs *xs, xmpp_stanza_t *reply, void *ud)
{
	struct change *c = ud;
	struct core *core = c->core;
	struct nt_event ev = {.kind = NT_EV_UNREGISTERED};

	if (report_failure(c, reply)) {
		change_free(c);
		return;
	}
	/* The account is gone: logging in again could only fail. */
	core->want_online = false;
	core_emit(core, &ev);
	core_info(core, c->command,
		  "%s was removed from the server; natter's local data for it is kept",
		  core->account.jid);
	change_free(c);
}

int ibr_cmd_unregister(struct cmd_call *call)
{
	struct core *core = call->core;
	struct change *c;
	xmpp_stanza_t *iq, *q;

	if (call->argc && strcmp(call->argv[0], "confirm")) {
		core_error(core, CALL_NAME(call), "bad-request",
			   "/unregister takes only the word confirm");
		return -1;
	}
	if (!call->argc) {
		core_info(core, CALL_NAME(call),
			  "this deletes %s from the server for good, with its roster; type "
			  "/unregister confirm to go on",
			  core->account.jid);
		return 0;
	}
	c = change_new(call);
	if (!c)
		return -1;
	iq = register_set(core, &q);
	if (!iq || !st_add_element(q, "remove", NULL)) {
		if (iq)
			xmpp_stanza_release(iq);
		core_error(core, CALL_NAME(call), "internal-server-error", "out of memory");
		change_free(c);
		return -1;
	}
	if (xs_iq_send(core->xs, iq, REQUEST_TIMEOUT_MS, unregister_answer, c)) {
		core_error(core, CALL_NAME(call), "not-connected", "not sent: not connected");
		change_free(c);
		return -1;
	}
	return 0;
}
