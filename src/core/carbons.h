/* XEP-0280 Message Carbons: copies of what our other resources send and
 * receive, enabled at every fresh login (they do not survive a session)
 * and unwrapped before any other message handler sees them. */
#ifndef NATTER_CORE_CARBONS_H
#define NATTER_CORE_CARBONS_H

#include "core/module.h"

#define NS_CARBONS "urn:xmpp:carbons:2"
#define NS_FORWARD "urn:xmpp:forward:0"

extern const struct core_module carbons_module;

#endif
