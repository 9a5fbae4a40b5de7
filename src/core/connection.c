/* The connection's life cycle: connecting (with a watchdog), keepalive,
 * back-off with jitter, resumption, the orderly close, and the commands
 * that drive them (/connect, /disconnect, /quit, /tls trust, /raw). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/connection.h"
#include "core/core_internal.h"
#include "core/evalpw.h"
#include "config/resource.h"
#include "core/presence.h"
#include "util/jid.h"
#include "util/log.h"
#include "util/pin.h"
#include "xmpp/session.h"
#include "xmpp/stanza.h"

#define NS_PING "urn:xmpp:ping"

/* How long a connection the server drains may stay open beside the new
 * one: the server closes it once it has answered what was sent on it
 * (seconds, for a cloud-messaging server); past this natter cuts it, and
 * what it left unanswered is the draining module's to send again. */
#define DRAIN_TIMEOUT_MS (5u * 60u * 1000u)

enum phase {
	PHASE_OFFLINE,    /* not connected and not trying */
	PHASE_CONNECTING, /* an attempt is under way */
	PHASE_ONLINE,
	PHASE_WAITING, /* a reconnection is scheduled */
	PHASE_CLOSING, /* </stream:stream> sent, waiting for the server's */
};

struct conn {
	struct core *core;
	enum phase phase;
	bool want_online; /* cleared by /disconnect and by errors retrying cannot fix */
	bool quitting;
	bool timed_out;   /* the watchdog cut the current attempt */
	unsigned attempt; /* reconnection attempts since the last login */
	uint64_t retry_timer, watchdog_timer, ping_timer, close_timer, drain_timer;
	/* Counts the connections: a keepalive answer from an older one (it
	 * timed out on a connection since replaced) says nothing of this one. */
	uintptr_t link;
	/* connection_replace(): who waits for the drained connection's end. */
	connection_drained_fn drained_fn;
	void *drained_ud;
	/* The fingerprint of the last certificate refused, for /tls trust. */
	char *untrusted_fp;
	char *resource;        /* bound at every login: the account's, or this installation's */
	struct evalpw *evalpw; /* eval_password running for the next attempt */
};

static struct conn *conn_of(struct core *core)
{
	return core_state(core, &connection_module);
}

static unsigned secs_to_ms(int s)
{
	return s > 0 ? (unsigned)s * 1000u : 0;
}

/* The [connection] settings in milliseconds, read when used: /set may
 * have changed them since. */
#define SETTING_MS(c, f) secs_to_ms(core_settings((c)->core)->f)

static void cancel(struct conn *c, uint64_t *timer)
{
	loop_timer_cancel(core_loop(c->core), *timer);
	*timer = 0;
}

static uint64_t arm(struct conn *c, unsigned ms, loop_timer_fn fn)
{
	return loop_timer_add(core_loop(c->core), ms, fn, c);
}

/* ---- keepalive: a dead link is noticed within interval + timeout ---- */

static void ping_due(struct loop *loop, void *ud);

static void arm_ping(struct conn *c)
{
	cancel(c, &c->ping_timer);
	if (SETTING_MS(c, ping_interval))
		c->ping_timer = arm(c, SETTING_MS(c, ping_interval), ping_due);
}

static void keepalive_answer(struct core *core, xmpp_stanza_t *reply, void *ud)
{
	struct conn *c = conn_of(core);

	if (!c || c->phase != PHASE_ONLINE || (uintptr_t)ud != c->link)
		return;
	if (!reply) {
		log_warn("no answer to a keepalive ping in %u ms: the link is dead",
		         SETTING_MS(c, ping_timeout));
		xs_abort(core_xs(core));
		return;
	}
	arm_ping(c);
}

