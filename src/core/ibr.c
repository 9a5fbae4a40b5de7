/* In-band registration (XEP-0077): /register on a fresh stream, /password
 * and /unregister on the logged-in session. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/core_internal.h"
#include "core/connection.h"
#include "core/ibr.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/pin.h"
#include "util/text.h"
#include "xmpp/session.h"
#include "xmpp/stanza.h"

#define NS_REGISTER         "jabber:iq:register"
#define REGISTER_TIMEOUT_MS 30000
#define REQUEST_TIMEOUT_MS  30000

/* A registration under way (one at a time), and its watchdog. */
struct ibr_state {
	struct core *core;
	bool registering;
	struct core_cause cause;
	uint64_t timer;
};

static struct ibr_state *ist(struct core *core)
{
	return core_state(core, &ibr_module);
}

/* ---- /register ---- */

static void register_deadline(struct loop *loop, void *ud)
{
	struct ibr_state *s = ud;

	(void)loop;
	s->timer = 0;
	if (s->registering)
		xs_abort_register(core_xs(s->core));
}

void ibr_registered(struct core *core, const char *jid, const struct xs_offline *o)
{
	struct ibr_state *s = ist(core);
	struct core_cause cause = s ? s->cause : CAUSED_BY("register");

	if (s) {
		s->registering = false;
		loop_timer_cancel(core_loop(core), s->timer);
		s->timer = 0;
	}
	if (o->fail == NET_FAIL_NONE) {
		struct nt_event ev = {.kind = NT_EV_REGISTERED, .origin = cause.origin};

		ev.u.registered.jid = jid;
		core_emit(core, &ev);
		return;
	}
	if (o->fail == NET_FAIL_TLS_UNTRUSTED) {
		connection_report_untrusted(core, cause, o);
	}
	{
		char *cond = core_clean(o->condition), *text = core_clean(o->text);

		core_error(core, cause, cond ? cond : "remote-connection-failed", "%s",
		           text ? text : "registration failed");
		free(cond);
		free(text);
	}
}

/* "server=H", "port=N", "tls=MODE": the options of /register. */
static int register_option(struct core *core, struct core_cause cause, const char *arg,
                           struct net_params *p, bool *tls_set)
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
		core_error(core, cause, "bad-request", "port must be 1..65535, not '%s'", v);
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
		core_error(core, cause, "bad-request",
		           "tls must be require, direct or disable, not '%s'", v);
		return 1;
	}
	core_error(core, cause, "bad-request",
	           "unknown option '%s' (server=HOST, port=N, tls=require|direct|disable)", arg);
	return 1;
}

/* Where the account's server is reached, when the new JID lives there. */
static int inherit_server(struct core *core, struct net_params *p, const char *domain)
{
	const struct account *a = core_account(core);
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

static int cmd_register(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct ibr_state *s = ist(core);
	const struct account *a = core_account(core);
	struct net_params p = {0};
	struct jid j;
	const char *why = NULL;
	bool tls_set = false;
	int rc;

	if (s->registering) {
		core_error(core, CAUSE(call), "conflict", "a registration is already under way");
		return -1;
	}
	if (jid_parse(call->argv[0], &j, &why) || !j.local || j.resource) {
		core_error(core, CAUSE(call), "jid-malformed", "'%s' cannot be registered: %s",
		           call->argv[0], why ? why : "give user@domain");
		if (!why)
			jid_clear(&j);
		return -1;
	}
	p.jid = jid_bare(&j);
	p.password = text_xml_safe(call->argv[1]);
	p.tls = a->tls;
	for (int i = 2; i < call->argc; i++) {
		rc = register_option(core, CAUSE(call), call->argv[i], &p, &tls_set);
		if (rc) {
			if (rc < 0)
				core_error(core, CAUSE(call), "internal-server-error",
				           "out of memory");
			goto fail;
		}
	}
	/* TLS settings not given come from the current account (contract). */
	if (!tls_set)
		p.tls = a->tls;
	if ((a->tls_cafile && !(p.cafile = strdup(a->tls_cafile))) ||
	    (a->tls_fingerprint && !(p.pin = pin_parse(a->tls_fingerprint))) ||
	    inherit_server(core, &p, j.domain) || !p.jid || !p.password) {
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		goto fail;
	}
	if (p.server && !p.port)
		p.port = p.tls == TLS_DIRECT ? 5223 : 5222;
	jid_clear(&j);
	if (xs_register(core_xs(core), &p)) {
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		return -1;
	}
	s->registering = true;
	s->cause = CAUSE(call);
	s->timer = loop_timer_add(core_loop(core), REGISTER_TIMEOUT_MS, register_deadline, s);
	return 0;
fail:
	jid_clear(&j);
	net_params_clear(&p);
	return -1;
}

/* ---- /password and /unregister: iq set on the session ---- */

struct change {
	struct core *core;
	struct core_cause cause;
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
	return core_iq_failed(c->core, c->cause, NULL, reply);
}

static void password_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct change *c = ud;
	struct account *a = core_account(core);
	struct nt_event ev = {.kind = NT_EV_PASSWORD_CHANGED, .origin = c->cause.origin};
	char *err = NULL;

	if (report_failure(c, reply)) {
		change_free(c);
		return;
	}
	/* Reconnections log in with the new one from now on. */
	if (a->password)
		explicit_bzero(a->password, strlen(a->password));
	free(a->password);
	a->password = c->password;
	c->password = NULL;
	core_emit(core, &ev);
	/* Update it where it was stored; eval_password is the user's own. */
	if (!a->eval_password && core_accounts_path(core) &&
	    accounts_set_key(core_accounts_path(core), a->name, "password", a->password, &err)) {
		core_error(core, c->cause, "internal-server-error",
		           "the password changed on the server, but the accounts file could not "
		           "be updated: %s",
		           err ? err : "out of memory");
		free(err);
	}
	change_free(c);
}

