/* Token logins on libstrophe's raw connection API: see token.h. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/jid.h"
#include "util/log.h"
#include "xmpp/budget.h"
#include "xmpp/stanza.h"
#include "xmpp/token.h"

#define NS_STREAMS "http://etherx.jabber.org/streams"
#define NS_TLS     "urn:ietf:params:xml:ns:xmpp-tls"
#define NS_SASL    "urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_BIND    "urn:ietf:params:xml:ns:xmpp-bind"
#define NS_SESSION "urn:ietf:params:xml:ns:xmpp-session"
#define NS_SM      "urn:xmpp:sm:3"
#define ID_BIND    "natter-tok-bind"
#define ID_SESSION "natter-tok-session"

/* Stanzas kept for resumption while the server does not acknowledge them.
 * A server that never answers <r/> must not make natter keep everything it
 * sends: past this many the session is no longer resumable, and what it
 * kept goes back to the core's outbox as if the link had been lost. */
#define UNACKED_MAX 2000

enum stage {
	ST_IDLE,     /* no login under way */
	ST_OPENING,  /* waiting for the first stream features */
	ST_STARTTLS, /* <starttls/> sent, waiting for <proceed/> */
	ST_AUTH,     /* <auth/> sent */
	ST_AUTHED,   /* <success/>: waiting for the new stream's features */
	ST_RESUME,   /* <resume/> sent */
	ST_BIND,
	ST_SESSION,
	ST_ENABLE, /* <enable/> sent */
	ST_ONLINE,
};

struct unacked {
	struct unacked *next;
	xmpp_stanza_t *st;
};

struct tok {
	const struct tok_ops *ops;
	void *ud;
	xmpp_conn_t *conn;
	const struct net_params *p;
	enum stage stage;
	const char *mech; /* the SASL mechanism's name */
	bool session_wanted, sm_offered, bind_offered;
	char *bound; /* the JID the server bound this stream to */

	/* XEP-0198: on for the current stream; the rest outlives it. */
	bool sm_on;
	char *sm_id;    /* the session to resume, or NULL: not resumable */
	char *sm_jid;   /* its bound JID */
	uint32_t in_h;  /* stanzas received since <enabled/> */
	uint32_t acked; /* the server's last h: our stanzas it has */
	struct unacked *q_head, *q_tail;
	size_t q_len; /* sent, not yet acknowledged */
};

bool tok_mechanism(enum auth_mode auth)
{
	return auth == AUTH_X_OAUTH2 || auth == AUTH_X_YANDEX_OAUTH;
}

struct tok *tok_new(const struct tok_ops *ops, void *ud)
{
	struct tok *t = calloc(1, sizeof(*t));

	if (t) {
		t->ops = ops;
		t->ud = ud;
	}
	return t;
}

/* ---- the unacknowledged queue ---- */

static void queue_drop_front(struct tok *t, size_t n)
{
	while (n-- && t->q_head) {
		struct unacked *u = t->q_head;

		t->q_head = u->next;
		if (!t->q_head)
			t->q_tail = NULL;
		t->q_len--;
		xmpp_stanza_release(u->st);
		free(u);
	}
}

/* Hands every kept stanza back to the owner, oldest first. */
static void queue_hand_back(struct tok *t)
{
	while (t->q_head) {
		struct unacked *u = t->q_head;

		t->q_head = u->next;
		t->q_len--;
		t->ops->unsent(t->ud, u->st);
		free(u);
	}
	t->q_tail = NULL;
}

static void forget_session(struct tok *t)
{
	free(t->sm_id);
	free(t->sm_jid);
	t->sm_id = t->sm_jid = NULL;
	t->in_h = t->acked = 0;
}

void tok_forget(struct tok *t)
{
	if (!t)
		return;
	queue_hand_back(t);
	forget_session(t);
}

void tok_free(struct tok *t)
{
	if (!t)
		return;
	queue_drop_front(t, (size_t)-1);
	forget_session(t);
	free(t->bound);
	free(t);
}

/* The server acknowledged h stanzas in all (a counter that wraps). */
static void acknowledged(struct tok *t, uint32_t h)
{
	uint32_t fresh = h - t->acked;

	if (fresh > t->q_len) {
		log_warn("the server acknowledged %lu stanzas, natter sent %zu: ignored",
		         (unsigned long)fresh, t->q_len);
		return;
	}
	queue_drop_front(t, fresh);
	t->acked = h;
}

