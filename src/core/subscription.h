/* Presence subscriptions (RFC 6121 §3): the /sub commands and the
 * subscription stanzas contacts send (subscription.c). */
#ifndef NATTER_CORE_SUBSCRIPTION_H
#define NATTER_CORE_SUBSCRIPTION_H

#include "core/module.h"

extern const struct core_module subscription_module;

#endif
