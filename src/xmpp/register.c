/* In-band registration (XEP-0077) on a fresh raw stream. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/jid.h"
#include "util/log.h"
#include "xmpp/budget.h"
#include "xmpp/register.h"
#include "xmpp/stanza.h"
#include "xmpp/tlspin.h"

#define NS_REGISTER "jabber:iq:register"
#define NS_DATA     "jabber:x:data"
#define ID_GET      "natter-reg-get"
#define ID_SET      "natter-reg-set"

struct reg {
	xmpp_ctx_t *ctx;
	xmpp_log_t logger;
	xmpp_conn_t *conn;
	struct net_params params;
	char *username;
	char *cert_error;
	int sock;
	bool tls_checked;
	bool done;
	struct net_report *result;
};

static void finish(struct reg *r, enum net_fail fail, const char *condition, const char *text)
{
	struct net_report *rep;

	if (r->done)
		return;
	r->done = true;
	rep = calloc(1, sizeof(*rep));
	if (!rep) {
		log_error("out of memory reporting a registration");
		return;
	}
	rep->kind = NET_R_REGISTER;
	rep->fail = fail;
	rep->jid = strdup(r->params.jid);
	rep->condition = condition ? strdup(condition) : NULL;
	rep->text = text ? strdup(text) : NULL;
	r->result = rep;
	/* An orderly end (seed 003); the socket closes when reg_free runs. */
	if (xmpp_conn_is_connected(r->conn))
		xmpp_send_raw_string(r->conn, "</stream:stream>");
}

static void finish_untrusted(struct reg *r, const char *why, struct tlspin_cert *refused)
{
	finish(r, NET_FAIL_TLS_UNTRUSTED, "policy-violation", why);
	if (r->result)
		r->result->cert = *refused;
	else
		tlspin_cert_clear(refused);
}

/* TLS is up (STARTTLS or direct): decide before the password leaves. */
static bool tls_trusted(struct reg *r)
{
	const char *why = NULL;
	struct tlspin_cert refused;

	r->tls_checked = true;
	if (!tlspin_verdict(r->conn, r->params.pin, r->cert_error, &refused, &why))
		return true;
	finish_untrusted(r, why, &refused);
	return false;
}

static void fail_from_error(struct reg *r, xmpp_stanza_t *st)
{
	char *text = NULL;
	const char *cond = st_error_condition(st, &text);

	finish(r, NET_FAIL_AUTH, cond, text ? text : cond);
	free(text);
}

/* ---- the form ---- */

static bool is_known_field(const char *name)
{
	return !strcmp(name, "username") || !strcmp(name, "password");
}

/* Fields of an x-data form we cannot fill: those marked required that are
 * not username/password/FORM_TYPE.  Returns a malloc'd list or NULL. */
static char *unfillable_form_fields(xmpp_stanza_t *form)
{
	char *list = NULL;

	for (xmpp_stanza_t *f = xmpp_stanza_get_children(form); f; f = xmpp_stanza_get_next(f)) {
		const char *var = xmpp_stanza_get_attribute(f, "var");
		const char *type = xmpp_stanza_get_attribute(f, "type");
		char *grown;

		if (!xmpp_stanza_is_tag(f) || strcmp(xmpp_stanza_get_name(f), "field") || !var ||
		    is_known_field(var) || !strcmp(var, "FORM_TYPE") ||
		    (type && (!strcmp(type, "hidden") || !strcmp(type, "fixed"))) ||
		    !xmpp_stanza_get_child_by_name(f, "required"))
			continue;
		if (asprintf(&grown, "%s%s%s", list ? list : "", list ? ", " : "", var) < 0)
			break;
		free(list);
		list = grown;
	}
	return list;
}

/* Plain fields (XEP-0077 §3.1): every listed field is required. */
static char *unfillable_plain_fields(xmpp_stanza_t *query)
{
	char *list = NULL;

	for (xmpp_stanza_t *f = xmpp_stanza_get_children(query); f; f = xmpp_stanza_get_next(f)) {
		const char *name = xmpp_stanza_is_tag(f) ? xmpp_stanza_get_name(f) : NULL;
		char *grown;

		if (!name || is_known_field(name) || !strcmp(name, "instructions") ||
		    !strcmp(name, "registered") || !strcmp(name, "x") || xmpp_stanza_get_ns(f))
			continue;
		if (asprintf(&grown, "%s%s%s", list ? list : "", list ? ", " : "", name) < 0)
			break;
		free(list);
		list = grown;
	}
	return list;
}

static int add_form_field(xmpp_stanza_t *x, const char *var, const char *value)
{
	xmpp_stanza_t *f = st_add_element(x, "field", NULL);

	if (!f || xmpp_stanza_set_attribute(f, "var", var) != XMPP_EOK)
		return -1;
	return st_add_text(f, "value", value);
}