static void ping_due(struct loop *loop, void *ud)
{
	struct conn *c = ud;
	xmpp_stanza_t *iq;

	(void)loop;
	c->ping_timer = 0;
	if (c->phase != PHASE_ONLINE)
		return;
	iq = xmpp_iq_new(core_ctx(c->core), "get", NULL);
	if (!iq || !st_add_element(iq, "ping", NS_PING)) {
		if (iq)
			xmpp_stanza_release(iq);
		arm_ping(c);
		return;
	}
	if (core_iq_send(c->core, iq, SETTING_MS(c, ping_timeout), keepalive_answer,
	                 (void *)c->link))
		arm_ping(c);
}

/* ---- connecting ---- */

static void watchdog_fired(struct loop *loop, void *ud)
{
	struct conn *c = ud;

	(void)loop;
	c->watchdog_timer = 0;
	if (c->phase != PHASE_CONNECTING && c->phase != PHASE_CLOSING)
		return;
	c->timed_out = true;
	log_warn("connection attempt took longer than %u ms: cutting it",
	         c->phase == PHASE_CLOSING ? SETTING_MS(c, close_timeout)
	                                   : SETTING_MS(c, connect_timeout));
	xs_abort(core_xs(c->core));
}

/* The token mechanisms (xmpp/token.c) log in with a token, not a password. */
static bool uses_token(const struct account *a)
{
	return a->auth == AUTH_X_OAUTH2 || a->auth == AUTH_X_YANDEX_OAUTH;
}

/* Where the secret an attempt needs is kept, and the command that prints
 * it when the file gives none. */
static char **secret_of(struct account *a)
{
	return uses_token(a) ? &a->token : &a->password;
}

static const char *eval_of(const struct account *a)
{
	return uses_token(a) ? a->eval_token : a->eval_password;
}

static const char *eval_key(const struct account *a)
{
	return uses_token(a) ? "eval_token" : "eval_password";
}

const char *core_account_problem(const struct account *a)
{
#ifndef HAVE_STROPHE_COMPRESSION
	if (a->compression)
		return "compression = true needs natter built against libstrophe 0.13 or later "
		       "(with zlib), which brought XEP-0138 stream compression; this natter is "
		       "built against libstrophe " STROPHE_VERSION ", which cannot compress "
		       "(see doc/compression.md)";
#endif
	if (a->compression && uses_token(a))
		return "compression = true cannot be used with auth = x-oauth2 or x-yandex-oauth: "
		       "libstrophe compresses only the streams it logs in itself";
	if (uses_token(a) && a->tls == TLS_DISABLE)
		return "auth = x-oauth2 and x-yandex-oauth send a token, which natter never does "
		       "over a plaintext stream: they cannot be used with tls = disable";
	return NULL;
}

static int build_params(struct conn *c, struct net_params *p)
{
	struct core *core = c->core;
	struct account *a = core_account(core);
	const struct core_cause cause = CAUSED_BY("connect");
	struct jid j;
	const char *why = NULL;
	char *err = NULL;

	memset(p, 0, sizeof(*p));
	if (jid_parse(a->jid, &j, &why)) {
		core_error(core, cause, "jid-malformed", "account %s: bad jid: %s", a->name,
		           why ? why : "invalid");
		return -1;
	}
	if ((why = core_account_problem(a))) {
		core_error(core, cause, "feature-not-implemented", "account %s: %s", a->name, why);
		jid_clear(&j);
		return -1;
	}
	if (!*secret_of(a)) {
		core_error(core, cause, "not-authorized",
		           uses_token(a)
		               ? "account %s has no token (set token or eval_token)"
		               : "account %s has no password (set password or eval_password)",
		           a->name);
		jid_clear(&j);
		return -1;
	}
	if (a->fcm) {
		/* Seed 002: the connection server chooses the resource. */
		free(j.resource);
		j.resource = NULL;
	} else if (!c->resource) {
		char *bare = jid_bare(&j);

		c->resource = a->resource ? strdup(a->resource)
		              : bare      ? resource_for_installation(bare, &err)
		                          : NULL;
		free(bare);
		if (!c->resource) {
			core_error(core, cause, "internal-server-error", "no resource to bind: %s",
			           err ? err : "out of memory");
			free(err);
			jid_clear(&j);
			return -1;
		}
	}
	if (!a->fcm) {
		free(j.resource);
		j.resource = strdup(c->resource);
	}
	p->jid = j.resource || a->fcm ? jid_full(&j) : NULL;
	jid_clear(&j);
	/* For the token mechanisms the secret is the token (net.h). */
	p->password = strdup(*secret_of(a));
	p->server = a->server ? strdup(a->server) : NULL;
	p->port = (unsigned short)a->port;
	/* Without a server, libstrophe looks up SRV records; with one and no
	 * port it needs the default for the TLS mode. */
	if (a->server && !p->port)
		p->port = a->tls == TLS_DIRECT ? 5223 : 5222;
	p->tls = a->tls;
	p->cafile = a->tls_cafile ? strdup(a->tls_cafile) : NULL;
	p->pin = a->tls_fingerprint ? pin_parse(a->tls_fingerprint) : NULL;
	p->auth = a->auth;
	p->compression = a->compression;
	if (!p->jid || !p->password || (a->server && !p->server) || (a->tls_cafile && !p->cafile) ||
	    (a->tls_fingerprint && !p->pin)) {
		net_params_clear(p);
		core_error(core, cause, "internal-server-error", "out of memory");
		return -1;
	}
	return 0;
}

