/* Messages beyond plain chat: XEP-0184 receipts, XEP-0085 chat states
 * (and XEP-0022 composing events on receipt), XEP-0071 XHTML-IM. */
#ifndef NATTER_CORE_MESSAGE_H
#define NATTER_CORE_MESSAGE_H

#include <stdbool.h>
#include <strophe.h>

#include "cmd/cmd.h"

struct core;

int message_init(struct core *core);
void message_free(struct core *core);

int message_cmd_state(struct cmd_call *call);
int message_cmd_xhtml(struct cmd_call *call);

#define NS_RECEIPTS   "urn:xmpp:receipts"
#define NS_CHATSTATES "http://jabber.org/protocol/chatstates"
#define NS_XHTML_IM   "http://jabber.org/protocol/xhtml-im"

/* Between chat.c, which owns sending and receiving messages, and this
 * module, which owns what rides along with them. */

/* Sends a chat message to a bare or full JID (a bare one goes where
 * presence_route() says) with an optional XHTML-IM <html/> part (not
 * taken); echoes it as an outgoing message event.  chat.c. */
int chat_send(struct core *core, const char *to, const char *text, xmpp_stanza_t *html,
              const char *command);
/* Adds to an outgoing chat message for dest (where it really goes) what the
 * conversation with that peer calls for: its thread, a receipt request,
 * <active/>.  0, or -1 on ENOMEM. */
int message_decorate(struct core *core, xmpp_stanza_t *m, const char *dest);
/* An incoming message that is not an error, after its content (if any:
 * has_content) was reported: answers and reports receipts, reports chat
 * states, remembers the peer's thread and chat-state support. */
void message_incoming(struct core *core, xmpp_stanza_t *st, bool has_content);

/* How a message reached us when it did not come directly: XEP-0280
 * carbons and XEP-0313 archive results share chat.c's receiving path. */
struct chat_via {
	const char *carbon;     /* NULL, "sent" or "received" */
	const char *archive_id; /* the MAM result's id (our archive's, so trusted) */
	const char *stamp;      /* the <forwarded/>'s XEP-0203 stamp, or NULL */
	bool outgoing;          /* ours, sent from another resource or session */
	bool quiet;             /* already reported: record it, never report it */
};
/* Records st (the original message, unwrapped; via NULL when it came
 * directly) in the history and reports it unless it is a duplicate.
 * Returns 1 when reported, 0 for a duplicate, -1 when it had no content.
 * chat.c. */
int chat_receive(struct core *core, xmpp_stanza_t *st, const struct chat_via *via);

#endif
