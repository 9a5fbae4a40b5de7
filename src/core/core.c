/* The event core: the host of the modules.  It owns the session, the
 * command set and each module's state, runs command lines, and reports to
 * the front end.  Connecting, resuming and closing are connection.c's;
 * routing stanzas to the modules is dispatch.c's. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utlist.h>

#include "core/chat.h"
#include "core/connection.h"
#include "core/core_internal.h"
#include "core/dispatch.h"
#include "core/ibr.h"
#include "util/condition.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/text.h"
#include "xmpp/session.h"
#include "xmpp/stanza.h"

/* A module's callback for one iq request: the session knows only its
 * owner (the core) and a user pointer.  Kept on a list so that requests
 * still unanswered when the core stops can be ended (and their module
 * state freed) before the session drops them. */
struct iq_wait {
	core_iq_fn fn;
	void *ud;
	struct iq_wait *prev, *next;
};

struct core {
	struct loop *loop;
	struct account account;
	char *accounts_path, *settings_path;
	struct settings settings; /* a copy: /set changes it */
	struct nt_frontend fe;
	struct xs *xs;
	struct cmd_set *cmds;
	void **states; /* one per module, in core_modules order */
	bool started;
	bool stopping; /* core_free() runs: events go nowhere */
	struct iq_wait *waits;
	char *current_chat;
};

static void on_online(void *ud, const struct xs_online *o)
{
	connection_online(ud, o);
}

static void on_offline(void *ud, const struct xs_offline *o)
{
	connection_offline(ud, o);
}

static void on_registered(void *ud, const char *jid, const struct xs_offline *result)
{
	ibr_registered(ud, jid, result);
}

static void on_stanza(void *ud, xmpp_stanza_t *st)
{
	dispatch_stanza(ud, st);
}

static void on_drained(void *ud)
{
	connection_drained(ud);
}

struct core *core_new(const struct core_options *opt)
{
	static const struct xs_callbacks cbs = {on_online, on_offline, on_registered, on_stanza,
	                                        on_drained};
	struct core *core = calloc(1, sizeof(*core));

	if (!core)
		return NULL;
	core->loop = opt->loop;
	core->fe = opt->frontend;
	core->states = calloc(core_nmodules, sizeof(*core->states));
	core->cmds = cmd_set_new();
	if (!core->states || !core->cmds || account_copy(&core->account, opt->account) ||
	    settings_copy(&core->settings, opt->settings) ||
	    (opt->accounts_path && !(core->accounts_path = strdup(opt->accounts_path))) ||
	    (opt->settings_path && !(core->settings_path = strdup(opt->settings_path))))
		goto fail;
	core->xs = xs_new(core->loop, &cbs, core);
	if (!core->xs)
		goto fail;
	return core;
fail:
	core_free(core);
	return NULL;
}

void core_free(struct core *core)
{
	struct iq_wait *w;

	if (!core)
		return;
	/* Requests nobody will answer now end as if they had timed out, so
	 * their modules free what they kept for them; the front end hears
	 * nothing of it. */
	core->stopping = true;
	while ((w = core->waits)) {
		struct iq_wait done = *w;

		DL_DELETE(core->waits, w);
		free(w);
		done.fn(core, NULL, done.ud);
	}
	/* Then the session: no answer or stanza can reach a module whose
	 * state is gone.  Then the modules, last started first. */
	xs_free(core->xs);
	core->xs = NULL;
	for (size_t i = core_nmodules; core->states && i-- > 0;)
		if (core_modules[i]->free && core->started)
			core_modules[i]->free(core);
	free(core->states);
	cmd_set_free(core->cmds);
	account_clear(&core->account);
	settings_free(&core->settings);
	free(core->accounts_path);
	free(core->settings_path);
	free(core->current_chat);
	free(core);
}