static bool parse_h(const char *s, uint32_t *h)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-')
		return false;
	v = strtoul(s, &end, 10);
	if (*end || v > UINT32_MAX)
		return false;
	*h = (uint32_t)v;
	return true;
}

static void request_ack(struct tok *t)
{
	xmpp_send_raw_string(t->conn, "<r xmlns='" NS_SM "'/>");
}

void tok_send(struct tok *t, xmpp_stanza_t *st)
{
	struct unacked *u;

	/* Built by the core thread (see budget.h). */
	if (!budget_send(t->conn, st, NULL)) {
		log_error("out of memory: an outgoing stanza was lost");
		return;
	}
	if (!t->sm_on)
		return;
	if (t->q_len >= UNACKED_MAX) {
		log_warn("the server acknowledged none of the last %d stanzas: the session will "
		         "not be resumed",
		         UNACKED_MAX);
		/* Counting goes on (acks still free the queue); only resuming
		 * with an unbounded backlog is given up. */
		free(t->sm_id);
		t->sm_id = NULL;
	}
	u = malloc(sizeof(*u));
	if (!u) {
		log_error("out of memory: a stanza cannot be kept for resumption");
		free(t->sm_id);
		t->sm_id = NULL;
		return;
	}
	u->st = xmpp_stanza_clone(st);
	u->next = NULL;
	if (t->q_tail)
		t->q_tail->next = u;
	else
		t->q_head = u;
	t->q_tail = u;
	t->q_len++;
	request_ack(t);
}

bool tok_resumable(const struct tok *t)
{
	return t && t->sm_id;
}

/* ---- steps of the login ---- */

static void failed(struct tok *t, enum net_fail fail, const char *condition, const char *text)
{
	t->stage = ST_IDLE;
	t->ops->failed(t->ud, fail, condition, text);
}

static void online(struct tok *t, const char *jid, bool resumed)
{
	t->stage = ST_ONLINE;
	t->ops->online(t->ud, jid, t->mech, resumed);
}

static const char *mech_name(enum auth_mode auth)
{
	return auth == AUTH_X_YANDEX_OAUTH ? "X-YANDEX-OAUTH" : "X-OAUTH2";
}

/* <auth/> with base64 of "login NUL token" (X-YANDEX-OAUTH, seed 000) or
 * "NUL login NUL token" (X-OAUTH2: an empty authorisation identity, as
 * Google's and ejabberd's).  Written through xmpp_send_raw() from our own
 * buffer: libstrophe's printf path formats into a stack buffer it leaves
 * behind, and every copy here is cleared before it is freed. */
static int send_auth(struct tok *t)
{
	xmpp_ctx_t *ctx = xmpp_conn_get_context(t->conn);
	const char *token = t->p->password ? t->p->password : "";
	size_t llen, tlen = strlen(token), n = 0, xlen;
	char *raw, *b64, *xml;
	struct jid j;
	int rc = -1;

	if (jid_parse(t->p->jid, &j, NULL) || !j.local) {
		jid_clear(&j);
		return -1;
	}
	llen = strlen(j.local);
	raw = malloc(llen + tlen + 2);
	if (!raw) {
		jid_clear(&j);
		return -1;
	}
	if (t->p->auth == AUTH_X_OAUTH2)
		raw[n++] = '\0';
	memcpy(raw + n, j.local, llen);
	n += llen;
	raw[n++] = '\0';
	memcpy(raw + n, token, tlen);
	n += tlen;
	jid_clear(&j);
	b64 = xmpp_base64_encode(ctx, (const unsigned char *)raw, n);
	explicit_bzero(raw, n);
	free(raw);
	if (!b64)
		return -1;
	xlen = strlen(b64) + 128;
	xml = malloc(xlen);
	if (xml) {
		int w =
		    snprintf(xml, xlen, "<auth xmlns=\"" NS_SASL "\" mechanism=\"%s\">%s</auth>",
		             t->mech, b64);

		if (w > 0 && (size_t)w < xlen) {
			xmpp_send_raw(t->conn, xml, (size_t)w);
			rc = 0;
		}
		explicit_bzero(xml, xlen);
		free(xml);
	}
	explicit_bzero(b64, strlen(b64));
	xmpp_free(ctx, b64);
	return rc;
}

