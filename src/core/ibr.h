/* XEP-0077 in-band registration (ibr.c): /register on a stream of its
 * own, /password and /unregister on the session. */
#ifndef NATTER_CORE_IBR_H
#define NATTER_CORE_IBR_H

#include "core/module.h"

struct core;
struct xs_offline;

extern const struct core_module ibr_module;

/* The session's answer to a registration (xs_callbacks.registered). */
void ibr_registered(struct core *core, const char *jid, const struct xs_offline *result);

#endif
