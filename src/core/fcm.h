/* Cloud messaging (seed 002, fcm.c): google:mobile:data JSON payloads,
 * acknowledgements, /fcm send with its window of 100, CONNECTION_DRAINING. */
#ifndef NATTER_CORE_FCM_H
#define NATTER_CORE_FCM_H

#include "core/module.h"

extern const struct core_module fcm_module;

#endif