int core_start(struct core *core, bool autoconnect)
{
	core->started = true;
	for (size_t i = 0; i < core_nmodules; i++) {
		const struct core_module *m = core_modules[i];

		if ((m->init && m->init(core)) ||
		    (m->ncommands &&
		     cmd_set_add(core->cmds, m->title, m->commands, m->ncommands, core))) {
			log_error("the %s module could not start", m->name);
			return -1;
		}
	}
	if (autoconnect)
		core_connect(core);
	return 0;
}

void core_modules_login(struct core *core, const struct core_login *l)
{
	for (size_t i = 0; i < core_nmodules; i++)
		if (core_modules[i]->login && (!l->service || core_modules[i]->service_login))
			core_modules[i]->login(core, l);
}

void *core_state(struct core *core, const struct core_module *m)
{
	for (size_t i = 0; i < core_nmodules; i++)
		if (core_modules[i] == m)
			return core->states[i];
	return NULL;
}

void core_set_state(struct core *core, const struct core_module *m, void *state)
{
	for (size_t i = 0; i < core_nmodules; i++)
		if (core_modules[i] == m)
			core->states[i] = state;
}

/* ---- reporting ---- */

void core_emit(struct core *core, const struct nt_event *ev)
{
	if (!core->stopping)
		core->fe.emit(core->fe.ud, ev);
}

/* Formats the text of an error or info event and emits it. */
static __attribute__((format(printf, 3, 0))) void emit_text(struct core *core, struct nt_event *ev,
                                                            const char *fmt, va_list ap)
{
	char *text = NULL;
	const char *shown = vasprintf(&text, fmt, ap) < 0 ? "out of memory" : text;

	if (ev->kind == NT_EV_ERROR)
		ev->u.error.text = shown;
	else
		ev->u.info.text = shown;
	core_emit(core, ev);
	if (shown == text)
		free(text);
}

void core_error(struct core *core, struct core_cause cause, const char *condition, const char *fmt,
                ...)
{
	struct nt_event ev = {.kind = NT_EV_ERROR, .origin = cause.origin};
	va_list ap;

	ev.u.error.command = cause.command;
	ev.u.error.condition = condition;
	va_start(ap, fmt);
	emit_text(core, &ev, fmt, ap);
	va_end(ap);
}

void core_info(struct core *core, struct core_cause cause, const char *fmt, ...)
{
	struct nt_event ev = {.kind = NT_EV_INFO, .origin = cause.origin};
	va_list ap;

	ev.u.info.command = cause.command;
	va_start(ap, fmt);
	emit_text(core, &ev, fmt, ap);
	va_end(ap);
}

int core_iq_failed(struct core *core, struct core_cause cause, const char *to, xmpp_stanza_t *reply)
{
	struct nt_event ev = {.kind = NT_EV_ERROR, .origin = cause.origin};
	char *text = NULL, *ctext, *ccond, *cto, *capp = NULL, *cfeature = NULL, *msg = NULL;
	const char *cond, *type, *words;
	xmpp_stanza_t *app;

	if (!reply) {
		core_error(core, cause, "remote-server-timeout", "no answer from %s",
		           to ? to : "the server");
		return 1;
	}
	type = xmpp_stanza_get_type(reply);
	if (type && !strcmp(type, "result"))
		return 0;
	cond = st_error_condition(reply, &text);
	app = st_error_app_condition(reply);
	ctext = core_clean(text);
	ccond = core_clean(cond);
	cto = core_clean(to ? to : "the server");
	if (app) {
		capp = core_clean(xmpp_stanza_get_name(app));
		/* XEP-0060's <unsupported feature='...'/> says what is missing. */
		cfeature = core_clean(xmpp_stanza_get_attribute(app, "feature"));
	}
	/* The server's own words when it gave some, else the condition's. */
	words = ctext && *ctext ? ctext : condition_words(ccond);
	if (asprintf(&msg, "%s: %s%s%s%s%s%s", cto ? cto : "?", words, capp ? " (" : "",
	             capp ? capp : "", cfeature ? ": " : "", cfeature ? cfeature : "",
	             capp ? ")" : "") < 0)
		msg = NULL;
	ev.u.error.command = cause.command;
	ev.u.error.condition = ccond ? ccond : "undefined-condition";
	ev.u.error.app_condition = capp;
	ev.u.error.text = msg ? msg : "out of memory";
	core_emit(core, &ev);
	free(msg);
	free(text);
	free(ctext);
	free(ccond);
	free(cto);
	free(capp);
	free(cfeature);
	return 1;
}

