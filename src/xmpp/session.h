/* The XMPP session as the core sees it, on the core's thread.
 *
 * It hides the network thread (net.c) behind a small API: connect, send,
 * close; iq requests matched by id *and* sender; an outbox that keeps what
 * is sent while the link is down, because libstrophe silently drops a send
 * while disconnected; every other stanza handed to its owner, whose job
 * dispatch is.  It knows nothing of the core.  This header is also the seam
 * the core's unit tests replace (tests/unit/fake_session.c). */
#ifndef NATTER_XMPP_SESSION_H
#define NATTER_XMPP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <strophe.h>

#include "loop/loop.h"
#include "xmpp/net.h"

struct xs;

struct xs_online {
	const char *jid;
	const char *mechanism; /* "SCRAM-SHA-1", "PLAIN", "legacy", ... */
	bool resumed, secure;
	bool rosterver; /* the server offers XEP-0237 roster versioning */
	bool csi;       /* the server offers XEP-0352 client state indication */
};

struct xs_offline {
	enum net_fail fail;
	const char *condition; /* XMPP condition, or NULL */
	const char *text;
	const struct tlspin_cert *cert; /* NET_FAIL_TLS_UNTRUSTED, else NULL */
};

/* What the session tells its owner; ud is the one given to xs_new(). */
struct xs_callbacks {
	void (*online)(void *ud, const struct xs_online *o);
	void (*offline)(void *ud, const struct xs_offline *o);
	/* The end of xs_register(): fail NET_FAIL_NONE when it worked. */
	void (*registered)(void *ud, const char *jid, const struct xs_offline *result);
	/* Every incoming stanza that is not the answer to one of our iqs;
	 * borrowed for the call. */
	void (*stanza)(void *ud, xmpp_stanza_t *st);
	/* The connection xs_replace() set aside has ended. */
	void (*drained)(void *ud);
};

/* reply is NULL when the request timed out; owner is xs_new()'s ud. */
typedef void (*xs_iq_fn)(void *owner, xmpp_stanza_t *reply, void *ud);

struct xs *xs_new(struct loop *loop, const struct xs_callbacks *cb, void *ud);
void xs_free(struct xs *xs);

/* The context to build stanzas with, on the core's thread. */
xmpp_ctx_t *xs_ctx(struct xs *xs);

/* Takes ownership of params. */
int xs_connect(struct xs *xs, struct net_params *params);
void xs_close(struct xs *xs);
void xs_abort(struct xs *xs);
/* The server drains the session's connection: natter is offline (sends
 * wait in the outbox) until the new one, made with params beside the old,
 * is up; the old one still delivers stanzas and answers until it ends
 * (callback drained).  Takes ownership of params. */
int xs_replace(struct xs *xs, struct net_params *params);
/* Cuts the connection set aside by xs_replace(). */
void xs_drop_drained(struct xs *xs);
/* XEP-0077 registration of params->jid on a stream of its own, beside the
 * session; takes ownership of params. */
int xs_register(struct xs *xs, struct net_params *params);
void xs_abort_register(struct xs *xs);
bool xs_online(const struct xs *xs);
/* The bound full JID while online, else NULL. */
const char *xs_jid(const struct xs *xs);

/* A fresh random stanza id (malloc'd), or NULL on ENOMEM. */
char *xs_make_id(void);

/* Sends (or keeps in the outbox until online); takes the reference. */
int xs_send(struct xs *xs, xmpp_stanza_t *st);
size_t xs_outbox_len(const struct xs *xs);
/* Sends a top-level element that is not a stanza (XEP-0352's <active/>),
 * as XML text; dropped while offline (it says a state, which its owner
 * sends again at the next login).  0, or -1 on ENOMEM. */
int xs_send_nonza(struct xs *xs, const char *xml);

/* Sends an iq get/set, setting its id; fn gets the result or error whose
 * id matches and whose sender is the addressee (or our server when no
 * "to").  Takes the reference.  -1 when offline or on ENOMEM. */
int xs_iq_send(struct xs *xs, xmpp_stanza_t *iq, unsigned timeout_ms, xs_iq_fn fn, void *ud);

/* For a stanza being handled (a callback's or an iq answer's): the items
 * of its first roster query, which the network thread read as they were
 * parsed and left out of the stanza's tree (rosterstream.h); the caller
 * owns them.  NULL when there are none: the items, if any, are in the
 * tree. */
struct rs_list *xs_take_roster_items(struct xs *xs, const xmpp_stanza_t *st);

/* Answers an iq with an error of the given condition (type cancel). */
void xs_iq_error(struct xs *xs, xmpp_stanza_t *iq, const char *condition);

#endif
