/* XEP-0245: "/me" lines, sent and shown as actions. */
#ifndef NATTER_CORE_ACTION_H
#define NATTER_CORE_ACTION_H

#include "core/module.h"

/* /me ACTION in the current chat; marks /me lines both ways. */
extern const struct core_module action_module;

/* What a XEP-0245 line does ("/me waves" gives "waves"), or NULL when body
 * is not one: "/me " at its very start, and something after it. */
const char *action_text(const char *body);

#endif
