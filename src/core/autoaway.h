/* Auto-away: our presence becomes away, then xa, after minutes without
 * the user ([presence] auto_away, auto_xa), with a XEP-0319 idle time,
 * and comes back at the first key or command (core_user_active). */
#ifndef NATTER_CORE_AUTOAWAY_H
#define NATTER_CORE_AUTOAWAY_H

#include "core/module.h"

extern const struct core_module autoaway_module;

#endif
