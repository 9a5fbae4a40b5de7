/* The event core: connection life cycle (connect, watchdog, keepalive,
 * back-off, resumption, orderly close) and reporting to the front end. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/carbons.h"
#include "core/core_internal.h"
#include "core/mam.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/text.h"
#include "xmpp/stanza.h"
#include "xmpp/tlspin.h"

static void on_online(void *ud, const struct xs_online *o);
static void on_offline(void *ud, const struct xs_offline *o);
static void start_attempt(struct core *core);

static unsigned secs_to_ms(int s)
{
	return s > 0 ? (unsigned)s * 1000u : 0;
}

struct core *core_new(const struct core_options *opt)
{
	static const struct xs_callbacks cbs = {on_online, on_offline, ibr_registered};
	struct core *core = calloc(1, sizeof(*core));
	const struct settings *s = opt->settings;

	if (!core)
		return NULL;
	core->loop = opt->loop;
	core->fe = opt->frontend;
	core->connect_timeout_ms = secs_to_ms(s->connect_timeout);
	core->reconnect_min_ms = secs_to_ms(s->reconnect_min);
	core->reconnect_max_ms = secs_to_ms(s->reconnect_max);
	core->ping_interval_ms = secs_to_ms(s->ping_interval);
	core->ping_timeout_ms = secs_to_ms(s->ping_timeout);
	core->close_timeout_ms = secs_to_ms(s->close_timeout);
	core->reveal_os = s->reveal_os;
	core->mam_initial = s->mam_initial > 0 ? (unsigned)s->mam_initial : 0;
	core->priority = opt->account->priority;
	if (account_copy(&core->account, opt->account) ||
	    (opt->accounts_path && !(core->accounts_path = strdup(opt->accounts_path))))
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
	if (!core)
		return;
	loop_timer_cancel(core->loop, core->retry_timer);
	loop_timer_cancel(core->loop, core->watchdog_timer);
	loop_timer_cancel(core->loop, core->ping_timer);
	loop_timer_cancel(core->loop, core->close_timer);
	loop_timer_cancel(core->loop, core->register_timer);
	evalpw_free(core);
	xs_free(core->xs);
	message_free(core);
	roster_free(core);
	presence_free(core);
	disco_free(core);
	history_free(core);
	account_clear(&core->account);
	free(core->accounts_path);
	free(core->current_chat);
	free(core->untrusted_fp);
	free(core->show);
	free(core->status);
	free(core);
}

/* ---- reporting ---- */

void core_emit(struct core *core, const struct nt_event *ev)
{
	core->fe.emit(core->fe.ud, ev);
}

/* Formats the text of an error or info event and emits it. */
static __attribute__((format(printf, 3, 0))) void emit_text(struct core *core,
							    struct nt_event *ev, const char *fmt,
							    va_list ap)
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

void core_error(struct core *core, const char *command, const char *condition,
		const char *fmt, ...)
{
	struct nt_event ev = {.kind = NT_EV_ERROR};
	va_list ap;

	ev.u.error.command = command;
	ev.u.error.condition = condition;
	va_start(ap, fmt);
	emit_text(core, &ev, fmt, ap);
	va_end(ap);
}

void core_info(struct core *core, const char *command, const char *fmt, ...)
{
	struct nt_event ev = {.kind = NT_EV_INFO};
	va_list ap;

	ev.u.info.command = command;
	va_start(ap, fmt);
	emit_text(core, &ev, fmt, ap);
	va_end(ap);
}

int core_iq_failed(struct core *core, const char *command, const char *to, xmpp_stanza_t *reply)
{
	char *text = NULL, *ctext, *ccond, *cto;
	const char *cond, *type;

	if (!reply) {
		core_error(core, command, "remote-server-timeout", "no answer from %s",
			   to ? to : "the server");
		return 1;
	}
	type = xmpp_stanza_get_type(reply);
	if (type && !strcmp(type, "result"))
		return 0;
	cond = st_error_condition(reply, &text);
	ctext = core_clean(text);
	ccond = core_clean(cond);
	cto = core_clean(to ? to : "the server");
	core_error(core, command, ccond ? ccond : "undefined-condition", "%s: %s",
		   cto ? cto : "?", ctext ? ctext : (ccond ? ccond : "error"));
	free(text);
	free(ctext);
	free(ccond);
	free(cto);
	return 1;
}

char *core_checked_jid(struct core *core, const char *command, const char *s)
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

/* ---- state ---- */

bool core_online(const struct core *core)
{
	return core->state == CORE_ONLINE;
}