/* ---- the session ---- */

xmpp_ctx_t *core_ctx(struct core *core)
{
	return xs_ctx(core->xs);
}

struct xs *core_xs(struct core *core)
{
	return core->xs;
}

int core_send(struct core *core, xmpp_stanza_t *st)
{
	return xs_send(core->xs, st);
}

int core_send_nonza(struct core *core, const char *xml)
{
	return xs_send_nonza(core->xs, xml);
}

static void iq_answered(void *owner, xmpp_stanza_t *reply, void *ud)
{
	struct core *core = owner;
	struct iq_wait *w = ud, done = *w;

	DL_DELETE(core->waits, w);
	free(w);
	done.fn(core, reply, done.ud);
}

int core_iq_send(struct core *core, xmpp_stanza_t *iq, unsigned timeout_ms, core_iq_fn fn, void *ud)
{
	struct iq_wait *w = core->stopping ? NULL : calloc(1, sizeof(*w));

	if (!w) {
		xmpp_stanza_release(iq);
		return -1;
	}
	w->fn = fn;
	w->ud = ud;
	/* On failure xs_iq_send() has released iq and will never answer. */
	if (xs_iq_send(core->xs, iq, timeout_ms, iq_answered, w)) {
		free(w);
		return -1;
	}
	DL_APPEND(core->waits, w);
	return 0;
}

void core_iq_error(struct core *core, xmpp_stanza_t *iq, const char *condition)
{
	xs_iq_error(core->xs, iq, condition);
}

xmpp_stanza_t *core_iq_result(struct core *core, xmpp_stanza_t *iq, const char *ns,
                              xmpp_stanza_t **query)
{
	xmpp_stanza_t *res = xmpp_iq_new(core_ctx(core), "result", xmpp_stanza_get_id(iq));
	const char *from = xmpp_stanza_get_from(iq);

	if (query)
		*query = NULL;
	if (!res)
		return NULL;
	if ((from && xmpp_stanza_set_to(res, from) != XMPP_EOK) ||
	    (ns && !(*query = st_add_element(res, "query", ns)))) {
		xmpp_stanza_release(res);
		return NULL;
	}
	return res;
}

char *core_make_id(void)
{
	return xs_make_id();
}

/* ---- what the core knows ---- */

struct loop *core_loop(struct core *core)
{
	return core->loop;
}

struct account *core_account(struct core *core)
{
	return &core->account;
}

const char *core_accounts_path(const struct core *core)
{
	return core->accounts_path;
}

const struct settings *core_settings(const struct core *core)
{
	return &core->settings;
}

struct settings *core_settings_mut(struct core *core)
{
	return &core->settings;
}

const char *core_settings_path(const struct core *core)
{
	return core->settings_path;
}

const struct cmd_set *core_commands(const struct core *core)
{
	return core->cmds;
}

int core_add_commands(struct core *core, const char *title, const struct cmd_entry *table, size_t n,
                      void *ud)
{
	return cmd_set_add(core->cmds, title, table, n, ud);
}

const char *core_jid(const struct core *core)
{
	const char *bound = xs_jid(core->xs);

	return bound ? bound : core->account.jid;
}

char *core_checked_jid(struct core *core, struct core_cause cause, const char *s)
{
	struct jid j;
	const char *why = NULL;
	char *full;

	if (jid_parse(s, &j, &why)) {
		core_error(core, cause, "jid-malformed", "'%s' is not a valid JID: %s", s,
		           why ? why : "invalid");
		return NULL;
	}
	full = jid_full(&j);
	jid_clear(&j);
	if (!full)
		core_error(core, cause, "internal-server-error", "out of memory");
	return full;
}