static xmpp_stanza_t *build_submission(struct reg *r, bool as_form)
{
	xmpp_stanza_t *iq = xmpp_iq_new(r->ctx, "set", ID_SET), *q, *x;
	int bad = !iq;

	if (bad)
		return NULL;
	q = st_add_element(iq, "query", NS_REGISTER);
	bad |= !q;
	if (!bad && as_form) {
		x = st_add_element(q, "x", NS_DATA);
		bad |= !x || xmpp_stanza_set_type(x, "submit") != XMPP_EOK ||
		       add_form_field(x, "FORM_TYPE", NS_REGISTER) ||
		       add_form_field(x, "username", r->username) ||
		       add_form_field(x, "password", r->params.password);
	} else if (!bad) {
		bad |= st_add_text(q, "username", r->username) ||
		       st_add_text(q, "password", r->params.password);
	}
	if (bad) {
		xmpp_stanza_release(iq);
		return NULL;
	}
	return iq;
}

static int on_set_answer(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	struct reg *r = ud;
	const char *type = xmpp_stanza_get_type(st);

	if (type && !strcmp(type, "result"))
		finish(r, NET_FAIL_NONE, NULL, NULL);
	else
		fail_from_error(r, st);
	return 0;
}

static int on_get_answer(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	struct reg *r = ud;
	const char *type = xmpp_stanza_get_type(st);
	xmpp_stanza_t *q = xmpp_stanza_get_child_by_ns(st, NS_REGISTER), *form, *iq;
	char *missing;
	bool as_form;

	if (!type || strcmp(type, "result") || !q) {
		const char *cond = type && !strcmp(type, "error") ? st_error_condition(st, NULL)
		                                                  : "service-unavailable";

		/* A server that does not serve the registration namespace at
		 * all has registration closed: to the user, not allowed. */
		if (!strcmp(cond, "service-unavailable") ||
		    !strcmp(cond, "feature-not-implemented"))
			finish(r, NET_FAIL_AUTH, "not-allowed",
			       "the server does not allow in-band registration");
		else
			fail_from_error(r, st);
		return 0;
	}
	form = xmpp_stanza_get_child_by_ns(q, NS_DATA);
	/* Plain fields when the server lists them, the form otherwise. */
	as_form = form && !xmpp_stanza_get_child_by_name(q, "username");
	missing = as_form ? unfillable_form_fields(form) : unfillable_plain_fields(q);
	if (missing) {
		char *text = NULL;

		if (asprintf(&text,
		             "the server also asks for: %s (natter fills only "
		             "username and password)",
		             missing) < 0)
			text = NULL;
		finish(r, NET_FAIL_AUTH, "not-acceptable", text ? text : missing);
		free(text);
		free(missing);
		return 0;
	}
	iq = build_submission(r, as_form);
	if (!iq) {
		finish(r, NET_FAIL_NETWORK, "internal-server-error", "out of memory");
		return 0;
	}
	xmpp_id_handler_add(conn, on_set_answer, ID_SET, r);
	xmpp_send(conn, iq);
	xmpp_stanza_release(iq);
	return 0;
}

/* ---- the stream ---- */

static void ask_for_form(struct reg *r)
{
	xmpp_stanza_t *iq = xmpp_iq_new(r->ctx, "get", ID_GET);

	if (!iq || !st_add_element(iq, "query", NS_REGISTER)) {
		if (iq)
			xmpp_stanza_release(iq);
		finish(r, NET_FAIL_NETWORK, "internal-server-error", "out of memory");
		return;
	}
	xmpp_id_handler_add(r->conn, on_get_answer, ID_GET, r);
	xmpp_send(r->conn, iq);
	xmpp_stanza_release(iq);
}

static int on_features(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	struct reg *r = ud;
	xmpp_stanza_t *starttls;

	if (xmpp_conn_is_secured(conn)) {
		if (r->tls_checked || tls_trusted(r))
			ask_for_form(r);
		return 1;
	}
	starttls = xmpp_stanza_get_child_by_ns(st, "urn:ietf:params:xml:ns:xmpp-tls");
	if (r->params.tls == TLS_DISABLE) {
		/* The form carries the password in the clear. */
		finish(r, NET_FAIL_POLICY, "encryption-required",
		       "registration sends the password: natter does it only over TLS");
	} else if (!starttls) {
		finish(r, NET_FAIL_POLICY, "encryption-required", "the server does not offer TLS");
	} else {
		xmpp_send_raw_string(conn, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
	}
	return 1;
}

static int on_proceed(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	struct reg *r = ud;

	if (xmpp_conn_tls_start(conn)) {
		finish(r, NET_FAIL_NETWORK, NULL, "the TLS handshake failed");
		return 0;
	}
	if (tls_trusted(r))
		xmpp_conn_open_stream_default(conn);
	return 0;
}

static int on_stream_error(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	struct reg *r = ud;
	xmpp_stanza_t *c;
	const char *cond = "undefined-condition";

	for (c = xmpp_stanza_get_children(st); c; c = xmpp_stanza_get_next(c))
		if (xmpp_stanza_is_tag(c) && strcmp(xmpp_stanza_get_name(c), "text"))
			cond = xmpp_stanza_get_name(c);
	finish(r, NET_FAIL_STREAM_ERROR, cond, "the server closed the stream with an error");
	return 0;
}

static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t ev, int error, xmpp_stream_error_t *se,
                    void *ud)
{
	struct reg *r = ud;

	if (ev == XMPP_CONN_RAW_CONNECT) {
		/* Raw mode leaves direct TLS to us as well. */
		if (r->params.tls == TLS_DIRECT) {
			if (xmpp_conn_tls_start(conn)) {
				finish(r, NET_FAIL_NETWORK, NULL, "the TLS handshake failed");
				return;
			}
			if (!tls_trusted(r))
				return;
		}
		xmpp_conn_open_stream_default(conn);
	} else if (ev == XMPP_CONN_DISCONNECT || ev == XMPP_CONN_FAIL) {
		r->sock = -1;
		finish(r, NET_FAIL_NETWORK, NULL,
		       error ? strerror(error) : "the server closed the connection");
	}
}

