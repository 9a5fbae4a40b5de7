/* XEP-0280 Message Carbons: copies of what our other resources send and
 * receive. */
#ifndef NATTER_CORE_CARBONS_H
#define NATTER_CORE_CARBONS_H

struct core;

#define NS_CARBONS "urn:xmpp:carbons:2"
#define NS_FORWARD "urn:xmpp:forward:0"

/* Announces the feature and registers the handler (before chat.c's own
 * message handler, which would otherwise take the wrappers). */
int carbons_init(struct core *core);
/* Enables carbons; on every fresh login (they do not survive a session). */
void carbons_login(struct core *core);

#endif