char *core_checked_bare(struct core *core, struct core_cause cause, const char *s)
{
	const char *why = NULL;
	struct jid j;
	char *bare;

	if (jid_parse(s, &j, &why)) {
		core_error(core, cause, "jid-malformed", "'%s' is not a valid JID: %s", s,
		           why ? why : "invalid");
		return NULL;
	}
	if (j.resource) {
		jid_clear(&j);
		core_error(core, cause, "jid-malformed",
		           "'%s': a contact is a bare JID (no /resource)", s);
		return NULL;
	}
	bare = jid_bare(&j);
	jid_clear(&j);
	if (!bare)
		core_error(core, cause, "internal-server-error", "out of memory");
	return bare;
}

char *core_server(struct core *core)
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

char *core_clean(const char *s)
{
	return s ? text_sanitize_str(s, 0) : NULL;
}

char *core_clean_text(const char *s)
{
	return s ? text_sanitize_str(s, TEXT_KEEP_NEWLINES | TEXT_KEEP_TABS) : NULL;
}

const char *core_current_chat(const struct core *core)
{
	return core->current_chat;
}

void core_set_current_chat(struct core *core, const char *bare_jid)
{
	char *copy = bare_jid ? strdup(bare_jid) : NULL;

	if (bare_jid && !copy)
		return;
	free(core->current_chat);
	core->current_chat = copy;
}

/* ---- input ---- */

static void refused(const struct cmd_env *env, const char *command, const char *condition,
                    const char *text)
{
	core_error(env->ud, (struct core_cause){command, env->origin}, condition, "%s", text);
}

static int run_input(struct core *core, const char *line, uint64_t origin)
{
	struct cmd_env env = {origin, core_online(core), refused, core};

	if (*line == '/')
		return cmd_run(core->cmds, &env, line);
	if (!*line)
		return 0;
	if (!core->current_chat) {
		core_error(core, (struct core_cause){NULL, origin}, "bad-request",
		           "no conversation is open: /msg JID TEXT starts one");
		return -1;
	}
	return chat_send_text(core, core->current_chat, line, (struct core_cause){NULL, origin});
}

int core_input(struct core *core, const char *line, uint64_t origin)
{
	int rc = run_input(core, line, origin);

	/* After the command: a /status typed while away by idleness is the
	 * presence that goes out, and a /set of the minutes counts at once. */
	core_user_active(core);
	return rc;
}

/* ---- the account ---- */

int core_reload_account(struct core *core, char **err)
{
	struct account_list list = {0};
	const struct account *a;
	struct account fresh;

	*err = NULL;
	if (!core->accounts_path)
		return 0;
	if (accounts_load(core->accounts_path, &list, err))
		return -1;
	a = accounts_find(&list, core->account.name);
	if (!a) {
		if (asprintf(err, "account [%s] is no longer in %s", core->account.name,
		             core->accounts_path) < 0)
			*err = NULL;
		accounts_free(&list);
		return -1;
	}
	if (account_copy(&fresh, a)) {
		accounts_free(&list);
		*err = strdup("out of memory");
		return -1;
	}
	accounts_free(&list);
	/* A password typed at the prompt is kept unless the file now has one. */
	if (!fresh.password && !fresh.eval_password && core->account.password) {
		fresh.password = core->account.password;
		core->account.password = NULL;
	}
	account_clear(&core->account);
	core->account = fresh;
	return 0;
}

/* ---- the account's password ---- */

bool core_needs_password(const struct core *core)
{
	const struct account *a = &core->account;

	return !a->password && !a->eval_password && a->auth != AUTH_X_OAUTH2 &&
	       a->auth != AUTH_X_YANDEX_OAUTH;
}

int core_set_password(struct core *core, const char *password)
{
	char *copy = strdup(password);

	if (!copy)
		return -1;
	if (core->account.password)
		explicit_bzero(core->account.password, strlen(core->account.password));
	free(core->account.password);
	core->account.password = copy;
	return 0;
}
