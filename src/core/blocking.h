/* XEP-0191 Blocking Command. */
#ifndef NATTER_CORE_BLOCKING_H
#define NATTER_CORE_BLOCKING_H

#include "core/module.h"

#define NS_BLOCKING "urn:xmpp:blocking"

/* /block, /unblock, /blocked; the server's pushes; and a guard that keeps
 * what a blocked JID sends from being shown. */
extern const struct core_module blocking_module;

#endif