static bool offers_mechanism(xmpp_stanza_t *features, const char *mech)
{
	xmpp_stanza_t *ms = xmpp_stanza_get_child_by_ns(features, NS_SASL);

	for (xmpp_stanza_t *m = ms ? xmpp_stanza_get_children(ms) : NULL; m;
	     m = xmpp_stanza_get_next(m)) {
		char *text;
		bool same;

		if (!xmpp_stanza_is_tag(m) || strcmp(xmpp_stanza_get_name(m), "mechanism"))
			continue;
		text = xmpp_stanza_get_text(m);
		same = text && !strcmp(text, mech);
		if (text)
			xmpp_free(xmpp_stanza_get_context(m), text);
		if (same)
			return true;
	}
	return false;
}

static void send_bind(struct tok *t)
{
	xmpp_ctx_t *ctx = xmpp_conn_get_context(t->conn);
	xmpp_stanza_t *iq = xmpp_iq_new(ctx, "set", ID_BIND), *b;
	struct jid j;
	int bad = !iq;

	if (!bad) {
		b = st_add_element(iq, "bind", NS_BIND);
		bad = !b;
		if (!bad && !jid_parse(t->p->jid, &j, NULL)) {
			if (j.resource && *j.resource)
				bad = st_add_text(b, "resource", j.resource);
			jid_clear(&j);
		}
	}
	if (bad) {
		if (iq)
			xmpp_stanza_release(iq);
		failed(t, NET_FAIL_NETWORK, "internal-server-error", "out of memory");
		return;
	}
	t->stage = ST_BIND;
	xmpp_send(t->conn, iq);
	xmpp_stanza_release(iq);
}

static void send_session(struct tok *t)
{
	xmpp_ctx_t *ctx = xmpp_conn_get_context(t->conn);
	xmpp_stanza_t *iq = xmpp_iq_new(ctx, "set", ID_SESSION);

	if (!iq || !st_add_element(iq, "session", NS_SESSION)) {
		if (iq)
			xmpp_stanza_release(iq);
		failed(t, NET_FAIL_NETWORK, "internal-server-error", "out of memory");
		return;
	}
	t->stage = ST_SESSION;
	xmpp_send(t->conn, iq);
	xmpp_stanza_release(iq);
}

/* Bound (and the session opened): stream management if the server offers
 * it, else the session is up. */
static void bound(struct tok *t)
{
	if (t->sm_offered) {
		t->stage = ST_ENABLE;
		xmpp_send_raw_string(t->conn, "<enable xmlns='" NS_SM "' resume='true'/>");
		return;
	}
	/* A session without stream management keeps nothing to resume. */
	queue_hand_back(t);
	forget_session(t);
	online(t, t->bound, false);
}

/* A new session in place of any old one: what the old one never had
 * acknowledged goes back to be sent again, and the resource is bound. */
static void bind_new_session(struct tok *t)
{
	queue_hand_back(t);
	forget_session(t);
	if (!t->bind_offered) {
		failed(t, NET_FAIL_PROTOCOL, "undefined-condition",
		       "the server offers no resource binding after authentication");
		return;
	}
	send_bind(t);
}

/* The features of the stream after <success/>: resume, or bind. */
static void session_features(struct tok *t, xmpp_stanza_t *features)
{
	xmpp_stanza_t *session = xmpp_stanza_get_child_by_ns(features, NS_SESSION);
	char h[16];

	t->bind_offered = xmpp_stanza_get_child_by_ns(features, NS_BIND) != NULL;
	t->sm_offered = xmpp_stanza_get_child_by_ns(features, NS_SM) != NULL;
	/* RFC 3921's session, unless marked optional (RFC 6121 dropped it). */
	t->session_wanted = session && !xmpp_stanza_get_child_by_name(session, "optional");
	if (t->sm_id && t->sm_offered) {
		snprintf(h, sizeof h, "%lu", (unsigned long)t->in_h);
		t->stage = ST_RESUME;
		xmpp_send_raw_string(t->conn, "<resume xmlns='" NS_SM "' previd='%s' h='%s'/>",
		                     t->sm_id, h);
		return;
	}
	/* (Without stream management offered, an old session cannot come
	 * back either.) */
	bind_new_session(t);
}

