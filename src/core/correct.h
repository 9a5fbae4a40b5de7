/* XEP-0308 Last Message Correction: /correct, and corrections received. */
#ifndef NATTER_CORE_CORRECT_H
#define NATTER_CORE_CORRECT_H

#include <stdbool.h>

#include "core/module.h"

#define NS_CORRECT "urn:xmpp:message-correct:0"

extern const struct core_module correct_module;

/* Who sent a message, as the acceptance rule compares it. */
struct correct_sender {
	const char *from;        /* the full JID it came from (in a room: room@service/nick) */
	const char *occupant_id; /* XEP-0421 id a room stamped on it, or NULL */
	bool groupchat;          /* it was a groupchat message */
};

/* Whether a correction may replace the message it names: only the sender
 * of that message may correct it (XEP-0308 §5), so that nobody can put
 * words into someone else's mouth.
 *  - One-to-one: the same full JID.  Another resource of the same account
 *    is another client, which never sent the original.
 *  - A room (XEP-0045): the same occupant.  When the room gives occupant
 *    ids (XEP-0421), both messages must carry the same one, whatever the
 *    nicks: a nick can change hands, an occupant id cannot.  Without
 *    them, the same room JID and nick.  The room case is written here for
 *    group chat to use: it must pass the occupant id the room stamped on
 *    the original (kept with it in the history) and on the correction.
 * A correction that fails the rule is an ordinary message. */
bool correct_allowed(const struct correct_sender *original,
                     const struct correct_sender *correction);

#endif