static void start_attempt(struct conn *c);

static void password_ready(void *ud, char *password, const char *why)
{
	struct conn *c = ud;
	struct account *a = core_account(c->core);

	c->evalpw = NULL;
	if (!password) {
		core_error(c->core, CAUSED_BY("connect"), "not-authorized", "%s for account %s %s",
		           eval_key(a), a->name, why);
		c->phase = PHASE_OFFLINE;
		c->want_online = false;
		return;
	}
	/* Kept for the reconnections; /connect reads the account again and
	 * so runs the command again. */
	*secret_of(a) = password;
	start_attempt(c);
}

/* 1 when the attempt waits for eval_password or eval_token (started
 * here), 0 when the password or token is there. */
static int wait_for_password(struct conn *c)
{
	struct account *a = core_account(c->core);
	char *err = NULL;

	if (*secret_of(a) || !eval_of(a))
		return 0;
	c->phase = PHASE_CONNECTING;
	c->evalpw = evalpw_start(core_loop(c->core), eval_of(a), password_ready, c, &err);
	if (!c->evalpw) {
		core_error(c->core, CAUSED_BY("connect"), "not-authorized", "%s for account %s: %s",
		           eval_key(a), a->name, err ? err : "out of memory");
		free(err);
		c->phase = PHASE_OFFLINE;
		c->want_online = false;
	}
	return 1;
}

/* Stops an eval_password still running: 1 if there was one. */
static int stop_waiting(struct conn *c)
{
	if (!c->evalpw)
		return 0;
	evalpw_cancel(c->evalpw);
	c->evalpw = NULL;
	c->phase = PHASE_OFFLINE;
	return 1;
}

static void start_attempt(struct conn *c)
{
	struct nt_event ev = {.kind = NT_EV_CONNECTING};
	struct net_params p;

	c->retry_timer = 0;
	if (wait_for_password(c))
		return;
	if (build_params(c, &p)) {
		c->phase = PHASE_OFFLINE;
		c->want_online = false;
		return;
	}
	c->phase = PHASE_CONNECTING;
	c->timed_out = false;
	ev.u.connecting.attempt = c->attempt;
	core_emit(c->core, &ev);
	if (xs_connect(core_xs(c->core), &p)) {
		c->phase = PHASE_OFFLINE;
		core_error(c->core, CAUSED_BY("connect"), "internal-server-error", "out of memory");
		return;
	}
	if (SETTING_MS(c, connect_timeout))
		c->watchdog_timer = arm(c, SETTING_MS(c, connect_timeout), watchdog_fired);
}

static void retry_fired(struct loop *loop, void *ud)
{
	struct conn *c = ud;

	(void)loop;
	c->retry_timer = 0;
	if (c->phase == PHASE_WAITING && c->want_online)
		start_attempt(c);
}