static int on_features(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	struct tok *t = ud;

	if (conn != t->conn)
		return 1;
	if (t->stage == ST_AUTHED) {
		session_features(t, st);
		return 1;
	}
	if (t->stage != ST_OPENING)
		return 1;
	if (!xmpp_conn_is_secured(conn)) {
		/* The token is never sent over a plaintext stream. */
		if (!xmpp_stanza_get_child_by_ns(st, NS_TLS)) {
			failed(t, NET_FAIL_POLICY, "encryption-required",
			       "the server does not offer TLS, and natter never sends a token "
			       "without it");
			return 1;
		}
		t->stage = ST_STARTTLS;
		xmpp_send_raw_string(conn, "<starttls xmlns='" NS_TLS "'/>");
		return 1;
	}
	if (!t->ops->tls_trusted(t->ud)) {
		t->stage = ST_IDLE;
		return 1;
	}
	if (!offers_mechanism(st, t->mech)) {
		char *text = NULL;

		if (asprintf(&text, "the server does not offer %s (auth = %s)", t->mech,
		             auth_mode_name(t->p->auth)) < 0)
			text = NULL;
		failed(t, NET_FAIL_POLICY, "invalid-mechanism",
		       text ? text : "the server does not offer the token mechanism");
		free(text);
		return 1;
	}
	if (send_auth(t)) {
		failed(t, NET_FAIL_NETWORK, "internal-server-error", "out of memory");
		return 1;
	}
	t->stage = ST_AUTH;
	return 1;
}

static int on_proceed(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	struct tok *t = ud;

	if (conn != t->conn || t->stage != ST_STARTTLS)
		return 1;
	/* Synchronous, as every libstrophe TLS handshake: the core's watchdog
	 * bounds it by cutting the socket. */
	if (xmpp_conn_tls_start(conn)) {
		failed(t, NET_FAIL_NETWORK, NULL, "the TLS handshake failed");
		return 1;
	}
	/* Decided before even the stream header names our JID again. */
	if (!t->ops->tls_trusted(t->ud)) {
		t->stage = ST_IDLE;
		return 1;
	}
	t->stage = ST_OPENING;
	xmpp_conn_open_stream_default(conn);
	return 1;
}

/* The name of the first child element that is not <text/>: the condition
 * of a SASL failure or a stream error (a pointer into st). */
static const char *condition_of(xmpp_stanza_t *st)
{
	for (xmpp_stanza_t *c = xmpp_stanza_get_children(st); c; c = xmpp_stanza_get_next(c))
		if (xmpp_stanza_is_tag(c) && strcmp(xmpp_stanza_get_name(c), "text"))
			return xmpp_stanza_get_name(c);
	return NULL;
}

static int on_sasl(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	struct tok *t = ud;
	const char *name = xmpp_stanza_get_name(st), *cond;
	char *text = NULL;

	if (conn != t->conn || t->stage != ST_AUTH || !name)
		return 1;
	if (!strcmp(name, "success")) {
		t->stage = ST_AUTHED;
		xmpp_conn_open_stream_default(conn);
	} else if (!strcmp(name, "challenge")) {
		/* Neither mechanism has a second step; some servers explain a
		 * refusal in a challenge and send <failure/> after an empty
		 * answer. */
		xmpp_send_raw_string(conn, "<response xmlns='" NS_SASL "'/>");
	} else if (!strcmp(name, "failure")) {
		cond = condition_of(st);
		if (asprintf(&text,
		             "the server refused the token (%s: %s); natter will not try "
		             "again until the account changes (/connect)",
		             t->mech, cond ? cond : "not-authorized") < 0)
			text = NULL;
		failed(t, NET_FAIL_AUTH, cond ? cond : "not-authorized",
		       text ? text : "the server refused the token");
		free(text);
	}
	return 1;
}

static bool valid_jid(const char *s)
{
	struct jid j;
	bool ok = s && !jid_parse(s, &j, NULL) && j.local && j.resource;

	if (s)
		jid_clear(&j);
	return ok;
}

