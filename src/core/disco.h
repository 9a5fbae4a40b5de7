/* Service discovery (XEP-0030) and entity capabilities (XEP-0115): what we
 * offer, what peers offer. */
#ifndef NATTER_CORE_DISCO_H
#define NATTER_CORE_DISCO_H

#include <stdbool.h>
#include <strophe.h>

#include "core/module.h"

struct core;

/* /disco info|items; answers disco#info with the features every module
 * declares (core_module.features), and follows peers' caps. */
extern const struct core_module disco_module;

/* The <c xmlns='http://jabber.org/protocol/caps'/> element for our
 * presence (a new reference), or NULL on ENOMEM. */
xmpp_stanza_t *disco_caps_element(struct core *core);

/* Whether jid (full, or bare for a server or service) supports feature:
 * answered from the caps cache or a cached disco#info, else by asking.
 * fn runs exactly once, possibly before this returns; supported is -1
 * when the answer could not be had (error or timeout). */
typedef void (*disco_feature_fn)(struct core *core, const char *jid, int supported, void *ud);
int disco_check_feature(struct core *core, const char *jid, const char *feature,
                        disco_feature_fn fn, void *ud);
/* The software a full JID announced in its caps: their node ("https://
 * conversations.im"), unsanitised and malloc'd, or NULL when unknown. */
char *disco_client(struct core *core, const char *full);
/* The same, from what is known already, without asking: 1, 0 or -1. */
int disco_known_feature(struct core *core, const char *jid, const char *feature);

#endif
