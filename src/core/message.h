/* Messages beyond plain chat: XEP-0184 receipts, XEP-0085 chat states
 * (and XEP-0022 composing events on receipt), XEP-0071 XHTML-IM. */
#ifndef NATTER_CORE_MESSAGE_H
#define NATTER_CORE_MESSAGE_H

#include <stdbool.h>
#include <strophe.h>

#include "core/module.h"

struct core;

/* /state, /xhtml; announces chat states, receipts and XHTML-IM. */
extern const struct core_module message_module;

#define NS_RECEIPTS   "urn:xmpp:receipts"
#define NS_CHATSTATES "http://jabber.org/protocol/chatstates"
#define NS_XHTML_IM   "http://jabber.org/protocol/xhtml-im"

/* Between chat.c, which owns sending and receiving messages, and this
 * module, which owns what rides along with them. */

/* An incoming message that is not an error, after its content (if any:
 * has_content) was reported: answers and reports receipts, reports chat
 * states, remembers the peer's thread and chat-state support. */
void message_incoming(struct core *core, xmpp_stanza_t *st, bool has_content);

#endif
