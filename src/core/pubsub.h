/* XEP-0060 PubSub as a subscriber (pubsub.c): /pubsub subscriptions,
 * subscribe, renew and unsubscribe, and the notifications services send. */
#ifndef NATTER_CORE_PUBSUB_H
#define NATTER_CORE_PUBSUB_H

#include "core/module.h"

extern const struct core_module pubsub_module;

#endif
