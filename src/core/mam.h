/* XEP-0313 Message Archive Management: after a fresh login, fetch what our
 * server archived since the archived message the history stored last. */
#ifndef NATTER_CORE_MAM_H
#define NATTER_CORE_MAM_H

#include <stdbool.h>

#include "core/module.h"

struct core;

#define NS_MAM "urn:xmpp:mam:2"
#define NS_RSM "http://jabber.org/protocol/rsm"

/* The catch-up starts at every fresh login, never after a resumption (the
 * resumed stream delivers what it owes itself); archive results are
 * unwrapped before any other message handler sees them. */
extern const struct core_module mam_module;
/* A live message (or carbon) carried archive_id, our archive's stanza-id.
 * Returns true when it may be stored with it; false while a catch-up is
 * under way: the newest archive id stored is where the next catch-up
 * starts, so it must not run ahead of the pages actually fetched.  The
 * id is then remembered so the archive's copy is known as a duplicate. */
bool mam_live_id(struct core *core, const char *archive_id);

#endif
