/* The network thread: libstrophe runs here and nowhere else.
 *
 * libstrophe 0.12.2 blocks in the TLS handshake (no timeout), in SRV and
 * address lookups and in connect(); running it on its own thread keeps the
 * event core and the terminal responsive whatever the network does.  The
 * two threads talk through two queues and two wake-up pipes: requests go
 * in (connect, send, close), reports come out (online, offline, stanzas).
 * Only session.c uses this interface. */
#ifndef NATTER_XMPP_NET_H
#define NATTER_XMPP_NET_H

#include <stdbool.h>
#include <strophe.h>

#include "config/accounts.h"
#include "xmpp/rosterstream.h"
#include "xmpp/tlspin.h"

struct net;

struct net_params {
	char *jid;      /* full JID to bind (bare: the server chooses the resource) */
	char *password; /* or the token, for the token mechanisms (token.h) */
	char *server;   /* NULL: SRV lookup on the JID's domain */
	unsigned short port;
	enum tls_mode tls;
	char *cafile;
	char *pin; /* canonical "sha256:..." or NULL */
	enum auth_mode auth;
	bool compression; /* XEP-0138, where libstrophe can (HAVE_STROPHE_COMPRESSION) */
};

enum net_fail {
	NET_FAIL_NONE,          /* closed on request */
	NET_FAIL_NETWORK,       /* connection lost or refused: retry */
	NET_FAIL_TIMEOUT,       /* aborted by the watchdog: retry */
	NET_FAIL_AUTH,          /* credentials refused: do not retry */
	NET_FAIL_TLS_UNTRUSTED, /* certificate not trusted or pin mismatch */
	NET_FAIL_POLICY,        /* natter refused an insecure step */
	NET_FAIL_STREAM_ERROR,  /* the server closed the stream with an error */
	NET_FAIL_RESUME,        /* resumption failed: start a clean session now */
	NET_FAIL_PROTOCOL,      /* natter cut a stream it could not or would not go on
	                         * reading (malformed XML, a stanza over the limits):
	                         * retry, with a fresh session */
};

enum net_report_kind {
	NET_R_ONLINE,
	NET_R_OFFLINE,
	NET_R_STANZA,
	NET_R_UNSENT,
	NET_R_REGISTER,
	NET_R_DRAINED, /* the connection net_replace() set aside has ended */
};

struct net_report {
	struct net_report *next;
	enum net_report_kind kind;
	xmpp_stanza_t *stanza; /* STANZA, UNSENT: owned by the receiver */
	/* STANZA: a roster answer's items, taken out of the stanza's tree as
	 * they were parsed (rosterstream.h), or NULL */
	struct rs_list *roster;
	/* ONLINE */
	char *jid;
	char *mechanism;
	bool resumed, secure, rosterver;
	bool csi; /* the server offers XEP-0352 client state indication */
	/* OFFLINE, REGISTER (fail NONE: registered) */
	enum net_fail fail;
	char *condition;
	char *text;
	struct tlspin_cert cert; /* TLS_UNTRUSTED: the refused certificate */
};

/* Starts the thread.  *report_fd becomes readable when reports wait. */
struct net *net_new(int *report_fd);
/* Stops the thread (waiting at most about two seconds) and frees. */
void net_free(struct net *n);

/* Requests; the net thread takes ownership of params and stanza. */
int net_connect(struct net *n, struct net_params *params);
int net_send(struct net *n, xmpp_stanza_t *stanza);
/* Sends a top-level element that is not a stanza (XML text, copied), in
 * step with XEP-0198's counting; dropped while offline. */
int net_send_nonza(struct net *n, const char *xml);
/* Sends </stream:stream> and waits for the server's. */
int net_close(struct net *n);
/* The server is draining the current connection (a cloud-messaging
 * server's CONNECTION_DRAINING): it is set aside (nothing more is sent on
 * it, what it still delivers is reported as usual) and a new connection is
 * made with params beside it, as net_connect() does.  A NET_R_DRAINED
 * report follows when the old one has ended; one is set aside at a time
 * (a second replacement cuts the first). */
int net_replace(struct net *n, struct net_params *params);
/* Cuts the connection set aside; safe from any thread. */
void net_drop_drained(struct net *n);
/* Cuts the socket at once; safe from any thread, at any moment. */
void net_abort(struct net *n);
/* Registers params->jid (XEP-0077) on a fresh stream of its own; the
 * answer is a NET_R_REGISTER report.  One at a time. */
int net_register(struct net *n, struct net_params *params);
void net_abort_register(struct net *n);

/* Takes up to max reports, oldest first, linked by next (NULL when none);
 * free each with net_report_free.  The report pipe is written only when
 * the core thread may be asleep: once readable, posts add no byte until a
 * call finds the queue empty (NULL), so the caller takes again until it
 * gets NULL, or, when it stops early (its share of the pass is spent),
 * calls net_reports_later(). */
struct net_report *net_take_reports(struct net *n, unsigned max);
/* The caller stops taking with reports perhaps waiting: makes the report
 * pipe readable again if they do, so the loop comes back for them. */
void net_reports_later(struct net *n);
void net_report_free(struct net_report *r);
void net_params_clear(struct net_params *p);

#endif
