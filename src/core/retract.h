/* XEP-0424 Message Retraction, received. */
#ifndef NATTER_CORE_RETRACT_H
#define NATTER_CORE_RETRACT_H

#include "core/module.h"

#define NS_RETRACT "urn:xmpp:message-retract:1"

extern const struct core_module retract_module;

#endif
