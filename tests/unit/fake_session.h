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
/* Whether the next fake_online() offers XEP-0352 client state indication. */
void fake_offer_csi(struct xs *xs, bool offer);

/* Delivers one stanza (XML text) as if it came from the network: the
 * answer to a pending iq (by id and sender, as the real session matches)
 * or any other stanza, dispatched by the core.  Fails the test when the
 * text is not well-formed. */
void fake_receive(struct xs *xs, const char *xml);
/* printf-style, for stanzas that quote ids the core chose. */
void fake_receivef(struct xs *xs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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

/* Requests whose answer has not come. */
size_t fake_pending_iqs(struct xs *xs);
/* Connection attempts asked for (xs_connect) and closes (xs_close). */
unsigned fake_connects(struct xs *xs);
unsigned fake_closes(struct xs *xs);

#endif