/* Exponential back-off with +-25 % jitter, so that many clients cut off
 * together do not come back together. */
static unsigned backoff_ms(const struct conn *c)
{
	uint64_t delay = SETTING_MS(c, reconnect_min) ? SETTING_MS(c, reconnect_min) : 1000;
	uint32_t r = 0;

	for (unsigned i = 1; i < c->attempt && delay < SETTING_MS(c, reconnect_max); i++)
		delay *= 2;
	if (SETTING_MS(c, reconnect_max) && delay > SETTING_MS(c, reconnect_max))
		delay = SETTING_MS(c, reconnect_max);
	if (getrandom(&r, sizeof r, 0) != sizeof r)
		r = (uint32_t)loop_now_ms();
	delay = delay * 3 / 4 + (r % (delay / 2 + 1));
	/* The ceiling holds even after jitter. */
	if (SETTING_MS(c, reconnect_max) && delay > SETTING_MS(c, reconnect_max))
		delay = SETTING_MS(c, reconnect_max);
	return (unsigned)delay;
}

static void schedule_retry(struct conn *c, bool at_once)
{
	struct nt_event ev = {.kind = NT_EV_RECONNECTING};
	unsigned delay;

	c->attempt++;
	delay = at_once ? 0 : backoff_ms(c);
	c->phase = PHASE_WAITING;
	ev.u.reconnecting.attempt = c->attempt;
	ev.u.reconnecting.in_ms = delay;
	core_emit(c->core, &ev);
	c->retry_timer = arm(c, delay, retry_fired);
}

void connection_online(struct core *core, const struct xs_online *o)
{
	struct conn *c = conn_of(core);
	struct nt_event ev = {.kind = o->resumed ? NT_EV_RESUMED : NT_EV_CONNECTED};

	cancel(c, &c->watchdog_timer);
	c->phase = PHASE_ONLINE;
	c->attempt = 0;
	if (!o->resumed)
		c->link++;
	if (!o->resumed) {
		ev.u.connected.jid = o->jid;
		ev.u.connected.secure = o->secure;
		ev.u.connected.mechanism = o->mechanism;
	}
	core_emit(core, &ev);
	/* A new session: every module starts it (core/modules.c says in
	 * which order); a resumed one goes on where it was. */
	if (!o->resumed) {
		struct core_login l = {.jid = o->jid,
		                       .rosterver = o->rosterver,
		                       .service = core_account(core)->fcm,
		                       .csi = o->csi};

		core_modules_login(core, &l);
	}
	arm_ping(c);
	if (c->quitting)
		core_quit(core);
}

/* Stream errors after which connecting again cannot help, or would fight
 * another client for the same resource. */
static bool fatal_stream_error(const char *cond)
{
	static const char *const fatal[] = {"conflict",
	                                    "not-authorized",
	                                    "host-unknown",
	                                    "bad-format",
	                                    "invalid-namespace",
	                                    "policy-violation",
	                                    "unsupported-version",
	                                    "improper-addressing",
	                                    NULL};

	for (int i = 0; cond && fatal[i]; i++)
		if (!strcmp(cond, fatal[i]))
			return true;
	return false;
}

static void report_failure(struct conn *c, const struct xs_offline *o)
{
	switch (o->fail) {
	case NET_FAIL_TLS_UNTRUSTED:
		free(c->untrusted_fp);
		c->untrusted_fp =
		    o->cert && o->cert->fingerprint ? strdup(o->cert->fingerprint) : NULL;
		connection_report_untrusted(c->core, NO_CAUSE, o);
		break;
	case NET_FAIL_STREAM_ERROR:
		if (o->condition && !strcmp(o->condition, "conflict")) {
			char *bare = jid_bare_of(core_account(c->core)->jid, NULL);

			/* Reconnecting would only kick the other client off in
			 * turn, for ever. */
			core_error(c->core, NO_CAUSE, "conflict",
			           "another client logged in as %s/%s and the server closed this "
			           "session; natter stays offline rather than fight over the "
			           "resource (give this account a resource of its own, or "
			           "/connect to take it back)",
			           bare ? bare : "?", c->resource ? c->resource : "?");
			free(bare);
			break;
		}
		/* fall through */
	case NET_FAIL_AUTH:
	case NET_FAIL_POLICY:
	case NET_FAIL_PROTOCOL:
		core_error(c->core, NO_CAUSE, o->condition ? o->condition : "undefined-condition",
		           "%s", o->text);
		break;
	default:
		break;
	}
}