static void reg_log(void *ud, xmpp_log_level_t level, const char *area, const char *msg)
{
	/* Debug lines carry the password; only problems are worth a line. */
	if (level >= XMPP_LEVEL_WARN && strncmp(msg, "SENT", 4))
		log_warn("registration: libstrophe %s: %s", area, msg);
}

struct reg *reg_start(struct net_params *params, xmpp_certfail_handler certfail,
                      xmpp_sockopt_callback sockopt, const char **why)
{
	struct reg *r = calloc(1, sizeof(*r));
	struct jid j;

	*why = "out of memory";
	if (!r) {
		net_params_clear(params);
		return NULL;
	}
	r->sock = -1;
	r->params = *params;
	memset(params, 0, sizeof(*params));
	if (jid_parse(r->params.jid, &j, why)) {
		reg_free(r);
		return NULL;
	}
	if (!j.local) {
		jid_clear(&j);
		*why = "the JID to register needs a user name (user@domain)";
		reg_free(r);
		return NULL;
	}
	r->username = j.local;
	j.local = NULL;
	r->logger.handler = reg_log;
	r->logger.userdata = r;
	/* The wiping allocator: libstrophe frees its copies of the new
	 * account's password without clearing them. */
	r->ctx = xmpp_ctx_new(budget_plain_mem(), &r->logger);
	r->conn = r->ctx ? xmpp_conn_new(r->ctx) : NULL;
	if (!r->conn || !r->username) {
		jid_clear(&j);
		reg_free(r);
		*why = "out of memory";
		return NULL;
	}
	/* The stream header names the domain; nobody is logged in. */
	xmpp_conn_set_jid(r->conn, j.domain);
	jid_clear(&j);
	if (r->params.tls == TLS_DIRECT)
		xmpp_conn_set_flags(r->conn, XMPP_CONN_FLAG_LEGACY_SSL);
	if (r->params.cafile)
		xmpp_conn_set_cafile(r->conn, r->params.cafile);
	xmpp_conn_set_certfail_handler(r->conn, certfail);
	xmpp_conn_set_sockopt_callback(r->conn, sockopt);
	xmpp_handler_add(r->conn, on_features, "http://etherx.jabber.org/streams", "features", NULL,
	                 r);
	xmpp_handler_add(r->conn, on_stream_error, "http://etherx.jabber.org/streams", "error",
	                 NULL, r);
	xmpp_handler_add(r->conn, on_proceed, "urn:ietf:params:xml:ns:xmpp-tls", "proceed", NULL,
	                 r);
	if (xmpp_connect_raw(r->conn, r->params.server, r->params.port, on_conn, r)) {
		*why = "could not start connecting (address lookup failed?)";
		reg_free(r);
		return NULL;
	}
	return r;
}

void reg_free(struct reg *r)
{
	if (!r)
		return;
	if (r->conn)
		xmpp_conn_release(r->conn);
	if (r->ctx)
		xmpp_ctx_free(r->ctx);
	net_report_free(r->result);
	net_params_clear(&r->params);
	free(r->username);
	free(r->cert_error);
	free(r);
}

xmpp_ctx_t *reg_ctx(struct reg *r)
{
	return r->ctx;
}

bool reg_owns(const struct reg *r, const xmpp_conn_t *conn)
{
	return r && r->conn == conn;
}

char **reg_cert_error(struct reg *r)
{
	return &r->cert_error;
}

void reg_set_sock(struct reg *r, int fd)
{
	r->sock = fd;
}

int reg_sock(const struct reg *r)
{
	return r->sock;
}

bool reg_done(const struct reg *r)
{
	return r->done;
}

struct net_report *reg_result(struct reg *r)
{
	struct net_report *rep = r->result;

	r->result = NULL;
	return rep;
}