static int on_bind(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	struct tok *t = ud;
	const char *type = xmpp_stanza_get_type(st);
	xmpp_stanza_t *b = xmpp_stanza_get_child_by_ns(st, NS_BIND);
	char *jid = b ? st_child_text(b, "jid") : NULL;

	if (conn != t->conn || t->stage != ST_BIND) {
		free(jid);
		return 1;
	}
	if (!type || strcmp(type, "result") || !valid_jid(jid)) {
		char *etext = NULL;
		const char *cond = type && !strcmp(type, "error") ? st_error_condition(st, &etext)
		                                                  : "undefined-condition";

		free(jid);
		/* A stream-level verdict to the core: a conflict stays offline
		 * rather than fight another client, anything else retries. */
		failed(t, NET_FAIL_STREAM_ERROR, cond,
		       etext ? etext : "the server refused to bind the resource");
		free(etext);
		return 1;
	}
	free(t->bound);
	t->bound = jid;
	if (t->session_wanted)
		send_session(t);
	else
		bound(t);
	return 1;
}

static int on_session(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	struct tok *t = ud;
	const char *type = xmpp_stanza_get_type(st);

	if (conn != t->conn || t->stage != ST_SESSION)
		return 1;
	if (!type || strcmp(type, "result")) {
		char *etext = NULL;
		const char *cond = type && !strcmp(type, "error") ? st_error_condition(st, &etext)
		                                                  : "undefined-condition";

		failed(t, NET_FAIL_STREAM_ERROR, cond,
		       etext ? etext : "the server refused to open the session");
		free(etext);
		return 1;
	}
	bound(t);
	return 1;
}

static void on_enabled(struct tok *t, xmpp_stanza_t *st)
{
	const char *resume = xmpp_stanza_get_attribute(st, "resume");
	const char *id = xmpp_stanza_get_attribute(st, "id");

	/* A fresh session: whatever an older one kept went back at its end. */
	queue_hand_back(t);
	forget_session(t);
	t->sm_on = true;
	if (id && resume && (!strcmp(resume, "true") || !strcmp(resume, "1"))) {
		t->sm_id = strdup(id);
		t->sm_jid = t->bound ? strdup(t->bound) : NULL;
		if (!t->sm_id || !t->sm_jid) {
			free(t->sm_id);
			free(t->sm_jid);
			t->sm_id = t->sm_jid = NULL;
		}
	}
	online(t, t->bound, false);
}

static void on_resumed(struct tok *t, xmpp_stanza_t *st)
{
	struct unacked *resend;
	uint32_t h;

	if (!parse_h(xmpp_stanza_get_attribute(st, "h"), &h)) {
		failed(t, NET_FAIL_PROTOCOL, "undefined-condition",
		       "the server resumed the session without saying what it received");
		return;
	}
	acknowledged(t, h);
	t->sm_on = true;
	/* What the server never got goes again, in order, and is counted
	 * again on this stream. */
	resend = t->q_head;
	t->q_head = t->q_tail = NULL;
	t->q_len = 0;
	while (resend) {
		struct unacked *next = resend->next;

		tok_send(t, resend->st);
		xmpp_stanza_release(resend->st);
		free(resend);
		resend = next;
	}
	free(t->bound);
	t->bound = t->sm_jid ? strdup(t->sm_jid) : NULL;
	online(t, t->bound ? t->bound : t->p->jid, true);
}

static void on_resume_failed(struct tok *t, xmpp_stanza_t *st)
{
	uint32_t h;

	/* XEP-0198 lets the server say what it had received; the rest is
	 * sent again in the new session. */
	if (parse_h(xmpp_stanza_get_attribute(st, "h"), &h))
		acknowledged(t, h);
	bind_new_session(t);
}

static int on_sm(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	struct tok *t = ud;
	const char *name = xmpp_stanza_get_name(st);
	uint32_t h;

	if (conn != t->conn || !name)
		return 1;
	if (!strcmp(name, "r") && t->sm_on) {
		char a[16];

		snprintf(a, sizeof a, "%lu", (unsigned long)t->in_h);
		xmpp_send_raw_string(conn, "<a xmlns='" NS_SM "' h='%s'/>", a);
	} else if (!strcmp(name, "a") && t->sm_on) {
		if (parse_h(xmpp_stanza_get_attribute(st, "h"), &h))
			acknowledged(t, h);
	} else if (!strcmp(name, "enabled") && t->stage == ST_ENABLE) {
		on_enabled(t, st);
	} else if (!strcmp(name, "failed") && t->stage == ST_ENABLE) {
		/* Stream management refused: the session works without it. */
		online(t, t->bound, false);
	} else if (!strcmp(name, "resumed") && t->stage == ST_RESUME) {
		on_resumed(t, st);
	} else if (!strcmp(name, "failed") && t->stage == ST_RESUME) {
		on_resume_failed(t, st);
	}
	return 1;
}

