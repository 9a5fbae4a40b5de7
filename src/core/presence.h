/* Presence: our own (show, status, priority, invisibility) and every
 * contact's, per resource (RFC 6121 §4), with RFC 6121 §5.1 resource
 * locking for chats addressed to a bare JID. */
#ifndef NATTER_CORE_PRESENCE_H
#define NATTER_CORE_PRESENCE_H

#include "cmd/cmd.h"

struct core;

int presence_init(struct core *core);
void presence_free(struct core *core);
/* Initial presence after a fresh login; unavailable before closing. */
void presence_announce(struct core *core);
void presence_goodbye(struct core *core);
/* Forgets every contact's presence (the session is gone). */
void presence_reset(struct core *core);

/* Where a chat message for bare should go: the locked full JID, or bare
 * itself.  Returns a pointer valid until the next presence change. */
const char *presence_route(struct core *core, const char *bare);
/* A message arrived from full: lock the chat to that resource. */
void presence_lock(struct core *core, const char *full);
/* The contact's highest-priority available resource (full JID) or NULL. */
const char *presence_best(struct core *core, const char *bare);

int presence_cmd_status(struct cmd_call *call);
int presence_cmd_priority(struct cmd_call *call);

#endif