void connection_report_untrusted(struct core *core, struct core_cause cause,
                                 const struct xs_offline *o)
{
	struct nt_event ev = {.kind = NT_EV_TLS_UNTRUSTED, .origin = cause.origin};
	const struct tlspin_cert *cert = o->cert;
	char *subject = cert ? core_clean(cert->subject) : NULL;
	char *issuer = cert ? core_clean(cert->issuer) : NULL;

	ev.u.tls_untrusted.fingerprint = cert ? cert->fingerprint : NULL;
	ev.u.tls_untrusted.pin_mismatch = cert && cert->pin_mismatch;
	ev.u.tls_untrusted.reason = o->text;
	ev.u.tls_untrusted.subject = subject;
	ev.u.tls_untrusted.issuer = issuer;
	/* Built by tlspin_iso_date(): digits and separators only. */
	ev.u.tls_untrusted.valid_from = cert ? cert->not_before : NULL;
	ev.u.tls_untrusted.valid_until = cert ? cert->not_after : NULL;
	core_emit(core, &ev);
	free(subject);
	free(issuer);
}

void connection_offline(struct core *core, const struct xs_offline *o)
{
	struct conn *c = conn_of(core);
	struct nt_event ev = {.kind = NT_EV_DISCONNECTED};
	enum phase was = c->phase;
	bool retry;

	cancel(c, &c->watchdog_timer);
	cancel(c, &c->ping_timer);
	cancel(c, &c->close_timer);
	c->phase = PHASE_OFFLINE;
	report_failure(c, o);
	if (c->timed_out && o->fail == NET_FAIL_NETWORK)
		ev.u.disconnected.reason = "connection attempt timed out";
	else
		ev.u.disconnected.reason = o->text ? o->text : "disconnected";
	if (was != PHASE_OFFLINE || o->fail != NET_FAIL_NONE)
		core_emit(core, &ev);
	if (c->quitting) {
		loop_stop(core_loop(core));
		return;
	}
	switch (o->fail) {
	case NET_FAIL_NETWORK:
	case NET_FAIL_TIMEOUT:
	case NET_FAIL_RESUME:
	case NET_FAIL_PROTOCOL: /* a bad stanza may be one server's passing fault */
		retry = true;
		break;
	case NET_FAIL_STREAM_ERROR:
		retry = !fatal_stream_error(o->condition);
		break;
	default:
		retry = false;
	}
	if (!retry && o->fail != NET_FAIL_NONE)
		c->want_online = false;
	if (retry && c->want_online)
		schedule_retry(c, o->fail == NET_FAIL_RESUME);
}

/* ---- a connection the server drains ---- */

static void drain_deadline(struct loop *loop, void *ud)
{
	struct conn *c = ud;

	(void)loop;
	c->drain_timer = 0;
	log_warn("the drained connection is still open after %u s: cutting it",
	         DRAIN_TIMEOUT_MS / 1000);
	xs_drop_drained(core_xs(c->core));
}

int connection_replace(struct core *core, connection_drained_fn fn, void *ud)
{
	struct conn *c = conn_of(core);
	struct nt_event ev = {.kind = NT_EV_CONNECTING};
	struct net_params p;

	if (!c || c->phase != PHASE_ONLINE || c->drained_fn || build_params(c, &p))
		return -1;
	cancel(c, &c->ping_timer);
	c->link++;
	c->phase = PHASE_CONNECTING;
	c->timed_out = false;
	c->attempt = 0;
	core_emit(core, &ev);
	if (xs_replace(core_xs(core), &p)) {
		core_error(core, CAUSED_BY("connect"), "internal-server-error", "out of memory");
		xs_abort(core_xs(core));
		return -1;
	}
	c->drained_fn = fn;
	c->drained_ud = ud;
	if (SETTING_MS(c, connect_timeout))
		c->watchdog_timer = arm(c, SETTING_MS(c, connect_timeout), watchdog_fired);
	c->drain_timer = arm(c, DRAIN_TIMEOUT_MS, drain_deadline);
	return 0;
}

