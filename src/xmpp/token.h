/* Token logins: SASL X-OAUTH2 and X-YANDEX-OAUTH (seeds 000 and 002).
 *
 * libstrophe 0.12 has no hook for a SASL mechanism of its own, so these
 * logins run on its raw connection API, driven here step by step: TLS
 * (STARTTLS, or from the first byte), the <auth/> that carries the token,
 * the stream restart, resource binding, the session, and XEP-0198.
 * libstrophe keeps its stream management to its own login path (a raw
 * connection can never switch it on), so this file counts, acknowledges,
 * keeps the unacknowledged stanzas and resumes by itself.
 *
 * net.c owns the connection and hands it here for a token login; the
 * normal login path knows nothing of this file.  Once online, the session
 * is like any other: net.c reports it and the core starts it as usual.
 * Network thread only. */
#ifndef NATTER_XMPP_TOKEN_H
#define NATTER_XMPP_TOKEN_H

#include <stdbool.h>
#include <strophe.h>

#include "xmpp/net.h"

struct tok;

/* How the login reports back to its owner (net.c); ud is tok_new()'s. */
struct tok_ops {
	/* TLS is up: the owner decides on the certificate now, before the
	 * token can leave; false when it refused it (the attempt has failed). */
	bool (*tls_trusted)(void *ud);
	/* Logged in: the bound JID, whether the old session was resumed. */
	void (*online)(void *ud, const char *jid, const char *mechanism, bool resumed);
	/* The attempt failed for this reason; the owner cuts the connection. */
	void (*failed)(void *ud, enum net_fail fail, const char *condition, const char *text);
	/* A stanza sent on a session that is gone for good and that the server
	 * never acknowledged: the owner hands it back to be sent again (taken). */
	void (*unsent)(void *ud, xmpp_stanza_t *st);
};

/* Lives as long as the network thread: the resumption state outlasts each
 * connection. */
struct tok *tok_new(const struct tok_ops *ops, void *ud);
void tok_free(struct tok *t);

/* Whether auth is one of the token mechanisms. */
bool tok_mechanism(enum auth_mode auth);

/* Starts a login on conn (fresh, in raw mode: its TLS flags are set by
 * the caller), with p->password holding the token.  p must stay valid
 * while the login runs.  conn_cb gets the connection's events; it passes
 * CONNECT and RAW_CONNECT on to tok_stream_event().  0, or -1 with *why. */
int tok_connect(struct tok *t, xmpp_conn_t *conn, const struct net_params *p,
                xmpp_conn_handler conn_cb, void *cb_ud, const char **why);
/* The connection opened, or a stream header arrived. */
void tok_stream_event(struct tok *t, xmpp_conn_t *conn, xmpp_conn_event_t ev);
/* The connection is gone; clean when it was closed on request (nothing is
 * to be resumed then). */
void tok_disconnected(struct tok *t, bool clean);
/* The next login must not resume: stanzas never acknowledged are handed
 * back (ops->unsent) and the resumption state dropped. */
void tok_forget(struct tok *t);

/* Whether an incoming stanza belongs to the login (the bind and session
 * answers, anything before the session is up) rather than to the core. */
bool tok_consumes(const struct tok *t, xmpp_stanza_t *st);
/* Sends st on the session (takes no reference from the caller; counted
 * and kept until acknowledged when XEP-0198 is on). */
void tok_send(struct tok *t, xmpp_stanza_t *st);
/* A session that can be resumed after a loss. */
bool tok_resumable(const struct tok *t);

#endif