static xmpp_stanza_t *register_set(struct core *core, xmpp_stanza_t **query)
{
	xmpp_stanza_t *iq = xmpp_iq_new(core_ctx(core), "set", NULL);

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
		core_error(CALL_CORE(call), CAUSE(call), "internal-server-error", "out of memory");
		return NULL;
	}
	c->core = CALL_CORE(call);
	c->cause = CAUSE(call);
	return c;
}

static int cmd_password(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct change *c = change_new(call);
	xmpp_stanza_t *iq, *q;
	struct jid own;
	struct account *a = core_account(core);
	char *err = NULL;
	int bad;

	if (!c)
		return -1;
	c->password = text_xml_safe(call->argv[0]);
	if (c->password && !*c->password) {
		core_error(core, CAUSE(call), "bad-request", "the new password is empty");
		change_free(c);
		return -1;
	}
	/* Once the server has it, the old one is gone: ask only when the new
	 * one can then be stored, or the next login would fail. */
	if (c->password && !a->eval_password && core_accounts_path(core) &&
	    accounts_check_set_key(core_accounts_path(core), a->name, "password", c->password,
	                           &err)) {
		core_error(core, CAUSE(call), "not-acceptable", "password not changed: %s",
		           err ? err : "out of memory");
		free(err);
		change_free(c);
		return -1;
	}
	if (jid_parse(core_account(core)->jid, &own, NULL)) {
		core_error(core, CAUSE(call), "jid-malformed", "the account's JID is invalid");
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
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		change_free(c);
		return -1;
	}
	if (core_iq_send(core, iq, REQUEST_TIMEOUT_MS, password_answer, c)) {
		core_error(core, CAUSE(call), "not-connected", "not sent: not connected");
		change_free(c);
		return -1;
	}
	return 0;
}

static void unregister_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct change *c = ud;
	struct nt_event ev = {.kind = NT_EV_UNREGISTERED, .origin = c->cause.origin};

	if (report_failure(c, reply)) {
		change_free(c);
		return;
	}
	/* The account is gone: logging in again could only fail. */
	core_give_up(core);
	core_emit(core, &ev);
	core_info(core, c->cause,
	          "%s was removed from the server; natter's local data for it is kept",
	          core_account(core)->jid);
	change_free(c);
}

static int cmd_unregister(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct change *c;
	xmpp_stanza_t *iq, *q;

	if (call->argc && strcmp(call->argv[0], "confirm")) {
		core_error(core, CAUSE(call), "bad-request",
		           "/unregister takes only the word confirm");
		return -1;
	}
	if (!call->argc) {
		core_info(core, CAUSE(call),
		          "this deletes %s from the server for good, with its roster; type "
		          "/unregister confirm to go on",
		          core_account(core)->jid);
		return 0;
	}
	c = change_new(call);
	if (!c)
		return -1;
	iq = register_set(core, &q);
	if (!iq || !st_add_element(q, "remove", NULL)) {
		if (iq)
			xmpp_stanza_release(iq);
		core_error(core, CAUSE(call), "internal-server-error", "out of memory");
		change_free(c);
		return -1;
	}
	if (core_iq_send(core, iq, REQUEST_TIMEOUT_MS, unregister_answer, c)) {
		core_error(core, CAUSE(call), "not-connected", "not sent: not connected");
		change_free(c);
		return -1;
	}
	return 0;
}

static int ibr_init(struct core *core)
{
	struct ibr_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	s->core = core;
	core_set_state(core, &ibr_module, s);
	return 0;
}

static void ibr_free(struct core *core)
{
	struct ibr_state *s = ist(core);

	if (!s)
		return;
	loop_timer_cancel(core_loop(core), s->timer);
	free(s);
	core_set_state(core, &ibr_module, NULL);
}

static const struct cmd_entry commands[] = {
    {.name = "register",
     .usage = "JID PASSWORD [server=HOST] [port=N] [tls=MODE]",
     .help = "create an account on a server (XEP-0077)",
     .min_args = 2,
     .max_args = 5,
     .flags = CMD_SECRET,
     .exec = cmd_register},
    {.name = "password",
     .usage = "NEW",
     .help = "change your account's password",
     .min_args = 1,
     .max_args = 1,
     .rest = true,
     .flags = CMD_ONLINE | CMD_SECRET,
     .exec = cmd_password},
    {.name = "unregister",
     .usage = "[confirm]",
     .help = "delete your account from the server (asks first)",
     .max_args = 1,
     .complete = {"confirm"},
     .flags = CMD_ONLINE,
     .exec = cmd_unregister},
};

const struct core_module ibr_module = {
    .name = "ibr",
    .title = "Account",
    .init = ibr_init,
    .free = ibr_free,
    .commands = commands,
    .ncommands = COUNT(commands),
};