void connection_drained(struct core *core)
{
	struct conn *c = conn_of(core);
	connection_drained_fn fn;

	if (!c)
		return;
	cancel(c, &c->drain_timer);
	fn = c->drained_fn;
	c->drained_fn = NULL;
	if (fn)
		fn(core, c->drained_ud);
}

/* ---- closing ---- */

static void close_deadline(struct loop *loop, void *ud)
{
	struct conn *c = ud;

	c->close_timer = 0;
	/* The server did not answer </stream:stream> in time (seed 003). */
	xs_abort(core_xs(c->core));
	if (c->quitting)
		loop_stop(loop);
}

static void begin_close(struct conn *c)
{
	presence_goodbye(c->core);
	c->phase = PHASE_CLOSING;
	xs_close(core_xs(c->core));
	cancel(c, &c->close_timer);
	c->close_timer = arm(c, SETTING_MS(c, close_timeout), close_deadline);
}

void core_quit(struct core *core)
{
	struct conn *c = conn_of(core);

	if (!c) {
		loop_stop(core_loop(core));
		return;
	}
	c->quitting = true;
	c->want_online = false;
	cancel(c, &c->retry_timer);
	if (stop_waiting(c)) {
		loop_stop(core_loop(core));
		return;
	}
	switch (c->phase) {
	case PHASE_ONLINE:
		begin_close(c);
		break;
	case PHASE_CONNECTING:
		xs_abort(core_xs(core));
		/* The offline report stops the loop; this bounds the wait. */
		cancel(c, &c->close_timer);
		c->close_timer = arm(c, SETTING_MS(c, close_timeout), close_deadline);
		break;
	case PHASE_CLOSING:
		break;
	default:
		loop_stop(core_loop(core));
	}
}

bool core_quitting(const struct core *core)
{
	struct conn *c = conn_of((struct core *)core);

	return c && c->quitting;
}

bool core_online(const struct core *core)
{
	struct conn *c = conn_of((struct core *)core);

	return c && c->phase == PHASE_ONLINE;
}

void core_give_up(struct core *core)
{
	struct conn *c = conn_of(core);

	if (c)
		c->want_online = false;
}

int core_connect(struct core *core)
{
	struct conn *c = conn_of(core);

	if (!c || c->phase == PHASE_ONLINE || c->phase == PHASE_CONNECTING)
		return 0;
	cancel(c, &c->retry_timer);
	c->want_online = true;
	c->attempt = 0;
	start_attempt(c);
	return 0;
}

/* ---- commands ---- */

static int cmd_connect(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct conn *c = conn_of(core);

	char *err = NULL;

	if (c->phase == PHASE_ONLINE || c->phase == PHASE_CONNECTING) {
		core_error(core, CAUSE(call), "conflict", "already %s",
		           c->phase == PHASE_ONLINE ? "connected" : "connecting");
		return -1;
	}
	/* The user may have fixed the accounts file since the last refusal:
	 * /connect takes what it says now. */
	if (core_reload_account(core, &err)) {
		core_error(core, CAUSE(call), "bad-request", "%s",
		           err ? err : "the accounts file could not be read again");
		free(err);
		return -1;
	}
	free(c->resource);
	c->resource = NULL;
	return core_connect(core);
}