/* Counts what the server sent, for its <r/> and our <resume/>. */
static int on_any(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	struct tok *t = ud;
	const char *name = xmpp_stanza_get_name(st);

	if (conn == t->conn && t->sm_on && name &&
	    (!strcmp(name, "message") || !strcmp(name, "presence") || !strcmp(name, "iq")))
		t->in_h++;
	return 1;
}

static int on_stream_error(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	struct tok *t = ud;
	const char *cond = condition_of(st);

	/* Raw mode leaves stream errors to us as well. */
	if (conn == t->conn)
		failed(t, NET_FAIL_STREAM_ERROR, cond ? cond : "undefined-condition",
		       "the server closed the stream with an error");
	return 1;
}

/* ---- the connection ---- */

int tok_connect(struct tok *t, xmpp_conn_t *conn, const struct net_params *p,
                xmpp_conn_handler conn_cb, void *cb_ud, const char **why)
{
	if (p->tls == TLS_DISABLE) {
		*why = "a token is never sent over a plaintext stream (tls = disable)";
		return -1;
	}
	t->conn = conn;
	t->p = p;
	t->mech = mech_name(p->auth);
	t->stage = ST_OPENING;
	t->sm_on = false;
	t->session_wanted = t->sm_offered = t->bind_offered = false;
	xmpp_handler_add(conn, on_features, NS_STREAMS, "features", NULL, t);
	xmpp_handler_add(conn, on_stream_error, NS_STREAMS, "error", NULL, t);
	xmpp_handler_add(conn, on_proceed, NS_TLS, "proceed", NULL, t);
	xmpp_handler_add(conn, on_sasl, NS_SASL, NULL, NULL, t);
	xmpp_handler_add(conn, on_sm, NS_SM, NULL, NULL, t);
	xmpp_handler_add(conn, on_any, NULL, NULL, NULL, t);
	xmpp_id_handler_add(conn, on_bind, ID_BIND, t);
	xmpp_id_handler_add(conn, on_session, ID_SESSION, t);
	if (xmpp_connect_raw(conn, p->server, p->port, conn_cb, cb_ud)) {
		t->stage = ST_IDLE;
		t->conn = NULL;
		*why = "could not start connecting (address lookup failed?)";
		return -1;
	}
	return 0;
}

void tok_stream_event(struct tok *t, xmpp_conn_t *conn, xmpp_conn_event_t ev)
{
	if (conn != t->conn || ev != XMPP_CONN_RAW_CONNECT)
		return;
	/* Raw mode leaves TLS from the first byte to us too (port 443 in
	 * seed 000). */
	if (t->p->tls == TLS_DIRECT) {
		if (xmpp_conn_tls_start(conn)) {
			failed(t, NET_FAIL_NETWORK, NULL, "the TLS handshake failed");
			return;
		}
		if (!t->ops->tls_trusted(t->ud)) {
			t->stage = ST_IDLE;
			return;
		}
	}
	xmpp_conn_open_stream_default(conn);
}

void tok_disconnected(struct tok *t, bool clean)
{
	if (!t || !t->conn)
		return;
	t->conn = NULL;
	t->p = NULL;
	t->stage = ST_IDLE;
	t->sm_on = false;
	if (clean) {
		/* Closed on request: nothing to resume, nothing to send again. */
		queue_drop_front(t, (size_t)-1);
		forget_session(t);
	} else if (!t->sm_id) {
		queue_hand_back(t);
		forget_session(t);
	}
}

bool tok_consumes(const struct tok *t, xmpp_stanza_t *st)
{
	const char *id = xmpp_stanza_get_id(st);

	if (t->stage != ST_ONLINE)
		return true;
	return id && (!strcmp(id, ID_BIND) || !strcmp(id, ID_SESSION));
}