bool core_quitting(const struct core *core)
{
	return core->quitting;
}

const char *core_jid(const struct core *core)
{
	const char *bound = xs_jid(core->xs);

	return bound ? bound : core->account.jid;
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

/* ---- keepalive: a dead link is noticed within interval + timeout ---- */

static void ping_due(struct loop *loop, void *ud);

static void arm_ping(struct core *core)
{
	loop_timer_cancel(core->loop, core->ping_timer);
	core->ping_timer = 0;
	if (core->ping_interval_ms)
		core->ping_timer = loop_timer_add(core->loop, core->ping_interval_ms, ping_due, core);
}

static void keepalive_answer(struct xs *xs, xmpp_stanza_t *reply, void *ud)
{
	struct core *core = ud;

	if (core->state != CORE_ONLINE)
		return;
	if (!reply) {
		log_warn("no answer to a keepalive ping in %u ms: the link is dead",
			 core->ping_timeout_ms);
		xs_abort(core->xs);
		return;
	}
	arm_ping(core);
}

static void ping_due(struct loop *loop, void *ud)
{
	struct core *core = ud;
	xmpp_stanza_t *iq, *ping;

	core->ping_timer = 0;
	if (core->state != CORE_ONLINE)
		return;
	iq = xmpp_iq_new(xs_ctx(core->xs), "get", NULL);
	ping = xmpp_stanza_new(xs_ctx(core->xs));
	if (!iq || !ping) {
		if (iq)
			xmpp_stanza_release(iq);
		if (ping)
			xmpp_stanza_release(ping);
		arm_ping(core);
		return;
	}
	xmpp_stanza_set_name(ping, "ping");
	xmpp_stanza_set_ns(ping, "urn:xmpp:ping");
	xmpp_stanza_add_child(iq, ping);
	xmpp_stanza_release(ping);
	if (xs_iq_send(core->xs, iq, core->ping_timeout_ms, keepalive_answer, core))
		arm_ping(core);
}

/* ---- connecting ---- */

static void watchdog_fired(struct loop *loop, void *ud)
{
	struct core *core = ud;

	core->watchdog_timer = 0;
	if (core->state != CORE_CONNECTING && core->state != CORE_CLOSING)
		return;
	core->timed_out = true;
	log_warn("connection attempt took longer than %u ms: cutting it",
		 core->state == CORE_CLOSING ? core->close_timeout_ms : core->connect_timeout_ms);
	xs_abort(core->xs);
}

static int build_params(struct core *core, struct net_params *p)
{
	const struct account *a = &core->account;
	struct jid j;
	const char *why = NULL;

	memset(p, 0, sizeof(*p));
	if (jid_parse(a->jid, &j, &why)) {
		core_error(core, "connect", "jid-malformed", "account %s: bad jid: %s", a->name,
			   why ? why : "invalid");
		return -1;
	}
	if (!core->account.password && a->auth != AUTH_X_OAUTH2 && a->auth != AUTH_X_YANDEX_OAUTH) {
		core_error(core, "connect", "not-authorized",
			   "account %s has no password (set password or eval_password)", a->name);
		jid_clear(&j);
		return -1;
	}
	if (a->auth == AUTH_X_OAUTH2 || a->auth == AUTH_X_YANDEX_OAUTH) {
		core_error(core, "connect", "feature-not-implemented",
			   "auth=%s is not supported by this build yet", auth_mode_name(a->auth));
		jid_clear(&j);
		return -1;
	}
	free(j.resource);
	j.resource = strdup(a->resource ? a->resource : "natter");
	p->jid = j.resource ? jid_full(&j) : NULL;
	jid_clear(&j);
	p->password = strdup(core->account.password);
	p->server = a->server ? strdup(a->server) : NULL;
	p->port = (unsigned short)a->port;
	/* Without a server, libstrophe looks up SRV records; with one and no
	 * port it needs the default for the TLS mode. */
	if (a->server && !p->port)
		p->port = a->tls == TLS_DIRECT ? 5223 : 5222;
	p->tls = a->tls;
	p->cafile = a->tls_cafile ? strdup(a->tls_cafile) : NULL;
	p->pin = a->tls_fingerprint ? tlspin_normalise(a->tls_fingerprint) : NULL;
	p->auth = a->auth;
	if (!p->jid || !p->password || (a->server && !p->server) || (a->tls_cafile && !p->cafile) ||
	    (a->tls_fingerprint && !p->pin)) {
		net_params_clear(p);
		core_error(core, "connect", "internal-server-error", "out of memory");
		return -1;
	}
	return 0;
}

static void start_attempt(struct core *core)
{
	struct net_params p;

	core->retry_timer = 0;
	if (evalpw_wait(core, start_attempt))
		return;
	if (build_params(core, &p)) {
		core->state = CORE_OFFLINE;
		core->want_online = false;
		return;
	}
	core->state = CORE_CONNECTING;
	core->timed_out = false;
	{
		struct nt_event ev = {.kind = NT_EV_CONNECTING};

		ev.u.connecting.attempt = core->attempt;
		core_emit(core, &ev);
	}
	if (xs_connect(core->xs, &p)) {
		core->state = CORE_OFFLINE;
		core_error(core, "connect", "internal-server-error", "out of memory");
		return;
	}
	if (core->connect_timeout_ms)
		core->watchdog_timer =
			loop_timer_add(core->loop, core->connect_timeout_ms, watchdog_fired, core);
}

static void retry_fired(struct loop *loop, void *ud)
{
	struct core *core = ud;

	core->retry_timer = 0;
	if (core->state == CORE_WAITING && core->want_online)
		start_attempt(core);
}

/* Exponential back-off with +-25 % jitter, so that many clients cut off
 * together do not come back together. */
static unsigned backoff_ms(const struct core *core)
{
	uint64_t delay = core->reconnect_min_ms ? core->reconnect_min_ms : 1000;
	uint32_t r = 0;

	for (unsigned i = 1; i < core->attempt && delay < core->reconnect_max_ms; i++)
		delay *= 2;
	if (core->reconnect_max_ms && delay > core->reconnect_max_ms)
		delay = core->reconnect_max_ms;
	if (getrandom(&r, sizeof r, 0) != sizeof r)
		r = (uint32_t)loop_now_ms();
	delay = delay * 3 / 4 + (r % (delay / 2 + 1));
	/* The ceiling holds even after jitter. */
	if (core->reconnect_max_ms && delay > core->reconnect_max_ms)
		delay = core->reconnect_max_ms;
	return (unsigned)delay;
}

static void schedule_retry(struct core *core, bool at_once)
{
	struct nt_event ev = {.kind = NT_EV_RECONNECTING};
	unsigned delay;

	core->attempt++;
	delay = at_once ? 0 : backoff_ms(core);
	core->state = CORE_WAITING;
	ev.u.reconnecting.attempt = core->attempt;
	ev.u.reconnecting.in_ms = delay;
	core_emit(core, &ev);
	core->retry_timer = loop_timer_add(core->loop, delay, retry_fired, core);
}

static void on_online(void *ud, const struct xs_online *o)
{
	struct core *core = ud;
	struct nt_event ev = {.kind = o->resumed ? NT_EV_RESUMED : NT_EV_CONNECTED};

	loop_timer_cancel(core->loop, core->watchdog_timer);
	core->watchdog_timer = 0;
	core->state = CORE_ONLINE;
	core->attempt = 0;
	if (!o->resumed) {
		ev.u.connected.jid = o->jid;
		ev.u.connected.secure = o->secure;
		ev.u.connected.mechanism = o->mechanism;
	}
	core_emit(core, &ev);
	if (!o->resumed) {
		/* A new session: what we knew of contacts' presence is stale. */
		presence_reset(core);
		disco_reset(core);
		roster_login(core, o->rosterver);
		carbons_login(core);
		/* Before presence: Prosody then sends offline messages only
		 * through the archive, not twice. */
		mam_login(core);
		presence_announce(core);
	}
	arm_ping(core);
	if (core->quitting)
		core_quit(core);
}

/* Stream errors after which connecting again cannot help, or would fight
 * another client for the same resource. */
static bool fatal_stream_error(const char *cond)
{
	static const char *const fatal[] = {"conflict", "not-authorized", "host-unknown",
					    "bad-format", "invalid-namespace", "policy-violation",
					    "unsupported-version", "improper-addressing", NULL};

	for (int i = 0; cond && fatal[i]; i++)
		if (!strcmp(cond, fatal[i]))
			return true;
	return false;
}

static void report_failure(struct core *core, const struct xs_offline *o)
{
	struct nt_event ev = {.kind = NT_EV_TLS_UNTRUSTED};

	switch (o->fail) {
	case NET_FAIL_TLS_UNTRUSTED:
		free(core->untrusted_fp);
		core->untrusted_fp = o->fingerprint ? strdup(o->fingerprint) : NULL;
		ev.u.tls_untrusted.fingerprint = o->fingerprint;
		ev.u.tls_untrusted.reason = o->text;
		ev.u.tls_untrusted.pin_mismatch = o->pin_mismatch;
		core_emit(core, &ev);
		break;
	case NET_FAIL_AUTH:
	case NET_FAIL_POLICY:
	case NET_FAIL_STREAM_ERROR:
	case NET_FAIL_PROTOCOL:
		core_error(core, NULL, o->condition ? o->condition : "undefined-condition", "%s",
			   o->text);
		break;
	default:
		break;
	}
}

static void on_offline(void *ud, const struct xs_offline *o)
{
	struct core *core = ud;
	struct nt_event ev = {.kind = NT_EV_DISCONNECTED};
	enum core_state was = core->state;
	bool retry;

	loop_timer_cancel(core->loop, core->watchdog_timer);
	loop_timer_cancel(core->loop, core->ping_timer);
	loop_timer_cancel(core->loop, core->close_timer);
	core->watchdog_timer = core->ping_timer = core->close_timer = 0;
	core->state = CORE_OFFLINE;
	report_failure(core, o);
	if (core->timed_out && o->fail == NET_FAIL_NETWORK)
		ev.u.disconnected.reason = "connection attempt timed out";
	else
		ev.u.disconnected.reason = o->text ? o->text : "disconnected";
	if (was != CORE_OFFLINE || o->fail != NET_FAIL_NONE)
		core_emit(core, &ev);
	if (core->quitting) {
		loop_stop(core->loop);
		return;
	}
	switch (o->fail) {
	case NET_FAIL_NETWORK:
	case NET_FAIL_TIMEOUT:
	case NET_FAIL_RESUME:
	case NET_FAIL_PROTOCOL:
		retry = true;
		break;
	case NET_FAIL_STREAM_ERROR:
		retry = !fatal_stream_error(o->condition);
		break;
	default:
		retry = false;
	}
	if (!retry && o->fail != NET_FAIL_NONE)
		core->want_online = false;
	if (retry && core->want_online)
		schedule_retry(core, o->fail == NET_FAIL_RESUME);
}

int core_start(struct core *core, bool autoconnect)
{
	/* disco first: the others announce their features to it. */
	if (cmd_register(core_commands, core_ncommands, core) || history_init(core) ||
	    disco_init(core) ||
	    replies_init(core) || presence_init(core) || roster_init(core) || chat_init(core) ||
	    message_init(core))
		return -1;
	if (autoconnect) {
		core->want_online = true;
		start_attempt(core);
	}
	return 0;
}

/* ---- closing ---- */

static void close_deadline(struct loop *loop, void *ud)
{
	struct core *core = ud;

	core->close_timer = 0;
	/* The server did not answer </stream:stream> in time (seed 003). */
	xs_abort(core->xs);
	if (core->quitting)
		loop_stop(core->loop);
}

static void begin_close(struct core *core)
{
	presence_goodbye(core);
	core->state = CORE_CLOSING;
	xs_close(core->xs);
	loop_timer_cancel(core->loop, core->close_timer);
	core->close_timer = loop_timer_add(core->loop, core->close_timeout_ms, close_deadline, core);
}

void core_quit(struct core *core)
{
	core->quitting = true;
	core->want_online = false;
	loop_timer_cancel(core->loop, core->retry_timer);
	core->retry_timer = 0;
	switch (core->state) {
	case CORE_ONLINE:
		begin_close(core);
		break;
	case CORE_CONNECTING:
		xs_abort(core->xs);
		/* The offline report stops the loop; this bounds the wait. */
		loop_timer_cancel(core->loop, core->close_timer);
		core->close_timer =
			loop_timer_add(core->loop, core->close_timeout_ms, close_deadline, core);
		break;
	case CORE_CLOSING:
		break;
	default:
		loop_stop(core->loop);
	}
}

/* ---- front-end helpers ---- */

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

int core_connect(struct core *core)
{
	if (core->state == CORE_ONLINE || core->state == CORE_CONNECTING)
		return 0;
	loop_timer_cancel(core->loop, core->retry_timer);
	core->retry_timer = 0;
	core->want_online = true;
	core->attempt = 0;
	start_attempt(core);
	return 0;
}

/* ---- input and session commands ---- */

int core_input(struct core *core, const char *line)
{
	if (*line == '/')
		return cmd_run(core, line);
	if (!*line)
		return 0;
	if (!core->current_chat) {
		core_error(core, NULL, "bad-request",
			   "no conversation is open: /msg JID TEXT starts one");
		return -1;
	}
	return chat_send_text(core, core->current_chat, line, NULL);
}

int core_cmd_connect(struct cmd_call *call)
{
	struct core *core = call->core;

	if (core->state == CORE_ONLINE || core->state == CORE_CONNECTING) {
		core_error(core, CALL_NAME(call), "conflict", "already %s",
			   core->state == CORE_ONLINE ? "connected" : "connecting");
		return -1;
	}
	return core_connect(core);
}

int core_cmd_disconnect(struct cmd_call *call)
{
	struct core *core = call->core;

	core->want_online = false;
	loop_timer_cancel(core->loop, core->retry_timer);
	core->retry_timer = 0;
	switch (core->state) {
	case CORE_ONLINE:
		begin_close(core);
		return 0;
	case CORE_CONNECTING:
		xs_abort(core->xs);
		return 0;
	case CORE_WAITING:
		core->state = CORE_OFFLINE;
		core_info(core, CALL_NAME(call), "reconnection cancelled");
		return 0;
	default:
		core_error(core, CALL_NAME(call), "not-connected", "not connected");
		return -1;
	}
}

int core_cmd_quit(struct cmd_call *call)
{
	core_quit(call->core);
	return 0;
}

struct help_ctx {
	char *text;
	size_t len;
	FILE *f;
};

static void help_line(const struct cmd_entry *e, void *ud)
{
	struct help_ctx *h = ud;
	char *line = cmd_usage_line(e);

	if (line)
		fprintf(h->f, "%s\n", line);
	free(line);
}

int core_cmd_help(struct cmd_call *call)
{
	struct help_ctx h = {0};

	if (call->argc == 1) {
		char name[256];
		const struct cmd_entry *e;
		char *line;

		snprintf(name, sizeof name, "/%s", call->argv[0][0] == '/' ? call->argv[0] + 1
									  : call->argv[0]);
		e = cmd_lookup(name, NULL);
		if (!e) {
			core_error(call->core, CALL_NAME(call), "item-not-found",
				   "no command %s", name);
			return -1;
		}
		line = cmd_usage_line(e);
		core_info(call->core, CALL_NAME(call), "%s", line ? line : e->name);
		free(line);
		return 0;
	}
	h.f = open_memstream(&h.text, &h.len);
	if (!h.f) {
		core_error(call->core, CALL_NAME(call), "internal-server-error", "out of memory");
		return -1;
	}
	cmd_foreach(help_line, &h);
	fclose(h.f);
	if (h.len && h.text[h.len - 1] == '\n')
		h.text[h.len - 1] = '\0';
	core_info(call->core, CALL_NAME(call), "%s", h.text ? h.text : "");
	free(h.text);
	return 0;
}

int core_cmd_tls_trust(struct cmd_call *call)
{
	struct core *core = call->core;
	const char *given = call->argc ? call->argv[0] : core->untrusted_fp;
	char *pin = given ? tlspin_normalise(given) : NULL, *err = NULL;

	if (!pin) {
		core_error(core, CALL_NAME(call), "bad-request", "%s",
			   given ? "a fingerprint is sha256: and 64 hex digits"
				 : "no certificate was refused: nothing to trust");
		return -1;
	}
	/* Saved first, so the pin survives a restart; then used at once. */
	if (core->accounts_path &&
	    accounts_set_key(core->accounts_path, core->account.name, "tls_fingerprint", pin,
			     &err)) {
		core_error(core, CALL_NAME(call), "internal-server-error",
			   "the pin could not be saved: %s", err ? err : "out of memory");
		free(err);
		free(pin);
		return -1;
	}
	free(core->account.tls_fingerprint);
	core->account.tls_fingerprint = pin;
	core_info(core, CALL_NAME(call), "pinned %s for account %s", pin, core->account.name);
	if (core->state != CORE_ONLINE && core->state != CORE_CONNECTING)
		core_connect(core);
	return 0;
}

int core_cmd_raw(struct cmd_call *call)
{
	struct core *core = call->core;
	xmpp_stanza_t *st = xmpp_stanza_new_from_string(xs_ctx(core->xs), call->argv[0]);
	struct nt_event ev = {.kind = NT_EV_RAW_SENT};

	if (!st) {
		core_error(core, CALL_NAME(call), "bad-request", "not well-formed XML");
		return -1;
	}
	xs_send(core->xs, st);
	core_emit(core, &ev);
	return 0;
}