static int cmd_disconnect(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct conn *c = conn_of(core);

	c->want_online = false;
	cancel(c, &c->retry_timer);
	switch (c->phase) {
	case PHASE_ONLINE:
		begin_close(c);
		return 0;
	case PHASE_CONNECTING:
		if (stop_waiting(c))
			core_info(core, CAUSE(call),
			          "connection cancelled (eval_password stopped)");
		else
			xs_abort(core_xs(core));
		return 0;
	case PHASE_WAITING:
		c->phase = PHASE_OFFLINE;
		core_info(core, CAUSE(call), "reconnection cancelled");
		return 0;
	default:
		core_error(core, CAUSE(call), "not-connected", "not connected");
		return -1;
	}
}

static int cmd_quit(struct cmd_call *call)
{
	core_quit(CALL_CORE(call));
	return 0;
}

static int cmd_tls_trust(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	struct conn *c = conn_of(core);
	struct account *a = core_account(core);
	const char *given = call->argc ? call->argv[0] : c->untrusted_fp;
	char *pin = given ? pin_parse(given) : NULL, *err = NULL;

	if (!pin) {
		core_error(core, CAUSE(call), "bad-request", "%s",
		           given ? "a fingerprint is sha256: and 64 hex digits"
		                 : "no certificate was refused: nothing to trust");
		return -1;
	}
	/* Saved first, so the pin survives a restart; then used at once. */
	if (core_accounts_path(core) &&
	    accounts_set_key(core_accounts_path(core), a->name, "tls_fingerprint", pin, &err)) {
		core_error(core, CAUSE(call), "internal-server-error",
		           "the pin could not be saved: %s", err ? err : "out of memory");
		free(err);
		free(pin);
		return -1;
	}
	free(a->tls_fingerprint);
	a->tls_fingerprint = pin;
	core_info(core, CAUSE(call), "pinned %s for account %s", pin, a->name);
	if (c->phase != PHASE_ONLINE && c->phase != PHASE_CONNECTING)
		core_connect(core);
	return 0;
}

static int cmd_raw(struct cmd_call *call)
{
	struct core *core = CALL_CORE(call);
	xmpp_stanza_t *st = xmpp_stanza_new_from_string(core_ctx(core), call->argv[0]);
	struct nt_event ev = {.kind = NT_EV_RAW_SENT, .origin = call->origin};

	if (!st) {
		core_error(core, CAUSE(call), "bad-request", "not well-formed XML");
		return -1;
	}
	core_send(core, st);
	core_emit(core, &ev);
	return 0;
}

static const struct cmd_entry commands[] = {
    {.name = "connect",
     .help = "connect the account (after /disconnect or an error)",
     .exec = cmd_connect},
    {.name = "disconnect",
     .help = "close the connection and stop reconnecting",
     .exec = cmd_disconnect},
    {.name = "quit", .help = "close the connection cleanly and leave natter", .exec = cmd_quit},
    {.name = "tls trust",
     .usage = "[sha256:HEX]",
     .help = "pin the certificate natter just refused (or the one given) and connect",
     .max_args = 1,
     .exec = cmd_tls_trust},
    {.name = "raw",
     .usage = "XML",
     .help = "send a stanza exactly as typed (for experts)",
     .min_args = 1,
     .max_args = 1,
     .rest = true,
     .flags = CMD_ONLINE,
     .exec = cmd_raw},
};

/* ---- life ---- */

static int conn_init(struct core *core)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return -1;
	c->core = core;
	core_set_state(core, &connection_module, c);
	return 0;
}

static void conn_free(struct core *core)
{
	struct conn *c = conn_of(core);

	if (!c)
		return;
	cancel(c, &c->retry_timer);
	cancel(c, &c->watchdog_timer);
	cancel(c, &c->ping_timer);
	cancel(c, &c->close_timer);
	cancel(c, &c->drain_timer);
	evalpw_cancel(c->evalpw);
	free(c->untrusted_fp);
	free(c->resource);
	free(c);
	core_set_state(core, &connection_module, NULL);
}

const struct core_module connection_module = {
    .name = "connection",
    .title = "Connection",
    .init = conn_init,
    .free = conn_free,
    .commands = commands,
    .ncommands = COUNT(commands),
};
