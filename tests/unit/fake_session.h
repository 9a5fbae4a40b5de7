/* A stand-in for xmpp/session.c in the core's unit tests.
 *
 * It implements every function of xmpp/session.h, so a test program that
 * links fake_session.o before libnatter.a never pulls the real session (or
 * the network thread) out of the archive.  Stanzas the core sends are kept
 * as XML text; what the server or a peer would send is fed in as XML text;
 * the core runs exactly as it does in natter. */
#ifndef NATTER_TESTS_FAKE_SESSION_H
#define NATTER_TESTS_FAKE_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include "xmpp/net.h"
#include "xmpp/session.h"

/* The session the core under test made (the last xs_new). */
struct xs *fake_xs(void);

/* The link comes up: jid bound, a fresh session or a resumed one. */
void fake_online(struct xs *xs, const char *jid, bool resumed, bool rosterver);
void fake_offline(struct xs *xs, enum net_fail fail, const char *condition, const char *text);
/* The same with every detail (a refused certificate). */
void fake_offline_with(struct xs *xs, const struct xs_offline *o);
/* Whether the next fake_online() offers XEP-0352 client state indication. */
void fake_offer_csi(struct xs *xs, bool offer);

/* Delivers one stanza (XML text) as if it came from the network: the
 * answer to a pending iq (by id and sender, as the real session matches)
 * or any other stanza, dispatched by the core.  Fails the test when the
 * text is not well-formed. */
void fake_receive(struct xs *xs, const char *xml);
/* What xs_take_roster_items() gives next, whatever the stanza (the fake
 * owns l until then). */
void fake_roster_items(struct xs *xs, struct rs_list *l);
/* fake_receive() of a roster answer as the network thread delivers it: its
 * items read by rosterstream, out of the stanza's tree. */
void fake_receive_streamed(struct xs *xs, const char *xml);
/* Its first half: the stanza as libstrophe's tree holds it, its items set
 * for xs_take_roster_items(); the caller hands it to fake_receive_stanza()
 * and releases it. */
xmpp_stanza_t *fake_streamed_stanza(struct xs *xs, const char *xml);
/* The same for a stanza already parsed (borrowed). */
void fake_receive_stanza(struct xs *xs, xmpp_stanza_t *st);
/* printf-style, for stanzas that quote ids the core chose. */
void fake_receivef(struct xs *xs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Answers sent stanza i: xml holds one %s, where that stanza's id goes
 * ("<iq type='result' id='%s'/>"). */
void fake_answer(struct xs *xs, size_t i, const char *xml);

/* What the core sent, oldest first, as XML text (valid until the next
 * fake_clear_sent or xs_free). */
size_t fake_sent_count(struct xs *xs);
const char *fake_sent(struct xs *xs, size_t i);
void fake_clear_sent(struct xs *xs);
/* The first sent stanza (from index from on) that contains needle, or
 * NULL; *index gets its index when not NULL. */
const char *fake_find_sent(struct xs *xs, size_t from, const char *needle, size_t *index);
/* The id attribute of sent stanza i (malloc'd), or NULL. */
char *fake_sent_id(struct xs *xs, size_t i);
/* An attribute, or the text, of the element at path in sent stanza i
 * (path: child names from the stanza down, "query/set/after"; NULL: the
 * stanza itself).  Malloc'd, or NULL when there is no such thing. */
char *fake_sent_attr(struct xs *xs, size_t i, const char *path, const char *attr);
char *fake_sent_text(struct xs *xs, size_t i, const char *path);

/* Request ids are "fake-1", "fake-2", ... from each xs_new on. */

/* Requests whose answer has not come. */
size_t fake_pending_iqs(struct xs *xs);
/* Connection attempts asked for (xs_connect), closes (xs_close) and cuts
 * (xs_abort). */
unsigned fake_connects(struct xs *xs);
unsigned fake_closes(struct xs *xs);
unsigned fake_aborts(struct xs *xs);
/* What the last xs_connect / xs_register was given (NULL before the
 * first): the account, server, TLS mode and pin natter would use. */
const struct net_params *fake_connect_params(struct xs *xs);
const struct net_params *fake_register_params(struct xs *xs);
/* The registration stream ends (xs_register's answer): fail NET_FAIL_NONE
 * when the account was created. */
void fake_registered(struct xs *xs, const char *jid, enum net_fail fail, const char *condition,
                     const char *text);
/* Replacements asked for (xs_replace: the session is then offline until
 * fake_online; its params are fake_connect_params'), and cuts of the
 * drained connection (xs_drop_drained). */
unsigned fake_replaces(struct xs *xs);
unsigned fake_drained_drops(struct xs *xs);
/* The connection set aside by xs_replace has ended. */
void fake_drained(struct xs *xs);

#endif
