/* XEP-0191 Blocking Command. */
#ifndef NATTER_CORE_BLOCKING_H
#define NATTER_CORE_BLOCKING_H

#include "core/module.h"

#define NS_BLOCKING "urn:xmpp:blocking"

/* /block, /unblock, /blocked; the server's pushes; and a guard that keeps
 * what a blocked JID sends from being shown. */
extern const struct core_module blocking_module;

/* What the guard says of st, for a message taken out of a carbon copy or
 * an archive result (which the guards never saw): true when it is from a
 * blocked JID and is not shown. */
bool blocking_drops(struct core *core, xmpp_stanza_t *st);

#endif
