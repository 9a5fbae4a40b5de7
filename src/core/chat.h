/* Messages (chat.c): sending chats, and receiving every type (chat,
 * normal, headline, groupchat, error), live, from carbons and from the
 * archive.  What rides along with them is message.c's. */
#ifndef NATTER_CORE_CHAT_H
#define NATTER_CORE_CHAT_H

#include <stdbool.h>
#include <stdint.h>
#include <strophe.h>

#include "core/core_internal.h"

extern const struct core_module chat_module;

/* Sends a chat message to a bare or full JID (a bare one goes where
 * presence_route() says) with an optional XEP-0071 <html/> part (not
 * taken); records it and echoes it as an outgoing message event.  Queued
 * while offline.  0, or -1 after an error event for cause. */
int chat_send(struct core *core, const char *to, const char *text, xmpp_stanza_t *html,
	      struct core_cause cause);
int chat_send_text(struct core *core, const char *to, const char *text, struct core_cause cause);

/* How a message reached us when it did not come directly: XEP-0280
 * carbons and XEP-0313 archive results share the receiving path. */
struct chat_via {
	const char *carbon;     /* NULL, "sent" or "received" */
	const char *archive_id; /* the MAM result's id (our archive's, so trusted) */
	const char *stamp;      /* the <forwarded/>'s XEP-0203 stamp, or NULL */
	bool outgoing;          /* ours, sent from another resource or session */
	bool quiet;             /* already reported: record it, never report it */
};
/* Records st (the original message, unwrapped; via NULL when it came
 * directly) in the history and reports it unless it is a duplicate.
 * Returns 1 when reported, 0 for a duplicate, -1 when it had no content. */
int chat_receive(struct core *core, xmpp_stanza_t *st, const struct chat_via *via);

/* The id of st's child <name xmlns='urn:xmpp:sid:0'/> (origin-id,
 * stanza-id); with by, only one that names exactly that entity as its
 * "by" (a bare JID).  A pointer into st, or NULL. */
const char *chat_sid(xmpp_stanza_t *st, const char *name, const char *by);

#endif
