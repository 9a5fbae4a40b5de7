/* Incoming stanzas to the modules' handlers (dispatch.c). */
#ifndef NATTER_CORE_DISPATCH_H
#define NATTER_CORE_DISPATCH_H

#include <strophe.h>

struct core;

/* Runs the handlers that match st, stage by stage (core/module.h); an iq
 * get or set no handler took is answered with service-unavailable
 * (RFC 6120 §8.2.3). */
void dispatch_stanza(struct core *core, xmpp_stanza_t *st);

#endif
